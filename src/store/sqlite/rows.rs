//! Row → object conversion: value encodings (ids as 16-byte blobs, times as unix
//! microseconds, permission lists as JSON text) and reading one object (the statements are
//! shared: [`sql`]).

use super::db_err;
use crate::model::{ApiKey, Id, ObjectKind, Permission, Role, Team, User, UserKind};
use crate::policy::Object;
use crate::store::sql;
use crate::store::{StoreError, StoreResult};
use sqlx::Row;
use sqlx::sqlite::{Sqlite, SqliteConnection, SqliteRow};
use time::OffsetDateTime;

/// The bytes an id is stored as.
pub(super) fn idb(id: &Id) -> &[u8] {
    id.as_bytes()
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// Reads an id column.
pub(super) fn get_id(row: &SqliteRow, col: usize) -> StoreResult<Id> {
    let bytes: &[u8] = row.try_get(col).map_err(|e| corrupt("id column", e))?;
    Id::from_slice(bytes).map_err(|e| corrupt("id column", e))
}

/// Reads a nullable id column.
pub(super) fn get_opt_id(row: &SqliteRow, col: usize) -> StoreResult<Option<Id>> {
    let bytes: Option<&[u8]> = row.try_get(col).map_err(|e| corrupt("id column", e))?;
    bytes
        .map(|b| Id::from_slice(b).map_err(|e| corrupt("id column", e)))
        .transpose()
}

fn get<'r, T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>>(
    row: &'r SqliteRow,
    col: usize,
) -> StoreResult<T> {
    row.try_get(col).map_err(|e| corrupt("column", e))
}

/// A time as unix microseconds (sub-microsecond digits are dropped; see [`crate::model::now`]).
pub(super) fn ts(t: OffsetDateTime) -> i64 {
    let micros = t.unix_timestamp_nanos().div_euclid(1000);
    // Every OffsetDateTime (years ±9999) is within ±3.2e17 µs, far inside i64.
    i64::try_from(micros).unwrap_or(i64::MAX)
}

/// The first whole microsecond at or after `t` (for "at or after" filters).
pub(super) fn ts_ceil(t: OffsetDateTime) -> i64 {
    let micros = (t.unix_timestamp_nanos() + 999).div_euclid(1000);
    // Same range argument as `ts`.
    i64::try_from(micros).unwrap_or(i64::MAX)
}

/// Reads a time column.
pub(super) fn from_ts(us: i64) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .map_err(|e| corrupt("time column", e))
}

fn get_ts(row: &SqliteRow, col: usize) -> StoreResult<OffsetDateTime> {
    from_ts(get(row, col)?)
}

/// Reads a nullable time column.
pub(super) fn get_opt_ts(row: &SqliteRow, col: usize) -> StoreResult<Option<OffsetDateTime>> {
    get::<Option<i64>>(row, col)?.map(from_ts).transpose()
}

/// A version or revision as stored (SQLite integers are signed).
pub(super) fn int(v: u64) -> StoreResult<i64> {
    i64::try_from(v).map_err(|_| StoreError::Database(format!("number {v} is too large to store")))
}

/// Reads a version or revision column.
pub(super) fn get_u64(row: &SqliteRow, col: usize) -> StoreResult<u64> {
    let v: i64 = get(row, col)?;
    u64::try_from(v).map_err(|e| corrupt("version column", e))
}

fn get_bool(row: &SqliteRow, col: usize) -> StoreResult<bool> {
    Ok(get::<i64>(row, col)? != 0)
}

fn get_list(row: &SqliteRow, col: usize) -> StoreResult<Vec<String>> {
    let text: &str = get(row, col)?;
    serde_json::from_str(text).map_err(|e| corrupt("list column", e))
}

/// Parses a stored user kind.
pub(super) fn user_kind(s: &str) -> StoreResult<UserKind> {
    match s {
        "person" => Ok(UserKind::Person),
        "service" => Ok(UserKind::Service),
        other => Err(corrupt("user kind", other)),
    }
}

/// A user row (columns [`sql::USER_COLS`]).
pub(super) fn user(row: &SqliteRow) -> StoreResult<User> {
    let kind = user_kind(get(row, 4)?)?;
    Ok(User {
        id: get_id(row, 0)?,
        username: get(row, 1)?,
        email: get(row, 2)?,
        display_name: get(row, 3)?,
        kind,
        disabled: get_bool(row, 5)?,
        owner: get_bool(row, 6)?,
        created_at: get_ts(row, 7)?,
        updated_at: get_ts(row, 8)?,
        version: get_u64(row, 9)?,
        first_name: get(row, 10)?,
        last_name: get(row, 11)?,
    })
}

/// A team row (columns [`sql::TEAM_COLS`]).
pub(super) fn team(row: &SqliteRow) -> StoreResult<Team> {
    Ok(Team {
        id: get_id(row, 0)?,
        key: get(row, 1)?,
        name: get(row, 2)?,
        description: get(row, 3)?,
        default_role: get_opt_id(row, 4)?,
        created_at: get_ts(row, 5)?,
        updated_at: get_ts(row, 6)?,
        version: get_u64(row, 7)?,
    })
}

/// A role row (columns [`sql::ROLE_COLS`]).
pub(super) fn role(row: &SqliteRow) -> StoreResult<Role> {
    Ok(Role {
        id: get_id(row, 0)?,
        name: get(row, 1)?,
        description: get(row, 2)?,
        created_by: get_opt_id(row, 6)?,
        created_at: get_ts(row, 3)?,
        updated_at: get_ts(row, 4)?,
        version: get_u64(row, 5)?,
    })
}

/// A permission row (columns [`sql::PERMISSION_COLS`]).
pub(super) fn permission(row: &SqliteRow) -> StoreResult<Permission> {
    Ok(Permission {
        id: get_id(row, 0)?,
        catalog: get(row, 1)?,
        entity: get(row, 2)?,
        entity_uuid: get(row, 3)?,
        grants: get_list(row, 4)?,
        denies: get_list(row, 5)?,
        conditions: get_list(row, 6)?,
        query_attributes: get_list(row, 7)?,
        read_attributes: get_list(row, 8)?,
        write_attributes: get_list(row, 9)?,
        description: get(row, 10)?,
        entity_type: get(row, 14)?,
        scope: get(row, 15)?,
        created_by: get_opt_id(row, 16)?,
        created_at: get_ts(row, 11)?,
        updated_at: get_ts(row, 12)?,
        version: get_u64(row, 13)?,
    })
}

/// An API key row (columns [`sql::KEY_COLS`]).
pub(super) fn key(row: &SqliteRow) -> StoreResult<ApiKey> {
    Ok(ApiKey {
        id: get_id(row, 0)?,
        prefix: get(row, 1)?,
        hash: get(row, 2)?,
        user_id: get_id(row, 3)?,
        read_only: get_bool(row, 4)?,
        expires_at: get_opt_ts(row, 5)?,
        created_at: get_ts(row, 6)?,
        last_used_at: get_opt_ts(row, 7)?,
        revoked_at: get_opt_ts(row, 8)?,
        version: get_u64(row, 9)?,
    })
}

/// Reads one object of a kind by id (`None` when missing or when `kind` is a link kind).
pub(super) async fn fetch_object(
    conn: &mut SqliteConnection,
    kind: ObjectKind,
    id: Id,
) -> StoreResult<Option<Object>> {
    let (stmt, decode): (&str, fn(&SqliteRow) -> StoreResult<Object>) = match kind {
        ObjectKind::User => (sql::SELECT_USER, |r| user(r).map(Object::User)),
        ObjectKind::Team => (sql::SELECT_TEAM, |r| team(r).map(Object::Team)),
        ObjectKind::Role => (sql::SELECT_ROLE, |r| role(r).map(Object::Role)),
        ObjectKind::Permission => (sql::SELECT_PERMISSION, |r| {
            permission(r).map(Object::Permission)
        }),
        ObjectKind::ApiKey => (sql::SELECT_KEY, |r| key(r).map(Object::ApiKey)),
        _ => return Ok(None),
    };
    let row = sqlx::query(stmt)
        .bind(idb(&id))
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    row.as_ref().map(decode).transpose()
}

/// Parses a stored object kind name.
pub(super) fn kind_from_str(s: &str) -> StoreResult<ObjectKind> {
    Ok(match s {
        "user" => ObjectKind::User,
        "team" => ObjectKind::Team,
        "role" => ObjectKind::Role,
        "permission" => ObjectKind::Permission,
        "api_key" => ObjectKind::ApiKey,
        "role_permission" => ObjectKind::RolePermission,
        "user_role" => ObjectKind::UserRole,
        "team_role" => ObjectKind::TeamRole,
        "team_member" => ObjectKind::TeamMember,
        "grant" => ObjectKind::Grant,
        other => return Err(corrupt("audit object kind", other)),
    })
}
