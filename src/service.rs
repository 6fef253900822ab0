//! Talking to systemd (`Type=notify`): `READY=1` once the store is open and
//! the listener bound, `STOPPING=1` when a stop begins, `WATCHDOG=1` while
//! the store's writer answers, and `EXTEND_TIMEOUT_USEC` while long start-up
//! work (migrations) runs. Outside systemd, without `NOTIFY_SOCKET`, every
//! call does nothing.

use sd_notify::NotifyState;
use std::time::Duration;

fn notify(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!(error = %e, "telling systemd about the service state failed");
    }
}

pub fn ready(status: &str) {
    notify(&[NotifyState::Ready, NotifyState::Status(status)]);
}

pub fn stopping() {
    notify(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
}

/// Asks for `extra` more time to start, saying why.
pub fn extend_start(extra: Duration, status: &str) {
    let usec = u32::try_from(extra.as_micros()).unwrap_or(u32::MAX);
    notify(&[
        NotifyState::ExtendTimeoutUsec(usec),
        NotifyState::Status(status),
    ]);
}

/// A status line for `systemctl status`.
pub fn status(status: &str) {
    notify(&[NotifyState::Status(status)]);
}

pub fn watchdog_alive() {
    notify(&[NotifyState::Watchdog]);
}

/// The watchdog interval systemd expects pings within, when it is on.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled()
}
