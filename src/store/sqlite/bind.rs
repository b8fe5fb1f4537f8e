//! Object → statement: the INSERT statements of each object kind and the bindings of an
//! object (its UPDATE is shared: [`sql::update`](crate::store::sql::update)).

use super::rows::{idb, int, ts};
use crate::model::ObjectKind;
use crate::policy::Object;
use crate::store::sql::{self, OBJECT_KINDS};
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

/// Binds every column of an object (the [`sql::written`] columns, id first), shared by INSERT
/// and UPDATE ([`sql::update`]).
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
            .bind(int(u.version)?)
            .bind(u.first_name.as_str())
            .bind(u.last_name.as_str()),
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
            .bind(int(r.version)?)
            .bind(r.created_by.as_ref().map(idb)),
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
            .bind(int(p.version)?)
            .bind(p.entity_type.as_deref())
            .bind(p.scope.as_deref())
            .bind(p.created_by.as_ref().map(idb)),
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

/// Objects inserted by one multi-row INSERT (see [`insert_sql`]).
pub(super) const INSERT_BATCH: usize = 64;

/// `INSERT INTO t (cols) VALUES (?, …), …` for 1 and for [`INSERT_BATCH`] rows, per kind.
static INSERTS: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    let build = |kind, rows: usize| {
        let (table, cols) = sql::written(kind).unwrap_or(("", &[]));
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
