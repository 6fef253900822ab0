//! `/api/v1/users`: accounts, for admins.

use crate::accounts;
use crate::domain::{Role, UserId};
use crate::http::access::Caller;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{JsonBody, path_id};
use crate::http::idempotency::{Retry, answer, replayable};
use crate::store::Store;
use crate::store::accounts::User;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(format = Email)]
    pub email: String,
    pub role: Role,
    /// At least 12 characters without control characters, and not easy to
    /// guess (zxcvbn's score 3 or more; nothing built from the email).
    #[schema(min_length = 12, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")]
    pub password: String,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = [User]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn list_users(store: web::Data<Store>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(store.blocking(|s| s.users()).await?))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = User), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn create_user(
    store: web::Data<Store>,
    caller: Caller,
    retry: Retry,
    body: JsonBody<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let adding = accounts::add_user(
        &store,
        &body.email,
        body.role.as_str(),
        &body.password,
        caller.audit,
    );
    let added = |user: &User| answer(StatusCode::CREATED, Vec::new(), user);
    replayable(retry, added, adding).await
}

#[utoipa::path(delete, path = "/api/v1/users/{userId}", tag = "users", params(("userId" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted, with their sessions and tokens"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn delete_user(
    store: web::Data<Store>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&path, "userId", UserId::parse).map_err(|e| ApiError::Validation(vec![e]))?;
    if store.blocking(move |s| s.user(id)).await?.is_none() {
        return Err(ApiError::Missing(format!("user {id}")));
    }
    store.delete_user(id, caller.audit).await?;
    Ok(HttpResponse::NoContent().finish())
}
