//! The load cache's parts: the state encoded as a header and parts of at most
//! [`PART_RECORDS`] records ([`encode`]), and decoded part by part ([`Decoder`]). The records
//! themselves are [`super::codec`]'s.

use super::codec::{
    EndRec, Pairs, PermSeed, Records, permission_rec, role_rec, team_rec, user_rec,
};
use crate::model::{Id, Principal, Role, Team, User};
use crate::policy::{PermissionsBuilder, State};
use crate::store::{StoreError, StoreResult};
use serde::{Deserialize, Serialize};

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
    /// When links end: [`EndRec`]s.
    Ends = 10,
}

impl Kind {
    const ALL: [Kind; 10] = [
        Kind::Users,
        Kind::Teams,
        Kind::Roles,
        Kind::Permissions,
        Kind::RolePermissions,
        Kind::UserRoles,
        Kind::TeamRoles,
        Kind::Members,
        Kind::Grants,
        Kind::Ends,
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
    pub(super) records: [u64; 10],
}

fn enc_err(e: postcard::Error) -> StoreError {
    StoreError::Database(format!("load cache: {e}"))
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("load cache: {e}"))
}

/// Encodes everything [`Decoder`] restores (not the revision, API keys or the name index):
/// hands each part to `sink` as soon as it is encoded (so only one is held at a time), in
/// order, and returns the header that counts them.
pub(super) fn encode_each(
    st: &State,
    mut sink: impl FnMut(Part) -> StoreResult<()>,
) -> StoreResult<Header> {
    let mut header = Header::default();
    fn chunks<T: Serialize>(
        kind: Kind,
        records: impl Iterator<Item = T>,
        header: &mut Header,
        sink: &mut impl FnMut(Part) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let mut records = records.peekable();
        let mut chunk = Vec::with_capacity(PART_RECORDS);
        while records.peek().is_some() {
            chunk.clear();
            chunk.extend(records.by_ref().take(PART_RECORDS));
            header.records[kind as usize - 1] += chunk.len() as u64;
            header.parts += 1;
            let data = postcard::to_allocvec(&chunk).map_err(enc_err)?;
            sink(Part { kind, data })?;
        }
        Ok(())
    }
    let (h, k) = (&mut header, &mut sink);
    chunks(Kind::Users, st.users.values().map(user_rec), h, k)?;
    chunks(Kind::Teams, st.teams.values().map(team_rec), h, k)?;
    chunks(Kind::Roles, st.roles.values().map(role_rec), h, k)?;
    let permissions = st.permissions.iter().map(permission_rec);
    chunks(Kind::Permissions, permissions, h, k)?;
    let role_permissions = st.role_permissions.iter().copied();
    chunks(Kind::RolePermissions, role_permissions, h, k)?;
    if !st.user_roles.is_empty() {
        let pairs = Pairs::encode(&st.user_roles, &st.users, &st.roles);
        h.records[Kind::UserRoles as usize - 1] = st.user_roles.len() as u64;
        h.parts += 1;
        let data = postcard::to_allocvec(&pairs).map_err(enc_err)?;
        k(Part {
            kind: Kind::UserRoles,
            data,
        })?;
    }
    chunks(Kind::TeamRoles, st.team_roles.iter().copied(), h, k)?;
    let members = st.members.iter().map(|(&(t, u), &r)| (t, u, r));
    chunks(Kind::Members, members, h, k)?;
    let grants = st.grants.iter().map(|&(p, perm)| match p {
        Principal::User(u) => (false, u, perm),
        Principal::Team(t) => (true, t, perm),
    });
    chunks(Kind::Grants, grants, h, k)?;
    let ends = st.expiries.iter().map(|(l, at)| EndRec::of(l, at));
    chunks(Kind::Ends, ends, h, k)?;
    Ok(header)
}

/// [`encode_each`], the parts gathered.
pub(super) fn encode(st: &State) -> StoreResult<(Header, Vec<Part>)> {
    let mut parts = Vec::new();
    let header = encode_each(st, |p| {
        parts.push(p);
        Ok(())
    })?;
    Ok((header, parts))
}

/// Decodes parts one at a time into a state (revision 0, no API keys, no name index).
#[derive(Default)]
pub(super) struct Decoder {
    parts: u64,
    records: [u64; 10],
    users: Vec<(Id, User)>,
    teams: Vec<(Id, Team)>,
    roles: Vec<(Id, Role)>,
    permissions: PermissionsBuilder,
    role_permissions: Vec<(Id, Id)>,
    user_roles: Option<Pairs>,
    team_roles: Vec<(Id, Id)>,
    members: Vec<(Id, Id, Option<Id>)>,
    grants: Vec<(bool, Id, Id)>,
    ends: Vec<EndRec>,
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
        // Each buffer is allocated once at its final size: grown by doubling, a million links
        // would leave ~32 MiB of earlier copies behind, freed but still resident.
        let cap = |kind: Kind| {
            usize::try_from(header.records[kind as usize - 1])
                .unwrap_or(0)
                .min(1 << 24)
        };
        Decoder {
            users: Vec::with_capacity(cap(Kind::Users)),
            teams: Vec::with_capacity(cap(Kind::Teams)),
            roles: Vec::with_capacity(cap(Kind::Roles)),
            permissions: PermissionsBuilder::with_capacity(cap(Kind::Permissions)),
            role_permissions: Vec::with_capacity(cap(Kind::RolePermissions)),
            team_roles: Vec::with_capacity(cap(Kind::TeamRoles)),
            members: Vec::with_capacity(cap(Kind::Members)),
            grants: Vec::with_capacity(cap(Kind::Grants)),
            ends: Vec::with_capacity(cap(Kind::Ends)),
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
            Kind::Ends => extend(&mut self.ends, all(data)?),
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
        let expiries = self
            .ends
            .into_iter()
            .map(EndRec::decode)
            .collect::<StoreResult<Vec<_>>>()?;
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
            expiries: expiries.into_iter().collect(),
            ..State::default()
        })
    }
}

/// Decodes untrusted bytes laid out as a postcard [`Header`] followed by parts, each a kind
/// byte, a little-endian `u16` length and that many bytes: how the fuzz target drives the
/// decoder a load uses. Refuses what does not decode; never panics.
pub(crate) fn decode_untrusted(data: &[u8]) -> StoreResult<State> {
    let (header, mut rest): (Header, &[u8]) = postcard::take_from_bytes(data).map_err(corrupt)?;
    let mut d = Decoder::for_header(&header);
    while let [kind, a, b, tail @ ..] = rest {
        let n = usize::from(u16::from_le_bytes([*a, *b])).min(tail.len());
        let (part, more) = tail.split_at(n);
        d.part(i64::from(*kind), part)?;
        rest = more;
    }
    let mut state = d.finish(&header)?;
    state.reindex();
    Ok(state)
}

/// Encodes a state in [`decode_untrusted`]'s layout (seeds for the fuzz target). A part
/// longer than a `u16` length can say is refused.
pub(crate) fn encode_untrusted(st: &State) -> StoreResult<Vec<u8>> {
    let (header, parts) = encode(st)?;
    let mut out = postcard::to_allocvec(&header).map_err(enc_err)?;
    for p in parts {
        let n = u16::try_from(p.data.len()).map_err(|_| corrupt("a part too long for a seed"))?;
        out.push(u8::try_from(p.kind as i64).map_err(corrupt)?);
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&p.data);
    }
    Ok(out)
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
