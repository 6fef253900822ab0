//! Rules the server enforces that the derive cannot write into the schemas,
//! written in after it, so that what the document allows is what the
//! server accepts:
//!
//! * **Text**: a bounded string is trimmed and then counted, and holds no
//!   control characters (free text, marked `x-multiline`, may break lines).
//!   Its `pattern` says exactly that ([`schema_pattern`]); a `maxLength`
//!   would count the white space the server trims, so the pattern carries
//!   the upper bound instead.
//! * **Responses** are what the server sends, not what it accepts: optional
//!   fields are left out rather than `null`, and a schema a request body
//!   shares (with `additionalProperties: false`) is copied in without it.
//! * **PATCH** bodies are merge patches: at least one field, `null` only for
//!   a field that may be absent.
//! * A few fields whose rule spans more than a type ([`one_offs`]).

use crate::domain::template::BUILT_IN;
use crate::domain::{Lines, Pillar, WHITE_SPACE, schema_pattern};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// Makes the derived document exact.
pub fn tighten(doc: &mut Value) {
    let requests = reachable(doc, &operation_parts(doc, &["requestBody", "parameters"]));
    responses_as_sent(doc, &requests);
    for name in &requests {
        text_rules(&mut doc["components"]["schemas"][name]);
    }
    for operation in operations_mut(doc) {
        if let Some(body) = operation.get_mut("requestBody") {
            text_rules(body);
        }
    }
    merge_patches(doc);
    one_offs(doc);
}

const SCHEMAS: &str = "#/components/schemas/";

/// The given members (`requestBody`, `responses`, …) of every operation.
fn operation_parts(doc: &Value, members: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for operation in item.as_object().into_iter().flat_map(|i| i.values()) {
            for member in members {
                if let Some(part) = operation.get(*member) {
                    out.push(part.clone());
                }
            }
        }
    }
    out
}

/// Every operation of the document.
fn operations_mut(doc: &mut Value) -> impl Iterator<Item = &mut Value> {
    doc["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
}

/// Every `$ref` target name in `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(to)) => {
                        if let Some(name) = to.strip_prefix(SCHEMAS) {
                            out.push(name.to_owned());
                        }
                    }
                    _ => refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// The component schemas `roots` refer to, directly or through others.
fn reachable(doc: &Value, roots: &[Value]) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = Vec::new();
    roots.iter().for_each(|r| refs(r, &mut todo));
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            refs(&doc["components"]["schemas"][&name], &mut todo);
        }
    }
    seen
}

/// Response schemas as the server sends them. Components only responses
/// use are rewritten in place; a request body's component is copied in.
fn responses_as_sent(doc: &mut Value, requests: &BTreeSet<String>) {
    let components = doc["components"]["schemas"].clone();
    let mut responses = reachable(doc, &operation_parts(doc, &["responses"]));
    responses.retain(|name| !requests.contains(name));
    for name in &responses {
        let schema = as_sent(&doc["components"]["schemas"][name], &components, requests);
        doc["components"]["schemas"][name] = schema;
    }
    for operation in operations_mut(doc) {
        let contents = operation["responses"]
            .as_object_mut()
            .into_iter()
            .flat_map(|r| r.values_mut())
            .filter_map(|r| r.get_mut("content"))
            .filter_map(Value::as_object_mut)
            .flat_map(|c| c.values_mut());
        for content in contents {
            if let Some(schema) = content.get_mut("schema") {
                *schema = as_sent(schema, &components, requests);
            }
        }
    }
}

/// `schema` as a response: request components inlined, `allOf` of objects
/// merged (a flattened request body otherwise forbids the row's own
/// fields), no `additionalProperties: false`, optional fields never `null`.
fn as_sent(schema: &Value, components: &Value, requests: &BTreeSet<String>) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    if let Some(Value::String(to)) = map.get("$ref") {
        let name = to.strip_prefix(SCHEMAS).unwrap_or_default();
        let target = &components[name];
        let object = target.get("properties").is_some() || target.get("allOf").is_some();
        return if requests.contains(name) && object {
            as_sent(target, components, requests)
        } else {
            schema.clone()
        };
    }
    let mut out = Map::new();
    for (key, value) in map {
        let value = match (key.as_str(), value) {
            ("properties", Value::Object(props)) => Value::Object(
                props
                    .iter()
                    .map(|(k, v)| (k.clone(), as_sent(v, components, requests)))
                    .collect(),
            ),
            ("items" | "additionalProperties", Value::Object(_)) => {
                as_sent(value, components, requests)
            }
            ("allOf" | "oneOf" | "anyOf", Value::Array(parts)) => Value::Array(
                parts
                    .iter()
                    .map(|p| as_sent(p, components, requests))
                    .collect(),
            ),
            ("additionalProperties", Value::Bool(false)) => continue,
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    merge_all_of(&mut out);
    let required: Vec<Value> = out
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(Value::Object(props)) = out.get_mut("properties") {
        for (name, prop) in props.iter_mut() {
            if !required.contains(&Value::String(name.clone())) {
                strip_null(prop);
            }
        }
    }
    Value::Object(out)
}

/// An `allOf` of plain objects becomes one object with all their fields.
fn merge_all_of(schema: &mut Map<String, Value>) {
    let Some(Value::Array(parts)) = schema.get("allOf") else {
        return;
    };
    if !parts.iter().all(|p| p.get("properties").is_some()) {
        return;
    }
    let parts = parts.clone();
    schema.remove("allOf");
    schema.insert("type".into(), json!("object"));
    let mut properties = Map::new();
    let mut required = Vec::new();
    for part in parts {
        if let Some(props) = part["properties"].as_object() {
            properties.extend(props.clone());
        }
        required.extend(part["required"].as_array().cloned().unwrap_or_default());
    }
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
}

/// Removes `null` from what a property may be.
fn strip_null(prop: &mut Value) {
    if let Some(Value::Array(types)) = prop.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            prop["type"] = types[0].clone();
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(parts)) = prop.get_mut(key) {
            parts.retain(|p| p["type"] != "null");
            if parts.len() == 1 {
                let only = parts[0].clone();
                let map = prop.as_object_mut().expect("an object");
                map.remove(key);
                if let Value::Object(only) = only {
                    map.extend(only);
                }
            }
        }
    }
}

/// Every bounded string in `schema` gets the pattern of the trimmed-text
/// rule in place of its `maxLength`.
fn text_rules(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let string = match map.get("type") {
                Some(Value::String(t)) => t == "string",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => false,
            };
            let plain = !["pattern", "format", "enum"]
                .iter()
                .any(|k| map.contains_key(*k));
            if let (true, true, Some(max)) = (string, plain, map.get("maxLength").cloned()) {
                let max = max.as_u64().unwrap_or_default() as usize;
                let min = map.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
                let lines = if map.get("x-multiline") == Some(&Value::Bool(true)) {
                    Lines::Multi
                } else {
                    Lines::Single
                };
                map.remove("maxLength");
                map.insert("pattern".into(), json!(schema_pattern(min, max, lines)));
                let rule = format!(
                    "Trimmed, then {min}–{max} characters{}.",
                    match lines {
                        Lines::Single => ", one line",
                        Lines::Multi => "; line breaks are kept",
                    }
                );
                let description = match map.get("description").and_then(Value::as_str) {
                    Some(d) => format!("{d} {rule}"),
                    None => rule,
                };
                map.insert("description".into(), json!(description));
            }
            map.values_mut().for_each(text_rules);
        }
        Value::Array(items) => items.iter_mut().for_each(text_rules),
        _ => {}
    }
}

/// A PATCH body is a JSON merge patch: it names at least one field, and
/// `null` (which removes a field) only where the field may be absent. A
/// PATCH that takes a create's body (one with required fields) gets a patch
/// form of it; a body of its own already says which fields take `null`.
fn merge_patches(doc: &mut Value) {
    let mut bodies: Vec<String> = patch_bodies(doc)
        .filter_map(|b| b["$ref"].as_str()?.strip_prefix(SCHEMAS).map(str::to_owned))
        .collect();
    bodies.sort();
    bodies.dedup();
    let schemas = doc["components"]["schemas"]
        .as_object_mut()
        .expect("the document has schemas");
    let mut renamed = Vec::new();
    for name in bodies {
        let mut form = schemas[&name].clone();
        let required = form.as_object_mut().and_then(|f| f.remove("required"));
        form["minProperties"] = json!(1);
        let Some(Value::Array(required)) = required else {
            schemas.insert(name, form);
            continue;
        };
        if let Some(Value::Object(props)) = form.get_mut("properties") {
            for (field, prop) in props.iter_mut() {
                if required.contains(&Value::String(field.clone())) {
                    strip_null(prop);
                } else {
                    allow_null(prop);
                }
            }
        }
        let patch = format!("{name}Patch");
        schemas.insert(patch.clone(), form);
        renamed.push((name, patch));
    }
    for body in patch_bodies(doc) {
        for (name, patch) in &renamed {
            if body["$ref"] == format!("{SCHEMAS}{name}") {
                *body = json!({ "$ref": format!("{SCHEMAS}{patch}") });
            }
        }
    }
}

/// The JSON body schema of every PATCH operation.
fn patch_bodies(doc: &mut Value) -> impl Iterator<Item = &mut Value> {
    doc["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(|item| item.get_mut("patch"))
        .filter_map(|op| op.pointer_mut("/requestBody/content/application~1json/schema"))
}

/// Adds `null` to what a property may be.
fn allow_null(prop: &mut Value) {
    match prop.get_mut("type") {
        Some(Value::Array(types)) => {
            if !types.contains(&json!("null")) {
                types.push(json!("null"));
            }
        }
        Some(Value::String(t)) => {
            let t = t.clone();
            prop["type"] = json!([t, "null"]);
        }
        _ => {
            let nullable = prop
                .get("oneOf")
                .and_then(Value::as_array)
                .is_some_and(|ps| ps.iter().any(|p| p["type"] == "null"));
            if !nullable {
                let inner = prop.clone();
                *prop = json!({ "oneOf": [{ "type": "null" }, inner] });
            }
        }
    }
}

/// Rules that span more than one field's type.
fn one_offs(doc: &mut Value) {
    let built_in: Vec<&str> = BUILT_IN.iter().map(|t| t.id).collect();
    let template = json!({
        "anyOf": [
            { "type": "string", "enum": built_in },
            { "type": "string", "format": "uuid" },
        ],
    });
    let mut optional_template = template.clone();
    optional_template["anyOf"]
        .as_array_mut()
        .expect("a list")
        .push(json!({ "type": "null" }));
    let schemas = &mut doc["components"]["schemas"];

    // A checklist needs a name unless it copies a template's.
    let create = &mut schemas["CreateChecklist"];
    create["anyOf"] = json!([
        { "required": ["name"], "properties": { "name": { "type": "string" } } },
        { "required": ["template"], "properties": { "template": { "type": "string" } } },
    ]);
    let description = create["properties"]["template"]["description"].clone();
    create["properties"]["template"] = optional_template;
    create["properties"]["template"]["description"] = description;

    // A next review written as a date must be one; anything else is a milestone.
    let next = &mut schemas["ComplianceRhythm"]["properties"]["nextReview"];
    let text = next.clone();
    let date_shaped = format!("^[{WHITE_SPACE}]*[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}[{WHITE_SPACE}]*$");
    *next = json!({
        "description": text["description"],
        "anyOf": [
            { "type": "string", "format": "date" },
            { "type": "string", "pattern": text["pattern"], "not": { "pattern": date_shaped } },
            { "type": "null" },
        ],
    });

    // Every pillar scored exactly once, in any order: four scores, each
    // pillar among them.
    let pillars: Vec<Value> = Pillar::ALL
        .iter()
        .map(|p| json!({ "contains": { "properties": { "pillar": { "const": p.as_str() } } } }))
        .collect();
    schemas["AssessmentBody"]["properties"]["scores"]["allOf"] = Value::Array(pillars);

    // An evidence link is an http(s) URL with a host name.
    schemas["ScoreBody"]["properties"]["links"]["items"] = json!({
        "type": "string",
        "maxLength": 2048,
        "pattern": "^[hH][tT][tT][pP][sS]?://(?:[A-Za-z0-9-]+\\.)*[A-Za-z][A-Za-z0-9-]*(?::[0-9]{1,4})?(?:[/?#][!-~]*)?$",
    });

    // The template a path names: built in, or a custom one's UUID.
    if let Some(parameters) =
        doc["paths"]["/api/v1/templates/{templateId}"]["delete"]["parameters"].as_array_mut()
    {
        for parameter in parameters {
            parameter["schema"] = template.clone();
        }
    }
}
