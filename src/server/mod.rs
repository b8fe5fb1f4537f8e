//! `gatehouse serve` (docs/PRODUCT.md §4): the service over HTTP with axum, under `/api/v1`. Every request
//! is authenticated with an API key against the current snapshot and served by a per-request
//! [`LocalBackend`](crate::connect::LocalBackend) acting as the key's user, so the server
//! behaves exactly like the local backend. The routes are those of [`crate::wire::ROUTES`].
//!
//! Limits: request bodies of 1 MiB (64 MiB for import), a 30 s request timeout, 10 s to send a
//! request's head (and at most 10 s idle between two requests on one connection), at most 512
//! connections at once (a 503 beyond); writes run on their own tasks and always finish; a
//! graceful shutdown (SIGINT/SIGTERM) lets in-flight requests finish.
//! With `--tls-cert`/`--tls-key` it serves HTTPS (rustls, [`tls`]), the handshake within the
//! header-read timeout; SIGHUP re-reads the certificate.

mod auth;
mod auth_log;
mod error;
mod listen;
mod logging;
mod metrics;
mod observe;
mod openapi;
mod paging;
mod prune;
mod ready;
mod router;
mod routes_admin;
mod routes_engine;
mod routes_objects;
mod routes_relations;
mod start;
pub mod tls;
mod util;

pub use error::ApiError;
pub use logging::LogFormat;
pub use openapi::document as openapi_document;
pub use prune::{PRUNE_EVERY, prune_once};
pub use start::{ServeOptions, StoreSource, serve_store};
pub use tls::{Tls, TlsError, TlsFiles};

use crate::backend::{Error, Result};
use crate::service::{Actor, Service};
use crate::wire::{BODY_LIMIT, IMPORT_BODY_LIMIT, NO_AUTH_WARNING};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How a server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Serve without authentication: every caller acts as the store's first owner.
    pub no_auth: bool,
    /// The longest a request may take.
    pub timeout: Duration,
    /// The largest request body (but import's).
    pub body_limit: usize,
    /// The largest import body.
    pub import_limit: usize,
    /// What the per-request backends report as their location (the store).
    pub location: String,
    /// The longest a client may take to send a request's head; also the longest a keep-alive
    /// connection may stay idle between two requests.
    pub header_read_timeout: Duration,
    /// The most connections served at once; one more is answered 503 and closed.
    pub max_connections: usize,
    /// How often relations whose end has passed are removed from the store (`None`: never;
    /// decisions leave them out either way).
    pub prune_every: Option<Duration>,
    /// The origins browsers may call the API from (`https://admin.example.com`); empty: no
    /// CORS headers at all (docs/OPERATING.md).
    pub cors_origins: Vec<String>,
    /// How `gatehouse serve` ([`run`]) writes its log.
    pub log_format: LogFormat,
    /// Serve HTTPS with this certificate (reloaded on SIGHUP by `gatehouse serve`).
    pub tls: Option<Tls>,
}

/// The default of [`ServerConfig::header_read_timeout`].
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The default of [`ServerConfig::max_connections`].
pub const MAX_CONNECTIONS: usize = 512;

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            no_auth: false,
            timeout: Duration::from_secs(30),
            body_limit: BODY_LIMIT,
            import_limit: IMPORT_BODY_LIMIT,
            location: String::new(),
            header_read_timeout: HEADER_READ_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            prune_every: Some(PRUNE_EVERY),
            cors_origins: Vec::new(),
            log_format: LogFormat::Text,
            tls: None,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct App {
    service: Arc<Service>,
    location: String,
    /// `Some` with `--no-auth`: the owner every caller acts as.
    no_auth_actor: Option<Actor>,
    timeout: Duration,
    /// When a request last made this server read the store's revision out of turn (an unknown
    /// key, see [`auth::authenticate`]; an `at_least_revision` ahead of the snapshot): at most
    /// one such read per [`auth::STALE_READ_EVERY`], shared by every request.
    stale_read: Arc<tokio::sync::Mutex<Option<std::time::Instant>>>,
    /// The server's Prometheus metrics (`GET /metrics`).
    metrics: Arc<metrics::Metrics>,
}

/// The owner a `--no-auth` server acts as: the store's first enabled owner.
fn first_owner(service: &Service) -> Result<Actor> {
    let snap = service.snapshot();
    snap.state
        .users
        .values()
        .filter(|u| u.owner && !u.disabled)
        .min_by_key(|u| (u.created_at, u.id))
        .map(|u| Actor::user(u, false))
        .ok_or_else(|| {
            Error::invalid(
                "--no-auth",
                "the store has no owner to act as; run `gatehouse init` first",
            )
        })
}

/// The axum router of the whole API.
pub fn router(service: Arc<Service>, config: &ServerConfig) -> Result<axum::Router> {
    let no_auth_actor = if config.no_auth {
        Some(first_owner(&service)?)
    } else {
        None
    };
    let app = App {
        service,
        location: config.location.clone(),
        no_auth_actor,
        timeout: config.timeout,
        stale_read: Arc::default(),
        metrics: Arc::new(metrics::Metrics::new()),
    };
    router::build(app, config)
}

/// Serves `router` on `listener` within `config`'s connection limits until `shutdown`
/// completes, then lets in-flight requests finish.
pub fn serve<F>(
    listener: TcpListener,
    router: axum::Router,
    shutdown: F,
    config: &ServerConfig,
) -> impl Future<Output = std::io::Result<()>> + Send + use<F>
where
    F: Future<Output = ()> + Send + 'static,
{
    let limits = listen::Limits {
        header_read_timeout: config.header_read_timeout,
        max_connections: config.max_connections,
    };
    listen::serve(listener, router, shutdown, limits, config.tls.clone())
}

/// A server running on a task (tests, benchmarks, embedding).
#[derive(Debug)]
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// True when it serves HTTPS.
    tls: bool,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    /// Follows writes made by other processes or replicas ([`follow_store`]), and removes
    /// ended relations ([`ServerConfig::prune_every`]).
    background: Background,
}

/// The tasks a server runs beside serving requests; stopped with it.
#[derive(Debug)]
struct Background(Vec<JoinHandle<()>>);

impl Background {
    fn start(service: &Arc<Service>, config: &ServerConfig) -> Background {
        let mut tasks = vec![tokio::spawn(follow_store(service.clone()))];
        if let Some(every) = config.prune_every.filter(|d| !d.is_zero()) {
            tasks.push(tokio::spawn(prune::prune_ended(service.clone(), every)));
        }
        Background(tasks)
    }

    fn stop(&self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop();
    }
}

impl RunningServer {
    /// `http://ADDR` (`https://` with TLS), the URL to give
    /// [`HttpBackend`](crate::connect::HttpBackend).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting, waits for in-flight requests, and returns the server's result.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.background.stop();
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Binds `addr` (port 0 for an ephemeral port) and serves the API on a task.
pub async fn spawn(
    service: Arc<Service>,
    config: &ServerConfig,
    addr: SocketAddr,
) -> Result<RunningServer> {
    let background = service.clone();
    let router = router(service, config)?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Unreachable(format!("cannot listen on {addr}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Unreachable(format!("cannot read the listening address: {e}")))?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(
        listener,
        router,
        async move {
            let _ = stopped.await;
        },
        config,
    ));
    let background = Background::start(&background, config);
    Ok(RunningServer {
        addr,
        tls: config.tls.is_some(),
        stop: Some(stop),
        task,
        background,
    })
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when this is called,
/// not when the future is first polled: a signal that comes right after the server said where
/// it listens stops it gracefully instead of killing it.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (int, term) = signals;
            tokio::select! {
                _ = next_signal(int) => {},
                _ = next_signal(term) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing in-flight requests");
    }
}

/// The next delivery of `signal` (never, without a handler).
#[cfg(unix)]
async fn next_signal(signal: Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(mut s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// `gatehouse serve`: serves `service` on `listen` until SIGINT/SIGTERM. Logs to stderr.
pub async fn run(service: Arc<Service>, listen: &str, config: ServerConfig) -> Result<()> {
    logging::init(config.log_format);
    let addr: SocketAddr = listen.parse().map_err(|_| {
        Error::invalid(
            "--listen",
            format!("'{listen}' is not an address:port (e.g. 127.0.0.1:7420)"),
        )
    })?;
    if config.no_auth {
        eprintln!("WARNING: {NO_AUTH_WARNING}.");
        eprintln!("WARNING: anyone who can reach {addr} can change everything. Never expose it.");
    }
    let background = service.clone();
    let router = router(service, &config)?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Unreachable(format!("cannot listen on {addr}: {e}")))?;
    let bound = listener.local_addr().unwrap_or(addr);
    let shutdown = shutdown_signal();
    // SIGHUP too, before the server says it serves.
    let reload = tls::reload_on_hangup(config.tls.clone());
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(
        "gatehouse {} serving {} on {scheme}://{bound}/api/v1",
        env!("GATEHOUSE_VERSION"),
        config.location
    );
    let background = Background::start(&background, &config);
    let reload = tokio::spawn(reload);
    let served = serve(listener, router, shutdown, &config).await;
    background.stop();
    reload.abort();
    served.map_err(|e| Error::Unreachable(format!("the server stopped: {e}")))
}

/// How often a server looks for writes made to its store by another process.
const REFRESH_EVERY: Duration = Duration::from_secs(1);

/// Keeps the snapshot in step with writes made by other processes (the CLI on the same file,
/// other replicas on one PostgreSQL database): at once when the store announces a revision
/// (LISTEN/NOTIFY), and one revision read per second as a safety net; a full reload only when
/// the revision moved.
pub async fn follow_store(service: Arc<Service>) {
    let mut tick = tokio::time::interval(REFRESH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut watch = service.watch_store();
    loop {
        let announced = async {
            match watch.as_mut() {
                Some(w) => w.changed().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tick.tick() => {}
            alive = announced => {
                if !alive {
                    tracing::warn!("the store's change feed ended; polling only");
                    watch = None;
                }
            }
        }
        match service.refresh_if_stale().await {
            Ok(true) => tracing::info!(
                revision = service.snapshot().state.revision,
                "picked up changes written by another process"
            ),
            Ok(false) => {}
            Err(e) => tracing::warn!("cannot re-read the store: {e}"),
        }
    }
}
