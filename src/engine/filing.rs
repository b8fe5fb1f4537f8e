//! Filing permissions under holders while the index is built — the permissions' ids and raw
//! masks ([`Filing`], dropped once filed) found by id with a cursor ([`Finder`]) — and the
//! holders each permission ended up under ([`PermHolders`], kept for reverse queries and
//! hints).

use super::index::HolderIdx;
use crate::model::Id;
use crate::policy::partition_point_from;

/// What filing a permission under a holder takes besides its [`PermRec`]: kept only while the
/// index is built.
pub(super) struct Filing {
    pub(super) id: Id,
    /// Raw flag masks as stored.
    pub(super) grants: u64,
    pub(super) denies: u64,
}

/// Finds permissions' indexes by id in the index's permission records (in id order): a
/// gallop from the last answer, then a binary search, so ids asked in increasing order — a
/// role's links — cost a few comparisons each, and any order stays logarithmic.
pub(super) struct Finder<'a> {
    perms: &'a [Filing],
    at: usize,
}

impl<'a> Finder<'a> {
    pub(super) fn new(perms: &'a [Filing]) -> Self {
        Finder { perms, at: 0 }
    }

    /// The index of the permission with this id.
    pub(super) fn find(&mut self, id: &Id) -> Option<u32> {
        let n = self.perms.len();
        let from = if self.at < n && self.perms[self.at].id <= *id {
            self.at
        } else {
            0
        };
        let i = partition_point_from(n, from, |i| self.perms[i].id < *id);
        self.at = i;
        // Invariant: fewer than 2^32 permissions (the index numbers them with u32).
        (i < n && self.perms[i].id == *id).then_some(i as u32)
    }
}

/// The holders each permission is filed under, as one array with a start per permission (two
/// `u32` per filing instead of a vector per permission).
#[derive(Debug, Default)]
pub(crate) struct PermHolders {
    /// Permission `pi`'s holders are `holders[start[pi]..start[pi + 1]]`.
    start: Vec<u32>,
    holders: Vec<HolderIdx>,
}

impl PermHolders {
    /// From (permission, holder) filings in filing order, for `perms` permissions; each
    /// permission's holders keep that order. `filings` is walked twice (count, then place):
    /// the filings are never gathered.
    pub(super) fn new(
        perms: usize,
        filings: impl Iterator<Item = (u32, HolderIdx)> + Clone,
    ) -> PermHolders {
        let mut start = vec![0u32; perms + 1];
        for (pi, _) in filings.clone() {
            start[pi as usize + 1] += 1;
        }
        for i in 0..perms {
            start[i + 1] += start[i];
        }
        let mut holders = vec![0; start[perms] as usize];
        // `start[pi]` is permission `pi`'s next free place while placing, which leaves it at
        // the start of `pi + 1`: shifted back by one afterwards.
        for (pi, h) in filings {
            holders[start[pi as usize] as usize] = h;
            start[pi as usize] += 1;
        }
        for i in (1..=perms).rev() {
            start[i] = start[i - 1];
        }
        start[0] = 0;
        PermHolders { start, holders }
    }

    /// Bytes held on the heap.
    pub(super) fn heap_bytes(&self) -> usize {
        (self.start.capacity() + self.holders.capacity()) * size_of::<u32>()
    }

    /// The holders permission `pi` is filed under.
    pub(crate) fn of(&self, pi: u32) -> &[HolderIdx] {
        let (Some(&a), Some(&b)) = (self.start.get(pi as usize), self.start.get(pi as usize + 1))
        else {
            return &[];
        };
        &self.holders[a as usize..b as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::{Filing, Finder, PermHolders};
    use crate::model::Id;

    #[test]
    fn the_finder_finds_every_id_in_any_order_and_no_other() {
        // Ids 0, 3, 6, …: the ones in between are not there.
        let perms: Vec<Filing> = (0..3000u128)
            .map(|i| Filing {
                id: Id::from_u128(i * 3),
                grants: 0,
                denies: 0,
            })
            .collect();
        let mut f = Finder::new(&perms);
        let ascending = (0..9100u128).step_by(7);
        let scattered = (0..9100u128).map(|i| (i * 7919) % 9100);
        let descending = (0..9100u128).rev().step_by(5);
        for i in ascending.chain(scattered).chain(descending) {
            let want = (i % 3 == 0 && i < 9000).then_some((i / 3) as u32);
            assert_eq!(f.find(&Id::from_u128(i)), want, "id {i}");
        }
        assert_eq!(Finder::new(&[]).find(&Id::from_u128(0)), None);
    }

    #[test]
    fn perm_holders_keep_each_permissions_filings_in_order() {
        let filings = [(2, 7), (0, 1), (2, 3), (0, 9), (4, 4)];
        let ph = PermHolders::new(5, filings.iter().copied());
        assert_eq!(ph.of(0), [1, 9]);
        assert!(ph.of(1).is_empty());
        assert_eq!(ph.of(2), [7, 3]);
        assert!(ph.of(3).is_empty());
        assert_eq!(ph.of(4), [4]);
        assert!(ph.of(5).is_empty(), "past the last permission");
        assert!(PermHolders::new(0, std::iter::empty()).of(0).is_empty());
    }
}
