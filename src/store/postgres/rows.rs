//! Row ↔ object conversion: ids are UUIDs, times TIMESTAMPTZ in whole microseconds, versions
//! BIGINT, permission lists TEXT arrays; plus reading one object and the INSERT statements
//! (the other statements are shared: [`sql`]).

use super::db_err;
use crate::model::{ApiKey, Id, ObjectKind, Permission, Role, Team, User, UserKind};
use crate::policy::Object;
use crate::store::sql;
use crate::store::{StoreError, StoreResult};
use sqlx::Row;
use sqlx::postgres::{PgArguments, PgConnection, PgRow, Postgres};
use sqlx::query::Query;
use time::OffsetDateTime;

/// A query being bound.
pub(super) type Q<'q> = Query<'q, Postgres, PgArguments>;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn get<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
    row: &'r PgRow,
    col: usize,
) -> StoreResult<T> {
    row.try_get(col).map_err(|e| corrupt("column", e))
}

/// A time truncated to whole microseconds (what PostgreSQL keeps; see [`crate::model::now`]).
pub(super) fn ts(t: OffsetDateTime) -> OffsetDateTime {
    let nanos = t.unix_timestamp_nanos();
    let floor = nanos.div_euclid(1000) * 1000;
    OffsetDateTime::from_unix_timestamp_nanos(floor).unwrap_or(t)
}

/// The first whole microsecond at or after `t` (for "at or after" filters).
pub(super) fn ts_ceil(t: OffsetDateTime) -> OffsetDateTime {
    let nanos = t.unix_timestamp_nanos();
    let ceil = (nanos + 999).div_euclid(1000) * 1000;
    OffsetDateTime::from_unix_timestamp_nanos(ceil).unwrap_or(t)
}

/// A version or revision as stored (BIGINT is signed).
pub(super) fn int(v: u64) -> StoreResult<i64> {
    i64::try_from(v).map_err(|_| StoreError::Database(format!("number {v} is too large to store")))
}

/// Reads a version or revision column.
pub(super) fn get_u64(row: &PgRow, col: usize) -> StoreResult<u64> {
    let v: i64 = get(row, col)?;
    u64::try_from(v).map_err(|e| corrupt("version column", e))
}

/// Reads an id column.
pub(super) fn get_id(row: &PgRow, col: usize) -> StoreResult<Id> {
    get(row, col)
}

/// Reads a nullable id column.
pub(super) fn get_opt_id(row: &PgRow, col: usize) -> StoreResult<Option<Id>> {
    get(row, col)
}

/// Reads a nullable time column.
pub(super) fn get_opt_ts(row: &PgRow, col: usize) -> StoreResult<Option<OffsetDateTime>> {
    get(row, col)
}

/// Parses a stored user kind.
fn user_kind(s: &str) -> StoreResult<UserKind> {
    match s {
        "person" => Ok(UserKind::Person),
        "service" => Ok(UserKind::Service),
        other => Err(corrupt("user kind", other)),
    }
}

/// A user row (columns [`sql::USER_COLS`]).
pub(super) fn user(row: &PgRow) -> StoreResult<User> {
    Ok(User {
        id: get(row, 0)?,
        username: get(row, 1)?,
        email: get(row, 2)?,
        display_name: get(row, 3)?,
        kind: user_kind(get(row, 4)?)?,
        disabled: get(row, 5)?,
        owner: get(row, 6)?,
        created_at: get(row, 7)?,
        updated_at: get(row, 8)?,
        version: get_u64(row, 9)?,
        first_name: get(row, 10)?,
        last_name: get(row, 11)?,
    })
}

/// A team row (columns [`sql::TEAM_COLS`]).
pub(super) fn team(row: &PgRow) -> StoreResult<Team> {
    Ok(Team {
        id: get(row, 0)?,
        key: get(row, 1)?,
        name: get(row, 2)?,
        description: get(row, 3)?,
        default_role: get(row, 4)?,
        created_at: get(row, 5)?,
        updated_at: get(row, 6)?,
        version: get_u64(row, 7)?,
    })
}

/// A role row (columns [`sql::ROLE_COLS`]).
pub(super) fn role(row: &PgRow) -> StoreResult<Role> {
    Ok(Role {
        id: get(row, 0)?,
        name: get(row, 1)?,
        description: get(row, 2)?,
        created_by: get(row, 6)?,
        created_at: get(row, 3)?,
        updated_at: get(row, 4)?,
        version: get_u64(row, 5)?,
    })
}

/// A permission row (columns [`sql::PERMISSION_COLS`]).
pub(super) fn permission(row: &PgRow) -> StoreResult<Permission> {
    Ok(Permission {
        id: get(row, 0)?,
        catalog: get(row, 1)?,
        entity: get(row, 2)?,
        entity_uuid: get(row, 3)?,
        grants: get(row, 4)?,
        denies: get(row, 5)?,
        conditions: get(row, 6)?,
        query_attributes: get(row, 7)?,
        read_attributes: get(row, 8)?,
        write_attributes: get(row, 9)?,
        description: get(row, 10)?,
        entity_type: get(row, 14)?,
        scope: get(row, 15)?,
        created_by: get(row, 16)?,
        created_at: get(row, 11)?,
        updated_at: get(row, 12)?,
        version: get_u64(row, 13)?,
    })
}

/// An API key row (columns [`sql::KEY_COLS`]).
pub(super) fn key(row: &PgRow) -> StoreResult<ApiKey> {
    Ok(ApiKey {
        id: get(row, 0)?,
        prefix: get(row, 1)?,
        hash: get(row, 2)?,
        user_id: get(row, 3)?,
        read_only: get(row, 4)?,
        expires_at: get(row, 5)?,
        created_at: get(row, 6)?,
        last_used_at: get(row, 7)?,
        revoked_at: get(row, 8)?,
        version: get_u64(row, 9)?,
    })
}

/// Decodes a row of the columns [`sql::select_object`] reads as an object of `kind`.
pub(super) fn object(kind: ObjectKind, row: &PgRow) -> StoreResult<Object> {
    match kind {
        ObjectKind::User => user(row).map(Object::User),
        ObjectKind::Team => team(row).map(Object::Team),
        ObjectKind::Role => role(row).map(Object::Role),
        ObjectKind::Permission => permission(row).map(Object::Permission),
        _ => key(row).map(Object::ApiKey),
    }
}

/// Reads one object of a kind by id (`None` when missing or when `kind` is a link kind).
pub(super) async fn fetch_object(
    conn: &mut PgConnection,
    kind: ObjectKind,
    id: Id,
) -> StoreResult<Option<Object>> {
    let Some(stmt) = sql::select_object(kind) else {
        return Ok(None);
    };
    let row = sqlx::query(stmt)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    row.as_ref().map(|r| object(kind, r)).transpose()
}

/// Binds every column of an object (the [`sql::written`] columns, id first), shared by INSERT
/// and UPDATE ([`sql::update`]).
pub(super) fn bind_object<'q>(q: Q<'q>, obj: &'q Object) -> StoreResult<Q<'q>> {
    Ok(match obj {
        Object::User(u) => q
            .bind(u.id)
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
            .bind(t.id)
            .bind(t.key.as_str())
            .bind(t.name.as_str())
            .bind(t.description.as_str())
            .bind(t.default_role)
            .bind(ts(t.created_at))
            .bind(ts(t.updated_at))
            .bind(int(t.version)?),
        Object::Role(r) => q
            .bind(r.id)
            .bind(r.name.as_str())
            .bind(r.description.as_str())
            .bind(ts(r.created_at))
            .bind(ts(r.updated_at))
            .bind(int(r.version)?)
            .bind(r.created_by),
        Object::Permission(p) => q
            .bind(p.id)
            .bind(p.catalog.as_str())
            .bind(p.entity.as_str())
            .bind(p.entity_uuid.as_deref())
            .bind(&p.grants)
            .bind(&p.denies)
            .bind(&p.conditions)
            .bind(&p.query_attributes)
            .bind(&p.read_attributes)
            .bind(&p.write_attributes)
            .bind(p.description.as_str())
            .bind(ts(p.created_at))
            .bind(ts(p.updated_at))
            .bind(int(p.version)?)
            .bind(p.entity_type.as_deref())
            .bind(p.scope.as_deref())
            .bind(p.created_by),
        Object::ApiKey(k) => q
            .bind(k.id)
            .bind(k.prefix.as_str())
            .bind(k.hash.as_str())
            .bind(k.user_id)
            .bind(k.read_only)
            .bind(k.expires_at.map(ts))
            .bind(ts(k.created_at))
            .bind(k.last_used_at.map(ts))
            .bind(k.revoked_at.map(ts))
            .bind(int(k.version)?),
    })
}

/// Number of parameters [`bind_object`] binds for an object of `kind`.
fn param_count(kind: ObjectKind) -> usize {
    sql::written(kind).map_or(0, |(_, cols)| cols.len())
}

/// `INSERT INTO t (cols) VALUES ($1, …), … ON CONFLICT DO NOTHING RETURNING id` for `rows`
/// objects of a kind (parameters as in [`bind_object`], one object after the other).
pub(super) fn insert_sql(kind: ObjectKind, rows: usize) -> String {
    let (t, cols) = sql::written(kind).unwrap_or(("", &[]));
    let n = param_count(kind);
    let mut sql = format!("INSERT INTO {t} ({}) VALUES ", cols.join(", "));
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        let params: Vec<String> = (1..=n).map(|i| format!("${}", r * n + i)).collect();
        sql.push('(');
        sql.push_str(&params.join(", "));
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT DO NOTHING RETURNING id");
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements() {
        assert!(insert_sql(ObjectKind::User, 2).contains("($14, $15"));
        assert_eq!(param_count(ObjectKind::Permission), 17);
    }
}
