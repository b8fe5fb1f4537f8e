//! Object → statement: the INSERT/UPDATE statements of each object kind and their bindings.

use super::rows::{idb, int, ts};
use crate::model::ObjectKind;
use crate::policy::Object;
use crate::store::{StoreError, StoreResult};
use sqlx::query::Query;
use sqlx::sqlite::{Sqlite, SqliteArguments};
use std::sync::LazyLock;

/// A query being bound.
pub(super) type Q<'q> = Query<'q, Sqlite, SqliteArguments<'q>>;

fn list(v: &[String]) -> StoreResult<String> {
    // A list of strings always serializes; map the impossible error rather than unwrap.
    serde_json::to_string(v).map_err(|e| StoreError::Database(e.to_string()))
}

/// Binds every column of an object as `?1..?N` (id first), shared by INSERT and UPDATE.
pub(super) fn bind_object<'q>(q: Q<'q>, obj: &'q Object) -> StoreResult<Q<'q>> {
    Ok(match obj {
        Object::User(u) => q
            .bind(idb(&u.id))
            .bind(u.username.as_str())
            .bind(crate::policy::username_key(&u.username))
            .bind(u.email.as_str())
            .bind(u.display_name.as_str())
            .bind(u.kind.as_str())
            .bind(u.disabled)
            .bind(u.owner)
            .bind(ts(u.created_at))
            .bind(ts(u.updated_at))
            .bind(int(u.version)?),
        Object::Team(t) => q
            .bind(idb(&t.id))
            .bind(t.key.as_str())
            .bind(t.name.as_str())
            .bind(t.description.as_str())
            .bind(t.default_role.as_ref().map(idb))
            .bind(ts(t.created_at))
            .bind(ts(t.updated_at))
            .bind(int(t.version)?),
        Object::Role(r) => q
            .bind(idb(&r.id))
            .bind(r.name.as_str())
            .bind(r.description.as_str())
            .bind(ts(r.created_at))
            .bind(ts(r.updated_at))
            .bind(int(r.version)?),
        Object::Permission(p) => q
            .bind(idb(&p.id))
            .bind(p.catalog.as_str())
            .bind(p.entity.as_str())
            .bind(p.entity_uuid.as_deref())
            .bind(list(&p.grants)?)
            .bind(list(&p.denies)?)
            .bind(list(&p.conditions)?)
            .bind(list(&p.query_attributes)?)
            .bind(list(&p.read_attributes)?)
            .bind(list(&p.write_attributes)?)
            .bind(p.description.as_str())
            .bind(ts(p.created_at))
            .bind(ts(p.updated_at))
            .bind(int(p.version)?),
        Object::ApiKey(k) => q
            .bind(idb(&k.id))
            .bind(k.prefix.as_str())
            .bind(k.hash.as_str())
            .bind(idb(&k.user_id))
            .bind(k.read_only)
            .bind(k.expires_at.map(ts))
            .bind(ts(k.created_at))
            .bind(k.last_used_at.map(ts))
            .bind(k.revoked_at.map(ts))
            .bind(int(k.version)?),
    })
}

/// Table and columns of an object kind, in [`bind_object`] order.
fn table(kind: ObjectKind) -> (&'static str, &'static [&'static str]) {
    match kind {
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
            ],
        ),
        _ => (
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
    }
}

/// Objects inserted by one multi-row INSERT (see [`insert_sql`]).
pub(super) const INSERT_BATCH: usize = 64;

const OBJECT_KINDS: [ObjectKind; 5] = [
    ObjectKind::User,
    ObjectKind::Team,
    ObjectKind::Role,
    ObjectKind::Permission,
    ObjectKind::ApiKey,
];

/// `INSERT INTO t (cols) VALUES (?, …), …` for 1 and for [`INSERT_BATCH`] rows, per kind.
static INSERTS: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    let build = |kind, rows: usize| {
        let (table, cols) = table(kind);
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
        for r in 0..rows {
            if r > 0 {
                sql.push_str(", ");
            }
            // Anonymous `?` parameters: SQLite looks numbered ones up by a linear scan,
            // which makes binding hundreds of them quadratic.
            sql.push_str(&format!("({})", vec!["?"; cols.len()].join(", ")));
        }
        sql
    };
    OBJECT_KINDS
        .iter()
        .map(|&k| (build(k, 1), build(k, INSERT_BATCH)))
        .collect()
});

/// The INSERT statement for `rows` objects of a kind (`rows` is 1 or [`INSERT_BATCH`];
/// parameters as in [`bind_object`], one object after the other).
pub(super) fn insert_sql(kind: ObjectKind, batch: bool) -> &'static str {
    let i = OBJECT_KINDS.iter().position(|&k| k == kind);
    match i.and_then(|i| INSERTS.get(i)) {
        Some((one, many)) => {
            if batch {
                many
            } else {
                one
            }
        }
        // Only object kinds reach here (callers hold an `Object`), and INSERTS has one entry
        // per OBJECT_KINDS element; an empty statement would fail loudly, not write wrongly.
        None => "",
    }
}

/// The UPDATE statement for an object kind (parameters as in [`bind_object`]).
pub(super) fn update_sql(obj: &Object) -> &'static str {
    match obj {
        Object::User(_) => {
            "UPDATE users SET username = ?2, username_key = ?3, email = ?4, display_name = ?5, \
             kind = ?6, disabled = ?7, owner = ?8, created_at = ?9, updated_at = ?10, \
             version = ?11 WHERE id = ?1"
        }
        Object::Team(_) => {
            "UPDATE teams SET team_key = ?2, name = ?3, description = ?4, default_role = ?5, \
             created_at = ?6, updated_at = ?7, version = ?8 WHERE id = ?1"
        }
        Object::Role(_) => {
            "UPDATE roles SET name = ?2, description = ?3, created_at = ?4, updated_at = ?5, \
             version = ?6 WHERE id = ?1"
        }
        Object::Permission(_) => {
            "UPDATE permissions SET catalog = ?2, entity = ?3, entity_uuid = ?4, grants = ?5, \
             denies = ?6, conditions = ?7, query_attributes = ?8, read_attributes = ?9, \
             write_attributes = ?10, description = ?11, created_at = ?12, updated_at = ?13, \
             version = ?14 WHERE id = ?1"
        }
        Object::ApiKey(_) => {
            "UPDATE api_keys SET prefix = ?2, hash = ?3, user_id = ?4, read_only = ?5, \
             expires_at = ?6, created_at = ?7, last_used_at = ?8, revoked_at = ?9, \
             version = ?10 WHERE id = ?1"
        }
    }
}
