//! Starting `gatehouse serve` on a store: opens it (initializing one that has no owner yet; the
//! CLI refuses a missing store file before this, as only `gatehouse init` creates one), warns
//! when an SQLite file is read-only, builds the index and serves until SIGINT/SIGTERM.

use super::ServerConfig;
use crate::backend::{Error, Result};
use crate::catalog::Catalogs;
use crate::service::Service;
use crate::store::{PgStore, SqliteStore, Store};
use crate::text::sanitize;
use std::path::PathBuf;
use std::sync::Arc;

/// The store a server serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSource {
    /// An SQLite store file (`gatehouse serve` checks first that it exists).
    Sqlite(PathBuf),
    /// A PostgreSQL database (several replicas may serve one).
    Postgres(String),
}

/// How `gatehouse serve` serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// The address to listen on.
    pub listen: String,
    /// Every caller acts as the owner (loud warnings).
    pub no_auth: bool,
    /// The most connections served at once.
    pub max_connections: usize,
    /// The owner's username on first run.
    pub admin: String,
    /// How often relations whose end has passed are removed (`None`: never).
    pub prune_every: Option<std::time::Duration>,
    /// How the log is written.
    pub log_format: super::LogFormat,
    /// The origins browsers may call the API from (none: no CORS).
    pub cors_origins: Vec<String>,
    /// Serve HTTPS with these files (`--tls-cert`, `--tls-key`).
    pub tls: Option<super::TlsFiles>,
}

/// Says on stderr, before serving, when the store file cannot be written by this process: the
/// server would start and answer reads, and only the first write would fail.
async fn warn_if_read_only(store: &SqliteStore, shown: &str) {
    let shown = sanitize(shown);
    match store.read_only_reason().await {
        Ok(None) => {}
        Ok(Some(why)) => eprintln!(
            "WARNING: the store {shown} is read-only for this process ({}): reads are served, \
             but every write will fail. Make the file and its directory writable by the user \
             running `gatehouse serve`.",
            sanitize(&why)
        ),
        Err(e) => eprintln!(
            "WARNING: cannot tell whether the store {shown} is writable ({}); writes may fail.",
            sanitize(&e.to_string())
        ),
    }
}

/// Opens the store and serves it until SIGINT/SIGTERM.
pub async fn serve_store(source: StoreSource, options: ServeOptions) -> Result<()> {
    // Bad TLS files fail before the store is touched.
    let tls = options.tls.clone().map(super::Tls::load).transpose()?;
    let (store, shown, hint): (Arc<dyn Store>, String, String) = match source {
        StoreSource::Postgres(url) => {
            let store = PgStore::open(&url).await?;
            let shown = store.describe();
            (Arc::new(store), shown, "--database-url URL".to_string())
        }
        StoreSource::Sqlite(path) => {
            let store = SqliteStore::open(&path).await?;
            let shown = path.display().to_string();
            warn_if_read_only(&store, &shown).await;
            let hint = format!("--db {}", sanitize(&shown));
            (Arc::new(store), shown, hint)
        }
    };
    let catalogs = Arc::new(Catalogs::builtin().map_err(|e| Error::Store(e.to_string()))?);
    let service = Arc::new(Service::open(store, catalogs).await?);
    // Checks need the index: build it before serving the first one.
    service.snapshot().engine();
    service.cache_load();
    let location = shown.clone();
    let shown = sanitize(&shown);
    if !service.is_initialized() {
        let r = service.init(&options.admin).await?;
        if r.created {
            eprintln!(
                "initialized a new store at {shown}; owner: {}",
                sanitize(&r.admin)
            );
        }
    }
    let snap = service.snapshot();
    let live_keys = snap
        .state
        .keys
        .values()
        .filter(|k| k.revoked_at.is_none())
        .count();
    if live_keys == 0 && !options.no_auth {
        eprintln!(
            "note: the store has no API key yet; create one with `gatehouse {hint} keys create USER` \
             (the server picks it up within a second)"
        );
    }
    drop(snap);
    let config = ServerConfig {
        no_auth: options.no_auth,
        location,
        max_connections: options.max_connections,
        prune_every: options.prune_every,
        log_format: options.log_format,
        cors_origins: options.cors_origins,
        tls,
        ..ServerConfig::default()
    };
    super::run(service, &options.listen, config).await
}
