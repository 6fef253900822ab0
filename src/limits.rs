//! Abuse limits with governor: login attempts per client IP and per account,
//! an account lockout that backs off, and an API budget per caller.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Consecutive failures before an account locks.
const LOCK_AFTER: u32 = 5;
/// The longest lockout.
const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// Keys kept per limiter before stale ones are swept.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Default)]
struct Lockout {
    failures: u32,
    until: Option<Instant>,
}

pub struct Limits {
    login_ip: DefaultKeyedRateLimiter<IpAddr>,
    login_account: DefaultKeyedRateLimiter<[u8; 32]>,
    api: DefaultKeyedRateLimiter<String>,
    lockouts: Mutex<HashMap<[u8; 32], Lockout>>,
    login_per_minute: u32,
    /// Requests answered 429 by each limit: `launchpad_rate_limited_total{kind}`.
    pub rejected: prometheus::IntCounterVec,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).expect("at least one")
}

fn wait<K: std::hash::Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), Duration> {
    if limiter.len() > SWEEP_ABOVE {
        limiter.retain_recent();
    }
    limiter
        .check_key(key)
        .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
}

impl Limits {
    pub fn new(login_per_minute: u32, api_per_second: u32) -> Self {
        let login = Quota::per_minute(nonzero(login_per_minute));
        let api = Quota::per_second(nonzero(api_per_second))
            .allow_burst(nonzero(api_per_second.saturating_mul(2)));
        Self {
            login_ip: RateLimiter::keyed(login),
            login_account: RateLimiter::keyed(login),
            api: RateLimiter::keyed(api),
            lockouts: Mutex::new(HashMap::new()),
            login_per_minute: login_per_minute.max(1),
            rejected: prometheus::IntCounterVec::new(
                prometheus::Opts::new(
                    "launchpad_rate_limited_total",
                    "Requests refused with 429 by a rate limit or lockout",
                ),
                &["kind"],
            )
            .expect("valid counter options"),
        }
    }

    /// May this client try to sign in to this account now? Else how long to wait.
    pub fn check_login(&self, ip: IpAddr, account: &[u8; 32]) -> Result<(), Duration> {
        let locked = {
            let lockouts = self.lockouts.lock().unwrap_or_else(|e| e.into_inner());
            lockouts
                .get(account)
                .and_then(|l| l.until)
                .and_then(|until| until.checked_duration_since(Instant::now()))
        };
        let verdict = match locked {
            Some(left) => Err(left),
            None => wait(&self.login_ip, &ip).and_then(|()| wait(&self.login_account, account)),
        };
        if verdict.is_err() {
            self.rejected.with_label_values(&["login"]).inc();
        }
        verdict
    }

    /// Counts a failure; from the fifth in a row the account locks for
    /// 2 s, then 4 s, 8 s … up to 15 minutes.
    pub fn login_failed(&self, account: &[u8; 32]) {
        let mut lockouts = self.lockouts.lock().unwrap_or_else(|e| e.into_inner());
        if lockouts.len() > SWEEP_ABOVE {
            let now = Instant::now();
            lockouts.retain(|_, l| l.until.is_some_and(|u| u > now));
        }
        let lockout = lockouts.entry(*account).or_default();
        lockout.failures += 1;
        if lockout.failures >= LOCK_AFTER {
            let exponent = (lockout.failures - LOCK_AFTER + 1).min(10);
            let lock = Duration::from_secs(1 << exponent).min(MAX_LOCK);
            lockout.until = Some(Instant::now() + lock);
        }
    }

    pub fn login_succeeded(&self, account: &[u8; 32]) {
        self.lockouts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(account);
    }

    /// Sign-in attempts allowed per client and per account each minute.
    pub fn login_per_minute(&self) -> u32 {
        self.login_per_minute
    }

    /// Counts a sign-in refused by limits kept elsewhere (PostgreSQL).
    pub fn count_login_refusal(&self) {
        self.rejected.with_label_values(&["login"]).inc();
    }

    /// Spends one request of `caller`'s API budget.
    pub fn check_api(&self, caller: String) -> Result<(), Duration> {
        let verdict = wait(&self.api, &caller);
        if verdict.is_err() {
            self.rejected.with_label_values(&["api"]).inc();
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_locks_after_five_failures_and_backs_off() {
        let limits = Limits::new(1000, 100);
        let account = [7u8; 32];
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..4 {
            limits.login_failed(&account);
        }
        assert!(limits.check_login(ip, &account).is_ok());
        limits.login_failed(&account);
        let first = limits.check_login(ip, &account).unwrap_err();
        limits.login_failed(&account);
        let second = limits.check_login(ip, &account).unwrap_err();
        assert!(second > first, "{second:?} should exceed {first:?}");
        assert!(
            limits.check_login(ip, &[8u8; 32]).is_ok(),
            "another account is not locked"
        );
        limits.login_succeeded(&account);
        assert!(limits.check_login(ip, &account).is_ok());
    }

    #[test]
    fn each_client_ip_has_its_own_login_budget() {
        let limits = Limits::new(3, 100);
        let attacker: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for i in 0..3u8 {
            assert!(limits.check_login(attacker, &[i; 32]).is_ok());
        }
        assert!(limits.check_login(attacker, &[9; 32]).is_err());
        assert!(limits.check_login(other, &[9; 32]).is_ok());
    }
}
