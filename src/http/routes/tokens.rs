//! `/api/v1/tokens`: a user's API tokens (an admin's view: everyone's).

use crate::accounts;
use crate::domain::{Role, TokenId};
use crate::http::access::Caller;
use crate::http::error::{ApiError, FieldError, PROBLEM_JSON, Problem};
use crate::http::extract::{JsonBody, path_id};
use crate::http::idempotency::{Retry, answer};
use crate::store::Store;
use crate::store::accounts::TokenInfo;
use crate::store::idempotency::{Answer, answering};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    #[schema(min_length = 1, max_length = 60, example = "ci deploy")]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: TokenInfo,
    /// The secret, shown only in this answer.
    pub token: String,
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, description = "The token; its secret is shown only now", body = CreatedToken), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn create_token(
    store: web::Data<Store>,
    caller: Caller,
    retry: Retry,
    body: JsonBody<NewToken>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.signed_in()?.id;
    let creating = accounts::create_token(&store, user, &body.0.name, caller.audit);
    let created = answering(retry.0, |info: &TokenInfo| Some(shown_once(info)), creating).await?;
    Ok(HttpResponse::Created().json(CreatedToken {
        info: created.info,
        token: created.secret,
    }))
}

/// What a keyed retry of a token's creation gets: the secret is shown once
/// and never kept, not even sealed, so the retry is told which token the
/// first request made rather than shown its secret again.
fn shown_once(info: &TokenInfo) -> Answer {
    let detail = format!(
        "this Idempotency-Key already created token {} (\"{}\"); its secret was shown once and is not kept: revoke it with DELETE /api/v1/tokens/{} and create another",
        info.id, info.name, info.id
    );
    let problem = Problem {
        kind: "urn:launchpad:problem:token-shown-once".into(),
        title: "Conflict".into(),
        status: StatusCode::CONFLICT.as_u16(),
        detail: detail.clone(),
        instance: None,
        request_id: None,
        errors: vec![FieldError::new("Idempotency-Key", detail)],
    };
    answer(
        StatusCode::CONFLICT,
        vec![(CONTENT_TYPE, PROBLEM_JSON.into())],
        &problem,
    )
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, description = "Your tokens (an admin sees all), without secrets", body = [TokenInfo]), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn list_tokens(
    store: web::Data<Store>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let user = caller.signed_in()?;
    let owner = (user.role != Role::Admin).then_some(user.id);
    Ok(HttpResponse::Ok().json(store.blocking(move |s| s.tokens(owner)).await?))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{tokenId}", tag = "tokens", params(("tokenId" = uuid::Uuid, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn revoke_token(
    store: web::Data<Store>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id =
        path_id(&path, "tokenId", TokenId::parse).map_err(|e| ApiError::Validation(vec![e]))?;
    let user = caller.signed_in()?;
    let owner = (user.role != Role::Admin).then_some(user.id);
    if store.delete_token(id, owner, caller.audit.clone()).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::Missing(format!("token {id}")))
    }
}
