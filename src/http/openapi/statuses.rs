//! The statuses whole classes of routes can answer, declared from the route
//! table rather than on every handler: what the access layer refuses (401,
//! 403, 429), what body parsing refuses (400, 413, 415), what a bad path id
//! or query parameter gets (400), what a missing record gets (404) and what
//! an unavailable store gets (503, `urn:launchpad:problem:disk-full` when
//! the disk is full). A status a handler already declares keeps its
//! description; every error status gets the problem+json body.
//!
//! 405 is not declared on any operation: it answers the methods a path has
//! no operation for, each with an `Allow` header.

use crate::http::access::Access;
use crate::http::error::PROBLEM_JSON;
use crate::http::table::{self, Route};
use actix_web::http::Method;
use serde_json::{Map, Value, json};

/// Adds the statuses each documented route's kind implies.
pub fn declare(doc: &mut Value) {
    for route in table::routes() {
        if route.operation.is_none() {
            continue;
        }
        let method = route.method.as_str().to_lowercase();
        let Some(operation) = doc["paths"][&route.pattern][&method].as_object_mut() else {
            continue;
        };
        for (status, description, headers) in implied(route, operation) {
            add(operation, status, description, headers);
        }
        finish_problems(operation);
    }
}

type Implied = (&'static str, &'static str, &'static [&'static str]);

/// The statuses `route` can answer whatever its handler does.
fn implied(route: &Route, operation: &Map<String, Value>) -> Vec<Implied> {
    let api = route.pattern.starts_with("/api/");
    let body = operation.contains_key("requestBody");
    let path_ids = route.pattern.contains('{');
    let query = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
    let changes = route.method != Method::GET;
    let mut out: Vec<Implied> = Vec::new();
    if body || path_ids || query {
        out.push((
            "400",
            "Bad input: a malformed body, a field that breaks its rule, a path id that is not a UUID or a bad query parameter, each named in `errors`",
            &[],
        ));
    }
    if route.access != Access::Public {
        out.push((
            "401",
            "No credentials, or ones that are not valid: send a bearer token or sign in",
            &["WWW-Authenticate"],
        ));
    }
    let role = matches!(route.access, Access::Role(_));
    if role || (changes && route.access != Access::Public) {
        out.push((
            "403",
            "The caller's role is too low, or a change signed in by cookie did not come from this site",
            &[],
        ));
    }
    if path_ids {
        out.push(("404", "A record the path names does not exist", &[]));
    }
    if body {
        out.push(("413", "The body is larger than the limit", &[]));
        out.push((
            "415",
            "The body is not sent as JSON (Content-Type: application/json)",
            &[],
        ));
    }
    if api {
        out.push((
            "429",
            "The caller's request budget is spent; see Retry-After",
            &["Retry-After"],
        ));
        out.push((
            "503",
            "The store cannot be read or written right now; nothing was written. A full disk has the type urn:launchpad:problem:disk-full. See Retry-After",
            &["Retry-After"],
        ));
    }
    out
}

/// Declares `status` unless the handler did.
fn add(operation: &mut Map<String, Value>, status: &str, description: &str, headers: &[&str]) {
    let responses = operation
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("responses are an object");
    if responses.contains_key(status) {
        return;
    }
    let mut response = json!({ "description": description });
    if !headers.is_empty() {
        let headers: Map<String, Value> = headers
            .iter()
            .map(|name| {
                (
                    (*name).to_owned(),
                    json!({ "schema": { "type": "string" } }),
                )
            })
            .collect();
        response["headers"] = Value::Object(headers);
    }
    responses.insert(status.to_owned(), response);
}

/// Every error status without a body of its own answers a problem.
fn finish_problems(operation: &mut Map<String, Value>) {
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (status, response) in responses.iter_mut() {
        let error = status.starts_with('4') || status.starts_with('5');
        if error && response.get("content").is_none() {
            response["content"] = json!({
                (PROBLEM_JSON): { "schema": { "$ref": "#/components/schemas/Problem" } }
            });
        }
    }
}
