//! `load` (every table in one `REPEATABLE READ` snapshot, one query per table, rows decoded
//! as they stream in), `audit` and `revision`.

use super::rows;
use super::{db_err, write};
use crate::model::AuditQuery;
use crate::model::{AuditEvent, Id, Principal};
use crate::policy::{LinkExpiry, State};
use crate::store::sql::{KEY_COLS, PERMISSION_COLS, ROLE_COLS, TEAM_COLS, USER_COLS};
use crate::store::{StoreError, StoreResult};
use futures_util::TryStreamExt;
use sqlx::Row;
use sqlx::postgres::{PgConnection, PgPool, PgRow};

const SELECT_AUDIT: &str = "SELECT revision, at, actor, action, object_kind, object_id, \
     before_json::text, after_json::text FROM audit \
     WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::text IS NULL OR actor = $2) \
     AND ($3::bigint IS NULL OR revision < $3) \
     ORDER BY revision DESC, seq DESC LIMIT $4";

/// Streams every row of `sql` through `decode` into a collection.
async fn all<T, C: Default + Extend<T>>(
    conn: &mut PgConnection,
    sql: &str,
    decode: impl Fn(&PgRow) -> StoreResult<T>,
) -> StoreResult<C> {
    let mut out = C::default();
    let mut stream = sqlx::query(sql).fetch(&mut *conn);
    while let Some(row) = stream.try_next().await.map_err(db_err)? {
        out.extend(std::iter::once(decode(&row)?));
    }
    Ok(out)
}

/// Every link that ends: its kind (0 user role, 1 team role, 2 membership, 3 a user's grant,
/// 4 a team's grant), its two ids and its end (read through the partial indexes on the ends).
const ENDS: &str = "SELECT 0, user_id, role_id, expires_at FROM user_roles \
     WHERE expires_at IS NOT NULL \
     UNION ALL SELECT 1, team_id, role_id, expires_at FROM team_roles \
     WHERE expires_at IS NOT NULL \
     UNION ALL SELECT 2, team_id, user_id, expires_at FROM team_members \
     WHERE expires_at IS NOT NULL \
     UNION ALL SELECT CASE WHEN user_id IS NULL THEN 4 ELSE 3 END, coalesce(user_id, team_id), \
     permission_id, expires_at FROM grants WHERE expires_at IS NOT NULL";

/// A row of [`ENDS`].
fn end(row: &PgRow) -> StoreResult<LinkExpiry> {
    let kind: i32 = row
        .try_get(0)
        .map_err(|e| StoreError::Corrupt(format!("link end: {e}")))?;
    let (a, b) = (rows::get_id(row, 1)?, rows::get_id(row, 2)?);
    let link = crate::store::end_tags::tagged_link(i64::from(kind), a, b)
        .ok_or_else(|| StoreError::Corrupt(format!("link end of kind {kind}")))?;
    let expires_at = rows::get_opt_ts(row, 3)?
        .ok_or_else(|| StoreError::Corrupt("a link end is NULL".into()))?;
    Ok(LinkExpiry { link, expires_at })
}

fn pair(row: &PgRow) -> StoreResult<(Id, Id)> {
    Ok((rows::get_id(row, 0)?, rows::get_id(row, 1)?))
}

/// Reads everything but the audit log in one read-only snapshot.
pub(super) async fn load(pool: &PgPool) -> StoreResult<State> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    let conn: &mut PgConnection = &mut tx;
    let revision = write::revision(conn).await?;
    let users = all(conn, &format!("SELECT {USER_COLS} FROM users"), |r| {
        rows::user(r).map(|u| (u.id, u))
    })
    .await?;
    let teams = all(conn, &format!("SELECT {TEAM_COLS} FROM teams"), |r| {
        rows::team(r).map(|t| (t.id, t))
    })
    .await?;
    let roles = all(conn, &format!("SELECT {ROLE_COLS} FROM roles"), |r| {
        rows::role(r).map(|x| (x.id, x))
    })
    .await?;
    let permissions = all(
        conn,
        &format!("SELECT {PERMISSION_COLS} FROM permissions"),
        |r| rows::permission(r).map(|p| (p.id, p)),
    )
    .await?;
    let keys = all(conn, &format!("SELECT {KEY_COLS} FROM api_keys"), |r| {
        rows::key(r).map(|k| (k.id, k))
    })
    .await?;
    let role_permissions = all(
        conn,
        "SELECT role_id, permission_id FROM role_permissions",
        pair,
    )
    .await?;
    let user_roles = all(conn, "SELECT user_id, role_id FROM user_roles", pair).await?;
    let team_roles = all(conn, "SELECT team_id, role_id FROM team_roles", pair).await?;
    let members = all(
        conn,
        "SELECT team_id, user_id, role_id FROM team_members",
        |r| {
            Ok((
                (rows::get_id(r, 0)?, rows::get_id(r, 1)?),
                rows::get_opt_id(r, 2)?,
            ))
        },
    )
    .await?;
    let grants = all(
        conn,
        "SELECT user_id, team_id, permission_id FROM grants",
        |r| {
            let principal = match (rows::get_opt_id(r, 0)?, rows::get_opt_id(r, 1)?) {
                (Some(u), None) => Principal::User(u),
                (None, Some(t)) => Principal::Team(t),
                _ => return Err(StoreError::Corrupt("grant without one grantee".into())),
            };
            Ok((principal, rows::get_id(r, 2)?))
        },
    )
    .await?;
    let expiries: Vec<LinkExpiry> = all(conn, ENDS, end).await?;
    tx.commit().await.map_err(db_err)?;
    let mut st = State {
        revision,
        users,
        teams,
        roles,
        permissions,
        keys,
        role_permissions,
        user_roles,
        team_roles,
        members,
        grants,
        expiries: expiries.into_iter().collect(),
        ..State::default()
    };
    st.reindex();
    Ok(st)
}

fn json(row: &PgRow, col: usize) -> StoreResult<serde_json::Value> {
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

fn text(row: &PgRow, col: usize) -> StoreResult<String> {
    row.try_get(col)
        .map_err(|e| StoreError::Corrupt(format!("audit column: {e}")))
}

fn event(row: &PgRow) -> StoreResult<AuditEvent> {
    Ok(AuditEvent {
        revision: rows::get_u64(row, 0)?,
        at: row
            .try_get(1)
            .map_err(|e| StoreError::Corrupt(format!("audit column: {e}")))?,
        actor: text(row, 2)?,
        action: text(row, 3)?,
        object_kind: kind_from_str(&text(row, 4)?)?,
        object_id: text(row, 5)?,
        before: json(row, 6)?,
        after: json(row, 7)?,
    })
}

/// Parses a stored object kind name.
fn kind_from_str(s: &str) -> StoreResult<crate::model::ObjectKind> {
    use crate::model::ObjectKind;
    Ok(match s {
        "user" => ObjectKind::User,
        "team" => ObjectKind::Team,
        "role" => ObjectKind::Role,
        "permission" => ObjectKind::Permission,
        "api_key" => ObjectKind::ApiKey,
        "role_permission" => ObjectKind::RolePermission,
        "user_role" => ObjectKind::UserRole,
        "team_role" => ObjectKind::TeamRole,
        "team_member" => ObjectKind::TeamMember,
        "grant" => ObjectKind::Grant,
        other => {
            return Err(StoreError::Corrupt(format!("audit object kind: {other}")));
        }
    })
}

/// Reads audit events, newest first.
pub(super) async fn audit(pool: &PgPool, q: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
    let limit = (q.limit > 0).then(|| i64::try_from(q.limit).unwrap_or(i64::MAX));
    let before = q
        .before_revision
        .map(|r| i64::try_from(r).unwrap_or(i64::MAX));
    let rows = sqlx::query(SELECT_AUDIT)
        .bind(q.since.map(rows::ts_ceil))
        .bind(q.actor.as_deref())
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter().map(event).collect()
}

/// The current revision.
pub(super) async fn revision(pool: &PgPool) -> StoreResult<u64> {
    let mut conn = pool.acquire().await.map_err(db_err)?;
    write::revision(&mut conn).await
}
