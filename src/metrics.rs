//! The Prometheus registry behind `/metrics` (DESIGN §8).
//!
//! Request counters and latency histograms are labelled by route pattern,
//! never by raw path, so the label set stays bounded. Store-wide gauges
//! (counts, sizes, backup and key age, readiness) are refreshed when a
//! scrape arrives, from the same checks `/ready` runs; the counts come from
//! the store's summary, which is only recomputed after a write.

use crate::limits::Limits;
use crate::readiness::{Checker, disk_space};
use crate::store::Store;
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// Request latency buckets, in seconds: sub-millisecond reads to slow writes.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    projects: IntGauge,
    tasks: IntGaugeVec,
    store_size: IntGauge,
    backup_last_success: Gauge,
    backup_duration: Gauge,
    data_key_age: Gauge,
    unknown_keys: IntGauge,
    disk_free: IntGauge,
    disk_size: IntGauge,
    ready: IntGauge,
    ready_checks: IntGaugeVec,
    /// Only on PostgreSQL.
    pool: Option<PoolGauges>,
}

/// The connection pool's state, read at each scrape.
struct PoolGauges {
    connections: IntGaugeVec,
    waiting: IntGauge,
}

impl PoolGauges {
    fn set(&self, status: deadpool_postgres::Status) {
        let in_use = status.size.saturating_sub(status.available);
        self.connections
            .with_label_values(&["in_use"])
            .set(in_use as i64);
        self.connections
            .with_label_values(&["idle"])
            .set(status.available as i64);
        self.waiting.set(status.waiting as i64);
    }
}

fn gauge(registry: &Registry, name: &str, help: &str) -> prometheus::Result<IntGauge> {
    let gauge = IntGauge::new(name, help)?;
    registry.register(Box::new(gauge.clone()))?;
    Ok(gauge)
}

fn float_gauge(registry: &Registry, name: &str, help: &str) -> prometheus::Result<Gauge> {
    let gauge = Gauge::new(name, help)?;
    registry.register(Box::new(gauge.clone()))?;
    Ok(gauge)
}

fn gauge_vec(
    registry: &Registry,
    name: &str,
    help: &str,
    label: &str,
) -> prometheus::Result<IntGaugeVec> {
    let gauge = IntGaugeVec::new(Opts::new(name, help), &[label])?;
    registry.register(Box::new(gauge.clone()))?;
    Ok(gauge)
}

/// Registers what others collect: the process, the store's commit times
/// and the limits' rejections (each kind shown from the start, at zero).
fn register_collected(
    registry: &Registry,
    store: &Store,
    limits: &Limits,
) -> prometheus::Result<()> {
    registry.register(Box::new(
        prometheus::process_collector::ProcessCollector::for_self(),
    ))?;
    registry.register(Box::new(store.commit_seconds()))?;
    if let Some(queries) = store.query_seconds() {
        registry.register(Box::new(queries))?;
    }
    for kind in ["login", "api"] {
        limits.rejected.with_label_values(&[kind]);
    }
    registry.register(Box::new(limits.rejected.clone()))
}

/// The request counter and latency histogram, labelled by route pattern.
fn request_metrics(registry: &Registry) -> prometheus::Result<(IntCounterVec, HistogramVec)> {
    let requests = IntCounterVec::new(
        Opts::new("http_requests_total", "HTTP requests answered"),
        &["method", "route", "status"],
    )?;
    registry.register(Box::new(requests.clone()))?;
    let durations = HistogramVec::new(
        HistogramOpts::new(
            "http_request_duration_seconds",
            "Time from receiving a request to its response",
        )
        .buckets(LATENCY_BUCKETS.to_vec()),
        &["method", "route"],
    )?;
    registry.register(Box::new(durations.clone()))?;
    Ok((requests, durations))
}

impl Metrics {
    /// A registry for one application: its own store's commit histogram,
    /// its own limits' counters, and the process collector.
    pub fn new(store: &Store, limits: &Limits) -> prometheus::Result<Self> {
        let registry = Registry::new();
        register_collected(&registry, store, limits)?;
        let (requests, durations) = request_metrics(&registry)?;
        let build = gauge_vec(
            &registry,
            "launchpad_build_info",
            "Always 1; the version label says which build runs",
            "version",
        )?;
        build.with_label_values(&[crate::cli::VERSION]).set(1);

        let metrics = Self {
            requests,
            durations,
            projects: gauge(&registry, "launchpad_projects", "Projects in the store")?,
            tasks: gauge_vec(&registry, "launchpad_tasks", "Tasks by status", "status")?,
            store_size: gauge(
                &registry,
                "launchpad_store_size_bytes",
                "Size of the store file",
            )?,
            backup_last_success: float_gauge(
                &registry,
                "launchpad_backup_last_success_timestamp_seconds",
                "When the last successful backup finished (0: never)",
            )?,
            backup_duration: float_gauge(
                &registry,
                "launchpad_backup_duration_seconds",
                "How long the last successful backup took",
            )?,
            data_key_age: float_gauge(
                &registry,
                "launchpad_data_key_age_seconds",
                "Age of the data key that seals personal fields",
            )?,
            unknown_keys: gauge(
                &registry,
                "launchpad_config_unknown_keys",
                "Unknown or deprecated configuration keys and variables (drift)",
            )?,
            disk_free: gauge(
                &registry,
                "launchpad_disk_free_bytes",
                "Free space on the filesystem holding the data folder",
            )?,
            disk_size: gauge(
                &registry,
                "launchpad_disk_size_bytes",
                "Size of the filesystem holding the data folder",
            )?,
            ready: gauge(
                &registry,
                "launchpad_ready",
                "1 when every readiness check passes, else 0",
            )?,
            ready_checks: gauge_vec(
                &registry,
                "launchpad_ready_check",
                "1 when this readiness check passes, else 0",
                "check",
            )?,
            pool: match store.pool_status() {
                None => None,
                Some(_) => Some(PoolGauges {
                    connections: gauge_vec(
                        &registry,
                        "launchpad_db_pool_connections",
                        "Connections to PostgreSQL held by this instance, in use or idle",
                        "state",
                    )?,
                    waiting: gauge(
                        &registry,
                        "launchpad_db_pool_waiting",
                        "Callers waiting for a free PostgreSQL connection",
                    )?,
                }),
            },
            registry,
        };
        Ok(metrics)
    }

    /// Records one answered request. Any method outside the standard set
    /// counts as `OTHER`: a client may send any token, and each new label
    /// value would be a new series kept forever.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        const KNOWN: [&str; 9] = [
            "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
        ];
        let method = KNOWN.into_iter().find(|m| *m == method).unwrap_or("OTHER");
        let status = status.to_string();
        self.requests
            .with_label_values(&[method, route, status.as_str()])
            .inc();
        self.durations
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// Refreshes the gauges and renders the text exposition format.
    pub async fn render(&self, checker: &Checker) -> String {
        let readiness = checker.run().await;
        for check in &readiness.checks {
            self.ready_checks
                .with_label_values(&[check.name])
                .set(i64::from(check.ok));
        }
        self.ready.set(i64::from(readiness.ready()));
        self.unknown_keys.set(checker.drift().len() as i64);
        if let (Some(gauges), Some(status)) = (&self.pool, checker.store().pool_status()) {
            gauges.set(status);
        }
        let store = checker.store().clone();
        let data_dir = checker.data_dir().to_owned();
        let facts = tokio::task::spawn_blocking(move || {
            (
                store.summary(),
                std::fs::metadata(store.path()).map(|m| m.len()),
                store.last_backup(),
                store.key_info(),
                disk_space(&data_dir),
            )
        })
        .await;
        if let Ok((summary, size, backup, key, disk)) = facts {
            self.set_facts(summary, size, backup, key, disk);
        }
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %e, "encoding the metrics failed");
        }
        String::from_utf8(out).unwrap_or_default()
    }

    /// Sets each gauge whose source could be read; one that could not keeps
    /// its last value (and the matching readiness check reports why).
    fn set_facts(
        &self,
        summary: Result<crate::store::stats::Summary, crate::store::StoreError>,
        size: std::io::Result<u64>,
        backup: Result<Option<crate::store::meta::LastBackup>, crate::store::StoreError>,
        key: Result<crate::store::keys::KeyInfo, crate::store::StoreError>,
        disk: std::io::Result<crate::readiness::DiskSpace>,
    ) {
        if let Ok(summary) = summary {
            self.projects.set(summary.projects as i64);
            for status in crate::domain::TaskStatus::ALL {
                self.tasks
                    .with_label_values(&[status.as_str()])
                    .set(summary.tasks.of(status) as i64);
            }
        }
        if let Ok(size) = size {
            self.store_size.set(size as i64);
        }
        if let Ok(backup) = backup {
            let (at, duration) = backup.map_or((0.0, 0.0), |b| {
                (b.at as f64 / 1000.0, b.duration_ms as f64 / 1000.0)
            });
            self.backup_last_success.set(at);
            self.backup_duration.set(duration);
        }
        if let Ok(key) = key {
            let age_ms = crate::domain::now_millis().saturating_sub(key.created_at);
            self.data_key_age.set(age_ms.max(0) as f64 / 1000.0);
        }
        if let Ok(disk) = disk {
            self.disk_free.set(disk.free_bytes as i64);
            self.disk_size.set(disk.size_bytes as i64);
        }
    }
}
