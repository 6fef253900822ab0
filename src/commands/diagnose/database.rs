//! The `database` area of `launchpad diagnose`, when the store is
//! PostgreSQL: one round trip that says which server answers, over what,
//! and whether this instance's connections keep the durability promise.
//! The URL shows masked, as everywhere.

use super::{Finding, Severity, finding};
use crate::config::Settings;
use crate::store::postgres::{self, PostgresOptions};

/// `None` when the store is redb, or when no URL is set (the config
/// findings already say so).
pub(super) fn database(settings: &Settings) -> Option<Finding> {
    if settings.store.backend != crate::config::Backend::Postgres {
        return None;
    }
    let options = settings.store.postgres.as_ref()?;
    let url = options.url.masked();
    let facts = match describe(options) {
        Ok(facts) => facts,
        Err(e) => {
            return Some(finding(
                "database",
                Severity::Critical,
                format!("{e:#}"),
                "check the store.postgres_* settings with `launchpad config check`",
            ));
        }
    };
    let tls = match (&facts.tls_version, facts.tls) {
        (Some(version), true) => format!("TLS ({version})"),
        _ => "no TLS".to_owned(),
    };
    let summary = format!(
        "PostgreSQL {} at {url}, database {} as {}, {tls}, synchronous_commit {}",
        facts.version, facts.database, facts.user, facts.synchronous_commit
    );
    let (severity, fix) = if !facts.tls && !options.url.is_local() {
        (
            Severity::Warning,
            "add sslmode=require to the URL: the connection crosses a network in the clear",
        )
    } else if facts.synchronous_commit != "on" {
        (
            Severity::Critical,
            "something resets synchronous_commit after connecting (a pooler?); acknowledged writes may be lost",
        )
    } else {
        (Severity::Ok, "")
    };
    Some(finding("database", severity, summary, fix))
}

fn describe(options: &PostgresOptions) -> anyhow::Result<postgres::ServerFacts> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let pool = postgres::pool(options)?;
        let facts = postgres::describe(&pool).await;
        pool.close();
        Ok(facts?)
    })
}
