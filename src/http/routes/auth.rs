//! `/api/v1/auth/*`: signing in and out, and who the caller is.

use crate::accounts;
use crate::domain::Role;
use crate::http::access::{AccessState, Caller, SESSION_COOKIE, Via, client_ip};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::JsonBody;
use crate::store::Store;
use crate::store::accounts::User;
use actix_web::http::header::SET_COOKIE;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
    #[serde(skip_serializing_if = "Option::is_none")]
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
    let body = body.0;
    let signed_in = accounts::sign_in(
        &store,
        &state.limits,
        ip,
        &body.email,
        &body.password,
        caller.audit,
    )
    .await?;
    let mut cookie = format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        signed_in.session,
        state.settings.session_max.as_secs()
    );
    if state.settings.cookie_secure || behind_tls(&req, &state.settings.trusted_proxies) {
        cookie.push_str("; Secure");
    }
    Ok(HttpResponse::Ok()
        .insert_header((SET_COOKIE, cookie))
        .json(SignedIn {
            user: Some(signed_in.user),
            anonymous_role: None,
        }))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "The session is deleted and the cookie cleared"), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn logout(store: web::Data<Store>, caller: Caller) -> Result<HttpResponse, ApiError> {
    if let Via::Session(digest) = caller.via {
        accounts::sign_out(&store, digest, caller.audit).await?;
    }
    Ok(HttpResponse::NoContent()
        .insert_header((
            SET_COOKIE,
            format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
        ))
        .finish())
}

#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = SignedIn)))]
#[tracing::instrument(skip_all)]
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
