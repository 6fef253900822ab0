//! Logging: tracing events as JSON lines when stdout is not a terminal
//! (journald, files, pipes), human-readable text when a person is watching.
//! With `log.file` the service writes JSON lines to daily-rolling files
//! instead, keeping `log.retention_days` of them, through a non-blocking
//! writer that waits rather than drops a line when it falls behind: audit
//! and error lines must never be lost.
//!
//! ERROR means "the operator must act". actix-http logs a client's
//! malformed request (a bad header, a head too large, a dropped connection)
//! as an ERROR `stream error`; [`Relevel`] writes those at WARN instead, so
//! a scanner on the internet cannot page anyone.

use crate::config::{LogFormat, LogSettings};
use std::io::IsTerminal;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::registry::LookupSpan;

/// Writes the HTTP stack's per-connection errors, which a client causes, at
/// WARN; every other event as `inner` writes it.
pub struct Relevel<F>(pub F);

/// Whether an event is a client's fault logged as an error by actix-http.
fn is_client_stream_error(event: &Event<'_>) -> bool {
    let meta = event.metadata();
    *meta.level() == Level::ERROR && meta.target().starts_with("actix_http::h1")
}

impl<S, N, F> FormatEvent<S, N> for Relevel<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        if !is_client_stream_error(event) {
            return self.0.format_event(ctx, writer, event);
        }
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        // The level is the first field either format writes: JSON's
        // "level":"ERROR", or the text format's padded ERROR.
        let line = line
            .replacen("\"level\":\"ERROR\"", "\"level\":\"WARN\"", 1)
            .replacen("ERROR", " WARN", 1);
        writer.write_str(&line)
    }
}

/// The JSON line format, relevelled.
fn json_lines() -> Relevel<format::Format<format::Json>> {
    Relevel(
        format::format()
            .json()
            .with_current_span(true)
            .with_span_list(false),
    )
}

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
            .fmt_fields(format::JsonFields::new())
            .event_format(json_lines())
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
    let writer = match sink {
        Sink::Stdout => BoxMakeWriter::new(std::io::stdout),
        Sink::Stderr => BoxMakeWriter::new(std::io::stderr),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let result = if json {
        builder
            .fmt_fields(format::JsonFields::new())
            .event_format(json_lines())
            .try_init()
    } else {
        builder
            .event_format(Relevel(format::format().compact()))
            .try_init()
    };
    drop(result);
}
