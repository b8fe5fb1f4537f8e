//! The service layer (docs/PRODUCT.md §3): validation, authorization of every admin operation against the
//! acting principal with the built-in `gatehouse` catalog, audit (through the store), presets,
//! import/export. It keeps the current [`State`] and its [`Engine`] in memory as one immutable
//! [`Snapshot`], replaced after every write.

mod apply;
mod commit;
mod expiry;
mod grants;
mod guard;
mod import;
mod keys;
mod links;
pub mod names;
mod objects;
mod snapshot;
mod store_error;
mod users;
mod visible;

pub use grants::Resource;
pub use keys::{KEY_PREFIX, hash_secret};
pub use snapshot::{EngineAt, Snapshot};

use crate::backend::{Error, Result, validate};

use crate::catalog::{ADMIN_CATALOG, Catalogs};
use crate::engine::{Engine, Request};
use crate::model::{ADMIN_TEAM, Id, Revision, Team, User, UserKind, new_id, now};
use crate::policy::{Change, Object, State};
use crate::store::Store;
use std::sync::{Arc, OnceLock, RwLock};

/// Who is acting: every operation is authorized for, and audited as, this principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user, or `None` for the local system (bootstrap, a store with no users yet).
    pub user: Option<Id>,
    /// Name written in the audit log.
    pub name: String,
    /// Writes are refused whatever the user's permissions (`--read-only`, read-only keys).
    pub read_only: bool,
}

impl Actor {
    /// The local system actor: allowed everything. Used for bootstrap only.
    pub fn system() -> Actor {
        Actor {
            user: None,
            name: "system".into(),
            read_only: false,
        }
    }

    /// A user acting.
    pub fn user(user: &User, read_only: bool) -> Actor {
        Actor {
            user: Some(user.id),
            name: user.username.clone(),
            read_only,
        }
    }
}

/// Read or write, on the built-in admin catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// See.
    Read,
    /// Change.
    Write,
    /// Create, change or grant what one does not hold (lifts the escalation rule for writes
    /// guarded by the entity; only an owner grants it).
    Escalate,
}

impl Access {
    pub(crate) fn flag(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Escalate => "escalate",
        }
    }
}

/// What `init` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// False when the store was already initialized (nothing was changed).
    pub created: bool,
    /// The owner user.
    pub admin: String,
    /// The revision after init.
    pub revision: Revision,
}

/// The service: a store, the catalogs, and the current snapshot.
pub struct Service {
    store: Arc<dyn Store>,
    catalogs: Arc<Catalogs>,
    snapshot: RwLock<Arc<Snapshot>>,
    writer: tokio::sync::Mutex<()>,
    /// The revision of the published snapshot, for whoever follows it (a console, a
    /// `GET /watch` long-poll).
    published: tokio::sync::watch::Sender<Revision>,
    /// When each API key was last used by this process (the store is told at most once a
    /// minute per key).
    key_use: std::sync::Mutex<std::collections::HashMap<Id, time::OffsetDateTime>>,
    /// The store's revision as last read by this service (at open, on every reload and every
    /// [`Service::store_revision`]): how far ahead of the published snapshot the store is, for
    /// a server's replica lag.
    store_seen: std::sync::atomic::AtomicU64,
}

/// How often a key's "last used" time is written to the store, at most.
const KEY_USE_EVERY: time::Duration = time::Duration::minutes(1);

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("store", &self.store.describe())
            .finish()
    }
}

impl Service {
    /// Loads the store's state. The index is built when first needed (see
    /// [`Snapshot::engine`]) or ahead, by [`Service::build_index_in_background`]; the store's
    /// load cache is refreshed by [`Service::cache_load`] (both left to the caller, who knows
    /// when they no longer compete with its first answer).
    pub async fn open(store: Arc<dyn Store>, catalogs: Arc<Catalogs>) -> Result<Service> {
        let state = store.load().await?;
        let (published, _) = tokio::sync::watch::channel(state.revision);
        let store_seen = std::sync::atomic::AtomicU64::new(state.revision);
        let snapshot = Arc::new(Snapshot::new(state, catalogs.clone()));
        Ok(Service {
            store,
            catalogs,
            snapshot: RwLock::new(snapshot),
            writer: tokio::sync::Mutex::new(()),
            published,
            key_use: std::sync::Mutex::new(Default::default()),
            store_seen,
        })
    }

    /// Records that API key `id` was just used. Returns the time to write to the store when
    /// the store has not been told for a minute (see [`Service::touch_key`]), else `None`.
    pub fn note_key_use(&self, id: Id) -> Option<time::OffsetDateTime> {
        let now = crate::model::now();
        // A poisoned lock only loses "last used" bookkeeping: recover the map.
        let mut m = self.key_use.lock().unwrap_or_else(|p| p.into_inner());
        let stored = m.get(&id).copied().or_else(|| {
            self.snapshot()
                .state
                .keys
                .get(&id)
                .and_then(|k| k.last_used_at)
        });
        m.insert(id, now);
        match stored {
            Some(t) if now - t < KEY_USE_EVERY => None,
            _ => Some(now),
        }
    }

    /// When key `id` was last used, as this process knows it (newer than the snapshot).
    pub fn key_last_used(&self, id: &Id) -> Option<time::OffsetDateTime> {
        let m = self.key_use.lock().unwrap_or_else(|p| p.into_inner());
        m.get(id).copied()
    }

    /// Writes a key's "last used" time to the store (no revision, no audit event).
    pub async fn touch_key(&self, id: Id, at: time::OffsetDateTime) -> Result<()> {
        Ok(self.store.touch_key(id, at).await?)
    }

    /// The catalogs in use.
    pub fn catalogs(&self) -> &Arc<Catalogs> {
        &self.catalogs
    }

    /// Revisions committed to the store by other processes, when the store can tell.
    pub fn watch_store(&self) -> Option<tokio::sync::watch::Receiver<Revision>> {
        self.store.watch()
    }

    /// The store's description (`sqlite:/path`).
    pub fn describe(&self) -> String {
        self.store.describe()
    }

    /// The current snapshot.
    /// The current snapshot. When a relation in its index has ended since the index was
    /// built, the index is rebuilt for now first (same state and revision), so no decision
    /// counts a relation past its end, whether or not the cleanup has run.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        let snap = match self.snapshot.read() {
            Ok(g) => g.clone(),
            // A writer panicked while publishing; the Arc inside is still a whole snapshot.
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let mut snap = snap;
        // An end may pass again while a new index is built or published: a few rounds.
        for _ in 0..3 {
            if !snap.index_outlived() {
                break;
            }
            snap = self.reindexed(snap);
        }
        snap
    }

    /// `old` with its index built for now, made current unless a write published meanwhile.
    fn reindexed(&self, old: Arc<Snapshot>) -> Arc<Snapshot> {
        let fresh = Snapshot {
            state: old.state.clone(),
            engine: OnceLock::new(),
            catalogs: old.catalogs.clone(),
        };
        fresh.engine();
        let fresh = Arc::new(fresh);
        let mut g = match self.snapshot.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if Arc::ptr_eq(&g, &old) {
            *g = fresh.clone();
            fresh
        } else {
            g.clone()
        }
    }

    fn publish(&self, state: State) {
        let snap = Arc::new(Snapshot::new(state, self.catalogs.clone()));
        // Built by the writer, before anyone can see the snapshot.
        snap.engine();
        self.store.loaded(&snap.state);
        self.swap(snap);
    }

    /// [`Service::publish`] with the index already built from `state`.
    fn publish_built(&self, state: State, engine: Engine) {
        let snap = Snapshot::new(state, self.catalogs.clone());
        // The lock was just made: it is empty, so this cannot fail.
        let _ = snap.engine.set(engine);
        self.swap(Arc::new(snap));
    }

    /// Makes `snap` the current snapshot.
    fn swap(&self, snap: Arc<Snapshot>) {
        let revision = snap.state.revision;
        match self.snapshot.write() {
            Ok(mut g) => *g = snap,
            Err(poisoned) => *poisoned.into_inner() = snap,
        }
        self.published.send_replace(revision);
    }

    /// Follows the revision of the published snapshot: it moves after every write through
    /// this service and every reload that picked up another process's writes.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<Revision> {
        self.published.subscribe()
    }

    /// Waits until the published snapshot is past revision `after`, or until `within` has
    /// passed, without reading the store (a server follows its store on its own). Returns the
    /// revision then published.
    pub async fn wait_published(&self, after: Revision, within: std::time::Duration) -> Revision {
        let mut published = self.subscribe();
        let past = published.wait_for(|r| *r > after);
        match tokio::time::timeout(within, past).await {
            Ok(Ok(r)) => *r,
            _ => *self.published.borrow(),
        }
    }

    /// Waits until the published snapshot is past revision `after` — re-reading the store
    /// when another process wrote to it (announced by the store's feed, else checked every
    /// `poll`) — or until `within` has passed. Returns the revision then published.
    pub async fn wait_past(
        &self,
        after: Revision,
        within: std::time::Duration,
        poll: std::time::Duration,
    ) -> Result<Revision> {
        let deadline = tokio::time::Instant::now() + within;
        let mut published = self.subscribe();
        let mut feed = self.watch_store();
        loop {
            self.refresh_if_stale().await?;
            let now = *published.borrow_and_update();
            if now > after || tokio::time::Instant::now() >= deadline {
                return Ok(now);
            }
            let announced = async {
                match feed.as_mut() {
                    Some(w) => w.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            };
            let wake = (tokio::time::Instant::now() + poll).min(deadline);
            tokio::select! {
                _ = published.changed() => {}
                alive = announced => if !alive { feed = None },
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    /// Hands the current state back to the store ([`Store::loaded`]), which refreshes its load
    /// cache from it in the background when its last load had to read the tables (SQLite).
    pub fn cache_load(&self) {
        self.store.loaded(&self.snapshot().state);
    }

    /// Builds the current snapshot's index on a background thread, if it is not built yet:
    /// the console calls this once its first frame is on the screen, which needs the state
    /// only (the owner is authorized without the index).
    pub fn build_index_in_background(&self) {
        let snap = self.snapshot();
        if snap.engine.get().is_some() {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("engine-build".into())
            .spawn(move || {
                snap.engine();
            });
        if let Err(e) = spawned {
            tracing::debug!("no thread to build the index ahead ({e}); built on first use");
        }
    }

    /// Re-reads the store (after writes by another process).
    pub async fn reload(&self) -> Result<Revision> {
        let _w = self.writer.lock().await;
        let state = self.store.load().await?;
        let rev = state.revision;
        self.store_seen
            .store(rev, std::sync::atomic::Ordering::Relaxed);
        self.publish(state);
        Ok(rev)
    }

    /// Reads the store's revision (one cheap round trip) and remembers it as
    /// [`Service::store_revision_seen`].
    pub async fn store_revision(&self) -> Result<Revision> {
        let stored = self.store.revision().await?;
        self.store_seen
            .store(stored, std::sync::atomic::Ordering::Relaxed);
        Ok(stored)
    }

    /// The store's revision as last read (at open, by a reload or by
    /// [`Service::store_revision`]); a server following its store reads it every second.
    pub fn store_revision_seen(&self) -> Revision {
        self.store_seen.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Re-reads the store when another process has written to it since this service last read
    /// it (a server picks up keys created with the CLI on the same file). True when it did.
    pub async fn refresh_if_stale(&self) -> Result<bool> {
        let stored = self.store_revision().await?;
        if stored == self.snapshot().state.revision {
            return Ok(false);
        }
        self.reload().await?;
        Ok(true)
    }

    /// Checks that `actor` may `access` the admin `entity` (Role, User, …). Never touches the
    /// store.
    pub fn authorize(&self, actor: &Actor, access: Access, entity: &str) -> Result<()> {
        if access == Access::Write && actor.read_only {
            return Err(Error::Forbidden(format!(
                "{} is read-only here; writes are disabled",
                actor.name
            )));
        }
        let Some(user) = actor.user else {
            return Ok(());
        };
        let snap = self.snapshot();
        // The owner may do everything (the engine's first rule): no need for the index.
        if snap
            .state
            .users
            .get(&user)
            .is_some_and(|u| u.owner && !u.disabled)
        {
            return Ok(());
        }
        let d = snap.engine().decide(&Request {
            at: None,
            user,
            catalog: ADMIN_CATALOG.into(),
            action: access.flag().into(),
            entity: entity.into(),
            entity_uuid: None,
            resource_owner: None,
            resource_team: None,
            attribute: None,
        });
        if d.allowed {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "{} may not {} {entity} (needs '{}' on gatehouse/{entity})",
                actor.name,
                access.flag(),
                access.flag()
            )))
        }
    }

    /// True when `actor` could write anything at all (for read-only badges).
    pub fn can_write(&self, actor: &Actor) -> bool {
        ["Role", "Permission", "User", "Team"]
            .iter()
            .any(|e| self.authorize(actor, Access::Write, e).is_ok())
    }

    /// Creates the first owner user and the reserved `admin` team, once. Running it again
    /// changes nothing and says so.
    pub async fn init(&self, admin: &str) -> Result<InitReport> {
        if let Some(done) = self.existing_init() {
            return Ok(done);
        }
        let snap = self.snapshot();
        validate::name("admin username", admin)?;
        let t = now();
        let mut changes = Vec::new();
        let user_id = match snap.state.user_by_name(admin) {
            Some(existing) => {
                let mut u = existing.clone();
                u.owner = true;
                u.version += 1;
                u.updated_at = t;
                changes.push(Change::Update {
                    object: Object::User(u),
                    expected_version: existing.version,
                });
                existing.id
            }
            None => {
                let u = User {
                    id: new_id(),
                    username: admin.into(),
                    email: String::new(),
                    display_name: "Administrator".into(),
                    kind: UserKind::Person,
                    disabled: false,
                    owner: true,
                    created_at: t,
                    updated_at: t,
                    version: 1,
                    first_name: String::new(),
                    last_name: String::new(),
                };
                let id = u.id;
                changes.push(Change::Create(Object::User(u)));
                id
            }
        };
        let team_id = match snap.state.team_by_key(ADMIN_TEAM) {
            Some(team) => team.id,
            None => {
                let team = Team {
                    id: new_id(),
                    key: ADMIN_TEAM.into(),
                    name: "Administrators".into(),
                    description: "Reserved team: its members' team roles apply everywhere.".into(),
                    default_role: None,
                    created_at: t,
                    updated_at: t,
                    version: 1,
                };
                let id = team.id;
                changes.push(Change::Create(Object::Team(team)));
                id
            }
        };
        if !snap.state.members.contains_key(&(team_id, user_id)) {
            changes.push(Change::Link(crate::policy::Link::Member {
                team: team_id,
                user: user_id,
                role: None,
            }));
        }
        let revision = match self.commit(&Actor::system(), changes).await {
            Ok(r) => r,
            Err(e @ Error::Conflict(_)) => {
                // Another process initialized the store between our read and our commit (two
                // replicas started together on an empty database): the reserved team's key is
                // unique, so our whole change was refused; take the owner it made.
                self.reload().await?;
                return self.existing_init().ok_or(e);
            }
            Err(e) => return Err(e),
        };
        Ok(InitReport {
            created: true,
            admin: admin.into(),
            revision,
        })
    }

    /// What `init` reports when the store already has an owner (`None` when it has none).
    fn existing_init(&self) -> Option<InitReport> {
        let snap = self.snapshot();
        let owner = snap.state.users.values().find(|u| u.owner)?;
        Some(InitReport {
            created: false,
            admin: owner.username.clone(),
            revision: snap.state.revision,
        })
    }

    /// True when the store has an owner (init has run).
    pub fn is_initialized(&self) -> bool {
        self.snapshot().state.users.values().any(|u| u.owner)
    }

    /// Reads audit events (needs `read` on Audit).
    pub async fn audit(
        &self,
        actor: &Actor,
        query: &crate::model::AuditQuery,
    ) -> Result<Vec<crate::model::AuditEvent>> {
        self.authorize(actor, Access::Read, "Audit")?;
        Ok(self.store.audit(query).await?)
    }

    /// Decides a whole Mage call (needs `read` on User unless the caller is the actor); a
    /// store knows nothing of Mage's records, so what they hold is assumed.
    pub fn decide_call(
        &self,
        actor: &Actor,
        q: &crate::engine::CallQuery,
    ) -> Result<crate::engine::CallAnswer> {
        if actor.user != Some(q.user) {
            self.authorize(actor, Access::Read, "User")?;
        }
        Ok(self
            .snapshot()
            .engine()
            .decide_call(&crate::engine::NoData, q))
    }

    /// Decides a request (needs `read` on User unless the subject is the actor).
    pub fn check(&self, actor: &Actor, req: &Request) -> Result<crate::engine::Explanation> {
        if actor.user != Some(req.user) {
            self.authorize(actor, Access::Read, "User")?;
        }
        Ok(self.snapshot().engine_at(req.at).explain(req))
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_expiry;
#[cfg(test)]
mod tests_expiry_guard;
#[cfg(test)]
mod tests_expiry_order;
#[cfg(test)]
mod tests_io;
