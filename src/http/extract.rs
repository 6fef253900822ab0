//! Turning raw requests into typed input, with errors that name the field.
//!
//! Bodies are read by hand rather than with actix's `Json` extractor so that
//! every refusal (wrong media type, too large, not UTF-8, not an object,
//! malformed, wrong type, unknown or duplicate field) becomes a problem
//! document that says exactly what to fix.

use super::error::{ApiError, FieldError};
use actix_web::dev::Payload;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// The largest request body accepted, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON object body deserialized into `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<BodyLimit>().map_or(64 * 1024, |l| l.0);
        let checked = check_headers(req, limit);
        let mut payload = payload.take();
        Box::pin(async move {
            checked?;
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::MalformedBody(format!("the request body could not be read: {e}"))
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(JsonBody)
        })
    }
}

fn check_headers(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if is_json_media_type(content_type) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

/// `application/json` or `application/<anything>+json`, in UTF-8 if a charset is given.
fn is_json_media_type(value: &str) -> bool {
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let json = essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"));
    let utf8 = parts.all(|param| match param.trim().split_once('=') {
        Some((name, charset)) if name.trim().eq_ignore_ascii_case("charset") => {
            matches!(
                charset
                    .trim()
                    .trim_matches('"')
                    .to_ascii_lowercase()
                    .as_str(),
                "utf-8" | "utf8"
            )
        }
        _ => true,
    });
    json && utf8
}

/// Parses a JSON object into `T`, naming the offending field on failure.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        ApiError::MalformedBody(format!(
            "the body is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        ))
    })?;
    match text.trim_start().chars().next() {
        None => {
            return Err(ApiError::MalformedBody(
                "the request body is empty; send a JSON object".into(),
            ));
        }
        Some('{') => {}
        Some(_) => {
            return Err(ApiError::MalformedBody(
                "the body must be a JSON object".into(),
            ));
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        field_error(&path, e.into_inner())
    })?;
    de.end().map_err(|e| field_error(".", e))?;
    Ok(value)
}

fn field_error(path: &str, e: serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    let message = strip_position(&e.to_string());
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::MalformedBody(format!(
            "malformed JSON at line {} column {}: {message}",
            e.line(),
            e.column()
        )),
        Category::Data => ApiError::Validation(vec![reworded(path, &message)]),
    }
}

/// A serde error at `path` said the way LaunchPad's own messages are: the
/// field it is about, and what that field must be. A message that names its
/// own field (unknown, missing or duplicate) is about that field, inside
/// `path`; one serde did not write (a domain rule's) is kept as it is.
pub fn reworded(path: &str, message: &str) -> FieldError {
    let top = path == "." || path.is_empty();
    let inside = |name: &str| match top {
        true => name.to_owned(),
        false if path == name || path.ends_with(&format!(".{name}")) => path.to_owned(),
        false => format!("{path}.{name}"),
    };
    let here = if top {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    let named = quoted_name(message).unwrap_or_default();
    if message.starts_with("missing field `") {
        return FieldError::new(inside(named), "is required");
    }
    if message.starts_with("duplicate field `") {
        return FieldError::new(inside(named), "is given more than once");
    }
    if message.starts_with("unknown field `") {
        let known = match choices(message) {
            Some(list) => format!("is not a known field; expected one of: {list}"),
            None => "is not a known field".to_owned(),
        };
        return FieldError::new(inside(named), known);
    }
    if message.starts_with("unknown variant `") {
        let allowed = choices(message).unwrap_or_default();
        return FieldError::new(here, format!("must be one of: {allowed}"));
    }
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((got, expected)) = rest.rsplit_once(", expected ")
        {
            let not_null = if got == "null" { ", not null" } else { "" };
            return FieldError::new(here, format!("must be {}{not_null}", plain(expected)));
        }
    }
    FieldError::new(here, message)
}

/// The list after "expected" in serde's message, without backticks.
fn choices(message: &str) -> Option<String> {
    let (_, list) = message.split_once(", expected ")?;
    let list = list.strip_prefix("one of ").unwrap_or(list);
    Some(list.replace('`', ""))
}

/// What serde expected, in words.
fn plain(expected: &str) -> &str {
    match expected {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => {
            "a whole number"
        }
        "f32" | "f64" | "a JSON number" => "a number",
        "a boolean" => "true or false",
        "a sequence" => "a list",
        "a map" => "an object",
        e if e.starts_with("struct ") => "an object",
        e if e.starts_with("enum ") => "one of the values the schema lists",
        e => e,
    }
}

/// serde_json appends " at line L column C"; the field name says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// The name inside the first pair of backticks, as in "unknown field `nmae`".
fn quoted_name(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// Parses a path segment as an id, naming the parameter when it is not a UUID.
pub fn path_id<T>(
    raw: &str,
    field: &str,
    parse: fn(&str) -> Result<T, uuid::Error>,
) -> Result<T, FieldError> {
    parse(raw).map_err(|_| {
        FieldError::new(
            field,
            "must be a UUID such as 0190f5a2-7b3c-7def-8abc-0123456789ab",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
    }

    fn field_of(result: Result<Body, ApiError>) -> String {
        match result {
            Err(ApiError::Validation(errors)) => errors[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn json_media_types_are_recognised() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("application/json; charset=UTF-8"));
        assert!(is_json_media_type("application/merge-patch+json"));
        assert!(!is_json_media_type("application/json; charset=latin1"));
        assert!(!is_json_media_type("text/plain"));
        assert!(!is_json_media_type(""));
    }

    #[test]
    fn unknown_missing_duplicate_and_mistyped_fields_are_named() {
        assert_eq!(field_of(parse_json(br#"{"name":"abc","nmae":1}"#)), "nmae");
        assert_eq!(field_of(parse_json(br#"{}"#)), "name");
        assert_eq!(
            field_of(parse_json(br#"{"name":"abc","name":"def"}"#)),
            "name"
        );
        assert_eq!(field_of(parse_json(br#"{"name":42}"#)), "name");
    }

    fn error_of(result: Result<Body, ApiError>) -> FieldError {
        match result {
            Err(ApiError::Validation(errors)) => errors[0].clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn serde_messages_are_reworded_to_say_what_the_field_must_be() {
        let missing = error_of(parse_json(br#"{}"#));
        let unknown = error_of(parse_json(br#"{"name":"abc","nmae":1}"#));
        let twice = error_of(parse_json(br#"{"name":"abc","name":"def"}"#));
        let mistyped = error_of(parse_json(br#"{"name":42}"#));
        let null = error_of(parse_json(br#"{"name":null}"#));

        assert_eq!(missing.message, "is required");
        assert_eq!(
            unknown.message,
            "is not a known field; expected one of: name"
        );
        assert_eq!(twice.message, "is given more than once");
        assert_eq!(mistyped.message, "must be a string");
        assert_eq!(null.message, "must be a string, not null");
    }

    #[test]
    fn a_message_inside_an_object_names_the_field_by_its_path() {
        assert_eq!(
            reworded("scan", "missing field `payments`").field,
            "scan.payments"
        );
        let variant = reworded(
            "scores[1].pillar",
            "unknown variant `speed`, expected one of `reliability`, `security`",
        );
        assert_eq!(variant.field, "scores[1].pillar");
        assert_eq!(variant.message, "must be one of: reliability, security");
        assert_eq!(
            reworded("dueDate", "must be a calendar date formatted YYYY-MM-DD").message,
            "must be a calendar date formatted YYYY-MM-DD",
            "a domain rule's own message is kept"
        );
    }

    #[test]
    fn non_objects_and_trailing_data_are_malformed() {
        for body in [
            &b"[\"abc\"]"[..],
            b"",
            b"   ",
            b"{\"name\":\"abc\"} x",
            b"{\"name\":",
            b"\xff\xfe",
        ] {
            assert!(
                matches!(parse_json::<Body>(body), Err(ApiError::MalformedBody(_))),
                "{body:?}"
            );
        }
    }
}
