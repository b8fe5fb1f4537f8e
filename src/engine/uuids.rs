//! [`Uuids`]: the entity UUIDs the index knows, each numbered once. A store of a million
//! permissions on one entity each holds a million of them, so the table keeps their text in
//! one string (each behind its length) and finds them through a hash table of (number, place
//! in the text): ~35 bytes each, where a map from a reference-counted string to its number
//! took ~100 — and a lookup reads the table slot and the text, as that map read its slot and
//! the string.

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::hash::BuildHasher;

/// A numbered UUID: its number and where its length and text start in [`Uuids::text`].
#[derive(Debug, Clone, Copy)]
struct Slot {
    n: u32,
    at: u32,
}

/// Entity UUIDs by number and number by UUID. Number 0 stands for "no UUID": it reads as the
/// empty text and no text looks it up.
#[derive(Debug, Clone)]
pub(crate) struct Uuids {
    /// Every UUID as its length (LEB128) then its text, one after the other.
    text: Vec<u8>,
    /// Where UUID `n` starts in `text`, at `n - 1`.
    starts: Vec<u32>,
    /// The UUIDs, found by the hash of their text.
    table: HashTable<Slot>,
    /// UUIDs past the 4 GiB `text` can address (never in practice: names are validated to
    /// 255 bytes), by text; their places in `starts` hold `u32::MAX`.
    spill: FxHashMap<Box<str>, u32>,
    /// The most `text` may hold before UUIDs spill (`u32::MAX`; smaller in tests).
    limit: usize,
}

impl Default for Uuids {
    fn default() -> Self {
        Uuids {
            text: Vec::new(),
            starts: Vec::new(),
            table: HashTable::new(),
            spill: FxHashMap::default(),
            limit: u32::MAX as usize,
        }
    }
}

fn hash(s: &str) -> u64 {
    FxBuildHasher.hash_one(s)
}

/// The text stored at `at` (empty if `at` is not a place a UUID was stored).
fn text_at(text: &[u8], at: u32) -> &str {
    let mut i = at as usize;
    let mut len = 0usize;
    let mut shift = 0;
    while let Some(&b) = text.get(i) {
        i += 1;
        len |= usize::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 || shift > 63 {
            break;
        }
    }
    text.get(i..i.saturating_add(len))
        .and_then(|t| std::str::from_utf8(t).ok())
        .unwrap_or("")
}

impl Uuids {
    /// Room for `n` UUIDs of `bytes` bytes of text in all (lengths included).
    pub(crate) fn with_capacity(n: usize, bytes: usize) -> Self {
        let mut u = Uuids::default();
        u.text.reserve_exact(bytes.min(u.limit));
        let Uuids {
            text,
            starts,
            table,
            ..
        } = &mut u;
        starts.reserve(n);
        table.reserve(n, |s| hash(text_at(text, s.at)));
        u
    }

    /// Gives back the room reserved and not used, when it is more than an eighth (a shrink
    /// copies: the copy it leaves behind would cost more than a little slack).
    pub(crate) fn shrink(&mut self) {
        if self.text.capacity() > self.text.len() + self.text.len() / 8 {
            self.text.shrink_to_fit();
        }
        if self.starts.capacity() > self.starts.len() + self.starts.len() / 8 {
            self.starts.shrink_to_fit();
        }
    }

    /// Bytes held on the heap (the spill map's strings not counted: it is empty in practice).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.starts.capacity() * size_of::<u32>()
            + self.table.capacity() * (size_of::<Slot>() + 1)
    }

    /// How many UUIDs, the "none" number included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.starts.len() + 1
    }

    /// The text of UUID `n` (empty for 0 or a number never given).
    pub(crate) fn name(&self, n: u32) -> &str {
        match (n as usize).checked_sub(1).and_then(|i| self.starts.get(i)) {
            Some(&u32::MAX) => self
                .spill
                .iter()
                .find(|(_, m)| **m == n)
                .map_or("", |(t, _)| t),
            Some(&at) => text_at(&self.text, at),
            None => "",
        }
    }

    /// The number of `uuid`, if it was numbered (never 0, which no text is given).
    pub(crate) fn get(&self, uuid: &str) -> Option<u32> {
        let found = self
            .table
            .find(hash(uuid), |s| text_at(&self.text, s.at) == uuid)
            .map(|s| s.n);
        if found.is_none() && !self.spill.is_empty() {
            return self.spill.get(uuid).copied();
        }
        found
    }

    /// The number of `uuid`, numbering it when new.
    pub(crate) fn intern(&mut self, uuid: &str) -> u32 {
        if let Some(n) = self.get(uuid) {
            return n;
        }
        // Invariant: fewer than 2^32 UUIDs (one per permission, and the index numbers
        // permissions with u32), so the count fits.
        let n = self.starts.len() as u32 + 1;
        let at = u32::try_from(self.text.len()).ok();
        let Some(at) = at.filter(|_| self.text.len() + uuid.len() + 10 <= self.limit) else {
            self.starts.push(u32::MAX);
            self.spill.insert(uuid.into(), n);
            return n;
        };
        let mut len = uuid.len();
        loop {
            let b = (len & 0x7f) as u8;
            len >>= 7;
            if len == 0 {
                self.text.push(b);
                break;
            }
            self.text.push(b | 0x80);
        }
        self.text.extend_from_slice(uuid.as_bytes());
        self.starts.push(at);
        let Uuids { text, table, .. } = self;
        table.insert_unique(hash(uuid), Slot { n, at }, |s| hash(text_at(text, s.at)));
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_each_uuid_once_and_reads_it_back() {
        let mut u = Uuids::with_capacity(4, 10);
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
        // Lengths past one byte of LEB128.
        let long = "x".repeat(300);
        let n = u.intern(&long);
        assert_eq!(u.name(n), long);
        assert_eq!(u.get(&long), Some(n));
    }

    #[test]
    fn uuids_past_the_text_limit_spill_and_still_read_back() {
        let mut u = Uuids {
            limit: 64,
            ..Uuids::default()
        };
        let names: Vec<String> = (0..20).map(|i| format!("object-{i}")).collect();
        let numbers: Vec<u32> = names.iter().map(|n| u.intern(n)).collect();
        assert_eq!(numbers, (1..=20).collect::<Vec<u32>>());
        assert!(!u.spill.is_empty(), "the later ones spilled");
        for (n, name) in numbers.iter().zip(&names) {
            assert_eq!(u.name(*n), name);
            assert_eq!(u.get(name), Some(*n));
            assert_eq!(u.intern(name), *n);
        }
        assert_eq!(u.get("object-20"), None);
    }
}
