//! `Change::Link` / `Change::Unlink` (PostgreSQL).

use super::db_err;
use super::rows;
use super::write::{need, not_found};
use crate::model::{Id, ObjectKind, Principal};
use crate::policy::{Effect, Link};
use crate::store::sql;
use crate::store::{StoreError, StoreResult};
use sqlx::postgres::PgConnection;

/// The INSERT statement and the two ids of a link that is a plain pair (its DELETE is
/// [`sql::unlink_pair`]).
fn pair(link: &Link) -> Option<(&'static str, Id, Id)> {
    Some(match *link {
        Link::RolePermission { role, permission } => (
            "INSERT INTO role_permissions (role_id, permission_id) SELECT $1, $2 \
             WHERE EXISTS (SELECT 1 FROM roles WHERE id = $1) \
             AND EXISTS (SELECT 1 FROM permissions WHERE id = $2) ON CONFLICT DO NOTHING",
            role,
            permission,
        ),
        Link::UserRole { user, role } => (
            "INSERT INTO user_roles (user_id, role_id) SELECT $1, $2 \
             WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) \
             AND EXISTS (SELECT 1 FROM roles WHERE id = $2) ON CONFLICT DO NOTHING",
            user,
            role,
        ),
        Link::TeamRole { team, role } => (
            "INSERT INTO team_roles (team_id, role_id) SELECT $1, $2 \
             WHERE EXISTS (SELECT 1 FROM teams WHERE id = $1) \
             AND EXISTS (SELECT 1 FROM roles WHERE id = $2) ON CONFLICT DO NOTHING",
            team,
            role,
        ),
        Link::Grant {
            principal: Principal::User(user),
            permission,
        } => (
            "INSERT INTO grants (user_id, permission_id) SELECT $1, $2 \
             WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) \
             AND EXISTS (SELECT 1 FROM permissions WHERE id = $2) ON CONFLICT DO NOTHING",
            user,
            permission,
        ),
        Link::Grant {
            principal: Principal::Team(team),
            permission,
        } => (
            "INSERT INTO grants (team_id, permission_id) SELECT $1, $2 \
             WHERE EXISTS (SELECT 1 FROM teams WHERE id = $1) \
             AND EXISTS (SELECT 1 FROM permissions WHERE id = $2) ON CONFLICT DO NOTHING",
            team,
            permission,
        ),
        Link::Member { .. } => return None,
    })
}

/// The objects a link needs, in the order the reference checks them.
fn ends(link: &Link) -> Vec<(ObjectKind, Id)> {
    match *link {
        Link::RolePermission { role, permission } => vec![
            (ObjectKind::Role, role),
            (ObjectKind::Permission, permission),
        ],
        Link::UserRole { user, role } => vec![(ObjectKind::User, user), (ObjectKind::Role, role)],
        Link::TeamRole { team, role } => vec![(ObjectKind::Team, team), (ObjectKind::Role, role)],
        Link::Member { team, user, role } => {
            let mut v = vec![(ObjectKind::Team, team), (ObjectKind::User, user)];
            v.extend(role.map(|r| (ObjectKind::Role, r)));
            v
        }
        Link::Grant {
            principal,
            permission,
        } => vec![
            match principal {
                Principal::User(u) => (ObjectKind::User, u),
                Principal::Team(t) => (ObjectKind::Team, t),
            },
            (ObjectKind::Permission, permission),
        ],
    }
}

async fn check_ends(conn: &mut PgConnection, link: &Link) -> StoreResult<()> {
    for (kind, id) in ends(link) {
        need(conn, kind, id).await?;
    }
    Ok(())
}

/// Adds a link (a `Member` link replaces the membership's role). A pair link is inserted only
/// when both ends exist and it is new; when nothing was inserted the ends are checked in the
/// reference order, and else the link was a duplicate.
pub(super) async fn link(
    conn: &mut PgConnection,
    link: &Link,
    out: &mut Vec<Effect>,
) -> StoreResult<()> {
    let before = match (pair(link), *link) {
        (Some((insert, a, b)), _) => {
            let done = sqlx::query(insert)
                .bind(a)
                .bind(b)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            if done.rows_affected() == 0 {
                check_ends(conn, link).await?;
                return Err(StoreError::Duplicate {
                    kind: link.kind(),
                    field: "link",
                    value: link.object_id(),
                });
            }
            serde_json::Value::Null
        }
        (None, Link::Member { team, user, role }) => {
            check_ends(conn, link).await?;
            let prev = sqlx::query(sql::SELECT_MEMBER)
                .bind(team)
                .bind(user)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
            let prev = prev.map(|r| rows::get_opt_id(&r, 0)).transpose()?;
            sqlx::query(sql::UPSERT_MEMBER)
                .bind(team)
                .bind(user)
                .bind(role)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            match prev {
                Some(role) => Link::Member { team, user, role }.to_json(),
                None => serde_json::Value::Null,
            }
        }
        // `pair` is `None` only for `Member`.
        (None, _) => return Err(StoreError::Database("unexpected link kind".into())),
    };
    out.push(Effect {
        action: "link",
        kind: link.kind(),
        object_id: link.object_id(),
        before,
        after: link.to_json(),
    });
    Ok(())
}

/// Removes a link that must exist.
pub(super) async fn unlink(
    conn: &mut PgConnection,
    link: &Link,
    out: &mut Vec<Effect>,
) -> StoreResult<()> {
    let stored = match (sql::unlink_pair(link), *link) {
        (Some((delete, a, b)), _) => {
            let done = sqlx::query(delete)
                .bind(a)
                .bind(b)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            if done.rows_affected() == 0 {
                return Err(not_found(link.kind(), link.object_id()));
            }
            *link
        }
        (None, Link::Member { team, user, .. }) => {
            let row = sqlx::query(sql::DELETE_MEMBER)
                .bind(team)
                .bind(user)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?
                .ok_or_else(|| not_found(link.kind(), link.object_id()))?;
            Link::Member {
                team,
                user,
                role: rows::get_opt_id(&row, 0)?,
            }
        }
        (None, _) => return Err(StoreError::Database("unexpected link kind".into())),
    };
    out.push(Effect {
        action: "unlink",
        kind: link.kind(),
        object_id: link.object_id(),
        before: stored.to_json(),
        after: serde_json::Value::Null,
    });
    Ok(())
}

/// Sets or clears when a relation ends (`Change::Expire`). STUB: the schema has no column yet.
pub(super) async fn set_expiry(
    _conn: &mut PgConnection,
    _link: &Link,
    _expires_at: Option<time::OffsetDateTime>,
    _out: &mut Vec<Effect>,
) -> StoreResult<()> {
    Err(StoreError::Database(
        "relation ends are not stored yet".into(),
    ))
}

/// Removes a relation whose end passed (`Change::Expired`). STUB: the schema has no column yet.
pub(super) async fn expired(
    _conn: &mut PgConnection,
    _link: &Link,
    _out: &mut Vec<Effect>,
) -> StoreResult<()> {
    Err(StoreError::Database(
        "relation ends are not stored yet".into(),
    ))
}
