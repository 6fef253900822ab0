//! PostgreSQL's schema: ordered SQL files embedded in the binary, each
//! applied once and recorded in `lp_schema_migrations`. They create the
//! tables; the store's own migrations ([`crate::store::migrations`]) then
//! run over them as they run over redb.
//!
//! Several instances may start at once: the steps run under a session-wide
//! advisory lock, and each re-checks what is applied once it holds it.

use super::pg::{PgDb, db_error};
use crate::store::error::StoreError;

/// One SQL step.
#[derive(Debug)]
pub struct SqlMigration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every step, in order. Append only: a released file never changes.
pub const SQL_MIGRATIONS: &[SqlMigration] = &[
    SqlMigration {
        version: 1,
        name: "the store's tables and the generation counter",
        sql: include_str!("sql/0001_store_tables.sql"),
    },
    SqlMigration {
        version: 2,
        name: "sign-in limits shared by every instance",
        sql: include_str!("sql/0002_login_limits.sql"),
    },
    SqlMigration {
        version: 3,
        name: "a row per instance for the readiness probe's write",
        sql: include_str!("sql/0003_readiness_probe.sql"),
    },
];

/// The advisory lock held while the schema changes.
const SCHEMA_LOCK: i64 = 0x4c61_756e_6368_5363; // "LaunchSc"

const BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS lp_schema_migrations (\
     version integer PRIMARY KEY, name text NOT NULL, \
     applied_at timestamptz NOT NULL DEFAULT now())";

/// The versions recorded as applied; none on a database LaunchPad never used.
async fn applied(client: &tokio_postgres::Client) -> Result<Vec<i32>, tokio_postgres::Error> {
    let exists = client
        .query_one(
            "SELECT to_regclass('lp_schema_migrations') IS NOT NULL",
            &[],
        )
        .await?
        .get::<_, bool>(0);
    if !exists {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT version FROM lp_schema_migrations ORDER BY version",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// The steps the database still needs, read without changing anything.
pub fn pending(db: &PgDb) -> Result<Vec<&'static SqlMigration>, StoreError> {
    let client = db.wait(db.pool().get()).map_err(super::pg::pool_error)?;
    let done = db.wait(applied(&client)).map_err(db_error)?;
    Ok(SQL_MIGRATIONS
        .iter()
        .filter(|m| !done.contains(&m.version))
        .collect())
}

/// Applies every pending step; answers the ones it applied.
pub fn migrate(db: &PgDb) -> Result<Vec<&'static SqlMigration>, StoreError> {
    let mut client = db.wait(db.pool().get()).map_err(super::pg::pool_error)?;
    db.wait(async {
        client
            .batch_execute(&format!("SELECT pg_advisory_lock({SCHEMA_LOCK})"))
            .await?;
        let outcome = apply_pending(&mut client).await;
        client
            .batch_execute(&format!("SELECT pg_advisory_unlock({SCHEMA_LOCK})"))
            .await?;
        outcome
    })
    .map_err(db_error)
}

async fn apply_pending(
    client: &mut deadpool_postgres::Object,
) -> Result<Vec<&'static SqlMigration>, tokio_postgres::Error> {
    client.batch_execute(BOOKKEEPING).await?;
    let done = applied(client).await?;
    let mut ran = Vec::new();
    for step in SQL_MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        tracing::info!(
            version = step.version,
            step = step.name,
            "applying a PostgreSQL migration"
        );
        let tx = client.transaction().await?;
        tx.batch_execute(step.sql).await?;
        tx.execute(
            "INSERT INTO lp_schema_migrations (version, name) VALUES ($1, $2)",
            &[&step.version, &step.name],
        )
        .await?;
        tx.commit().await?;
        ran.push(step);
    }
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_steps_are_numbered_one_by_one_in_order() {
        for (i, step) in SQL_MIGRATIONS.iter().enumerate() {
            assert_eq!(step.version, i as i32 + 1, "{}", step.name);
        }
    }

    #[test]
    fn every_store_table_is_created_by_the_sql_steps() {
        let sql: String = SQL_MIGRATIONS.iter().map(|m| m.sql).collect();
        for name in crate::store::tables::ALL {
            assert!(
                sql.contains(&format!("CREATE TABLE lp_{name} (")),
                "no SQL step creates lp_{name}"
            );
        }
    }
}
