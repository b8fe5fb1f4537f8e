//! The PostgreSQL store: the same tables and semantics as the SQLite store, for several
//! stateless `gatehouse serve` replicas sharing one database.
//!
//! Every commit is one transaction that first locks the one-row revision counter
//! (`SELECT … FOR UPDATE`), so commits from any number of processes are serialized and each
//! bumps the revision exactly once. Reads (`load`) run in one `REPEATABLE READ` snapshot, one
//! query per table. The schema is migrated at open under a PostgreSQL advisory lock, so
//! replicas starting together do not race. The schema used is the connection's
//! `search_path` (e.g. `postgres://host/db?options[search_path]=gatehouse`), created when
//! missing; [`PgStore::open_in_schema`] sets it explicitly.

mod delete;
mod links;
mod notify;
mod read;
mod rows;
mod schema;
mod write;

use super::{AuditQuery, Change, State, Store, StoreError, StoreResult};
use crate::model::{AuditEvent, Id, ObjectKind, Revision};
use async_trait::async_trait;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;
use time::OffsetDateTime;

/// Connections per store (each replica holds its own pool).
const MAX_CONNECTIONS: u32 = 8;
/// How long to wait for a free connection (or for the server to answer at open).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// A gatehouse store in a PostgreSQL database.
#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
    shown: String,
    /// The NOTIFY channel of this schema.
    channel: String,
    /// Revisions other processes committed, as announced on `channel`.
    feed: tokio::sync::watch::Receiver<Revision>,
    /// The LISTEN task behind `feed`.
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// Maps a database error outside the write path's own diagnosis.
fn db_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. } => StoreError::Corrupt(e.to_string()),
        // 42P01 undefined table, 42703 undefined column: not (or no longer) our schema.
        sqlx::Error::Database(ref d) if matches!(d.code().as_deref(), Some("42P01" | "42703")) => {
            StoreError::Corrupt(e.to_string())
        }
        other => StoreError::Database(other.to_string()),
    }
}

/// The SQLSTATE of a database error (`23505` unique violation, `23503` foreign key, …).
fn sqlstate(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()),
        _ => None,
    }
}

/// `postgres://user@host:port/db` with any password shown as `***` and the query string left
/// out (it may carry a password too); an unparsable URL is shown as `postgres://…`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "postgres://…".into();
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    format!("{scheme}://{authority}{path}")
}

/// Whether `name` is a plain schema name (`[A-Za-z_][A-Za-z0-9_]*`, at most 63 bytes).
fn valid_schema(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 63
}

impl PgStore {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database[?options…]`) and
    /// applies pending migrations under an advisory lock, creating the `search_path` schema
    /// when it does not exist yet.
    ///
    /// Fails with [`StoreError::Database`] when the server cannot be reached and with
    /// [`StoreError::Corrupt`] when the schema belongs to another program or to a newer
    /// gatehouse.
    pub async fn open(url: &str) -> StoreResult<PgStore> {
        let opts = PgConnectOptions::from_str(url).map_err(|e| {
            StoreError::Database(format!("bad database URL {}: {e}", redact_url(url)))
        })?;
        Self::open_with(opts, redact_url(url)).await
    }

    /// Like [`PgStore::open`], but in schema `schema` (created when missing), whatever the
    /// URL's `search_path`. Used by tests to isolate themselves.
    pub async fn open_in_schema(url: &str, schema: &str) -> StoreResult<PgStore> {
        if !valid_schema(schema) {
            return Err(StoreError::Database(format!(
                "schema name '{schema}' must be letters, digits and '_'"
            )));
        }
        let opts = PgConnectOptions::from_str(url)
            .map_err(|e| {
                StoreError::Database(format!("bad database URL {}: {e}", redact_url(url)))
            })?
            .options([("search_path", schema)]);
        Self::open_with(opts, format!("{} (schema {schema})", redact_url(url))).await
    }

    async fn open_with(opts: PgConnectOptions, shown: String) -> StoreResult<PgStore> {
        // One direct connection first: an unreachable server fails at once (a pool would
        // retry until its acquire timeout).
        let mut conn = PgConnection::connect_with(&opts)
            .await
            .map_err(|e| StoreError::Database(format!("cannot connect to {shown}: {e}")))?;
        schema::migrate(&mut conn).await?;
        let schema: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&mut conn)
            .await
            .map_err(db_err)?;
        // The pool opens its own connections; this one is done.
        let _ = conn.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(opts);
        let channel = notify::channel(&schema);
        let start = write::revision_of(&pool).await?;
        let (tx, feed) = tokio::sync::watch::channel(start);
        let listener = tokio::spawn(notify::listen(pool.clone(), channel.clone(), tx));
        Ok(PgStore {
            pool,
            shown,
            channel,
            feed,
            listener,
        })
    }

    /// The applied schema version (for diagnostics and tests).
    pub async fn schema_version(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM gatehouse_migrations")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)
    }

    /// Closes the connections (waits for the ones in use).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl Store for PgStore {
    fn describe(&self) -> String {
        self.shown.clone()
    }

    async fn load(&self) -> StoreResult<State> {
        read::load(&self.pool).await
    }

    async fn revision(&self) -> StoreResult<Revision> {
        read::revision(&self.pool).await
    }

    async fn commit(&self, actor: &str, changes: &[Change]) -> StoreResult<Revision> {
        if changes.is_empty() {
            return read::revision(&self.pool).await;
        }
        write::commit(&self.pool, &self.channel, actor, changes, None).await
    }

    async fn commit_at(
        &self,
        actor: &str,
        changes: &[Change],
        base: Revision,
    ) -> StoreResult<Revision> {
        if changes.is_empty() {
            return read::revision(&self.pool).await;
        }
        write::commit(&self.pool, &self.channel, actor, changes, Some(base)).await
    }

    fn watch(&self) -> Option<tokio::sync::watch::Receiver<Revision>> {
        Some(self.feed.clone())
    }

    async fn audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        read::audit(&self.pool, query).await
    }

    async fn touch_key(&self, id: Id, at: OffsetDateTime) -> StoreResult<()> {
        let done = sqlx::query(super::sql::TOUCH_KEY)
            .bind(id)
            .bind(rows::ts(at))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(write::not_found(ObjectKind::ApiKey, id));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_and_queries() {
        assert_eq!(
            redact_url("postgres://alice:s3cret@db.example:5432/gh?sslmode=require&password=x"),
            "postgres://alice:***@db.example:5432/gh"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432/test"
        );
        assert_eq!(redact_url("postgresql://h/db"), "postgresql://h/db");
        assert_eq!(redact_url("nonsense"), "postgres://…");
    }

    #[test]
    fn schema_names() {
        assert!(valid_schema("gh_test_1"));
        assert!(!valid_schema("1abc"));
        assert!(!valid_schema("a;drop"));
        assert!(!valid_schema(""));
    }
}
