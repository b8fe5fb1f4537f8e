//! `load` (from [`super::cache`], or whole tables through [`super::bulk`]; all at one
//! revision) and `audit`.

use super::bulk::{self, Split};
use super::rows::{self, from_ts};
use super::{cache, db_err, write};
use crate::model::AuditEvent;
use crate::model::AuditQuery;
use crate::policy::State;
use crate::store::{StoreError, StoreResult};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};

const SELECT_AUDIT: &str = "SELECT revision, at, actor, action, object_kind, object_id, \
     before_json, after_json FROM audit \
     WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR actor = ?2) \
     AND (?3 IS NULL OR revision < ?3) \
     ORDER BY revision DESC, seq DESC LIMIT ?4";

/// Reads everything but the audit log: from the load cache when it holds the current
/// revision (`true` beside it), else from the tables (`false`: the caller may cache it).
pub(super) async fn load(pool: &SqlitePool) -> StoreResult<(State, bool)> {
    if let Some(st) = cached(pool).await? {
        return Ok((st, true));
    }
    Ok((tables(pool).await?, false))
}

/// The cached state plus the API keys (read from their table in the same transaction), when
/// the cache is current.
async fn cached(pool: &SqlitePool) -> StoreResult<Option<State>> {
    // A deferred transaction: the first SELECT fixes the snapshot every later one reads.
    let mut tx = pool.begin().await.map_err(db_err)?;
    let revision = write::revision(&mut tx).await?;
    let st = match cache::read(&mut tx, revision).await? {
        Some(mut st) => {
            st.revision = revision;
            st.keys = bulk::keys(&mut tx).await?.into_iter().collect();
            st.reindex();
            Some(st)
        }
        None => None,
    };
    tx.commit().await.map_err(db_err)?;
    Ok(st)
}

/// Tries of the parallel read before [`one_transaction`] reads the tables instead.
const PARALLEL_TRIES: usize = 3;

/// Reads every table but the audit log: in two parts at once on two reader connections
/// ([`part`]), which share the work of the largest tables (users, permissions) and of their
/// links. Each part is one read transaction that starts by reading the revision; parts that
/// read the same revision read the same tables, since every write to them bumps the revision
/// in the same transaction (`touch_key` does not, and API keys are read by one part only).
/// When a write came in between, it tries again, and in the end reads everything in one
/// transaction.
pub(super) async fn tables(pool: &SqlitePool) -> StoreResult<State> {
    for _ in 0..PARALLEL_TRIES {
        let a = tokio::spawn(part(pool.clone(), 0));
        let b = tokio::spawn(part(pool.clone(), 1));
        let joined = |r: Result<StoreResult<State>, tokio::task::JoinError>| {
            r.map_err(|e| StoreError::Database(format!("loading the tables: {e}")))?
        };
        let (mut a, mut b) = (joined(a.await)?, joined(b.await)?);
        if a.revision != b.revision {
            continue;
        }
        a.users.append(&mut b.users);
        a.teams.append(&mut b.teams);
        a.roles.append(&mut b.roles);
        a.keys.append(&mut b.keys);
        a.role_permissions.append(&mut b.role_permissions);
        a.user_roles.append(&mut b.user_roles);
        a.team_roles.append(&mut b.team_roles);
        a.members.append(&mut b.members);
        a.grants.append(&mut b.grants);
        for (link, at) in b.expiries.iter() {
            a.expiries.set(link, Some(at));
        }
        a.reindex();
        return Ok(a);
    }
    one_transaction(pool).await
}

/// Part `n` (0 or 1) of [`tables`]: the users whose rowid is `n` modulo 2, and half of the
/// other tables: the permissions (read whole into one table: halves would be copied into a
/// third when put together), small tables and the links' ends in part 0, the user and permission links in
/// part 1.
async fn part(pool: SqlitePool, n: i64) -> StoreResult<State> {
    let split = Split { parts: 2, part: n };
    // A deferred transaction: the first SELECT fixes the snapshot every later one reads.
    let mut tx = pool.begin().await.map_err(db_err)?;
    let conn: &mut SqliteConnection = &mut tx;
    // `collect` into the B-trees sorts once and builds them in bulk; keys are unique (primary
    // keys), as with one `insert` per row.
    let mut st = State {
        revision: write::revision(conn).await?,
        users: bulk::users(conn, split).await?.into_iter().collect(),
        ..State::default()
    };
    if n == 0 {
        st.permissions = bulk::permissions(conn).await?;
        st.teams = bulk::teams(conn).await?.into_iter().collect();
        st.roles = bulk::roles(conn).await?.into_iter().collect();
        st.keys = bulk::keys(conn).await?.into_iter().collect();
        st.team_roles = bulk::team_roles(conn).await?.into_iter().collect();
        st.members = bulk::members(conn).await?.into_iter().collect();
        st.grants = bulk::grants(conn).await?.into_iter().collect();
        st.expiries = bulk::expiries(conn).await?;
    } else {
        st.role_permissions = bulk::role_permissions(conn).await?.into_iter().collect();
        st.user_roles = bulk::user_roles(conn).await?.into_iter().collect();
    }
    tx.commit().await.map_err(db_err)?;
    Ok(st)
}

/// Reads every table but the audit log in one read transaction.
pub(super) async fn one_transaction(pool: &SqlitePool) -> StoreResult<State> {
    // A deferred transaction: the first SELECT fixes the snapshot every later one reads.
    let mut tx = pool.begin().await.map_err(db_err)?;
    let conn: &mut SqliteConnection = &mut tx;
    let mut st = State {
        revision: write::revision(conn).await?,
        users: bulk::users(conn, Split::WHOLE).await?.into_iter().collect(),
        teams: bulk::teams(conn).await?.into_iter().collect(),
        roles: bulk::roles(conn).await?.into_iter().collect(),
        permissions: bulk::permissions(conn).await?,
        keys: bulk::keys(conn).await?.into_iter().collect(),
        role_permissions: bulk::role_permissions(conn).await?.into_iter().collect(),
        user_roles: bulk::user_roles(conn).await?.into_iter().collect(),
        team_roles: bulk::team_roles(conn).await?.into_iter().collect(),
        members: bulk::members(conn).await?.into_iter().collect(),
        grants: bulk::grants(conn).await?.into_iter().collect(),
        expiries: bulk::expiries(conn).await?,
        ..State::default()
    };
    tx.commit().await.map_err(db_err)?;
    st.reindex();
    Ok(st)
}

fn json(row: &SqliteRow, col: usize) -> StoreResult<serde_json::Value> {
    let text: Option<&str> = row
        .try_get(col)
        .map_err(|e| StoreError::Corrupt(format!("audit column: {e}")))?;
    match text {
        None => Ok(serde_json::Value::Null),
        Some(t) => {
            serde_json::from_str(t).map_err(|e| StoreError::Corrupt(format!("audit JSON: {e}")))
        }
    }
}

fn text(row: &SqliteRow, col: usize) -> StoreResult<String> {
    row.try_get(col)
        .map_err(|e| StoreError::Corrupt(format!("audit column: {e}")))
}

fn event(row: &SqliteRow) -> StoreResult<AuditEvent> {
    let at: i64 = row
        .try_get(1)
        .map_err(|e| StoreError::Corrupt(format!("audit column: {e}")))?;
    Ok(AuditEvent {
        revision: rows::get_u64(row, 0)?,
        at: from_ts(at)?,
        actor: text(row, 2)?,
        action: text(row, 3)?,
        object_kind: rows::kind_from_str(&text(row, 4)?)?,
        object_id: text(row, 5)?,
        before: json(row, 6)?,
        after: json(row, 7)?,
    })
}

/// Reads audit events, newest first.
pub(super) async fn audit(pool: &SqlitePool, q: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
    let limit = if q.limit == 0 {
        -1
    } else {
        i64::try_from(q.limit).unwrap_or(i64::MAX)
    };
    let before = q
        .before_revision
        .map(|r| i64::try_from(r).unwrap_or(i64::MAX));
    let mut conn = pool.acquire().await.map_err(db_err)?;
    let rows = sqlx::query(SELECT_AUDIT)
        .bind(q.since.map(rows::ts_ceil))
        .bind(q.actor.as_deref())
        .bind(before)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
    rows.iter().map(event).collect()
}

/// The current revision.
pub(super) async fn revision(pool: &SqlitePool) -> StoreResult<u64> {
    let mut conn = pool.acquire().await.map_err(db_err)?;
    write::revision(&mut conn).await
}
