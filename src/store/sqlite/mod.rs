//! The embedded SQLite store: one file (mode 0600), WAL journal, `synchronous=FULL`, foreign
//! keys on, real constraints in the schema. Writes go through one dedicated connection
//! (serialized by a mutex, and `BEGIN IMMEDIATE` against other processes); reads use a small
//! pool and see consistent snapshots.

mod audit;
mod bind;
mod bulk;
mod cache;

/// Decodes untrusted load-cache bytes (the fuzz target's entry; see `crate::fuzzing`).
#[doc(hidden)]
pub fn decode_untrusted_cache(data: &[u8]) -> crate::store::StoreResult<crate::policy::State> {
    cache::decode_untrusted(data)
}

/// Encodes a state the way [`decode_untrusted_cache`] reads it (fuzz seeds).
#[doc(hidden)]
pub fn encode_untrusted_cache(state: &crate::policy::State) -> crate::store::StoreResult<Vec<u8>> {
    cache::encode_untrusted(state)
}
mod delete;
#[cfg(test)]
mod fixture;
mod links;
mod read;
mod rows;
mod schema;
mod write;

use super::{AuditQuery, Change, State, Store, StoreError, StoreResult};
use crate::model::{AuditEvent, Id, ObjectKind, Revision};
use async_trait::async_trait;
use sqlx::ConnectOptions;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::Mutex;

/// How long a statement waits for a lock held by another connection or process.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements cached per connection (the store uses fewer than 100 distinct ones).
const STATEMENT_CACHE: usize = 256;
/// Rows a connection's worker thread may read ahead of the consumer (fewer thread switches
/// when loading large tables).
const ROW_BUFFER: usize = 1024;
/// Read connections.
const READERS: u32 = 4;
/// Page size of a new store file (a file keeps the size it was created with: changing it takes
/// a `VACUUM`). 16 KiB instead of SQLite's 4 KiB: a large commit splits and writes a quarter as
/// many B-tree pages (an import of 1M permissions: ~27 s → ~22 s on the development machine),
/// and whole-table reads step through fewer pages; a small write puts a few more KiB in the WAL.
pub(crate) const PAGE_SIZE: u32 = 16_384;

/// A gatehouse store in one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    readers: SqlitePool,
    writer: Mutex<SqliteConnection>,
    /// The revision of the last load that read the tables, until [`Store::loaded`] caches it.
    uncached: std::sync::Mutex<Option<Revision>>,
}

/// Maps a database error outside the write path's own diagnosis.
fn db_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. } => StoreError::Corrupt(e.to_string()),
        sqlx::Error::Database(ref d) if matches!(sqlite_code(d.code().as_deref()), 11 | 26) => {
            StoreError::Corrupt(e.to_string())
        }
        other => StoreError::Database(other.to_string()),
    }
}

/// The primary SQLite result code of an extended code string.
fn sqlite_code(code: Option<&str>) -> i32 {
    code.and_then(|c| c.parse::<i32>().ok()).unwrap_or(0) & 0xff
}

/// SQLite's primary result code for a write refused because the database is read-only
/// (`SQLITE_READONLY`; its extended codes say why: the file, the directory, recovery …).
const SQLITE_READONLY: i32 = 8;

/// Whether the error is a constraint violation (unique, foreign key, check, not null).
fn is_constraint(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => sqlite_code(d.code().as_deref()) == 19,
        _ => false,
    }
}

/// Creates the parent directory (0700) and the file (0600) when missing, and refuses a file
/// that does not start with the SQLite header.
fn prepare_file(path: &Path) -> StoreResult<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let io = |e: std::io::Error| StoreError::Database(format!("{}: {e}", path.display()));
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
        && !parent.exists()
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(io)?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io(e)),
    }
    let mut header = Vec::with_capacity(16);
    std::fs::File::open(path)
        .map_err(io)?
        .take(16)
        .read_to_end(&mut header)
        .map_err(io)?;
    if !header.is_empty() && header != b"SQLite format 3\0" {
        return Err(StoreError::Corrupt(format!(
            "{} is not a gatehouse store (not an SQLite database)",
            path.display()
        )));
    }
    Ok(())
}

/// A store that cannot even be opened because SQLite may not write (its write-ahead log lives
/// next to the file): the message names the file, what is read-only and the fix, instead of
/// SQLite's bare "attempt to write a readonly database".
fn read_only_at_open(e: sqlx::Error, path: &Path) -> StoreError {
    /// `SQLITE_READONLY_DIRECTORY`: the directory is not writable.
    const READONLY_DIRECTORY: i32 = SQLITE_READONLY | (6 << 8);
    let code = match &e {
        sqlx::Error::Database(d) => d.code().and_then(|c| c.parse::<i32>().ok()),
        _ => None,
    };
    let Some(code) = code.filter(|c| c & 0xff == SQLITE_READONLY) else {
        return db_err(e);
    };
    let what = if code == READONLY_DIRECTORY {
        "its directory is read-only for this process"
    } else {
        "it is read-only for this process"
    };
    StoreError::Database(format!(
        "cannot open the store {}: {what} ({e}); SQLite keeps its write-ahead log (-wal, -shm) \
         next to the file, so the file and its directory must be writable by this user",
        path.display()
    ))
}

impl SqliteStore {
    /// Opens (creating when missing) the store at `path` and applies pending migrations.
    ///
    /// Fails with [`StoreError::Corrupt`] when the file is not a gatehouse store or was written
    /// by a newer gatehouse.
    pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
        prepare_file(path)?;
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(false)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .statement_cache_capacity(STATEMENT_CACHE)
            .row_buffer_size(ROW_BUFFER)
            .page_size(PAGE_SIZE);
        let mut writer = opts
            .connect()
            .await
            .map_err(|e| read_only_at_open(e, path))
            .map_err(|e| match e {
                StoreError::Corrupt(msg) => StoreError::Corrupt(format!(
                    "{} is not a gatehouse store ({msg})",
                    path.display()
                )),
                other => other,
            })?;
        schema::migrate(&mut writer, path).await?;
        // Up to 128 MiB of page cache for the writer (SQLite's default is 2 MiB): a large
        // commit (an import of a million permissions) then writes each page to the WAL once
        // instead of spilling it again and again. Readers keep the default.
        sqlx::query("PRAGMA cache_size = -131072")
            .execute(&mut writer)
            .await
            .map_err(db_err)?;
        let readers = SqlitePoolOptions::new()
            .max_connections(READERS)
            .min_connections(0)
            .connect_lazy_with(opts);
        Ok(SqliteStore {
            path: path.to_path_buf(),
            readers,
            writer: Mutex::new(writer),
            uncached: std::sync::Mutex::new(None),
        })
    }

    /// Whether this process may write the store, asked the way a write would: a write
    /// transaction is begun and rolled back, nothing changes. `Some(why)` when SQLite refuses
    /// it as read-only (the file or its directory not writable by this user, a read-only
    /// mount, an immutable file), `None` when writes will work.
    pub async fn read_only_reason(&self) -> StoreResult<Option<String>> {
        let mut conn = self.writer.lock().await;
        let begun = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await;
        let refused = match begun {
            Ok(_) => {
                // A page written too (the journal or WAL takes it), then undone.
                let wrote = sqlx::query("UPDATE schema_migrations SET version = version")
                    .execute(&mut *conn)
                    .await;
                sqlx::query("ROLLBACK")
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
                wrote.err()
            }
            Err(e) => Some(e),
        };
        match refused {
            None => Ok(None),
            Some(sqlx::Error::Database(d))
                if sqlite_code(d.code().as_deref()) == SQLITE_READONLY =>
            {
                Ok(Some(d.message().to_string()))
            }
            Some(e) => Err(db_err(e)),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection settings and schema version in effect (for diagnostics and tests).
    pub async fn settings(&self) -> StoreResult<SqliteSettings> {
        let mut conn = self.writer.lock().await;
        let text = async |conn: &mut SqliteConnection, sql: &'static str| -> StoreResult<String> {
            let v: String = sqlx::query_scalar(sql)
                .fetch_one(&mut *conn)
                .await
                .map_err(db_err)?;
            Ok(v)
        };
        let int = async |conn: &mut SqliteConnection, sql: &'static str| -> StoreResult<i64> {
            let v: i64 = sqlx::query_scalar(sql)
                .fetch_one(&mut *conn)
                .await
                .map_err(db_err)?;
            Ok(v)
        };
        Ok(SqliteSettings {
            journal_mode: text(&mut conn, "PRAGMA journal_mode").await?,
            foreign_keys: int(&mut conn, "PRAGMA foreign_keys").await? == 1,
            synchronous: int(&mut conn, "PRAGMA synchronous").await?,
            busy_timeout_ms: int(&mut conn, "PRAGMA busy_timeout").await?,
            schema_version: int(&mut conn, "SELECT MAX(version) FROM schema_migrations").await?,
        })
    }
}

/// What [`SqliteStore::settings`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteSettings {
    /// `PRAGMA journal_mode` (`wal`).
    pub journal_mode: String,
    /// `PRAGMA foreign_keys`.
    pub foreign_keys: bool,
    /// `PRAGMA synchronous` (2 = FULL).
    pub synchronous: i64,
    /// `PRAGMA busy_timeout` in milliseconds.
    pub busy_timeout_ms: i64,
    /// The applied schema version.
    pub schema_version: i64,
}

#[async_trait]
impl Store for SqliteStore {
    fn describe(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }

    async fn load(&self) -> StoreResult<State> {
        let (state, from_cache) = read::load(&self.readers).await?;
        if !from_cache {
            // Cached by `loaded`, once the caller holds the state (encoding it here would
            // delay the caller: a console's first frame).
            *self.uncached.lock().unwrap_or_else(|p| p.into_inner()) = Some(state.revision);
        }
        Ok(state)
    }

    fn loaded(&self, state: &Arc<State>) {
        let mut uncached = self.uncached.lock().unwrap_or_else(|p| p.into_inner());
        if *uncached == Some(state.revision) {
            *uncached = None;
            cache::store(&self.readers, state.clone());
        }
    }

    async fn revision(&self) -> StoreResult<Revision> {
        read::revision(&self.readers).await
    }

    async fn commit(&self, actor: &str, changes: &[Change]) -> StoreResult<Revision> {
        if changes.is_empty() {
            return read::revision(&self.readers).await;
        }
        let mut conn = self.writer.lock().await;
        write::commit(&mut conn, actor, changes, None).await
    }

    async fn commit_at(
        &self,
        actor: &str,
        changes: &[Change],
        base: Revision,
    ) -> StoreResult<Revision> {
        if changes.is_empty() {
            return read::revision(&self.readers).await;
        }
        let mut conn = self.writer.lock().await;
        write::commit(&mut conn, actor, changes, Some(base)).await
    }

    async fn audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        read::audit(&self.readers, query).await
    }

    async fn touch_key(&self, id: Id, at: OffsetDateTime) -> StoreResult<()> {
        let mut conn = self.writer.lock().await;
        let done = sqlx::query(super::sql::TOUCH_KEY)
            .bind(rows::idb(&id))
            .bind(rows::ts(at))
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(write::not_found(ObjectKind::ApiKey, id));
        }
        Ok(())
    }
}
