//! `gatehouse serve`: opens the store (creating and initializing it on first run) and serves it
//! over HTTP until SIGINT/SIGTERM. The store is the `--db` file, or the PostgreSQL database of
//! `--database-url` (several replicas may serve one database).

use super::{GlobalArgs, prepare_store_path};
use crate::backend::default_db_path;
use crate::backend::{Error, Result};
use crate::catalog::Catalogs;
use crate::server::ServerConfig;
use crate::service::Service;
use crate::store::Store;
use crate::text::sanitize;
use crate::wire::DEFAULT_LISTEN;
use clap::Args;
use std::sync::Arc;

/// `serve` options (the store comes from the global `--db` or `--database-url`).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    pub listen: String,
    /// Serve without authentication: every caller acts as the store's owner. Loud warnings;
    /// never expose such a server.
    #[arg(long)]
    pub no_auth: bool,
    /// The most connections served at once; one more gets a 503 and is closed.
    #[arg(long, value_name = "N", default_value_t = crate::server::MAX_CONNECTIONS as u32,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
}

/// Says on stderr, before serving, when the store file cannot be written by this process: the
/// server would start and answer reads, and only the first write would fail.
async fn warn_if_read_only(store: &crate::store::SqliteStore, shown: &str) {
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

/// Runs the server.
pub async fn serve(global: &GlobalArgs, args: &ServeArgs, admin: String) -> Result<i32> {
    if global.remote.is_some() {
        return Err(Error::invalid(
            "--remote",
            "serve runs next to its store; drop --remote (and pass --db PATH or --database-url URL)",
        ));
    }
    if global.as_user.is_some() {
        return Err(Error::invalid(
            "--as",
            "serve acts as each request's API key; drop --as",
        ));
    }
    if global.read_only {
        return Err(Error::invalid(
            "--read-only",
            "serve has no read-only mode; hand out read-only keys (`keys create USER --read-only`)",
        ));
    }
    let (store, shown, hint): (Arc<dyn Store>, String, String) = match &global.database_url {
        Some(url) => {
            super::select::check_database_url(url)?;
            let store = crate::store::PgStore::open(url).await?;
            let shown = store.describe();
            (Arc::new(store), shown, "--database-url URL".to_string())
        }
        None => {
            let path = match &global.db {
                Some(p) => p.clone(),
                None => default_db_path()?,
            };
            prepare_store_path(&path)?;
            let store = crate::store::SqliteStore::open(&path).await?;
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
        let r = service.init(&admin).await?;
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
    if live_keys == 0 && !args.no_auth {
        eprintln!(
            "note: the store has no API key yet; create one with `gatehouse {hint} keys create USER` \
             (the server picks it up within a second)"
        );
    }
    drop(snap);
    let config = ServerConfig {
        no_auth: args.no_auth,
        location,
        max_connections: args.max_connections as usize,
        ..ServerConfig::default()
    };
    crate::server::run(service, &args.listen, config).await?;
    Ok(0)
}
