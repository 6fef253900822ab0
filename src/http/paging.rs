//! Paging through a list with `?limit=` and `?cursor=`: one rule for every
//! paged route. The next page's URL goes in a `Link: <…>; rel="next"`
//! header, so the body stays a plain array.

use super::error::ApiError;
use super::extract::path_id;
use serde::Deserialize;
use utoipa::IntoParams;

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

/// `?limit=` and `?cursor=`, as sent.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Items per page, 1–200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `cursor` from the previous page's `Link: <…>; rel="next"` header.
    /// An empty one is refused rather than read as "from the start", which
    /// would send a client that lost its cursor round the first page again.
    #[param(format = Uuid)]
    pub cursor: Option<String>,
}

impl Paging {
    /// The page size and the cursor, each bad one named.
    pub fn parse<Id>(
        &self,
        parse_cursor: fn(&str) -> Result<Id, uuid::Error>,
    ) -> Result<(usize, Option<Id>), ApiError> {
        let limit = match &self.limit {
            None => DEFAULT_LIMIT,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    ApiError::field(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    )
                })?,
        };
        let cursor = self
            .cursor
            .as_deref()
            .map(|raw| path_id(raw, "cursor", parse_cursor))
            .transpose()
            .map_err(|e| ApiError::Validation(vec![e]))?;
        Ok((limit, cursor))
    }
}

/// The `Link` header value of the next page at `path`.
pub fn next_link(path: &str, limit: usize, cursor: impl std::fmt::Display) -> String {
    format!("<{path}?limit={limit}&cursor={cursor}>; rel=\"next\"")
}
