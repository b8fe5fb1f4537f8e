//! Counts and lists by object, made in one pass over a relation set, so a listing reads each
//! relation once (O(n log n) for n rows and links) instead of scanning every relation per row.
//! Ids are random enough for the fast (Fx) hash; nothing here is keyed by untrusted text.

use crate::model::Id;
use rustc_hash::FxHashMap as HashMap;

/// How many times each id occurs.
pub fn counts<'a>(ids: impl Iterator<Item = &'a Id>) -> HashMap<Id, usize> {
    let mut m: HashMap<Id, usize> = HashMap::default();
    for id in ids {
        *m.entry(*id).or_default() += 1;
    }
    m
}

/// The count of `id` in `m` (0 when absent).
pub fn count_of(m: &HashMap<Id, usize>, id: &Id) -> usize {
    m.get(id).copied().unwrap_or(0)
}

/// The values grouped by key, in the order the pairs come.
pub fn group<K: std::hash::Hash + Eq, V>(
    pairs: impl Iterator<Item = (K, V)>,
) -> HashMap<K, Vec<V>> {
    let mut m: HashMap<K, Vec<V>> = HashMap::default();
    for (k, v) in pairs {
        m.entry(k).or_default().push(v);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_id_once_per_occurrence() {
        let (a, b, c) = (Id::from_u128(1), Id::from_u128(2), Id::from_u128(3));
        let m = counts([a, b, a, a].iter());
        assert_eq!(count_of(&m, &a), 3);
        assert_eq!(count_of(&m, &b), 1);
        assert_eq!(count_of(&m, &c), 0);
        let g = group([(a, 1), (b, 2), (a, 3)].into_iter());
        assert_eq!(g.get(&a), Some(&vec![1, 3]));
    }
}
