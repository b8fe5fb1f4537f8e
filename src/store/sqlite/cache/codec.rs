//! The load cache's encoding: the state as postcard records (strings borrowed when encoding,
//! moved out when decoding; times as unix microseconds, as in the tables), decoded straight
//! into the model.

use super::super::rows::{from_ts, ts};
use crate::model::{Id, Role, Team, User, UserKind};
use crate::policy::{Link, LinkExpiry, PermFields, PermRef, PermissionsBuilder};
use crate::store::{StoreError, StoreResult};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

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
pub(super) struct UserRec<'a> {
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
    first_name: Cow<'a, str>,
    last_name: Cow<'a, str>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct TeamRec<'a> {
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
pub(super) struct RoleRec<'a> {
    id: Id,
    name: Cow<'a, str>,
    description: Cow<'a, str>,
    created_at: i64,
    updated_at: i64,
    version: u64,
    created_by: Option<Id>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct PermissionRec<'a> {
    id: Id,
    catalog: Cow<'a, str>,
    entity: Cow<'a, str>,
    entity_uuid: Option<Cow<'a, str>>,
    lists: [Cow<'a, [String]>; 6],
    description: Cow<'a, str>,
    created_at: i64,
    updated_at: i64,
    version: u64,
    entity_type: Option<Cow<'a, str>>,
    scope: Option<Cow<'a, str>>,
    created_by: Option<Id>,
}

pub(super) fn user_rec(u: &User) -> UserRec<'_> {
    let User {
        id,
        username,
        email,
        display_name,
        first_name,
        last_name,
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
        first_name: Cow::Borrowed(first_name),
        last_name: Cow::Borrowed(last_name),
    }
}

pub(super) fn team_rec(t: &Team) -> TeamRec<'_> {
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

pub(super) fn role_rec(r: &Role) -> RoleRec<'_> {
    let Role {
        id,
        name,
        description,
        created_by,
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
        created_by: *created_by,
    }
}

pub(super) fn permission_rec(p: PermRef<'_>) -> PermissionRec<'_> {
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
        entity_type: p.entity_type().map(Cow::Borrowed),
        scope: p.scope().map(Cow::Borrowed),
        created_by: p.created_by(),
    }
}

/// When a link ends: which kind of link (the [`EndRec::of`] tags), its two ids and the end in
/// unix microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct EndRec(u8, Id, Id, i64);

impl EndRec {
    /// The record of `link` ending at `at`: tag 0 a user's role, 1 a team's role, 2 a
    /// membership, 3 a user's grant, 4 a team's grant, 5 a role's permission (never stored
    /// with an end, but a state may hold one).
    pub(super) fn of(link: &Link, at: OffsetDateTime) -> EndRec {
        let (tag, a, b) = crate::store::end_tags::end_tag(link);
        EndRec(tag, a, b, ts(at))
    }

    /// The link and its end.
    pub(super) fn decode(self) -> StoreResult<LinkExpiry> {
        let EndRec(tag, a, b, us) = self;
        let link = crate::store::end_tags::tagged_link(i64::from(tag), a, b)
            .ok_or_else(|| StoreError::Corrupt(format!("load cache: link end of kind {tag}")))?;
        Ok(LinkExpiry {
            link,
            expires_at: from_ts(us)?,
        })
    }
}

/// A sequence of records decoded one by one straight into the model (no vector of records
/// in between).
pub(super) struct Records<T>(pub(super) Vec<T>);

/// A model value and the record it is encoded as.
pub(super) trait FromRecord: Sized {
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
            first_name: u.first_name.into_owned(),
            last_name: u.last_name.into_owned(),
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
            created_by: r.created_by,
            created_at: from_ts(r.created_at)?,
            updated_at: from_ts(r.updated_at)?,
            version: r.version,
        };
        Ok((r.id, role))
    }
}

/// Decodes a permissions part record by record straight into the packed table (no
/// [`Permission`](crate::model::Permission) value in between).
pub(super) struct PermSeed<'b>(pub(super) &'b mut PermissionsBuilder);

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
                entity_type: p.entity_type.as_deref(),
                scope: p.scope.as_deref(),
                created_by: p.created_by,
                created_at: created_at.map_err(serde::de::Error::custom)?,
                updated_at: updated_at.map_err(serde::de::Error::custom)?,
                version: p.version,
            });
        }
        Ok(())
    }
}
