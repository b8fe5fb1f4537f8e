//! Persistence behind one trait ([`Store`]): the embedded SQLite store (default), an in-memory
//! store (reference semantics, tests), and PostgreSQL (several server replicas on one
//! database). The policy snapshot ([`State`]) and its [`Change`]s live in `crate::policy`; a
//! store only loads and commits them. Every write is one transaction that applies a list of
//! [`Change`]s, bumps the monotonic revision and writes the audit events — all or nothing.

mod end_tags;
mod error;
mod memory;
pub mod postgres;
mod schema_version;
mod sql;
pub mod sqlite;

pub use error::{StoreError, StoreResult};
pub use memory::MemoryStore;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use crate::policy::{Change, State};

use crate::model::{AuditEvent, AuditQuery, Id, Revision};
use async_trait::async_trait;
use time::OffsetDateTime;

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
