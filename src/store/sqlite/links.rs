//! `Change::Link` / `Change::Unlink`, and a link's end: `Change::Expire` / `Change::Expired`.

use super::audit::AuditLog;
use super::rows::{self, idb};
use super::write::{need, not_found};
use super::{db_err, is_constraint};
use crate::model::{Id, ObjectKind, Principal};
use crate::policy::{Effect, Link, link_json};
use crate::store::sql;
use crate::store::{StoreError, StoreResult};
use sqlx::error::ErrorKind;
use sqlx::sqlite::SqliteConnection;
use time::OffsetDateTime;

/// The INSERT statement and the two ids of a link that is a plain pair (its DELETE is
/// [`sql::unlink_pair`]).
fn pair(link: &Link) -> Option<(&'static str, Id, Id)> {
    Some(match *link {
        Link::RolePermission { role, permission } => (
            "INSERT INTO role_permissions (role_id, permission_id) VALUES (?1, ?2)",
            role,
            permission,
        ),
        Link::UserRole { user, role } => (
            "INSERT INTO user_roles (user_id, role_id) VALUES (?1, ?2)",
            user,
            role,
        ),
        Link::TeamRole { team, role } => (
            "INSERT INTO team_roles (team_id, role_id) VALUES (?1, ?2)",
            team,
            role,
        ),
        Link::Grant {
            principal: Principal::User(user),
            permission,
        } => (
            "INSERT INTO grants (user_id, permission_id) VALUES (?1, ?2)",
            user,
            permission,
        ),
        Link::Grant {
            principal: Principal::Team(team),
            permission,
        } => (
            "INSERT INTO grants (team_id, permission_id) VALUES (?1, ?2)",
            team,
            permission,
        ),
        Link::Member { .. } => return None,
    })
}

/// The table and columns of a link that is a plain pair, and its two ids.
fn columns(link: &Link) -> Option<(&'static str, &'static str, &'static str, Id, Id)> {
    Some(match *link {
        Link::RolePermission { role, permission } => (
            "role_permissions",
            "role_id",
            "permission_id",
            role,
            permission,
        ),
        Link::UserRole { user, role } => ("user_roles", "user_id", "role_id", user, role),
        Link::TeamRole { team, role } => ("team_roles", "team_id", "role_id", team, role),
        Link::Grant {
            principal: Principal::User(user),
            permission,
        } => ("grants", "user_id", "permission_id", user, permission),
        Link::Grant {
            principal: Principal::Team(team),
            permission,
        } => ("grants", "team_id", "permission_id", team, permission),
        Link::Member { .. } => return None,
    })
}

/// The next `n` changes when they all add plain pair links into one table and columns (an
/// import's role ↔ permission links, say): one multi-row INSERT can add them.
pub(super) fn link_run(changes: &[crate::policy::Change], n: usize) -> Option<Vec<&Link>> {
    use crate::policy::Change;
    let run = changes.get(..n)?;
    let key = |l: &Link| columns(l).map(|(t, a, b, _, _)| (t, a, b));
    let first = match run.first()? {
        Change::Link(l) => key(l)?,
        _ => return None,
    };
    run.iter()
        .map(|c| match c {
            Change::Link(l) if key(l) == Some(first) => Some(l),
            _ => None,
        })
        .collect()
}

/// Adds a run from [`link_run`] with one statement. `Ok(false)` when a constraint failed
/// (a duplicate or a missing end: the statement wrote nothing; the caller then adds them one
/// by one for the exact error).
pub(super) async fn link_batch(
    conn: &mut SqliteConnection,
    links: &[&Link],
    audit: &mut AuditLog<'_>,
) -> StoreResult<bool> {
    let Some((table, a, b, _, _)) = links.first().and_then(|l| columns(l)) else {
        return Ok(true);
    };
    let values = vec!["(?, ?)"; links.len()].join(", ");
    let sql = format!("INSERT INTO {table} ({a}, {b}) VALUES {values}");
    let mut ids = Vec::with_capacity(links.len());
    for l in links {
        let Some((_, _, _, x, y)) = columns(l) else {
            return Ok(false);
        };
        ids.push((x, y));
    }
    let mut q = sqlx::query(&sql);
    for (x, y) in &ids {
        q = q.bind(idb(x)).bind(idb(y));
    }
    match q.execute(&mut *conn).await {
        Ok(_) => {}
        Err(e) if is_constraint(&e) => return Ok(false),
        Err(e) => return Err(db_err(e)),
    }
    for l in links {
        audit.linked(l)?;
    }
    Ok(true)
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

async fn check_ends(conn: &mut SqliteConnection, link: &Link) -> StoreResult<()> {
    for (kind, id) in ends(link) {
        need(conn, kind, id).await?;
    }
    Ok(())
}

/// Adds a link (a `Member` link replaces the membership's role).
pub(super) async fn link(
    conn: &mut SqliteConnection,
    link: &Link,
    out: &mut Vec<Effect>,
) -> StoreResult<()> {
    let before = match (pair(link), *link) {
        (Some((insert, a, b)), _) => {
            let res = sqlx::query(insert)
                .bind(idb(&a))
                .bind(idb(&b))
                .execute(&mut *conn)
                .await;
            if let Err(e) = res {
                if !is_constraint(&e) {
                    return Err(db_err(e));
                }
                check_ends(conn, link).await?;
                return Err(match &e {
                    sqlx::Error::Database(d) if d.kind() == ErrorKind::UniqueViolation => {
                        StoreError::Duplicate {
                            kind: link.kind(),
                            field: "link",
                            value: link.object_id(),
                        }
                    }
                    _ => db_err(e),
                });
            }
            serde_json::Value::Null
        }
        (None, Link::Member { team, user, role }) => {
            let prev = sqlx::query(sql::SELECT_MEMBER)
                .bind(idb(&team))
                .bind(idb(&user))
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
            let prev = prev.map(|r| rows::get_opt_id(&r, 0)).transpose()?;
            let res = sqlx::query(sql::UPSERT_MEMBER)
                .bind(idb(&team))
                .bind(idb(&user))
                .bind(role.as_ref().map(idb))
                .execute(&mut *conn)
                .await;
            if let Err(e) = res {
                if is_constraint(&e) {
                    check_ends(conn, link).await?;
                }
                return Err(db_err(e));
            }
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
    conn: &mut SqliteConnection,
    link: &Link,
) -> StoreResult<(Link, Option<OffsetDateTime>)> {
    match (sql::unlink_pair(link), *link) {
        (Some((delete, a, b)), _) => {
            let row = sqlx::query(delete)
                .bind(idb(&a))
                .bind(idb(&b))
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?
                .ok_or_else(|| not_found(link.kind(), link.object_id()))?;
            let ends = if link.may_expire() {
                rows::get_opt_ts(&row, 0)?
            } else {
                None
            };
            Ok((*link, ends))
        }
        (None, Link::Member { team, user, .. }) => {
            let row = sqlx::query(sql::DELETE_MEMBER)
                .bind(idb(&team))
                .bind(idb(&user))
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
    conn: &mut SqliteConnection,
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
    conn: &mut SqliteConnection,
    link: &Link,
    expires_at: Option<OffsetDateTime>,
    out: &mut Vec<Effect>,
) -> StoreResult<()> {
    let end = sql::end_of(link).ok_or_else(|| no_end(link))?;
    let (a, b) = end.ids;
    let row = sqlx::query(end.select)
        .bind(idb(&a))
        .bind(idb(&b))
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
    let at = expires_at.map(rows::ts);
    sqlx::query(end.update)
        .bind(idb(&a))
        .bind(idb(&b))
        .bind(at)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    // The end as stored (whole microseconds).
    let after = at.map(rows::from_ts).transpose()?;
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
    conn: &mut SqliteConnection,
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
