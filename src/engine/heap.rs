//! What an index costs in memory, part by part ([`Engine::heap_bytes`], for benchmarks).

use super::index::{AttrLists, Engine};

impl Engine {
    /// Roughly how many heap bytes each part of the index holds, largest parts named (for
    /// benchmarks: what a store's index costs and where).
    pub fn heap_bytes(&self) -> Vec<(&'static str, usize)> {
        // The heap bytes of a vector's buffer.
        fn cap<T>(v: &Vec<T>) -> usize {
            v.capacity() * size_of::<T>()
        }
        let attrs: usize = self.attrs.capacity() * (size_of::<(u32, AttrLists)>() + 1)
            + self
                .attrs
                .values()
                .map(|a| size_of_val(&**a))
                .sum::<usize>();
        let (mut entries, mut groups, mut dirs) = (0, 0, 0);
        for h in &self.holders {
            entries += cap(&h.entries);
            groups += cap(&h.groups) + cap(&h.group_uuids);
            dirs += h.dir.as_ref().map_or(0, |d| size_of_val(&**d));
        }
        let by_entity: usize = self.perms_by_entity.values().map(cap).sum();
        vec![
            ("permission records", cap(&self.perms) + attrs),
            ("entity UUIDs", self.uuids.heap_bytes()),
            ("holder entries", entries),
            ("holder groups", groups),
            ("holder directories", dirs + cap(&self.holders)),
            ("permission → holders", self.perm_holders.heap_bytes()),
            ("entity → permissions", by_entity),
        ]
    }
}
