//! Committing a write: the escalation rule checked under the writer lock against the state
//! the changes land on, the store's commit at that revision, the next snapshot published.

use super::{Actor, Service, Snapshot};
use crate::backend::{Error, Result};
use crate::engine::Engine;
use crate::model::Revision;
use crate::policy::{Change, State};
use std::sync::Arc;

/// The store is not at the revision a plan was computed from.
fn moved(base: Revision, now: Revision) -> Error {
    Error::Stale {
        message: format!(
            "the store moved since the plan (planned at revision {base}, now at {now}); nothing \
             was written: plan again, or apply with --force"
        ),
        current_version: None,
    }
}

impl Service {
    /// Commits changes as `actor` (already authorized for their kinds), then publishes the new
    /// snapshot. The escalation rule and the owner rules are checked here, under the writer
    /// lock, against the state the changes land on: the store refuses the commit if another
    /// process wrote since ([`Store::commit_at`]), and the changes are then checked again on a
    /// fresh read (a few times at most).
    pub(crate) async fn commit(&self, actor: &Actor, changes: Vec<Change>) -> Result<Revision> {
        self.commit_based(actor, changes, None).await
    }

    /// [`Service::commit`], but with `Some(base)` only at that revision: a store that is
    /// elsewhere (another writer since a plan was computed) is refused with
    /// [`Error::Stale`] and nothing is written; no fresh read is retried.
    pub(crate) async fn commit_based(
        &self,
        actor: &Actor,
        changes: Vec<Change>,
        base: Option<Revision>,
    ) -> Result<Revision> {
        /// Fresh reads after which a store that keeps moving is reported as a conflict.
        const ATTEMPTS: usize = 3;
        if changes.is_empty() && base.is_none() {
            return Ok(self.snapshot().state.revision);
        }
        let _w = self.writer.lock().await;
        // Shared with the thread below as is (`Arc<[Change]>` would copy the list).
        let changes = Arc::new(changes);
        if let Some(base) = base {
            // Another process may have written since this service last read the store.
            if self.store.revision().await? != self.snapshot().state.revision {
                let state = self.store.load().await?;
                self.publish(state);
            }
            let snap = self.snapshot();
            let now = snap.state.revision;
            if now != base {
                return Err(moved(base, now));
            }
            if changes.is_empty() {
                return Ok(now);
            }
            self.guard(actor, &snap, &changes)?;
            return match self.commit_on(actor, &changes, snap).await? {
                Some(revision) => Ok(revision),
                None => {
                    let state = self.store.load().await?;
                    let now = state.revision;
                    self.publish(state);
                    Err(moved(base, now))
                }
            };
        }
        let mut attempt = 1;
        loop {
            let base = self.snapshot();
            self.guard(actor, &base, &changes)?;
            match self.commit_on(actor, &changes, base).await? {
                Some(revision) => return Ok(revision),
                None if attempt < ATTEMPTS => {
                    attempt += 1;
                    let state = self.store.load().await?;
                    self.publish(state);
                }
                None => {
                    return Err(Error::Conflict(
                        "the store kept changing while this write was checked; try again".into(),
                    ));
                }
            }
        }
    }

    /// Commits `changes`, checked against `base`, if the store is still at its revision
    /// (`None`: it moved on; nothing was written).
    async fn commit_on(
        &self,
        actor: &Actor,
        changes: &Arc<Vec<Change>>,
        base: Arc<Snapshot>,
    ) -> Result<Option<Revision>> {
        let base_revision = base.state.revision;
        // The next state and its index are worked out on another thread while the store
        // commits (for a large commit, an import, they take seconds of their own), on the
        // assumption that the commit lands on the next revision; if the commit fails, the
        // work is dropped unseen.
        let abandoned = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let next = {
            let changes = changes.clone();
            let catalogs = self.catalogs.clone();
            let abandoned = abandoned.clone();
            tokio::task::spawn_blocking(move || {
                let mut state = State::clone(&base.state);
                state.apply_committed(&changes).ok()?;
                state.revision = base.state.revision.checked_add(1)?;
                // A failed commit does not wait for this: skip the index it will not use.
                if abandoned.load(std::sync::atomic::Ordering::Relaxed) {
                    return None;
                }
                let engine = Engine::build(&state, &catalogs);
                Some((state, engine))
            })
        };
        let revision = match self
            .store
            .commit_at(&actor.name, changes, base_revision)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                abandoned.store(true, std::sync::atomic::Ordering::Relaxed);
                return match e {
                    crate::store::StoreError::Moved { .. } => Ok(None),
                    e => Err(e.into()),
                };
            }
        };
        match next.await {
            Ok(Some((state, engine))) if state.revision == revision => {
                self.publish_built(state, engine);
            }
            _ => {
                // Cannot happen with `commit_at`; read the store again all the same.
                let state = self.store.load().await?;
                self.publish(state);
            }
        }
        Ok(Some(revision))
    }
}
