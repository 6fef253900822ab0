//! The route table: every route once, with the access it needs.
//!
//! Each entry names the handler's OpenAPI description (the struct
//! `#[utoipa::path]` generates, `__path_<handler>`), which holds the method
//! and the path, the access, and the handler. From this one list the router
//! registers the handlers, the access layer learns what each route needs,
//! and the OpenAPI document takes its operations and their security. A route
//! cannot be added without an access, and a route registered some other way
//! is refused by the access layer rather than served (deny by default).

use super::access::Access;
use super::error::ApiError;
use super::routes::compliance::{self, inventory, reviews, triggers, vendors};
use super::routes::planning::{self, alignment, stakeholders};
use super::routes::{
    assessments, audit, auth, changelog, checklists, health, metrics, projects, report, scorecard,
    status, tasks, templates, tokens, users,
};
use crate::domain::Role;
use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, web};
use std::collections::HashMap;
use std::sync::OnceLock;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::{RefOr, schema::Schema};

/// Adds the named schemas an operation refers to.
pub type SchemaCollector = fn(&mut Vec<(String, RefOr<Schema>)>);

/// One route: what it answers, what it needs, and how it is built.
pub struct Route {
    pub method: Method,
    pub pattern: String,
    pub access: Access,
    /// The OpenAPI method and operation, for documented routes.
    pub operation: Option<(HttpMethod, fn() -> Operation)>,
    /// Adds the schemas the operation refers to.
    pub schemas: Option<SchemaCollector>,
    /// A `POST` that keeps its answer for a retry with the same
    /// `Idempotency-Key` (see [`super::idempotency`]).
    pub replays: bool,
    build: Box<dyn Fn() -> actix_web::Route + Send + Sync>,
}

impl Route {
    /// A documented route: method and path come from its OpenAPI description.
    fn documented<P, F, Args>(access: Access, handler: F) -> Self
    where
        P: utoipa::Path + utoipa::__dev::SchemaReferences,
        F: Handler<Args> + Clone + Send + Sync + 'static,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let methods = P::methods();
        assert_eq!(
            methods.len(),
            1,
            "{} declares one method per handler",
            P::path()
        );
        let method = actix_method(&methods[0]);
        Self {
            method: method.clone(),
            pattern: P::path(),
            access,
            operation: Some((methods[0].clone(), P::operation)),
            schemas: Some(<P as utoipa::__dev::SchemaReferences>::schemas),
            replays: false,
            build: Box::new(move || web::route().method(method.clone()).to(handler.clone())),
        }
    }

    /// A `POST` whose handler keeps its answer for keyed retries.
    fn replays(self) -> Self {
        assert_eq!(
            self.method,
            Method::POST,
            "{} replays only a POST",
            self.pattern
        );
        Self {
            replays: true,
            ..self
        }
    }

    /// A route the document leaves out (the document itself).
    fn undocumented<F, Args>(method: Method, pattern: &str, access: Access, handler: F) -> Self
    where
        F: Handler<Args> + Clone + Send + Sync + 'static,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        Self {
            method: method.clone(),
            pattern: pattern.to_owned(),
            access,
            operation: None,
            schemas: None,
            replays: false,
            build: Box::new(move || web::route().method(method.clone()).to(handler.clone())),
        }
    }
}

fn actix_method(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
}

const PUBLIC: Access = Access::Public;
const SIGNED_IN: Access = Access::SignedIn;
const VIEWER: Access = Access::Role(Role::Viewer);
const EDITOR: Access = Access::Role(Role::Editor);
const ADMIN: Access = Access::Role(Role::Admin);

/// Every route the service answers, in the order a reader would look.
pub fn routes() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        use Route as R;
        vec![
            // Operations
            R::documented::<health::__path_health, _, _>(PUBLIC, health::health),
            R::documented::<health::__path_ready, _, _>(PUBLIC, health::ready),
            R::documented::<changelog::__path_changelog, _, _>(PUBLIC, changelog::changelog),
            // Restricted to metrics.allowed_networks by its handler.
            R::documented::<metrics::__path_scrape, _, _>(PUBLIC, metrics::scrape),
            R::undocumented(
                Method::GET,
                "/api/v1/openapi.json",
                PUBLIC,
                super::openapi::serve_document,
            ),
            // Projects, checklists and tasks
            R::documented::<projects::__path_list, _, _>(VIEWER, projects::list),
            R::documented::<projects::__path_create, _, _>(EDITOR, projects::create).replays(),
            R::documented::<projects::__path_get, _, _>(VIEWER, projects::get),
            R::documented::<projects::__path_update, _, _>(EDITOR, projects::update),
            R::documented::<projects::__path_delete, _, _>(EDITOR, projects::delete),
            R::documented::<checklists::__path_create, _, _>(EDITOR, checklists::create).replays(),
            R::documented::<checklists::__path_get, _, _>(VIEWER, checklists::get),
            R::documented::<checklists::__path_update, _, _>(EDITOR, checklists::update),
            R::documented::<checklists::__path_delete, _, _>(EDITOR, checklists::delete),
            R::documented::<tasks::__path_create, _, _>(EDITOR, tasks::create).replays(),
            R::documented::<tasks::__path_get, _, _>(VIEWER, tasks::get),
            R::documented::<tasks::__path_update, _, _>(EDITOR, tasks::update),
            R::documented::<tasks::__path_delete, _, _>(EDITOR, tasks::delete),
            R::documented::<status::__path_summary, _, _>(VIEWER, status::summary),
            // Readiness: assessments, scorecards, templates, the report
            R::documented::<assessments::__path_record, _, _>(EDITOR, assessments::record)
                .replays(),
            R::documented::<assessments::__path_list, _, _>(VIEWER, assessments::list),
            R::documented::<scorecard::__path_get, _, _>(VIEWER, scorecard::get),
            R::documented::<report::__path_get, _, _>(VIEWER, report::get),
            R::documented::<templates::__path_list, _, _>(VIEWER, templates::list),
            R::documented::<templates::__path_save, _, _>(EDITOR, templates::save).replays(),
            R::documented::<templates::__path_delete, _, _>(ADMIN, templates::delete),
            // Planning: the North Star, the stakeholders, the compliance notes
            R::documented::<planning::__path_north_star, _, _>(VIEWER, planning::north_star),
            R::documented::<planning::__path_set_north_star, _, _>(
                EDITOR,
                planning::set_north_star,
            ),
            R::documented::<alignment::__path_create, _, _>(EDITOR, alignment::create).replays(),
            R::documented::<alignment::__path_update, _, _>(EDITOR, alignment::update),
            R::documented::<alignment::__path_delete, _, _>(EDITOR, alignment::delete),
            R::documented::<planning::__path_list_stakeholders, _, _>(
                VIEWER,
                planning::list_stakeholders,
            ),
            R::documented::<stakeholders::__path_create, _, _>(EDITOR, stakeholders::create)
                .replays(),
            R::documented::<stakeholders::__path_update, _, _>(EDITOR, stakeholders::update),
            R::documented::<stakeholders::__path_delete, _, _>(EDITOR, stakeholders::delete),
            R::documented::<compliance::__path_compliance, _, _>(VIEWER, compliance::compliance),
            R::documented::<compliance::__path_set_compliance, _, _>(
                EDITOR,
                compliance::set_compliance,
            ),
            R::documented::<compliance::__path_scan, _, _>(EDITOR, compliance::scan),
            R::documented::<inventory::__path_create, _, _>(EDITOR, inventory::create).replays(),
            R::documented::<inventory::__path_update, _, _>(EDITOR, inventory::update),
            R::documented::<inventory::__path_delete, _, _>(EDITOR, inventory::delete),
            R::documented::<triggers::__path_create, _, _>(EDITOR, triggers::create).replays(),
            R::documented::<triggers::__path_update, _, _>(EDITOR, triggers::update),
            R::documented::<triggers::__path_delete, _, _>(EDITOR, triggers::delete),
            R::documented::<vendors::__path_create, _, _>(EDITOR, vendors::create).replays(),
            R::documented::<vendors::__path_update, _, _>(EDITOR, vendors::update),
            R::documented::<vendors::__path_delete, _, _>(EDITOR, vendors::delete),
            R::documented::<reviews::__path_create, _, _>(EDITOR, reviews::create).replays(),
            R::documented::<reviews::__path_update, _, _>(EDITOR, reviews::update),
            R::documented::<reviews::__path_delete, _, _>(EDITOR, reviews::delete),
            // Accounts
            R::documented::<auth::__path_login, _, _>(PUBLIC, auth::login),
            R::documented::<auth::__path_logout, _, _>(SIGNED_IN, auth::logout),
            R::documented::<auth::__path_me, _, _>(PUBLIC, auth::me),
            R::documented::<tokens::__path_list_tokens, _, _>(SIGNED_IN, tokens::list_tokens),
            R::documented::<tokens::__path_create_token, _, _>(SIGNED_IN, tokens::create_token)
                .replays(),
            R::documented::<tokens::__path_revoke_token, _, _>(SIGNED_IN, tokens::revoke_token),
            R::documented::<users::__path_list_users, _, _>(ADMIN, users::list_users),
            R::documented::<users::__path_create_user, _, _>(ADMIN, users::create_user).replays(),
            R::documented::<users::__path_delete_user, _, _>(ADMIN, users::delete_user),
            R::documented::<audit::__path_audit, _, _>(ADMIN, audit::audit),
            R::documented::<status::__path_backup_status, _, _>(ADMIN, status::backup_status),
        ]
    })
}

/// Paths under one project, registered as one scope.
///
/// The router tries its resources in turn, and tells a path with ids from
/// another by running that pattern's regular expression, microseconds each:
/// two dozen project paths tried one after the other were most of the cost
/// of a cached answer deep in the list. In a scope the project's id is
/// matched once, and what follows it is mostly plain text.
const PROJECT_SCOPE: &str = "/api/v1/projects/{projectId}";

/// Registers every route of the table, one resource per path. A method the
/// path has no route for is answered 405 with the path's methods in `Allow`.
pub fn register(cfg: &mut web::ServiceConfig) {
    let mut patterns: Vec<&str> = Vec::new();
    for route in routes() {
        if !patterns.contains(&route.pattern.as_str()) {
            patterns.push(&route.pattern);
        }
    }
    let mut project = web::scope(PROJECT_SCOPE);
    for pattern in patterns {
        match pattern.strip_prefix(PROJECT_SCOPE) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                project = project.service(resource(rest, pattern));
            }
            _ => {
                cfg.service(resource(pattern, pattern));
            }
        }
    }
    // What no resource in it matches falls through to the app's default.
    cfg.service(project);
}

/// The resource at `path` (relative to its scope) serving the table's
/// routes at `pattern`.
fn resource(path: &str, pattern: &str) -> actix_web::Resource {
    let allow = allowed_methods(pattern);
    let mut resource =
        web::resource(path).default_service(web::to(move |req: actix_web::HttpRequest| {
            let allow = allow.clone();
            async move {
                Err::<actix_web::HttpResponse, _>(ApiError::MethodNotAllowed {
                    method: req.method().to_string(),
                    allow,
                })
            }
        }));
    for route in routes().iter().filter(|r| r.pattern == pattern) {
        resource = resource.route((route.build)());
    }
    resource
}

/// Whether the `POST` at `pattern` keeps its answer for keyed retries.
pub fn replays(pattern: &str) -> bool {
    routes()
        .iter()
        .any(|r| r.replays && r.method == Method::POST && r.pattern == pattern)
}

/// The methods the table serves at `pattern`, in its order, as an `Allow`
/// header lists them.
pub fn allowed_methods(pattern: &str) -> String {
    routes()
        .iter()
        .filter(|r| r.pattern == pattern)
        .map(|r| r.method.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the table says a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// The route is in the table with this access.
    Declared(Access),
    /// The path is in the table, but not with this method: the resource
    /// answers 405 with the path's methods.
    OtherMethod,
    /// Nothing in the table: the router answers 404 (or the UI does).
    Unknown,
}

/// Looks up `(method, pattern)`.
pub fn needs(method: &Method, pattern: &str) -> Needs {
    static INDEX: OnceLock<HashMap<(Method, String), Access>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        routes()
            .iter()
            .map(|r| ((r.method.clone(), r.pattern.clone()), r.access))
            .collect()
    });
    match index.get(&(method.clone(), pattern.to_owned())) {
        Some(access) => Needs::Declared(*access),
        None if routes().iter().any(|r| r.pattern == pattern) => Needs::OtherMethod,
        None => Needs::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_declared_once_with_its_access() {
        let mut seen = std::collections::HashSet::new();
        for route in routes() {
            assert!(
                seen.insert((route.method.clone(), route.pattern.clone())),
                "{} {} is declared twice",
                route.method,
                route.pattern
            );
            assert_eq!(
                needs(&route.method, &route.pattern),
                Needs::Declared(route.access)
            );
        }
    }

    #[test]
    fn reads_need_a_viewer_changes_an_editor_and_administration_an_admin() {
        let get = |p| needs(&Method::GET, p);
        assert_eq!(
            get("/api/v1/projects"),
            Needs::Declared(Access::Role(Role::Viewer))
        );
        assert_eq!(
            needs(
                &Method::PATCH,
                "/api/v1/projects/{projectId}/checklists/{checklistId}"
            ),
            Needs::Declared(Access::Role(Role::Editor))
        );
        assert_eq!(
            get("/api/v1/audit"),
            Needs::Declared(Access::Role(Role::Admin))
        );
        assert_eq!(
            needs(&Method::DELETE, "/api/v1/users/{userId}"),
            Needs::Declared(Access::Role(Role::Admin))
        );
        assert_eq!(
            needs(&Method::POST, "/api/v1/tokens"),
            Needs::Declared(Access::SignedIn)
        );
        assert_eq!(
            needs(&Method::POST, "/api/v1/auth/login"),
            Needs::Declared(Access::Public)
        );
        assert_eq!(get("/health"), Needs::Declared(Access::Public));
        assert_eq!(
            needs(&Method::PUT, "/api/v1/projects"),
            Needs::OtherMethod,
            "the router answers 405"
        );
        assert_eq!(get("/api/v1/nothing-here"), Needs::Unknown);
    }
}
