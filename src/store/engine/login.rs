//! Sign-in limits kept in PostgreSQL, so every instance counts the same
//! attempts: a brute force spread over several instances is stopped at the
//! same count as on one. Each step is one atomic statement.

use super::pg::{PgDb, db_error, pool_error};
use crate::store::error::StoreError;
use std::time::Duration;

/// Failures in a row before an account locks, and the longest lock; as the
/// in-memory limits of a single instance have them.
const LOCK_AFTER: i32 = 5;
const MAX_LOCK_SECS: f64 = 15.0 * 60.0;

/// Counts one attempt against `key`'s one-minute window; `Err(wait)` when it
/// is over `per_minute` or the key is locked.
const ATTEMPT: &str = "INSERT INTO lp_login_limits AS l (key, window_start, attempts) \
     VALUES ($1, now(), 1) \
     ON CONFLICT (key) DO UPDATE SET \
       attempts = CASE WHEN l.window_start <= now() - interval '1 minute' THEN 1 ELSE l.attempts + 1 END, \
       window_start = CASE WHEN l.window_start <= now() - interval '1 minute' THEN now() ELSE l.window_start END \
     RETURNING attempts, \
       extract(epoch FROM window_start + interval '1 minute' - now())::float8, \
       coalesce(extract(epoch FROM locked_until - now())::float8, 0)";

const FAILED: &str = "UPDATE lp_login_limits SET failures = failures + 1, \
       locked_until = CASE WHEN failures + 1 >= $2 \
         THEN now() + make_interval(secs => least(power(2, least(failures + 2 - $2, 10)), $3)) \
         ELSE locked_until END \
     WHERE key = $1";

const SUCCEEDED: &str =
    "UPDATE lp_login_limits SET failures = 0, locked_until = NULL WHERE key = $1";

const PRUNE: &str = "DELETE FROM lp_login_limits \
     WHERE window_start < now() - interval '1 hour' \
       AND (locked_until IS NULL OR locked_until < now())";

fn wait_for(secs: f64) -> Duration {
    Duration::from_secs_f64(secs.max(0.001))
}

impl PgDb {
    /// Counts an attempt against every key; the longest wait if any refuses.
    pub async fn login_attempt(
        &self,
        keys: Vec<Vec<u8>>,
        per_minute: u32,
    ) -> Result<Result<(), Duration>, StoreError> {
        let pool = self.pool().clone();
        self.run(async move {
            let client = pool.get().await.map_err(pool_error)?;
            let statement = client.prepare_cached(ATTEMPT).await.map_err(db_error)?;
            let mut refused: Option<Duration> = None;
            for key in &keys {
                let row = client
                    .query_one(&statement, &[key])
                    .await
                    .map_err(db_error)?;
                let (attempts, window_left, locked_left): (i32, f64, f64) =
                    (row.get(0), row.get(1), row.get(2));
                let wait = if locked_left > 0.0 {
                    Some(wait_for(locked_left))
                } else if attempts as u32 > per_minute {
                    Some(wait_for(window_left))
                } else {
                    None
                };
                refused = refused.max(wait);
            }
            Ok(refused.map_or(Ok(()), Err))
        })
        .await
    }

    /// A wrong password for `key`: from the fifth in a row it locks for 2 s,
    /// then 4 s, 8 s … up to 15 minutes.
    pub async fn login_failed(&self, key: Vec<u8>) -> Result<(), StoreError> {
        let pool = self.pool().clone();
        self.run(async move {
            let client = pool.get().await.map_err(pool_error)?;
            let statement = client.prepare_cached(FAILED).await.map_err(db_error)?;
            client
                .execute(&statement, &[&key, &LOCK_AFTER, &MAX_LOCK_SECS])
                .await
                .map_err(db_error)?;
            Ok(())
        })
        .await
    }

    pub async fn login_succeeded(&self, key: Vec<u8>) -> Result<(), StoreError> {
        let pool = self.pool().clone();
        self.run(async move {
            let client = pool.get().await.map_err(pool_error)?;
            let statement = client.prepare_cached(SUCCEEDED).await.map_err(db_error)?;
            client
                .execute(&statement, &[&key])
                .await
                .map_err(db_error)?;
            Ok(())
        })
        .await
    }

    /// Forgets windows and lockouts that ended long ago; how many went.
    pub async fn prune_login_limits(&self) -> Result<u64, StoreError> {
        let pool = self.pool().clone();
        self.run(async move {
            let client = pool.get().await.map_err(pool_error)?;
            client.execute(PRUNE, &[]).await.map_err(db_error)
        })
        .await
    }
}
