//! The planning tables of a project: the North Star and its alignment rows
//! (`…/north-star`) and the stakeholder canvas (`…/stakeholders`), with the
//! row handlers every planning table shares; the compliance notes are in
//! [`super::compliance`].
//!
//! Rows are created with `POST`, changed with `PATCH` (a JSON merge patch:
//! `null` clears a field) and removed with `DELETE`; every bad field is
//! named in the 400.

use super::project_id;
use crate::domain::planning::{AlignmentRow, NorthStar, PlanKind, Stakeholder};
use crate::domain::{Millis, ProjectId};
use crate::http::access::Caller;
use crate::http::error::{ApiError, FieldError, Problem};
use crate::http::extract::{JsonBody, parse_json, path_id, reworded};
use crate::http::idempotency::{Retry, answer, respond};
use crate::store::Store;
use crate::store::idempotency::answering;
use crate::store::planning::{Checked, Planning, Row};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A planning row as the API shows it: its id, its fields and its times.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RowView<K: ToSchema> {
    pub id: uuid::Uuid,
    #[serde(flatten)]
    pub fields: K,
    #[serde(with = "crate::domain::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
    #[serde(with = "crate::domain::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Millis,
}

impl<K: PlanKind + ToSchema> From<Row<K>> for RowView<K> {
    fn from(row: Row<K>) -> Self {
        Self {
            id: row.id,
            fields: row.value,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

pub(super) fn views<K: PlanKind + ToSchema>(rows: Vec<Row<K>>) -> Vec<RowView<K>> {
    rows.into_iter().map(RowView::from).collect()
}

/// Every problem of a row, serde's own (a merged patch read back) reworded.
fn invalid(problems: Vec<crate::domain::FieldProblem>) -> ApiError {
    ApiError::Validation(
        problems
            .into_iter()
            .map(|p| reworded(&p.field, &p.message))
            .collect(),
    )
}

pub(super) fn accepted<T>(checked: Checked<T>) -> Result<T, ApiError> {
    checked.map_err(invalid)
}

/// A merge patch of a row of kind `K`: a JSON object naming at least one
/// of its fields. An unknown one is refused even as `null`, which the merge
/// would otherwise drop unseen.
fn patch_body<K: ToSchema>(body: web::Bytes) -> Result<Map<String, Value>, ApiError> {
    let patch: Map<String, Value> = parse_json(&body)?;
    if patch.is_empty() {
        return Err(ApiError::field("body", "name at least one field to change"));
    }
    let known = fields_of::<K>();
    let unknown: Vec<FieldError> = patch
        .keys()
        .filter(|key| !known.contains(key))
        .map(|key| {
            FieldError::new(
                key.as_str(),
                format!(
                    "is not a known field; expected one of: {}",
                    known.join(", ")
                ),
            )
        })
        .collect();
    if unknown.is_empty() {
        Ok(patch)
    } else {
        Err(ApiError::Validation(unknown))
    }
}

/// The JSON fields of kind `K`, as its schema names them.
fn fields_of<K: ToSchema>() -> Vec<String> {
    use utoipa::openapi::{RefOr, schema::Schema};
    match K::schema() {
        RefOr::T(Schema::Object(object)) => object.properties.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// A row id in a path.
pub(super) fn row_id(raw: &str, field: &str) -> Result<uuid::Uuid, ApiError> {
    path_id(raw, field, uuid::Uuid::try_parse).map_err(|e| ApiError::Validation(vec![e]))
}

/// `POST`: adds a row of kind `K`, answering 201 with it.
pub(super) async fn create_row<K: PlanKind + ToSchema>(
    store: &Store,
    caller: Caller,
    retry: Retry,
    project: ProjectId,
    value: K,
    collection: String,
) -> Result<HttpResponse, ApiError> {
    let added = move |row: &Row<K>| {
        let location = format!("{collection}/{}", row.id);
        answer(
            StatusCode::CREATED,
            vec![(LOCATION, location)],
            &RowView::from(row.clone()),
        )
    };
    let keep = added.clone();
    let kept = move |checked: &Checked<Row<K>>| checked.as_ref().ok().map(&keep);
    let checked = answering(
        retry.0,
        kept,
        store.plan_create(project, value, caller.audit),
    )
    .await?;
    Ok(respond(&added(&accepted(checked)?)))
}

/// `PATCH`: merges a patch into a row of kind `K`.
pub(super) async fn update_row<K: PlanKind + ToSchema>(
    store: &Store,
    caller: Caller,
    project: ProjectId,
    row: uuid::Uuid,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let patch = patch_body::<K>(body)?;
    match accepted(
        store
            .plan_update::<K>(project, row, patch, caller.audit)
            .await?,
    )? {
        Some(row) => Ok(HttpResponse::Ok().json(RowView::from(row))),
        None => Err(ApiError::Missing(format!("{} {row}", K::NOUN))),
    }
}

/// `DELETE`: removes a row of kind `K`.
pub(super) async fn delete_row<K: PlanKind>(
    store: &Store,
    caller: Caller,
    project: ProjectId,
    row: uuid::Uuid,
) -> Result<HttpResponse, ApiError> {
    if store.plan_delete::<K>(project, row, caller.audit).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::Missing(format!("{} {row}", K::NOUN)))
    }
}

/// The three handlers of one kind of row, each with its OpenAPI description.
macro_rules! row_routes {
    ($module:ident, $kind:ty, $tag:literal, $collection:literal, $item:literal, $row:literal) => {
        pub mod $module {
            use super::*;

            #[utoipa::path(post, path = $collection, tag = $tag, request_body = $kind,
                params(("projectId" = uuid::Uuid, Path)),
                responses(
                    (status = 201, description = "Added", body = RowView<$kind>),
                    (status = 400, description = "Every bad field named", body = Problem, content_type = "application/problem+json"),
                    (status = 404, body = Problem, content_type = "application/problem+json"),
                ))]
            #[tracing::instrument(skip_all)]
            pub async fn create(
                store: web::Data<Store>,
                caller: Caller,
                path: web::Path<String>,
                retry: $crate::http::idempotency::Retry,
                body: JsonBody<$kind>,
            ) -> Result<HttpResponse, ApiError> {
                let project = project_id(&path)?;
                let collection = $collection.replace("{projectId}", &project.to_string());
                create_row(&store, caller, retry, project, body.0, collection).await
            }

            #[utoipa::path(patch, path = $item, tag = $tag,
                request_body(content = $kind, description = "A JSON merge patch of the row: the fields to change; null clears an optional one"),
                params(("projectId" = uuid::Uuid, Path), ($row = uuid::Uuid, Path)),
                responses(
                    (status = 200, description = "Changed", body = RowView<$kind>),
                    (status = 400, description = "Every bad field named", body = Problem, content_type = "application/problem+json"),
                    (status = 404, body = Problem, content_type = "application/problem+json"),
                ))]
            #[tracing::instrument(skip_all)]
            pub async fn update(
                store: web::Data<Store>,
                caller: Caller,
                path: web::Path<(String, String)>,
                body: web::Bytes,
            ) -> Result<HttpResponse, ApiError> {
                let project = project_id(&path.0)?;
                let row = row_id(&path.1, $row)?;
                update_row::<$kind>(&store, caller, project, row, body).await
            }

            #[utoipa::path(delete, path = $item, tag = $tag,
                params(("projectId" = uuid::Uuid, Path), ($row = uuid::Uuid, Path)),
                responses(
                    (status = 204, description = "Deleted"),
                    (status = 400, body = Problem, content_type = "application/problem+json"),
                    (status = 404, body = Problem, content_type = "application/problem+json"),
                ))]
            #[tracing::instrument(skip_all)]
            pub async fn delete(
                store: web::Data<Store>,
                caller: Caller,
                path: web::Path<(String, String)>,
            ) -> Result<HttpResponse, ApiError> {
                let project = project_id(&path.0)?;
                let row = row_id(&path.1, $row)?;
                delete_row::<$kind>(&store, caller, project, row).await
            }
        }
    };
}

pub(super) use row_routes;

row_routes!(
    alignment,
    AlignmentRow,
    "planning",
    "/api/v1/projects/{projectId}/north-star/rows",
    "/api/v1/projects/{projectId}/north-star/rows/{rowId}",
    "rowId"
);
row_routes!(
    stakeholders,
    Stakeholder,
    "planning",
    "/api/v1/projects/{projectId}/stakeholders",
    "/api/v1/projects/{projectId}/stakeholders/{stakeholderId}",
    "stakeholderId"
);
/// The North Star with its alignment rows.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NorthStarView {
    #[serde(flatten)]
    pub north_star: NorthStar,
    pub rows: Vec<RowView<AlignmentRow>>,
}

#[utoipa::path(get, path = "/api/v1/projects/{projectId}/north-star", tag = "planning",
    params(("projectId" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "The headline, the leading metric and its target, and the alignment rows", body = NorthStarView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn north_star(
    store: web::Data<Store>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let project = project_id(&path)?;
    let planning = store.blocking(move |s| s.planning(project)).await?;
    Ok(HttpResponse::Ok().json(north_star_view(&planning)))
}

fn north_star_view(planning: &Planning) -> NorthStarView {
    NorthStarView {
        north_star: planning
            .north_star
            .as_ref()
            .map(|r| r.value.clone())
            .unwrap_or_default(),
        rows: planning
            .alignment
            .iter()
            .cloned()
            .map(RowView::from)
            .collect(),
    }
}

#[utoipa::path(put, path = "/api/v1/projects/{projectId}/north-star", tag = "planning",
    request_body = NorthStar,
    params(("projectId" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "Set; a field left out is cleared", body = NorthStarView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn set_north_star(
    store: web::Data<Store>,
    caller: Caller,
    path: web::Path<String>,
    body: JsonBody<NorthStar>,
) -> Result<HttpResponse, ApiError> {
    let project = project_id(&path)?;
    accepted(store.plan_set(project, body.0, caller.audit).await?)?;
    let planning = store.blocking(move |s| s.planning(project)).await?;
    Ok(HttpResponse::Ok().json(north_star_view(&planning)))
}

#[utoipa::path(get, path = "/api/v1/projects/{projectId}/stakeholders", tag = "planning",
    params(("projectId" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "The stakeholder canvas, oldest first", body = [RowView<Stakeholder>]),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn list_stakeholders(
    store: web::Data<Store>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let project = project_id(&path)?;
    let rows = store
        .blocking(move |s| s.plan_rows::<Stakeholder>(project))
        .await?;
    Ok(HttpResponse::Ok().json(views(rows)))
}
