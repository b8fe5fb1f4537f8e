//! The embedded SQLite store (placeholder until the implementation lands).
use super::{MemoryStore, StoreResult};
use std::path::Path;

/// Placeholder.
pub type SqliteStore = MemoryStore;

impl MemoryStore {
    /// Placeholder.
    pub async fn open(_path: &Path) -> StoreResult<MemoryStore> {
        Ok(MemoryStore::new())
    }
}
