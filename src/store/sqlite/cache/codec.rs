//! The load cache's encoding: the state as postcard records (strings borrowed when encoding,
//! moved out when decoding; times as unix microseconds, as in the tables), decoded straight
//! into the model.

use super::super::rows::{from_ts, ts};
use crate::model::{Id, Principal, Role, Team, User, UserKind};
use crate::store::{PermFields, PermRef, PermissionsBuilder, State, StoreError, StoreResult};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// What a part holds (the `kind` column of `load_cache_parts`). A state is encoded as parts
/// of at most [`PART_RECORDS`] records each, so neither encoding nor decoding holds the whole
/// encoded state in one buffer (a million permissions make ~100 MiB): each part is read,
/// decoded into the model and dropped before the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i64)]
pub(super) enum Kind {
    Users = 1,
    Teams = 2,
    Roles = 3,
    Permissions = 4,
    RolePermissions = 5,
    /// One part: [`Pairs`] (decoded once users and roles are in).
    UserRoles = 6,
    TeamRoles = 7,
    Members = 8,
    /// (principal is a team, principal, permission)
    Grants = 9,
}

impl Kind {
    const ALL: [Kind; 9] = [
        Kind::Users,
        Kind::Teams,
        Kind::Roles,
        Kind::Permissions,
        Kind::RolePermissions,
        Kind::UserRoles,
        Kind::TeamRoles,
        Kind::Members,
        Kind::Grants,
    ];

    fn of(n: i64) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| *k as i64 == n)
    }
}

/// The most records in one part.
const PART_RECORDS: usize = 16_384;

/// One encoded part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Part {
    /// What it holds.
    pub(super) kind: Kind,
    /// Postcard: a sequence of records of that kind.
    pub(super) data: Vec<u8>,
}

/// What the header row holds: how many parts follow and how many records of each kind they
/// hold in all, so a missing or extra part is noticed instead of loading a partial state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Header {
    /// How many parts.
    pub(super) parts: u64,
    /// Records of each kind, in [`Kind::ALL`] order (links for user roles).
    pub(super) records: [u64; 9],
}

/// A large link set between two object tables, usually as indexes into them (a few bytes per
/// link instead of two 16-byte ids).
#[derive(Serialize, Deserialize)]
pub(super) enum Pairs {
    /// The (left, right) ids as they are (some id is not an object's).
    Ids(Vec<(Id, Id)>),
    /// For each left object in key order, how many links it has; then each link's right
    /// object, as its position in key order. The links come out in (left, right) order.
    Indexed { counts: Vec<u32>, right: Vec<u32> },
}

impl Pairs {
    /// Encodes `links` between the objects keyed `left` and `right`.
    pub(super) fn encode<L, R>(
        links: &BTreeSet<(Id, Id)>,
        left: &BTreeMap<Id, L>,
        right: &BTreeMap<Id, R>,
    ) -> Pairs {
        let index: FxHashMap<Id, u32> = right.keys().zip(0u32..).map(|(id, i)| (*id, i)).collect();
        let mut counts = Vec::with_capacity(left.len());
        let mut indexes = Vec::with_capacity(links.len());
        let mut rest = links.iter().peekable();
        // Both are in left-id order: walk them together.
        for l in left.keys() {
            let mut n = 0u32;
            while let Some(&&(_, b)) = rest.peek().filter(|(a, _)| a == l) {
                let Some(&i) = index.get(&b) else {
                    return Pairs::Ids(links.iter().copied().collect());
                };
                indexes.push(i);
                n += 1;
                rest.next();
            }
            counts.push(n);
        }
        if rest.next().is_some() {
            return Pairs::Ids(links.iter().copied().collect());
        }
        Pairs::Indexed {
            counts,
            right: indexes,
        }
    }

    /// How many links.
    pub(super) fn len(&self) -> usize {
        match self {
            Pairs::Ids(ids) => ids.len(),
            Pairs::Indexed { right, .. } => right.len(),
        }
    }

    /// The links, given the ids of the left and right objects in key order.
    pub(super) fn decode(
        self,
        left: &[(Id, impl Sized)],
        right: &[(Id, impl Sized)],
    ) -> StoreResult<Vec<(Id, Id)>> {
        let (counts, indexes) = match self {
            Pairs::Ids(ids) => return Ok(ids),
            Pairs::Indexed { counts, right } => (counts, right),
        };
        let bad = || StoreError::Corrupt("load cache: a link index is out of range".into());
        if counts.len() != left.len() {
            return Err(bad());
        }
        let mut out = Vec::with_capacity(indexes.len());
        let mut indexes = indexes.into_iter();
        for (&(l, _), n) in left.iter().zip(counts) {
            for _ in 0..n {
                let i = indexes.next().ok_or_else(bad)?;
                let r = right.get(i as usize).ok_or_else(bad)?;
                out.push((l, r.0));
            }
        }
        if indexes.next().is_some() {
            return Err(bad());
        }
        Ok(out)
    }
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

fn permission_rec(p: PermRef<'_>) -> PermissionRec<'_> {
    let [query, read, write] = p.attributes();
    PermissionRec {
        id: p.id(),
        catalog: Cow::Borrowed(p.catalog()),
        entity: Cow::Borrowed(p.entity()),
        entity_uuid: p.entity_uuid().map(Cow::Borrowed),
        lists: [p.grants(), p.denies(), p.conditions(), query, read, write].map(Cow::Borrowed),
        description: Cow::Borrowed(p.description()),
        created_at: ts(p.created_at()),
        updated_at: ts(p.updated_at()),
        version: p.version(),
    }
}

fn enc_err(e: postcard::Error) -> StoreError {
    StoreError::Database(format!("load cache: {e}"))
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("load cache: {e}"))
}

/// Encodes everything [`Decoder`] restores (not the revision, API keys or the name index):
/// the header and the parts, in order.
pub(super) fn encode(st: &State) -> StoreResult<(Header, Vec<Part>)> {
    let mut header = Header::default();
    let mut parts = Vec::new();
    fn chunks<T: Serialize>(
        kind: Kind,
        records: impl Iterator<Item = T>,
        header: &mut Header,
        parts: &mut Vec<Part>,
    ) -> StoreResult<()> {
        let mut records = records.peekable();
        while records.peek().is_some() {
            let chunk: Vec<T> = records.by_ref().take(PART_RECORDS).collect();
            header.records[kind as usize - 1] += chunk.len() as u64;
            let data = postcard::to_allocvec(&chunk).map_err(enc_err)?;
            parts.push(Part { kind, data });
        }
        Ok(())
    }
    let (h, p) = (&mut header, &mut parts);
    chunks(Kind::Users, st.users.values().map(user_rec), h, p)?;
    chunks(Kind::Teams, st.teams.values().map(team_rec), h, p)?;
    chunks(Kind::Roles, st.roles.values().map(role_rec), h, p)?;
    chunks(
        Kind::Permissions,
        st.permissions.iter().map(permission_rec),
        h,
        p,
    )?;
    chunks(
        Kind::RolePermissions,
        st.role_permissions.iter().copied(),
        h,
        p,
    )?;
    if !st.user_roles.is_empty() {
        let pairs = Pairs::encode(&st.user_roles, &st.users, &st.roles);
        h.records[Kind::UserRoles as usize - 1] = st.user_roles.len() as u64;
        let data = postcard::to_allocvec(&pairs).map_err(enc_err)?;
        p.push(Part {
            kind: Kind::UserRoles,
            data,
        });
    }
    chunks(Kind::TeamRoles, st.team_roles.iter().copied(), h, p)?;
    let members = st.members.iter().map(|(&(t, u), &r)| (t, u, r));
    chunks(Kind::Members, members, h, p)?;
    let grants = st.grants.iter().map(|&(p, perm)| match p {
        Principal::User(u) => (false, u, perm),
        Principal::Team(t) => (true, t, perm),
    });
    chunks(Kind::Grants, grants, h, p)?;
    header.parts = parts.len() as u64;
    Ok((header, parts))
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

/// Decodes a permissions part record by record straight into the packed table (no
/// [`Permission`](crate::model::Permission) value in between).
struct PermSeed<'b>(&'b mut PermissionsBuilder);

impl<'de> serde::de::DeserializeSeed<'de> for PermSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for PermSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a sequence of permission records")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(p) = seq.next_element::<PermissionRec<'de>>()? {
            let [grants, denies, conditions, query, read, write] = &p.lists;
            let (created_at, updated_at) = (from_ts(p.created_at), from_ts(p.updated_at));
            self.0.push(&PermFields {
                id: p.id,
                catalog: &p.catalog,
                entity: &p.entity,
                entity_uuid: p.entity_uuid.as_deref(),
                lists: [grants, denies, conditions, query, read, write],
                description: &p.description,
                created_at: created_at.map_err(serde::de::Error::custom)?,
                updated_at: updated_at.map_err(serde::de::Error::custom)?,
                version: p.version,
            });
        }
        Ok(())
    }
}

/// Decodes parts one at a time into a state (revision 0, no API keys, no name index).
#[derive(Default)]
pub(super) struct Decoder {
    parts: u64,
    records: [u64; 9],
    users: Vec<(Id, User)>,
    teams: Vec<(Id, Team)>,
    roles: Vec<(Id, Role)>,
    permissions: PermissionsBuilder,
    role_permissions: Vec<(Id, Id)>,
    user_roles: Option<Pairs>,
    team_roles: Vec<(Id, Id)>,
    members: Vec<(Id, Id, Option<Id>)>,
    grants: Vec<(bool, Id, Id)>,
}

fn all<'de, T: Deserialize<'de>>(data: &'de [u8]) -> StoreResult<T> {
    let (v, rest) = postcard::take_from_bytes(data).map_err(corrupt)?;
    if !rest.is_empty() {
        return Err(corrupt("bytes after a part's records"));
    }
    Ok(v)
}

fn extend<T>(into: &mut Vec<T>, part: Vec<T>) -> u64 {
    let n = part.len() as u64;
    into.extend(part);
    n
}

impl Decoder {
    /// A decoder with room for what `header` counts (capped: the header comes from the
    /// file), so the permissions are not copied as their buffer grows.
    pub(super) fn for_header(header: &Header) -> Decoder {
        let permissions = header.records[Kind::Permissions as usize - 1];
        let cap = usize::try_from(permissions).unwrap_or(0).min(1 << 24);
        Decoder {
            permissions: PermissionsBuilder::with_capacity(cap),
            ..Decoder::default()
        }
    }

    /// Decodes one part (`kind` as stored).
    pub(super) fn part(&mut self, kind: i64, data: &[u8]) -> StoreResult<()> {
        let kind = Kind::of(kind).ok_or_else(|| corrupt(format!("unknown part kind {kind}")))?;
        let n = match kind {
            Kind::Users => extend(&mut self.users, all::<Records<_>>(data)?.0),
            Kind::Teams => extend(&mut self.teams, all::<Records<_>>(data)?.0),
            Kind::Roles => extend(&mut self.roles, all::<Records<_>>(data)?.0),
            Kind::Permissions => {
                let before = self.permissions.len();
                let mut de = postcard::Deserializer::from_bytes(data);
                serde::de::DeserializeSeed::deserialize(PermSeed(&mut self.permissions), &mut de)
                    .map_err(corrupt)?;
                if !de.finalize().map_err(corrupt)?.is_empty() {
                    return Err(corrupt("bytes after a part's records"));
                }
                (self.permissions.len() - before) as u64
            }
            Kind::RolePermissions => extend(&mut self.role_permissions, all(data)?),
            Kind::UserRoles => {
                if self.user_roles.is_some() {
                    return Err(corrupt("two user-role parts"));
                }
                let pairs: Pairs = all(data)?;
                let n = pairs.len() as u64;
                self.user_roles = Some(pairs);
                n
            }
            Kind::TeamRoles => extend(&mut self.team_roles, all(data)?),
            Kind::Members => extend(&mut self.members, all(data)?),
            Kind::Grants => extend(&mut self.grants, all(data)?),
        };
        self.parts += 1;
        self.records[kind as usize - 1] += n;
        Ok(())
    }

    /// The state, if the parts decoded are the ones `header` lists.
    pub(super) fn finish(self, header: &Header) -> StoreResult<State> {
        if self.parts != header.parts || self.records != header.records {
            return Err(corrupt("the parts do not match their header"));
        }
        let user_roles = match self.user_roles {
            Some(p) => p.decode(&self.users, &self.roles)?,
            None => Vec::new(),
        };
        // `collect` into the B-trees sorts once (the records are already in key order) and
        // builds them in bulk.
        Ok(State {
            users: self.users.into_iter().collect(),
            teams: self.teams.into_iter().collect(),
            roles: self.roles.into_iter().collect(),
            permissions: self.permissions.finish(),
            role_permissions: self.role_permissions.into_iter().collect(),
            user_roles: user_roles.into_iter().collect(),
            team_roles: self.team_roles.into_iter().collect(),
            members: self
                .members
                .into_iter()
                .map(|(t, u, r)| ((t, u), r))
                .collect(),
            grants: self
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
}

/// Decodes [`encode`]'s output (what a load does part by part).
#[cfg(test)]
pub(super) fn decode(header: &Header, parts: &[Part]) -> StoreResult<State> {
    let mut d = Decoder::default();
    for p in parts {
        d.part(p.kind as i64, &p.data)?;
    }
    d.finish(header)
}
