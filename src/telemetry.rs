//! Logging: tracing events as JSON lines when stdout is not a terminal
//! (journald, files, pipes), human-readable text when a person is watching.
//! With `log.file` the service writes JSON lines to daily-rolling files
//! instead, keeping `log.retention_days` of them, through a non-blocking
//! writer that waits rather than drops a line when it falls behind: audit
//! and error lines must never be lost.

use crate::config::{LogFormat, LogSettings};
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Where log lines go: the service logs to stdout; other commands keep
/// stdout for their own output and log to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    Stderr,
}

/// Keeps the file writer's worker alive; dropping it flushes every line.
#[must_use = "dropping the guard stops the log file writer"]
pub struct LogGuard {
    _worker: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// Installs the service's subscriber: to `log.file` when set, else stdout.
pub fn init_service(settings: &LogSettings) -> anyhow::Result<LogGuard> {
    use anyhow::Context;
    let Some(path) = &settings.file else {
        init(settings, Sink::Stdout);
        return Ok(LogGuard { _worker: None });
    };
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let (prefix, suffix) = name.rsplit_once('.').unwrap_or((&name, "log"));
    std::fs::create_dir_all(folder)
        .with_context(|| format!("creating the log folder {} (log.file)", folder.display()))?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(prefix)
        .filename_suffix(suffix)
        .max_log_files(settings.retention_days)
        .build(folder)
        .with_context(|| format!("opening log files in {} (log.file)", folder.display()))?;
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(appender);
    let filter = EnvFilter::try_new(&settings.level).unwrap_or_else(|_| EnvFilter::new("info"));
    drop(
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(writer)
            .try_init(),
    );
    Ok(LogGuard {
        _worker: Some(guard),
    })
}

/// Installs the global subscriber. A second call (tests) is a no-op.
pub fn init(settings: &LogSettings, sink: Sink) {
    let filter = EnvFilter::try_new(&settings.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let terminal = match sink {
        Sink::Stdout => std::io::stdout().is_terminal(),
        Sink::Stderr => std::io::stderr().is_terminal(),
    };
    let json = match settings.format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !terminal,
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let result = match (json, sink) {
        (true, Sink::Stdout) => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        (true, Sink::Stderr) => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .try_init(),
        (false, Sink::Stdout) => builder.compact().try_init(),
        (false, Sink::Stderr) => builder.compact().with_writer(std::io::stderr).try_init(),
    };
    drop(result);
}
