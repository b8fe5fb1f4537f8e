//! [`MageBackend`]: a live Mage server's Roles, Permissions and Users through Mage's own REST
//! API (docs/PRODUCT.md §4b, `docs/MAGE.md` §5). Reads become a gatehouse [`State`] (Mage's integer ids
//! mapped to UUIDs, its integer access split into grants and `DISABLE_*` denies); access checks
//! run gatehouse's engine in the `mage` dialect over that state, so they give Mage's answer
//! without asking Mage. Teams, API keys, the audit log and okdata-style grants are not Mage
//! concepts: they report so, and the console shows those panes disabled.

mod answer;
mod apply;
mod client;
pub mod facts;
pub mod import;
mod links;
mod plain;
mod read;
pub mod seed;
pub mod tokens;
pub mod wire;
mod writes;

pub use client::{Login, MAGE_API_KEY, MageClient};
pub use plain::check_plain_http;
pub use tokens::TokenCache;

use crate::backend::{
    Backend, BackendInfo, BackendKind, Capabilities, InitOutcome, Me, ProgressSink, Reads,
};
use crate::backend::{
    CreatedKey, Error, GrantTo, ImportOptions, ImportReport, PermissionSpec, PolicyDoc,
    ResourceGrant, Result, RoleSpec, TeamSpec, UserSpec,
};
use crate::catalog::{Catalog, Catalogs};
use crate::engine::{CallAnswer, CallQuery, Engine, Explanation, Request, WhatCan, WhoCan};
use crate::model::AuditQuery;
use crate::model::{AuditEvent, Id, Permission, Revision, Role, Team, User};
use crate::policy::{Link, State};
use async_trait::async_trait;
use facts::Facts;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use wire::{MageKind, MageUser};

/// The name of the catalog Mage permissions use.
pub const MAGE_CATALOG: &str = "mage";

/// What Mage does not have, as an error the console and CLI show.
fn unsupported(what: &str) -> Error {
    Error::Unsupported {
        what: what.into(),
        backend: "Mage".into(),
        why: "it has roles, permissions and users only".into(),
    }
}

/// The last state read from the server and its engine.
#[derive(Debug)]
struct Cached {
    /// The lists it was read from ([`Reads::ALL`] for everything).
    reads: Reads,
    state: Arc<State>,
    engine: Arc<Engine>,
    facts: Arc<Facts>,
}

/// The last read: its state, engine and what Mage's records hold beyond the state.
type Current = (Arc<State>, Arc<Engine>, Arc<Facts>);

/// A Mage server, logged in as one user.
#[derive(Debug)]
pub struct MageBackend {
    client: MageClient,
    catalogs: Arc<Catalogs>,
    read_only: bool,
    /// The last state read (dropped by every write).
    cached: Mutex<Option<Cached>>,
    /// gatehouse's revision for this server: moves on with every write made here and with
    /// every read that finds the server changed (Mage has no revision of its own).
    revision: AtomicU64,
    /// The cached state was read by [`MageBackend::connect_and_read`] and no
    /// [`Backend::state`] has answered with it yet.
    prefetched: AtomicBool,
}

impl MageBackend {
    /// A backend for the server at `url`, logging in with `login`. Nothing is sent yet.
    pub fn new(url: &str, login: Login) -> Result<MageBackend> {
        let builtin = Catalogs::builtin().map_err(|e| Error::Store(e.to_string()))?;
        let mage = builtin
            .get(MAGE_CATALOG)
            .cloned()
            .ok_or_else(|| Error::Store("the built-in catalogs lack 'mage'".into()))?;
        Ok(MageBackend {
            client: MageClient::new(url, login)?,
            catalogs: Arc::new(Catalogs::from_list(vec![mage])),
            read_only: false,
            cached: Mutex::new(None),
            revision: AtomicU64::new(0),
            prefetched: AtomicBool::new(false),
        })
    }

    /// Keeps the session token between runs in `cache` (see [`TokenCache`]).
    pub fn token_cache(mut self, cache: Option<TokenCache>) -> MageBackend {
        self.client = self.client.with_token_cache(cache);
        self
    }

    /// Refuses every write when `read_only`.
    pub fn read_only(mut self, read_only: bool) -> MageBackend {
        self.read_only = read_only;
        self
    }

    /// True when every write is refused.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The HTTP client (for tests and the seed).
    pub fn client(&self) -> &MageClient {
        &self.client
    }

    /// Checks that the server is a Mage server with authentication on, and logs in (or takes
    /// the token an earlier run saved, when the client has a token cache).
    pub async fn connect(&self) -> Result<()> {
        tokio::try_join!(self.check_status(), self.client.resume())?;
        Ok(())
    }

    /// [`MageBackend::connect`], and reads the server's roles, permissions and users at the
    /// same time as the status check, for the first [`Backend::state`] to answer with (every
    /// CLI command and the console start by reading them).
    pub async fn connect_and_read(&self) -> Result<()> {
        self.connect_and_read_for(Reads::ALL).await
    }

    /// [`MageBackend::connect_and_read`] reading only the lists `reads` names, for a command
    /// that shows only those (its [`Backend::state_for`] answers with them).
    pub async fn connect_and_read_for(&self, reads: Reads) -> Result<()> {
        let read = async {
            self.client.resume().await?;
            self.refresh_for(reads).await
        };
        tokio::try_join!(self.check_status(), read)?;
        self.prefetched.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn check_status(&self) -> Result<()> {
        let status = self.client.status().await?;
        if status.get("require_user_authentication") == Some(&serde_json::Value::Bool(false)) {
            return Err(Error::invalid(
                "--mage",
                format!(
                    "{} runs without user authentication; start it with REQUIRE_USER_AUTHENTICATION=1 \
                     (and REQUIRE_USER_PERMISSIONS=1 for permissions to be enforced)",
                    self.client.url()
                ),
            ));
        }
        if status.get("require_user_permissions") == Some(&serde_json::Value::Bool(false)) {
            // Mage then decides with its hand-written policies, not with the permissions
            // gatehouse manages; the decisions shown would not be Mage's.
            eprintln!(
                "warning: {} runs without REQUIRE_USER_PERMISSIONS=1: Mage does not enforce the \
                 roles and permissions managed here, and gatehouse's access checks are not its answers",
                self.client.url()
            );
        }
        Ok(())
    }

    fn mage(&self) -> &Catalog {
        // The constructor puts exactly the mage catalog in the list.
        &self.catalogs.all()[0]
    }

    fn writable(&self) -> Result<()> {
        if self.read_only {
            return Err(Error::Forbidden(
                "this session is read-only (--read-only or the profile's read_only)".into(),
            ));
        }
        Ok(())
    }

    /// Runs a write (a lazy future: nothing is sent when the session is read-only), then
    /// drops the cached state.
    async fn write<T>(&self, w: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        self.writable()?;
        let out = w.await?;
        self.invalidate();
        Ok(out)
    }

    /// Deletes a user, role or permission (refused while linked unless `force`).
    async fn remove(&self, kind: MageKind, id: Id, force: bool) -> Result<Revision> {
        self.writable()?;
        let (state, _, _) = self.current().await?;
        writes::delete(&self.client, &state, kind, id, force).await?;
        Ok(self.invalidate())
    }

    /// The logged-in user's username and id as the state names them. Mage's login answer
    /// lacks `created_at` (and `email`), which the id carries, so the user is taken from the
    /// last read state, else read from the server; a user who may read neither (no role
    /// allowing it) has no id here, only the name.
    async fn login_user(&self, user: MageUser) -> (String, Option<Id>) {
        let n = user.id;
        if let Ok(c) = self.cached.lock()
            && let Some(c) = c.as_ref()
            && let Some(u) = c
                .state
                .users
                .values()
                .find(|u| wire::mage_id(MageKind::User, &u.id) == Some(n))
        {
            return (u.username.clone(), Some(u.id));
        }
        if let Ok(full) = writes::get_user(&self.client, n).await {
            let m = full.to_model();
            return (m.username, Some(m.id));
        }
        let name = user.to_model().username;
        if name.is_empty() {
            (self.client.login_name().to_string(), None)
        } else {
            (name, None)
        }
    }

    /// After a write: the revision moves on and the next read goes to the server.
    fn invalidate(&self) -> Revision {
        self.prefetched.store(false, Ordering::SeqCst);
        if let Ok(mut c) = self.cached.lock() {
            *c = None;
        }
        self.revision.fetch_add(1, Ordering::SeqCst) + 1
    }
}

/// How often a console on a Mage server re-reads its data to follow outside changes.
pub const MAGE_POLL: std::time::Duration = std::time::Duration::from_secs(10);

#[async_trait]
impl Backend for MageBackend {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            kind: BackendKind::Mage,
            location: self.client.url().to_string(),
            capabilities: Capabilities {
                teams: false,
                keys: false,
                audit: false,
                presets: true,
                grants: false,
                import_export: true,
                expiry: false,
            },
        }
    }

    async fn me(&self) -> Result<Me> {
        let user: MageUser = serde_json::from_value(self.client.me().await?)
            .map_err(|e| Error::Store(format!("unexpected user in Mage's login answer: {e}")))?;
        let (username, id) = self.login_user(user).await;
        let read_only_reason = if self.read_only {
            Some("read-only session (--read-only or the profile's read_only)".to_string())
        } else {
            None
        };
        Ok(Me {
            username,
            user: id,
            can_write: !self.read_only,
            read_only_reason,
            auth_disabled: false,
        })
    }

    async fn catalogs(&self) -> Result<Arc<Catalogs>> {
        Ok(self.catalogs.clone())
    }

    async fn state(&self) -> Result<Arc<State>> {
        self.state_for(Reads::ALL).await
    }

    async fn state_for(&self, reads: Reads) -> Result<Arc<State>> {
        // The read made while connecting answers the first call (nothing was written since:
        // a write drops the cached state) when it read what is asked.
        if self.prefetched.swap(false, Ordering::SeqCst)
            && let Ok(c) = self.cached.lock()
            && let Some(c) = c.as_ref()
            && c.reads.covers(reads)
        {
            return Ok(c.state.clone());
        }
        Ok(self.refresh_for(reads).await?.0)
    }

    async fn wait_for_change(
        &self,
        after: Revision,
        within: std::time::Duration,
    ) -> Result<Revision> {
        // Mage has no revision or change feed: re-read its data on a timer; the revision
        // moves when anything differs from the last read.
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let now = self.refresh().await?.0.revision;
            if now > after || tokio::time::Instant::now() >= deadline {
                return Ok(now);
            }
            let wake = (tokio::time::Instant::now() + MAGE_POLL).min(deadline);
            tokio::time::sleep_until(wake).await;
        }
    }

    async fn init(&self, _admin: &str) -> Result<InitOutcome> {
        Err(Error::invalid(
            "init",
            "a Mage server creates its owner at first start (admin@admin.com unless \
             DEFAULT_OWNER_EMAIL is set); there is nothing to initialize",
        ))
    }

    async fn create_user(&self, spec: UserSpec) -> Result<User> {
        self.write(writes::create_user(&self.client, spec)).await
    }
    async fn update_user(&self, id: Id, spec: UserSpec, version: u64) -> Result<User> {
        self.write(writes::update_user(&self.client, id, spec, version))
            .await
    }
    async fn delete_user(&self, id: Id, force: bool) -> Result<Revision> {
        self.remove(MageKind::User, id, force).await
    }
    async fn create_team(&self, _spec: TeamSpec) -> Result<Team> {
        Err(unsupported("teams"))
    }
    async fn update_team(&self, _id: Id, _spec: TeamSpec, _version: u64) -> Result<Team> {
        Err(unsupported("teams"))
    }
    async fn delete_team(&self, _id: Id, _force: bool) -> Result<Revision> {
        Err(unsupported("teams"))
    }
    async fn create_role(&self, spec: RoleSpec) -> Result<Role> {
        self.write(writes::create_role(&self.client, spec)).await
    }
    async fn update_role(&self, id: Id, spec: RoleSpec, version: u64) -> Result<Role> {
        self.write(writes::update_role(&self.client, id, spec, version))
            .await
    }
    async fn delete_role(&self, id: Id, force: bool) -> Result<Revision> {
        self.remove(MageKind::Role, id, force).await
    }
    async fn create_permission(&self, spec: PermissionSpec) -> Result<Permission> {
        self.write(writes::create_permission(&self.client, self.mage(), spec))
            .await
    }
    async fn update_permission(
        &self,
        id: Id,
        spec: PermissionSpec,
        version: u64,
    ) -> Result<Permission> {
        self.write(writes::update_permission(
            &self.client,
            self.mage(),
            id,
            spec,
            version,
        ))
        .await
    }
    async fn delete_permission(&self, id: Id, force: bool) -> Result<Revision> {
        self.remove(MageKind::Permission, id, force).await
    }
    async fn link(&self, link: Link) -> Result<Revision> {
        self.writable()?;
        links::relink(&self.client, &link, true).await?;
        Ok(self.invalidate())
    }
    async fn unlink(&self, link: Link) -> Result<Revision> {
        self.writable()?;
        links::relink(&self.client, &link, false).await?;
        Ok(self.invalidate())
    }
    async fn apply_changes(
        &self,
        changes: Vec<crate::policy::Change>,
        base: Option<Revision>,
    ) -> Result<Revision> {
        self.apply_steps(changes, base).await
    }

    async fn grant_resource(
        &self,
        _resource: &str,
        _principal: &str,
        _scope: Option<&str>,
        _to: GrantTo,
    ) -> Result<Revision> {
        Err(unsupported("direct resource grants"))
    }
    async fn revoke_resource(
        &self,
        _resource: &str,
        _principal: &str,
        _scope: Option<&str>,
        _to: GrantTo,
    ) -> Result<Revision> {
        Err(unsupported("direct resource grants"))
    }
    async fn resource_grants(&self, _resource: &str) -> Result<Vec<ResourceGrant>> {
        Err(unsupported("direct resource grants"))
    }
    async fn my_resource_grants(&self) -> Result<Vec<(String, Vec<String>)>> {
        Err(unsupported("direct resource grants"))
    }

    async fn apply_preset(&self, name: &str, dry_run: bool) -> Result<ImportReport> {
        self.apply_preset_progress(name, dry_run, Arc::new(|_| {}))
            .await
    }
    async fn apply_preset_progress(
        &self,
        name: &str,
        dry_run: bool,
        progress: ProgressSink,
    ) -> Result<ImportReport> {
        if name != "mage" {
            return Err(Error::invalid(
                "preset",
                format!(
                    "a Mage server only has its own default roles and permissions: use the \
                     'mage' preset, not '{name}'"
                ),
            ));
        }
        self.seed(seed::How::Rest, None, dry_run, progress).await
    }
    async fn apply_mage_seed(&self, dry_run: bool, progress: ProgressSink) -> Result<ImportReport> {
        self.seed(seed::How::MageOwn, None, dry_run, progress).await
    }
    async fn import(&self, doc: PolicyDoc, dry_run: bool) -> Result<ImportReport> {
        self.import_doc(doc, dry_run, ImportOptions::default())
            .await
    }
    async fn import_with(
        &self,
        doc: PolicyDoc,
        dry_run: bool,
        options: ImportOptions,
    ) -> Result<ImportReport> {
        self.import_doc(doc, dry_run, options).await
    }
    async fn export(&self) -> Result<PolicyDoc> {
        let state = self.refresh().await?.0;
        Ok(PolicyDoc::of_state(&state))
    }

    async fn explain(&self, req: Request) -> Result<Explanation> {
        let (_, engine, _) = self.current().await?;
        Ok(engine.explain(&req))
    }
    async fn decide_call(&self, q: CallQuery) -> Result<CallAnswer> {
        let (_, engine, facts) = self.current().await?;
        Ok(engine.decide_call(facts.as_ref(), &q))
    }
    async fn who_can(&self, req: Request) -> Result<Vec<WhoCan>> {
        let (_, engine, _) = self.current().await?;
        Ok(engine.who_can(&req))
    }
    async fn what_can(&self, user: Id) -> Result<WhatCan> {
        let (_, engine, _) = self.current().await?;
        engine
            .what_can(user)
            .ok_or_else(|| Error::not_found("user", user.to_string()))
    }

    async fn audit(&self, _query: AuditQuery) -> Result<Vec<AuditEvent>> {
        Err(unsupported("audit logs"))
    }
    async fn create_key(
        &self,
        _user: Id,
        _read_only: bool,
        _expires_at: Option<OffsetDateTime>,
    ) -> Result<CreatedKey> {
        Err(unsupported("API keys"))
    }
    async fn revoke_key(&self, _id: Id) -> Result<Revision> {
        Err(unsupported("API keys"))
    }
}
