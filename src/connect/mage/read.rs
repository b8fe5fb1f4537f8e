//! Reading a Mage server: the lists a command needs, all at once, into a gatehouse
//! [`State`] (Mage's integer ids mapped to UUIDs that carry each object's creation
//! fingerprint) and the [`Facts`] a whole-call decision needs; the last read is kept, and the
//! revision moves when a read finds the server changed.

use super::facts::Facts;
use super::wire::{MagePermission, MageRole, MageUser};
use super::{Cached, Current, MageBackend};
use crate::backend::{Error, Reads, Result};
use crate::engine::Engine;
use crate::model::Id;
use crate::policy::State;
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

impl MageBackend {
    /// Reads the lists `reads` names from the server, all at once.
    pub(super) async fn read_lists(
        &self,
        reads: Reads,
    ) -> Result<(Vec<MageRole>, Vec<MagePermission>, Vec<MageUser>)> {
        pub(super) async fn maybe<T>(
            wanted: bool,
            read: impl std::future::Future<Output = Result<Vec<T>>>,
        ) -> Result<Vec<T>> {
            if wanted { read.await } else { Ok(Vec::new()) }
        }
        tokio::try_join!(
            maybe(reads.roles, self.client.list::<MageRole>("roles", "")),
            maybe(
                reads.permissions,
                self.client
                    .list::<MagePermission>("permissions", "_format=role/detail")
            ),
            maybe(
                reads.users,
                self.client.list::<MageUser>("users", "_format=list")
            ),
        )
    }

    /// Reads roles, permissions and users into a fresh state.
    pub(super) async fn fetch(&self) -> Result<(State, Facts)> {
        self.fetch_for(Reads::ALL).await
    }

    /// Reads the server and keeps the result; the revision moves when anything changed.
    pub(super) async fn refresh(&self) -> Result<Current> {
        self.refresh_for(Reads::ALL).await
    }

    /// Reads roles, permissions and users (those `reads` names) into a fresh state. Without
    /// the roles list, the roles nested in the users list stand for it: the roles some user
    /// holds, without their creator or links to permissions. (The permissions nested in a role
    /// list cannot stand for the permissions list: Mage leaves their attribute lists out in
    /// most of them.)
    pub(super) async fn fetch_for(&self, reads: Reads) -> Result<(State, Facts)> {
        let (mut roles, perms, users) = self.read_lists(reads).await?;
        if !reads.roles {
            // The users list names each user's roles (name, times, legacy permissions): enough
            // for a list of users, without Mage's slow roles list.
            let mut seen = std::collections::HashSet::new();
            roles = users
                .iter()
                .flat_map(|u| u.roles_new.iter().flatten())
                .filter(|r| !r.name.is_empty() && seen.insert(r.id))
                .cloned()
                .collect();
        }
        let mut facts = Facts::new(&roles, &perms, &users);
        let mage = self.mage();
        let mut s = State::default();
        // A link names its other end by Mage's integer: the UUID is the one that object was
        // read with (it carries the object's creation fingerprint).
        let mut perm_ids: HashMap<i64, Id> = HashMap::default();
        // A creator is named by its integer too: the UUID is the user's as read.
        let user_uuids: HashMap<i64, Id> = users.iter().map(|u| (u.id, u.to_model().id)).collect();
        let creator = |n: Option<i64>| n.and_then(|n| user_uuids.get(&n).copied());
        for p in perms.iter().filter(|p| !p.is_legacy()) {
            let mut m = p.to_model(mage);
            m.created_by = creator(p.creator());
            perm_ids.insert(p.id, m.id);
            s.permissions.insert(&m);
        }
        let mut role_ids: HashMap<i64, Id> = HashMap::default();
        for r in &roles {
            let mut m = r.to_model();
            m.created_by = creator(r.creator());
            role_ids.insert(r.id, m.id);
            for pid in r.permission_ids() {
                if let Some(pid) = perm_ids.get(&pid) {
                    s.role_permissions.insert((m.id, *pid));
                }
            }
            s.roles.insert(m.id, m);
        }
        for u in &users {
            let m = u.to_model();
            facts.know_user(m.id, u.id);
            for rid in u.role_ids() {
                if let Some(rid) = role_ids.get(&rid) {
                    s.user_roles.insert((m.id, *rid));
                }
            }
            s.users.insert(m.id, m);
        }
        s.reindex();
        Ok((s, facts))
    }

    /// Reads the server (the lists `reads` names) and keeps the result; the revision moves
    /// when anything changed since the last read of the same lists.
    pub(super) async fn refresh_for(&self, reads: Reads) -> Result<Current> {
        let (mut fresh, facts) = self.fetch_for(reads).await?;
        let facts = Arc::new(facts);
        let mut cached = self
            .cached
            .lock()
            .map_err(|_| Error::Store("the Mage state cache was poisoned".into()))?;
        let rev = self.revision.load(Ordering::SeqCst).max(1);
        if let Some(c) = cached.as_mut().filter(|c| c.reads == reads) {
            fresh.revision = c.state.revision;
            if *c.state == fresh {
                if *c.facts != *facts {
                    c.facts = facts.clone();
                }
                return Ok((c.state.clone(), c.engine.clone(), c.facts.clone()));
            }
            fresh.revision = self.revision.fetch_add(1, Ordering::SeqCst) + 1;
        } else if cached.is_some() {
            // Other lists than the last read: nothing to compare with.
            fresh.revision = self.revision.fetch_add(1, Ordering::SeqCst) + 1;
        } else {
            self.revision.store(rev, Ordering::SeqCst);
            fresh.revision = rev;
        }
        let state = Arc::new(fresh);
        let engine = Arc::new(Engine::build(&state, &self.catalogs));
        *cached = Some(Cached {
            reads,
            state: state.clone(),
            engine: engine.clone(),
            facts: facts.clone(),
        });
        Ok((state, engine, facts))
    }

    /// The last state read of everything and its engine, reading the server when nothing
    /// (or only part of it) was read yet.
    pub(super) async fn current(&self) -> Result<Current> {
        if let Ok(c) = self.cached.lock()
            && let Some(c) = c.as_ref()
            && c.reads == Reads::ALL
        {
            return Ok((c.state.clone(), c.engine.clone(), c.facts.clone()));
        }
        self.refresh().await
    }
}
