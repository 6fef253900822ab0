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
        Category::Data => {
            let field = if path == "." || path.is_empty() {
                quoted_name(&message).unwrap_or("body").to_owned()
            } else {
                path.to_owned()
            };
            ApiError::Validation(vec![FieldError::new(field, message)])
        }
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
