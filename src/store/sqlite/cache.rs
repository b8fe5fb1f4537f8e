//! The load cache: the loaded state (all but API keys and the audit log) at one revision, as
//! one postcard blob in `load_cache`. Decoding it is several times faster than aggregating
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

use super::db_err;
use crate::model::Revision;
use crate::store::{State, StoreResult};
use codec::decode;
#[cfg(test)]
use codec::{Pairs, encode};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use std::sync::Arc;

/// Creates the cache table (at open, inside the migration transaction).
pub(super) const CREATE: &str = "CREATE TABLE IF NOT EXISTS load_cache (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL,
    format   INTEGER NOT NULL,
    data     BLOB NOT NULL
) STRICT";

/// Drops the cached state (after a migration).
pub(super) const CLEAR: &str = "DELETE FROM load_cache";

/// The encoding of `data` ([`codec`]). Bump it whenever the encoding or the model changes
/// shape; the conversions destructure every model field, so a new field does not compile until
/// it is handled there.
const FORMAT: i64 = 2;

/// Writes the row only if the store is still at the state's revision.
const WRITE: &str = "INSERT OR REPLACE INTO load_cache (id, revision, format, data) \
     SELECT 1, ?1, ?2, ?3 WHERE (SELECT value FROM meta WHERE name = 'revision') = ?1";

/// The cached state at `revision`, if the cache holds one that decodes (revision 0, no API
/// keys, no name index: see [`decode`]).
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
    // Borrowed from the row: the blob is copied once, out of SQLite, not again.
    let data: &[u8] = row.try_get(0).map_err(db_err)?;
    match decode(data) {
        Ok(st) => Ok(Some(st)),
        Err(e) => {
            tracing::debug!("ignoring the load cache: {e}");
            Ok(None)
        }
    }
}

/// Caches `st` in the background: encodes it on a blocking thread, then writes the row (when
/// the store is still at its revision). Failures only cost the next load its speed, so they
/// are logged, not returned; outside a tokio runtime nothing is cached.
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
        let data = match tokio::task::spawn_blocking(move || codec::encode(&st)).await {
            Ok(Ok(data)) => data,
            Ok(Err(e)) => return tracing::debug!("not caching the load: {e}"),
            Err(e) => return tracing::debug!("not caching the load: {e}"),
        };
        let done = sqlx::query(WRITE)
            .bind(revision)
            .bind(FORMAT)
            .bind(data)
            .execute(&pool)
            .await;
        if let Err(e) = done {
            tracing::debug!("not caching the load: {e}");
        }
    });
}

#[cfg(test)]
mod tests;
