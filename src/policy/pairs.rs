//! [`PairSet`]: a set of links between two objects (role → permission), kept as one sorted
//! vector plus the edits made since ([`SortedMap`]). A million links cost 32 MB, where a
//! `BTreeSet` costs its nodes on top, and a load builds the set from the vector it decoded
//! without copying it.

use super::sorted::{Iter, SortedMap};
use crate::model::Id;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::btree_map;

/// A link: (left object, right object).
type Pair = (Id, Id);

/// An ordered set of links, in (left, right) order.
#[derive(Clone, Default)]
pub struct PairSet {
    map: SortedMap<Pair, ()>,
}

/// The iterator over a [`PairSet`].
pub type PairIter<'a> = std::iter::Map<
    Iter<'a, Pair, (), btree_map::Iter<'a, Pair, Option<()>>>,
    fn((&'a Pair, &'a ())) -> &'a Pair,
>;

fn first<'a>((p, _): (&'a Pair, &'a ())) -> &'a Pair {
    p
}

impl PairSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many links.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.len() == 0
    }

    /// Whether the link is there.
    pub fn contains(&self, p: &Pair) -> bool {
        self.map.contains_key(p)
    }

    /// Adds the link; whether it was new.
    pub fn insert(&mut self, p: Pair) -> bool {
        let new = !self.contains(&p);
        if new {
            self.map.insert(p, ());
        }
        new
    }

    /// Removes the link; whether it was there.
    pub fn remove(&mut self, p: &Pair) -> bool {
        self.map.remove(*p)
    }

    /// Every link, in order.
    pub fn iter(&self) -> PairIter<'_> {
        self.map
            .iter()
            .map(first as for<'a> fn((&'a Pair, &'a ())) -> &'a Pair)
    }

    /// The links from `r.start` on, in order.
    pub fn range(&self, r: std::ops::RangeFrom<Pair>) -> impl Iterator<Item = &Pair> {
        self.map.range_from(&r.start).map(|(p, _)| p)
    }

    /// Removes every link.
    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// Moves every link of `other` into this set.
    pub fn append(&mut self, other: &mut PairSet) {
        let other = std::mem::take(other);
        if self.is_empty() {
            *self = other;
            return;
        }
        let mine = std::mem::take(self);
        *self = mine.iter().chain(other.iter()).copied().collect();
    }
}

impl<'a> IntoIterator for &'a PairSet {
    type Item = &'a Pair;
    type IntoIter = PairIter<'a>;
    fn into_iter(self) -> PairIter<'a> {
        self.iter()
    }
}

impl FromIterator<Pair> for PairSet {
    fn from_iter<I: IntoIterator<Item = Pair>>(iter: I) -> Self {
        let entries: Vec<(Pair, ())> = iter.into_iter().map(|p| (p, ())).collect();
        PairSet {
            map: SortedMap::from_vec(entries),
        }
    }
}

impl Extend<Pair> for PairSet {
    fn extend<I: IntoIterator<Item = Pair>>(&mut self, iter: I) {
        for p in iter {
            self.insert(p);
        }
    }
}

impl<const N: usize> From<[Pair; N]> for PairSet {
    fn from(links: [Pair; N]) -> Self {
        links.into_iter().collect()
    }
}

impl PartialEq for PairSet {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for PairSet {}

impl std::fmt::Debug for PairSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for PairSet {
    /// As a sequence of pairs, as a `BTreeSet<(Id, Id)>` serializes.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for PairSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Pair>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn id(n: u128) -> Id {
        Id::from_u128(n)
    }

    #[test]
    fn reads_as_a_btree_set_through_edits() {
        let mut want: BTreeSet<Pair> = BTreeSet::new();
        let mut got: PairSet = (0..500u128).rev().map(|i| (id(i % 7), id(i))).collect();
        want.extend((0..500u128).map(|i| (id(i % 7), id(i))));
        for i in 0..300u128 {
            let p = (id(i % 5), id(i * 3));
            assert_eq!(got.insert(p), want.insert(p));
            let q = (id(i % 7), id(i * 2));
            assert_eq!(got.remove(&q), want.remove(&q));
            assert_eq!(got.contains(&p), want.contains(&p));
            assert_eq!(got.len(), want.len());
        }
        assert!(got.iter().eq(want.iter()));
        for a in 0..8u128 {
            let from = (id(a), Id::nil());
            assert!(got.range(from..).eq(want.range(from..)), "from {a}");
        }
        let json = serde_json::to_value(&got).expect("serialize");
        assert_eq!(json, serde_json::to_value(&want).expect("serialize set"));
        let back: PairSet = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back, got);
        let mut other = PairSet::from([(id(99), id(1)), (id(0), id(0))]);
        got.append(&mut other);
        want.extend([(id(99), id(1)), (id(0), id(0))]);
        assert!(other.is_empty());
        assert!(got.iter().eq(want.iter()));
        got.clear();
        assert!(got.is_empty() && got.iter().next().is_none());
    }
}
