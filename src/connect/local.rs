//! [`LocalBackend`]: the service and the embedded store in process.

use crate::backend::{Backend, BackendInfo, BackendKind, Capabilities, InitOutcome, Me};
use crate::backend::{
    CreatedKey, Error, GrantTo, ImportReport, PermissionSpec, PolicyDoc, ResourceGrant, Result,
    RoleSpec, TeamSpec, UserSpec, find_user,
};
use crate::catalog::Catalogs;
use crate::engine::{CallAnswer, CallQuery, Explanation, Request, WhatCan, WhoCan};
use crate::model::AuditQuery;
use crate::model::{AuditEvent, Id, Permission, Revision, Role, Team, User};
use crate::policy::{Link, State};
use crate::service::{Actor, Service};
use crate::store::Store;
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::OffsetDateTime;

/// The default store file: `$XDG_DATA_HOME/gatehouse/gatehouse.db`
/// (`~/.local/share/gatehouse/gatehouse.db`).
pub fn default_db_path() -> Result<PathBuf> {
    dirs::data_dir()
        .map(|d| d.join("gatehouse").join("gatehouse.db"))
        .ok_or_else(|| {
            Error::invalid(
                "--db",
                "no home or XDG_DATA_HOME directory is known; pass --db PATH",
            )
        })
}

/// How often a console on a local store reads the store's revision when the store does not
/// announce changes itself (SQLite; PostgreSQL announces them with LISTEN/NOTIFY): one
/// `SELECT` of a single row.
pub const LOCAL_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// The service and a store in this process, acting as one principal.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    service: Arc<Service>,
    actor: Actor,
    location: String,
    /// `state()` first re-reads the store when another process wrote to it (the console and
    /// the CLI); a server's per-request backends leave that to the server's own follower.
    reread: bool,
}

impl LocalBackend {
    /// Wraps a service, acting as `actor`. Its `state()` answers from the service's snapshot
    /// as it is (a server keeps that in step with the store itself); see
    /// [`LocalBackend::rereading`].
    pub fn new(service: Arc<Service>, actor: Actor, location: impl Into<String>) -> LocalBackend {
        LocalBackend {
            service,
            actor,
            location: location.into(),
            reread: false,
        }
    }

    /// This backend with `state()` re-reading the store first when another process wrote to
    /// it (what the console's `r` and the CLI need).
    pub fn rereading(mut self) -> LocalBackend {
        self.reread = true;
        self
    }

    /// Opens (creating when missing) the SQLite store at `path` and acts as `as_user`, or as
    /// the store's first owner, or — on a store nobody initialized yet — as the local system.
    pub async fn open(path: &Path, as_user: Option<&str>, read_only: bool) -> Result<LocalBackend> {
        let store = crate::store::SqliteStore::open(path).await?;
        Self::with_store(
            Arc::new(store),
            path.display().to_string(),
            as_user,
            read_only,
        )
        .await
    }

    /// Opens the PostgreSQL store at `url` (migrating it), as [`LocalBackend::open`] does a file.
    pub async fn open_postgres(
        url: &str,
        as_user: Option<&str>,
        read_only: bool,
    ) -> Result<LocalBackend> {
        let store = crate::store::PgStore::open(url).await?;
        let shown = store.describe();
        Self::with_store(Arc::new(store), shown, as_user, read_only).await
    }

    /// A store in memory, forgotten on drop (a policy document's state for `gatehouse test
    /// --policy`, written nowhere), acting as the local system.
    pub async fn in_memory(location: String) -> Result<LocalBackend> {
        let store = Arc::new(crate::store::MemoryStore::new());
        Self::with_store(store, location, None, false).await
    }

    /// Like [`LocalBackend::open`] over any store.
    pub async fn with_store(
        store: Arc<dyn Store>,
        location: String,
        as_user: Option<&str>,
        read_only: bool,
    ) -> Result<LocalBackend> {
        let catalogs = Arc::new(Catalogs::builtin().map_err(|e| Error::Store(e.to_string()))?);
        let service = Arc::new(Service::open(store, catalogs).await?);
        let actor = Self::pick_actor(&service, as_user, read_only)?;
        Ok(LocalBackend {
            service,
            actor,
            location,
            reread: true,
        })
    }

    fn pick_actor(service: &Service, as_user: Option<&str>, read_only: bool) -> Result<Actor> {
        let snap = service.snapshot();
        if let Some(name) = as_user {
            let u = find_user(&snap.state, name)?;
            if u.disabled {
                return Err(Error::Forbidden(format!(
                    "user '{}' is disabled",
                    u.username
                )));
            }
            return Ok(Actor::user(u, read_only));
        }
        let owner = snap
            .state
            .users
            .values()
            .filter(|u| u.owner && !u.disabled)
            .min_by_key(|u| (u.created_at, u.id));
        Ok(match owner {
            Some(u) => Actor::user(u, read_only),
            None => Actor {
                read_only,
                ..Actor::system()
            },
        })
    }

    /// The service behind this backend.
    pub fn service(&self) -> &Arc<Service> {
        &self.service
    }

    /// The acting principal.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Re-picks the actor after init (the owner now exists).
    fn refresh_actor(&mut self) {
        if self.actor.user.is_none()
            && let Ok(a) = Self::pick_actor(&self.service, None, self.actor.read_only)
        {
            self.actor = a;
        }
    }

    /// Runs `init`, then acts as the new owner.
    pub async fn init_and_adopt(&mut self, admin: &str) -> Result<InitOutcome> {
        let out = self.init(admin).await?;
        self.refresh_actor();
        Ok(out)
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn first_frame_shown(&self) {
        self.service.cache_load();
        self.service.build_index_in_background();
    }
    fn info(&self) -> BackendInfo {
        BackendInfo {
            kind: BackendKind::Local,
            location: self.location.clone(),
            capabilities: Capabilities::ALL,
        }
    }

    async fn me(&self) -> Result<Me> {
        let can_write = self.service.can_write(&self.actor);
        let read_only_reason = if self.actor.read_only {
            Some("read-only mode (--read-only)".to_string())
        } else if !can_write {
            Some(format!(
                "{} has no write permission on gatehouse's admin entities",
                self.actor.name
            ))
        } else {
            None
        };
        // The acting user's name as it is now (it may have been renamed since).
        let username = self
            .actor
            .user
            .and_then(|id| {
                self.service
                    .snapshot()
                    .state
                    .users
                    .get(&id)
                    .map(|u| u.username.clone())
            })
            .unwrap_or_else(|| self.actor.name.clone());
        Ok(Me {
            username,
            user: self.actor.user,
            can_write,
            read_only_reason,
            auth_disabled: false,
        })
    }

    async fn catalogs(&self) -> Result<Arc<Catalogs>> {
        Ok(self.service.catalogs().clone())
    }

    async fn state(&self) -> Result<Arc<State>> {
        // Another process (the CLI, a server) may have written to the store since.
        if self.reread {
            self.service.refresh_if_stale().await?;
        }
        Ok(self.service.visible_state(&self.actor))
    }

    async fn wait_for_change(
        &self,
        after: Revision,
        within: std::time::Duration,
    ) -> Result<Revision> {
        self.service.wait_past(after, within, LOCAL_POLL).await
    }

    async fn init(&self, admin: &str) -> Result<InitOutcome> {
        if self.actor.read_only {
            return Err(Error::Forbidden(
                "read-only mode: init writes to the store".into(),
            ));
        }
        let r = self.service.init(admin).await?;
        Ok(InitOutcome {
            created: r.created,
            admin: r.admin,
            revision: r.revision,
        })
    }

    async fn create_user(&self, spec: UserSpec) -> Result<User> {
        self.service.create_user(&self.actor, spec).await
    }
    async fn update_user(&self, id: Id, spec: UserSpec, version: u64) -> Result<User> {
        self.service
            .update_user(&self.actor, id, spec, version)
            .await
    }
    async fn delete_user(&self, id: Id, force: bool) -> Result<Revision> {
        self.service.delete_user(&self.actor, id, force).await
    }
    async fn create_team(&self, spec: TeamSpec) -> Result<Team> {
        self.service.create_team(&self.actor, spec).await
    }
    async fn update_team(&self, id: Id, spec: TeamSpec, version: u64) -> Result<Team> {
        self.service
            .update_team(&self.actor, id, spec, version)
            .await
    }
    async fn delete_team(&self, id: Id, force: bool) -> Result<Revision> {
        self.service.delete_team(&self.actor, id, force).await
    }
    async fn create_role(&self, spec: RoleSpec) -> Result<Role> {
        self.service.create_role(&self.actor, spec).await
    }
    async fn update_role(&self, id: Id, spec: RoleSpec, version: u64) -> Result<Role> {
        self.service
            .update_role(&self.actor, id, spec, version)
            .await
    }
    async fn delete_role(&self, id: Id, force: bool) -> Result<Revision> {
        self.service.delete_role(&self.actor, id, force).await
    }
    async fn create_permission(&self, spec: PermissionSpec) -> Result<Permission> {
        self.service.create_permission(&self.actor, spec).await
    }
    async fn update_permission(
        &self,
        id: Id,
        spec: PermissionSpec,
        version: u64,
    ) -> Result<Permission> {
        self.service
            .update_permission(&self.actor, id, spec, version)
            .await
    }
    async fn delete_permission(&self, id: Id, force: bool) -> Result<Revision> {
        self.service.delete_permission(&self.actor, id, force).await
    }
    async fn link(&self, link: Link) -> Result<Revision> {
        self.service.link(&self.actor, link).await
    }
    async fn unlink(&self, link: Link) -> Result<Revision> {
        self.service.unlink(&self.actor, link).await
    }
    async fn link_until(
        &self,
        link: Link,
        expires_at: Option<time::OffsetDateTime>,
    ) -> Result<Revision> {
        self.service.link_until(&self.actor, link, expires_at).await
    }
    async fn set_expiry(
        &self,
        link: Link,
        expires_at: Option<time::OffsetDateTime>,
    ) -> Result<Revision> {
        self.service.set_expiry(&self.actor, link, expires_at).await
    }
    async fn prune_expired(&self) -> Result<(usize, Revision)> {
        self.service.prune_expired(&self.actor).await
    }
    async fn grant_resource_until(
        &self,
        resource: &str,
        principal: &str,
        scope: Option<&str>,
        to: GrantTo,
        expires_at: Option<time::OffsetDateTime>,
    ) -> Result<Revision> {
        self.service
            .grant_resource_until(&self.actor, resource, principal, scope, to, expires_at)
            .await
    }
    async fn grant_resource(
        &self,
        resource: &str,
        principal: &str,
        scope: Option<&str>,
        to: GrantTo,
    ) -> Result<Revision> {
        self.service
            .grant_resource(&self.actor, resource, principal, scope, to)
            .await
    }
    async fn revoke_resource(
        &self,
        resource: &str,
        principal: &str,
        scope: Option<&str>,
        to: GrantTo,
    ) -> Result<Revision> {
        self.service
            .revoke_resource(&self.actor, resource, principal, scope, to)
            .await
    }
    async fn resource_grants(&self, resource: &str) -> Result<Vec<ResourceGrant>> {
        self.service.resource_grants(&self.actor, resource)
    }
    async fn my_resource_grants(&self) -> Result<Vec<(String, Vec<String>)>> {
        match self.actor.user {
            Some(u) => Ok(self.service.my_resource_grants(u)),
            None => Ok(Vec::new()),
        }
    }
    async fn apply_preset(&self, name: &str, dry_run: bool) -> Result<ImportReport> {
        let doc = crate::presets::document(name, self.service.catalogs())?;
        self.service.import(&self.actor, &doc, dry_run).await
    }
    async fn import(&self, doc: PolicyDoc, dry_run: bool) -> Result<ImportReport> {
        self.service.import(&self.actor, &doc, dry_run).await
    }
    async fn export(&self) -> Result<PolicyDoc> {
        self.service.export(&self.actor)
    }
    async fn apply_changes(
        &self,
        changes: Vec<crate::policy::Change>,
        base: Option<Revision>,
    ) -> Result<Revision> {
        self.service.apply_changes(&self.actor, changes, base).await
    }
    async fn explain(&self, req: Request) -> Result<Explanation> {
        self.service.check(&self.actor, &req)
    }
    async fn decide_call(&self, q: CallQuery) -> Result<CallAnswer> {
        self.service.decide_call(&self.actor, &q)
    }
    async fn who_can(&self, req: Request) -> Result<Vec<WhoCan>> {
        self.service
            .authorize(&self.actor, crate::service::Access::Read, "User")?;
        Ok(self.service.snapshot().engine_at(req.at).who_can(&req))
    }
    async fn what_can(&self, user: Id) -> Result<WhatCan> {
        if self.actor.user != Some(user) {
            self.service
                .authorize(&self.actor, crate::service::Access::Read, "User")?;
        }
        self.service
            .snapshot()
            .engine()
            .what_can(user)
            .ok_or_else(|| Error::not_found("user", user.to_string()))
    }
    async fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEvent>> {
        // Records written before stores left key hashes out may still hold them.
        let events = self.service.audit(&self.actor, &query).await?;
        Ok(events
            .into_iter()
            .map(AuditEvent::without_secrets)
            .collect())
    }
    async fn create_key(
        &self,
        user: Id,
        read_only: bool,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<CreatedKey> {
        self.service
            .create_key(&self.actor, user, read_only, expires_at)
            .await
    }
    async fn revoke_key(&self, id: Id) -> Result<Revision> {
        self.service.revoke_key(&self.actor, id).await
    }
}
