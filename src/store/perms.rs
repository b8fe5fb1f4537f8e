//! [`Permissions`]: the permissions of a [`State`](super::State), packed.
//!
//! A store of a million permissions must fit in a console's memory (SPEC §5: ≤ 300 MB with
//! the index and the list rows), and a [`Permission`] value is ~300 bytes inline plus a heap
//! block per string and list. Permissions repeat most of what they hold — a few catalogs,
//! entity types and flag lists — so the table keeps each distinct string and list once and a
//! permission as small numbers pointing at them, its entity UUID, creation time and version,
//! and what is rarely set — attribute lists, a description, an update time other than the
//! creation time, a version past `u32` — behind one pointer: 64 bytes each.
//!
//! Reads either borrow a [`PermRef`] (no allocation; what the engine index, the list rows and
//! the load cache use) or materialize an owned [`Permission`] ([`Permissions::get`],
//! [`Permissions::values`]). Iteration is in id order, as a `BTreeMap` keyed by id gives.

use crate::model::{Id, Permission};
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

/// What a permission rarely has, kept behind one pointer (`None` when it has none of it).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rare {
    attributes: [Vec<String>; 3],
    description: String,
    /// The last update time, when it is not the creation time.
    updated_at: Option<OffsetDateTime>,
    /// The version, when it does not fit [`Packed::version`].
    version: Option<u64>,
}

/// One permission, packed: strings and lists by their number in the table's interners
/// (64 bytes).
#[derive(Debug, Clone)]
struct Packed {
    catalog: u32,
    entity: u32,
    /// grants, denies, conditions
    lists: [u32; 3],
    /// The version (`u32::MAX`: it is in [`Rare::version`]).
    version: u32,
    entity_uuid: Option<Box<str>>,
    rare: Option<Box<Rare>>,
    created_at: OffsetDateTime,
}

/// The permissions of a state by id, packed (see the module documentation).
#[derive(Clone, Default)]
pub struct Permissions {
    map: BTreeMap<Id, Packed>,
    strings: Interner<Box<str>>,
    lists: Interner<Box<[String]>>,
}

/// A borrowed view of one permission in a [`Permissions`] table.
#[derive(Clone, Copy)]
pub struct PermRef<'a> {
    id: Id,
    p: &'a Packed,
    t: &'a Permissions,
}

impl<'a> PermRef<'a> {
    /// Identifier.
    pub fn id(&self) -> Id {
        self.id
    }
    /// Catalog name.
    pub fn catalog(&self) -> &'a str {
        self.t.strings.get(self.p.catalog)
    }
    /// Entity type.
    pub fn entity(&self) -> &'a str {
        self.t.strings.get(self.p.entity)
    }
    /// The one entity UUID, if any.
    pub fn entity_uuid(&self) -> Option<&'a str> {
        self.p.entity_uuid.as_deref()
    }
    /// Flags granted.
    pub fn grants(&self) -> &'a [String] {
        self.t.lists.get(self.p.lists[0])
    }
    /// Flags denied.
    pub fn denies(&self) -> &'a [String] {
        self.t.lists.get(self.p.lists[1])
    }
    /// Conditions.
    pub fn conditions(&self) -> &'a [String] {
        self.t.lists.get(self.p.lists[2])
    }
    /// Query, read and write attributes.
    pub fn attributes(&self) -> [&'a [String]; 3] {
        match &self.p.rare {
            Some(r) => [&r.attributes[0], &r.attributes[1], &r.attributes[2]],
            None => [&[], &[], &[]],
        }
    }
    /// Free text.
    pub fn description(&self) -> &'a str {
        self.p.rare.as_deref().map_or("", |r| &r.description)
    }
    /// Creation time.
    pub fn created_at(&self) -> OffsetDateTime {
        self.p.created_at
    }
    /// Last update time.
    pub fn updated_at(&self) -> OffsetDateTime {
        self.p
            .rare
            .as_deref()
            .and_then(|r| r.updated_at)
            .unwrap_or(self.p.created_at)
    }
    /// Optimistic-concurrency version.
    pub fn version(&self) -> u64 {
        match self.p.rare.as_deref().and_then(|r| r.version) {
            Some(v) => v,
            None => u64::from(self.p.version),
        }
    }
    /// Its fields, borrowed.
    pub fn fields(&self) -> PermFields<'a> {
        let [q, r, w] = self.attributes();
        PermFields {
            id: self.id,
            catalog: self.catalog(),
            entity: self.entity(),
            entity_uuid: self.entity_uuid(),
            lists: [self.grants(), self.denies(), self.conditions(), q, r, w],
            description: self.description(),
            created_at: self.p.created_at,
            updated_at: self.updated_at(),
            version: self.version(),
        }
    }

    /// The permission as an owned value.
    pub fn to_permission(&self) -> Permission {
        let [q, r, w] = self.attributes();
        Permission {
            id: self.id,
            catalog: self.catalog().to_owned(),
            entity: self.entity().to_owned(),
            entity_uuid: self.entity_uuid().map(str::to_owned),
            grants: self.grants().to_vec(),
            denies: self.denies().to_vec(),
            conditions: self.conditions().to_vec(),
            query_attributes: q.to_vec(),
            read_attributes: r.to_vec(),
            write_attributes: w.to_vec(),
            description: self.description().to_owned(),
            created_at: self.p.created_at,
            updated_at: self.updated_at(),
            version: self.version(),
        }
    }

    fn same(&self, o: &PermRef<'_>) -> bool {
        self.id == o.id
            && self.catalog() == o.catalog()
            && self.entity() == o.entity()
            && self.entity_uuid() == o.entity_uuid()
            && self.grants() == o.grants()
            && self.denies() == o.denies()
            && self.conditions() == o.conditions()
            && self.attributes() == o.attributes()
            && self.description() == o.description()
            && self.p.created_at == o.p.created_at
            && self.updated_at() == o.updated_at()
            && self.version() == o.version()
    }
}

impl std::fmt::Debug for PermRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.to_permission().fmt(f)
    }
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
        self.map.is_empty()
    }

    /// Whether a permission has this id.
    pub fn contains_key(&self, id: &Id) -> bool {
        self.map.contains_key(id)
    }

    /// A view of the permission with this id.
    pub fn view(&self, id: &Id) -> Option<PermRef<'_>> {
        self.map.get_key_value(id).map(|(id, p)| PermRef {
            id: *id,
            p,
            t: self,
        })
    }

    /// The permission with this id, as an owned value.
    pub fn get(&self, id: &Id) -> Option<Permission> {
        self.view(id).map(|v| v.to_permission())
    }

    /// Views of every permission, in id order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = PermRef<'_>> + ExactSizeIterator {
        self.map.iter().map(|(id, p)| PermRef {
            id: *id,
            p,
            t: self,
        })
    }

    /// Every permission as an owned value, in id order (allocates; prefer [`Self::iter`]).
    pub fn values(&self) -> impl DoubleEndedIterator<Item = Permission> + ExactSizeIterator + '_ {
        self.iter().map(|v| v.to_permission())
    }

    /// Every id, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Id> + ExactSizeIterator {
        self.map.keys()
    }

    fn pack(&mut self, f: &PermFields<'_>) -> Packed {
        let [grants, denies, conditions, query, read, write] = f.lists;
        let updated_at = (f.updated_at != f.created_at).then_some(f.updated_at);
        let version = u32::try_from(f.version).ok().filter(|&v| v != u32::MAX);
        let rare = (!(query.is_empty()
            && read.is_empty()
            && write.is_empty()
            && f.description.is_empty()
            && updated_at.is_none()
            && version.is_some()))
        .then(|| {
            Box::new(Rare {
                attributes: [query.to_vec(), read.to_vec(), write.to_vec()],
                description: f.description.to_owned(),
                updated_at,
                version: version.is_none().then_some(f.version),
            })
        });
        Packed {
            catalog: self.strings.intern(f.catalog),
            entity: self.strings.intern(f.entity),
            lists: [
                self.lists.intern(grants),
                self.lists.intern(denies),
                self.lists.intern(conditions),
            ],
            entity_uuid: f.entity_uuid.map(Box::from),
            version: version.unwrap_or(u32::MAX),
            rare,
            created_at: f.created_at,
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
        self.map.remove(id).is_some()
    }

    /// Removes every permission (and forgets every interned string).
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Moves every permission of `other` into this table (replacing same ids).
    pub fn append(&mut self, other: &mut Permissions) {
        let other = std::mem::take(other);
        if self.is_empty() {
            *self = other;
            return;
        }
        for v in other.iter() {
            self.insert(&v.to_permission());
        }
    }

    /// Builds a table from permissions given in any order (a later one replaces an earlier
    /// one with the same id).
    pub fn from_permissions<'p>(ps: impl IntoIterator<Item = &'p Permission>) -> Self {
        let mut b = PermissionsBuilder::default();
        for p in ps {
            b.push(&PermFields::of(p));
        }
        b.finish()
    }
}

/// A permission's fields, borrowed: what [`PermissionsBuilder::push`] packs (a decoder can
/// hand them over without building a [`Permission`]).
#[derive(Debug, Clone, Copy)]
pub struct PermFields<'a> {
    /// Identifier.
    pub id: Id,
    /// Catalog name.
    pub catalog: &'a str,
    /// Entity type.
    pub entity: &'a str,
    /// One entity UUID, if any.
    pub entity_uuid: Option<&'a str>,
    /// grants, denies, conditions, query, read and write attributes.
    pub lists: [&'a [String]; 6],
    /// Free text.
    pub description: &'a str,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last update time.
    pub updated_at: OffsetDateTime,
    /// Version.
    pub version: u64,
}

impl<'a> PermFields<'a> {
    /// The fields of `p`.
    pub fn of(p: &'a Permission) -> Self {
        PermFields {
            id: p.id,
            catalog: &p.catalog,
            entity: &p.entity,
            entity_uuid: p.entity_uuid.as_deref(),
            lists: [
                &p.grants,
                &p.denies,
                &p.conditions,
                &p.query_attributes,
                &p.read_attributes,
                &p.write_attributes,
            ],
            description: &p.description,
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

/// Builds a [`Permissions`] table from many permissions at once: the tree is built in one
/// pass at the end, its nodes full (inserting one by one in id order leaves them half full).
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

    /// Adds a permission (a later one replaces an earlier one with the same id).
    pub fn push(&mut self, f: &PermFields<'_>) {
        let packed = self.t.pack(f);
        self.rows.push((f.id, packed));
    }

    /// The table.
    pub fn finish(self) -> Permissions {
        let PermissionsBuilder { mut t, rows } = self;
        // `collect` sorts stably (keeping the later of equal ids) and bulk-builds the tree.
        t.map = rows.into_iter().collect();
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
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a.same(&b))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::now;

    fn perm(i: u128, entity: &str, grants: &[&str]) -> Permission {
        let t = now();
        Permission {
            id: Id::from_u128(i),
            catalog: "mage".into(),
            entity: entity.into(),
            entity_uuid: (i % 2 == 0).then(|| format!("object-{i}")),
            grants: grants.iter().map(|g| g.to_string()).collect(),
            denies: vec![],
            conditions: if i % 3 == 0 {
                vec!["own".into()]
            } else {
                vec![]
            },
            query_attributes: if i == 7 { vec!["a".into()] } else { vec![] },
            read_attributes: vec![],
            write_attributes: vec![],
            description: if i == 5 { "five".into() } else { String::new() },
            created_at: t,
            updated_at: t,
            version: i as u64,
        }
    }

    #[test]
    fn a_permission_reads_back_as_it_went_in() {
        let ps: Vec<Permission> = (1..=12)
            .map(|i| {
                perm(
                    i,
                    ["Pipeline", "Block"][i as usize % 2],
                    &["DETAIL", "UPDATE"],
                )
            })
            .collect();
        let mut t = Permissions::new();
        for p in &ps {
            t.insert(p);
        }
        assert_eq!(t.len(), 12);
        for p in &ps {
            assert_eq!(t.get(&p.id).as_ref(), Some(p));
        }
        assert_eq!(t.values().collect::<Vec<_>>(), ps, "in id order");
        // Two entity types, one flag list and two condition lists are kept once each.
        assert_eq!(t.strings.items.len(), 3, "mage, Block, Pipeline");
        assert_eq!(t.lists.items.len(), 3, "[DETAIL UPDATE], [], [own]");
        assert_eq!(Permissions::from_iter(ps.clone()), t);
        assert_eq!(Permissions::from_permissions(&ps), t);
    }

    #[test]
    fn rare_times_and_versions_read_back() {
        let mut t = Permissions::new();
        let mut updated = perm(1, "Pipeline", &["DETAIL"]);
        updated.updated_at = updated.created_at + time::Duration::seconds(5);
        let mut huge = perm(2, "Pipeline", &["DETAIL"]);
        huge.version = u64::from(u32::MAX) + 7;
        let mut edge = perm(3, "Pipeline", &["DETAIL"]);
        edge.version = u64::from(u32::MAX);
        let plain = perm(4, "Pipeline", &["DETAIL"]);
        for p in [&updated, &huge, &edge, &plain] {
            t.insert(p);
            assert_eq!(t.get(&p.id).as_ref(), Some(p));
            assert_eq!(t.view(&p.id).map(|v| v.version()), Some(p.version));
        }
        // Only the unusual ones pay for the boxed part.
        let boxed: Vec<bool> = t.map.values().map(|p| p.rare.is_some()).collect();
        assert_eq!(boxed, [true, true, true, false]);
        assert!(size_of::<Packed>() <= 64, "{} bytes", size_of::<Packed>());
    }

    #[test]
    fn replace_remove_and_append() {
        let mut t: Permissions = (1..=4).map(|i| perm(i, "Pipeline", &["DETAIL"])).collect();
        let mut changed = perm(2, "Block", &["UPDATE"]);
        changed.description = "now described".into();
        t.insert(&changed);
        assert_eq!(t.get(&changed.id), Some(changed.clone()));
        assert!(t.remove(&Id::from_u128(1)));
        assert!(!t.remove(&Id::from_u128(1)), "already gone");
        let mut other: Permissions = (4..=6).map(|i| perm(i, "File", &["LIST"])).collect();
        t.append(&mut other);
        assert!(other.is_empty());
        let ids: Vec<u128> = t.keys().map(|id| id.as_u128()).collect();
        assert_eq!(ids, vec![2, 3, 4, 5, 6]);
        assert_eq!(t.view(&Id::from_u128(4)).map(|v| v.entity()), Some("File"));
        assert_ne!(t, Permissions::new());
    }

    #[test]
    fn serializes_as_a_map_by_id() {
        let ps: Vec<Permission> = (1..=3).map(|i| perm(i, "Pipeline", &["DETAIL"])).collect();
        let t: Permissions = ps.iter().cloned().collect();
        let as_map: BTreeMap<Id, Permission> = ps.iter().map(|p| (p.id, p.clone())).collect();
        let json = serde_json::to_value(&t).expect("serialize");
        assert_eq!(json, serde_json::to_value(&as_map).expect("serialize map"));
        let back: Permissions = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back, t);
    }
}
