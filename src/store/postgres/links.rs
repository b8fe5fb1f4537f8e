//! `Change::Link` / `Change::Unlink`, and a link's end: `Change::Expire` / `Change::Expired`
//! (PostgreSQL).

use super::db_err;
use super::rows;
use super::write::{need, not_found};
use crate::model::{Id, ObjectKind, Principal};
use crate::policy::{Effect, Link, link_json};
use crate::store::sql;
use crate::store::{StoreError, StoreResult};
use sqlx::postgres::PgConnection;
use time::OffsetDateTime;

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

/// Removes a link that must exist; the link as it was stored (a membership with its role) and
/// its end.
async fn remove(
    conn: &mut PgConnection,
    link: &Link,
) -> StoreResult<(Link, Option<OffsetDateTime>)> {
    match (sql::unlink_pair(link), *link) {
        (Some((delete, a, b)), _) => {
            let row = sqlx::query(delete)
                .bind(a)
                .bind(b)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?
                .ok_or_else(|| not_found(link.kind(), link.object_id()))?;
            // A role's permission returns an untyped NULL: not read.
            let ends = if link.may_expire() {
                rows::get_opt_ts(&row, 0)?
            } else {
                None
            };
            Ok((*link, ends))
        }
        (None, Link::Member { team, user, .. }) => {
            let row = sqlx::query(sql::DELETE_MEMBER)
                .bind(team)
                .bind(user)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?
                .ok_or_else(|| not_found(link.kind(), link.object_id()))?;
            let role = rows::get_opt_id(&row, 0)?;
            Ok((
                Link::Member { team, user, role },
                rows::get_opt_ts(&row, 1)?,
            ))
        }
        (None, _) => Err(StoreError::Database("unexpected link kind".into())),
    }
}

/// Removes a link that must exist.
pub(super) async fn unlink(
    conn: &mut PgConnection,
    link: &Link,
    out: &mut Vec<Effect>,
) -> StoreResult<()> {
    let (stored, ends) = remove(conn, link).await?;
    out.push(Effect {
        action: "unlink",
        kind: link.kind(),
        object_id: link.object_id(),
        before: link_json(&stored, ends),
        after: serde_json::Value::Null,
    });
    Ok(())
}

/// Sets or clears when a relation ends (`Change::Expire`): refused for a role's permission,
/// not found when the link is not there.
pub(super) async fn set_expiry(
    conn: &mut PgConnection,
    link: &Link,
    expires_at: Option<OffsetDateTime>,
    out: &mut Vec<Effect>,
) -> StoreResult<()> {
    let end = sql::end_of(link).ok_or_else(|| no_end(link))?;
    let (a, b) = end.ids;
    let row = sqlx::query(end.select)
        .bind(a)
        .bind(b)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .ok_or_else(|| not_found(link.kind(), link.object_id()))?;
    let before = rows::get_opt_ts(&row, 0)?;
    let stored = match *link {
        Link::Member { team, user, .. } => Link::Member {
            team,
            user,
            role: rows::get_opt_id(&row, 1)?,
        },
        other => other,
    };
    // The end as stored (whole microseconds).
    let after = expires_at.map(rows::ts);
    sqlx::query(end.update)
        .bind(a)
        .bind(b)
        .bind(after)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    out.push(Effect {
        action: "set_expiry",
        kind: link.kind(),
        object_id: link.object_id(),
        before: link_json(&stored, before),
        after: link_json(&stored, after),
    });
    Ok(())
}

/// Removes a relation that has an end (`Change::Expired`, the cleanup's change): not found
/// when the link is not there, refused when it has no end (the commit then writes nothing).
pub(super) async fn expired(
    conn: &mut PgConnection,
    link: &Link,
    out: &mut Vec<Effect>,
) -> StoreResult<()> {
    let (stored, ends) = remove(conn, link).await?;
    let Some(ends) = ends else {
        return Err(no_end(link));
    };
    out.push(Effect {
        action: "expire",
        kind: link.kind(),
        object_id: link.object_id(),
        before: link_json(&stored, Some(ends)),
        after: serde_json::Value::Null,
    });
    Ok(())
}

fn no_end(link: &Link) -> StoreError {
    StoreError::NoEnd {
        kind: link.kind(),
        id: link.object_id(),
    }
}
