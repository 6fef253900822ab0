//! Building the application: open the store, bind the listener, serve.
//!
//! The listener is bound here, so a test can ask for port 0 and read back the
//! port it got. Shutdown on SIGTERM or SIGINT is a graceful stop: stop
//! accepting, let in-flight requests finish within `http.shutdown_timeout_secs`,
//! then the store's writer commits what is queued and the file is closed.

use crate::config::Settings;
use crate::http::access::AccessState;
use crate::http::{self, extract::BodyLimit};
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::readiness::Checker;
use crate::store::Store;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use std::net::TcpListener;
use tokio::signal::unix::{Signal, SignalKind, signal};

pub struct Application {
    port: u16,
    server: Server,
    store: Store,
    admin: tokio::task::JoinHandle<()>,
    admin_socket: std::path::PathBuf,
    signals: Signals,
    checker: Checker,
}

/// SIGTERM and SIGINT, registered when the application is built so a
/// signal that arrives right after start is already a graceful stop.
struct Signals {
    term: Signal,
    int: Signal,
}

impl Signals {
    fn install() -> std::io::Result<Self> {
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}

/// The HTTP server on `listener`, with every piece of shared state its
/// workers need, and the readiness checker it shares with the watchdog.
fn serve_http(
    settings: &Settings,
    store: &Store,
    listener: TcpListener,
) -> anyhow::Result<(Server, Checker)> {
    let data = web::Data::new(store.clone());
    let cache = web::Data::new(crate::http::cache::ResponseCache::default());
    let limits = Limits::new(settings.auth.login_per_minute, settings.auth.api_per_second);
    let metrics = web::Data::new(Metrics::new(store, &limits).context("registering the metrics")?);
    let access = web::Data::new(AccessState {
        limits,
        settings: settings.auth.clone(),
    });
    let ops = web::Data::new(settings.ops.clone());
    let checker = Checker::new(store.clone(), settings);
    let checker_data = web::Data::new(checker.clone());
    let hsts = settings.auth.hsts_max_age_secs;
    let body_limit = BodyLimit(settings.http.body_limit);
    let contract = settings.http.contract;
    let in_flight = crate::http::idempotency::InFlight::default();
    let origins = settings.http.cors_allowed_origins.clone();
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(cache.clone())
            .app_data(access.clone())
            .app_data(ops.clone())
            .app_data(metrics.clone())
            .app_data(checker_data.clone())
            .app_data(body_limit)
            .app_data(contract)
            .app_data(in_flight.clone())
            .wrap(from_fn(http::idempotency::guard))
            .wrap(from_fn(http::access::authorize))
            .wrap(from_fn(http::deprecation::announce))
            .wrap(http::cors(&origins))
            .wrap(http::security_headers(hsts))
            .wrap(from_fn(http::middleware::observe))
            .configure(http::configure)
    })
    .disable_signals()
    .shutdown_timeout(settings.http.shutdown_timeout.as_secs());
    if settings.http.workers > 0 {
        server = server.workers(settings.http.workers);
    }
    let server = server
        .listen(listener)
        .context("serving on the bound listener")?
        .run();
    Ok((server, checker))
}

impl Application {
    /// Opens the store and binds the listener; nothing is served until
    /// [`Application::run_until_stopped`] is awaited.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        crate::store::migrations::on_long_start(crate::service::extend_start);
        let store = Store::open(&settings.store_options()?)
            .await
            .with_context(|| {
                format!(
                    "opening the store in {}",
                    crate::config::display_path(&settings.data_dir)
                )
            })?;

        if !settings.is_production() {
            create_initial_admin(&store).await?;
        }
        let listener = TcpListener::bind(settings.listen).with_context(|| {
            format!(
                "binding {} (is another service using that port? set --listen)",
                settings.listen
            )
        })?;
        let port = listener
            .local_addr()
            .context("reading the bound address")?
            .port();

        let (server, checker) = serve_http(settings, &store, listener)?;
        let admin_listener = crate::admin::bind(&settings.data_dir)
            .context("binding the admin socket in the data folder")?;
        let admin = tokio::spawn(crate::admin::serve(admin_listener, store.clone()));
        let admin_socket = crate::admin::socket_path(&settings.data_dir);
        let signals = Signals::install().context("installing the SIGTERM and SIGINT handlers")?;
        Ok(Self {
            port,
            server,
            store,
            admin,
            admin_socket,
            signals,
            checker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server from elsewhere (tests, signals).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped, then closes the store cleanly.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Self {
            server,
            store,
            admin,
            admin_socket,
            mut signals,
            checker,
            port,
        } = self;
        let handle = server.handle();
        // The store is open and the listener bound: systemd may route traffic.
        let serving = format!("serving on port {port}");
        crate::service::ready(&serving);
        let watchdog = crate::service::watchdog_interval()
            .map(|interval| tokio::spawn(feed_watchdog(checker, interval, serving)));
        let pruning = tokio::spawn(prune_idempotency(store.clone()));
        tokio::pin!(server);
        let served = tokio::select! {
            served = &mut server => served,
            name = signals.next() => {
                tracing::info!(signal = name, "stopping: no new connections; in-flight requests may finish");
                crate::service::stopping();
                // The server future must keep running to carry out the stop.
                let (_, served) = tokio::join!(handle.stop(true), &mut server);
                served
            }
        }
        .context("running the HTTP server");
        admin.abort();
        pruning.abort();
        if let Some(watchdog) = watchdog {
            watchdog.abort();
        }
        let _ = std::fs::remove_file(&admin_socket);
        store.close().await;
        tracing::info!("stopped; the store is closed");
        served
    }
}

/// Removes the answers kept for retried POSTs once they are a day old: a
/// minute after start, then every ten minutes.
async fn prune_idempotency(store: Store) {
    let every = std::time::Duration::from_secs(600);
    let mut ticks = tokio::time::interval_at(
        tokio::time::Instant::now() + std::time::Duration::from_secs(60),
        every,
    );
    loop {
        ticks.tick().await;
        match store
            .prune_idempotency(crate::store::idempotency::KEPT_FOR)
            .await
        {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "removed expired idempotency answers"),
            Err(e) => {
                tracing::warn!(error = %e, "removing expired idempotency answers failed; retrying later")
            }
        }
        if let Some(pg) = store.postgres() {
            match pg.prune_login_limits().await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "removed ended sign-in windows and lockouts"),
                Err(e) => {
                    tracing::warn!(error = %e, "removing ended sign-in limits failed; retrying later")
                }
            }
        }
    }
}

/// Pings systemd's watchdog at half its interval while the store's writer
/// answers its probe. The watchdog is for a hung process: a writer that
/// answers "the disk is full" is alive and recovers by itself once space is
/// back, which a restart would not speed up (and a start on a full disk may
/// not even manage), so it keeps being fed and the outage shows in
/// `systemctl status` and `/ready` instead.
async fn feed_watchdog(checker: Checker, interval: std::time::Duration, serving: String) {
    let mut ticks = tokio::time::interval(interval / 2);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut was = Probe::Commits;
    loop {
        ticks.tick().await;
        let now = match tokio::time::timeout(interval, checker.store().probe()).await {
            Ok(Ok(())) => Probe::Commits,
            Ok(Err(e)) if e.outage().is_some() => Probe::Outage(e.to_string()),
            Ok(Err(e)) => Probe::Hung(e.to_string()),
            Err(_) => Probe::Hung(format!("no answer within {} ms", interval.as_millis())),
        };
        if !matches!(now, Probe::Hung(_)) {
            crate::service::watchdog_alive();
        }
        if now != was {
            match &now {
                Probe::Commits => {
                    tracing::info!("the store probe passes again");
                    crate::service::status(&serving);
                }
                Probe::Outage(why) => crate::service::status(&format!("not ready: {why}")),
                Probe::Hung(why) => tracing::error!(
                    detail = %why,
                    "the store writer does not answer; the systemd watchdog is no longer fed"
                ),
            }
        }
        was = now;
    }
}

/// What the watchdog's store probe found.
#[derive(Debug, PartialEq, Eq)]
enum Probe {
    Commits,
    /// The writer answered that the store is down (a full disk).
    Outage(String),
    /// The writer did not answer, or failed in a way it does not handle.
    Hung(String),
}

/// On a development store without users, creates `admin@localhost` with a
/// random password and prints it once. Production creates nobody: `/ready`
/// reports that no admin exists until `launchpad user add` runs.
async fn create_initial_admin(store: &Store) -> anyhow::Result<()> {
    let created = crate::accounts::create_initial_admin(store)
        .await
        .context("creating the initial admin")?;
    if let Some(secret) = created {
        // On stderr, once, and never through the structured logs.
        eprintln!("initial admin: admin@localhost password: {secret}");
        eprintln!(
            "(shown only now; sign in and create your own accounts with `launchpad user add`)"
        );
    }
    Ok(())
}
