//! The OpenAPI document and the live routes must agree, and the document
//! must say what the server answers and enforces.

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

/// Every operation with its method and path.
fn each_operation(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            out.push((method.clone(), path.clone(), operation));
        }
    }
    out
}

#[tokio::test]
async fn every_operation_declares_what_its_kind_of_route_can_answer() {
    let doc = document().await;

    for (method, path, operation) in each_operation(&doc) {
        let responses = operation["responses"].as_object().unwrap();
        let declared = |status: &str| responses.contains_key(status);
        let mut expected = Vec::new();
        if operation.get("requestBody").is_some() {
            expected.extend(["400", "413", "415"]);
        }
        if path.contains('{') {
            expected.extend(["400", "404"]);
        }
        if operation.get("security").is_some() {
            expected.push("401");
        }
        if path.starts_with("/api/") {
            expected.extend(["429", "503"]);
        }
        for status in expected {
            assert!(
                declared(status),
                "{method} {path} does not declare {status}"
            );
        }
    }
}

#[tokio::test]
async fn every_error_an_operation_declares_is_a_problem() {
    let doc = document().await;

    for (method, path, operation) in each_operation(&doc) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            if !(status.starts_with('4') || status.starts_with('5')) || path == "/ready" {
                continue;
            }
            assert_eq!(
                response["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{method} {path} {status}"
            );
        }
    }
}

#[tokio::test]
async fn bounded_text_carries_the_trimmed_text_rule_as_a_pattern() {
    let doc = document().await;
    let schemas = &doc["components"]["schemas"];
    let name = &schemas["CreateProject"]["properties"]["name"];
    let description = &schemas["CreateProject"]["properties"]["description"];

    let pattern = name["pattern"].as_str().expect("a pattern");
    assert!(
        pattern.contains(r"\u0000-\u001f"),
        "no control characters: {pattern}"
    );
    assert!(pattern.contains("{1,48}"), "3–50 after trimming: {pattern}");
    assert_eq!(name["minLength"], 3);
    assert!(
        name.get("maxLength").is_none(),
        "it would count what is trimmed"
    );
    let free = description["pattern"].as_str().unwrap();
    assert!(
        free.contains(r"\u000e-"),
        "free text keeps line breaks: {free}"
    );
    // What the server sends is already trimmed.
    assert_eq!(schemas["Project"]["properties"]["name"]["maxLength"], 50);
}

#[tokio::test]
async fn a_patch_names_a_field_and_takes_null_only_where_one_may_be_cleared() {
    let doc = document().await;
    let schemas = &doc["components"]["schemas"];
    let row_patch = "/api/v1/projects/{projectId}/north-star/rows/{rowId}";
    let body = &doc["paths"][row_patch]["patch"]["requestBody"]["content"]["application/json"];

    let project = &schemas["UpdateProject"];
    assert_eq!(project["minProperties"], 1);
    assert_eq!(project["additionalProperties"], false);
    assert_eq!(project["properties"]["name"]["type"], "string");
    assert_eq!(
        project["properties"]["description"]["type"],
        serde_json::json!(["string", "null"])
    );
    assert_eq!(
        schemas["UpdateTask"]["properties"]["status"]["$ref"],
        "#/components/schemas/TaskStatus"
    );
    assert_eq!(
        body["schema"]["$ref"],
        "#/components/schemas/AlignmentRowPatch"
    );
    let row = &schemas["AlignmentRowPatch"];
    assert_eq!(row["minProperties"], 1);
    assert!(row.get("required").is_none());
    assert_eq!(row["properties"]["goal"]["type"], "string");
    assert_eq!(
        row["properties"]["risks"]["type"],
        serde_json::json!(["string", "null"])
    );
}

#[tokio::test]
async fn responses_leave_optional_fields_out_rather_than_null() {
    let doc = document().await;
    let schemas = &doc["components"]["schemas"];

    assert_eq!(
        schemas["Project"]["properties"]["description"]["type"],
        "string"
    );
    assert_eq!(schemas["Task"]["properties"]["notes"]["type"], "string");
    let row = &schemas["RowView_AlignmentRow"];
    assert!(row.get("additionalProperties").is_none(), "{row}");
    for field in ["id", "goal", "risks", "createdAt"] {
        assert!(
            row["properties"].get(field).is_some(),
            "a row shows {field}"
        );
    }
}

#[tokio::test]
async fn paging_parameters_say_what_the_server_takes() {
    let doc = document().await;
    let parameters = doc["paths"]["/api/v1/audit"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let named = |name: &str| {
        parameters
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };

    assert_eq!(named("limit")["schema"]["minimum"], 1);
    assert_eq!(named("limit")["schema"]["maximum"], 200);
    assert_eq!(named("cursor")["schema"]["format"], "uuid");
}
