//! `/api/v1/tokens`: a user's API tokens (an admin's view: everyone's).

use crate::accounts;
use crate::domain::{Role, TokenId};
use crate::http::access::Caller;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{JsonBody, path_id};
use crate::store::Store;
use crate::store::accounts::TokenInfo;
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
    body: JsonBody<NewToken>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.signed_in()?.id;
    let created = accounts::create_token(&store, user, &body.0.name, caller.audit).await?;
    Ok(HttpResponse::Created().json(CreatedToken {
        info: created.info,
        token: created.secret,
    }))
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
