//! What each command does, once the command line is parsed.

pub mod account;
pub mod backup;
pub mod diagnose;
pub mod keys;
pub mod readiness;
pub mod store_copy;

use crate::cli::{CheckArgs, MigrateArgs};
use crate::config::{self, ConfigError, Overrides, Settings};
use crate::startup::Application;
use crate::store::{self, StoreError, migrations};
use crate::telemetry::{self, Sink};
use anyhow::Context;
use std::process::ExitCode;

/// `EX_CONFIG` from sysexits.h: the configuration is wrong.
pub const EXIT_CONFIG: u8 = 78;

/// How a command failed, deciding its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0:#}")]
    Failed(#[from] anyhow::Error),
    /// The command was called wrongly; the message says how to call it.
    #[error("{0}")]
    Usage(String),
}

impl CommandError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Config(_) => ExitCode::from(EXIT_CONFIG),
            Self::Failed(_) => ExitCode::FAILURE,
            Self::Usage(_) => ExitCode::from(2),
        }
    }
}

pub fn serve(overrides: &Overrides) -> Result<(), CommandError> {
    let settings = Settings::load(overrides)?;
    let _log = telemetry::init_service(&settings.log, &settings.tracing)?;
    for drift in &settings.drift {
        tracing::warn!(key = %drift.name, origin = %drift.origin, "{}", drift.hint);
    }
    for warning in settings.warnings() {
        tracing::warn!("{warning}");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let app = Application::build(&settings).await?;
        if let Some(endpoint) = &settings.tracing.otlp_endpoint {
            tracing::info!(
                endpoint = %endpoint,
                service_name = %settings.tracing.service_name,
                sampling_ratio = settings.tracing.sampling_ratio,
                "exporting traces over OTLP/HTTP"
            );
        }
        tracing::info!(
            version = crate::cli::VERSION,
            listen = %settings.listen,
            port = app.port(),
            data_dir = %config::display_path(&settings.data_dir),
            env = ?settings.env,
            "launchpad is serving"
        );
        app.run_until_stopped().await
    })?;
    Ok(())
}

pub fn migrate(overrides: &Overrides, args: &MigrateArgs) -> Result<(), CommandError> {
    let settings = Settings::load(overrides)?;
    telemetry::init(&settings.log, Sink::Stderr);
    let plan = store::migration_plan(&store_location(&settings)?).map_err(explain_store_error)?;
    let path = &plan.shown;
    if !plan.schema.is_empty() {
        println!("pending PostgreSQL schema steps ({}):", plan.schema.len());
        for step in &plan.schema {
            println!("  {:>4}  {}", step.version, step.name);
        }
    }
    match plan.current {
        None => println!(
            "no store at {path} yet; the first start creates it at schema version {}",
            migrations::latest_version()
        ),
        Some(v) => println!(
            "store {path} is at schema version {v}; this binary writes version {}",
            migrations::latest_version()
        ),
    }
    if plan.pending.is_empty() {
        println!("no pending migrations");
        return Ok(());
    }
    println!("pending migrations ({}):", plan.pending.len());
    for step in &plan.pending {
        println!("  {:>4}  {}", step.version, step.description);
    }
    if args.plan {
        println!("nothing was changed (--plan)");
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let store = store::Store::open(&store::StoreOptions {
            demo_data: false,
            ..settings.store_options().map_err(anyhow::Error::from)?
        })
        .await
        .map_err(explain_store_error)?;
        store.close().await;
        println!(
            "applied; the store is at schema version {}",
            migrations::latest_version()
        );
        Ok::<_, CommandError>(())
    })
}

/// Where the configured store lives: the data folder's file, or the
/// PostgreSQL database of `store.postgres_url`.
pub(crate) fn store_location(settings: &Settings) -> Result<store::Location, CommandError> {
    match settings
        .store_options()
        .map_err(anyhow::Error::from)?
        .postgres
    {
        Some(pool) => store::Location::postgres(pool).map_err(explain_store_error),
        None => Ok(store::Location::Folder(settings.data_dir.clone())),
    }
}

pub(crate) fn explain_store_error(e: StoreError) -> CommandError {
    let hint = match &e {
        StoreError::Locked(_) => "; stop the service (systemctl stop launchpad) and try again",
        _ => "",
    };
    CommandError::Failed(anyhow::anyhow!("{e}{hint}"))
}

pub fn config_check(overrides: &Overrides, args: &CheckArgs) -> Result<(), CommandError> {
    let settings = Settings::load(overrides)?;
    let file = settings.config_file.as_ref().map_or_else(
        || {
            format!(
                "no config file ({} not present)",
                config::DEFAULT_CONFIG_FILE
            )
        },
        |p| config::display_path(p),
    );
    println!(
        "configuration is valid ({} mode)",
        if settings.is_production() {
            "production"
        } else {
            "development"
        }
    );
    println!("file: {file}");
    let width = settings
        .origins
        .iter()
        .map(|(k, _, _)| k.name.len())
        .max()
        .unwrap_or(0);
    for (key, origin, value) in &settings.origins {
        println!("  {:width$}  {value}  ({origin})", key.name);
    }
    for warning in settings.warnings() {
        println!("warning: {warning}");
    }
    if settings.drift.is_empty() {
        println!("drift: none");
        return Ok(());
    }
    println!(
        "drift: {} unknown or deprecated key(s)",
        settings.drift.len()
    );
    for drift in &settings.drift {
        println!("  {} (in {}): {}", drift.name, drift.origin, drift.hint);
    }
    if args.strict {
        let problems = settings
            .drift
            .iter()
            .map(|d| config::Problem {
                key: d.name.clone(),
                origin: Some(d.origin.clone()),
                value: None,
                message: d.hint.clone(),
                fix: "remove or rename it".into(),
            })
            .collect();
        return Err(ConfigError { problems }.into());
    }
    Ok(())
}

/// Opens the store directly (no server holds it), runs `work` on it and
/// closes it: the offline path of commands that also work through the server.
pub(crate) fn with_store<T, E, F, Fut>(settings: &Settings, work: F) -> Result<T, CommandError>
where
    E: std::fmt::Display,
    F: FnOnce(store::Store) -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let options = store::StoreOptions {
        demo_data: false,
        ..settings.store_options().map_err(anyhow::Error::from)?
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let store = store::Store::open(&options)
            .await
            .map_err(explain_store_error)?;
        let result = work(store.clone()).await;
        store.close().await;
        result.map_err(|e| anyhow::anyhow!("{e}").into())
    })
}
