//! [`SortedMap`]: an ordered map kept as one sorted vector (the most compact layout: no tree
//! nodes, no per-entry allocation) plus a small tree of the edits made since, folded into the
//! vector once they grow past a fraction of it. Built in one pass from a vector (a load), it
//! costs nothing beyond that vector; an edit costs a tree insert and, amortized, a few moves.

use std::collections::{BTreeMap, btree_map};
use std::iter::Peekable;

/// The first place in `from..len` where `before` turns false, `before` being true for a prefix
/// of `0..len` that reaches at least `from`: a gallop from `from` (1, 2, 4, … places on), then a
/// binary search in the last step — a few tests when the place is near `from`, and never more
/// than twice a binary search's. What a cursor over sorted keys asked in increasing order uses.
pub(crate) fn partition_point_from(
    len: usize,
    from: usize,
    before: impl Fn(usize) -> bool,
) -> usize {
    let (mut lo, mut hi, mut step) = (from.min(len), from.min(len), 1usize);
    while hi < len && before(hi) {
        lo = hi + 1;
        hi = hi.saturating_add(step).min(len);
        step = step.saturating_mul(2);
    }
    // Every place before `lo` is before; the one at `hi` (if any) is not.
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Edits are folded into the vector once there are more than this many plus 1/8 of it.
const FOLD_MIN: usize = 64;

/// An ordered map: a sorted vector of entries and the edits since it was last rebuilt.
#[derive(Debug, Clone)]
pub(crate) struct SortedMap<K, V> {
    /// Sorted by key, keys unique.
    base: Vec<(K, V)>,
    /// Edits not yet in `base`: `Some` adds or replaces, `None` removes.
    edits: BTreeMap<K, Option<V>>,
    /// Live entries.
    len: usize,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap {
            base: Vec::new(),
            edits: BTreeMap::new(),
            len: 0,
        }
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// A map of `entries`, in any order (of equal keys the later is kept). Sorts in place when
    /// they are not sorted already (a load gives them sorted: then nothing moves).
    pub(crate) fn from_vec(mut entries: Vec<(K, V)>) -> Self {
        if !entries.is_sorted_by(|a, b| a.0 < b.0) {
            // Stable: equal keys stay in the order given, and the dedup keeps the later.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            entries.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    std::mem::swap(later, kept);
                }
                same
            });
        }
        if entries.capacity() > entries.len() + entries.len() / 16 {
            entries.shrink_to_fit();
        }
        SortedMap {
            len: entries.len(),
            base: entries,
            edits: BTreeMap::new(),
        }
    }

    /// How many entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn in_base(&self, k: &K) -> Option<&(K, V)> {
        self.base
            .binary_search_by(|e| e.0.cmp(k))
            .ok()
            .map(|i| &self.base[i])
    }

    /// The entry with key `k`.
    pub(crate) fn get(&self, k: &K) -> Option<(&K, &V)> {
        match self.edits.get_key_value(k) {
            Some((k, Some(v))) => Some((k, v)),
            Some((_, None)) => None,
            None => self.in_base(k).map(|(k, v)| (k, v)),
        }
    }

    /// Whether positions can be read ([`SortedMap::nth`], [`SortedMap::rank`]): no edit is
    /// pending.
    pub(crate) fn by_position(&self) -> bool {
        self.edits.is_empty()
    }

    /// The entry at position `i` in key order and, for [`SortedMap::rank`], the position of a
    /// key — both only while no edit is pending (`None` otherwise: with edits, positions would
    /// cost a walk).
    pub(crate) fn nth(&self, i: usize) -> Option<(&K, &V)> {
        if !self.edits.is_empty() {
            return None;
        }
        self.base.get(i).map(|(k, v)| (k, v))
    }

    /// The position of key `k` in key order, while no edit is pending (see [`SortedMap::nth`]);
    /// `Some(None)` when there is no such key.
    pub(crate) fn rank(&self, k: &K) -> Option<Option<usize>> {
        if !self.edits.is_empty() {
            return None;
        }
        Some(self.base.binary_search_by(|e| e.0.cmp(k)).ok())
    }

    /// Whether there is an entry with key `k`.
    pub(crate) fn contains_key(&self, k: &K) -> bool {
        self.get(k).is_some()
    }

    /// Adds or replaces the entry with key `k`.
    pub(crate) fn insert(&mut self, k: K, v: V) {
        if !self.contains_key(&k) {
            self.len += 1;
        }
        self.edits.insert(k, Some(v));
        self.maybe_fold();
    }

    /// Removes the entry with key `k`; whether there was one.
    pub(crate) fn remove(&mut self, k: K) -> bool {
        if !self.contains_key(&k) {
            return false;
        }
        self.len -= 1;
        if self.in_base(&k).is_some() {
            self.edits.insert(k, None);
        } else {
            self.edits.remove(&k);
        }
        self.maybe_fold();
        true
    }

    fn maybe_fold(&mut self) {
        if self.edits.len() > FOLD_MIN + self.base.len() / 8 {
            self.fold();
        }
    }

    /// Folds the edits into the vector.
    fn fold(&mut self) {
        let edits = std::mem::take(&mut self.edits);
        let base = std::mem::take(&mut self.base);
        let mut out = Vec::with_capacity(self.len);
        let mut edits = edits.into_iter().peekable();
        for (k, v) in base {
            // Edits of keys before this one add entries.
            while edits.peek().is_some_and(|(ek, _)| *ek < k) {
                if let Some((ek, Some(ev))) = edits.next() {
                    out.push((ek, ev));
                }
            }
            if edits.peek().is_some_and(|(ek, _)| *ek == k) {
                // This key was replaced or removed.
                if let Some((ek, Some(ev))) = edits.next() {
                    out.push((ek, ev));
                }
            } else {
                out.push((k, v));
            }
        }
        out.extend(edits.filter_map(|(k, v)| v.map(|v| (k, v))));
        self.base = out;
    }

    /// The entries in key order.
    pub(crate) fn iter(&self) -> Iter<'_, K, V, btree_map::Iter<'_, K, Option<V>>> {
        Iter {
            base: self.base.iter().peekable(),
            edits: self.edits.iter().peekable(),
            left: self.len,
            exact: true,
        }
    }

    /// The entries from key `from` on, in key order.
    pub(crate) fn range_from(
        &self,
        from: &K,
    ) -> Iter<'_, K, V, btree_map::Range<'_, K, Option<V>>> {
        let start = self.base.partition_point(|e| e.0 < *from);
        Iter {
            base: self.base[start..].iter().peekable(),
            edits: self.edits.range(from..).peekable(),
            left: self.len,
            exact: false,
        }
    }

    /// Removes every entry.
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }
}

/// [`SortedMap::iter`], [`SortedMap::range_from`].
pub struct Iter<'a, K, V, E: Iterator> {
    base: Peekable<std::slice::Iter<'a, (K, V)>>,
    edits: Peekable<E>,
    /// Entries left (an upper bound for a range: `exact` is false).
    left: usize,
    exact: bool,
}

impl<'a, K: Ord + 'a, V: 'a, E> Iterator for Iter<'a, K, V, E>
where
    E: Iterator<Item = (&'a K, &'a Option<V>)>,
{
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let base = self.base.peek().copied();
            let edit = self.edits.peek().copied();
            let take_edit = match (base, edit) {
                (None, None) => return None,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some((bk, _)), Some((ek, _))) => {
                    if bk == ek {
                        // Edited: the edit stands for it.
                        self.base.next();
                    }
                    ek <= bk
                }
            };
            if take_edit {
                let (k, v) = self.edits.next()?;
                if let Some(v) = v {
                    self.left = self.left.saturating_sub(1);
                    return Some((k, v));
                }
            } else {
                let (k, v) = self.base.next()?;
                self.left = self.left.saturating_sub(1);
                return Some((k, v));
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (if self.exact { self.left } else { 0 }, Some(self.left))
    }
}

impl<'a, K: Ord + 'a, V: 'a> ExactSizeIterator
    for Iter<'a, K, V, btree_map::Iter<'a, K, Option<V>>>
{
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u16, u32),
        Remove(u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u16..300, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
            (0u16..300).prop_map(Op::Remove),
        ]
    }

    proptest! {
        /// Any start and any edits read the same as a `BTreeMap` given the same, folds
        /// included.
        #[test]
        fn behaves_as_a_btree_map(
            start in proptest::collection::vec((0u16..300, any::<u32>()), 0..200),
            ops in proptest::collection::vec(op(), 0..400),
        ) {
            let mut want: BTreeMap<u16, u32> = BTreeMap::new();
            for (k, v) in &start {
                want.insert(*k, *v);
            }
            let mut m = SortedMap::from_vec(start);
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        want.insert(k, v);
                        m.insert(k, v);
                    }
                    Op::Remove(k) => {
                        prop_assert_eq!(m.remove(k), want.remove(&k).is_some());
                    }
                }
                prop_assert_eq!(m.len(), want.len());
            }
            let got: Vec<(u16, u32)> = m.iter().map(|(k, v)| (*k, *v)).collect();
            let expected: Vec<(u16, u32)> = want.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(got, expected);
            prop_assert_eq!(m.iter().len(), want.len());
            for k in 0..300u16 {
                prop_assert_eq!(m.get(&k).map(|(_, v)| *v), want.get(&k).copied());
            }
        }
    }

    #[test]
    fn a_sorted_vector_is_kept_as_it_is() {
        let v: Vec<(u32, u32)> = (0..1000).map(|i| (i, i * 2)).collect();
        let ptr = v.as_ptr();
        let m = SortedMap::from_vec(v);
        assert_eq!(m.base.as_ptr(), ptr, "no copy");
        assert_eq!(m.get(&500), Some((&500, &1000)));
    }

    #[test]
    fn of_equal_keys_the_later_is_kept() {
        let m = SortedMap::from_vec(vec![(2, "a"), (1, "b"), (2, "c"), (2, "d"), (0, "e")]);
        let got: Vec<_> = m.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(got, [(0, "e"), (1, "b"), (2, "d")]);
    }

    #[test]
    fn partition_point_from_finds_the_point_from_any_start_before_it() {
        let v: Vec<u32> = (0..500).map(|i| i * 2).collect();
        for x in 0..1002u32 {
            let want = v.partition_point(|&y| y < x);
            for from in [0, want / 2, want.saturating_sub(1), want] {
                assert_eq!(
                    partition_point_from(v.len(), from, |i| v[i] < x),
                    want,
                    "{x} from {from}"
                );
            }
        }
        assert_eq!(partition_point_from(0, 0, |_| true), 0);
    }

    #[test]
    fn positions_are_read_only_without_pending_edits() {
        let mut m = SortedMap::from_vec(vec![(5, 'e'), (1, 'a'), (3, 'c')]);
        assert!(m.by_position());
        assert_eq!(m.nth(0), Some((&1, &'a')));
        assert_eq!(m.nth(2), Some((&5, &'e')));
        assert_eq!(m.nth(3), None);
        assert_eq!(m.rank(&3), Some(Some(1)));
        assert_eq!(m.rank(&4), Some(None));
        m.insert(4, 'd');
        assert!(!m.by_position());
        assert_eq!(m.nth(0), None, "an edit is pending");
        assert_eq!(m.rank(&3), None);
        m.fold();
        assert_eq!(m.nth(2), Some((&4, &'d')));
        assert_eq!(m.rank(&5), Some(Some(3)));
    }

    #[test]
    fn many_edits_are_folded_into_the_vector() {
        let mut m = SortedMap::default();
        for i in (0..10_000u32).rev() {
            m.insert(i, i);
        }
        assert!(m.edits.len() <= FOLD_MIN + m.base.len() / 8 + 1);
        assert!(m.base.len() > 8000);
        assert_eq!(m.len(), 10_000);
        assert!(m.iter().map(|(k, _)| *k).eq(0..10_000));
    }
}
