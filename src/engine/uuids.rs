//! [`Uuids`]: the entity UUIDs the index knows, each numbered once. A store of a million
//! permissions on one entity each holds a million of them, so the table keeps their text in
//! one string and looks them up through a hash table of their numbers: ~25 bytes each, where a
//! map from a reference-counted string to its number took ~100.

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

/// Entity UUIDs by number and number by UUID. Number 0 stands for "no UUID": it reads as the
/// empty text and no text looks it up.
#[derive(Debug, Clone)]
pub(crate) struct Uuids {
    /// Every UUID's text, one after the other.
    text: String,
    /// Where UUID `n` ends in `text` (it starts where `n - 1` ends).
    ends: Vec<usize>,
    /// The numbers, found by the hash of their text.
    table: HashTable<u32>,
}

impl Default for Uuids {
    fn default() -> Self {
        Uuids {
            text: String::new(),
            ends: vec![0],
            table: HashTable::new(),
        }
    }
}

fn hash(s: &str) -> u64 {
    FxBuildHasher.hash_one(s)
}

/// The text of UUID `n` (empty for 0 or a number never given).
fn name_in<'a>(text: &'a str, ends: &[usize], n: u32) -> &'a str {
    let n = n as usize;
    match (n.checked_sub(1).and_then(|p| ends.get(p)), ends.get(n)) {
        (Some(&start), Some(&end)) => &text[start..end],
        _ => "",
    }
}

impl Uuids {
    /// Room for `n` UUIDs of `bytes` bytes in all.
    pub(crate) fn with_capacity(n: usize, bytes: usize) -> Self {
        let mut u = Uuids::default();
        let Uuids { text, ends, table } = &mut u;
        text.reserve(bytes);
        ends.reserve(n);
        table.reserve(n, |&i| hash(name_in(text, ends, i)));
        u
    }

    /// Gives back the room reserved and not used.
    pub(crate) fn shrink(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }

    /// How many UUIDs, the "none" number included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The text of UUID `n` (empty for 0 or a number never given).
    pub(crate) fn name(&self, n: u32) -> &str {
        name_in(&self.text, &self.ends, n)
    }

    /// The number of `uuid`, if it was numbered (never 0, which no text is given).
    pub(crate) fn get(&self, uuid: &str) -> Option<u32> {
        self.table
            .find(hash(uuid), |&i| self.name(i) == uuid)
            .copied()
    }

    /// The number of `uuid`, numbering it when new.
    pub(crate) fn intern(&mut self, uuid: &str) -> u32 {
        if let Some(n) = self.get(uuid) {
            return n;
        }
        // Invariant: fewer than 2^32 UUIDs (one per permission, and the index numbers
        // permissions with u32), so the count fits.
        let n = self.ends.len() as u32;
        self.text.push_str(uuid);
        self.ends.push(self.text.len());
        let Uuids { text, ends, table } = self;
        table.insert_unique(hash(uuid), n, |&i| hash(name_in(text, ends, i)));
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_each_uuid_once_and_reads_it_back() {
        let mut u = Uuids::with_capacity(4, 40);
        assert_eq!(u.get(""), None, "0 is not looked up");
        assert_eq!(u.name(0), "");
        let names: Vec<String> = (0..5000).map(|i| format!("object-{i}")).collect();
        let numbers: Vec<u32> = names.iter().map(|n| u.intern(n)).collect();
        assert_eq!(numbers, (1..=5000).collect::<Vec<u32>>());
        assert_eq!(u.len(), 5001);
        for (n, name) in numbers.iter().zip(&names) {
            assert_eq!(u.name(*n), name);
            assert_eq!(u.get(name), Some(*n));
            assert_eq!(u.intern(name), *n, "interning again gives the same number");
        }
        assert_eq!(u.get("object-5000"), None);
        assert_eq!(u.get("object-"), None);
        assert_eq!(u.name(5002), "", "a number never given");
        assert_eq!(u.clone().get("object-42"), Some(43));
        // An empty UUID is a UUID like any other, not "none".
        assert_eq!(u.intern(""), 5001);
        assert_eq!(u.get(""), Some(5001));
        assert_eq!(u.name(5001), "");
    }
}
