//! [`Permissions`]: the permissions of a [`State`](super::State), packed.
//!
//! A store of a million permissions must fit in a console's memory (docs/PRODUCT.md §5: ≤ 300 MB with
//! the index and the list rows), and a [`Permission`] value is ~300 bytes inline plus a heap
//! block per string and list. Permissions repeat most of what they hold — a few catalogs,
//! entity types and flag lists — so the table keeps each distinct string and list once and a
//! permission as small numbers pointing at them, its entity UUID, creation time and version,
//! and what is rarely set — attribute lists, a description, an update time other than the
//! creation time, a version past `u32`, a creation time not in UTC — behind one pointer: 64 bytes each, the
//! entity UUID inline when it is at most 24 bytes.
//!
//! Reads either borrow a [`PermRef`] (no allocation; what the engine index, the list rows and
//! the load cache use) or materialize an owned [`Permission`] ([`Permissions::get`],
//! [`Permissions::values`]). Iteration is in id order. The permissions are kept in one vector sorted by id (see
//! [`SortedMap`](super::sorted::SortedMap)): a load builds it in one pass and keeps it, without tree nodes.

#[cfg(test)]
mod tests;
mod view;

pub use view::{PermFields, PermRef};

use super::sorted::SortedMap;
use crate::model::{Id, Permission};
use compact_str::CompactString;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::hash::Hash;
use time::OffsetDateTime;

/// Each distinct value once, numbered in the order first seen.
#[derive(Debug, Clone)]
struct Interner<T> {
    items: Vec<T>,
    index: FxHashMap<T, u32>,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            items: Vec::new(),
            index: FxHashMap::default(),
        }
    }
}

impl<T: Hash + Eq + Clone> Interner<T> {
    /// The number of `v`, adding it when new.
    fn intern<Q>(&mut self, v: &Q) -> u32
    where
        T: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        for<'q> &'q Q: Into<T>,
    {
        if let Some(&n) = self.index.get(v) {
            return n;
        }
        // Invariant: fewer than 2^32 distinct values (each takes memory; a table that large
        // cannot be held), so the count fits.
        let n = self.items.len() as u32;
        let owned: T = v.into();
        self.items.push(owned.clone());
        self.index.insert(owned, n);
        n
    }

    fn get(&self, n: u32) -> &T {
        &self.items[n as usize]
    }
}

/// What permissions share besides their entity and lists: the catalog, Mage's entity type and
/// scope, and the creator (a few distinct combinations in any store), interned together so a
/// packed permission holds one number for them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Head {
    catalog: Box<str>,
    entity_type: Option<Box<str>>,
    scope: Option<Box<str>>,
    created_by: Option<Id>,
}

impl From<&Head> for Head {
    fn from(h: &Head) -> Head {
        h.clone()
    }
}

/// What a permission rarely has, kept behind one pointer (`None` when it has none of it).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rare {
    attributes: [Vec<String>; 3],
    description: String,
    /// The last update time, when it is not the creation time.
    updated_at: Option<OffsetDateTime>,
    /// The version, when it does not fit [`Packed::version`].
    version: Option<u64>,
    /// The creation time, when [`Packed::created`] cannot hold it (not UTC, or past 2262).
    created_at: Option<OffsetDateTime>,
}

/// [`Packed::created`] when the creation time is in [`Rare::created_at`].
const CREATED_IN_RARE: i64 = i64::MIN;

/// One permission, packed: strings and lists by their number in the table's interners
/// (64 bytes).
#[derive(Debug, Clone)]
struct Packed {
    /// The [`Head`]: catalog, entity type, scope and creator.
    head: u32,
    entity: u32,
    /// grants, denies, conditions
    lists: [u32; 3],
    /// The version (`u32::MAX`: it is in [`Rare::version`]).
    version: u32,
    /// The creation time in nanoseconds since 1970 UTC ([`CREATED_IN_RARE`]: it is in
    /// [`Rare::created_at`]).
    created: i64,
    rare: Option<Box<Rare>>,
    /// Inline up to 24 bytes (no heap block for most UUIDs and names).
    entity_uuid: Option<CompactString>,
}

impl Packed {
    /// The creation time.
    fn created_at(&self) -> OffsetDateTime {
        match self.rare.as_deref().and_then(|r| r.created_at) {
            Some(t) => t,
            // Any i64 of nanoseconds is within `time`'s range (years 1677 to 2262).
            None => OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.created))
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        }
    }
}

/// The permissions of a state by id, packed (see the module documentation).
#[derive(Clone, Default)]
pub struct Permissions {
    map: SortedMap<Id, Packed>,
    heads: Interner<Head>,
    strings: Interner<Box<str>>,
    lists: Interner<Box<[String]>>,
}

impl Permissions {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many permissions.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.len() == 0
    }

    /// Whether a permission has this id.
    pub fn contains_key(&self, id: &Id) -> bool {
        self.map.contains_key(id)
    }

    /// A view of the permission with this id.
    pub fn view(&self, id: &Id) -> Option<PermRef<'_>> {
        self.map.get(id).map(|(id, p)| PermRef {
            id: *id,
            p,
            t: self,
        })
    }

    /// Whether [`Permissions::nth`] and [`Permissions::rank`] can read positions: the table
    /// has no edit pending since it was built or last reorganized.
    pub fn by_position(&self) -> bool {
        self.map.by_position()
    }

    /// The permission at position `i` in id order — only while the table has no edit pending
    /// since it was built or last reorganized (a table just loaded): `None` otherwise, and
    /// past the end. See [`Permissions::rank`].
    pub fn nth(&self, i: usize) -> Option<PermRef<'_>> {
        self.map.nth(i).map(|(id, p)| PermRef {
            id: *id,
            p,
            t: self,
        })
    }

    /// The position of `id` in id order (`Some(None)` when no permission has it), while
    /// [`Permissions::nth`] can read positions; `None` when it cannot.
    pub fn rank(&self, id: &Id) -> Option<Option<usize>> {
        self.map.rank(id)
    }

    /// The permission with this id, as an owned value.
    pub fn get(&self, id: &Id) -> Option<Permission> {
        self.view(id).map(|v| v.to_permission())
    }

    /// Views of every permission, in id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = PermRef<'_>> {
        self.map.iter().map(|(id, p)| PermRef {
            id: *id,
            p,
            t: self,
        })
    }

    /// Every permission as an owned value, in id order (allocates; prefer [`Self::iter`]).
    pub fn values(&self) -> impl ExactSizeIterator<Item = Permission> + '_ {
        self.iter().map(|v| v.to_permission())
    }

    /// Every id, in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Id> {
        self.map.iter().map(|(id, _)| id)
    }

    fn pack(&mut self, f: &PermFields<'_>) -> Packed {
        let [grants, denies, conditions, query, read, write] = f.lists;
        let updated_at = (f.updated_at != f.created_at).then_some(f.updated_at);
        let version = u32::try_from(f.version).ok().filter(|&v| v != u32::MAX);
        let created = (f.created_at.offset().is_utc())
            .then(|| i64::try_from(f.created_at.unix_timestamp_nanos()).ok())
            .flatten()
            .filter(|&n| n != CREATED_IN_RARE);
        let rare = (!(query.is_empty()
            && read.is_empty()
            && write.is_empty()
            && f.description.is_empty()
            && updated_at.is_none()
            && version.is_some()
            && created.is_some()))
        .then(|| {
            Box::new(Rare {
                attributes: [query.to_vec(), read.to_vec(), write.to_vec()],
                description: f.description.to_owned(),
                updated_at,
                version: version.is_none().then_some(f.version),
                created_at: created.is_none().then_some(f.created_at),
            })
        });
        Packed {
            head: self.heads.intern(&Head {
                catalog: f.catalog.into(),
                entity_type: f.entity_type.map(Into::into),
                scope: f.scope.map(Into::into),
                created_by: f.created_by,
            }),
            entity: self.strings.intern(f.entity),
            lists: [
                self.lists.intern(grants),
                self.lists.intern(denies),
                self.lists.intern(conditions),
            ],
            entity_uuid: f.entity_uuid.map(CompactString::from),
            version: version.unwrap_or(u32::MAX),
            rare,
            created: created.unwrap_or(CREATED_IN_RARE),
        }
    }

    /// Adds or replaces the permission with `p.id`.
    pub fn insert(&mut self, p: &Permission) {
        let packed = self.pack(&PermFields::of(p));
        self.map.insert(p.id, packed);
    }

    /// Changes the permission with this id in place (unpacked, changed, packed again);
    /// whether there was one. `f` must not change the id.
    pub fn update(&mut self, id: &Id, f: impl FnOnce(&mut Permission)) -> bool {
        let Some(mut p) = self.get(id) else {
            return false;
        };
        f(&mut p);
        p.id = *id;
        self.insert(&p);
        true
    }

    /// Removes the permission with this id; whether there was one.
    pub fn remove(&mut self, id: &Id) -> bool {
        self.map.remove(*id)
    }

    /// Removes every permission (and forgets every interned string).
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Moves every permission of `other` into this table (replacing same ids).
    pub fn append(&mut self, other: &mut Permissions) {
        let other = std::mem::take(other);
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            *self = other;
            return;
        }
        let mine = std::mem::take(self);
        let mut b = PermissionsBuilder::with_capacity(mine.len() + other.len());
        for v in mine.iter().chain(other.iter()) {
            b.push(&v.fields());
        }
        *self = b.finish();
    }
}

/// Builds a [`Permissions`] table from many permissions at once: the packed permissions are
/// gathered in one vector, which becomes the table (sorted in place if they came unsorted).
#[derive(Default)]
pub struct PermissionsBuilder {
    t: Permissions,
    rows: Vec<(Id, Packed)>,
}

impl PermissionsBuilder {
    /// A builder with room for `n` permissions.
    pub fn with_capacity(n: usize) -> Self {
        PermissionsBuilder {
            t: Permissions::new(),
            rows: Vec::with_capacity(n),
        }
    }

    /// How many permissions were pushed.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether none was pushed.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds a permission (a later one replaces an earlier one with the same id).
    pub fn push(&mut self, f: &PermFields<'_>) {
        let packed = self.t.pack(f);
        self.rows.push((f.id, packed));
    }

    /// The table.
    pub fn finish(self) -> Permissions {
        let PermissionsBuilder { mut t, rows } = self;
        // Sorts (only when not sorted already) keeping the later of equal ids; the vector
        // becomes the table.
        t.map = SortedMap::from_vec(rows);
        t
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        let mut b = PermissionsBuilder::default();
        for p in iter {
            b.push(&PermFields::of(&p));
        }
        b.finish()
    }
}

impl FromIterator<(Id, Permission)> for Permissions {
    /// From `(id, permission)` pairs as a `BTreeMap<Id, Permission>` is collected; the id is
    /// the permission's own.
    fn from_iter<I: IntoIterator<Item = (Id, Permission)>>(iter: I) -> Self {
        iter.into_iter().map(|(_, p)| p).collect()
    }
}

impl Extend<(Id, Permission)> for Permissions {
    fn extend<I: IntoIterator<Item = (Id, Permission)>>(&mut self, iter: I) {
        for (_, p) in iter {
            self.insert(&p);
        }
    }
}

impl PartialEq for Permissions {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|(a, b)| a.fields() == b.fields())
    }
}

impl Eq for Permissions {}

impl std::fmt::Debug for Permissions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|v| (v.id, v)))
            .finish()
    }
}

impl Serialize for Permissions {
    /// As a map from id to permission, as a `BTreeMap<Id, Permission>` serializes.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter().map(|v| (v.id, v.to_permission())))
    }
}

impl<'de> Deserialize<'de> for Permissions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = BTreeMap::<Id, Permission>::deserialize(d)?;
        Ok(m.into_values().collect())
    }
}
