//! Several `gatehouse serve` replicas on one store (docs/PRODUCT.md §3, issue 6): each keeps its own
//! in-memory index; a write on one reaches the others' index without a restart, and a check
//! that names a revision (`at_least_revision`) is never answered from an older index.
//!
//! The body runs over any store factory: two SQLite stores on one file here (a server and the
//! CLI share a file the same way); PostgreSQL replicas join when that store lands.

use crate::support;
use crate::support::build;

use gatehouse::backend::Backend;
use gatehouse::backend::PermissionSpec;
use gatehouse::catalog::Catalogs;
use gatehouse::connect::HttpBackend;
use gatehouse::engine::Request;
use gatehouse::policy::Link;
use gatehouse::server::ServerConfig;
use gatehouse::service::{Actor, Service};
use gatehouse::store::{SqliteStore, Store};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::bounded;

async fn replica(store: Arc<dyn Store>) -> (Arc<Service>, gatehouse::server::RunningServer) {
    let catalogs = Arc::new(Catalogs::builtin().expect("catalogs"));
    let service = Arc::new(Service::open(store, catalogs).await.expect("service"));
    let server = gatehouse::server::spawn(
        service.clone(),
        &ServerConfig::default(),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("server");
    (service, server)
}

/// Polls `f` until it is true or `secs` pass.
async fn eventually<F: Future<Output = bool>>(secs: u64, mut f: impl FnMut() -> F) -> bool {
    let until = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < until {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

async fn two_replicas_stay_consistent(a_store: Arc<dyn Store>, b_store: Arc<dyn Store>) {
    let (a, a_srv) = replica(a_store).await;
    a.init("admin").await.expect("init");
    let admin = a
        .snapshot()
        .state
        .user_by_name("admin")
        .expect("admin")
        .clone();
    let root = Actor::user(&admin, false);
    let alice = build::create_user(&a, &root, "alice").await;
    let role = build::create_role(&a, &root, "Pipeline editors").await;
    let p = a
        .create_permission(
            &root,
            PermissionSpec {
                catalog: "mage".into(),
                entity: "Pipeline".into(),
                grants: vec!["UPDATE".into()],
                ..Default::default()
            },
        )
        .await
        .expect("permission");
    build::add_to_role(&a, &root, role.id, p.id).await;
    build::assign(&a, &root, alice.id, role.id).await;
    let key = a
        .create_key(&root, admin.id, false, None)
        .await
        .expect("key")
        .secret;

    // B starts after A's writes and reads them at open.
    let (b, b_srv) = replica(b_store).await;
    let on_a = HttpBackend::new(&a_srv.url(), &key).expect("client A");
    let on_b = HttpBackend::new(&b_srv.url(), &key).expect("client B");
    let req = Request {
        at: None,
        user: alice.id,
        catalog: "mage".into(),
        action: "UPDATE".into(),
        entity: "Pipeline".into(),
        entity_uuid: Some("example_pipeline".into()),
        resource_owner: None,
        resource_team: None,
        attribute: None,
    };
    assert!(on_b.explain(req.clone()).await.expect("check on B").allowed);

    // Revoke on A (through A's API); a check on B naming A's revision is denied at once.
    let revision = on_a
        .unlink(Link::UserRole {
            user: alice.id,
            role: role.id,
        })
        .await
        .expect("revoke on A");
    let fresh_b = HttpBackend::new(&b_srv.url(), &key).expect("client B");
    let answer = fresh_b
        .check_at(req.clone(), revision)
        .await
        .expect("check on B at A's revision");
    assert!(
        !answer.allowed,
        "B answered from an index older than revision {revision}"
    );

    // Without anyone naming a revision, B's own index follows A's next write by itself.
    let regranted = on_a
        .link(Link::UserRole {
            user: alice.id,
            role: role.id,
        })
        .await
        .expect("grant again on A");
    let followed = eventually(10, || {
        let b = b.clone();
        async move { b.snapshot().state.revision >= regranted }
    })
    .await;
    assert!(followed, "B's index never reached revision {regranted}");
    assert!(on_b.explain(req).await.expect("check on B").allowed);

    // A revision nobody reached is refused with a clear error, never guessed.
    let e = fresh_b
        .check_at(
            build::request(alice.id, "mage", "UPDATE", "Pipeline"),
            revision + 1000,
        )
        .await
        .expect_err("a future revision");
    assert!(e.to_string().contains("not reached"), "{e}");
    a_srv.shutdown().await.expect("stop A");
    b_srv.shutdown().await.expect("stop B");
}

#[tokio::test]
async fn sqlite_replicas_on_one_file() {
    bounded(60, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("g.db");
        let a = SqliteStore::open(&path).await.expect("A");
        let b = SqliteStore::open(&path).await.expect("B");
        two_replicas_stay_consistent(Arc::new(a), Arc::new(b)).await;
    })
    .await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_replicas_on_one_database() {
    let Some(guard) = support::pg::fresh() else {
        return;
    };
    bounded(60, async {
        let db = guard.db();
        let (a, b) = tokio::join!(
            gatehouse::store::PgStore::open(&db),
            gatehouse::store::PgStore::open(&db)
        );
        let (a, b) = (a.expect("replica A's store"), b.expect("replica B's store"));
        two_replicas_stay_consistent(Arc::new(a), Arc::new(b)).await;
    })
    .await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_postgres_commit_is_announced_to_other_stores() {
    let Some(guard) = support::pg::fresh() else {
        return;
    };
    bounded(30, async {
        let db = guard.db();
        let a = gatehouse::store::PgStore::open(&db).await.expect("A");
        let b = gatehouse::store::PgStore::open(&db).await.expect("B");
        let mut feed = b.watch().expect("PostgreSQL stores announce revisions");
        // Give B's LISTEN a moment to be in place before A commits.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let rev = a
            .commit(
                "tester",
                &[gatehouse::policy::Change::Create(
                    gatehouse::policy::Object::Role(support::build::new_role("announced")),
                )],
            )
            .await
            .expect("commit on A");
        let heard = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if *feed.borrow_and_update() >= rev {
                    return;
                }
                if feed.changed().await.is_err() {
                    panic!("B's feed closed");
                }
            }
        })
        .await;
        assert!(heard.is_ok(), "B never heard of revision {rev}");
        // A failed commit announces nothing (NOTIFY is transactional).
        let failed = a
            .commit(
                "tester",
                &[gatehouse::policy::Change::Link(Link::UserRole {
                    user: gatehouse::model::new_id(),
                    role: gatehouse::model::new_id(),
                })],
            )
            .await;
        assert!(failed.is_err());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(*feed.borrow(), rev);
    })
    .await;
}
