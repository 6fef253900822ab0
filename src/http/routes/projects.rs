//! `/api/v1/projects` and `/api/v1/projects/{projectId}`.

use super::project_id;
use crate::config::Contract;
use crate::domain::{NewProject, Project, ProjectChanges, ProjectId};
use crate::http::access::Caller;
use crate::http::cache::{self, ResponseCache, cached, cached_resource};
use crate::http::conditional::{IfMatch, IfMatchHeader, IfNoneMatch, created_with, versioned};
use crate::http::dto::{CreateProject, UpdateProject};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::JsonBody;
use crate::http::idempotency::{Retry, replayable};
use crate::http::paging::{MAX_LIMIT, Paging, next_link};
use crate::http::stream;
use crate::store::{Listing, Store};
use actix_web::HttpRequest;
use actix_web::http::header::{ETAG, LOCATION};
use actix_web::{HttpResponse, web};

#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(Paging),
    responses(
        (status = 200, description = "A page of projects with their checklists and tasks", body = [Project],
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))),
        (status = 400, description = "A bad limit or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn list(
    req: HttpRequest,
    store: web::Data<Store>,
    cache: web::Data<ResponseCache>,
    query: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    if query.limit.is_none() && query.cursor.is_none() {
        return list_all(req, store, cache).await;
    }
    let (limit, after) = query.parse(ProjectId::parse)?;
    cached(
        &req,
        store,
        &cache,
        format!("list:{limit}:{after:?}:{}", today()),
        move |store| {
            let page = store.list_projects(after, limit)?;
            let link = page
                .next
                .map(|next| next_link("/api/v1/projects", limit, next));
            Ok((page.projects, link))
        },
    )
    .await
}

/// Lists this short are rendered whole and kept in the response cache; longer
/// ones are streamed.
const CACHED_WHOLE: u64 = MAX_LIMIT as u64;

/// Every project, as the prototype's contract promises, up to
/// `http.unpaged_list_max`.
async fn list_all(
    req: HttpRequest,
    store: web::Data<Store>,
    cache: web::Data<ResponseCache>,
) -> Result<HttpResponse, ApiError> {
    let max = req
        .app_data::<Contract>()
        .map_or(u64::MAX, |c| c.unpaged_list_max);
    let generation = store.fresh_generation().await?;
    let count = store.blocking(|s| s.project_count()).await?;
    if count > max {
        return Err(too_many(count, max));
    }
    if count <= CACHED_WHOLE {
        return cached(&req, store, &cache, format!("all:{}", today()), |store| {
            let mut all = Vec::new();
            // A few more may have been created since the count; all are sent.
            store.each_project(u64::MAX, |p| {
                all.push(p);
                true
            })?;
            Ok((all, None))
        })
        .await;
    }
    if let Some(not_modified) = cache::not_modified(&req, generation) {
        return Ok(not_modified);
    }
    let mut response = HttpResponse::Ok();
    response.insert_header((ETAG, cache::etag(generation)));
    stream::json_array(store, response, move |store, emit| {
        match store.each_project(max, emit)? {
            Listing::Done => Ok(()),
            Listing::TooMany(count) => Err(too_many(count, max)),
        }
    })
    .await
}

fn too_many(count: u64, max: u64) -> ApiError {
    ApiError::field(
        "limit",
        format!(
            "is needed here: there are {count} projects, more than the {max} this server \
             sends in one answer (http.unpaged_list_max); page through them with \
             ?limit= (1 to {MAX_LIMIT}) and the cursor in each page's Link header"
        ),
    )
}

#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = CreateProject,
    responses(
        (status = 201, description = "Created and durable", body = Project,
            headers(("ETag" = String, description = "The new project's strong ETag"), ("Location" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn create(
    store: web::Data<Store>,
    caller: Caller,
    retry: Retry,
    body: JsonBody<CreateProject>,
) -> Result<HttpResponse, ApiError> {
    let starter = body.0.starter;
    let new = NewProject::try_from(body.0)?;
    let created = |project: &Project| {
        let location = format!("/api/v1/projects/{}", project.id);
        created_with(project, vec![(LOCATION, location)])
    };
    if starter {
        replayable(
            retry,
            created,
            store.create_project_with_starter(new, caller.audit),
        )
        .await
    } else {
        replayable(retry, created, store.create_project(new)).await
    }
}

#[utoipa::path(get, path = "/api/v1/projects/{projectId}", tag = "projects",
    params(("projectId" = uuid::Uuid, Path), IfNoneMatch),
    responses(
        (status = 200, body = Project, headers(("ETag" = String, description = "Strong: the digest of this representation"))),
        (status = 304, description = "The client's copy (named in If-None-Match) is current"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn get(
    req: HttpRequest,
    store: web::Data<Store>,
    cache: web::Data<ResponseCache>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = project_id(&path)?;
    cached_resource(
        &req,
        store,
        &cache,
        format!("project:{id}:{}", today()),
        move |store| store.get_project(id),
    )
    .await
}

#[utoipa::path(patch, path = "/api/v1/projects/{projectId}", tag = "projects", request_body = UpdateProject,
    params(("projectId" = uuid::Uuid, Path), IfMatchHeader),
    responses(
        (status = 200, body = Project, headers(("ETag" = String))),
        (status = 412, description = "If-Match names another version; the current ETag is in the ETag header", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "http.require_if_match is on and no If-Match was sent", body = Problem, content_type = "application/problem+json"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn update(
    store: web::Data<Store>,
    path: web::Path<String>,
    if_match: IfMatch,
    body: JsonBody<UpdateProject>,
) -> Result<HttpResponse, ApiError> {
    let id = project_id(&path)?;
    let changes = ProjectChanges::try_from(body.0)?;
    let project = store.update_project(id, changes, if_match.0).await?;
    Ok(versioned(HttpResponse::Ok(), &project))
}

#[utoipa::path(delete, path = "/api/v1/projects/{projectId}", tag = "projects",
    params(("projectId" = uuid::Uuid, Path), IfMatchHeader),
    responses(
        (status = 204, description = "Deleted with its checklists and tasks"),
        (status = 412, description = "If-Match names another version; the current ETag is in the ETag header", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "http.require_if_match is on and no If-Match was sent", body = Problem, content_type = "application/problem+json"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn delete(
    caller: Caller,
    store: web::Data<Store>,
    path: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = project_id(&path)?;
    store.delete_project(id, caller.audit, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Today, UTC: a project's compliance flag turns with the date, so cached
/// answers are kept for one day at most.
fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}
