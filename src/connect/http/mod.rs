//! [`HttpBackend`]: the whole [`Backend`] over HTTP against `gatehouse serve` (reqwest with
//! rustls). Errors come back as the exact [`Error`] the server's service returned (an invalid
//! field stays an invalid field); an unreachable server is [`Error::Unreachable`] naming the URL.

mod paging;
mod transport;

pub use paging::PAGE_SIZE;
pub use transport::PlainHttp;
pub(crate) use transport::is_loopback;

use crate::backend::{Backend, BackendInfo, BackendKind, Capabilities, InitOutcome, Me};
use crate::backend::{
    CreatedKey, Error, GrantTo, ImportReport, PermissionSpec, PolicyDoc, ResourceGrant, Result,
    RoleSpec, TeamSpec, UserSpec,
};
use crate::catalog::Catalogs;
use crate::engine::{CallAnswer, CallQuery, Explanation, Request, WhatCan, WhoCan};
use crate::model::AuditQuery;
use crate::model::{AuditEvent, Id, Permission, Revision, Role, Team, User};
use crate::policy::{Link, State};
use crate::service::hash_secret;
use crate::wire::{
    AuditPage, AuditParams, CheckOne, CheckRequest, DryRunParams, GrantBody, KeyCreate, KeyCreated,
    LinkUntil, MAX_AUDIT_PAGE, MeWire, MyResource, PruneAnswer, RevisionBody, RevokeParams,
    SetExpiry, StateWire, WhoCanParams,
};
use async_trait::async_trait;
use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::{Method, StatusCode, Url};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

/// A `gatehouse serve` server, reached over HTTP with an API key.
pub struct HttpBackend {
    url: String,
    base: Url,
    client: reqwest::Client,
    api_key: String,
    read_only: bool,
    catalogs: tokio::sync::OnceCell<Arc<Catalogs>>,
    /// The last state read, with its `ETag` (answers 304 while unchanged).
    cached: Mutex<Option<(String, Arc<State>)>>,
    /// The highest revision a write of this client produced (explain waits for it).
    written: AtomicU64,
    /// How many items one answer of a list route holds at most ([`PAGE_SIZE`]).
    page_size: usize,
}

impl std::fmt::Debug for HttpBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpBackend")
            .field("url", &self.url)
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

impl HttpBackend {
    /// A client of the server at `url` (`http://127.0.0.1:7420`, with or without `/api/v1`)
    /// presenting `api_key`. Nothing is sent yet. A plain `http://` URL to a host that is not
    /// loopback is refused: see [`HttpBackend::new_with`].
    pub fn new(url: &str, api_key: &str) -> Result<HttpBackend> {
        HttpBackend::new_with(url, api_key, PlainHttp::LoopbackOnly)
    }

    /// [`HttpBackend::new`], sending the key over plain `http://` to any host when `plain`
    /// allows it (`--insecure-http`), else only to loopback (an [`Error::Invalid`] on
    /// `--remote` otherwise, before anything is sent). Certificates are checked against the
    /// web PKI roots and the CAs in the PEM file `$GATEHOUSE_CA_CERT` names.
    pub fn new_with(url: &str, api_key: &str, plain: PlainHttp) -> Result<HttpBackend> {
        let (base, shown) = transport::parse_url(url, plain)?;
        let key = api_key.trim();
        if key.is_empty() {
            return Err(Error::invalid(
                "GATEHOUSE_API_KEY",
                "the API key is empty; create one with `gatehouse keys create USER`",
            ));
        }
        if key.chars().any(|c| c.is_control() || c == ' ') {
            return Err(Error::invalid(
                "GATEHOUSE_API_KEY",
                "the API key holds spaces or control characters; paste it exactly as shown",
            ));
        }
        // The API never redirects: a redirect followed would resend the key (reqwest keeps
        // `Authorization` on the same host and port, https → http included).
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gatehouse/", env!("CARGO_PKG_VERSION")));
        // Plain http never goes through a proxy ($http_proxy, $ALL_PROXY): the proxy would
        // read the key in clear text (and a loopback server is not the proxy's to reach).
        if base.scheme() == "http" {
            builder = builder.no_proxy();
        }
        for ca in transport::extra_roots()? {
            builder = builder.add_root_certificate(ca);
        }
        let client = builder
            .build()
            .map_err(|e| Error::Unreachable(format!("cannot set up the HTTP client: {e}")))?;
        Ok(HttpBackend {
            url: shown,
            base,
            client,
            api_key: key.to_string(),
            read_only: false,
            catalogs: tokio::sync::OnceCell::new(),
            cached: Mutex::new(None),
            written: AtomicU64::new(0),
            page_size: PAGE_SIZE,
        })
    }

    /// Refuses `url` as [`HttpBackend::new_with`] would, before an API key is asked for.
    pub fn check_url(url: &str, plain: PlainHttp) -> Result<()> {
        transport::parse_url(url, plain).map(drop)
    }

    /// Refuses every write in this client (`--read-only`), whatever the key may do.
    pub fn read_only(mut self, read_only: bool) -> HttpBackend {
        self.read_only = read_only;
        self
    }

    /// Reads list routes `n` items (at least 1) per answer instead of [`PAGE_SIZE`] (tests).
    pub fn page_size(mut self, n: usize) -> HttpBackend {
        self.page_size = n.clamp(1, crate::wire::MAX_PAGE);
        self
    }

    /// True with `--read-only`.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The server URL as given, its password masked.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Explains `req` as of `revision` at least: the server answers from an index that has
    /// reached it (re-reading its store once), or refuses with a conflict — never from an
    /// older one. For a client that wrote through another replica.
    pub async fn check_at(&self, req: Request, revision: Revision) -> Result<Explanation> {
        let body = CheckOne {
            request: CheckRequest::from(&req),
            at_least_revision: Some(revision),
        };
        self.get(self.request(Method::POST, &["explain"]).json(&body))
            .await
    }
}

/// How often a console polls a server that has no `GET /watch`.
const HTTP_POLL: Duration = Duration::from_secs(2);

#[async_trait]
impl Backend for HttpBackend {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            kind: BackendKind::Remote,
            location: self.url.clone(),
            capabilities: Capabilities::ALL,
        }
    }

    async fn me(&self) -> Result<Me> {
        let wire: MeWire = self.get(self.request(Method::GET, &["me"])).await?;
        let mut me = wire.me;
        if self.read_only {
            me.can_write = false;
            me.read_only_reason = Some("read-only mode (--read-only)".into());
        }
        Ok(me)
    }

    async fn catalogs(&self) -> Result<Arc<Catalogs>> {
        self.catalogs
            .get_or_try_init(|| self.load_catalogs())
            .await
            .cloned()
    }

    async fn state(&self) -> Result<Arc<State>> {
        let cached = self.cached.lock().ok().and_then(|c| c.clone());
        let mut rb = self.request(Method::GET, &["state"]);
        if let Some((etag, _)) = &cached {
            rb = rb.header(IF_NONE_MATCH, etag.as_str());
        }
        let res = self.exchange(rb).await?;
        if res.status() == StatusCode::NOT_MODIFIED
            && let Some((_, state)) = cached
        {
            return Ok(state);
        }
        let etag = res
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let wire: StateWire = self.parse(res).await?;
        let state = Arc::new(wire.into_state());
        if let (Some(etag), Ok(mut c)) = (etag, self.cached.lock()) {
            *c = Some((etag, state.clone()));
        }
        Ok(state)
    }

    async fn wait_for_change(&self, after: Revision, within: Duration) -> Result<Revision> {
        let wait = within.as_secs().clamp(1, crate::wire::WATCH_WAIT.1);
        let params = crate::wire::WatchParams {
            after: Some(after),
            wait: Some(wait),
        };
        let rb = self.request(Method::GET, &["watch"]).query(&params);
        match self.get::<crate::wire::WatchAnswer>(rb).await {
            Ok(a) => Ok(a.revision),
            // A server from before `GET /watch`: poll its state (a 304 while unchanged).
            Err(Error::NotFound { .. }) => {
                tokio::time::sleep(HTTP_POLL.min(within)).await;
                Ok(self.state().await?.revision)
            }
            Err(e) => Err(e),
        }
    }

    async fn init(&self, _admin: &str) -> Result<InitOutcome> {
        Err(Error::invalid(
            "init",
            format!(
                "init runs where the store is, not against {}: `gatehouse serve` initializes a \
                 new store when it starts (or run `gatehouse init --db PATH` on the server host)",
                self.url
            ),
        ))
    }

    async fn create_user(&self, spec: UserSpec) -> Result<User> {
        self.create("users", &spec).await
    }
    async fn update_user(&self, id: Id, spec: UserSpec, version: u64) -> Result<User> {
        self.update("users", id, spec, version).await
    }
    async fn delete_user(&self, id: Id, force: bool) -> Result<Revision> {
        self.delete("users", id, force).await
    }
    async fn create_team(&self, spec: TeamSpec) -> Result<Team> {
        self.create("teams", &spec).await
    }
    async fn update_team(&self, id: Id, spec: TeamSpec, version: u64) -> Result<Team> {
        self.update("teams", id, spec, version).await
    }
    async fn delete_team(&self, id: Id, force: bool) -> Result<Revision> {
        self.delete("teams", id, force).await
    }
    async fn create_role(&self, spec: RoleSpec) -> Result<Role> {
        self.create("roles", &spec).await
    }
    async fn update_role(&self, id: Id, spec: RoleSpec, version: u64) -> Result<Role> {
        self.update("roles", id, spec, version).await
    }
    async fn delete_role(&self, id: Id, force: bool) -> Result<Revision> {
        self.delete("roles", id, force).await
    }
    async fn create_permission(&self, spec: PermissionSpec) -> Result<Permission> {
        self.create("permissions", &spec).await
    }
    async fn update_permission(
        &self,
        id: Id,
        spec: PermissionSpec,
        version: u64,
    ) -> Result<Permission> {
        self.update("permissions", id, spec, version).await
    }
    async fn delete_permission(&self, id: Id, force: bool) -> Result<Revision> {
        self.delete("permissions", id, force).await
    }
    async fn link(&self, link: Link) -> Result<Revision> {
        self.write_revision(self.request(Method::POST, &["links"]).json(&link))
            .await
    }
    async fn unlink(&self, link: Link) -> Result<Revision> {
        let rb = self.request(Method::POST, &["links", "delete"]).json(&link);
        self.write_revision(rb).await
    }
    async fn link_until(&self, link: Link, expires_at: Option<OffsetDateTime>) -> Result<Revision> {
        let body = LinkUntil { link, expires_at };
        let rb = self.request(Method::POST, &["links", "until"]).json(&body);
        let answer: RevisionBody = self.ends_write(rb).await?;
        Ok(answer.revision)
    }
    async fn set_expiry(&self, link: Link, expires_at: Option<OffsetDateTime>) -> Result<Revision> {
        let body = SetExpiry { link, expires_at };
        let rb = self.request(Method::POST, &["links", "expiry"]).json(&body);
        let answer: RevisionBody = self.ends_write(rb).await?;
        Ok(answer.revision)
    }
    async fn prune_expired(&self) -> Result<(usize, Revision)> {
        let rb = self.request(Method::POST, &["expired", "prune"]);
        let a: PruneAnswer = self.ends_write(rb).await?;
        Ok((a.removed, a.revision))
    }
    async fn grant_resource_until(
        &self,
        resource: &str,
        principal: &str,
        scope: Option<&str>,
        to: GrantTo,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<Revision> {
        let body = GrantBody {
            principal: principal.into(),
            scope: scope.map(str::to_string),
            to,
            expires_at,
        };
        let rb = self
            .request(Method::POST, &["resources", resource, "grants"])
            .json(&body);
        self.write_revision(rb).await
    }

    async fn grant_resource(
        &self,
        resource: &str,
        principal: &str,
        scope: Option<&str>,
        to: GrantTo,
    ) -> Result<Revision> {
        self.grant_resource_until(resource, principal, scope, to, None)
            .await
    }
    async fn revoke_resource(
        &self,
        resource: &str,
        principal: &str,
        scope: Option<&str>,
        to: GrantTo,
    ) -> Result<Revision> {
        let params = RevokeParams {
            scope: scope.map(str::to_string),
            to,
        };
        let rb = self
            .request(
                Method::DELETE,
                &["resources", resource, "grants", principal],
            )
            .query(&params);
        self.write_revision(rb).await
    }
    async fn resource_grants(&self, resource: &str) -> Result<Vec<ResourceGrant>> {
        self.list_all(&["resources", resource, "grants"], &()).await
    }
    async fn my_resource_grants(&self) -> Result<Vec<(String, Vec<String>)>> {
        let rows: Vec<MyResource> = self.list_all(&["me", "resources"], &()).await?;
        Ok(rows.into_iter().map(|r| (r.resource, r.scopes)).collect())
    }

    async fn apply_preset(&self, name: &str, dry_run: bool) -> Result<ImportReport> {
        let rb = self
            .request(Method::POST, &["presets", name, "apply"])
            .query(&DryRunParams { dry_run });
        self.write(rb).await
    }
    async fn import(&self, doc: PolicyDoc, dry_run: bool) -> Result<ImportReport> {
        let rb = self
            .request(Method::POST, &["import"])
            .query(&DryRunParams { dry_run })
            .json(&doc);
        self.write(rb).await
    }
    async fn export(&self) -> Result<PolicyDoc> {
        self.get(self.request(Method::GET, &["export"])).await
    }
    async fn apply_changes(
        &self,
        changes: Vec<crate::policy::Change>,
        base: Option<Revision>,
    ) -> Result<Revision> {
        let changes = changes
            .into_iter()
            .map(crate::wire::apply::ChangeWire::of)
            .collect::<Result<_>>()?;
        let body = crate::wire::ApplyBody { changes, base };
        self.write_revision(self.request(Method::POST, &["apply"]).json(&body))
            .await
    }

    async fn explain(&self, req: Request) -> Result<Explanation> {
        let written = self.written.load(Ordering::Relaxed);
        let body = CheckOne {
            request: CheckRequest::from(&req),
            at_least_revision: (written > 0).then_some(written),
        };
        self.get(self.request(Method::POST, &["explain"]).json(&body))
            .await
    }
    async fn decide_call(&self, q: CallQuery) -> Result<CallAnswer> {
        self.get(self.request(Method::POST, &["decide-call"]).json(&q))
            .await
    }
    async fn who_can(&self, req: Request) -> Result<Vec<WhoCan>> {
        self.list_all(&["who-can"], &WhoCanParams::try_from(&req)?)
            .await
    }
    async fn what_can(&self, user: Id) -> Result<WhatCan> {
        let user = user.to_string();
        self.get(self.request(Method::GET, &["what-can", &user]))
            .await
    }

    /// Pages through `GET /audit` until `query.limit` events (every event when 0).
    async fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEvent>> {
        let since = match query.since {
            Some(t) => Some(
                t.format(&time::format_description::well_known::Rfc3339)
                    .map_err(|e| Error::invalid("since", e.to_string()))?,
            ),
            None => None,
        };
        let mut out: Vec<AuditEvent> = Vec::new();
        let mut before = query.before_revision;
        loop {
            let want = if query.limit == 0 {
                MAX_AUDIT_PAGE
            } else {
                (query.limit - out.len()).min(MAX_AUDIT_PAGE)
            };
            let params = AuditParams {
                limit: Some(want),
                before,
                after: None,
                since: since.clone(),
                actor: query.actor.clone(),
            };
            let page: AuditPage = self
                .get(self.request(Method::GET, &["audit"]).query(&params))
                .await?;
            let empty = page.events.is_empty();
            // An older server may still send key hashes.
            out.extend(page.events.into_iter().map(AuditEvent::without_secrets));
            let full = query.limit > 0 && out.len() >= query.limit;
            match page.next_before {
                Some(next) if !empty && !full => before = Some(next),
                _ => break,
            }
        }
        if query.limit > 0 {
            out.truncate(query.limit);
        }
        Ok(out)
    }

    async fn create_key(
        &self,
        user: Id,
        read_only: bool,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<CreatedKey> {
        let body = KeyCreate {
            user: user.to_string(),
            read_only,
            expires_at,
        };
        let created: KeyCreated = self.create("keys", &body).await?;
        Ok(CreatedKey {
            record: created.key.to_record(hash_secret(&created.secret)),
            secret: created.secret,
        })
    }
    async fn revoke_key(&self, id: Id) -> Result<Revision> {
        let id = id.to_string();
        self.write_revision(self.request(Method::DELETE, &["keys", &id]))
            .await
    }
}
