//! An in-memory [`Store`]: the reference semantics (it is [`State::apply_all`] plus an audit
//! vector). Used by tests and as the model the other stores are compared with.

use super::{AuditQuery, Change, State, Store, StoreError, StoreResult};
use crate::model::{AuditEvent, Id, Revision, now};
use async_trait::async_trait;
use std::sync::Mutex;
use time::OffsetDateTime;

/// A store that keeps everything in memory and forgets it on drop.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<(State, Vec<AuditEvent>)>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> StoreResult<std::sync::MutexGuard<'_, (State, Vec<AuditEvent>)>> {
        self.inner
            .lock()
            .map_err(|_| StoreError::Database("memory store lock poisoned".into()))
    }
}

impl MemoryStore {
    /// Commits under one lock, refused when the revision is not `base` (if given).
    fn commit_checked(
        &self,
        actor: &str,
        changes: &[Change],
        base: Option<Revision>,
    ) -> StoreResult<Revision> {
        let mut guard = self.lock()?;
        if changes.is_empty() {
            return Ok(guard.0.revision);
        }
        if let Some(base) = base
            && guard.0.revision != base
        {
            return Err(StoreError::Moved {
                base,
                actual: guard.0.revision,
            });
        }
        let effects = guard.0.apply_all(changes)?;
        let revision = guard.0.revision;
        let at = now();
        for e in effects {
            guard.1.push(AuditEvent {
                revision,
                at,
                actor: actor.to_string(),
                action: e.action.to_string(),
                object_kind: e.kind,
                object_id: e.object_id,
                before: e.before,
                after: e.after,
            });
        }
        Ok(revision)
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn describe(&self) -> String {
        "memory".into()
    }

    async fn load(&self) -> StoreResult<State> {
        Ok(self.lock()?.0.clone())
    }

    async fn revision(&self) -> StoreResult<Revision> {
        Ok(self.lock()?.0.revision)
    }

    async fn commit_at(
        &self,
        actor: &str,
        changes: &[Change],
        base: Revision,
    ) -> StoreResult<Revision> {
        self.commit_checked(actor, changes, Some(base))
    }

    async fn commit(&self, actor: &str, changes: &[Change]) -> StoreResult<Revision> {
        self.commit_checked(actor, changes, None)
    }

    async fn audit(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        let guard = self.lock()?;
        let mut out: Vec<AuditEvent> = guard
            .1
            .iter()
            .rev()
            .filter(|e| q.since.is_none_or(|s| e.at >= s))
            .filter(|e| q.actor.as_ref().is_none_or(|a| &e.actor == a))
            .filter(|e| q.before_revision.is_none_or(|r| e.revision < r))
            .cloned()
            .collect();
        if q.limit > 0 {
            out.truncate(q.limit);
        }
        Ok(out)
    }

    async fn touch_key(&self, id: Id, at: OffsetDateTime) -> StoreResult<()> {
        let mut guard = self.lock()?;
        match guard.0.keys.get_mut(&id) {
            Some(k) => {
                k.last_used_at = Some(at);
                Ok(())
            }
            None => Err(StoreError::NotFound {
                kind: crate::model::ObjectKind::ApiKey,
                id: id.to_string(),
            }),
        }
    }
}
