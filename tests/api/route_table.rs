//! The route table is the whole API: every route in it is registered with
//! the access it declares, answering 401 to a caller without credentials
//! unless it is public, and the OpenAPI document lists the same routes with
//! matching security.

use crate::helpers::spawn_app_with;
use launchpad::http::access::Access;
use launchpad::http::table::routes;
use serde_json::Value;

/// A concrete path for a pattern: every `{id}` becomes a valid UUID.
fn concrete(pattern: &str) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        out.push_str("0190f5a2-7b3c-7def-8abc-0123456789ab");
        rest = &rest[rest.find('}').unwrap() + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn every_route_in_the_table_is_registered_and_guarded_as_it_declares() {
    let app = spawn_app_with(&[("LAUNCHPAD_ANONYMOUS_ROLE", "none")]).await;

    for route in routes() {
        let url = app.url(&concrete(&route.pattern));
        let response = app
            .client
            .request(route.method.as_str().parse().unwrap(), &url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert_ne!(
            status, 405,
            "{} {} is not registered",
            route.method, route.pattern
        );
        match route.access {
            Access::Public => assert!(
                ![401, 403].contains(&status),
                "{} {} is public but answered {status}",
                route.method,
                route.pattern
            ),
            _ => assert_eq!(
                status, 401,
                "{} {} needs credentials but answered {status}",
                route.method, route.pattern
            ),
        }
    }
}

#[tokio::test]
async fn the_document_lists_exactly_the_tables_documented_routes_with_their_security() {
    let app = spawn_app_with(&[]).await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();

    let mut listed = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            listed += 1;
            let route = routes()
                .iter()
                .find(|r| r.pattern == *path && r.method.as_str().eq_ignore_ascii_case(method))
                .unwrap_or_else(|| panic!("{method} {path} is documented but not in the table"));
            let secured = operation.get("security").is_some();
            assert_eq!(
                secured,
                route.access != Access::Public,
                "{method} {path}: security does not match its access"
            );
        }
    }
    let documented = routes().iter().filter(|r| r.operation.is_some()).count();
    assert_eq!(listed, documented);
    assert!(doc["components"]["securitySchemes"]["bearerToken"].is_object());
    assert!(doc["components"]["securitySchemes"]["sessionCookie"].is_object());
}
