//! Whole-table reads for [`super::read::load`]. SQLite aggregates each table into a few
//! values, so a table costs one round trip instead of one per row: sqlx hands rows over one at
//! a time from its worker thread, which made row-by-row loading of a 100k-user store several
//! times slower than SQLite's own scan.
//!
//! Ids come back as one blob of every id concatenated (`group_concat` is byte-exact on blobs),
//! next to `count(*)` and the number of rows whose ids are exactly 16 bytes, so a NULL or
//! malformed id is reported as corrupt instead of shifting the others; every other column of an
//! object table comes back as a JSON array of row arrays (`json_group_array(json_array(..))`;
//! SQLite escapes every text value, so any string round-trips). All aggregates of one query
//! step over the same rows in the same order, which pairs the ids with the other columns.

use super::db_err;
use super::rows::{self, from_ts};
use crate::model::{ApiKey, Id, Principal, Role, Team, User};
use crate::policy::{PermFields, Permissions, PermissionsBuilder};
use crate::store::{StoreError, StoreResult};
use sqlx::sqlite::SqliteConnection;
use std::borrow::Cow;

/// Users are read in parts: the rows whose rowid is `?2` modulo `?1` (see [`Split`]).
const USERS: &str = "SELECT CAST(group_concat(id, '') AS BLOB), count(*), sum(length(id) = 16), \
     json_group_array(json_array(username, email, display_name, kind, disabled, owner, \
     created_at, updated_at, version, first_name, last_name)) FROM users WHERE rowid % ?1 = ?2";
const TEAMS: &str = "SELECT CAST(group_concat(id, '') AS BLOB), count(*), sum(length(id) = 16), \
     json_group_array(json_array(team_key, name, description, \
     iif(default_role IS NULL, NULL, hex(default_role)), created_at, updated_at, version)) \
     FROM teams";
const ROLES: &str = "SELECT CAST(group_concat(id, '') AS BLOB), count(*), sum(length(id) = 16), \
     json_group_array(json_array(name, description, created_at, updated_at, version, \
     iif(created_by IS NULL, NULL, hex(created_by)))) FROM roles";
const PERMISSIONS: &str = "SELECT CAST(group_concat(id, '') AS BLOB), count(*), \
     sum(length(id) = 16), json_group_array(json_array(catalog, entity, entity_uuid, grants, \
     denies, conditions, query_attributes, read_attributes, write_attributes, description, \
     created_at, updated_at, version, entity_type, scope, \
     iif(created_by IS NULL, NULL, hex(created_by)))) FROM permissions WHERE rowid BETWEEN ?1 AND ?2";
/// The permissions' rowids, to read the table in ranges of them.
const PERMISSION_ROWIDS: &str = "SELECT min(rowid), max(rowid), count(*) FROM permissions";
/// Rowids per [`PERMISSIONS`] query: the JSON text of one range (~2.5 MB) is held at a time,
/// not the table's (~175 MB at a million rows, and as much again freed but kept by the
/// allocator after the load).
const PERMISSION_RANGE: i64 = 1 << 14;
const KEYS: &str = "SELECT CAST(group_concat(id || user_id, '') AS BLOB), count(*), \
     sum(length(id) = 16 AND length(user_id) = 16), json_group_array(json_array(prefix, hash, \
     read_only, expires_at, created_at, last_used_at, revoked_at, version)) FROM api_keys";
/// The links after (`?1`, `?2`) in key order, at most `?3` of them (see [`role_permissions`]).
const ROLE_PERMISSIONS: &str = "SELECT CAST(group_concat(role_id || permission_id, '') AS BLOB), \
     count(*), sum(length(role_id) = 16 AND length(permission_id) = 16), NULL \
     FROM (SELECT role_id, permission_id FROM role_permissions \
     WHERE (role_id, permission_id) > (?1, ?2) ORDER BY role_id, permission_id LIMIT ?3)";
const ROLE_PERMISSION_COUNT: &str = "SELECT count(*) FROM role_permissions";
/// Links per [`ROLE_PERMISSIONS`] query: 2 MiB of ids at a time instead of a copy of them all
/// (32 MiB at a million links, freed but kept by the allocator after the load).
const ROLE_PERMISSION_PAGE: i64 = 1 << 16;
const USER_ROLES: &str = "SELECT CAST(group_concat(user_id || role_id, '') AS BLOB), count(*), \
     sum(length(user_id) = 16 AND length(role_id) = 16), NULL FROM user_roles";
const TEAM_ROLES: &str = "SELECT CAST(group_concat(team_id || role_id, '') AS BLOB), count(*), \
     sum(length(team_id) = 16 AND length(role_id) = 16), NULL FROM team_roles";
/// A NULL membership role travels as 16 zero bytes, told apart by `-` in the last column.
const MEMBERS: &str = "SELECT CAST(group_concat(team_id || user_id || \
     ifnull(role_id, zeroblob(16)), '') AS BLOB), count(*), sum(length(team_id) = 16 AND \
     length(user_id) = 16 AND (role_id IS NULL OR length(role_id) = 16)), \
     group_concat(iif(role_id IS NULL, '-', 'r'), '') FROM team_members";
/// The principal is the user when `user_id` is set, else the team (`u` / `t` in the last
/// column).
const GRANTS: &str = "SELECT CAST(group_concat(ifnull(user_id, team_id) || permission_id, '') \
     AS BLOB), count(*), sum(length(ifnull(user_id, team_id)) = 16 AND \
     length(permission_id) = 16), group_concat(iif(user_id IS NULL, 't', 'u'), '') FROM grants";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// What one aggregate query returns: the concatenated ids, the row count, how many rows have
/// well-formed ids, and the table's other columns (JSON rows, or link flags).
type Packed = (Option<Vec<u8>>, i64, Option<i64>, Option<String>);

/// One part of a table read in parts: the rows whose rowid is `part` modulo `parts`. A table is
/// read whole with [`Split::WHOLE`]; the parts `0..parts` together hold every row once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Split {
    /// How many parts.
    pub(super) parts: i64,
    /// Which one (`0..parts`).
    pub(super) part: i64,
}

impl Split {
    /// The whole table.
    pub(super) const WHOLE: Split = Split { parts: 1, part: 0 };
}

/// A table read in one query: `ids` holds `width` ids per row for `rows` rows.
struct Table {
    ids: Vec<u8>,
    width: usize,
    rows: usize,
    rest: String,
}

impl Table {
    /// Runs an aggregate query and checks that every row's ids are present and 16 bytes.
    async fn read(
        conn: &mut SqliteConnection,
        sql: &'static str,
        width: usize,
        what: &str,
    ) -> StoreResult<Table> {
        Table::read_part(conn, sql, None, width, what).await
    }

    /// [`Table::read`] of the part `split` (for queries with `?1`, `?2` as in [`USERS`]).
    async fn read_part(
        conn: &mut SqliteConnection,
        sql: &'static str,
        split: Option<Split>,
        width: usize,
        what: &str,
    ) -> StoreResult<Table> {
        let binds = split.map(|s| (s.parts, s.part));
        Table::read_with(conn, sql, binds, width, what).await
    }

    /// [`Table::read`] with `?1`, `?2` bound to `binds`.
    async fn read_with(
        conn: &mut SqliteConnection,
        sql: &'static str,
        binds: Option<(i64, i64)>,
        width: usize,
        what: &str,
    ) -> StoreResult<Table> {
        let mut q = sqlx::query_as(sql);
        if let Some((a, b)) = binds {
            q = q.bind(a).bind(b);
        }
        let (ids, count, valid, rest): Packed = q.fetch_one(&mut *conn).await.map_err(db_err)?;
        let ids = ids.unwrap_or_default();
        let rows = usize::try_from(count).map_err(|e| corrupt(what, e))?;
        // `sum` is NULL on an empty table.
        if valid.unwrap_or(0) != count || ids.len() != rows * width * 16 {
            return Err(corrupt(what, "an id is NULL or not 16 bytes"));
        }
        Ok(Table {
            ids,
            width,
            rows,
            rest: rest.unwrap_or_default(),
        })
    }

    /// The ids of each row.
    fn ids(&self) -> impl Iterator<Item = &[u8]> {
        self.ids.chunks_exact(self.width * 16)
    }

    /// Decodes the JSON rows, checking there is one per id row.
    fn json<'a, T: serde::Deserialize<'a>>(&'a self, what: &str) -> StoreResult<Vec<T>> {
        let rows: Vec<T> = serde_json::from_str(&self.rest).map_err(|e| corrupt(what, e))?;
        if rows.len() != self.rows {
            return Err(corrupt(what, "column aggregates disagree"));
        }
        Ok(rows)
    }

    /// One flag byte per row (`MEMBERS`, `GRANTS`).
    fn flags(&self, what: &str) -> StoreResult<&[u8]> {
        if self.rest.len() != self.rows {
            return Err(corrupt(what, "column aggregates disagree"));
        }
        Ok(self.rest.as_bytes())
    }
}

/// The `n`th id of a row of ids (`n` < the table's width: in bounds by [`Table::read`]).
fn id(row: &[u8], n: usize) -> Id {
    let mut b = [0u8; 16];
    b.copy_from_slice(&row[n * 16..n * 16 + 16]);
    Id::from_bytes(b)
}

/// An id from its 32 hex digits.
fn hex_id(s: &str) -> StoreResult<Id> {
    if s.len() != 32 {
        return Err(corrupt("id column", format!("{} hex digits", s.len())));
    }
    Id::try_parse_ascii(s.as_bytes()).map_err(|e| corrupt("id column", e))
}

fn version(v: i64) -> StoreResult<u64> {
    u64::try_from(v).map_err(|e| corrupt("version column", e))
}

fn opt_ts(us: Option<i64>) -> StoreResult<Option<time::OffsetDateTime>> {
    us.map(from_ts).transpose()
}

fn list(text: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text).map_err(|e| corrupt("list column", e))
}

/// Columns of [`USERS`] after the id. Kinds never contain escapes, so they are borrowed.
type UserRow<'a> = (
    String,
    String,
    String,
    &'a str,
    i64,
    i64,
    i64,
    i64,
    i64,
    String,
    String,
);

/// Every user of a part of the table.
pub(super) async fn users(
    conn: &mut SqliteConnection,
    split: Split,
) -> StoreResult<Vec<(Id, User)>> {
    let t = Table::read_part(conn, USERS, Some(split), 1, "users").await?;
    let rows: Vec<UserRow<'_>> = t.json("users")?;
    t.ids()
        .zip(rows)
        .map(
            |(
                ids,
                (username, email, display_name, kind, disabled, owner, c, u, v, first, last),
            )| {
                let id = id(ids, 0);
                let user = User {
                    id,
                    username,
                    email,
                    display_name,
                    first_name: first,
                    last_name: last,
                    kind: rows::user_kind(kind)?,
                    disabled: disabled != 0,
                    owner: owner != 0,
                    created_at: from_ts(c)?,
                    updated_at: from_ts(u)?,
                    version: version(v)?,
                };
                Ok((id, user))
            },
        )
        .collect()
}

/// Columns of [`TEAMS`] after the id.
type TeamRow = (String, String, String, Option<String>, i64, i64, i64);

/// Every team.
pub(super) async fn teams(conn: &mut SqliteConnection) -> StoreResult<Vec<(Id, Team)>> {
    let t = Table::read(conn, TEAMS, 1, "teams").await?;
    let rows: Vec<TeamRow> = t.json("teams")?;
    t.ids()
        .zip(rows)
        .map(|(ids, (key, name, description, default_role, c, u, v))| {
            let id = id(ids, 0);
            let team = Team {
                id,
                key,
                name,
                description,
                default_role: default_role.as_deref().map(hex_id).transpose()?,
                created_at: from_ts(c)?,
                updated_at: from_ts(u)?,
                version: version(v)?,
            };
            Ok((id, team))
        })
        .collect()
}

/// Columns of [`ROLES`] after the id.
type RoleRow = (String, String, i64, i64, i64, Option<String>);

/// Every role.
pub(super) async fn roles(conn: &mut SqliteConnection) -> StoreResult<Vec<(Id, Role)>> {
    let t = Table::read(conn, ROLES, 1, "roles").await?;
    let rows: Vec<RoleRow> = t.json("roles")?;
    t.ids()
        .zip(rows)
        .map(|(ids, (name, description, c, u, v, by))| {
            let id = id(ids, 0);
            let role = Role {
                id,
                name,
                description,
                created_by: by.as_deref().map(hex_id).transpose()?,
                created_at: from_ts(c)?,
                updated_at: from_ts(u)?,
                version: version(v)?,
            };
            Ok((id, role))
        })
        .collect()
}

/// Columns of [`PERMISSIONS`] after the id (list columns are JSON text, decoded afterwards).
/// Strings are borrowed from the query's JSON when they hold no escapes.
#[derive(serde::Deserialize)]
struct PermissionRow<'a>(
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    i64,
    i64,
    i64,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    Option<&'a str>,
);

/// Packs [`PERMISSIONS`]' JSON rows one at a time as they are parsed, beside their ids: no
/// vector of rows, nor of `Permission` values, in between (a million permissions would make
/// several hundred MiB of them).
struct PermissionRows<'t, 'b, I> {
    ids: I,
    into: &'b mut PermissionsBuilder,
    _rows: std::marker::PhantomData<&'t ()>,
}

impl<'de, I: Iterator<Item = &'de [u8]>> serde::de::DeserializeSeed<'de>
    for PermissionRows<'de, '_, I>
{
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, I: Iterator<Item = &'de [u8]>> serde::de::Visitor<'de> for PermissionRows<'de, '_, I> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of permission rows")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        use serde::de::Error;
        while let Some(r) = seq.next_element::<PermissionRow<'de>>()? {
            let ids = self
                .ids
                .next()
                .ok_or_else(|| A::Error::custom("column aggregates disagree"))?;
            let lists = [&r.3, &r.4, &r.5, &r.6, &r.7, &r.8].map(|l| list(l));
            let [grants, denies, conditions, query, read, write] = lists;
            let err = |e: StoreError| A::Error::custom(e);
            let (grants, denies, conditions) = (
                grants.map_err(err)?,
                denies.map_err(err)?,
                conditions.map_err(err)?,
            );
            let (query, read, write) =
                (query.map_err(err)?, read.map_err(err)?, write.map_err(err)?);
            self.into.push(&PermFields {
                id: id(ids, 0),
                catalog: &r.0,
                entity: &r.1,
                entity_uuid: r.2.as_deref(),
                lists: [&grants, &denies, &conditions, &query, &read, &write],
                description: &r.9,
                entity_type: r.13.as_deref(),
                scope: r.14.as_deref(),
                created_by: r.15.map(hex_id).transpose().map_err(err)?,
                created_at: from_ts(r.10).map_err(err)?,
                updated_at: from_ts(r.11).map_err(err)?,
                version: version(r.12).map_err(err)?,
            });
        }
        Ok(())
    }
}

/// Every permission, packed: read in ranges of rowids into one table, each range's JSON rows
/// packed as they are parsed.
pub(super) async fn permissions(conn: &mut SqliteConnection) -> StoreResult<Permissions> {
    permissions_in(conn, PERMISSION_RANGE).await
}

/// [`permissions`], `range` rowids per query.
async fn permissions_in(conn: &mut SqliteConnection, range: i64) -> StoreResult<Permissions> {
    let (lo, hi, count): (Option<i64>, Option<i64>, i64) = sqlx::query_as(PERMISSION_ROWIDS)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    let rows = usize::try_from(count).map_err(|e| corrupt("permissions", e))?;
    let mut into = PermissionsBuilder::with_capacity(rows);
    if let (Some(lo), Some(hi)) = (lo, hi) {
        // Rowids far sparser than the rows (never from gatehouse's own writes): one range.
        let ranges = (i128::from(hi) - i128::from(lo)) / i128::from(range.max(1)) + 1;
        let step = if ranges > 2 * i128::from(count) + 16 {
            None
        } else {
            Some(range.max(1))
        };
        let mut from = lo;
        loop {
            let to = step.map_or(hi, |s| from.saturating_add(s - 1).min(hi));
            permission_range(conn, from, to, &mut into).await?;
            if to >= hi {
                break;
            }
            from = to + 1;
        }
    }
    if into.len() != rows {
        return Err(corrupt("permissions", "column aggregates disagree"));
    }
    Ok(into.finish())
}

/// The permissions whose rowid is in `from..=to`, packed into `into`.
async fn permission_range(
    conn: &mut SqliteConnection,
    from: i64,
    to: i64,
    into: &mut PermissionsBuilder,
) -> StoreResult<()> {
    let t = Table::read_with(conn, PERMISSIONS, Some((from, to)), 1, "permissions").await?;
    let before = into.len();
    let mut de = serde_json::Deserializer::from_str(&t.rest);
    let rows = PermissionRows {
        ids: t.ids(),
        into: &mut *into,
        _rows: std::marker::PhantomData,
    };
    serde::de::DeserializeSeed::deserialize(rows, &mut de)
        .and_then(|()| de.end())
        .map_err(|e| corrupt("permissions", e))?;
    if into.len() - before != t.rows {
        return Err(corrupt("permissions", "column aggregates disagree"));
    }
    Ok(())
}

/// Columns of [`KEYS`] after the ids (key, user).
type KeyRow = (
    String,
    String,
    i64,
    Option<i64>,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
);

/// Every API key record.
pub(super) async fn keys(conn: &mut SqliteConnection) -> StoreResult<Vec<(Id, ApiKey)>> {
    let t = Table::read(conn, KEYS, 2, "api keys").await?;
    let rows: Vec<KeyRow> = t.json("api keys")?;
    t.ids()
        .zip(rows)
        .map(|(ids, (prefix, hash, ro, expires, c, used, revoked, v))| {
            let key_id = id(ids, 0);
            let key = ApiKey {
                id: key_id,
                prefix,
                hash,
                user_id: id(ids, 1),
                read_only: ro != 0,
                expires_at: opt_ts(expires)?,
                created_at: from_ts(c)?,
                last_used_at: opt_ts(used)?,
                revoked_at: opt_ts(revoked)?,
                version: version(v)?,
            };
            Ok((key_id, key))
        })
        .collect()
}

/// The pairs of a two-column link table.
async fn pairs(
    conn: &mut SqliteConnection,
    sql: &'static str,
    what: &str,
) -> StoreResult<Vec<(Id, Id)>> {
    let t = Table::read(conn, sql, 2, what).await?;
    Ok(t.ids().map(|r| (id(r, 0), id(r, 1))).collect())
}

/// (role, permission) links, in key order.
pub(super) async fn role_permissions(conn: &mut SqliteConnection) -> StoreResult<Vec<(Id, Id)>> {
    role_permissions_in(conn, ROLE_PERMISSION_PAGE).await
}

/// [`role_permissions`], read a page of `page` links at a time, each page starting after the
/// last link of the one before.
async fn role_permissions_in(conn: &mut SqliteConnection, page: i64) -> StoreResult<Vec<(Id, Id)>> {
    const WHAT: &str = "role permissions";
    let count: i64 = sqlx::query_scalar(ROLE_PERMISSION_COUNT)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    let count = usize::try_from(count).map_err(|e| corrupt(WHAT, e))?;
    let mut out: Vec<(Id, Id)> = Vec::with_capacity(count);
    // Every id is 16 bytes (or the page is refused): empty blobs come before all of them.
    let mut after: (Vec<u8>, Vec<u8>) = (Vec::new(), Vec::new());
    loop {
        let mut q = sqlx::query_as(ROLE_PERMISSIONS);
        q = q.bind(&after.0).bind(&after.1).bind(page.max(1));
        let (ids, n, valid, _): Packed = q.fetch_one(&mut *conn).await.map_err(db_err)?;
        let ids = ids.unwrap_or_default();
        let rows = usize::try_from(n).map_err(|e| corrupt(WHAT, e))?;
        if valid.unwrap_or(0) != n || ids.len() != rows * 32 {
            return Err(corrupt(WHAT, "an id is NULL or not 16 bytes"));
        }
        out.extend(ids.chunks_exact(32).map(|r| (id(r, 0), id(r, 1))));
        match ids.chunks_exact(32).last() {
            Some(last) if n >= page.max(1) => after = (last[..16].to_vec(), last[16..].to_vec()),
            _ => break,
        }
    }
    if out.len() != count {
        return Err(corrupt(WHAT, "the links changed while read"));
    }
    Ok(out)
}

/// (user, role) links.
pub(super) async fn user_roles(conn: &mut SqliteConnection) -> StoreResult<Vec<(Id, Id)>> {
    pairs(conn, USER_ROLES, "user roles").await
}

/// (team, role) links.
pub(super) async fn team_roles(conn: &mut SqliteConnection) -> StoreResult<Vec<(Id, Id)>> {
    pairs(conn, TEAM_ROLES, "team roles").await
}

/// Memberships: ((team, user), role).
pub(super) async fn members(
    conn: &mut SqliteConnection,
) -> StoreResult<Vec<((Id, Id), Option<Id>)>> {
    let t = Table::read(conn, MEMBERS, 3, "team members").await?;
    t.ids()
        .zip(t.flags("team members")?)
        .map(|(r, flag)| {
            let role = match flag {
                b'-' => None,
                b'r' => Some(id(r, 2)),
                _ => return Err(corrupt("team members", "bad role flag")),
            };
            Ok(((id(r, 0), id(r, 1)), role))
        })
        .collect()
}

/// Direct grants: a user's when `user_id` is set, else the team's.
pub(super) async fn grants(conn: &mut SqliteConnection) -> StoreResult<Vec<(Principal, Id)>> {
    let t = Table::read(conn, GRANTS, 2, "grants").await?;
    t.ids()
        .zip(t.flags("grants")?)
        .map(|(r, flag)| {
            let principal = match flag {
                b'u' => Principal::User(id(r, 0)),
                b't' => Principal::Team(id(r, 0)),
                _ => return Err(corrupt("grants", "bad principal flag")),
            };
            Ok((principal, id(r, 1)))
        })
        .collect()
}

mod ends;
pub(super) use ends::expiries;

#[cfg(test)]
mod tests;
