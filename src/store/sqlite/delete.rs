//! `Change::Delete`, with the reference cascade: links to the object go (a deleted role only
//! clears membership roles), teams lose a deleted default role (version + 1), a deleted user's
//! API keys go. Effects are reported in the same order as `State::apply`.

use super::db_err;
use super::rows::{self, idb};
use super::write::not_found;
use crate::model::{ApiKey, Id, ObjectKind, Principal, Team};
use crate::policy::{Effect, Link, Object};
use crate::store::sql;
use crate::store::{StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnection, SqliteRow};

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

/// Ids in column 0 of the rows `sql` returns for `id`, sorted.
async fn ids(conn: &mut SqliteConnection, sql: &'static str, id: Id) -> StoreResult<Vec<Id>> {
    let mut v = rows_for(conn, sql, id)
        .await?
        .iter()
        .map(|r| rows::get_id(r, 0))
        .collect::<StoreResult<Vec<_>>>()?;
    v.sort();
    Ok(v)
}

/// Ids in columns 0 and 1 (the second nullable), sorted.
async fn pairs(
    conn: &mut SqliteConnection,
    sql: &'static str,
    id: Id,
) -> StoreResult<Vec<(Id, Option<Id>)>> {
    let mut v = rows_for(conn, sql, id)
        .await?
        .iter()
        .map(|r| Ok((rows::get_id(r, 0)?, rows::get_opt_id(r, 1)?)))
        .collect::<StoreResult<Vec<_>>>()?;
    v.sort();
    Ok(v)
}

/// The links pointing at an object, in the order `State::links_to` lists them.
async fn links_to(conn: &mut SqliteConnection, kind: ObjectKind, id: Id) -> StoreResult<Vec<Link>> {
    let mut out = Vec::new();
    match kind {
        ObjectKind::User => {
            for role in ids(conn, sql::ROLES_OF_USER, id).await? {
                out.push(Link::UserRole { user: id, role });
            }
            for (team, role) in pairs(conn, sql::TEAMS_OF_USER, id).await? {
                out.push(Link::Member {
                    team,
                    user: id,
                    role,
                });
            }
            for permission in ids(conn, sql::GRANTS_OF_USER, id).await? {
                out.push(Link::Grant {
                    principal: Principal::User(id),
                    permission,
                });
            }
        }
        ObjectKind::Team => {
            for role in ids(conn, sql::ROLES_OF_TEAM, id).await? {
                out.push(Link::TeamRole { team: id, role });
            }
            for (user, role) in pairs(conn, sql::MEMBERS_OF_TEAM, id).await? {
                out.push(Link::Member {
                    team: id,
                    user,
                    role,
                });
            }
            for permission in ids(conn, sql::GRANTS_OF_TEAM, id).await? {
                out.push(Link::Grant {
                    principal: Principal::Team(id),
                    permission,
                });
            }
        }
        ObjectKind::Role => {
            for permission in ids(conn, sql::PERMISSIONS_OF_ROLE, id).await? {
                out.push(Link::RolePermission {
                    role: id,
                    permission,
                });
            }
            for user in ids(conn, sql::USERS_OF_ROLE, id).await? {
                out.push(Link::UserRole { user, role: id });
            }
            for team in ids(conn, sql::TEAMS_OF_ROLE, id).await? {
                out.push(Link::TeamRole { team, role: id });
            }
            for (team, user) in pairs(conn, sql::MEMBERS_OF_ROLE, id).await? {
                // `user_id` is NOT NULL; a NULL here would be a damaged row.
                let user = user.ok_or_else(|| StoreError::Corrupt("member without user".into()))?;
                out.push(Link::Member {
                    team,
                    user,
                    role: Some(id),
                });
            }
        }
        ObjectKind::Permission => {
            for role in ids(conn, sql::ROLES_OF_PERMISSION, id).await? {
                out.push(Link::RolePermission {
                    role,
                    permission: id,
                });
            }
            let sql = sql::GRANTEES_OF_PERMISSION;
            let mut principals = Vec::new();
            for row in rows_for(conn, sql, id).await? {
                principals.push(match rows::get_opt_id(&row, 0)? {
                    Some(u) => Principal::User(u),
                    None => Principal::Team(rows::get_id(&row, 1)?),
                });
            }
            principals.sort();
            for principal in principals {
                out.push(Link::Grant {
                    principal,
                    permission: id,
                });
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
    for link in &links {
        out.push(Effect {
            action: "unlink",
            kind: link.kind(),
            object_id: link.object_id(),
            before: link.to_json(),
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
