//! Signing in and out, API tokens, users and the audit log.

use super::projects::DEFAULT_LIMIT;
use crate::crypto::random_secret;
use crate::domain::{Password, Role, UserEmail};
use crate::http::access::{AccessState, Caller, SESSION_COOKIE, Via, client_ip, digest};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{JsonBody, path_id};
use crate::passwords;
use crate::store::Store;
use crate::store::accounts::{AuditEntry, TokenInfo, User};
use actix_web::http::header::{LINK, SET_COOKIE};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    #[schema(format = Email)]
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    pub user: Option<User>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anonymous_role: Option<Role>,
}

/// Whether TLS terminated in front: a trusted proxy says so with
/// `X-Forwarded-Proto: https`. Only a trusted proxy is believed.
fn behind_tls(req: &HttpRequest, trusted: &[std::net::IpAddr]) -> bool {
    let from_proxy = req
        .peer_addr()
        .is_some_and(|peer| trusted.contains(&peer.ip()));
    let proto = req
        .headers()
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok());
    from_proxy && proto.is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

fn wrong_credentials() -> ApiError {
    ApiError::Unauthorized("the email or password is wrong".into())
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = SignedIn),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn login(
    req: HttpRequest,
    store: web::Data<Store>,
    state: web::Data<AccessState>,
    caller: Caller,
    body: JsonBody<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let ip = client_ip(&req, &state.settings.trusted_proxies)
        .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
    let email = UserEmail::parse(&body.0.email).ok();
    let account = digest(&body.0.email.trim().to_lowercase());
    state
        .limits
        .check_login(ip, &account)
        .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
    let reader = store.clone();
    let found = match email {
        Some(email) => web::block(move || reader.user_by_email(&email)).await??,
        None => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    if !passwords::verify(&body.0.password, hash).await || user.is_none() {
        state.limits.login_failed(&account);
        let target = user.map(|u| format!("user:{}", u.id));
        store.audit(caller.audit, "login.failure", target).await?;
        return Err(wrong_credentials());
    }
    let user = user.expect("checked above");
    state.limits.login_succeeded(&account);
    let session = random_secret("", 32);
    store
        .create_session(digest(&session), user.id, caller.audit)
        .await?;
    let mut cookie = format!(
        "{SESSION_COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        state.settings.session_max.as_secs()
    );
    if state.settings.cookie_secure || behind_tls(&req, &state.settings.trusted_proxies) {
        cookie.push_str("; Secure");
    }
    Ok(HttpResponse::Ok()
        .insert_header((SET_COOKIE, cookie))
        .json(SignedIn {
            user: Some(user),
            anonymous_role: None,
        }))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "The session is deleted and the cookie cleared"), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn logout(store: web::Data<Store>, caller: Caller) -> Result<HttpResponse, ApiError> {
    if let Via::Session(hash) = caller.via {
        store.delete_session(hash, Some(caller.audit)).await?;
    }
    Ok(HttpResponse::NoContent()
        .insert_header((
            SET_COOKIE,
            format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
        ))
        .finish())
}

#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = SignedIn)))]
pub async fn me(caller: Caller, state: web::Data<AccessState>) -> HttpResponse {
    let anonymous_role = if caller.user.is_none() {
        state.settings.anonymous_role
    } else {
        None
    };
    HttpResponse::Ok().json(SignedIn {
        user: caller.user,
        anonymous_role,
    })
}

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
    let name = body.0.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(ApiError::field(
            "name",
            "must be 1–60 characters on one line",
        ));
    }
    let token = random_secret("lp_", 32);
    let info = store
        .create_token(user, name, digest(&token), caller.audit)
        .await?;
    Ok(HttpResponse::Created().json(CreatedToken { info, token }))
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, description = "Your tokens (an admin sees all), without secrets", body = [TokenInfo]), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list_tokens(
    store: web::Data<Store>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let user = caller.signed_in()?;
    let owner = (user.role != Role::Admin).then_some(user.id);
    Ok(HttpResponse::Ok().json(web::block(move || store.tokens(owner)).await??))
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
        path_id(&path, "tokenId", Uuid::try_parse).map_err(|e| ApiError::Validation(vec![e]))?;
    let user = caller.signed_in()?;
    let owner = (user.role != Role::Admin).then_some(user.id);
    if store.delete_token(id, owner, caller.audit.clone()).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::Missing(format!("token {id}")))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(format = Email)]
    pub email: String,
    pub role: Role,
    pub password: String,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = [User]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_users(store: web::Data<Store>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(web::block(move || store.users()).await??))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = User), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn create_user(
    store: web::Data<Store>,
    caller: Caller,
    body: JsonBody<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let email =
        UserEmail::parse(&body.0.email).map_err(|e| ApiError::field("email", e.to_string()))?;
    let password = Password::parse(&body.0.password, Some(&email))
        .map_err(|e| ApiError::field("password", e.to_string()))?;
    let hash = passwords::hash(&password).await;
    let user = store
        .create_user(email, body.0.role, hash, caller.audit)
        .await?;
    Ok(HttpResponse::Created().json(user))
}

#[utoipa::path(delete, path = "/api/v1/users/{userId}", tag = "users", params(("userId" = uuid::Uuid, Path)),
    responses((status = 204, description = "Deleted, with their sessions and tokens"), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn delete_user(
    store: web::Data<Store>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id =
        path_id(&path, "userId", Uuid::try_parse).map_err(|e| ApiError::Validation(vec![e]))?;
    let reader = store.clone();
    if web::block(move || reader.user(id)).await??.is_none() {
        return Err(ApiError::Missing(format!("user {id}")));
    }
    store.delete_user(id, caller.audit).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Paging through the audit log, newest first.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries per page, 1–200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// The `cursor` from the previous page's `Link` header.
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = [AuditEntry]), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn audit(
    store: web::Data<Store>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = match &query.limit {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| ApiError::field("limit", "must be a whole number from 1 to 200"))?,
    };
    let before = query
        .cursor
        .as_deref()
        .map(|c| path_id(c, "cursor", Uuid::try_parse))
        .transpose()
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let mut page = web::block(move || store.audit_page(before, limit + 1)).await??;
    let mut response = HttpResponse::Ok();
    if page.len() > limit {
        page.truncate(limit);
        if let Some(last) = page.last() {
            response.insert_header((
                LINK,
                format!(
                    "</api/v1/audit?limit={limit}&cursor={}>; rel=\"next\"",
                    last.id
                ),
            ));
        }
    }
    Ok(response.json(page))
}
