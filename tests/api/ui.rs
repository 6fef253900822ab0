//! The browser UI as the server hands it out: the index at `/` and at every
//! UI route, versioned assets cached for a year, gzip, ETags, and a policy
//! that lets nothing inline or foreign run.

use crate::helpers::{TestApp, problem, spawn_app};
use reqwest::StatusCode;
use std::io::Read;
use std::path::{Path, PathBuf};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
        .to_owned()
}

async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("request sent")
}

/// The `/assets/<version>/…` URLs the index names.
fn asset_urls(index: &str) -> Vec<String> {
    index
        .split('"')
        .filter(|part| part.starts_with("/assets/"))
        .map(str::to_owned)
        .collect()
}

fn web_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("web/ is readable") {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("web"),
        &mut files,
    );
    files
}

#[tokio::test]
async fn the_ui_is_served_at_the_root_and_revalidated_on_every_load() {
    let app = spawn_app().await;

    let response = app.get("/").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    assert_eq!(header(&response, "cache-control"), "no-cache");
    let body = response.text().await.unwrap();
    assert!(
        body.contains("<script type=\"module\" src=\"/assets/"),
        "{body}"
    );
    assert!(!body.contains("__ASSETS__"), "the asset token was left in");
}

#[tokio::test]
async fn the_ui_footer_names_the_release_from_cargo_toml() {
    let app = spawn_app().await;

    let body = app.get("/").await.text().await.unwrap();

    let release = format!(
        "<span class=\"release\" id=\"release\">{}</span>",
        env!("CARGO_PKG_VERSION")
    );
    assert!(body.contains(&release), "{body}");
    assert!(
        !body.contains("__RELEASE__"),
        "the release token was left in"
    );
}

#[tokio::test]
async fn a_ui_route_falls_back_to_the_index() {
    let app = spawn_app().await;
    let index = app.get("/").await.text().await.unwrap();

    let response = app
        .get("/projects/0190f5a2-7b3c-7def-8abc-0123456789ab")
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    assert_eq!(response.text().await.unwrap(), index);
}

#[tokio::test]
async fn an_unknown_api_path_stays_a_problem_404() {
    let app = spawn_app().await;

    let body = problem(app.get("/api/v1/nope").await, StatusCode::NOT_FOUND).await;

    assert_eq!(body["type"], "urn:launchpad:problem:no-route");
}

#[tokio::test]
async fn an_unknown_path_under_a_project_is_a_problem_404_like_any_other() {
    let app = spawn_app().await;
    let project = "0190f5a2-7b3c-7def-8abc-0123456789ab";

    for path in [
        format!("/api/v1/projects/{project}/nope"),
        format!("/api/v1/projects/{project}/scorecard/extra"),
        format!("/api/v1/projects/{project}/checklists/x/tasks/y/z"),
    ] {
        let body = problem(app.get(&path).await, StatusCode::NOT_FOUND).await;

        assert_eq!(body["type"], "urn:launchpad:problem:no-route", "{path}");
    }
}

#[tokio::test]
async fn a_missing_file_is_a_404_not_the_index() {
    let app = spawn_app().await;

    let response = app.get("/assets/0/js/no-such-module.js").await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_asset_the_index_names_is_served_with_a_year_long_cache() {
    let app = spawn_app().await;
    let index = app.get("/").await.text().await.unwrap();
    let urls = asset_urls(&index);
    assert!(urls.len() >= 3, "the index names too few assets: {urls:?}");

    for url in urls {
        let response = app.get(&url).await;

        assert_eq!(response.status(), StatusCode::OK, "{url}");
        assert_eq!(header(&response, "cache-control"), IMMUTABLE, "{url}");
        assert!(response.headers().contains_key("etag"), "{url}");
    }
}

#[tokio::test]
async fn an_asset_under_an_old_version_is_not_cached_for_long() {
    let app = spawn_app().await;

    let response = app.get("/assets/000000000000/css/app.css").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "cache-control"), "no-cache");
}

#[tokio::test]
async fn assets_are_gzipped_for_clients_that_accept_it() {
    let app = spawn_app().await;
    let index = app.get("/").await.text().await.unwrap();
    let script = asset_urls(&index)
        .into_iter()
        .find(|u| u.ends_with("main.js"))
        .expect("the index loads main.js");
    let plain = app.get(&script).await;
    let plain_vary = header(&plain, "vary");
    let plain_body = plain.bytes().await.unwrap();

    let packed = get_with(&app, &script, &[("accept-encoding", "gzip, br")]).await;

    assert_eq!(header(&packed, "content-encoding"), "gzip");
    assert_eq!(
        header(&packed, "content-type"),
        "text/javascript; charset=utf-8"
    );
    for vary in [plain_vary, header(&packed, "vary")] {
        assert!(vary.contains("Accept-Encoding"), "{vary}");
    }
    let body = packed.bytes().await.unwrap();
    assert!(body.len() < plain_body.len());
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut unpacked)
        .expect("valid gzip");
    assert_eq!(unpacked, plain_body);
}

#[tokio::test]
async fn a_client_without_gzip_gets_the_plain_file() {
    let app = spawn_app().await;

    let response = get_with(&app, "/", &[("accept-encoding", "identity")]).await;

    assert!(response.headers().get("content-encoding").is_none());
    assert!(
        response
            .text()
            .await
            .unwrap()
            .starts_with("<!doctype html>")
    );
}

#[tokio::test]
async fn a_matching_etag_is_answered_304_without_a_body() {
    let app = spawn_app().await;
    for (path, encoding) in [("/", "gzip"), ("/", "identity"), ("/img/icon.svg", "gzip")] {
        let first = get_with(&app, path, &[("accept-encoding", encoding)]).await;
        let etag = header(&first, "etag");

        let again = get_with(
            &app,
            path,
            &[("accept-encoding", encoding), ("if-none-match", &etag)],
        )
        .await;

        assert_eq!(
            again.status(),
            StatusCode::NOT_MODIFIED,
            "{path} {encoding}"
        );
        assert_eq!(header(&again, "etag"), etag);
        assert!(again.bytes().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_stale_etag_gets_the_whole_file() {
    let app = spawn_app().await;

    let response = get_with(&app, "/", &[("if-none-match", "\"0123456789\"")]).await;

    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_ui_policy_allows_nothing_inline_and_the_api_keeps_its_strict_one() {
    let app = spawn_app().await;

    let ui = header(&app.get("/").await, "content-security-policy");
    let api = header(
        &app.get("/api/v1/projects").await,
        "content-security-policy",
    );

    assert!(!ui.contains("unsafe-inline"), "{ui}");
    assert!(!ui.contains("unsafe-eval"), "{ui}");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(ui.contains(directive), "{directive} missing from {ui}");
    }
    assert_eq!(api, "default-src 'none'; frame-ancestors 'none'");
}

#[test]
fn the_ui_files_reference_no_other_origin() {
    // The SVG namespace is a name, never fetched.
    const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";
    for path in web_files() {
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let rest = text.replace(SVG_NAMESPACE, "");
        for needle in ["http://", "https://", "url(//", "src=\"//", "href=\"//"] {
            assert!(
                !rest.contains(needle),
                "{} references another origin ({needle})",
                path.display()
            );
        }
    }
}

#[test]
fn the_ui_has_no_inline_script_or_style() {
    for path in web_files() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let name = path.display();
        match path.extension().and_then(|e| e.to_str()) {
            Some("html") => {
                assert!(!text.contains("style="), "{name} has a style attribute");
                assert!(!text.contains("<style"), "{name} has a style element");
                let handler = text.match_indices(" on").any(|(i, _)| {
                    let rest = &text[i + 3..];
                    let len = rest.chars().take_while(char::is_ascii_lowercase).count();
                    len > 0 && rest[len..].starts_with('=')
                });
                assert!(!handler, "{name} has an inline event handler");
                for tag in text.split("<script").skip(1) {
                    assert!(
                        tag.starts_with(" type=\"module\" src="),
                        "{name}: inline script"
                    );
                }
            }
            Some("js") => {
                assert!(!text.contains("innerHTML"), "{name} writes markup");
                assert!(!text.contains("'style'"), "{name} sets a style attribute");
            }
            _ => {}
        }
    }
}

#[test]
fn every_module_import_names_a_file_that_exists() {
    for path in web_files() {
        if path.extension().is_none_or(|e| e != "js") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for part in text.split(" from '").skip(1) {
            let target = part.split('\'').next().unwrap();
            let resolved = path.parent().unwrap().join(target);
            assert!(
                resolved.exists(),
                "{} imports {target}, which does not exist",
                path.display()
            );
        }
    }
}
