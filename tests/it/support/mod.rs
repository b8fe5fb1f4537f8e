//! A real server in process for the server tests (and the server benchmark): a temp SQLite
//! store (or, with [`start_on`], a fresh PostgreSQL schema), the service, the server on 127.0.0.1 with an ephemeral port, and keys made through
//! the service: the owner's, a viewer's (read-only, and a full one for the same viewer, whose
//! role only reads), and a read-only key of the owner.
#![allow(dead_code)]

pub mod build;
pub mod pg;

/// Whether this run is CI (`CI` set and not `false`/`0`; `.ci/run` runs with `CI=true`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A service a test needs is missing (the test is `#[ignore]`d and was run with
/// `--include-ignored`): under CI this fails the test; elsewhere it prints `line` (one
/// `SKIPPED …` line) and the caller returns.
pub fn service_missing(line: &str) {
    assert!(
        !in_ci(),
        "a service test cannot run under CI=true: {}\nCI runs every service test (.ci/run starts \
         PostgreSQL and Mage and installs tmux)",
        line.trim()
    );
    eprintln!("{line}");
}

use gatehouse::backend::{PermissionSpec, RoleSpec};
use gatehouse::catalog::Catalogs;
use gatehouse::connect::{HttpBackend, LocalBackend};
use gatehouse::model::User;
use gatehouse::server::{RunningServer, ServerConfig};
use gatehouse::service::{Actor, Service};
use gatehouse::store::{PgStore, SqliteStore, Store};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Everything a server test needs.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub service: Arc<Service>,
    pub server: RunningServer,
    pub url: String,
    pub admin: User,
    pub admin_key: String,
    pub viewer: User,
    /// Read-only key of the viewer.
    pub viewer_key: String,
    /// Full key of the viewer (the viewer role only reads).
    pub reader_key: String,
    /// Read-only key of the owner.
    pub ro_admin_key: String,
    /// Drops the PostgreSQL schema (last: after the server and the service let go of it).
    pub pg: Option<pg::SchemaGuard>,
}

/// Which store a fixture's server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// A temp SQLite file.
    Sqlite,
    /// A fresh schema of `GATEHOUSE_TEST_DATABASE_URL`.
    Postgres,
}

/// Runs a test body, failing instead of hanging past `secs`.
pub async fn bounded<T>(secs: u64, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(secs), f).await {
        Ok(v) => v,
        Err(_) => panic!("the test took longer than {secs} s"),
    }
}

/// Starts a server on a fresh SQLite store.
pub async fn start(config: ServerConfig) -> Fixture {
    match start_on(StoreKind::Sqlite, config).await {
        Some(f) => f,
        None => panic!("an SQLite fixture always starts"),
    }
}

/// Starts a server on a fresh store of `kind`; `None` (after one SKIPPED line) for PostgreSQL
/// when `GATEHOUSE_TEST_DATABASE_URL` is not set.
pub async fn start_on(kind: StoreKind, config: ServerConfig) -> Option<Fixture> {
    start_wrapped(kind, config, |s| s).await
}

/// Like [`start_on`], with the store the service uses wrapped by `wrap` (e.g. in a
/// [`CountingStore`]).
pub async fn start_wrapped(
    kind: StoreKind,
    config: ServerConfig,
    wrap: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store>,
) -> Option<Fixture> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gatehouse.db");
    let (store, guard): (Arc<dyn Store>, _) = match kind {
        StoreKind::Sqlite => (
            Arc::new(SqliteStore::open(&path).await.expect("store")),
            None,
        ),
        StoreKind::Postgres => {
            let guard = pg::fresh()?;
            let store = PgStore::open_in_schema(&guard.url, &guard.schema)
                .await
                .expect("postgres store");
            (Arc::new(store), Some(guard))
        }
    };
    let location = match kind {
        StoreKind::Sqlite => path.display().to_string(),
        StoreKind::Postgres => store.describe(),
    };
    let store = wrap(store);
    let catalogs = Arc::new(Catalogs::builtin().expect("catalogs"));
    let service = Arc::new(Service::open(store, catalogs).await.expect("service"));
    service.init("admin").await.expect("init");
    let snap = service.snapshot();
    let admin = snap.state.user_by_name("admin").expect("admin").clone();
    let root = Actor::user(&admin, false);
    let viewer = build::create_user(&service, &root, "viewer").await;
    let role = service
        .create_role(
            &root,
            RoleSpec {
                name: "viewer".into(),
                description: "reads everything".into(),
            },
        )
        .await
        .expect("viewer role");
    let read_all = service
        .create_permission(
            &root,
            PermissionSpec {
                catalog: "gatehouse".into(),
                entity: "ALL".into(),
                grants: vec!["read".into()],
                ..Default::default()
            },
        )
        .await
        .expect("read-all permission");
    build::add_to_role(&service, &root, role.id, read_all.id).await;
    build::assign(&service, &root, viewer.id, role.id).await;
    let key = |user: &User, read_only: bool| {
        let service = service.clone();
        let root = root.clone();
        let id = user.id;
        async move {
            service
                .create_key(&root, id, read_only, None)
                .await
                .expect("key")
                .secret
        }
    };
    let admin_key = key(&admin, false).await;
    let ro_admin_key = key(&admin, true).await;
    let viewer_key = key(&viewer, true).await;
    let reader_key = key(&viewer, false).await;
    let config = ServerConfig { location, ..config };
    let server = gatehouse::server::spawn(
        service.clone(),
        &config,
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("server");
    let url = server.url();
    Some(Fixture {
        dir,
        service,
        server,
        url,
        admin,
        admin_key,
        viewer,
        viewer_key,
        reader_key,
        ro_admin_key,
        pg: guard,
    })
}

impl Fixture {
    /// A client with `key`.
    pub fn http(&self, key: &str) -> HttpBackend {
        HttpBackend::new(&self.url, key).expect("client")
    }

    /// The same service in process, acting as the owner: what the server must agree with.
    pub fn local(&self) -> LocalBackend {
        LocalBackend::new(
            self.service.clone(),
            Actor::user(&self.admin, false),
            "local",
        )
    }

    /// Opens the fixture's store again, as another process would (the SQLite file, or the
    /// PostgreSQL schema).
    pub async fn reopen_store(&self) -> Box<dyn Store> {
        match &self.pg {
            Some(g) => Box::new(
                PgStore::open_in_schema(&g.url, &g.schema)
                    .await
                    .expect("reopen postgres store"),
            ),
            None => Box::new(
                SqliteStore::open(&self.dir.path().join("gatehouse.db"))
                    .await
                    .expect("reopen sqlite store"),
            ),
        }
    }

    /// The current revision.
    pub fn revision(&self) -> u64 {
        self.service.snapshot().state.revision
    }

    /// `http://…/api/v1` + `path`.
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.url)
    }
}

/// A store that counts the reads a server makes of it: whole loads and revision reads.
pub struct CountingStore {
    inner: Arc<dyn Store>,
    /// [`Store::load`] calls.
    pub loads: AtomicU64,
    /// [`Store::revision`] calls.
    pub revisions: AtomicU64,
}

impl CountingStore {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Store>) -> Arc<CountingStore> {
        Arc::new(CountingStore {
            inner,
            loads: AtomicU64::new(0),
            revisions: AtomicU64::new(0),
        })
    }

    /// (loads, revision reads) so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.loads.load(Ordering::SeqCst),
            self.revisions.load(Ordering::SeqCst),
        )
    }
}

#[async_trait::async_trait]
impl Store for CountingStore {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn load(&self) -> gatehouse::store::StoreResult<gatehouse::policy::State> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load().await
    }
    async fn revision(&self) -> gatehouse::store::StoreResult<gatehouse::model::Revision> {
        self.revisions.fetch_add(1, Ordering::SeqCst);
        self.inner.revision().await
    }
    async fn commit(
        &self,
        actor: &str,
        changes: &[gatehouse::policy::Change],
    ) -> gatehouse::store::StoreResult<gatehouse::model::Revision> {
        self.inner.commit(actor, changes).await
    }
    async fn commit_at(
        &self,
        actor: &str,
        changes: &[gatehouse::policy::Change],
        base: gatehouse::model::Revision,
    ) -> gatehouse::store::StoreResult<gatehouse::model::Revision> {
        self.inner.commit_at(actor, changes, base).await
    }
    async fn audit(
        &self,
        query: &gatehouse::model::AuditQuery,
    ) -> gatehouse::store::StoreResult<Vec<gatehouse::model::AuditEvent>> {
        self.inner.audit(query).await
    }
    async fn touch_key(
        &self,
        id: gatehouse::model::Id,
        at: time::OffsetDateTime,
    ) -> gatehouse::store::StoreResult<()> {
        self.inner.touch_key(id, at).await
    }
    fn loaded(&self, state: &Arc<gatehouse::policy::State>) {
        self.inner.loaded(state);
    }
    fn watch(&self) -> Option<tokio::sync::watch::Receiver<gatehouse::model::Revision>> {
        self.inner.watch()
    }
}

/// Two backends on one store file, as the console and a CLI in another shell are.
pub async fn two_on_one_file(dir: &std::path::Path) -> (LocalBackend, LocalBackend) {
    let path = dir.join("live.db");
    let mut first = LocalBackend::open(&path, None, false).await.expect("open");
    first.init_and_adopt("root").await.expect("init");
    let console = LocalBackend::open(&path, None, false).await.expect("open");
    let cli = LocalBackend::open(&path, None, false).await.expect("open");
    (console, cli)
}
