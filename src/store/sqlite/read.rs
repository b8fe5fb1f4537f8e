//! `load` (streams every table inside one read transaction, so it sees one revision) and
//! `audit`.

use super::rows::{self, from_ts, get_id, get_opt_id};
use super::{db_err, write};
use crate::model::{AuditEvent, Principal};
use crate::store::{AuditQuery, State, StoreError, StoreResult};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};

const SELECT_AUDIT: &str = "SELECT revision, at, actor, action, object_kind, object_id, \
     before_json, after_json FROM audit \
     WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR actor = ?2) \
     AND (?3 IS NULL OR revision < ?3) \
     ORDER BY revision DESC, seq DESC LIMIT ?4";

/// Runs `sql` and hands each row to `f` as it arrives (no intermediate vector).
async fn each(
    conn: &mut SqliteConnection,
    sql: &'static str,
    mut f: impl FnMut(&SqliteRow) -> StoreResult<()>,
) -> StoreResult<()> {
    let mut rows = sqlx::query(sql).fetch(&mut *conn);
    // `poll_next` is callable on the boxed `dyn Stream` without importing the trait.
    while let Some(row) = std::future::poll_fn(|cx| rows.as_mut().poll_next(cx)).await {
        f(&row.map_err(db_err)?)?;
    }
    Ok(())
}

/// Reads everything but the audit log.
pub(super) async fn load(pool: &SqlitePool) -> StoreResult<State> {
    // A deferred transaction: every SELECT below reads the same snapshot.
    let mut tx = pool.begin().await.map_err(db_err)?;
    let conn: &mut SqliteConnection = &mut tx;
    let mut st = State {
        revision: write::revision(conn).await?,
        ..State::default()
    };
    each(conn, rows::SELECT_USERS, |r| {
        let u = rows::user(r)?;
        st.users.insert(u.id, u);
        Ok(())
    })
    .await?;
    each(conn, rows::SELECT_TEAMS, |r| {
        let t = rows::team(r)?;
        st.teams.insert(t.id, t);
        Ok(())
    })
    .await?;
    each(conn, rows::SELECT_ROLES, |r| {
        let x = rows::role(r)?;
        st.roles.insert(x.id, x);
        Ok(())
    })
    .await?;
    each(conn, rows::SELECT_PERMISSIONS, |r| {
        let p = rows::permission(r)?;
        st.permissions.insert(p.id, p);
        Ok(())
    })
    .await?;
    each(conn, rows::SELECT_KEYS, |r| {
        let k = rows::key(r)?;
        st.keys.insert(k.id, k);
        Ok(())
    })
    .await?;
    let sql = "SELECT role_id, permission_id FROM role_permissions";
    each(conn, sql, |r| {
        st.role_permissions.insert((get_id(r, 0)?, get_id(r, 1)?));
        Ok(())
    })
    .await?;
    each(conn, "SELECT user_id, role_id FROM user_roles", |r| {
        st.user_roles.insert((get_id(r, 0)?, get_id(r, 1)?));
        Ok(())
    })
    .await?;
    each(conn, "SELECT team_id, role_id FROM team_roles", |r| {
        st.team_roles.insert((get_id(r, 0)?, get_id(r, 1)?));
        Ok(())
    })
    .await?;
    let sql = "SELECT team_id, user_id, role_id FROM team_members";
    each(conn, sql, |r| {
        st.members
            .insert((get_id(r, 0)?, get_id(r, 1)?), get_opt_id(r, 2)?);
        Ok(())
    })
    .await?;
    let sql = "SELECT user_id, team_id, permission_id FROM grants";
    each(conn, sql, |r| {
        let principal = match get_opt_id(r, 0)? {
            Some(u) => Principal::User(u),
            None => Principal::Team(get_id(r, 1)?),
        };
        st.grants.insert((principal, get_id(r, 2)?));
        Ok(())
    })
    .await?;
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
