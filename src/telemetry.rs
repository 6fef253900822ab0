//! Logging: tracing events as JSON lines when stdout is not a terminal
//! (journald, files, pipes), human-readable text when a person is watching.

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
