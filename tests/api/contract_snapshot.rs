//! The OpenAPI document is a contract with every client:
//! - the served document must match the snapshot committed in
//!   `tests/contract/openapi.json`, so no change to it goes unseen in review
//!   (`UPDATE_OPENAPI_SNAPSHOT=1 cargo test --test api contract_snapshot`
//!   writes the snapshot anew);
//! - against the last release's document (`tests/contract/openapi-X.Y.Z.json`),
//!   a removed path or field, a narrowed type or a new required field must
//!   be named in CHANGELOG.md, under the coming version.

use crate::helpers::spawn_app;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn contract_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/contract")
}

async fn served() -> Value {
    let app = spawn_app().await;
    app.get("/api/v1/openapi.json").await.json().await.unwrap()
}

/// Pretty JSON with sorted keys, as the snapshot is kept.
fn pretty(doc: &Value) -> String {
    serde_json::to_string_pretty(doc).unwrap() + "\n"
}

#[tokio::test]
async fn the_served_document_matches_the_committed_snapshot() {
    let served = pretty(&served().await);
    let path = contract_dir().join("openapi.json");
    if std::env::var_os("UPDATE_OPENAPI_SNAPSHOT").is_some() {
        std::fs::write(&path, &served).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();

    if served != committed {
        let diff = similar::TextDiff::from_lines(&committed, &served);
        let shown: String = diff
            .unified_diff()
            .context_radius(3)
            .header("committed tests/contract/openapi.json", "served")
            .to_string()
            .lines()
            .take(200)
            .collect::<Vec<_>>()
            .join("\n");
        panic!(
            "the served OpenAPI document differs from its snapshot:\n{shown}\n\n\
             if the change is meant, write the snapshot anew with\n  \
             UPDATE_OPENAPI_SNAPSHOT=1 cargo test --test api contract_snapshot\n\
             and name any breaking change in CHANGELOG.md"
        );
    }
}

/// The newest release's document in `tests/contract`, and its version.
fn last_release() -> (String, Value) {
    let mut releases: Vec<(Vec<u64>, PathBuf)> = std::fs::read_dir(contract_dir())
        .unwrap()
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?.to_owned();
            let version = name
                .strip_prefix("openapi-")?
                .strip_suffix(".json")?
                .to_owned();
            let parts = version
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<Vec<u64>>>()?;
            Some((parts, path))
        })
        .collect();
    releases.sort();
    let (parts, path) = releases
        .pop()
        .expect("a released document in tests/contract");
    let version = parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".");
    (
        version,
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap(),
    )
}

/// The changelog's section for the coming version: the first `## [` section,
/// unless that is the last release's own.
fn coming_section(changelog: &str, released: &str) -> String {
    let mut sections = changelog.split("\n## [").skip(1);
    match sections.next() {
        Some(section) if !section.starts_with(&format!("{released}]")) => section.to_owned(),
        _ => String::new(),
    }
}

#[tokio::test]
async fn every_breaking_change_since_the_last_release_is_named_in_the_changelog() {
    let (released, before) = last_release();
    let after = served().await;
    let changelog =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("CHANGELOG.md"))
            .unwrap();
    let section = coming_section(&changelog, &released);

    let unnamed: Vec<String> = breaking_changes(&before, &after)
        .into_iter()
        .filter(|(what, _)| !section.contains(&format!("`{what}`")))
        .map(|(what, why)| format!("  `{what}`: {why}"))
        .collect();

    assert!(
        unnamed.is_empty(),
        "breaking changes since {released} that CHANGELOG.md does not name under the coming version:\n{}\n\
         name each (in backticks, as above) in the section after ## [Unreleased]",
        unnamed.join("\n")
    );
}

/// `(what, why)` for each way `after` breaks a client of `before`.
fn breaking_changes(before: &Value, after: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let empty = Map::new();
    let paths = |doc: &Value| doc["paths"].as_object().cloned().unwrap_or_default();
    let (old_paths, new_paths) = (paths(before), paths(after));
    for (path, item) in &old_paths {
        for method in ["get", "put", "post", "patch", "delete"] {
            let Some(old) = item.get(method) else {
                continue;
            };
            let what = format!("{} {path}", method.to_uppercase());
            let Some(new) = new_paths.get(path).and_then(|i| i.get(method)) else {
                out.push((what, "the operation was removed".into()));
                continue;
            };
            let required = |op: &Value| -> BTreeSet<String> {
                op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["required"] == true)
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect()
            };
            for name in required(new).difference(&required(old)) {
                out.push((
                    what.clone(),
                    format!("the parameter {name} is now required"),
                ));
            }
        }
    }
    let schemas = |doc: &Value| {
        doc["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default()
    };
    let (old_schemas, new_schemas) = (schemas(before), schemas(after));
    for (name, old) in &old_schemas {
        let new = new_schemas
            .get(name)
            .cloned()
            .unwrap_or(Value::Object(empty.clone()));
        compare(name, old, &new, &mut out);
    }
    out
}

/// Compares one schema (or property) and its properties, recursively.
fn compare(what: &str, old: &Value, new: &Value, out: &mut Vec<(String, String)>) {
    if let Some(why) = narrowed(old, new) {
        out.push((what.to_owned(), why));
    }
    let props = |s: &Value| s["properties"].as_object().cloned().unwrap_or_default();
    let (old_props, new_props) = (props(old), props(new));
    for (field, old_field) in &old_props {
        let at = format!("{what}.{field}");
        match new_props.get(field) {
            None => out.push((at, "the field was removed".into())),
            Some(new_field) => compare(&at, old_field, new_field, out),
        }
    }
    let required = |s: &Value| -> BTreeSet<String> {
        s["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect()
    };
    for field in required(new).difference(&required(old)) {
        out.push((
            format!("{what}.{field}"),
            "the field is now required".into(),
        ));
    }
    if old["items"].is_object() {
        compare(&format!("{what}[]"), &old["items"], &new["items"], out);
    }
}

/// The JSON types a schema admits: its `type`, `null` from a `oneOf` or
/// `anyOf` with a null branch, and `$ref`s by name.
fn admitted(schema: &Value) -> BTreeSet<String> {
    let mut types = BTreeSet::new();
    match &schema["type"] {
        Value::String(t) => {
            types.insert(t.clone());
        }
        Value::Array(ts) => types.extend(ts.iter().filter_map(|t| t.as_str().map(str::to_owned))),
        _ => {}
    }
    if let Some(target) = schema["$ref"].as_str() {
        types.insert(target.to_owned());
    }
    for key in ["oneOf", "anyOf"] {
        for branch in schema[key].as_array().into_iter().flatten() {
            types.extend(admitted(branch));
        }
    }
    types
}

/// Why `new` admits less than `old`, if it does.
fn narrowed(old: &Value, new: &Value) -> Option<String> {
    let (was, is) = (admitted(old), admitted(new));
    if !was.is_empty() && !was.is_subset(&is) && !is.is_empty() {
        return Some(format!("the type narrowed from {was:?} to {is:?}"));
    }
    let number = |s: &Value, k: &str| s[k].as_f64();
    for (key, tighter) in [
        ("maxLength", f64::lt as fn(&f64, &f64) -> bool),
        ("maximum", f64::lt),
        ("maxItems", f64::lt),
        ("minLength", f64::gt),
        ("minimum", f64::gt),
        ("minItems", f64::gt),
    ] {
        match (number(old, key), number(new, key)) {
            (Some(o), Some(n)) if tighter(&n, &o) => {
                return Some(format!("{key} went from {o} to {n}"));
            }
            (None, Some(n)) => return Some(format!("{key} {n} was added")),
            _ => {}
        }
    }
    if let Some(values) = old["enum"].as_array() {
        let allowed = new["enum"].as_array();
        if let Some(gone) = values
            .iter()
            .find(|v| allowed.is_some_and(|a| !a.contains(v)))
        {
            return Some(format!("the value {gone} is no longer allowed"));
        }
    } else if new["enum"].is_array() {
        return Some("the values are now limited to a list".into());
    }
    if new["pattern"] != old["pattern"] && new["pattern"].is_string() {
        return Some(format!("the pattern {} now applies", new["pattern"]));
    }
    None
}

#[cfg(test)]
mod detector {
    use super::*;
    use serde_json::json;

    fn doc(schema: Value, paths: Value) -> Value {
        json!({ "paths": paths, "components": { "schemas": { "Thing": schema } } })
    }

    fn named(before: Value, after: Value) -> Vec<String> {
        breaking_changes(&before, &after)
            .into_iter()
            .map(|(what, _)| what)
            .collect()
    }

    #[test]
    fn a_removed_operation_field_or_new_required_field_is_breaking() {
        let paths = json!({ "/things": { "get": {}, "post": {} } });
        let before = doc(
            json!({ "properties": { "a": { "type": "string" }, "b": { "type": "string" } } }),
            paths,
        );
        let after = doc(
            json!({ "properties": { "a": { "type": "string" }, "c": { "type": "string" } }, "required": ["c"] }),
            json!({ "/things": { "get": {} } }),
        );

        assert_eq!(named(before, after), ["POST /things", "Thing.b", "Thing.c"]);
    }

    #[test]
    fn a_narrower_type_length_or_value_list_is_breaking_and_a_wider_one_is_not() {
        let field = |f: Value| doc(json!({ "properties": { "f": f } }), json!({}));
        let cases = [
            (
                json!({ "type": ["string", "null"] }),
                json!({ "type": "string" }),
                true,
            ),
            (
                json!({ "type": "string", "maxLength": 50 }),
                json!({ "type": "string", "maxLength": 40 }),
                true,
            ),
            (
                json!({ "type": "string" }),
                json!({ "type": "string", "pattern": "^[^\\x00-\\x1f]*$" }),
                true,
            ),
            (
                json!({ "enum": ["a", "b"] }),
                json!({ "enum": ["a"] }),
                true,
            ),
            (
                json!({ "type": "string" }),
                json!({ "type": ["string", "null"] }),
                false,
            ),
            (
                json!({ "type": "string", "maxLength": 40 }),
                json!({ "type": "string", "maxLength": 50 }),
                false,
            ),
            (
                json!({ "enum": ["a"] }),
                json!({ "enum": ["a", "b"] }),
                false,
            ),
        ];
        for (old, new, breaking) in cases {
            let found = named(field(old.clone()), field(new.clone()));
            assert_eq!(!found.is_empty(), breaking, "{old} -> {new}: {found:?}");
        }
    }

    #[test]
    fn an_added_optional_field_or_operation_is_not_breaking() {
        let before = doc(
            json!({ "properties": { "a": { "type": "string" } } }),
            json!({ "/t": { "get": {} } }),
        );
        let after = doc(
            json!({ "properties": { "a": { "type": "string" }, "b": { "type": "string" } } }),
            json!({ "/t": { "get": {}, "post": {} } }),
        );

        assert!(named(before, after).is_empty());
    }

    #[test]
    fn only_the_section_of_the_coming_version_counts() {
        let changelog = "# Changelog\n\n## [Unreleased]\n- `Thing.b` removed\n\n## [0.1.0] - 2026-12-01\n- `Thing.c`\n";
        let released_only = "# Changelog\n\n## [0.1.0] - 2026-12-01\n- `Thing.b`\n";

        assert!(coming_section(changelog, "0.1.0").contains("`Thing.b`"));
        assert!(!coming_section(changelog, "0.1.0").contains("`Thing.c`"));
        assert_eq!(coming_section(released_only, "0.1.0"), "");
    }
}
