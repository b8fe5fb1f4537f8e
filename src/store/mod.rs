//! Storage behind one trait ([`Store`]): the embedded SQLite store (default), an in-memory
//! store (reference semantics, tests), and PostgreSQL (several server replicas on one
//! database). Every write is one transaction
//! that applies a list of [`Change`]s, bumps the monotonic revision and writes the audit
//! events — all or nothing.

mod apply;
mod change;
mod error;
mod memory;
mod pairs;
mod perms;
pub mod postgres;
mod sorted;
mod sql;
pub mod sqlite;
mod state;

pub use change::{Change, Link, Object};
pub use error::{StoreError, StoreResult};
pub use memory::MemoryStore;
pub use pairs::{PairIter, PairSet};
pub use perms::{PermFields, PermRef, Permissions, PermissionsBuilder};
pub use postgres::PgStore;
pub use sorted::Iter as SortedIter;
pub(crate) use sorted::partition_point_from;
pub use sqlite::SqliteStore;
pub use state::{Dependents, Effect, State, username_key};

use crate::model::{AuditEvent, Id, Revision};
use async_trait::async_trait;
use time::OffsetDateTime;

/// Which audit events to read, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Only events by this actor (exact username).
    pub actor: Option<String>,
    /// Only events with a revision strictly below this one (paging backwards).
    pub before_revision: Option<Revision>,
    /// At most this many events (0 = no limit).
    pub limit: usize,
}

/// Durable storage of the authorization data.
#[async_trait]
pub trait Store: Send + Sync {
    /// A short human description (`sqlite:/path/to/file.db`).
    fn describe(&self) -> String;

    /// Reads everything but the audit log.
    async fn load(&self) -> StoreResult<State>;

    /// The current revision (0 for an empty store).
    async fn revision(&self) -> StoreResult<Revision>;

    /// Applies the changes in one transaction, in order, writing one audit event per effect
    /// with `actor`, and returns the new revision. On any error nothing is written. An empty
    /// list writes nothing and returns the current revision.
    async fn commit(&self, actor: &str, changes: &[Change]) -> StoreResult<Revision>;

    /// [`Store::commit`], only if the store is still at revision `base` when the transaction
    /// takes its write lock — the revision the changes were authorized against — else
    /// [`StoreError::Moved`] and nothing is written. Authorization that depends on the whole
    /// state (the escalation rule) is only sound this way when other processes write too.
    async fn commit_at(
        &self,
        actor: &str,
        changes: &[Change],
        base: Revision,
    ) -> StoreResult<Revision>;

    /// Reads audit events, newest first.
    async fn audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>>;

    /// Records the last use of an API key (no revision bump, no audit event).
    async fn touch_key(&self, id: Id, at: OffsetDateTime) -> StoreResult<()>;

    /// The service now holds `state`, just read by [`Store::load`]. A store that keeps a load
    /// cache refreshes it from this in the background, off the caller's path (the SQLite
    /// store, after a load that had to read its tables). The default does nothing.
    fn loaded(&self, state: &std::sync::Arc<State>) {
        let _ = state;
    }

    /// The revisions other processes commit, as soon as the store hears of them (PostgreSQL
    /// LISTEN/NOTIFY). `None` when the store cannot tell; a server then polls the revision.
    fn watch(&self) -> Option<tokio::sync::watch::Receiver<Revision>> {
        None
    }
}
