//! Deprecated routes and fields, declared in one place: [`DEPRECATIONS`].
//!
//! A deprecated route, or a route whose answers carry a deprecated field,
//! answers with `Deprecation: @<when>` (RFC 9745), `Sunset: <HTTP date>`
//! (RFC 8594) and a `Link` to the changelog, which says what to use
//! instead; the OpenAPI document marks the operation or the property
//! `deprecated` and names the sunset. Nothing else needs to change to
//! deprecate something, and removing it after its sunset is a breaking
//! change the contract test holds to the changelog.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue, LINK};
use actix_web::middleware::Next;
use time::Date;
use time::macros::format_description;

/// `Deprecation: @<unix seconds>` (RFC 9745).
pub const DEPRECATION: HeaderName = HeaderName::from_static("deprecation");
/// `Sunset: <HTTP date>` (RFC 8594).
pub const SUNSET: HeaderName = HeaderName::from_static("sunset");
/// Where the changelog is served, which every deprecation links to.
pub const CHANGELOG_PATH: &str = "/api/v1/changelog";

/// What is deprecated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deprecated {
    /// A whole route: `(method, path template)`, as in the route table.
    Route(&'static str, &'static str),
    /// A field of a schema, and the routes whose answers carry it.
    Field {
        schema: &'static str,
        field: &'static str,
        routes: &'static [(&'static str, &'static str)],
    },
}

/// One deprecation: what, since when, until when, and what to use instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deprecation {
    pub what: Deprecated,
    pub since: Date,
    pub sunset: Date,
    /// What to use instead, in a few words; the changelog says more.
    pub instead: &'static str,
}

/// Everything deprecated in version 1 of the API. Nothing is, yet: the
/// prototype's contract is kept whole. A new entry here is all it takes to
/// deprecate a route or a field; name it in the changelog too.
pub const DEPRECATIONS: &[Deprecation] = &[];

impl Deprecation {
    /// Whether it covers `method` on the route `pattern`.
    pub fn covers(&self, method: &str, pattern: &str) -> bool {
        match self.what {
            Deprecated::Route(m, p) => m.eq_ignore_ascii_case(method) && p == pattern,
            Deprecated::Field { routes, .. } => routes
                .iter()
                .any(|(m, p)| m.eq_ignore_ascii_case(method) && *p == pattern),
        }
    }

    /// The `Deprecation` header's value: `@` and the day's Unix time.
    pub fn deprecation_header(&self) -> String {
        format!("@{}", self.since.midnight().assume_utc().unix_timestamp())
    }

    /// The `Sunset` header's value, an HTTP date.
    pub fn sunset_header(&self) -> String {
        let format = format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] 00:00:00 GMT"
        );
        self.sunset
            .format(&format)
            .expect("a calendar date formats")
    }

    /// What the document says about it.
    pub fn note(&self) -> String {
        format!(
            "Deprecated since {}; removed after {}. Use instead: {}. See {CHANGELOG_PATH}.",
            self.since, self.sunset, self.instead
        )
    }
}

/// The deprecation in `list` covering `method` on `pattern`, if any.
pub fn of<'a>(list: &'a [Deprecation], method: &str, pattern: &str) -> Option<&'a Deprecation> {
    list.iter().find(|d| d.covers(method, pattern))
}

/// Adds the deprecation headers to an answer of a route `list` covers.
pub fn mark(
    list: &[Deprecation],
    method: &str,
    pattern: &str,
    headers: &mut actix_web::http::header::HeaderMap,
) {
    let Some(deprecation) = of(list, method, pattern) else {
        return;
    };
    let values = [
        (DEPRECATION, deprecation.deprecation_header()),
        (SUNSET, deprecation.sunset_header()),
        (
            LINK,
            format!("<{CHANGELOG_PATH}>; rel=\"deprecation\"; type=\"text/markdown\""),
        ),
    ];
    for (name, value) in values {
        if let Ok(value) = HeaderValue::from_str(&value) {
            // A paged answer's Link header stays: this one is added to it.
            headers.append(name, value);
        }
    }
}

/// The middleware: marks every answer of a deprecated route.
pub async fn announce(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    announce_from(DEPRECATIONS, req, next).await
}

/// As [`announce`], from another list (for tests of the mechanism).
pub async fn announce_from(
    list: &'static [Deprecation],
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let method = req.method().as_str().to_owned();
    let pattern = req.match_pattern();
    let mut response = next.call(req).await?;
    if let Some(pattern) = pattern {
        mark(list, &method, &pattern, response.headers_mut());
    }
    Ok(response)
}

/// Marks, in `doc`, every operation and schema property `list` deprecates.
pub fn document(list: &[Deprecation], doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{Deprecated as Flag, RefOr, schema::Schema};
    for deprecation in list {
        match deprecation.what {
            Deprecated::Route(method, path) => {
                let Some(item) = doc.paths.paths.get_mut(path) else {
                    continue;
                };
                let operation = match method.to_ascii_lowercase().as_str() {
                    "get" => item.get.as_mut(),
                    "post" => item.post.as_mut(),
                    "put" => item.put.as_mut(),
                    "patch" => item.patch.as_mut(),
                    "delete" => item.delete.as_mut(),
                    _ => None,
                };
                if let Some(operation) = operation {
                    operation.deprecated = Some(Flag::True);
                    let note = deprecation.note();
                    operation.description = Some(match operation.description.take() {
                        Some(text) => format!("{text}\n\n{note}"),
                        None => note,
                    });
                }
            }
            Deprecated::Field { schema, field, .. } => {
                let components = doc.components.get_or_insert_with(Default::default);
                if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema)
                    && let Some(RefOr::T(Schema::Object(property))) =
                        object.properties.get_mut(field)
                {
                    property.deprecated = Some(Flag::True);
                    property.description = Some(deprecation.note());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::middleware::from_fn;
    use actix_web::test as actix_test;
    use actix_web::{App, HttpResponse, web};
    use time::macros::date;

    const OLD: &[Deprecation] = &[
        Deprecation {
            what: Deprecated::Route("GET", "/old"),
            since: date!(2026 - 12 - 01),
            sunset: date!(2027 - 06 - 01),
            instead: "GET /new",
        },
        Deprecation {
            what: Deprecated::Field {
                schema: "Thing",
                field: "legacy",
                routes: &[("GET", "/things/{id}")],
            },
            since: date!(2026 - 12 - 01),
            sunset: date!(2027 - 06 - 01),
            instead: "the field `current`",
        },
    ];

    async fn call(path: &str) -> actix_web::dev::ServiceResponse {
        let app = actix_test::init_service(
            App::new()
                .wrap(from_fn(|req, next| announce_from(OLD, req, next)))
                .route(
                    "/old",
                    web::get().to(|| async {
                        HttpResponse::Ok()
                            .insert_header((LINK, "</old?cursor=x>; rel=\"next\""))
                            .finish()
                    }),
                )
                .route("/new", web::get().to(HttpResponse::Ok))
                .route("/things/{id}", web::get().to(HttpResponse::Ok)),
        )
        .await;
        actix_test::call_service(&app, actix_test::TestRequest::get().uri(path).to_request()).await
    }

    fn header(response: &actix_web::dev::ServiceResponse, name: &str) -> Vec<String> {
        response
            .headers()
            .get_all(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    #[actix_web::test]
    async fn a_deprecated_route_answers_with_deprecation_sunset_and_a_link_to_the_changelog() {
        let response = call("/old").await;

        assert_eq!(header(&response, "deprecation"), ["@1796083200"]);
        assert_eq!(
            header(&response, "sunset"),
            ["Tue, 01 Jun 2027 00:00:00 GMT"]
        );
        let links = header(&response, "link");
        assert!(
            links.contains(&"</old?cursor=x>; rel=\"next\"".to_owned()),
            "{links:?}"
        );
        assert!(
            links.contains(
                &"</api/v1/changelog>; rel=\"deprecation\"; type=\"text/markdown\"".to_owned()
            ),
            "{links:?}"
        );
    }

    #[actix_web::test]
    async fn a_route_carrying_a_deprecated_field_is_marked_and_others_are_not() {
        let thing = call("/things/7").await;
        let new = call("/new").await;

        assert_eq!(header(&thing, "sunset"), ["Tue, 01 Jun 2027 00:00:00 GMT"]);
        assert!(header(&new, "deprecation").is_empty());
        assert!(header(&new, "sunset").is_empty());
    }

    #[test]
    fn the_document_marks_a_deprecated_operation_and_property_with_their_sunset() {
        use utoipa::openapi::{
            ObjectBuilder, OpenApiBuilder, PathItem, PathsBuilder, Type,
            path::{HttpMethod, OperationBuilder},
        };
        let mut doc = OpenApiBuilder::new()
            .paths(PathsBuilder::new().path(
                "/old",
                PathItem::new(HttpMethod::Get, OperationBuilder::new().build()),
            ))
            .components(Some(
                utoipa::openapi::ComponentsBuilder::new()
                    .schema(
                        "Thing",
                        ObjectBuilder::new()
                            .property("legacy", ObjectBuilder::new().schema_type(Type::String))
                            .property("current", ObjectBuilder::new().schema_type(Type::String)),
                    )
                    .build(),
            ))
            .build();

        document(OLD, &mut doc);

        let json: serde_json::Value = serde_json::to_value(&doc).unwrap();
        let operation = &json["paths"]["/old"]["get"];
        assert_eq!(operation["deprecated"], true);
        assert!(
            operation["description"]
                .as_str()
                .unwrap()
                .contains("2027-06-01")
        );
        let properties = &json["components"]["schemas"]["Thing"]["properties"];
        assert_eq!(properties["legacy"]["deprecated"], true);
        assert!(properties["current"].get("deprecated").is_none());
    }
}
