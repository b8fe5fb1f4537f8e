//! The audit rows of one commit (one row per effect, in order; `seq` numbers them inside the
//! revision). Rows are rendered to JSON text as the effects happen — objects and links created
//! in bulk straight from their structs, without an intermediate `serde_json::Value` — and
//! written in multi-row INSERTs of [`AUDIT_BATCH`] rows while the commit goes on, so a large
//! commit (an import) holds at most one batch of rendered rows at a time.

use super::db_err;
use super::rows;
use crate::model::{ObjectKind, Revision, now};
use crate::policy::{Effect, Link, Object};
use crate::store::sql;
use crate::store::{StoreError, StoreResult};
use sqlx::sqlite::SqliteConnection;
use std::sync::LazyLock;

/// Audit rows written per multi-row INSERT.
const AUDIT_BATCH: usize = 64;

const INSERT_AUDIT: &str = concat!(
    sql::insert_audit!(),
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
);

/// `INSERT … VALUES (…), (…)` for [`AUDIT_BATCH`] rows, with anonymous `?` parameters
/// (SQLite resolves numbered ones by a linear scan, quadratic over hundreds of parameters).
static INSERT_AUDIT_BATCH: LazyLock<String> = LazyLock::new(|| {
    let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";
    format!(
        concat!(sql::insert_audit!(), "VALUES {}"),
        vec![row; AUDIT_BATCH].join(", ")
    )
});

/// One audit row, rendered.
struct Row {
    action: &'static str,
    kind: ObjectKind,
    object_id: String,
    before: Option<String>,
    after: Option<String>,
}

/// JSON text of a value (`None` for JSON null, stored as SQL NULL).
fn value_text(v: &serde_json::Value) -> Option<String> {
    (!v.is_null()).then(|| v.to_string())
}

fn to_text<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    // Model structs and links always serialize (string keys, no floats); map the impossible
    // error rather than unwrap.
    serde_json::to_string(v).map_err(|e| StoreError::Database(e.to_string()))
}

/// The object as JSON text: the same document as [`Object::to_json`].
fn object_text(obj: &Object) -> StoreResult<String> {
    match obj {
        Object::User(x) => to_text(x),
        Object::Team(x) => to_text(x),
        Object::Role(x) => to_text(x),
        Object::Permission(x) => to_text(x),
        Object::ApiKey(x) => to_text(&crate::policy::key_audit_json(x)),
    }
}

/// The audit rows of one commit being written.
pub(super) struct AuditLog<'a> {
    revision: i64,
    at: i64,
    actor: &'a str,
    /// `seq` of the next row written.
    seq: i64,
    rows: Vec<Row>,
}

impl<'a> AuditLog<'a> {
    /// An empty log for revision `rev` by `actor`, stamped now.
    pub(super) fn new(rev: Revision, actor: &'a str) -> StoreResult<AuditLog<'a>> {
        Ok(AuditLog {
            revision: rows::int(rev)?,
            at: rows::ts(now()),
            actor,
            seq: 0,
            rows: Vec::with_capacity(AUDIT_BATCH),
        })
    }

    /// Records effects reported by the single-change paths, in order.
    pub(super) fn effects(&mut self, effects: impl IntoIterator<Item = Effect>) {
        for e in effects {
            self.rows.push(Row {
                action: e.action,
                kind: e.kind,
                object_id: e.object_id,
                before: value_text(&e.before),
                after: value_text(&e.after),
            });
        }
    }

    /// Records the creation of an object (as [`Effect`] `create` would).
    pub(super) fn created(&mut self, obj: &Object) -> StoreResult<()> {
        self.rows.push(Row {
            action: "create",
            kind: obj.kind(),
            object_id: obj.id().to_string(),
            before: None,
            after: Some(object_text(obj)?),
        });
        Ok(())
    }

    /// Records a new link that replaced nothing (as [`Effect`] `link` would).
    pub(super) fn linked(&mut self, link: &Link) -> StoreResult<()> {
        self.rows.push(Row {
            action: "link",
            kind: link.kind(),
            object_id: link.object_id(),
            before: None,
            after: Some(to_text(link)?),
        });
        Ok(())
    }

    /// Writes every full batch recorded so far.
    pub(super) async fn flush(&mut self, conn: &mut SqliteConnection) -> StoreResult<()> {
        if self.rows.len() < AUDIT_BATCH {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let mut chunks = rows.into_iter();
        loop {
            let chunk: Vec<Row> = chunks.by_ref().take(AUDIT_BATCH).collect();
            if chunk.len() < AUDIT_BATCH {
                self.rows = chunk;
                self.rows.reserve(AUDIT_BATCH);
                return Ok(());
            }
            let mut q = sqlx::query(INSERT_AUDIT_BATCH.as_str());
            for r in chunk {
                q = q
                    .bind(self.revision)
                    .bind(self.at)
                    .bind(self.actor)
                    .bind(self.seq)
                    .bind(r.action)
                    .bind(r.kind.as_str())
                    .bind(r.object_id)
                    .bind(r.before)
                    .bind(r.after);
                self.seq += 1;
            }
            q.execute(&mut *conn).await.map_err(db_err)?;
        }
    }

    /// Writes everything still pending.
    pub(super) async fn finish(mut self, conn: &mut SqliteConnection) -> StoreResult<()> {
        self.flush(conn).await?;
        for r in std::mem::take(&mut self.rows) {
            sqlx::query(INSERT_AUDIT)
                .bind(self.revision)
                .bind(self.at)
                .bind(self.actor)
                .bind(self.seq)
                .bind(r.action)
                .bind(r.kind.as_str())
                .bind(r.object_id)
                .bind(r.before)
                .bind(r.after)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            self.seq += 1;
        }
        Ok(())
    }
}
