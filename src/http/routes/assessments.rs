//! `/api/v1/projects/{projectId}/assessments`: recording a dated score of
//! every pillar, and paging through the history. Append-only: there is no
//! PATCH or DELETE; a wrong assessment is corrected by a newer one.

use super::project_id;
use crate::domain::assessment::RawPillarScore;
use crate::domain::{Assessment, AssessmentId, NewAssessment, Pillar};
use crate::http::access::Caller;
use crate::http::error::{ApiError, FieldError, Problem};
use crate::http::extract::JsonBody;
use crate::http::idempotency::{Retry, answer, replayable};
use crate::http::paging::{Paging, next_link};
use crate::store::Store;
use actix_web::http::StatusCode;
use actix_web::http::header::{LINK, LOCATION};
use actix_web::{HttpResponse, web};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// One pillar's score as a client sends it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScoreBody {
    pub pillar: Pillar,
    /// 1 nonexistent, 2 nascent, 3 emerging, 4 mature, 5 operationalized.
    #[serde(default, deserialize_with = "whole")]
    #[schema(value_type = i64, required = true, minimum = 1, maximum = 5)]
    pub score: Option<i64>,
    #[serde(default, deserialize_with = "whole")]
    #[schema(value_type = i64, required = true, minimum = 1, maximum = 5)]
    pub target: Option<i64>,
    /// What the score rests on: tests, dashboards, diffs. Not personal data.
    #[schema(max_length = 2000, extensions(("x-multiline" = json!(true))))]
    pub evidence: String,
    /// At most 10 http(s) URLs.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub links: Vec<String>,
    /// Who answers for the pillar (personal data, sealed at rest).
    #[serde(default)]
    #[schema(max_length = 100)]
    pub owner: Option<String>,
    #[serde(default)]
    #[schema(format = Date, example = "2027-01-15")]
    pub next_checkpoint: Option<String>,
}

/// A whole number, also when written `3.0`: JSON's numbers have one type,
/// and JSON Schema's `integer` includes both spellings.
fn whole<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(number) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let exact = number.as_i64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() <= 1e15)
            .map(|f| f as i64)
    });
    exact
        .map(Some)
        .ok_or_else(|| D::Error::custom("must be a whole number from 1 to 5"))
}

/// `POST …/assessments`: every pillar exactly once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentBody {
    #[serde(deserialize_with = "crate::domain::object::list")]
    #[schema(min_items = 4, max_items = 4)]
    pub scores: Vec<ScoreBody>,
}

impl TryFrom<AssessmentBody> for NewAssessment {
    type Error = ApiError;
    fn try_from(body: AssessmentBody) -> Result<Self, ApiError> {
        let raw = body
            .scores
            .into_iter()
            .map(|s| RawPillarScore {
                pillar: s.pillar.as_str().to_owned(),
                score: s.score,
                target: s.target,
                evidence: Some(s.evidence),
                links: s.links,
                owner: s.owner,
                next_checkpoint: s.next_checkpoint,
            })
            .collect();
        NewAssessment::parse(raw).map_err(|problems| {
            ApiError::Validation(problems.into_iter().map(FieldError::from).collect())
        })
    }
}

/// One pillar's part of a recorded assessment.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScoreView {
    pub pillar: Pillar,
    pub score: u8,
    pub target: u8,
    pub evidence: String,
    pub links: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub next_checkpoint: Option<String>,
}

/// A recorded assessment.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssessmentView {
    #[schema(value_type = uuid::Uuid)]
    pub id: AssessmentId,
    #[schema(value_type = uuid::Uuid)]
    pub project_id: crate::domain::ProjectId,
    #[serde(with = "crate::domain::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: crate::domain::Millis,
    pub scores: Vec<ScoreView>,
}

impl From<Assessment> for AssessmentView {
    fn from(a: Assessment) -> Self {
        Self {
            id: a.id,
            project_id: a.project_id,
            recorded_at: a.recorded_at,
            scores: a
                .scores
                .into_iter()
                .map(|s| ScoreView {
                    pillar: s.pillar,
                    score: s.score.value(),
                    target: s.target.value(),
                    evidence: s.evidence.into(),
                    links: s.links.into_iter().map(String::from).collect(),
                    owner: s.owner.map(String::from),
                    next_checkpoint: s.next_checkpoint.map(String::from),
                })
                .collect(),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/projects/{projectId}/assessments", tag = "scorecards",
    request_body = AssessmentBody,
    params(("projectId" = uuid::Uuid, Path)),
    responses(
        (status = 201, description = "Recorded and durable", body = AssessmentView),
        (status = 400, description = "A bad score, pillar, link or date, named in errors", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn record(
    store: web::Data<Store>,
    caller: Caller,
    path: web::Path<String>,
    retry: Retry,
    body: JsonBody<AssessmentBody>,
) -> Result<HttpResponse, ApiError> {
    let project = project_id(&path)?;
    let new = NewAssessment::try_from(body.0)?;
    let recorded = move |assessment: &Assessment| {
        let location = format!(
            "/api/v1/projects/{project}/assessments?cursor={}",
            assessment.id
        );
        answer(
            StatusCode::CREATED,
            vec![(LOCATION, location)],
            &AssessmentView::from(assessment.clone()),
        )
    };
    replayable(
        retry,
        recorded,
        store.record_assessment(project, new, caller.audit),
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/projects/{projectId}/assessments", tag = "scorecards",
    params(("projectId" = uuid::Uuid, Path), Paging),
    responses(
        (status = 200, description = "A page of assessments, oldest first", body = [AssessmentView],
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn list(
    store: web::Data<Store>,
    path: web::Path<String>,
    query: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let project = project_id(&path)?;
    let (limit, after) = query.parse(AssessmentId::parse)?;
    let (page, next) = store
        .blocking(move |s| s.assessments(project, after, limit))
        .await?;
    let mut response = HttpResponse::Ok();
    if let Some(next) = next {
        let path = format!("/api/v1/projects/{project}/assessments");
        response.insert_header((LINK, next_link(&path, limit, next)));
    }
    let page: Vec<AssessmentView> = page.into_iter().map(AssessmentView::from).collect();
    Ok(response.json(page))
}
