//! SQL text shared by the two stores ([`super::sqlite`] and [`super::postgres`]): the
//! statements whose text is the same in both dialects, written once. Parameters are numbered
//! the PostgreSQL way (`$1`, `$2`, …); SQLite accepts them too and sqlx binds them by their
//! number on both, so one `const` serves both stores.
//!
//! Shared here:
//! - the columns of each object table as read (the row decoders of both stores read them in
//!   this order) and as written (table and columns in bind order, `id` first and the user's
//!   `username_key` after `username`: both stores bind an object in this one order);
//! - reading one object by id, whether one exists, which object holds a unique field;
//! - the UPDATE of each object kind;
//! - deleting an object and the cascade run before it, and the reads that list what the
//!   cascade removes (the links to an object, the teams with a default role, a user's keys);
//! - reading, replacing and deleting a membership; deleting a pair link; reading and setting
//!   when a link ends;
//! - reading and bumping the revision; `touch_key`;
//! - the start of an audit INSERT, with the audit columns in order (`insert_audit!`).
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
//! - The audit log beyond its column list: SQLite writes multi-row INSERTs with `?` parameters
//!   as the commit goes on, PostgreSQL one `INSERT … SELECT … FROM UNNEST` of arrays; the
//!   audit read needs casts on PostgreSQL (`$1::timestamptz IS NULL`, `before_json::text`)
//!   that SQLite does not parse, and no limit is `LIMIT -1` on SQLite, `LIMIT NULL` on
//!   PostgreSQL.
//! - Locking: SQLite writes in `BEGIN IMMEDIATE`; PostgreSQL locks the revision row
//!   (`SELECT … FOR UPDATE`) and announces commits with `pg_notify` (LISTEN/NOTIFY).
//! - Loading: SQLite aggregates each table into a few values (`group_concat`,
//!   `json_group_array`, rowid ranges, keyset pages) and keeps a load cache (SQLite only);
//!   PostgreSQL streams one plain SELECT per table in a `REPEATABLE READ` snapshot.

use crate::model::{Id, ObjectKind, Principal};
use crate::policy::{Link, Object, username_key};

// The column lists are macros so that `concat!` can build `const` statements from them.
macro_rules! user_cols {
    () => {
        "id, username, email, display_name, kind, disabled, owner, created_at, updated_at, \
         version, first_name, last_name"
    };
}
macro_rules! team_cols {
    () => {
        "id, team_key, name, description, default_role, created_at, updated_at, version"
    };
}
macro_rules! role_cols {
    () => {
        "id, name, description, created_at, updated_at, version, created_by"
    };
}
macro_rules! permission_cols {
    () => {
        "id, catalog, entity, entity_uuid, grants, denies, conditions, query_attributes, \
         read_attributes, write_attributes, description, created_at, updated_at, version, \
         entity_type, scope, created_by"
    };
}
macro_rules! key_cols {
    () => {
        "id, prefix, hash, user_id, read_only, expires_at, created_at, last_used_at, \
         revoked_at, version"
    };
}

/// A user's columns as read.
pub(super) const USER_COLS: &str = user_cols!();
/// A team's columns as read.
pub(super) const TEAM_COLS: &str = team_cols!();
/// A role's columns as read.
pub(super) const ROLE_COLS: &str = role_cols!();
/// A permission's columns as read.
pub(super) const PERMISSION_COLS: &str = permission_cols!();
/// An API key's columns as read.
pub(super) const KEY_COLS: &str = key_cols!();

pub(super) const SELECT_USER: &str = concat!("SELECT ", user_cols!(), " FROM users WHERE id = $1");
pub(super) const SELECT_TEAM: &str = concat!("SELECT ", team_cols!(), " FROM teams WHERE id = $1");
pub(super) const SELECT_ROLE: &str = concat!("SELECT ", role_cols!(), " FROM roles WHERE id = $1");
pub(super) const SELECT_PERMISSION: &str = concat!(
    "SELECT ",
    permission_cols!(),
    " FROM permissions WHERE id = $1"
);
pub(super) const SELECT_KEY: &str = concat!("SELECT ", key_cols!(), " FROM api_keys WHERE id = $1");

/// The statement reading one object of a kind by id (`None` for link kinds).
pub(super) fn select_object(kind: ObjectKind) -> Option<&'static str> {
    Some(match kind {
        ObjectKind::User => SELECT_USER,
        ObjectKind::Team => SELECT_TEAM,
        ObjectKind::Role => SELECT_ROLE,
        ObjectKind::Permission => SELECT_PERMISSION,
        ObjectKind::ApiKey => SELECT_KEY,
        _ => return None,
    })
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

/// The kinds of objects (the others are links).
pub(super) const OBJECT_KINDS: [ObjectKind; 5] = [
    ObjectKind::User,
    ObjectKind::Team,
    ObjectKind::Role,
    ObjectKind::Permission,
    ObjectKind::ApiKey,
];

/// The table of an object kind and the columns an object is written with, in the order both
/// stores bind them (`None` for link kinds).
pub(super) fn written(kind: ObjectKind) -> Option<(&'static str, &'static [&'static str])> {
    Some(match kind {
        ObjectKind::User => (
            "users",
            &[
                "id",
                "username",
                "username_key",
                "email",
                "display_name",
                "kind",
                "disabled",
                "owner",
                "created_at",
                "updated_at",
                "version",
                "first_name",
                "last_name",
            ],
        ),
        ObjectKind::Team => (
            "teams",
            &[
                "id",
                "team_key",
                "name",
                "description",
                "default_role",
                "created_at",
                "updated_at",
                "version",
            ],
        ),
        ObjectKind::Role => (
            "roles",
            &[
                "id",
                "name",
                "description",
                "created_at",
                "updated_at",
                "version",
                "created_by",
            ],
        ),
        ObjectKind::Permission => (
            "permissions",
            &[
                "id",
                "catalog",
                "entity",
                "entity_uuid",
                "grants",
                "denies",
                "conditions",
                "query_attributes",
                "read_attributes",
                "write_attributes",
                "description",
                "created_at",
                "updated_at",
                "version",
                "entity_type",
                "scope",
                "created_by",
            ],
        ),
        ObjectKind::ApiKey => (
            "api_keys",
            &[
                "id",
                "prefix",
                "hash",
                "user_id",
                "read_only",
                "expires_at",
                "created_at",
                "last_used_at",
                "revoked_at",
                "version",
            ],
        ),
        _ => return None,
    })
}

pub(super) const UPDATE_USER: &str = "UPDATE users SET username = $2, username_key = $3, \
     email = $4, display_name = $5, kind = $6, disabled = $7, owner = $8, created_at = $9, \
     updated_at = $10, version = $11, first_name = $12, last_name = $13 WHERE id = $1";
pub(super) const UPDATE_TEAM: &str = "UPDATE teams SET team_key = $2, name = $3, \
     description = $4, default_role = $5, created_at = $6, updated_at = $7, version = $8 \
     WHERE id = $1";
pub(super) const UPDATE_ROLE: &str = "UPDATE roles SET name = $2, description = $3, \
     created_at = $4, updated_at = $5, version = $6, created_by = $7 WHERE id = $1";
pub(super) const UPDATE_PERMISSION: &str = "UPDATE permissions SET catalog = $2, entity = $3, \
     entity_uuid = $4, grants = $5, denies = $6, conditions = $7, query_attributes = $8, \
     read_attributes = $9, write_attributes = $10, description = $11, created_at = $12, \
     updated_at = $13, version = $14, entity_type = $15, scope = $16, created_by = $17 \
     WHERE id = $1";
pub(super) const UPDATE_KEY: &str = "UPDATE api_keys SET prefix = $2, hash = $3, user_id = $4, \
     read_only = $5, expires_at = $6, created_at = $7, last_used_at = $8, revoked_at = $9, \
     version = $10 WHERE id = $1";

/// The UPDATE of an object (parameters: the [`written`] columns in order).
pub(super) fn update(obj: &Object) -> &'static str {
    match obj {
        Object::User(_) => UPDATE_USER,
        Object::Team(_) => UPDATE_TEAM,
        Object::Role(_) => UPDATE_ROLE,
        Object::Permission(_) => UPDATE_PERMISSION,
        Object::ApiKey(_) => UPDATE_KEY,
    }
}

/// A row when an object of a kind with id `$1` exists (`None` for link kinds).
pub(super) fn exists(kind: ObjectKind) -> Option<&'static str> {
    Some(match kind {
        ObjectKind::User => "SELECT 1 FROM users WHERE id = $1",
        ObjectKind::Team => "SELECT 1 FROM teams WHERE id = $1",
        ObjectKind::Role => "SELECT 1 FROM roles WHERE id = $1",
        ObjectKind::Permission => "SELECT 1 FROM permissions WHERE id = $1",
        ObjectKind::ApiKey => "SELECT 1 FROM api_keys WHERE id = $1",
        _ => return None,
    })
}

/// The lookup of an object's unique field: the statement reading the id of the object that
/// holds the value (`$1`), the field's name and the value (`None`: permissions have none).
pub(super) fn unique_field(obj: &Object) -> Option<(&'static str, &'static str, String)> {
    match obj {
        Object::User(u) => Some((
            "SELECT id FROM users WHERE username_key = $1",
            "username",
            username_key(&u.username),
        )),
        Object::Role(r) => Some((
            "SELECT id FROM roles WHERE name = $1",
            "name",
            r.name.clone(),
        )),
        Object::Team(t) => Some((
            "SELECT id FROM teams WHERE team_key = $1",
            "key",
            t.key.clone(),
        )),
        Object::ApiKey(k) => Some((
            "SELECT id FROM api_keys WHERE hash = $1",
            "hash",
            k.hash.clone(),
        )),
        Object::Permission(_) => None,
    }
}

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

// The links pointing at an object (`$1` = its id), as `State::links_to` lists them, each with
// its end (`expires_at`, the last column) but a role's permissions, which never end.
/// A user's roles: role, end.
pub(super) const ROLES_OF_USER: &str =
    "SELECT role_id, expires_at FROM user_roles WHERE user_id = $1";
/// A user's memberships: team, role, end.
pub(super) const TEAMS_OF_USER: &str =
    "SELECT team_id, role_id, expires_at FROM team_members WHERE user_id = $1";
/// The permissions granted to a user directly: permission, end.
pub(super) const GRANTS_OF_USER: &str =
    "SELECT permission_id, expires_at FROM grants WHERE user_id = $1";
/// A team's roles: role, end.
pub(super) const ROLES_OF_TEAM: &str =
    "SELECT role_id, expires_at FROM team_roles WHERE team_id = $1";
/// A team's members: user, role, end.
pub(super) const MEMBERS_OF_TEAM: &str =
    "SELECT user_id, role_id, expires_at FROM team_members WHERE team_id = $1";
/// The permissions granted to a team: permission, end.
pub(super) const GRANTS_OF_TEAM: &str =
    "SELECT permission_id, expires_at FROM grants WHERE team_id = $1";
/// A role's permissions (no end).
pub(super) const PERMISSIONS_OF_ROLE: &str =
    "SELECT permission_id FROM role_permissions WHERE role_id = $1";
/// The users holding a role: user, end.
pub(super) const USERS_OF_ROLE: &str =
    "SELECT user_id, expires_at FROM user_roles WHERE role_id = $1";
/// The teams holding a role: team, end.
pub(super) const TEAMS_OF_ROLE: &str =
    "SELECT team_id, expires_at FROM team_roles WHERE role_id = $1";
/// The memberships with a role: team, user, end.
pub(super) const MEMBERS_OF_ROLE: &str =
    "SELECT team_id, user_id, expires_at FROM team_members WHERE role_id = $1";
/// The roles holding a permission (no end).
pub(super) const ROLES_OF_PERMISSION: &str =
    "SELECT role_id FROM role_permissions WHERE permission_id = $1";
/// The principals a permission is granted to: user, team (one of them set), end.
pub(super) const GRANTEES_OF_PERMISSION: &str =
    "SELECT user_id, team_id, expires_at FROM grants WHERE permission_id = $1";

/// The role of a membership (`$1` team, `$2` user).
pub(super) const SELECT_MEMBER: &str =
    "SELECT role_id FROM team_members WHERE team_id = $1 AND user_id = $2";
/// Adds a membership (`$1` team, `$2` user, `$3` role) or replaces its role; a membership
/// linked again keeps its end.
pub(super) const UPSERT_MEMBER: &str = "INSERT INTO team_members (team_id, user_id, role_id) \
     VALUES ($1, $2, $3) ON CONFLICT (team_id, user_id) DO UPDATE SET role_id = excluded.role_id";
/// Deletes a membership (`$1` team, `$2` user), returning its role and its end.
pub(super) const DELETE_MEMBER: &str = "DELETE FROM team_members WHERE team_id = $1 \
     AND user_id = $2 RETURNING role_id, expires_at";

/// The DELETE of a link that is a plain pair and its two ids (`$1`, `$2`), returning one row
/// whose column 0 is the link's end (NULL for a role's permission, which has none); `None` for
/// a membership ([`DELETE_MEMBER`]).
pub(super) fn unlink_pair(link: &Link) -> Option<(&'static str, Id, Id)> {
    Some(match *link {
        Link::RolePermission { role, permission } => (
            "DELETE FROM role_permissions WHERE role_id = $1 AND permission_id = $2 \
             RETURNING NULL",
            role,
            permission,
        ),
        Link::UserRole { user, role } => (
            "DELETE FROM user_roles WHERE user_id = $1 AND role_id = $2 RETURNING expires_at",
            user,
            role,
        ),
        Link::TeamRole { team, role } => (
            "DELETE FROM team_roles WHERE team_id = $1 AND role_id = $2 RETURNING expires_at",
            team,
            role,
        ),
        Link::Grant {
            principal: Principal::User(user),
            permission,
        } => (
            "DELETE FROM grants WHERE user_id = $1 AND permission_id = $2 RETURNING expires_at",
            user,
            permission,
        ),
        Link::Grant {
            principal: Principal::Team(team),
            permission,
        } => (
            "DELETE FROM grants WHERE team_id = $1 AND permission_id = $2 RETURNING expires_at",
            team,
            permission,
        ),
        Link::Member { .. } => return None,
    })
}

/// The statements that read and set when a link ends (`Change::Expire`), and its two ids
/// (`$1`, `$2`): a row with the end in column 0 (and, for a membership, its role in column 1)
/// when the link exists; the UPDATE setting the end to `$3`. `None` for a role's permission,
/// which cannot end.
pub(super) struct EndOf {
    /// Reads the end (and a membership's role).
    pub(super) select: &'static str,
    /// Sets it to `$3`.
    pub(super) update: &'static str,
    /// The link's two ids.
    pub(super) ids: (Id, Id),
}

/// [`EndOf`] a link.
pub(super) fn end_of(link: &Link) -> Option<EndOf> {
    let (select, update, a, b) = match *link {
        Link::RolePermission { .. } => return None,
        Link::UserRole { user, role } => (
            "SELECT expires_at FROM user_roles WHERE user_id = $1 AND role_id = $2",
            "UPDATE user_roles SET expires_at = $3 WHERE user_id = $1 AND role_id = $2",
            user,
            role,
        ),
        Link::TeamRole { team, role } => (
            "SELECT expires_at FROM team_roles WHERE team_id = $1 AND role_id = $2",
            "UPDATE team_roles SET expires_at = $3 WHERE team_id = $1 AND role_id = $2",
            team,
            role,
        ),
        Link::Member { team, user, .. } => (
            "SELECT expires_at, role_id FROM team_members WHERE team_id = $1 AND user_id = $2",
            "UPDATE team_members SET expires_at = $3 WHERE team_id = $1 AND user_id = $2",
            team,
            user,
        ),
        Link::Grant {
            principal: Principal::User(user),
            permission,
        } => (
            "SELECT expires_at FROM grants WHERE user_id = $1 AND permission_id = $2",
            "UPDATE grants SET expires_at = $3 WHERE user_id = $1 AND permission_id = $2",
            user,
            permission,
        ),
        Link::Grant {
            principal: Principal::Team(team),
            permission,
        } => (
            "SELECT expires_at FROM grants WHERE team_id = $1 AND permission_id = $2",
            "UPDATE grants SET expires_at = $3 WHERE team_id = $1 AND permission_id = $2",
            team,
            permission,
        ),
    };
    Some(EndOf {
        select,
        update,
        ids: (a, b),
    })
}

/// The start of an INSERT of audit rows: the columns in the order both stores give them.
/// Each store adds its rows its own way (see the module docs).
macro_rules! insert_audit {
    () => {
        "INSERT INTO audit (revision, at, actor, seq, action, object_kind, object_id, \
         before_json, after_json) "
    };
}
pub(super) use insert_audit;

/// The current revision.
pub(super) const SELECT_REVISION: &str = "SELECT value FROM meta WHERE name = 'revision'";
/// Sets the revision to `$1`.
pub(super) const UPDATE_REVISION: &str = "UPDATE meta SET value = $1 WHERE name = 'revision'";

/// Records the last use (`$2`) of API key `$1`.
pub(super) const TOUCH_KEY: &str = "UPDATE api_keys SET last_used_at = $2 WHERE id = $1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements() {
        assert_eq!(
            UPDATE_ROLE,
            "UPDATE roles SET name = $2, description = $3, created_at = $4, updated_at = $5, \
             version = $6, created_by = $7 WHERE id = $1"
        );
    }

    /// Every UPDATE sets the written columns in their bind order.
    #[test]
    fn updates_follow_the_written_columns() {
        for (kind, update) in OBJECT_KINDS.into_iter().zip([
            UPDATE_USER,
            UPDATE_TEAM,
            UPDATE_ROLE,
            UPDATE_PERMISSION,
            UPDATE_KEY,
        ]) {
            let (table, cols) = written(kind).unwrap();
            let sets: Vec<String> = cols
                .iter()
                .enumerate()
                .skip(1)
                .map(|(i, c)| format!("{c} = ${}", i + 1))
                .collect();
            let expected = format!("UPDATE {table} SET {} WHERE id = $1", sets.join(", "));
            assert_eq!(update, expected, "{kind}");
        }
    }

    /// The columns read are the columns written, less the user's `username_key`.
    #[test]
    fn read_columns_are_the_written_ones() {
        for (kind, read) in OBJECT_KINDS.into_iter().zip([
            USER_COLS,
            TEAM_COLS,
            ROLE_COLS,
            PERMISSION_COLS,
            KEY_COLS,
        ]) {
            let (table, cols) = written(kind).unwrap();
            let cols: Vec<&str> = cols
                .iter()
                .copied()
                .filter(|c| *c != "username_key")
                .collect();
            assert_eq!(read, cols.join(", "), "{kind}");
            assert_eq!(
                select_object(kind),
                Some(format!("SELECT {read} FROM {table} WHERE id = $1").as_str())
            );
        }
    }
}
