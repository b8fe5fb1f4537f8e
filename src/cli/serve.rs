//! `gatehouse serve`: opens the store (creating and initializing it on first run) and serves it
//! over HTTP — HTTPS with `--tls-cert`/`--tls-key` — until SIGINT/SIGTERM. The store is the
//! `--db` file, or the PostgreSQL database of `--database-url` (several replicas may serve one
//! database).

use super::GlobalArgs;
use crate::backend::{Error, Result};
use crate::connect::default_db_path;
use crate::server::{LogFormat, ServeOptions, StoreSource};
use crate::wire::DEFAULT_LISTEN;
use clap::Args;

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
    /// How often relations whose end has passed are removed from the store (each recorded as
    /// an `expire` event): seconds, or a duration such as `5m`; `0` never removes them.
    /// Decisions leave ended relations out either way.
    #[arg(long, value_name = "DURATION", default_value = "60",
          value_parser = parse_prune_every)]
    pub prune_every: std::time::Duration,
    // Operations (docs/OPERATING.md): the log's format and CORS.
    /// How the log on stderr is written: `text` lines or `json` (one object a line, with the
    /// request's id). `RUST_LOG` sets the level.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = LogFormatArg::Text)]
    pub log_format: LogFormatArg,
    /// Let web pages from ORIGIN (`https://admin.example.com`) call the API from a browser
    /// (CORS); repeat for more. Without it no answer carries CORS headers.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    // TLS: both flags or neither; SIGHUP re-reads both files.
    /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key. SIGHUP
    /// re-reads both files for new connections (a bad pair is logged, the old one kept).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert's certificate (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormatArg {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

/// `--prune-every`: whole seconds (`60`, `0`) or a duration (`90s`, `5m`, `1h`).
fn parse_prune_every(text: &str) -> std::result::Result<std::time::Duration, String> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    humantime::parse_duration(t).map_err(|e| {
        format!("'{t}' is not a duration ({e}); give seconds (60; 0 turns pruning off) or e.g. 5m")
    })
}

/// `--tls-cert` and `--tls-key` (clap requires both or neither).
fn tls_files(args: &ServeArgs) -> Option<crate::server::TlsFiles> {
    match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(crate::server::TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
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
    let source = match &global.database_url {
        Some(url) => {
            super::select::check_database_url(url)?;
            StoreSource::Postgres(url.clone())
        }
        None => {
            let path = match &global.db {
                Some(p) => p.clone(),
                None => default_db_path()?,
            };
            // `gatehouse init` creates the store; serve never does (a mistyped path fails).
            super::select::existing_or_new_store(&path, false)?;
            StoreSource::Sqlite(path)
        }
    };
    let options = ServeOptions {
        listen: args.listen.clone(),
        no_auth: args.no_auth,
        max_connections: args.max_connections as usize,
        admin,
        prune_every: Some(args.prune_every).filter(|d| !d.is_zero()),
        log_format: match args.log_format {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        },
        cors_origins: args.cors_origins.clone(),
        tls: tls_files(args),
    };
    crate::server::serve_store(source, options).await?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::parse_prune_every;
    use std::time::Duration;

    #[test]
    fn prune_every_takes_seconds_or_a_duration_and_zero_turns_it_off() {
        assert_eq!(parse_prune_every("60"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_prune_every("0"), Ok(Duration::ZERO));
        assert_eq!(parse_prune_every("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_prune_every(" 90s "), Ok(Duration::from_secs(90)));
        let e = parse_prune_every("often").unwrap_err();
        assert!(e.contains("'often' is not a duration"), "{e}");
    }
}
