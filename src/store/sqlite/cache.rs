//! The load cache: the loaded state (all but API keys and the audit log) at one revision, as
//! one postcard blob in `load_cache`. Decoding it is several times faster than aggregating
//! the tables ([`super::bulk`]); a 100k-user store loads in tens of milliseconds instead of
//! hundreds.
//!
//! The cache is disposable and not part of the versioned schema: `open` creates its table when
//! missing, anything may delete its row, and a row is used only while its `revision` is the
//! store's revision (every write that changes the cached tables bumps the revision in the same
//! transaction; `touch_key` does not, which is why API keys are always read from their table)
//! and its `format` is [`FORMAT`]. A row that fails to decode is ignored. The row is written
//! after a load that found none usable, and only if the store is still at that revision.

use super::db_err;
use super::rows::{from_ts, ts};
use crate::model::{Id, Permission, Principal, Revision, Role, Team, User, UserKind};
use crate::store::{State, StoreError, StoreResult};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use std::borrow::Cow;

/// Creates the cache table (at open, inside the migration transaction).
pub(super) const CREATE: &str = "CREATE TABLE IF NOT EXISTS load_cache (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL,
    format   INTEGER NOT NULL,
    data     BLOB NOT NULL
) STRICT";

/// The encoding of `data`. Bump it whenever [`Snapshot`] or the model changes shape; the
/// conversions below destructure every model field, so a new field does not compile until
/// it is handled here.
const FORMAT: i64 = 1;

/// Writes the row only if the store is still at the state's revision.
const WRITE: &str = "INSERT OR REPLACE INTO load_cache (id, revision, format, data) \
     SELECT 1, ?1, ?2, ?3 WHERE (SELECT value FROM meta WHERE name = 'revision') = ?1";

/// The encoded state. Field order is the encoding: postcard is not self-describing.
#[derive(Serialize, Deserialize)]
struct Snapshot<'a> {
    users: Vec<UserRec<'a>>,
    teams: Vec<TeamRec<'a>>,
    roles: Vec<RoleRec<'a>>,
    permissions: Vec<PermissionRec<'a>>,
    role_permissions: Vec<(Id, Id)>,
    user_roles: Vec<(Id, Id)>,
    team_roles: Vec<(Id, Id)>,
    members: Vec<(Id, Id, Option<Id>)>,
    /// (principal is a team, principal, permission)
    grants: Vec<(bool, Id, Id)>,
}

// Strings are `Cow`: borrowed from the state when encoding, owned (moved out, not copied)
// when decoding. Times are unix microseconds, as in the tables.

#[derive(Serialize, Deserialize)]
struct UserRec<'a> {
    id: Id,
    username: Cow<'a, str>,
    email: Cow<'a, str>,
    display_name: Cow<'a, str>,
    service: bool,
    disabled: bool,
    owner: bool,
    created_at: i64,
    updated_at: i64,
    version: u64,
}

#[derive(Serialize, Deserialize)]
struct TeamRec<'a> {
    id: Id,
    key: Cow<'a, str>,
    name: Cow<'a, str>,
    description: Cow<'a, str>,
    default_role: Option<Id>,
    created_at: i64,
    updated_at: i64,
    version: u64,
}

#[derive(Serialize, Deserialize)]
struct RoleRec<'a> {
    id: Id,
    name: Cow<'a, str>,
    description: Cow<'a, str>,
    created_at: i64,
    updated_at: i64,
    version: u64,
}

#[derive(Serialize, Deserialize)]
struct PermissionRec<'a> {
    id: Id,
    catalog: Cow<'a, str>,
    entity: Cow<'a, str>,
    entity_uuid: Option<Cow<'a, str>>,
    lists: [Cow<'a, [String]>; 6],
    description: Cow<'a, str>,
    created_at: i64,
    updated_at: i64,
    version: u64,
}

fn user_rec(u: &User) -> UserRec<'_> {
    let User {
        id,
        username,
        email,
        display_name,
        kind,
        disabled,
        owner,
        created_at,
        updated_at,
        version,
    } = u;
    UserRec {
        id: *id,
        username: Cow::Borrowed(username),
        email: Cow::Borrowed(email),
        display_name: Cow::Borrowed(display_name),
        service: match kind {
            UserKind::Person => false,
            UserKind::Service => true,
        },
        disabled: *disabled,
        owner: *owner,
        created_at: ts(*created_at),
        updated_at: ts(*updated_at),
        version: *version,
    }
}

fn team_rec(t: &Team) -> TeamRec<'_> {
    let Team {
        id,
        key,
        name,
        description,
        default_role,
        created_at,
        updated_at,
        version,
    } = t;
    TeamRec {
        id: *id,
        key: Cow::Borrowed(key),
        name: Cow::Borrowed(name),
        description: Cow::Borrowed(description),
        default_role: *default_role,
        created_at: ts(*created_at),
        updated_at: ts(*updated_at),
        version: *version,
    }
}

fn role_rec(r: &Role) -> RoleRec<'_> {
    let Role {
        id,
        name,
        description,
        created_at,
        updated_at,
        version,
    } = r;
    RoleRec {
        id: *id,
        name: Cow::Borrowed(name),
        description: Cow::Borrowed(description),
        created_at: ts(*created_at),
        updated_at: ts(*updated_at),
        version: *version,
    }
}

fn permission_rec(p: &Permission) -> PermissionRec<'_> {
    let Permission {
        id,
        catalog,
        entity,
        entity_uuid,
        grants,
        denies,
        conditions,
        query_attributes,
        read_attributes,
        write_attributes,
        description,
        created_at,
        updated_at,
        version,
    } = p;
    PermissionRec {
        id: *id,
        catalog: Cow::Borrowed(catalog),
        entity: Cow::Borrowed(entity),
        entity_uuid: entity_uuid.as_deref().map(Cow::Borrowed),
        lists: [
            grants,
            denies,
            conditions,
            query_attributes,
            read_attributes,
            write_attributes,
        ]
        .map(|l| Cow::Borrowed(l.as_slice())),
        description: Cow::Borrowed(description),
        created_at: ts(*created_at),
        updated_at: ts(*updated_at),
        version: *version,
    }
}

/// Encodes everything [`decode`] restores (not the revision, API keys or the name index).
pub(super) fn encode(st: &State) -> StoreResult<Vec<u8>> {
    let snap = Snapshot {
        users: st.users.values().map(user_rec).collect(),
        teams: st.teams.values().map(team_rec).collect(),
        roles: st.roles.values().map(role_rec).collect(),
        permissions: st.permissions.values().map(permission_rec).collect(),
        role_permissions: st.role_permissions.iter().copied().collect(),
        user_roles: st.user_roles.iter().copied().collect(),
        team_roles: st.team_roles.iter().copied().collect(),
        members: st.members.iter().map(|(&(t, u), &r)| (t, u, r)).collect(),
        grants: st
            .grants
            .iter()
            .map(|&(p, perm)| match p {
                Principal::User(u) => (false, u, perm),
                Principal::Team(t) => (true, t, perm),
            })
            .collect(),
    };
    postcard::to_allocvec(&snap).map_err(|e| StoreError::Database(format!("load cache: {e}")))
}

/// A sequence of records decoded one by one straight into the model (no vector of records
/// in between).
struct Records<T>(Vec<T>);

/// A model value and the record it is encoded as.
trait FromRecord: Sized {
    /// The encoded form.
    type Record<'de>: Deserialize<'de>;
    /// Converts a decoded record.
    fn from_record(r: Self::Record<'_>) -> StoreResult<Self>;
}

impl<'de, T: FromRecord> Deserialize<'de> for Records<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Seq<T>(std::marker::PhantomData<T>);
        impl<'de, T: FromRecord> serde::de::Visitor<'de> for Seq<T> {
            type Value = Records<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a sequence of records")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Records<T>, A::Error> {
                // The length comes from the data: trust it only up to 1 MiB, as serde does.
                let cap = seq
                    .size_hint()
                    .unwrap_or(0)
                    .min((1 << 20) / size_of::<T>().max(1));
                let mut out = Vec::with_capacity(cap);
                while let Some(r) = seq.next_element::<T::Record<'de>>()? {
                    out.push(T::from_record(r).map_err(serde::de::Error::custom)?);
                }
                Ok(Records(out))
            }
        }
        d.deserialize_seq(Seq(std::marker::PhantomData))
    }
}

impl FromRecord for (Id, User) {
    type Record<'de> = UserRec<'de>;
    fn from_record(u: UserRec<'_>) -> StoreResult<Self> {
        let user = User {
            id: u.id,
            username: u.username.into_owned(),
            email: u.email.into_owned(),
            display_name: u.display_name.into_owned(),
            kind: if u.service {
                UserKind::Service
            } else {
                UserKind::Person
            },
            disabled: u.disabled,
            owner: u.owner,
            created_at: from_ts(u.created_at)?,
            updated_at: from_ts(u.updated_at)?,
            version: u.version,
        };
        Ok((u.id, user))
    }
}

impl FromRecord for (Id, Team) {
    type Record<'de> = TeamRec<'de>;
    fn from_record(t: TeamRec<'_>) -> StoreResult<Self> {
        let team = Team {
            id: t.id,
            key: t.key.into_owned(),
            name: t.name.into_owned(),
            description: t.description.into_owned(),
            default_role: t.default_role,
            created_at: from_ts(t.created_at)?,
            updated_at: from_ts(t.updated_at)?,
            version: t.version,
        };
        Ok((t.id, team))
    }
}

impl FromRecord for (Id, Role) {
    type Record<'de> = RoleRec<'de>;
    fn from_record(r: RoleRec<'_>) -> StoreResult<Self> {
        let role = Role {
            id: r.id,
            name: r.name.into_owned(),
            description: r.description.into_owned(),
            created_at: from_ts(r.created_at)?,
            updated_at: from_ts(r.updated_at)?,
            version: r.version,
        };
        Ok((r.id, role))
    }
}

impl FromRecord for (Id, Permission) {
    type Record<'de> = PermissionRec<'de>;
    fn from_record(p: PermissionRec<'_>) -> StoreResult<Self> {
        let [grants, denies, conditions, query, read, write] = p.lists.map(Cow::into_owned);
        let perm = Permission {
            id: p.id,
            catalog: p.catalog.into_owned(),
            entity: p.entity.into_owned(),
            entity_uuid: p.entity_uuid.map(Cow::into_owned),
            grants,
            denies,
            conditions,
            query_attributes: query,
            read_attributes: read,
            write_attributes: write,
            description: p.description.into_owned(),
            created_at: from_ts(p.created_at)?,
            updated_at: from_ts(p.updated_at)?,
            version: p.version,
        };
        Ok((p.id, perm))
    }
}

/// [`Snapshot`] as decoded: the same fields in the same order (so the same encoding), objects
/// decoded straight into the model.
#[derive(Deserialize)]
struct Decoded {
    users: Records<(Id, User)>,
    teams: Records<(Id, Team)>,
    roles: Records<(Id, Role)>,
    permissions: Records<(Id, Permission)>,
    role_permissions: Vec<(Id, Id)>,
    user_roles: Vec<(Id, Id)>,
    team_roles: Vec<(Id, Id)>,
    members: Vec<(Id, Id, Option<Id>)>,
    grants: Vec<(bool, Id, Id)>,
}

/// Decodes [`encode`]'s bytes into a state with revision 0, no API keys and no name index.
pub(super) fn decode(bytes: &[u8]) -> StoreResult<State> {
    let d: Decoded =
        postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt(format!("load cache: {e}")))?;
    // `collect` into the B-trees sorts once (the records are already in key order) and builds
    // them in bulk.
    Ok(State {
        users: d.users.0.into_iter().collect(),
        teams: d.teams.0.into_iter().collect(),
        roles: d.roles.0.into_iter().collect(),
        permissions: d.permissions.0.into_iter().collect(),
        role_permissions: d.role_permissions.into_iter().collect(),
        user_roles: d.user_roles.into_iter().collect(),
        team_roles: d.team_roles.into_iter().collect(),
        members: d.members.into_iter().map(|(t, u, r)| ((t, u), r)).collect(),
        grants: d
            .grants
            .into_iter()
            .map(|(team, p, perm)| {
                let principal = if team {
                    Principal::Team(p)
                } else {
                    Principal::User(p)
                };
                (principal, perm)
            })
            .collect(),
        ..State::default()
    })
}

/// The cached state at `revision`, if the cache holds one that decodes (revision 0, no API
/// keys, no name index: see [`decode`]).
pub(super) async fn read(
    conn: &mut SqliteConnection,
    revision: Revision,
) -> StoreResult<Option<State>> {
    let Ok(rev) = i64::try_from(revision) else {
        return Ok(None);
    };
    let row =
        sqlx::query("SELECT data FROM load_cache WHERE id = 1 AND revision = ?1 AND format = ?2")
            .bind(rev)
            .bind(FORMAT)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
    let Some(row) = row else {
        return Ok(None);
    };
    // Borrowed from the row: the blob is copied once, out of SQLite, not again.
    let data: &[u8] = row.try_get(0).map_err(db_err)?;
    match decode(data) {
        Ok(st) => Ok(Some(st)),
        Err(e) => {
            tracing::debug!("ignoring the load cache: {e}");
            Ok(None)
        }
    }
}

/// Caches `st` in the background (when the store is still at its revision); failures only
/// cost the next load its speed, so they are logged, not returned.
pub(super) fn store(pool: &SqlitePool, st: &State) {
    let (data, revision) = match (encode(st), i64::try_from(st.revision)) {
        (Ok(data), Ok(revision)) => (data, revision),
        (Err(e), _) => return tracing::debug!("not caching the load: {e}"),
        (_, Err(e)) => return tracing::debug!("not caching the load: {e}"),
    };
    let pool = pool.clone();
    tokio::spawn(async move {
        let done = sqlx::query(WRITE)
            .bind(revision)
            .bind(FORMAT)
            .bind(data)
            .execute(&pool)
            .await;
        if let Err(e) = done {
            tracing::debug!("not caching the load: {e}");
        }
    });
}

#[cfg(test)]
mod tests;
