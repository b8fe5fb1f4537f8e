//! `Change::Delete`, with the reference cascade: links to the object go (a deleted role only
//! clears membership roles), teams lose a deleted default role (version + 1), a deleted user's
//! API keys go. Effects are reported in the same order as `State::apply`, a removed link with
//! its end (a membership that only loses its role keeps its end).

use super::db_err;
use super::rows::{self, idb};
use super::write::not_found;
use crate::model::{ApiKey, Id, ObjectKind, Principal, Team};
use crate::policy::{Effect, Link, Object, link_json};
use crate::store::sql;
use crate::store::{StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnection, SqliteRow};

/// When a link ends, if it does.
type Ends = Option<time::OffsetDateTime>;

async fn rows_for(
    conn: &mut SqliteConnection,
    sql: &'static str,
    id: Id,
) -> StoreResult<Vec<SqliteRow>> {
    sqlx::query(sql)
        .bind(idb(&id))
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)
}

/// Ids in column 0 of the rows `sql` returns for `id`, each with its end (column 1) when
/// `ended` (the link kind may end), sorted.
async fn ids(
    conn: &mut SqliteConnection,
    sql: &'static str,
    id: Id,
    ended: bool,
) -> StoreResult<Vec<(Id, Ends)>> {
    let mut v = rows_for(conn, sql, id)
        .await?
        .iter()
        .map(|r| {
            let ends = if ended { rows::get_opt_ts(r, 1)? } else { None };
            Ok((rows::get_id(r, 0)?, ends))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    v.sort();
    Ok(v)
}

/// Ids in columns 0 and 1 (the second nullable) and the end in column 2, sorted.
async fn pairs(
    conn: &mut SqliteConnection,
    sql: &'static str,
    id: Id,
) -> StoreResult<Vec<(Id, Option<Id>, Ends)>> {
    let mut v = rows_for(conn, sql, id)
        .await?
        .iter()
        .map(|r| {
            Ok((
                rows::get_id(r, 0)?,
                rows::get_opt_id(r, 1)?,
                rows::get_opt_ts(r, 2)?,
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    v.sort();
    Ok(v)
}

/// The links pointing at an object, in the order `State::links_to` lists them, each with its
/// end.
async fn links_to(
    conn: &mut SqliteConnection,
    kind: ObjectKind,
    id: Id,
) -> StoreResult<Vec<(Link, Ends)>> {
    let mut out = Vec::new();
    match kind {
        ObjectKind::User => {
            for (role, ends) in ids(conn, sql::ROLES_OF_USER, id, true).await? {
                out.push((Link::UserRole { user: id, role }, ends));
            }
            for (team, role, ends) in pairs(conn, sql::TEAMS_OF_USER, id).await? {
                let user = id;
                out.push((Link::Member { team, user, role }, ends));
            }
            for (permission, ends) in ids(conn, sql::GRANTS_OF_USER, id, true).await? {
                let principal = Principal::User(id);
                out.push((
                    Link::Grant {
                        principal,
                        permission,
                    },
                    ends,
                ));
            }
        }
        ObjectKind::Team => {
            for (role, ends) in ids(conn, sql::ROLES_OF_TEAM, id, true).await? {
                out.push((Link::TeamRole { team: id, role }, ends));
            }
            for (user, role, ends) in pairs(conn, sql::MEMBERS_OF_TEAM, id).await? {
                let team = id;
                out.push((Link::Member { team, user, role }, ends));
            }
            for (permission, ends) in ids(conn, sql::GRANTS_OF_TEAM, id, true).await? {
                let principal = Principal::Team(id);
                out.push((
                    Link::Grant {
                        principal,
                        permission,
                    },
                    ends,
                ));
            }
        }
        ObjectKind::Role => {
            for (permission, _) in ids(conn, sql::PERMISSIONS_OF_ROLE, id, false).await? {
                out.push((
                    Link::RolePermission {
                        role: id,
                        permission,
                    },
                    None,
                ));
            }
            for (user, ends) in ids(conn, sql::USERS_OF_ROLE, id, true).await? {
                out.push((Link::UserRole { user, role: id }, ends));
            }
            for (team, ends) in ids(conn, sql::TEAMS_OF_ROLE, id, true).await? {
                out.push((Link::TeamRole { team, role: id }, ends));
            }
            for (team, user, ends) in pairs(conn, sql::MEMBERS_OF_ROLE, id).await? {
                // `user_id` is NOT NULL; a NULL here would be a damaged row.
                let user = user.ok_or_else(|| StoreError::Corrupt("member without user".into()))?;
                let role = Some(id);
                out.push((Link::Member { team, user, role }, ends));
            }
        }
        ObjectKind::Permission => {
            for (role, _) in ids(conn, sql::ROLES_OF_PERMISSION, id, false).await? {
                out.push((
                    Link::RolePermission {
                        role,
                        permission: id,
                    },
                    None,
                ));
            }
            let sql = sql::GRANTEES_OF_PERMISSION;
            let mut principals = Vec::new();
            for row in rows_for(conn, sql, id).await? {
                let principal = match rows::get_opt_id(&row, 0)? {
                    Some(u) => Principal::User(u),
                    None => Principal::Team(rows::get_id(&row, 1)?),
                };
                principals.push((principal, rows::get_opt_ts(&row, 2)?));
            }
            principals.sort();
            for (principal, ends) in principals {
                let permission = id;
                out.push((
                    Link::Grant {
                        principal,
                        permission,
                    },
                    ends,
                ));
            }
        }
        _ => {}
    }
    Ok(out)
}

/// Deletes an object (see the module docs for the cascade).
pub(super) async fn delete(
    conn: &mut SqliteConnection,
    kind: ObjectKind,
    id: Id,
    expected_version: Option<u64>,
    cascade: bool,
    out: &mut Vec<Effect>,
) -> StoreResult<()> {
    let old = rows::fetch_object(conn, kind, id)
        .await?
        .ok_or_else(|| not_found(kind, id))?;
    let delete = sql::delete(kind).ok_or_else(|| not_found(kind, id))?;
    if let Some(v) = expected_version
        && old.version() != v
    {
        return Err(StoreError::Conflict {
            kind,
            id: id.to_string(),
            expected: v,
            actual: old.version(),
        });
    }
    let links = links_to(conn, kind, id).await?;
    let defaults: Vec<Team> = if kind == ObjectKind::Role {
        let rows = rows_for(conn, sql::TEAMS_BY_DEFAULT_ROLE, id).await?;
        rows.iter().map(rows::team).collect::<StoreResult<_>>()?
    } else {
        Vec::new()
    };
    let keys: Vec<ApiKey> = if kind == ObjectKind::User {
        let rows = rows_for(conn, sql::KEYS_BY_USER, id).await?;
        rows.iter().map(rows::key).collect::<StoreResult<_>>()?
    } else {
        Vec::new()
    };
    let in_use = (links.len() + defaults.len() + keys.len()) as u64;
    if in_use > 0 && !cascade {
        return Err(StoreError::InUse {
            kind,
            id: id.to_string(),
            links: in_use,
        });
    }
    if in_use > 0 {
        for stmt in sql::cascade(kind) {
            sqlx::query(stmt)
                .bind(idb(&id))
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
        }
    }
    for (link, ends) in &links {
        out.push(Effect {
            action: "unlink",
            kind: link.kind(),
            object_id: link.object_id(),
            before: link_json(link, *ends),
            after: serde_json::Value::Null,
        });
        // A membership loses only its role when that role is deleted.
        if let (ObjectKind::Role, Link::Member { team, user, .. }) = (kind, link) {
            let kept = Link::Member {
                team: *team,
                user: *user,
                role: None,
            };
            out.push(Effect {
                action: "link",
                kind: ObjectKind::TeamMember,
                object_id: kept.object_id(),
                before: serde_json::Value::Null,
                after: kept.to_json(),
            });
        }
    }
    for mut team in defaults {
        let before = Object::Team(team.clone()).to_json();
        team.default_role = None;
        team.version += 1;
        out.push(Effect {
            action: "update",
            kind: ObjectKind::Team,
            object_id: team.id.to_string(),
            before,
            after: Object::Team(team).to_json(),
        });
    }
    for key in keys {
        out.push(Effect {
            action: "delete",
            kind: ObjectKind::ApiKey,
            object_id: key.id.to_string(),
            before: Object::ApiKey(key).to_json(),
            after: serde_json::Value::Null,
        });
    }
    sqlx::query(delete)
        .bind(idb(&id))
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    out.push(Effect {
        action: "delete",
        kind,
        object_id: id.to_string(),
        before: old.to_json(),
        after: serde_json::Value::Null,
    });
    Ok(())
}
