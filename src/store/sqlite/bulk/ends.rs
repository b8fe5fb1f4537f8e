//! The ends of links ([`expiries`]), read like the link tables: per table (and per grantee
//! kind), the two ids of every link that ends and, as a JSON array, their ends.

use super::{Table, id};
use crate::model::{Id, Principal};
use crate::policy::{Expiries, Link, LinkExpiry};
use crate::store::StoreResult;
use crate::store::sqlite::rows::from_ts;
use sqlx::sqlite::SqliteConnection;

/// The links that end in each table, read through the partial indexes on the ends (which hold
/// only these rows).
const USER_ROLE_ENDS: &str = "SELECT CAST(group_concat(user_id || role_id, '') AS BLOB), \
     count(*), sum(length(user_id) = 16 AND length(role_id) = 16), json_group_array(expires_at) \
     FROM user_roles WHERE expires_at IS NOT NULL";
const TEAM_ROLE_ENDS: &str = "SELECT CAST(group_concat(team_id || role_id, '') AS BLOB), \
     count(*), sum(length(team_id) = 16 AND length(role_id) = 16), json_group_array(expires_at) \
     FROM team_roles WHERE expires_at IS NOT NULL";
const MEMBER_ENDS: &str = "SELECT CAST(group_concat(team_id || user_id, '') AS BLOB), \
     count(*), sum(length(team_id) = 16 AND length(user_id) = 16), json_group_array(expires_at) \
     FROM team_members WHERE expires_at IS NOT NULL";
const USER_GRANT_ENDS: &str = "SELECT CAST(group_concat(user_id || permission_id, '') AS BLOB), \
     count(*), sum(length(user_id) = 16 AND length(permission_id) = 16), \
     json_group_array(expires_at) FROM grants \
     WHERE expires_at IS NOT NULL AND user_id IS NOT NULL";
const TEAM_GRANT_ENDS: &str = "SELECT CAST(group_concat(team_id || permission_id, '') AS BLOB), \
     count(*), sum(length(team_id) = 16 AND length(permission_id) = 16), \
     json_group_array(expires_at) FROM grants \
     WHERE expires_at IS NOT NULL AND team_id IS NOT NULL";

/// The end of every link that has one.
pub(in crate::store::sqlite) async fn expiries(
    conn: &mut SqliteConnection,
) -> StoreResult<Expiries> {
    type ToLink = fn(Id, Id) -> Link;
    let tables: [(&'static str, &str, ToLink); 5] = [
        (USER_ROLE_ENDS, "user role ends", |user, role| {
            Link::UserRole { user, role }
        }),
        (TEAM_ROLE_ENDS, "team role ends", |team, role| {
            Link::TeamRole { team, role }
        }),
        (MEMBER_ENDS, "membership ends", |team, user| Link::Member {
            team,
            user,
            role: None,
        }),
        (USER_GRANT_ENDS, "grant ends", |u, permission| Link::Grant {
            principal: Principal::User(u),
            permission,
        }),
        (TEAM_GRANT_ENDS, "grant ends", |t, permission| Link::Grant {
            principal: Principal::Team(t),
            permission,
        }),
    ];
    let mut out = Vec::new();
    for (sql, what, link) in tables {
        let t = Table::read(conn, sql, 2, what).await?;
        let ends: Vec<i64> = t.json(what)?;
        for (ids, us) in t.ids().zip(ends) {
            out.push(LinkExpiry {
                link: link(id(ids, 0), id(ids, 1)),
                expires_at: from_ts(us)?,
            });
        }
    }
    Ok(out.into_iter().collect())
}
