//! The log section: which events are logged and in what format, and whether
//! they go to stdout or to daily-rolling files kept for a number of days.
//!
//! The section is read in two halves because keys are parsed in
//! [`keys::ALL`] order, the order reports list values and problems in, and
//! that order puts `log.file` and `log.retention_days` after the auth keys.

use super::keys;
use super::parser::Parser;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Auto,
    Json,
    Text,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub level: String,
    pub format: LogFormat,
    /// Daily-rolling files with this path as folder and name prefix;
    /// `None` logs to stdout.
    pub file: Option<PathBuf>,
    pub retention_days: usize,
}

/// The first half of the section: what is logged and how it looks.
pub(super) struct LogStyle {
    level: String,
    format: LogFormat,
}

/// `log.level` and `log.format`.
pub(super) fn parse_style(parser: &mut Parser) -> LogStyle {
    let level = parser.parse(
        &keys::LOG_LEVEL,
        "info".to_owned(),
        "a tracing filter such as info or launchpad=debug",
        |s| {
            tracing_subscriber::EnvFilter::try_new(s)
                .ok()
                .map(|_| s.to_owned())
        },
    );
    let format = parser.choice(
        &keys::LOG_FORMAT,
        &[
            ("auto", LogFormat::Auto),
            ("json", LogFormat::Json),
            ("text", LogFormat::Text),
        ],
        LogFormat::Auto,
    );
    LogStyle { level, format }
}

/// `log.file` and `log.retention_days`, completing the section begun by
/// [`parse_style`].
pub(super) fn parse_destination(parser: &mut Parser, style: LogStyle) -> LogSettings {
    let file = parser.parse(&keys::LOG_FILE, None, "a file path", |s| {
        let path = PathBuf::from(s.trim());
        path.file_name().is_some().then_some(Some(path))
    });
    let retention_days = parser.number(&keys::LOG_RETENTION, 14, 1..=3650);
    LogSettings {
        level: style.level,
        format: style.format,
        file,
        retention_days: retention_days as usize,
    }
}
