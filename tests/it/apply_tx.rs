//! `Backend::apply_changes` on the stores: a plan's changes land as one transaction (a change
//! that fails in the middle leaves the store exactly as before), only at the revision the plan
//! was computed from (`Some(base)`), or over whatever is there (`None`, `--force`). On SQLite
//! and PostgreSQL (ignored: "needs PostgreSQL").

use crate::support::pg;
use gatehouse::backend::plan::plan;
use gatehouse::backend::{Backend, Error, PolicyDoc, RoleSpec};
use gatehouse::connect::LocalBackend;
use gatehouse::model::{Id, Role, new_id, now};
use gatehouse::policy::{Change, Link, Object};
use gatehouse::store::{PgStore, SqliteStore, Store};
use std::sync::Arc;

const DOC: &str = r#"
[[users]]
username = "alice"
roles = ["readers"]

[[roles]]
name = "readers"
permissions = ["read-users"]

[[permissions]]
key = "read-users"
catalog = "gatehouse"
entity = "User"
grants = ["read"]
"#;

fn role(name: &str) -> Role {
    let t = now();
    Role {
        id: new_id(),
        name: name.into(),
        description: String::new(),
        created_by: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

/// Two roles, then a link to a role that does not exist (the store refuses it: the third
/// change fails inside the transaction), then a fourth role.
async fn fails_in_the_middle(b: &dyn Backend) {
    let before = b.export().await.expect("export");
    let rev = b.state().await.expect("state").revision;
    let a = role("apply-a");
    let changes = vec![
        Change::Create(Object::Role(a.clone())),
        Change::Create(Object::Role(role("apply-b"))),
        Change::Link(Link::RolePermission {
            role: a.id,
            permission: Id::from_u128(7),
        }),
        Change::Create(Object::Role(role("apply-c"))),
    ];
    let err = b.apply_changes(changes, Some(rev)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotFound { .. } | Error::Conflict(_) | Error::Invalid { .. }
        ),
        "{err:?}"
    );
    let state = b.state().await.expect("state");
    assert_eq!(state.revision, rev, "a failed apply moved the revision");
    assert!(state.role_by_name("apply-a").is_none(), "half applied");
    assert_eq!(before, b.export().await.expect("export"));
}

/// A plan computed, another writer moves the store, the plan refused at its base revision
/// (nothing written) and applied with `None`.
async fn moved_is_refused_unless_forced(b: &dyn Backend, other: &dyn Backend) {
    let doc = PolicyDoc::from_toml(DOC).expect("doc");
    let state = b.state().await.expect("state");
    let catalogs = b.catalogs().await.expect("catalogs");
    let p = plan(&state, &doc, &catalogs, false).expect("plan");
    assert_eq!(p.changes.len(), 5);
    other
        .create_role(RoleSpec {
            name: "moved".into(),
            description: String::new(),
        })
        .await
        .expect("other writer");
    let err = b
        .apply_changes(p.changes.clone(), Some(state.revision))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Stale { .. }), "{err:?}");
    let now = b.state().await.expect("state");
    assert!(now.user_by_name("alice").is_none(), "a stale apply wrote");
    let rev = b.apply_changes(p.changes, None).await.expect("forced");
    let after = b.state().await.expect("state");
    assert_eq!(after.revision, rev);
    assert!(after.user_by_name("alice").is_some());
    assert!(after.role_by_name("moved").is_some());
    // Applied, the document plans nothing.
    let again = plan(&after, &doc, &catalogs, false).expect("plan");
    assert!(again.is_empty(), "{:?}", again.items);
}

/// Two backends on one database (two processes): the first initialized.
async fn pair(s1: Arc<dyn Store>, s2: Arc<dyn Store>) -> (LocalBackend, LocalBackend) {
    let a = LocalBackend::with_store(s1, "a".into(), None, false)
        .await
        .expect("open a");
    a.init("root").await.expect("init");
    let b = LocalBackend::with_store(s2, "b".into(), None, false)
        .await
        .expect("open b");
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_applies_all_or_nothing_at_the_planned_revision() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("g.db");
    let s1: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open"));
    let s2: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open"));
    let (a, b) = pair(s1, s2).await;
    fails_in_the_middle(&a).await;
    moved_is_refused_unless_forced(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn postgres_applies_all_or_nothing_at_the_planned_revision() {
    let Some(guard) = pg::fresh() else {
        return;
    };
    let s1: Arc<dyn Store> = Arc::new(PgStore::open(&guard.db()).await.expect("open"));
    let s2: Arc<dyn Store> = Arc::new(PgStore::open(&guard.db()).await.expect("open"));
    let (a, b) = pair(s1, s2).await;
    fails_in_the_middle(&a).await;
    moved_is_refused_unless_forced(&a, &b).await;
}

/// Through a server (`POST /apply`, one request): the same, a store under a server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_applies_all_or_nothing_at_the_planned_revision() {
    crate::support::bounded(120, async {
        let f = crate::support::start(gatehouse::server::ServerConfig::default()).await;
        let a = gatehouse::connect::HttpBackend::new(&f.url, &f.admin_key).expect("client a");
        let b = gatehouse::connect::HttpBackend::new(&f.url, &f.admin_key).expect("client b");
        fails_in_the_middle(&a).await;
        moved_is_refused_unless_forced(&a, &b).await;
        // A viewer's key may not apply anything.
        let v = gatehouse::connect::HttpBackend::new(&f.url, &f.reader_key).expect("viewer");
        let err = v
            .apply_changes(vec![Change::Create(Object::Role(role("v")))], None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    })
    .await;
}
