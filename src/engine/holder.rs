//! The permissions filed under one holder (a role, a team's or a user's direct grants), and the
//! per-(entity, uuid) summaries that let a check skip entries that cannot change its answer.

use super::index::CatalogRec;
use crate::catalog::Dialect;
use crate::model::Id;

/// One permission as filed under a holder: everything a check needs, inline, so a check reads
/// one contiguous slice and never the permission table (its entity and UUID are its group's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The permission's id, so an answer names it without reading the permission table.
    pub(crate) id: Id,
    /// The flag masks a check tests: composites expanded in the standard dialect, raw in the
    /// Mage dialect (which expands per request).
    pub(crate) grants: u64,
    pub(crate) denies: u64,
    pub(crate) pi: u32,
    pub(crate) cond: u8,
}

/// The entries of one (entity, uuid) under one holder, summarized for checks that carry no
/// attribute: for an action bit `a`,
/// - `scan & a != 0`: some entry may deny `a`, or its outcome depends on the request
///   (conditions); the entries must be judged one by one;
/// - otherwise `grant & a != 0`: some entry grants `a` outright and none denies it;
/// - otherwise no entry of the group grants or denies `a`: the group can be skipped.
///
/// Its uuid is in [`Holder::group_uuids`]; its entries run from `start` to the next group's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Group {
    pub(crate) entity: u32,
    /// Its first entry in the holder's `entries`.
    pub(crate) start: u32,
    pub(crate) scan: u64,
    pub(crate) grant: u64,
}

/// The groups of one entity under one holder, summarized: what a check reads before any group.
/// One cache line each (64 bytes, aligned): a check reads one line of a holder's directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(align(64))]
pub(crate) struct DirEnt {
    /// `groups[lo..hi]` of the holder.
    pub(crate) lo: u32,
    pub(crate) hi: u32,
    /// The index of the entity's first entry (that of the uuid-0 group when there is one).
    pub(crate) first_entry: u32,
    /// Where the uuid-0 group's entries end (`first_entry` when there is none), and where the
    /// entity's end: a grant found by summary is looked for in these ranges without reading
    /// the groups again.
    pub(crate) end0: u32,
    pub(crate) end: u32,
    /// The summary of the entity-wide group (uuid 0), zero when there is none.
    pub(crate) scan0: u64,
    pub(crate) grant0: u64,
    /// The union of every group's summary.
    pub(crate) scan_all: u64,
    pub(crate) grant_all: u64,
    /// Bit [`uuid_bit`] is set for the uuid of every uuid-scoped group: a clear bit means there
    /// is no group for that uuid.
    pub(crate) scoped: u64,
}

/// Which of 64 bits stands for `uuid` in [`DirEnt::scoped`]: its top bits after a
/// multiplicative hash (UUID numbers are places in a text, spaced by their lengths).
fn uuid_bit(uuid: u32) -> u32 {
    uuid.wrapping_mul(0x9e37_79b9) >> 26
}

impl DirEnt {
    /// The summary of `groups[lo..hi]` (`uuids` beside them), the holder having `entries`
    /// entries.
    fn of(groups: &[Group], uuids: &[u32], entries: u32, lo: usize, hi: usize) -> DirEnt {
        let start = |i: usize| groups.get(i).map_or(entries, |g| g.start);
        let first_entry = if lo < hi { start(lo) } else { 0 };
        let mut d = DirEnt {
            lo: lo as u32,
            hi: hi as u32,
            first_entry,
            end0: first_entry,
            end: if lo < hi { start(hi) } else { 0 },
            ..DirEnt::default()
        };
        for (i, (g, &uuid)) in groups[lo..hi].iter().zip(&uuids[lo..hi]).enumerate() {
            if uuid == 0 {
                d.scan0 = g.scan;
                d.grant0 = g.grant;
                d.end0 = start(lo + i + 1);
            } else {
                d.scoped |= 1u64 << uuid_bit(uuid);
            }
            d.scan_all |= g.scan;
            d.grant_all |= g.grant;
        }
        d
    }

    /// Whether a group for `uuid` (not 0) may exist.
    pub(crate) fn may_hold(&self, uuid: u32) -> bool {
        self.scoped & (1u64 << uuid_bit(uuid)) != 0
    }
}

/// Permissions held by one holder, sorted by (entity, uuid, denies nothing, permission).
#[derive(Debug, Default, Clone)]
pub(crate) struct Holder {
    pub(crate) entries: Vec<Entry>,
    /// One group per distinct (entity, uuid) of `entries`, in the same order.
    pub(crate) groups: Vec<Group>,
    /// `groups[i].uuid` at `i`: a lookup by uuid reads these few contiguous words.
    pub(crate) group_uuids: Vec<u32>,
    /// Mage dialect: a permission with the OWNER bit this holder reaches.
    pub(crate) owner_bit_perm: Option<Id>,
    /// Whether any entry targets a pseudo-entity (`ALL`, `ALL_EXCEPT_RESERVED`).
    pub(crate) has_pseudo: bool,
    /// For large holders, indexed by entity key: the entity's groups and their summary, so a
    /// check reads one directory entry and, most of the time, nothing else of the holder.
    pub(crate) dir: Option<Box<[DirEnt]>>,
}

/// Holders with more groups than this get an entity directory.
const DIR_MIN_GROUPS: usize = 32;

/// What one entry does for a check without an attribute: `(scan, grant)` as in [`Group`].
/// Mirrors `Engine::judge` (the property tests compare `decide`, which uses these summaries,
/// with `explain`, which judges every entry).
pub(crate) fn entry_masks(c: &CatalogRec, e: &Entry) -> (u64, u64) {
    match c.catalog.dialect {
        Dialect::Standard => {
            if e.cond != 0 {
                // Conditions are checked before the flags: every flag named may end either way.
                (e.denies | e.grants, 0)
            } else {
                (e.denies, e.grants & !e.denies)
            }
        }
        Dialect::Mage => {
            let mut grants = e.grants;
            if e.denies == 0 && grants.count_ones() == 1 && grants & c.group_mask != 0 {
                grants = c.catalog.expand(grants);
            }
            if grants & c.all_bit != 0 {
                // ALL grants every action its denies do not name, before any other test.
                return (e.denies, !e.denies);
            }
            let mut deny = e.denies;
            if e.denies & c.operation_all_bit != 0 {
                deny |= c.operations;
            }
            let mut granted = grants;
            if grants & c.operation_all_bit != 0 {
                granted |= c.operations;
            }
            granted &= !deny;
            let gated = e.grants & c.unless_conditions_bit != 0 && e.cond != 0;
            if gated {
                (deny | granted, 0)
            } else {
                (deny, granted)
            }
        }
    }
}

impl Holder {
    /// Sorts the entries, drops duplicates and builds the groups and the directory.
    /// `key` gives an entry's (entity, uuid), `masks` its `(scan, grant)`; `entity_keys` is
    /// one past the largest entity key.
    pub(crate) fn finish(
        &mut self,
        entity_keys: u32,
        key: impl Fn(&Entry) -> (u32, u32),
        masks: impl Fn(&Entry) -> (u64, u64),
    ) {
        // Within an (entity, uuid), the entries that deny something come first: a check that
        // must find a deny among them (the group's summary says one denies its action) stops
        // after a few entries instead of reading the whole group.
        self.entries.sort_unstable_by_key(|e| {
            let (entity, uuid) = key(e);
            (entity, uuid, e.denies == 0, e.pi)
        });
        self.entries.dedup();
        // Filing pushed one entry at a time: give back the room doubling left unused (up to
        // half of a large role's entries).
        self.entries.shrink_to_fit();
        // Counted first, so the groups are allocated once at their size.
        let n = self.entries.chunk_by(|a, b| key(a) == key(b)).count();
        self.groups = Vec::with_capacity(n);
        self.group_uuids = Vec::with_capacity(n);
        let mut last = None;
        for (i, e) in self.entries.iter().enumerate() {
            let (scan, grant) = masks(e);
            let k = key(e);
            match self.groups.last_mut() {
                Some(g) if last == Some(k) => {
                    g.scan |= scan;
                    g.grant |= grant;
                }
                _ => {
                    self.groups.push(Group {
                        entity: k.0,
                        start: i as u32,
                        scan,
                        grant,
                    });
                    self.group_uuids.push(k.1);
                    last = Some(k);
                }
            }
        }
        // A group that may deny an action is scanned for it: its grants need no summary.
        for g in &mut self.groups {
            g.grant &= !g.scan;
        }
        self.dir = None;
        // Invariant: a holder's entries are numbered with u32 (as `Group::start`).
        let n_entries = self.entries.len() as u32;
        if self.groups.len() > DIR_MIN_GROUPS {
            let mut dir = Vec::with_capacity(entity_keys as usize);
            let mut lo = 0usize;
            for k in 0..entity_keys {
                let hi = lo + self.groups[lo..].partition_point(|g| g.entity == k);
                dir.push(DirEnt::of(
                    &self.groups,
                    &self.group_uuids,
                    n_entries,
                    lo,
                    hi,
                ));
                lo = hi;
            }
            self.dir = Some(dir.into_boxed_slice());
        }
    }

    /// The directory entry of `entity`: its groups and their summary.
    pub(crate) fn dir_ent(&self, entity: u32) -> DirEnt {
        if let Some(dir) = &self.dir {
            return dir.get(entity as usize).copied().unwrap_or_default();
        }
        let lo = self.groups.partition_point(|g| g.entity < entity);
        let hi = lo + self.groups[lo..].partition_point(|g| g.entity == entity);
        // Invariant: a holder's entries are numbered with u32 (as `Group::start`).
        DirEnt::of(
            &self.groups,
            &self.group_uuids,
            self.entries.len() as u32,
            lo,
            hi,
        )
    }

    /// The index of the group of (`d`'s entity, `uuid`), if there is one.
    pub(crate) fn find_group(&self, d: &DirEnt, uuid: u32) -> Option<u32> {
        let uuids = &self.group_uuids[d.lo as usize..d.hi as usize];
        let i = uuids.partition_point(|&u| u < uuid);
        (uuids.get(i) == Some(&uuid)).then_some(d.lo + i as u32)
    }

    /// Where group `gi`'s entries end (the next group's start).
    pub(crate) fn group_end(&self, gi: u32) -> u32 {
        // Invariant: a holder's entries are numbered with u32 (as `Group::start`).
        self.groups
            .get(gi as usize + 1)
            .map_or(self.entries.len() as u32, |g| g.start)
    }

    /// The entries of group `gi`.
    pub(crate) fn entries_of(&self, gi: u32) -> &[Entry] {
        let start = self.groups.get(gi as usize).map_or(0, |g| g.start);
        &self.entries[start as usize..self.group_end(gi) as usize]
    }

    /// Entries filed under exactly (entity, uuid).
    pub(crate) fn lookup(&self, entity: u32, uuid: u32) -> &[Entry] {
        let d = self.dir_ent(entity);
        match self.find_group(&d, uuid) {
            Some(gi) => self.entries_of(gi),
            None => &[],
        }
    }

    /// Entries filed under `entity`, any uuid.
    pub(crate) fn lookup_entity(&self, entity: u32) -> &[Entry] {
        let d = self.dir_ent(entity);
        &self.entries[d.first_entry as usize..d.end as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A holder of entries for (entity, uuid) keys, permission `pi` keyed by `keys[pi]`.
    fn holder(keys: &[(u32, u32)], entity_keys: u32) -> Holder {
        let mut h = Holder::default();
        for (pi, _) in keys.iter().enumerate().rev() {
            h.entries.push(Entry {
                id: Id::from_u128(pi as u128),
                grants: 1,
                denies: u64::from(pi % 3 == 0),
                pi: pi as u32,
                cond: 0,
            });
        }
        h.finish(
            entity_keys,
            |e| keys[e.pi as usize],
            |e| (e.denies, e.grants),
        );
        h
    }

    #[test]
    fn groups_and_directory_entries_find_each_key_s_entries() {
        // Few groups (no directory), then enough for one: both answer the same.
        for spread in [1u32, 20] {
            let mut keys = Vec::new();
            for entity in 1..4u32 {
                for uuid in 0..spread * 2 {
                    // Entity 2 has no entity-wide group; uuids come twice or once.
                    if entity == 2 && uuid == 0 {
                        continue;
                    }
                    for _ in 0..1 + uuid % 2 {
                        keys.push((entity, uuid * 7));
                    }
                }
            }
            let h = holder(&keys, 5);
            assert_eq!(h.dir.is_some(), spread > 1, "a directory only when large");
            assert_eq!(h.groups.len(), h.group_uuids.len());
            for entity in 0..5u32 {
                let d = h.dir_ent(entity);
                let want: Vec<u32> = keys
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| k.0 == entity)
                    .map(|(pi, _)| pi as u32)
                    .collect();
                let mut got: Vec<u32> = h.lookup_entity(entity).iter().map(|e| e.pi).collect();
                got.sort_unstable();
                assert_eq!(got, want, "entity {entity}");
                let zero: Vec<u32> = h.lookup(entity, 0).iter().map(|e| e.pi).collect();
                assert_eq!(
                    h.entries[d.first_entry as usize..d.end0 as usize]
                        .iter()
                        .map(|e| e.pi)
                        .collect::<Vec<_>>(),
                    zero,
                    "entity {entity}: the uuid-0 range"
                );
                assert_eq!(zero.is_empty(), entity != 1 && entity != 3);
                for uuid in 0..spread * 2 {
                    let mut got: Vec<u32> =
                        h.lookup(entity, uuid * 7).iter().map(|e| e.pi).collect();
                    got.sort_unstable();
                    let want: Vec<u32> = keys
                        .iter()
                        .enumerate()
                        .filter(|(_, k)| **k == (entity, uuid * 7))
                        .map(|(pi, _)| pi as u32)
                        .collect();
                    assert_eq!(got, want, "({entity}, {})", uuid * 7);
                    if let Some(gi) = h.find_group(&d, uuid * 7) {
                        assert_eq!(h.entries_of(gi), h.lookup(entity, uuid * 7));
                        // Deniers first within a group.
                        let e = h.entries_of(gi);
                        assert!(e.windows(2).all(|w| w[0].denies >= w[1].denies));
                    }
                }
            }
        }
    }
}
