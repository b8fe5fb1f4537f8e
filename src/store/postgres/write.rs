//! `commit`: one transaction that locks the revision row (serializing writers across
//! processes), applies the changes in order with the semantics of
//! [`State::apply`](crate::policy::State::apply), bumps the revision once and writes one audit
//! row per effect.
//!
//! A failed statement aborts a PostgreSQL transaction, so the write path avoids relying on
//! constraint errors where it must keep reading: creates use `ON CONFLICT DO NOTHING` and
//! explain a skipped row afterwards; links check their ends in the same statement. A foreign
//! key or unique violation that does abort the transaction is mapped straight to the error
//! the reference reports (the commit fails anyway).

use super::rows::{self, Q};
use super::{db_err, delete, links, sqlstate};
use crate::model::{Id, ObjectKind, Revision, now};
use crate::policy::{Change, Effect, Object};
use crate::store::sql;
use crate::store::{StoreError, StoreResult};
use sqlx::postgres::{PgConnection, PgPool};
use std::collections::HashSet;
use std::sync::LazyLock;

/// Objects inserted by one multi-row INSERT.
const INSERT_BATCH: usize = 256;

const INSERT_AUDIT: &str = concat!(
    sql::insert_audit!(),
    "SELECT $1, $2, $3, t.seq, t.action, t.kind, t.object_id, t.before::json, t.after::json \
     FROM UNNEST($4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[]) \
     AS t(seq, action, kind, object_id, before, after)"
);

const LOCK_REVISION: &str = "SELECT value FROM meta WHERE name = 'revision' FOR UPDATE";

/// Per kind: the INSERT of one object and of [`INSERT_BATCH`] objects.
static STATEMENTS: LazyLock<Vec<[String; 2]>> = LazyLock::new(|| {
    sql::OBJECT_KINDS
        .iter()
        .map(|&k| [rows::insert_sql(k, 1), rows::insert_sql(k, INSERT_BATCH)])
        .collect()
});

fn statement(kind: ObjectKind, which: usize) -> &'static str {
    sql::OBJECT_KINDS
        .iter()
        .position(|&k| k == kind)
        .and_then(|i| STATEMENTS.get(i))
        .and_then(|s| s.get(which))
        .map(String::as_str)
        // Only object kinds reach here; an empty statement would fail loudly.
        .unwrap_or("")
}

pub(super) fn not_found(kind: ObjectKind, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        kind,
        id: id.to_string(),
    }
}

/// Reads the current revision.
pub(super) async fn revision(conn: &mut PgConnection) -> StoreResult<Revision> {
    read_revision(conn, sql::SELECT_REVISION).await
}

async fn read_revision(conn: &mut PgConnection, sql: &str) -> StoreResult<Revision> {
    let v: Option<i64> = sqlx::query_scalar(sql)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    let v = v.ok_or_else(|| StoreError::Corrupt("the revision row is missing".into()))?;
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative revision {v}")))
}

/// Applies `changes` atomically and returns the new revision.
pub(super) async fn commit(
    pool: &PgPool,
    channel: &str,
    actor: &str,
    changes: &[Change],
    base: Option<Revision>,
) -> StoreResult<Revision> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    match apply_all(&mut tx, channel, actor, changes, base).await {
        Ok(rev) => {
            tx.commit().await.map_err(db_err)?;
            Ok(rev)
        }
        Err(e) => {
            // The error is what matters; a failed rollback also leaves nothing committed.
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

async fn apply_all(
    conn: &mut PgConnection,
    channel: &str,
    actor: &str,
    changes: &[Change],
    base: Option<Revision>,
) -> StoreResult<Revision> {
    // Locks the counter until the commit: other writers (any process) wait here.
    let current = read_revision(conn, LOCK_REVISION).await?;
    if let Some(base) = base
        && base != current
    {
        return Err(StoreError::Moved {
            base,
            actual: current,
        });
    }
    let rev = current
        .checked_add(1)
        .ok_or_else(|| StoreError::Database("revision overflow".into()))?;
    let mut effects = Vec::with_capacity(changes.len());
    let mut i = 0;
    while i < changes.len() {
        if let Some(objs) = create_run(&changes[i..]) {
            insert_batch(conn, &objs).await?;
            effects.extend(objs.into_iter().map(created));
            i += INSERT_BATCH;
            continue;
        }
        apply(conn, &changes[i], &mut effects).await?;
        i += 1;
    }
    write_audit(conn, rev, actor, &effects).await?;
    sqlx::query(sql::UPDATE_REVISION)
        .bind(rows::int(rev)?)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    // Delivered to every LISTENing replica when (and only if) the transaction commits.
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel)
        .bind(rev.to_string())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(rev)
}

/// The current revision, through the pool.
pub(super) async fn revision_of(pool: &PgPool) -> StoreResult<Revision> {
    let mut conn = pool.acquire().await.map_err(db_err)?;
    revision(&mut conn).await
}

async fn apply(conn: &mut PgConnection, change: &Change, out: &mut Vec<Effect>) -> StoreResult<()> {
    match change {
        Change::Create(obj) => create(conn, obj, out).await,
        Change::Update {
            object,
            expected_version,
        } => update(conn, object, *expected_version, out).await,
        Change::Delete {
            kind,
            id,
            expected_version,
            cascade,
        } => delete::delete(conn, *kind, *id, *expected_version, *cascade, out).await,
        Change::Link(link) => links::link(conn, link, out).await,
        Change::Unlink(link) => links::unlink(conn, link, out).await,
        Change::Expire { link, expires_at } => {
            links::set_expiry(conn, link, *expires_at, out).await
        }
        Change::Expired(link) => links::expired(conn, link, out).await,
    }
}

/// The objects of the next [`INSERT_BATCH`] changes when they all create objects of one kind
/// that refers to nothing (users, roles, permissions).
fn create_run(changes: &[Change]) -> Option<Vec<&Object>> {
    let first = match changes.first()? {
        Change::Create(obj) => obj.kind(),
        _ => return None,
    };
    if !matches!(
        first,
        ObjectKind::User | ObjectKind::Role | ObjectKind::Permission
    ) {
        return None;
    }
    changes
        .get(..INSERT_BATCH)?
        .iter()
        .map(|c| match c {
            Change::Create(obj) if obj.kind() == first => Some(obj),
            _ => None,
        })
        .collect()
}

/// Inserts a full batch of objects of one kind with one statement. A row that conflicts with
/// a stored one (or an earlier one of the batch) is skipped by `ON CONFLICT DO NOTHING`; the
/// first skipped one is the change the reference fails on, and it is explained.
async fn insert_batch(conn: &mut PgConnection, objs: &[&Object]) -> StoreResult<()> {
    let Some(first) = objs.first() else {
        return Ok(());
    };
    let mut q: Q<'_> = sqlx::query(statement(first.kind(), 1));
    for obj in objs {
        q = rows::bind_object(q, obj)?;
    }
    let inserted: Vec<Id> = q
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| rows::get_id(r, 0))
        .collect::<StoreResult<_>>()?;
    if inserted.len() == objs.len() {
        return Ok(());
    }
    let inserted: HashSet<Id> = inserted.into_iter().collect();
    for obj in objs {
        if !inserted.contains(&obj.id()) {
            return Err(explain_skipped(conn, obj).await);
        }
    }
    Err(StoreError::Database(
        "a batch insert skipped rows it reported as inserted".into(),
    ))
}

fn created(obj: &Object) -> Effect {
    Effect {
        action: "create",
        kind: obj.kind(),
        object_id: obj.id().to_string(),
        before: serde_json::Value::Null,
        after: obj.to_json(),
    }
}

/// The reference's error for a reference an object holds that failed a foreign key.
fn missing_ref(obj: &Object) -> Option<StoreError> {
    match obj {
        Object::Team(t) => t.default_role.map(|r| not_found(ObjectKind::Role, r)),
        Object::ApiKey(k) => Some(not_found(ObjectKind::User, k.user_id)),
        _ => None,
    }
}

/// Maps an error of writing `obj`: a foreign key violation is its missing reference, a unique
/// violation (updates only) its unique field; anything else is a database error.
fn write_error(obj: &Object, e: sqlx::Error) -> StoreError {
    match sqlstate(&e).as_deref() {
        Some("23503") => missing_ref(obj).unwrap_or_else(|| db_err(e)),
        Some("23505") => sql::unique_field(obj)
            .map(|(_, field, value)| StoreError::Duplicate {
                kind: obj.kind(),
                field,
                value,
            })
            .unwrap_or_else(|| db_err(e)),
        _ => db_err(e),
    }
}

async fn create(conn: &mut PgConnection, obj: &Object, out: &mut Vec<Effect>) -> StoreResult<()> {
    let row = rows::bind_object(sqlx::query(statement(obj.kind(), 0)), obj)?
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| write_error(obj, e))?;
    if row.is_none() {
        return Err(explain_skipped(conn, obj).await);
    }
    out.push(created(obj));
    Ok(())
}

async fn update(
    conn: &mut PgConnection,
    obj: &Object,
    expected: u64,
    out: &mut Vec<Effect>,
) -> StoreResult<()> {
    let old = rows::fetch_object(conn, obj.kind(), obj.id())
        .await?
        .ok_or_else(|| not_found(obj.kind(), obj.id()))?;
    if old.version() != expected {
        return Err(StoreError::Conflict {
            kind: obj.kind(),
            id: obj.id().to_string(),
            expected,
            actual: old.version(),
        });
    }
    rows::bind_object(sqlx::query(sql::update(obj)), obj)?
        .execute(&mut *conn)
        .await
        .map_err(|e| write_error(obj, e))?;
    out.push(Effect {
        action: "update",
        kind: obj.kind(),
        object_id: obj.id().to_string(),
        before: old.to_json(),
        after: obj.to_json(),
    });
    Ok(())
}

/// Whether an object of `kind` with `id` exists (`false` for link kinds).
pub(super) async fn exists(conn: &mut PgConnection, kind: ObjectKind, id: Id) -> StoreResult<bool> {
    let Some(stmt) = sql::exists(kind) else {
        return Ok(false);
    };
    let row = sqlx::query(stmt)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(row.is_some())
}

/// Fails with `NotFound` when an object does not exist.
pub(super) async fn need(conn: &mut PgConnection, kind: ObjectKind, id: Id) -> StoreResult<()> {
    if exists(conn, kind, id).await? {
        Ok(())
    } else {
        Err(not_found(kind, id))
    }
}

/// Why a create was skipped by `ON CONFLICT DO NOTHING`, checked in the reference order: id
/// taken, then unique field taken.
async fn explain_skipped(conn: &mut PgConnection, obj: &Object) -> StoreError {
    let kind = obj.kind();
    match exists(conn, kind, obj.id()).await {
        Ok(true) => {
            return StoreError::Duplicate {
                kind,
                field: "id",
                value: obj.id().to_string(),
            };
        }
        Ok(false) => {}
        Err(e) => return e,
    }
    if let Some((stmt, field, value)) = sql::unique_field(obj) {
        let row = sqlx::query(stmt)
            .bind(value.as_str())
            .fetch_optional(&mut *conn)
            .await;
        match row {
            Ok(Some(_)) => return StoreError::Duplicate { kind, field, value },
            Ok(None) => {}
            Err(e) => return db_err(e),
        }
    }
    StoreError::Database(format!("{kind} '{}' could not be inserted", obj.id()))
}

/// Writes one audit row per effect, in order, with one statement.
async fn write_audit(
    conn: &mut PgConnection,
    rev: Revision,
    actor: &str,
    effects: &[Effect],
) -> StoreResult<()> {
    if effects.is_empty() {
        return Ok(());
    }
    let json = |v: &serde_json::Value| (!v.is_null()).then(|| v.to_string());
    let n = effects.len();
    let (mut seq, mut action, mut kind, mut id, mut before, mut after) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (i, e) in effects.iter().enumerate() {
        seq.push(i64::try_from(i).unwrap_or(i64::MAX));
        action.push(e.action);
        kind.push(e.kind.as_str());
        id.push(e.object_id.as_str());
        before.push(json(&e.before));
        after.push(json(&e.after));
    }
    sqlx::query(INSERT_AUDIT)
        .bind(rows::int(rev)?)
        .bind(rows::ts(now()))
        .bind(actor)
        .bind(seq)
        .bind(action)
        .bind(kind)
        .bind(id)
        .bind(before)
        .bind(after)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}
