//! The load cache: the loaded state (all but API keys and the audit log) at one revision, as
//! postcard parts of at most 16k records in `load_cache_parts`, counted by a header row in
//! `load_cache` (so a load holds one part at a time, never the whole encoded state). Decoding it is several times faster than aggregating
//! the tables ([`super::bulk`]); a 100k-user store loads in tens of milliseconds instead of
//! hundreds.
//!
//! The cache is disposable and not part of the versioned schema: `open` creates its table when
//! missing, anything may delete its row, and a row is used only while its `revision` is the
//! store's revision (every write that changes the cached tables bumps the revision in the same
//! transaction; `touch_key` does not, which is why API keys are always read from their table)
//! and its `format` is [`FORMAT`]. A row that fails to decode is ignored. The row is written
//! after a load that found none usable, once the service hands the loaded state back
//! ([`Store::loaded`](crate::store::Store::loaded): the console after its first frame, `serve`
//! after opening), encoded off the caller's thread, and only if the store is still at that
//! revision;
//! applying a migration deletes it. Edits made behind gatehouse's back that leave the revision
//! alone (an `UPDATE` in the sqlite3 shell) are not seen while the row is current: delete it
//! (`DELETE FROM load_cache`) after such edits.

mod codec;
mod parts;

use super::db_err;
use crate::model::Revision;
use crate::store::{State, StoreResult};
#[cfg(test)]
use codec::Pairs;
use parts::{Decoder, Header, Part};
#[cfg(test)]
use parts::{decode, encode};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use std::sync::Arc;

/// Creates the cache tables (at open, inside the migration transaction): the header row and
/// the parts it counts.
pub(super) const CREATE: [&str; 2] = [
    "CREATE TABLE IF NOT EXISTS load_cache (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL,
    format   INTEGER NOT NULL,
    data     BLOB NOT NULL
) STRICT",
    "CREATE TABLE IF NOT EXISTS load_cache_parts (
    n    INTEGER PRIMARY KEY,
    kind INTEGER NOT NULL,
    data BLOB NOT NULL
) STRICT",
];

/// Drops the cached state (after a migration).
pub(super) const CLEAR: [&str; 2] = ["DELETE FROM load_cache", "DELETE FROM load_cache_parts"];

/// The encoding of `data` ([`codec`]). Bump it whenever the encoding or the model changes
/// shape; the conversions destructure every model field, so a new field does not compile until
/// it is handled there.
const FORMAT: i64 = 3;

/// The store's revision (what the header row must be at to be written).
const REVISION: &str = "SELECT value FROM meta WHERE name = 'revision'";

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
        let part = sqlx::query("SELECT kind, data FROM load_cache_parts WHERE n = ?1")
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

/// Caches `st` in the background: encodes it on a blocking thread, then writes the header and
/// the parts in one transaction (only if the store is still at its revision). Failures only
/// cost the next load its speed, so they are logged, not returned; outside a tokio runtime
/// nothing is cached.
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
        let (header, parts) = match tokio::task::spawn_blocking(move || encode_all(&st)).await {
            Ok(Ok(encoded)) => encoded,
            Ok(Err(e)) => return tracing::debug!("not caching the load: {e}"),
            Err(e) => return tracing::debug!("not caching the load: {e}"),
        };
        match write(&pool, revision, &header, parts).await {
            Ok(true) => {}
            Ok(false) => tracing::debug!("not caching the load: the store has moved on"),
            Err(e) => tracing::debug!("not caching the load: {e}"),
        }
    });
}

/// [`codec::encode`], the header encoded too.
fn encode_all(st: &State) -> StoreResult<(Vec<u8>, Vec<Part>)> {
    let (header, parts) = parts::encode(st)?;
    let header = postcard::to_allocvec(&header)
        .map_err(|e| crate::store::StoreError::Database(format!("load cache: {e}")))?;
    Ok((header, parts))
}

/// Writes the cache in one transaction if the store is at `revision`; whether it did.
async fn write(
    pool: &SqlitePool,
    revision: i64,
    header: &[u8],
    parts: Vec<Part>,
) -> StoreResult<bool> {
    // The write lock is taken first, so the revision read next cannot move before commit.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db_err)?;
    let at: Option<i64> = sqlx::query_scalar(REVISION)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
    if at != Some(revision) {
        return Ok(false);
    }
    for sql in CLEAR {
        sqlx::query(sql).execute(&mut *tx).await.map_err(db_err)?;
    }
    for (n, part) in (0i64..).zip(parts) {
        sqlx::query("INSERT INTO load_cache_parts (n, kind, data) VALUES (?1, ?2, ?3)")
            .bind(n)
            .bind(part.kind as i64)
            .bind(part.data)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    sqlx::query("INSERT INTO load_cache (id, revision, format, data) VALUES (1, ?1, ?2, ?3)")
        .bind(revision)
        .bind(FORMAT)
        .bind(header)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(true)
}

#[cfg(test)]
mod tests;
