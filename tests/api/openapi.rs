//! The OpenAPI document and the live routes must agree.

use crate::helpers::spawn_app;
use serde_json::Value;

/// Every route of the v1 contract (DESIGN §2), as method and path template.
const CONTRACT: &[(&str, &str)] = &[
    ("get", "/api/v1/projects"),
    ("post", "/api/v1/projects"),
    ("get", "/api/v1/projects/{projectId}"),
    ("patch", "/api/v1/projects/{projectId}"),
    ("delete", "/api/v1/projects/{projectId}"),
    ("post", "/api/v1/projects/{projectId}/checklists"),
    (
        "patch",
        "/api/v1/projects/{projectId}/checklists/{checklistId}",
    ),
    (
        "delete",
        "/api/v1/projects/{projectId}/checklists/{checklistId}",
    ),
    (
        "post",
        "/api/v1/projects/{projectId}/checklists/{checklistId}/tasks",
    ),
    (
        "patch",
        "/api/v1/projects/{projectId}/checklists/{checklistId}/tasks/{taskId}",
    ),
    (
        "delete",
        "/api/v1/projects/{projectId}/checklists/{checklistId}/tasks/{taskId}",
    ),
];

async fn document() -> Value {
    let app = spawn_app().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete", "head", "options"]
                .contains(&method.as_str())
            {
                ops.push((method.clone(), path.clone()));
            }
        }
    }
    ops
}

#[tokio::test]
async fn the_document_is_openapi_3_1() {
    let doc = document().await;

    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "LaunchPad API");
}

#[tokio::test]
async fn the_document_lists_every_contract_route() {
    let doc = document().await;
    let documented = operations(&doc);

    for (method, path) in CONTRACT {
        assert!(
            documented.contains(&(method.to_string(), path.to_string())),
            "{method} {path} is not documented"
        );
    }
}

#[tokio::test]
async fn every_documented_operation_is_served_by_a_real_route() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let id = "0190f5a2-7b3c-7def-8abc-0123456789ab";

    for (method, path) in operations(&doc) {
        let concrete = path
            .replace("{projectId}", id)
            .replace("{checklistId}", id)
            .replace("{taskId}", id);
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = app
            .client
            .request(method.clone(), app.url(&concrete))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_ne!(
            status, 405,
            "{method} {path} is documented but the server has no such method"
        );
        assert_ne!(
            body["type"], "urn:launchpad:problem:no-route",
            "{method} {path} is documented but not routed"
        );
    }
}

#[tokio::test]
async fn every_routed_operation_is_documented() {
    // Probe each method on each documented path template: whatever the
    // server routes (anything but 405 / no-route) must be in the document.
    let app = spawn_app().await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let documented = operations(&doc);
    let id = "0190f5a2-7b3c-7def-8abc-0123456789ab";
    let paths: std::collections::BTreeSet<String> =
        documented.iter().map(|(_, p)| p.clone()).collect();

    for path in paths {
        let concrete = path
            .replace("{projectId}", id)
            .replace("{checklistId}", id)
            .replace("{taskId}", id);
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let response = app
                .client
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    app.url(&concrete),
                )
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            let routed = status != 405 && body["type"] != "urn:launchpad:problem:no-route";
            let pair = (method.to_lowercase(), path.clone());
            assert_eq!(
                routed,
                documented.contains(&pair),
                "{method} {path}: routed={routed} but documented={}",
                !routed
            );
        }
    }
}

#[tokio::test]
async fn documented_schemas_use_the_contract_field_names() {
    let doc = document().await;
    let schemas = &doc["components"]["schemas"];

    let project: Vec<&str> = schemas["Project"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let task: Vec<&str> = schemas["Task"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();

    for field in [
        "id",
        "name",
        "description",
        "ownerEmail",
        "createdAt",
        "updatedAt",
        "checklists",
    ] {
        assert!(project.contains(&field), "Project lacks {field}");
    }
    for field in [
        "id",
        "checklistId",
        "title",
        "status",
        "notes",
        "dueDate",
        "createdAt",
        "updatedAt",
    ] {
        assert!(task.contains(&field), "Task lacks {field}");
    }
}

/// Every `$ref` string anywhere in `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => out.push(target.clone()),
                    _ => refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_schema_the_document_refers_to_is_in_its_components() {
    let doc = document().await;
    let mut all = Vec::new();
    refs(&doc, &mut all);

    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let missing: Vec<&String> = all
        .iter()
        .filter(|r| {
            r.strip_prefix("#/components/schemas/")
                .is_none_or(|name| !schemas.contains_key(name))
        })
        .collect();
    assert!(missing.is_empty(), "unresolved: {missing:?}");
}

#[tokio::test]
async fn retry_safe_posts_declare_the_idempotency_key_and_changes_declare_if_match() {
    let doc = document().await;
    let op = |method: &str, path: &str| doc["paths"][path][method].clone();
    let header = |op: &Value, name: &str| {
        op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["in"] == "header" && p["name"] == name)
    };

    let create = op("post", "/api/v1/projects");
    assert!(header(&create, "Idempotency-Key"), "{create}");
    for status in ["409", "422"] {
        assert!(
            create["responses"][status].is_object(),
            "{status}: {create}"
        );
    }
    assert!(
        create["responses"]["201"]["headers"]["Idempotent-Replayed"].is_object(),
        "{create}"
    );
    let login = op("post", "/api/v1/auth/login");
    assert!(
        !header(&login, "Idempotency-Key"),
        "a sign-in keeps nothing"
    );
    for method in ["patch", "delete"] {
        let change = op(
            method,
            "/api/v1/projects/{projectId}/checklists/{checklistId}/tasks/{taskId}",
        );
        assert!(header(&change, "If-Match"), "{method}: {change}");
        for status in ["412", "428"] {
            assert!(change["responses"][status].is_object(), "{method} {status}");
        }
    }
    let read = op("get", "/api/v1/projects/{projectId}");
    assert!(header(&read, "If-None-Match"), "{read}");
    assert!(read["responses"]["304"].is_object(), "{read}");
}
