//! [`Uuids`]: the entity UUIDs the index knows, each numbered once. A store of a million
//! permissions on one entity each holds a million of them, so the table keeps their text in
//! one string (each behind its length) and a UUID's number is where it starts in that string:
//! the hash table that finds a UUID by its text holds only those numbers (4 bytes a slot), and
//! the text of a number is read where the number points — ~25 bytes a UUID, where a map from a
//! reference-counted string to its number took ~100. A lookup reads the table slot and the
//! text, as that map read its slot and the string.

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::hash::BuildHasher;

/// Numbers from here on are UUIDs past the text the table addresses (see [`Uuids::spill`]).
const SPILL_BASE: u32 = 1 << 31;

/// Entity UUIDs by number and number by UUID. Number 0 stands for "no UUID": it reads as the
/// empty text and no text looks it up; `u32::MAX` is never given (requests use it for a UUID
/// the index does not know).
#[derive(Debug, Clone)]
pub(crate) struct Uuids {
    /// A byte no UUID starts at (so none is numbered 0), then every UUID as its length
    /// (LEB128) then its text, one after the other. A UUID's number is where it starts here.
    text: Vec<u8>,
    /// The UUIDs' numbers, found by the hash of their text.
    table: HashTable<u32>,
    /// UUIDs past the text numbers can address (never in practice: names are validated to
    /// 255 bytes, and 2 GiB of them would not fit a console), numbered `SPILL_BASE + i`.
    spill: Vec<Box<str>>,
    spill_index: FxHashMap<Box<str>, u32>,
    /// The most `text` may hold before UUIDs spill (`SPILL_BASE`; smaller in tests).
    limit: usize,
    /// How many UUIDs are numbered.
    count: usize,
}

impl Default for Uuids {
    fn default() -> Self {
        Uuids {
            text: vec![0],
            table: HashTable::new(),
            spill: Vec::new(),
            spill_index: FxHashMap::default(),
            limit: SPILL_BASE as usize,
            count: 0,
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

/// How many bytes `uuid` takes in the text: its length in LEB128, then itself.
pub(crate) fn stored_len(uuid: &str) -> usize {
    let n = uuid.len();
    n + (usize::BITS - n.leading_zeros()).div_ceil(7).max(1) as usize
}

impl Uuids {
    /// Room for `n` UUIDs of `bytes` bytes of text in all ([`stored_len`] each).
    pub(crate) fn with_capacity(n: usize, bytes: usize) -> Self {
        let mut u = Uuids::default();
        u.text.reserve_exact(bytes.min(u.limit));
        let Uuids { text, table, .. } = &mut u;
        table.reserve(n, |&at| hash(text_at(text, at)));
        u
    }

    /// Gives back the room reserved and not used, when it is more than an eighth (a shrink
    /// copies: the copy it leaves behind would cost more than a little slack).
    pub(crate) fn shrink(&mut self) {
        if self.text.capacity() > self.text.len() + self.text.len() / 8 {
            self.text.shrink_to_fit();
        }
    }

    /// Bytes held on the heap (the spilled UUIDs' strings not counted: there are none in
    /// practice).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.table.capacity() * (size_of::<u32>() + 1)
            + self.spill.capacity() * size_of::<Box<str>>()
    }

    /// How many UUIDs, the "none" number included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.count + 1
    }

    /// The text of UUID `n`, a number this table gave (empty for 0).
    pub(crate) fn name(&self, n: u32) -> &str {
        if n >= SPILL_BASE {
            return self.spill.get((n - SPILL_BASE) as usize).map_or("", |t| t);
        }
        if n == 0 {
            return "";
        }
        text_at(&self.text, n)
    }

    /// The number of `uuid`, if it was numbered (never 0, which no text is given).
    pub(crate) fn get(&self, uuid: &str) -> Option<u32> {
        let found = self
            .table
            .find(hash(uuid), |&at| text_at(&self.text, at) == uuid)
            .copied();
        if found.is_none() && !self.spill.is_empty() {
            return self.spill_index.get(uuid).copied();
        }
        found
    }

    /// The number of `uuid`, numbering it when new.
    pub(crate) fn intern(&mut self, uuid: &str) -> u32 {
        if let Some(n) = self.get(uuid) {
            return n;
        }
        self.count += 1;
        let at = self.text.len();
        if at + stored_len(uuid) > self.limit {
            // Invariant: fewer than 2^31 UUIDs spill (each holds memory; that many could not
            // be held), so the number stays below u32::MAX.
            let n = SPILL_BASE + self.spill.len() as u32;
            self.spill.push(uuid.into());
            self.spill_index.insert(uuid.into(), n);
            return n;
        }
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
        // `at` is below `limit` (SPILL_BASE), so it fits and is not a spill number.
        let n = at as u32;
        let Uuids { text, table, .. } = self;
        table.insert_unique(hash(uuid), n, |&at| hash(text_at(text, at)));
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
        assert!(
            numbers.windows(2).all(|w| w[0] < w[1]),
            "distinct, in order"
        );
        assert!(numbers[0] != 0 && numbers[4999] < SPILL_BASE);
        assert_eq!(u.len(), 5001);
        for (n, name) in numbers.iter().zip(&names) {
            assert_eq!(u.name(*n), name);
            assert_eq!(u.get(name), Some(*n));
            assert_eq!(u.intern(name), *n, "interning again gives the same number");
        }
        assert_eq!(u.get("object-5000"), None);
        assert_eq!(u.get("object-"), None);
        assert_eq!(u.clone().get("object-42"), Some(numbers[42]));
        // An empty UUID is a UUID like any other, not "none".
        let empty = u.intern("");
        assert!(empty != 0 && !numbers.contains(&empty));
        assert_eq!(u.get(""), Some(empty));
        assert_eq!(u.name(empty), "");
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
        assert!(!u.spill.is_empty(), "the later ones spilled");
        assert!(numbers.iter().any(|&n| n >= SPILL_BASE) && numbers[0] < SPILL_BASE);
        let mut distinct = numbers.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 20);
        assert!(!numbers.contains(&u32::MAX) && !numbers.contains(&0));
        for (n, name) in numbers.iter().zip(&names) {
            assert_eq!(u.name(*n), name);
            assert_eq!(u.get(name), Some(*n));
            assert_eq!(u.intern(name), *n);
        }
        assert_eq!(u.get("object-20"), None);
    }
}
