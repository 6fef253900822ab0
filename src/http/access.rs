//! Who is calling, and may they? One middleware decides for every route.
//!
//! Credentials are a bearer token (`Authorization: Bearer lp_…`) or the
//! session cookie; without either a request acts with `auth.anonymous_role`
//! (none by default). What each route needs comes from the route table
//! ([`super::table`]); a matched route the table does not declare is
//! refused with 403, never served. Missing or invalid credentials are
//! answered 401, a role too low 403. Cookie-authenticated changes must prove
//! they come from this site (CSRF). Every API request spends from its
//! caller's rate budget.

use super::error::ApiError;
use super::middleware::{RequestId, RoutePattern};
use super::table::{self, Needs};
use crate::accounts::{self, Credential};
use crate::config::AuthSettings;
use crate::crypto::SecretDigest;
use crate::domain::{Role, TokenId};
use crate::limits::Limits;
use crate::store::Store;
use crate::store::accounts::{AuditContext, User};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, web};
use std::future::{Ready, ready};
use std::net::IpAddr;

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

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Session(SecretDigest),
    Token(TokenId),
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
    store: &Store,
    settings: &AuthSettings,
) -> Result<Option<(User, Via)>, ApiError> {
    let credential = if let Some(token) = bearer(req) {
        accounts::by_token(store, &token).await?
    } else if let Some(secret) = cookie(req, SESSION_COOKIE) {
        let policy = accounts::SessionPolicy {
            idle: settings.session_idle,
            max: settings.session_max,
        };
        accounts::by_session(store, &secret, policy).await?
    } else {
        return Ok(None);
    };
    match credential {
        Credential::Token(user, token) => Ok(Some((user, Via::Token(token.id)))),
        Credential::Session(user, digest) => Ok(Some((user, Via::Session(digest)))),
        Credential::Invalid(why) => Err(ApiError::Unauthorized(why.to_owned())),
    }
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
    let known = req.extensions().get::<RoutePattern>().map(|r| r.0.clone());
    let matched = known.or_else(|| req.match_pattern());
    let access = match matched.as_deref() {
        // Unmatched: the UI or the router's 404 answers; nothing to guard.
        None | Some("unmatched") => Access::Public,
        Some(pattern) => match table::needs(req.method(), pattern) {
            Needs::Declared(access) => access,
            // The router answers 405 without running any handler.
            Needs::OtherMethod => Access::Public,
            Needs::Unknown => {
                tracing::error!(
                    method = %req.method(),
                    route = pattern,
                    "refused a route that the route table does not declare; declare it in http/table.rs"
                );
                return Ok(req.error_response(ApiError::Forbidden(
                    "this route has no declared access".into(),
                )));
            }
        },
    };
    let pattern = matched.unwrap_or_else(|| "unmatched".to_owned());
    let (Some(state), Some(store)) = (
        req.app_data::<web::Data<AccessState>>().cloned(),
        req.app_data::<web::Data<Store>>().cloned(),
    ) else {
        return Ok(req.error_response(ApiError::Internal(anyhow::anyhow!(
            "the access layer has no state or store"
        ))));
    };
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
    let credentials = match authenticate(req, store.get_ref(), &state.settings).await {
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
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test};
    use std::sync::{Arc, Mutex};

    /// Log lines written while a test runs, for asserting on them.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[actix_web::test]
    async fn a_route_missing_from_the_table_is_refused_with_403_and_an_error_line_naming_it() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(
            App::new()
                .wrap(from_fn(authorize))
                // Registered around the table, as a careless change might.
                .route(
                    "/api/v1/forgotten/{id}",
                    actix_web::web::get().to(|| async { HttpResponse::Ok().body("secret") }),
                ),
        )
        .await;

        let response = test::call_service(
            &app,
            test::TestRequest::get()
                .uri("/api/v1/forgotten/1")
                .to_request(),
        )
        .await;

        assert_eq!(response.status(), 403);
        let body = test::read_body(response).await;
        assert!(!body.starts_with(b"secret"), "the handler ran");
        let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(
            logged.contains("ERROR") && logged.contains("/api/v1/forgotten/{id}"),
            "{logged}"
        );
    }
}
