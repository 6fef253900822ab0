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
//!
//! Traces (W3C trace context, and export over OTLP when configured) are in
//! [`trace`]; the service's subscriber carries their layer only when spans
//! are exported.

mod otlp_http;
mod trace;

pub use trace::{finish_request, join_trace, traceparent};

use crate::config::{LogFormat, LogSettings, TraceSettings};
use std::io::IsTerminal;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

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

/// Keeps the file writer's worker and the span exporter alive; dropping it
/// flushes every line and every span still queued.
#[must_use = "dropping the guard stops the log file writer and the span exporter"]
pub struct LogGuard {
    // Declared first, so it is dropped first: spans flushed at the end may
    // still log a failure through the file writer.
    _exporter: Option<trace::Exporter>,
    _worker: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// Installs the service's subscriber: to `log.file` when set, else stdout;
/// with `tracing.otlp_endpoint`, also the layer that exports spans.
pub fn init_service(settings: &LogSettings, traces: &TraceSettings) -> anyhow::Result<LogGuard> {
    use anyhow::Context;
    let (tracer, exporter) = match trace::start_export(traces)? {
        Some((tracer, exporter)) => (Some(tracer), Some(exporter)),
        None => (None, None),
    };
    let Some(path) = &settings.file else {
        let json = wants_json(settings, std::io::stdout().is_terminal());
        install(settings, BoxMakeWriter::new(std::io::stdout), json, tracer);
        return Ok(LogGuard {
            _exporter: exporter,
            _worker: None,
        });
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
    // Files always hold JSON lines.
    install(settings, BoxMakeWriter::new(writer), true, tracer);
    Ok(LogGuard {
        _exporter: exporter,
        _worker: Some(guard),
    })
}

/// Installs the global subscriber of a command that exports no spans. A
/// second call (tests) is a no-op.
pub fn init(settings: &LogSettings, sink: Sink) {
    let (writer, terminal) = match sink {
        Sink::Stdout => (
            BoxMakeWriter::new(std::io::stdout),
            std::io::stdout().is_terminal(),
        ),
        Sink::Stderr => (
            BoxMakeWriter::new(std::io::stderr),
            std::io::stderr().is_terminal(),
        ),
    };
    install(settings, writer, wants_json(settings, terminal), None);
}

/// Whether lines are JSON: as configured, or, for `auto`, unless a person
/// watches the terminal.
fn wants_json(settings: &LogSettings, terminal: bool) -> bool {
    match settings.format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !terminal,
    }
}

/// Installs the global subscriber: `log.level`'s filter, the line format,
/// and the span-export layer when there is a tracer. A second call (tests)
/// is a no-op.
fn install(
    settings: &LogSettings,
    writer: BoxMakeWriter,
    json: bool,
    tracer: Option<opentelemetry_sdk::trace::Tracer>,
) {
    let filter = EnvFilter::try_new(&settings.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let lines = if json {
        tracing_subscriber::fmt::layer()
            .fmt_fields(format::JsonFields::new())
            .event_format(json_lines())
            .with_writer(writer)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .event_format(Relevel(format::format().compact()))
            .with_writer(writer)
            .boxed()
    };
    drop(
        tracing_subscriber::registry()
            .with(filter)
            .with(lines)
            .with(tracer.map(trace::layer))
            .try_init(),
    );
}
