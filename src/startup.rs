//! Building the application: open the store, bind the listener, serve.
//!
//! The listener is bound here, so a test can ask for port 0 and read back the
//! port it got. Shutdown on SIGTERM or SIGINT is actix's graceful stop: stop
//! accepting, let in-flight requests finish within `http.shutdown_timeout_secs`,
//! then the store's writer commits what is queued and the file is closed.

use crate::config::Settings;
use crate::http::{self, extract::BodyLimit};
use crate::store::{Store, StoreOptions};
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use std::net::TcpListener;

pub struct Application {
    port: u16,
    server: Server,
    store: Store,
}

impl Application {
    /// Opens the store and binds the listener; nothing is served until
    /// [`Application::run_until_stopped`] is awaited.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let store = Store::open(&StoreOptions {
            data_dir: settings.data_dir.clone(),
            cache_bytes: settings.store.cache_size_mb * 1024 * 1024,
            quick_repair: settings.store.quick_repair,
            demo_data: settings.demo_data,
        })
        .await
        .with_context(|| {
            format!(
                "opening the store in {}",
                crate::config::display_path(&settings.data_dir)
            )
        })?;

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

        let data = web::Data::new(store.clone());
        let body_limit = BodyLimit(settings.http.body_limit);
        let origins = settings.http.cors_allowed_origins.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(body_limit)
                .wrap(http::cors(&origins))
                .wrap(from_fn(http::middleware::observe))
                .configure(http::configure)
        })
        .shutdown_timeout(settings.http.shutdown_timeout.as_secs());
        if settings.http.workers > 0 {
            server = server.workers(settings.http.workers);
        }
        let server = server
            .listen(listener)
            .context("serving on the bound listener")?
            .run();
        Ok(Self {
            port,
            server,
            store,
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
        let served = self.server.await.context("running the HTTP server");
        self.store.close().await;
        tracing::info!("stopped; the store is closed");
        served
    }
}
