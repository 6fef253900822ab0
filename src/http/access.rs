//! Who is calling, and may they? One middleware decides for every route.
//!
//! Credentials are a bearer token (`Authorization: Bearer lp_…`) or the
//! session cookie; without either a request acts with `auth.anonymous_role`
//! (none by default). [`required`] is the single table of what each route
//! needs. Missing or invalid credentials are answered 401, a role too low
//! 403. Cookie-authenticated changes must prove they come from this site
//! (CSRF). Every API request spends from its caller's rate budget.

use super::error::ApiError;
use super::limits::Limits;
use super::middleware::{RequestId, RoutePattern};
use crate::config::AuthSettings;
use crate::domain::{Role, now_millis};
use crate::store::Store;
use crate::store::accounts::{AuditContext, User};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, web};
use sha2::{Digest, Sha256};
use std::future::{Ready, ready};
use std::net::IpAddr;
use uuid::Uuid;

pub const SESSION_COOKIE: &str = "lp_session";

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, always.
    Public,
    /// A real user (session or token), whatever the role.
    SignedIn,
    /// At least this role, which the anonymous role may satisfy.
    Role(Role),
}

/// The one table of route permissions, by method and route pattern. A pair
/// not listed needs nothing here: the router answers it (404 or 405).
pub fn required(method: &Method, pattern: &str) -> Access {
    use Access::{Public, SignedIn};
    const VIEWER: Access = Access::Role(Role::Viewer);
    const EDITOR: Access = Access::Role(Role::Editor);
    const ADMIN: Access = Access::Role(Role::Admin);
    match (method.as_str(), pattern) {
        ("GET", "/api/v1/projects" | "/api/v1/projects/{projectId}") => VIEWER,
        ("POST", "/api/v1/projects") => EDITOR,
        ("PATCH" | "DELETE", "/api/v1/projects/{projectId}") => EDITOR,
        ("POST", "/api/v1/projects/{projectId}/checklists") => EDITOR,
        ("PATCH" | "DELETE", "/api/v1/projects/{projectId}/checklists/{checklistId}") => EDITOR,
        ("POST", "/api/v1/projects/{projectId}/checklists/{checklistId}/tasks") => EDITOR,
        (
            "PATCH" | "DELETE",
            "/api/v1/projects/{projectId}/checklists/{checklistId}/tasks/{taskId}",
        ) => EDITOR,
        ("POST", "/api/v1/auth/logout") => SignedIn,
        ("GET" | "POST", "/api/v1/tokens") | ("DELETE", "/api/v1/tokens/{tokenId}") => SignedIn,
        ("GET" | "POST", "/api/v1/users") | ("DELETE", "/api/v1/users/{userId}") => ADMIN,
        ("GET", "/api/v1/audit") | ("GET", "/api/v1/backups/status") => ADMIN,
        ("GET", "/api/v1/summary") => VIEWER,
        _ => Public,
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Session([u8; 32]),
    Token(Uuid),
    Anonymous,
}

/// The caller of a request, for handlers.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: Option<User>,
    pub via: Via,
    /// The role the request acts with: the user's, or the anonymous role.
    pub role: Option<Role>,
    pub audit: AuditContext,
}

impl Caller {
    /// The signed-in user, or 401.
    pub fn signed_in(&self) -> Result<&User, ApiError> {
        self.user
            .as_ref()
            .ok_or_else(|| ApiError::Unauthorized("sign in or send an API token".into()))
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(req.extensions().get::<Caller>().cloned().ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("the access middleware did not run"))
        }))
    }
}

/// What the access layer needs, shared by all workers.
pub struct AccessState {
    pub settings: AuthSettings,
    pub limits: Limits,
}

/// The client's address: the TCP peer, or behind a trusted proxy the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','));
    let hops: Vec<IpAddr> = forwarded.filter_map(|h| h.trim().parse().ok()).collect();
    Some(
        hops.into_iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .unwrap_or(peer),
    )
}

pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Resolves credentials. `Ok(None)`: none sent. `Err`: sent but not valid.
async fn authenticate(
    req: &HttpRequest,
    store: &web::Data<Store>,
    settings: &AuthSettings,
) -> Result<Option<(User, Via)>, ApiError> {
    let invalid = |why: &str| ApiError::Unauthorized(why.to_owned());
    if let Some(token) = bearer(req) {
        let hash = digest(&token);
        let reader = store.clone();
        let found = web::block(move || -> Result<_, crate::store::StoreError> {
            let Some(token) = reader.token_by_hash(hash)? else {
                return Ok(None);
            };
            Ok(reader.user(token.user_id)?.map(|user| (user, token)))
        })
        .await??;
        let (user, token) =
            found.ok_or_else(|| invalid("the API token is not valid or was revoked"))?;
        if token
            .last_used_at
            .is_none_or(|at| now_millis() - at > 60_000)
        {
            store.touch_token(token.id).await?;
        }
        return Ok(Some((user, Via::Token(token.id))));
    }
    let Some(secret) = cookie(req, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = digest(&secret);
    let reader = store.clone();
    let found = web::block(move || -> Result<_, crate::store::StoreError> {
        let Some(session) = reader.session(hash)? else {
            return Ok(None);
        };
        Ok(reader.user(session.user)?.map(|user| (user, session)))
    })
    .await??;
    let (user, session) = found.ok_or_else(|| invalid("the session has ended; sign in again"))?;
    let now = now_millis();
    let idle_ms = settings.session_idle.as_millis() as i64;
    let expired = now - session.last_seen_at > idle_ms
        || now - session.created_at > settings.session_max.as_millis() as i64;
    if expired {
        store.delete_session(hash, None).await?;
        return Err(invalid("the session has expired; sign in again"));
    }
    if now - session.last_seen_at > (idle_ms / 4).min(60_000) {
        store.touch_session(hash).await?;
    }
    Ok(Some((user, Via::Session(hash))))
}

/// A cookie-authenticated change must come from this site.
fn same_site(req: &HttpRequest) -> bool {
    let host = req.headers().get(HOST).and_then(|v| v.to_str().ok());
    match req.headers().get(ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => origin.split_once("://").map(|(_, h)| h) == host && host.is_some(),
        None => {
            req.headers()
                .get("x-requested-with")
                .and_then(|v| v.to_str().ok())
                == Some("launchpad")
        }
    }
}

pub async fn authorize(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let (Some(state), Some(store)) = (
        req.app_data::<web::Data<AccessState>>().cloned(),
        req.app_data::<web::Data<Store>>().cloned(),
    ) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let known = req.extensions().get::<RoutePattern>().map(|r| r.0.clone());
    let pattern = known.unwrap_or_else(|| {
        req.match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned())
    });
    let access = required(req.method(), &pattern);
    match admit(req.request(), &state, &store, access, &pattern).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        Err(refusal) => Ok(req.error_response(refusal)),
    }
}

/// Decides whether the request may proceed, and as whom.
async fn admit(
    req: &HttpRequest,
    state: &AccessState,
    store: &web::Data<Store>,
    access: Access,
    pattern: &str,
) -> Result<Caller, ApiError> {
    let ip = client_ip(req, &state.settings.trusted_proxies);
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let credentials = match authenticate(req, store, &state.settings).await {
        Ok(found) => found,
        // A public route works with a stale cookie: it acts as anonymous.
        Err(_) if access == Access::Public => None,
        Err(e) => return Err(e),
    };
    let (user, via) = match credentials {
        Some((user, via)) => (Some(user), via),
        None => (None, Via::Anonymous),
    };
    let actor = match (&user, via) {
        (_, Via::Token(id)) => format!("token:{id}"),
        (Some(user), _) => format!("user:{}", user.id),
        (None, _) => "anonymous".to_owned(),
    };
    let role = user
        .as_ref()
        .map(|u| u.role)
        .or(state.settings.anonymous_role);
    let caller = Caller {
        user,
        via,
        role,
        audit: AuditContext {
            actor,
            client_ip: ip.map(|i| i.to_string()),
            request_id,
        },
    };

    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if matches!(caller.via, Via::Session(_))
        && unsafe_method
        && pattern != "/api/v1/auth/login"
        && !same_site(req)
    {
        return Err(ApiError::Csrf);
    }
    if pattern.starts_with("/api/") && pattern != "/api/v1/auth/login" {
        let budget = match (&caller.via, &caller.user) {
            (Via::Token(id), _) => format!("token:{id}"),
            (_, Some(user)) => format!("user:{}", user.id),
            _ => format!(
                "ip:{}",
                ip.map_or_else(|| "unknown".into(), |i| i.to_string())
            ),
        };
        state
            .limits
            .check_api(budget)
            .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
    }
    let signed_in = caller.user.is_some();
    match access {
        Access::Public => Ok(caller),
        Access::SignedIn if signed_in => Ok(caller),
        Access::SignedIn => Err(ApiError::Unauthorized(
            "sign in or send an API token".into(),
        )),
        Access::Role(needed) if caller.role.is_some_and(|r| r >= needed) => Ok(caller),
        Access::Role(needed) if signed_in => Err(ApiError::Forbidden(format!(
            "this needs the {} role",
            needed.as_str()
        ))),
        Access::Role(_) => Err(ApiError::Unauthorized(
            "sign in or send an API token".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_need_a_viewer_changes_an_editor_and_administration_an_admin() {
        assert_eq!(
            required(&Method::GET, "/api/v1/projects"),
            Access::Role(Role::Viewer)
        );
        assert_eq!(
            required(
                &Method::PATCH,
                "/api/v1/projects/{projectId}/checklists/{checklistId}"
            ),
            Access::Role(Role::Editor)
        );
        assert_eq!(
            required(&Method::GET, "/api/v1/audit"),
            Access::Role(Role::Admin)
        );
        assert_eq!(
            required(&Method::DELETE, "/api/v1/users/{userId}"),
            Access::Role(Role::Admin)
        );
        assert_eq!(required(&Method::POST, "/api/v1/tokens"), Access::SignedIn);
        assert_eq!(
            required(&Method::POST, "/api/v1/auth/login"),
            Access::Public
        );
        assert_eq!(required(&Method::GET, "/health"), Access::Public);
        assert_eq!(
            required(&Method::PUT, "/api/v1/projects"),
            Access::Public,
            "the router answers 405"
        );
    }
}
