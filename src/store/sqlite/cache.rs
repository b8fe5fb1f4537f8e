//! The load cache: the loaded state (all but API keys and the audit log) at one revision, as
//! postcard parts of at most 16k records in `load_cache_chunks`, counted by a header row in
//! `load_cache` — so neither a load nor a write holds the whole encoded state (~100 MiB for a
//! million permissions), one part at a time. Decoding it is several times faster than
//! aggregating the tables ([`super::bulk`]); a 100k-user store loads in tens of milliseconds
//! instead of hundreds.
//!
//! The cache is disposable and not part of the versioned schema: `open` creates its tables
//! when missing, anything may delete its rows, and the header is used only while its
//! `revision` is the store's revision (every write that changes the cached tables bumps the
//! revision in the same transaction; `touch_key` does not, which is why API keys are always
//! read from their table) and its `format` is [`FORMAT`]; then the parts of that revision are
//! read, in the same read transaction, and must be the ones the header counts. A cache that
//! fails to decode is ignored. It is written after a load that found none usable, once the
//! service hands the loaded state back ([`Store::loaded`](crate::store::Store::loaded): the
//! console after its first frame, `serve` after opening): each part is encoded off the
//! caller's thread and stored on its own (keyed by the revision, so no write lock is held
//! while encoding), then one short transaction writes the header — only if the store is still
//! at that revision — and drops the parts of other revisions. Applying a migration deletes it.
//! Edits made behind gatehouse's back that leave the revision alone (an `UPDATE` in the
//! sqlite3 shell) are not seen while the header is current: delete it
//! (`DELETE FROM load_cache`) after such edits.

mod codec;
mod parts;

use super::db_err;
use crate::model::Revision;
use crate::policy::State;
use crate::store::{StoreError, StoreResult};
#[cfg(test)]
use codec::Pairs;
use parts::{Decoder, Header, Part};
#[cfg(test)]
use parts::{decode, encode};
pub(crate) use parts::{decode_untrusted, encode_untrusted};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use std::sync::Arc;

/// Creates the cache tables (at open, inside the migration transaction): the header row and
/// the parts it counts (a table of an earlier layout is dropped).
pub(super) const CREATE: [&str; 3] = [
    "CREATE TABLE IF NOT EXISTS load_cache (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL,
    format   INTEGER NOT NULL,
    data     BLOB NOT NULL
) STRICT",
    "DROP TABLE IF EXISTS load_cache_parts",
    "CREATE TABLE IF NOT EXISTS load_cache_chunks (
    revision INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    kind     INTEGER NOT NULL,
    data     BLOB NOT NULL,
    PRIMARY KEY (revision, n)
) STRICT",
];

/// Drops the cached state (after a migration).
pub(super) const CLEAR: [&str; 2] = ["DELETE FROM load_cache", "DELETE FROM load_cache_chunks"];

/// The encoding of `data` ([`codec`]). Bump it whenever the encoding or the model changes
/// shape; the conversions destructure every model field, so a new field does not compile until
/// it is handled there.
const FORMAT: i64 = 5;

/// The cached state at `revision`, if the cache holds one that decodes (revision 0, no API
/// keys, no name index: see [`Decoder`]). `conn` must be in a transaction (the header and the
/// parts are read from one snapshot). The parts are decoded as they arrive, one at a time.
pub(super) async fn read(
    conn: &mut SqliteConnection,
    revision: Revision,
) -> StoreResult<Option<State>> {
    let Ok(rev) = i64::try_from(revision) else {
        return Ok(None);
    };
    let row =
        sqlx::query("SELECT data FROM load_cache WHERE id = 1 AND revision = ?1 AND format = ?2")
            .bind(rev)
            .bind(FORMAT)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let header: Header = match postcard::from_bytes(row.try_get::<&[u8], _>(0).map_err(db_err)?) {
        Ok(h) => h,
        Err(e) => {
            tracing::debug!("ignoring the load cache: header: {e}");
            return Ok(None);
        }
    };
    let mut decoder = Decoder::for_header(&header);
    // One query per part: a statement's rows are read ahead of the consumer (ROW_BUFFER), which
    // would hold many parts at once.
    for n in 0..header.parts {
        let Ok(n) = i64::try_from(n) else {
            return Ok(None);
        };
        let part =
            sqlx::query("SELECT kind, data FROM load_cache_chunks WHERE revision = ?1 AND n = ?2")
                .bind(rev)
                .bind(n)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
        let Some(part) = part else {
            tracing::debug!("ignoring the load cache: part {n} is missing");
            return Ok(None);
        };
        let kind: i64 = part.try_get(0).map_err(db_err)?;
        // Borrowed from the row: the part is copied once, out of SQLite, not again.
        let data: &[u8] = part.try_get(1).map_err(db_err)?;
        if let Err(e) = decoder.part(kind, data) {
            tracing::debug!("ignoring the load cache: {e}");
            return Ok(None);
        }
    }
    match decoder.finish(&header) {
        Ok(st) => Ok(Some(st)),
        Err(e) => {
            tracing::debug!("ignoring the load cache: {e}");
            Ok(None)
        }
    }
}

/// Caches `st` in the background: a blocking thread encodes it part by part, each part is
/// stored as it comes ([`store_part`]), then [`finish`] writes the header if the store is still
/// at the state's revision. Failures only cost the next load its speed, so they are logged,
/// not returned; outside a tokio runtime nothing is cached.
pub(super) fn store(pool: &SqlitePool, st: Arc<State>) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let revision = match i64::try_from(st.revision) {
        Ok(r) => r,
        Err(e) => return tracing::debug!("not caching the load: {e}"),
    };
    let pool = pool.clone();
    rt.spawn(async move {
        // One part in flight: the encoder waits while the previous one is stored.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Part>(1);
        let encoder = tokio::task::spawn_blocking(move || {
            parts::encode_each(&st, |p| {
                tx.blocking_send(p)
                    .map_err(|_| StoreError::Database("load cache: the writer stopped".into()))
            })
        });
        let mut stored = Ok(());
        let mut n = 0i64;
        while let Some(part) = rx.recv().await {
            stored = store_part(&pool, revision, n, part).await;
            if stored.is_err() {
                break;
            }
            n += 1;
        }
        // Stops the encoder if storing failed.
        drop(rx);
        let header = match (encoder.await, stored) {
            (_, Err(e)) | (Ok(Err(e)), _) => return tracing::debug!("not caching the load: {e}"),
            (Err(e), _) => return tracing::debug!("not caching the load: {e}"),
            (Ok(Ok(header)), Ok(())) => header,
        };
        match finish(&pool, revision, &header).await {
            Ok(true) => {}
            Ok(false) => tracing::debug!("not caching the load: the store has moved on"),
            Err(e) => tracing::debug!("not caching the load: {e}"),
        }
    });
}

/// Stores part `n` of the cache of `revision` (on its own: a short write).
async fn store_part(pool: &SqlitePool, revision: i64, n: i64, part: Part) -> StoreResult<()> {
    sqlx::query(
        "INSERT OR REPLACE INTO load_cache_chunks (revision, n, kind, data) \
         VALUES (?1, ?2, ?3, ?4)",
    )
    .bind(revision)
    .bind(n)
    .bind(part.kind as i64)
    .bind(part.data)
    .execute(pool)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Writes the header of the cache of `revision`, whose parts are stored, if the store is at
/// that revision, and drops the parts of other revisions (or, when the store has moved on,
/// these parts); whether the header was written.
async fn finish(pool: &SqlitePool, revision: i64, header: &Header) -> StoreResult<bool> {
    let header = postcard::to_allocvec(header)
        .map_err(|e| StoreError::Database(format!("load cache: {e}")))?;
    // The write lock is taken first, so the revision read next cannot move before commit.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db_err)?;
    // The store's revision (what the header row must be at to be written).
    let at: Option<i64> = sqlx::query_scalar(crate::store::sql::SELECT_REVISION)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
    let current = at == Some(revision);
    let drop_parts = if current {
        "DELETE FROM load_cache_chunks WHERE revision != ?1"
    } else {
        "DELETE FROM load_cache_chunks WHERE revision = ?1"
    };
    sqlx::query(drop_parts)
        .bind(revision)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    if current {
        sqlx::query(
            "INSERT OR REPLACE INTO load_cache (id, revision, format, data) VALUES (1, ?1, ?2, ?3)",
        )
        .bind(revision)
        .bind(FORMAT)
        .bind(header)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(current)
}

#[cfg(test)]
mod tests;
