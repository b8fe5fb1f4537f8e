//! The one interface the console and the CLI talk to (docs/PRODUCT.md §3): the [`Backend`]
//! trait and every type that crosses it — specs, reports, the policy document, the target
//! parser, input validation and the [`Error`] with its typed kinds. It is implemented in
//! `crate::connect` by the local backend (service + store in process), the HTTP backend (a
//! `gatehouse serve` server) and the Mage backend (a Mage server through its REST API).
//! Capabilities come from the backend, so the console adapts its panes.

pub mod document;
pub mod ends;
mod error;
mod grants;
mod keys;
pub mod plan;
mod reads;
mod specs;
mod target;
pub mod validate;

pub use document::{ImportOptions, ImportReport, PolicyDoc};
pub use error::{Error, Result};
pub use grants::{GrantTo, ResourceGrant, ScopeEnd};
pub use keys::{CreatedKey, parse_expires};
pub use reads::Reads;
pub use specs::{
    Password, PermissionSpec, RoleSpec, TeamSpec, UserSpec, find_permission, find_role, find_team,
    find_user,
};
pub use target::{Target, build_request, parse_target};

use crate::catalog::Catalogs;
use crate::engine::{CallAnswer, CallQuery, Explanation, Request, WhatCan, WhoCan};
use crate::model::{AuditEvent, AuditQuery, Id, Permission, Revision, Role, Team, User};
use crate::policy::{Link, State};
use async_trait::async_trait;
use document::Count;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// What kind of backend this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// The embedded store, in process.
    Local,
    /// A `gatehouse serve` server.
    Remote,
    /// A Mage server.
    Mage,
}

/// Which features a backend supports (panes adapt to these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Teams and memberships.
    pub teams: bool,
    /// API keys.
    pub keys: bool,
    /// The audit log.
    pub audit: bool,
    /// Presets ("Create default roles and permissions").
    pub presets: bool,
    /// Direct (okdata-style) grants to principals.
    pub grants: bool,
    /// Import and export of policy documents.
    pub import_export: bool,
    /// Relations that end (`expires_at` on roles, memberships and grants).
    pub expiry: bool,
}

impl Capabilities {
    /// Everything (the local and gatehouse backends).
    pub const ALL: Capabilities = Capabilities {
        teams: true,
        keys: true,
        audit: true,
        presets: true,
        grants: true,
        import_export: true,
        expiry: true,
    };
}

/// Where a backend points and what it supports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendInfo {
    /// Local, remote or Mage.
    pub kind: BackendKind,
    /// File path or URL, for the header.
    pub location: String,
    /// Supported features.
    pub capabilities: Capabilities,
}

/// The acting principal as the backend sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// Username (or `system` on an uninitialized local store).
    pub username: String,
    /// User id, when a user.
    pub user: Option<Id>,
    /// True when any write could succeed.
    pub can_write: bool,
    /// Why writes are disabled, when they are.
    pub read_only_reason: Option<String>,
    /// The server runs without authentication (`serve --no-auth`).
    pub auth_disabled: bool,
}

/// What `init` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitOutcome {
    /// False when already initialized (nothing changed).
    pub created: bool,
    /// The owner's username.
    pub admin: String,
    /// Revision after init.
    pub revision: Revision,
}

/// Counts of a preset application, re-exported for convenience.
pub type PresetCount = Count;

/// A step of a long preset application (Mage seeds in the background for minutes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresetProgress {
    /// What is happening, for a status line.
    pub message: String,
    /// Steps done so far (Mage's REST seed: requests; Mage's own seed: links that exist).
    pub done: usize,
    /// Steps expected.
    pub total: usize,
}

/// Where a backend reports [`PresetProgress`].
pub type ProgressSink = Arc<dyn Fn(PresetProgress) + Send + Sync>;

/// Every operation the console and the CLI need. All reads of objects go through
/// [`Backend::state`]; engine questions through `explain` / `who_can` / `what_can`.
#[async_trait]
pub trait Backend: Send + Sync {
    /// Kind, location and capabilities.
    fn info(&self) -> BackendInfo;
    /// Called by the console once its first frame is on the screen: a backend may start work
    /// it put off to open sooner (the local backend builds its decision index).
    fn first_frame_shown(&self) {}
    /// The acting principal and whether it can write.
    async fn me(&self) -> Result<Me>;
    /// The entity catalogs.
    async fn catalogs(&self) -> Result<Arc<Catalogs>>;
    /// Every object and link, as of the latest revision (re-read from the source: another
    /// process's writes are included).
    async fn state(&self) -> Result<Arc<State>>;
    /// The part of [`Backend::state`] that `reads` names (at least that part; a backend with
    /// everything at hand answers with the whole state). For one-off read commands: what the
    /// answer holds is as fresh as [`Backend::state`]'s.
    async fn state_for(&self, reads: Reads) -> Result<Arc<State>> {
        let _ = reads;
        self.state().await
    }
    /// Waits until the source's revision is past `after`, or until `within` has passed, and
    /// returns the revision then current. The console's live view follows it: the local
    /// store's revision (PostgreSQL's change feed, else a cheap poll), a server's
    /// `GET /watch` long-poll, Mage's data re-read on a timer.
    async fn wait_for_change(&self, after: Revision, within: Duration) -> Result<Revision>;
    /// Creates the first owner and the admin team, once.
    async fn init(&self, admin: &str) -> Result<InitOutcome>;

    /// Creates a user.
    async fn create_user(&self, spec: UserSpec) -> Result<User>;
    /// Updates a user at `version`.
    async fn update_user(&self, id: Id, spec: UserSpec, version: u64) -> Result<User>;
    /// Deletes a user (`force` removes its links and keys too).
    async fn delete_user(&self, id: Id, force: bool) -> Result<Revision>;
    /// Creates a team.
    async fn create_team(&self, spec: TeamSpec) -> Result<Team>;
    /// Updates a team at `version`.
    async fn update_team(&self, id: Id, spec: TeamSpec, version: u64) -> Result<Team>;
    /// Deletes a team.
    async fn delete_team(&self, id: Id, force: bool) -> Result<Revision>;
    /// Creates a role.
    async fn create_role(&self, spec: RoleSpec) -> Result<Role>;
    /// Updates a role at `version`.
    async fn update_role(&self, id: Id, spec: RoleSpec, version: u64) -> Result<Role>;
    /// Deletes a role.
    async fn delete_role(&self, id: Id, force: bool) -> Result<Revision>;
    /// Creates a permission.
    async fn create_permission(&self, spec: PermissionSpec) -> Result<Permission>;
    /// Updates a permission at `version`.
    async fn update_permission(
        &self,
        id: Id,
        spec: PermissionSpec,
        version: u64,
    ) -> Result<Permission>;
    /// Deletes a permission.
    async fn delete_permission(&self, id: Id, force: bool) -> Result<Revision>;
    /// Adds a relation.
    async fn link(&self, link: Link) -> Result<Revision>;
    /// Removes a relation.
    async fn unlink(&self, link: Link) -> Result<Revision>;
    /// Adds a relation that ends at `expires_at` (`None`: never), in one write.
    async fn link_until(
        &self,
        link: Link,
        expires_at: Option<time::OffsetDateTime>,
    ) -> Result<Revision> {
        match expires_at {
            None => self.link(link).await,
            Some(_) => Err(no_expiry(&self.info())),
        }
    }
    /// Sets (`None`: clears) when a relation that exists ends.
    async fn set_expiry(
        &self,
        link: Link,
        expires_at: Option<time::OffsetDateTime>,
    ) -> Result<Revision> {
        let _ = (link, expires_at);
        Err(no_expiry(&self.info()))
    }
    /// Removes every relation whose end has passed (each recorded as an `expire` audit
    /// event): how many, and the revision after.
    async fn prune_expired(&self) -> Result<(usize, Revision)> {
        Err(no_expiry(&self.info()))
    }
    /// okdata-style: [`Backend::grant_resource`] ending at `expires_at` (a grant held already
    /// keeps the later of its end and this one: granting never takes access away).
    async fn grant_resource_until(
        &self,
        resource: &str,
        principal: &str,
        scope: Option<&str>,
        to: GrantTo,
        expires_at: Option<time::OffsetDateTime>,
    ) -> Result<Revision> {
        match expires_at {
            None => self.grant_resource(resource, principal, scope, to).await,
            Some(_) => Err(no_expiry(&self.info())),
        }
    }

    /// okdata-style: grants `scope` (all when `None`) on `resource` to a principal.
    async fn grant_resource(
        &self,
        resource: &str,
        principal: &str,
        scope: Option<&str>,
        to: GrantTo,
    ) -> Result<Revision>;
    /// okdata-style: revokes; refuses to remove the last admin.
    async fn revoke_resource(
        &self,
        resource: &str,
        principal: &str,
        scope: Option<&str>,
        to: GrantTo,
    ) -> Result<Revision>;
    /// okdata-style: who holds which scopes on `resource`.
    async fn resource_grants(&self, resource: &str) -> Result<Vec<ResourceGrant>>;
    /// okdata-style: the acting user's resources and scopes.
    async fn my_resource_grants(&self) -> Result<Vec<(String, Vec<String>)>>;

    /// Applies a preset (idempotent; `dry_run` writes nothing).
    async fn apply_preset(&self, name: &str, dry_run: bool) -> Result<ImportReport>;
    /// Like [`Backend::apply_preset`], telling `progress` how a long application goes (only
    /// the Mage backend has anything to tell).
    async fn apply_preset_progress(
        &self,
        name: &str,
        dry_run: bool,
        progress: ProgressSink,
    ) -> Result<ImportReport> {
        let _ = progress;
        self.apply_preset(name, dry_run).await
    }
    /// "Create default roles and permissions" by Mage's own seed (`POST /api/seeds`, which
    /// takes Mage 18–36 minutes) instead of gatehouse's REST seed; `dry_run` says what is
    /// missing and writes nothing. Only a Mage server has it.
    async fn apply_mage_seed(&self, dry_run: bool, progress: ProgressSink) -> Result<ImportReport> {
        let _ = (dry_run, progress);
        Err(Error::Unsupported {
            what: "Mage's own seed (--mage-seed)".into(),
            backend: match self.info().kind {
                BackendKind::Local => "a local store",
                BackendKind::Remote => "a gatehouse server",
                BackendKind::Mage => "this Mage connection",
            }
            .into(),
            why: "only a Mage server has it; use `defaults apply NAME`".into(),
        })
    }
    /// Imports a document (idempotent; `dry_run` writes nothing).
    async fn import(&self, doc: PolicyDoc, dry_run: bool) -> Result<ImportReport>;
    /// Exports everything as a document.
    async fn export(&self) -> Result<PolicyDoc>;
    /// Applies a plan's changes ([`plan::Plan::changes`]) — on a store, in one transaction;
    /// with `Some(base)` only while the backend is still at that revision (else
    /// [`Error::Stale`], nothing written). Returns the revision after.
    async fn apply_changes(
        &self,
        changes: Vec<crate::policy::Change>,
        base: Option<Revision>,
    ) -> Result<Revision> {
        let _ = (changes, base);
        Err(Error::Unsupported {
            what: "plan application".into(),
            backend: "this backend".into(),
            why: "use `import`".into(),
        })
    }
    /// [`Backend::import`] with what a document does not carry ([`ImportOptions`]). Only a
    /// Mage server's users have passwords: the other backends refuse one.
    async fn import_with(
        &self,
        doc: PolicyDoc,
        dry_run: bool,
        options: ImportOptions,
    ) -> Result<ImportReport> {
        if options.user_password.is_some() {
            return Err(Error::invalid(
                "password",
                "gatehouse's own users have no password (they use API keys); an initial \
                 password is for importing users into a Mage server",
            ));
        }
        self.import(doc, dry_run).await
    }

    /// Decides and explains a request.
    async fn explain(&self, req: Request) -> Result<Explanation>;
    /// Decides a whole Mage REST call as Mage 0.9.80 does (`docs/MAGE_CALLS.md`).
    async fn decide_call(&self, q: CallQuery) -> Result<CallAnswer>;
    /// Users allowed to do the request's action (its `user` is ignored).
    async fn who_can(&self, req: Request) -> Result<Vec<WhoCan>>;
    /// What a user can do.
    async fn what_can(&self, user: Id) -> Result<WhatCan>;

    /// Audit events, newest first.
    async fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEvent>>;
    /// Creates an API key (the secret is in the result, once).
    async fn create_key(
        &self,
        user: Id,
        read_only: bool,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<CreatedKey>;
    /// Revokes an API key.
    async fn revoke_key(&self, id: Id) -> Result<Revision>;
}

/// The refusal of a backend that keeps no ends on relations (Mage).
fn no_expiry(info: &BackendInfo) -> Error {
    let backend = match info.kind {
        BackendKind::Local => "this store",
        BackendKind::Remote => "this server",
        BackendKind::Mage => "Mage",
    };
    Error::Unsupported {
        what: "relations that end (--expires, --for)".into(),
        backend: backend.into(),
        why: "access given there lasts until it is removed".into(),
    }
}
