//! SQL text shared by the two stores ([`super::sqlite`] and [`super::postgres`]): the
//! statements whose text is the same in both dialects, written once. Parameters are numbered
//! the PostgreSQL way (`$1`, `$2`, …); SQLite accepts them too and sqlx binds them by their
//! number on both, so one `const` serves both stores.
//!
//! Shared here:
//! - deleting an object and the cascade run before it, and the reads that list what the
//!   cascade removes (the links to an object, the teams with a default role, a user's keys);
//! - reading, replacing and deleting a membership; deleting a pair link.
//!
//! Kept apart, in each store's own module, and why:
//! - Schema and migrations (`migrations/*.sql`, the table recording them): the column types
//!   differ (BLOB ids against UUID, INTEGER microseconds against TIMESTAMPTZ, JSON text against
//!   TEXT[] lists, STRICT tables), the migrations table has another name and types, and an
//!   applied migration must stay what existing stores ran. Store checks differ too
//!   (`PRAGMA application_id` and `sqlite_schema` against `to_regclass` and an advisory lock).
//! - Creating objects: SQLite inserts with anonymous `?` parameters (it looks numbered ones up
//!   by a linear scan, quadratic over a 64-row batch) and explains a failed constraint
//!   afterwards; PostgreSQL inserts `ON CONFLICT DO NOTHING RETURNING id`, because there a
//!   failed statement aborts the transaction, and builds `$N` batches of 256 rows.
//! - Adding a pair link: a plain INSERT on SQLite (a constraint error is explained) and its
//!   multi-row INSERT for imports (`?` parameters, as above); on PostgreSQL an
//!   `INSERT … SELECT … WHERE EXISTS … ON CONFLICT DO NOTHING` (same reason as creates).
//! - The audit log: SQLite writes multi-row INSERTs with `?` parameters as the commit goes on,
//!   PostgreSQL one `INSERT … SELECT … FROM UNNEST` of arrays; the audit read needs casts on
//!   PostgreSQL (`$1::timestamptz IS NULL`, `before_json::text`) that SQLite does not parse,
//!   and no limit is `LIMIT -1` on SQLite, `LIMIT NULL` on PostgreSQL.
//! - Locking: SQLite writes in `BEGIN IMMEDIATE`; PostgreSQL locks the revision row
//!   (`SELECT … FOR UPDATE`) and announces commits with `pg_notify` (LISTEN/NOTIFY).
//! - Loading: SQLite aggregates each table into a few values (`group_concat`,
//!   `json_group_array`, rowid ranges, keyset pages) and keeps a load cache (SQLite only);
//!   PostgreSQL streams one plain SELECT per table in a `REPEATABLE READ` snapshot.

use crate::model::{Id, ObjectKind, Principal};
use crate::store::Link;

// The column lists are macros so that `concat!` can build `const` statements from them.
macro_rules! team_cols {
    () => {
        "id, team_key, name, description, default_role, created_at, updated_at, version"
    };
}
macro_rules! key_cols {
    () => {
        "id, prefix, hash, user_id, read_only, expires_at, created_at, last_used_at, \
         revoked_at, version"
    };
}

/// The teams whose default role is `$1`, by id (a role's delete updates them).
pub(super) const TEAMS_BY_DEFAULT_ROLE: &str = concat!(
    "SELECT ",
    team_cols!(),
    " FROM teams WHERE default_role = $1 ORDER BY id"
);
/// The API keys of user `$1`, by id (a user's delete deletes them).
pub(super) const KEYS_BY_USER: &str = concat!(
    "SELECT ",
    key_cols!(),
    " FROM api_keys WHERE user_id = $1 ORDER BY id"
);

/// Statements that remove everything pointing at an object of a kind (`$1` = its id), run
/// before the object itself is deleted.
pub(super) fn cascade(kind: ObjectKind) -> &'static [&'static str] {
    match kind {
        ObjectKind::User => &[
            "DELETE FROM user_roles WHERE user_id = $1",
            "DELETE FROM team_members WHERE user_id = $1",
            "DELETE FROM grants WHERE user_id = $1",
            "DELETE FROM api_keys WHERE user_id = $1",
        ],
        ObjectKind::Team => &[
            "DELETE FROM team_roles WHERE team_id = $1",
            "DELETE FROM team_members WHERE team_id = $1",
            "DELETE FROM grants WHERE team_id = $1",
        ],
        ObjectKind::Role => &[
            "DELETE FROM role_permissions WHERE role_id = $1",
            "DELETE FROM user_roles WHERE role_id = $1",
            "DELETE FROM team_roles WHERE role_id = $1",
            "UPDATE team_members SET role_id = NULL WHERE role_id = $1",
            "UPDATE teams SET default_role = NULL, version = version + 1 WHERE default_role = $1",
        ],
        ObjectKind::Permission => &[
            "DELETE FROM role_permissions WHERE permission_id = $1",
            "DELETE FROM grants WHERE permission_id = $1",
        ],
        _ => &[],
    }
}

/// The DELETE of one object of a kind (`$1` = its id; `None` for link kinds).
pub(super) fn delete(kind: ObjectKind) -> Option<&'static str> {
    Some(match kind {
        ObjectKind::User => "DELETE FROM users WHERE id = $1",
        ObjectKind::Team => "DELETE FROM teams WHERE id = $1",
        ObjectKind::Role => "DELETE FROM roles WHERE id = $1",
        ObjectKind::Permission => "DELETE FROM permissions WHERE id = $1",
        ObjectKind::ApiKey => "DELETE FROM api_keys WHERE id = $1",
        _ => return None,
    })
}

// The links pointing at an object (`$1` = its id), as `State::links_to` lists them.
/// A user's roles.
pub(super) const ROLES_OF_USER: &str = "SELECT role_id FROM user_roles WHERE user_id = $1";
/// A user's memberships: team, role.
pub(super) const TEAMS_OF_USER: &str =
    "SELECT team_id, role_id FROM team_members WHERE user_id = $1";
/// The permissions granted to a user directly.
pub(super) const GRANTS_OF_USER: &str = "SELECT permission_id FROM grants WHERE user_id = $1";
/// A team's roles.
pub(super) const ROLES_OF_TEAM: &str = "SELECT role_id FROM team_roles WHERE team_id = $1";
/// A team's members: user, role.
pub(super) const MEMBERS_OF_TEAM: &str =
    "SELECT user_id, role_id FROM team_members WHERE team_id = $1";
/// The permissions granted to a team.
pub(super) const GRANTS_OF_TEAM: &str = "SELECT permission_id FROM grants WHERE team_id = $1";
/// A role's permissions.
pub(super) const PERMISSIONS_OF_ROLE: &str =
    "SELECT permission_id FROM role_permissions WHERE role_id = $1";
/// The users holding a role.
pub(super) const USERS_OF_ROLE: &str = "SELECT user_id FROM user_roles WHERE role_id = $1";
/// The teams holding a role.
pub(super) const TEAMS_OF_ROLE: &str = "SELECT team_id FROM team_roles WHERE role_id = $1";
/// The memberships with a role: team, user.
pub(super) const MEMBERS_OF_ROLE: &str =
    "SELECT team_id, user_id FROM team_members WHERE role_id = $1";
/// The roles holding a permission.
pub(super) const ROLES_OF_PERMISSION: &str =
    "SELECT role_id FROM role_permissions WHERE permission_id = $1";
/// The principals a permission is granted to: user, team (one of them set).
pub(super) const GRANTEES_OF_PERMISSION: &str =
    "SELECT user_id, team_id FROM grants WHERE permission_id = $1";

/// The role of a membership (`$1` team, `$2` user).
pub(super) const SELECT_MEMBER: &str =
    "SELECT role_id FROM team_members WHERE team_id = $1 AND user_id = $2";
/// Adds a membership (`$1` team, `$2` user, `$3` role) or replaces its role.
pub(super) const UPSERT_MEMBER: &str = "INSERT INTO team_members (team_id, user_id, role_id) \
     VALUES ($1, $2, $3) ON CONFLICT (team_id, user_id) DO UPDATE SET role_id = excluded.role_id";
/// Deletes a membership (`$1` team, `$2` user), returning its role.
pub(super) const DELETE_MEMBER: &str =
    "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2 RETURNING role_id";

/// The DELETE of a link that is a plain pair and its two ids (`$1`, `$2`); `None` for a
/// membership.
pub(super) fn unlink_pair(link: &Link) -> Option<(&'static str, Id, Id)> {
    Some(match *link {
        Link::RolePermission { role, permission } => (
            "DELETE FROM role_permissions WHERE role_id = $1 AND permission_id = $2",
            role,
            permission,
        ),
        Link::UserRole { user, role } => (
            "DELETE FROM user_roles WHERE user_id = $1 AND role_id = $2",
            user,
            role,
        ),
        Link::TeamRole { team, role } => (
            "DELETE FROM team_roles WHERE team_id = $1 AND role_id = $2",
            team,
            role,
        ),
        Link::Grant {
            principal: Principal::User(user),
            permission,
        } => (
            "DELETE FROM grants WHERE user_id = $1 AND permission_id = $2",
            user,
            permission,
        ),
        Link::Grant {
            principal: Principal::Team(team),
            permission,
        } => (
            "DELETE FROM grants WHERE team_id = $1 AND permission_id = $2",
            team,
            permission,
        ),
        Link::Member { .. } => return None,
    })
}
