//! `commit`: one `BEGIN IMMEDIATE` transaction that applies the changes in order with the
//! semantics of [`State::apply`](crate::policy::State::apply), bumps the revision once and
//! writes one audit row per effect ([`super::audit`]).

use super::audit::AuditLog;
use super::rows::{self, idb};
use super::{bind, db_err, delete, is_constraint, links};
use crate::model::{Id, ObjectKind, Revision};
use crate::policy::{Change, Effect, Object};
use crate::store::sql;
use crate::store::{StoreError, StoreResult};
use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;

pub(super) fn not_found(kind: ObjectKind, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        kind,
        id: id.to_string(),
    }
}

/// Reads the current revision.
pub(super) async fn revision(conn: &mut SqliteConnection) -> StoreResult<Revision> {
    let row = sqlx::query(sql::SELECT_REVISION)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .ok_or_else(|| StoreError::Corrupt("the revision row is missing".into()))?;
    rows::get_u64(&row, 0)
}

/// Applies `changes` atomically and returns the new revision.
pub(super) async fn commit(
    conn: &mut SqliteConnection,
    actor: &str,
    changes: &[Change],
    base: Option<Revision>,
) -> StoreResult<Revision> {
    if changes.is_empty() {
        return revision(conn).await;
    }
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(db_err)?;
    match apply_all(&mut tx, actor, changes, base).await {
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
    conn: &mut SqliteConnection,
    actor: &str,
    changes: &[Change],
    base: Option<Revision>,
) -> StoreResult<Revision> {
    // BEGIN IMMEDIATE holds the write lock: the revision cannot move until the commit.
    let current = revision(conn).await?;
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
    let mut audit = AuditLog::new(rev, actor)?;
    // Effects of the single-change paths, moved into `audit` after each change.
    let mut effects = Vec::new();
    let mut i = 0;
    // Changes before this index are known not to fit one multi-row INSERT.
    let mut single_until = 0;
    while i < changes.len() {
        if i >= single_until
            && let Some(objs) = create_run(&changes[i..])
        {
            if insert_batch(conn, &objs).await? {
                for obj in objs {
                    audit.created(obj)?;
                }
                audit.flush(conn).await?;
                i += bind::INSERT_BATCH;
                continue;
            }
            // Some row violates a constraint: apply them one by one for the exact error.
            single_until = i + bind::INSERT_BATCH;
        }
        if i >= single_until
            && let Some(run) = links::link_run(&changes[i..], bind::INSERT_BATCH)
        {
            if links::link_batch(conn, &run, &mut audit).await? {
                audit.flush(conn).await?;
                i += bind::INSERT_BATCH;
                continue;
            }
            single_until = i + bind::INSERT_BATCH;
        }
        apply(conn, &changes[i], &mut effects).await?;
        audit.effects(effects.drain(..));
        audit.flush(conn).await?;
        i += 1;
    }
    audit.finish(conn).await?;
    sqlx::query(sql::UPDATE_REVISION)
        .bind(rows::int(rev)?)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(rev)
}

async fn apply(
    conn: &mut SqliteConnection,
    change: &Change,
    out: &mut Vec<Effect>,
) -> StoreResult<()> {
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

/// The objects of the next [`bind::INSERT_BATCH`] changes when they all create objects of one
/// kind.
fn create_run(changes: &[Change]) -> Option<Vec<&Object>> {
    let first = match changes.first()? {
        Change::Create(obj) => obj.kind(),
        _ => return None,
    };
    let run = changes.get(..bind::INSERT_BATCH)?;
    run.iter()
        .map(|c| match c {
            Change::Create(obj) if obj.kind() == first => Some(obj),
            _ => None,
        })
        .collect()
}

/// Inserts a full batch of objects of one kind with one statement. `Ok(false)` when a
/// constraint failed (the statement wrote nothing).
async fn insert_batch(conn: &mut SqliteConnection, objs: &[&Object]) -> StoreResult<bool> {
    let Some(first) = objs.first() else {
        return Ok(true);
    };
    let mut q = sqlx::query(bind::insert_sql(first.kind(), true));
    for obj in objs {
        q = bind::bind_object(q, obj)?;
    }
    match q.execute(&mut *conn).await {
        Ok(_) => Ok(true),
        Err(e) if is_constraint(&e) => Ok(false),
        Err(e) => Err(db_err(e)),
    }
}

async fn create(
    conn: &mut SqliteConnection,
    obj: &Object,
    out: &mut Vec<Effect>,
) -> StoreResult<()> {
    let res = bind::bind_object(sqlx::query(bind::insert_sql(obj.kind(), false)), obj)?
        .execute(&mut *conn)
        .await;
    if let Err(e) = res {
        return Err(diagnose(conn, obj, true, e).await);
    }
    out.push(Effect {
        action: "create",
        kind: obj.kind(),
        object_id: obj.id().to_string(),
        before: serde_json::Value::Null,
        after: obj.to_json(),
    });
    Ok(())
}

async fn update(
    conn: &mut SqliteConnection,
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
    let res = bind::bind_object(sqlx::query(sql::update(obj)), obj)?
        .execute(&mut *conn)
        .await;
    if let Err(e) = res {
        return Err(diagnose(conn, obj, false, e).await);
    }
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
pub(super) async fn exists(
    conn: &mut SqliteConnection,
    kind: ObjectKind,
    id: Id,
) -> StoreResult<bool> {
    let Some(stmt) = sql::exists(kind) else {
        return Ok(false);
    };
    let row = sqlx::query(stmt)
        .bind(idb(&id))
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(row.is_some())
}

/// Fails with `NotFound` when an object does not exist.
pub(super) async fn need(conn: &mut SqliteConnection, kind: ObjectKind, id: Id) -> StoreResult<()> {
    if exists(conn, kind, id).await? {
        Ok(())
    } else {
        Err(not_found(kind, id))
    }
}

/// Explains why writing `obj` failed, checking in the reference order: id taken (create),
/// unique field taken, missing reference. Anything else is a database error.
async fn diagnose(
    conn: &mut SqliteConnection,
    obj: &Object,
    creating: bool,
    err: sqlx::Error,
) -> StoreError {
    if !is_constraint(&err) {
        return db_err(err);
    }
    match explain(conn, obj, creating).await {
        Ok(()) => db_err(err),
        Err(e) => e,
    }
}

async fn explain(conn: &mut SqliteConnection, obj: &Object, creating: bool) -> StoreResult<()> {
    let kind = obj.kind();
    if creating && exists(conn, kind, obj.id()).await? {
        return Err(StoreError::Duplicate {
            kind,
            field: "id",
            value: obj.id().to_string(),
        });
    }
    if let Some((stmt, field, value)) = sql::unique_field(obj) {
        let row = sqlx::query(stmt)
            .bind(value.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
        if let Some(row) = row
            && rows::get_id(&row, 0)? != obj.id()
        {
            return Err(StoreError::Duplicate { kind, field, value });
        }
    }
    match obj {
        Object::Team(t) => match t.default_role {
            Some(r) => need(conn, ObjectKind::Role, r).await,
            None => Ok(()),
        },
        Object::ApiKey(k) => need(conn, ObjectKind::User, k.user_id).await,
        _ => Ok(()),
    }
}
