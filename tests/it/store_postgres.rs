//! PostgreSQL-specific behaviour: migrations racing between replicas, commits from several
//! stores serialized on one revision counter, refusing a schema of another program; plus an
//! ignored timing run. The tests that need a server are `#[ignore = "needs PostgreSQL"]`: run
//! with `--include-ignored` and `GATEHOUSE_TEST_DATABASE_URL` set (each in a fresh schema,
//! dropped afterwards); without the variable they fail under CI and otherwise print one
//! SKIPPED line.

use crate::support::pg;

use gatehouse::model::AuditQuery;
use gatehouse::policy::{Change, Object};
use gatehouse::store::{PgStore, Store, StoreError};
use std::collections::BTreeSet;
use std::time::Instant;

use crate::support::build::{new_role as role, numbered_permission as permission};

/// A fresh schema (dropped with the guard), or `None` when PostgreSQL is not configured.
fn fresh() -> Option<(String, String, pg::SchemaGuard)> {
    let guard = pg::fresh()?;
    Some((guard.url.clone(), guard.schema.clone(), guard))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn replicas_opening_a_fresh_schema_together_all_migrate_once() {
    let Some((url, schema, _guard)) = fresh() else {
        return;
    };
    let opens = (0..4).map(|_| {
        let (url, schema) = (url.clone(), schema.clone());
        tokio::spawn(async move { PgStore::open_in_schema(&url, &schema).await })
    });
    let mut stores = Vec::new();
    for h in opens.collect::<Vec<_>>() {
        stores.push(h.await.expect("join").expect("every replica opens"));
    }
    for s in &stores {
        assert_eq!(s.schema_version().await.expect("version"), 3);
        assert_eq!(s.revision().await.expect("revision"), 0);
    }
    // The URL form picks the same schema.
    let again = PgStore::open(&pg::url_in_schema(&url, &schema))
        .await
        .expect("open by URL");
    assert_eq!(again.revision().await.expect("revision"), 0);
    assert!(again.describe().starts_with("postgres://"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL"]
async fn commits_from_several_stores_never_lose_a_revision() {
    let Some((url, schema, _guard)) = fresh() else {
        return;
    };
    let a = PgStore::open_in_schema(&url, &schema).await.expect("a");
    let b = PgStore::open_in_schema(&url, &schema).await.expect("b");
    let writer = |s: PgStore, tag: &'static str| {
        tokio::spawn(async move {
            let mut revs = Vec::new();
            for i in 0..25 {
                let r = role(&format!("{tag}-{i}"));
                revs.push(
                    s.commit(tag, &[Change::Create(Object::Role(r))])
                        .await
                        .expect("commit"),
                );
            }
            revs
        })
    };
    let (ra, rb) = tokio::join!(writer(a, "a"), writer(b, "b"));
    let mut all: Vec<u64> = ra.expect("a").into_iter().chain(rb.expect("b")).collect();
    all.sort();
    assert_eq!(
        all,
        (1..=50).collect::<Vec<u64>>(),
        "each commit its own revision"
    );
    let s = PgStore::open_in_schema(&url, &schema)
        .await
        .expect("reader");
    assert_eq!(s.revision().await.expect("revision"), 50);
    assert_eq!(s.load().await.expect("load").roles.len(), 50);
    let audit = s.audit(&AuditQuery::default()).await.expect("audit");
    let revs: BTreeSet<u64> = audit.iter().map(|e| e.revision).collect();
    assert_eq!(audit.len(), 50);
    assert_eq!(revs.len(), 50);
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_schema_holding_another_programs_tables_is_refused() {
    let Some((url, schema, _guard)) = fresh() else {
        return;
    };
    {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
        sqlx::raw_sql(&format!(
            "CREATE SCHEMA \"{schema}\"; CREATE TABLE \"{schema}\".users (id int)"
        ))
        .execute(&mut conn)
        .await
        .expect("foreign table");
    }
    match PgStore::open_in_schema(&url, &schema).await {
        Err(StoreError::Corrupt(m)) => assert!(m.contains("another program"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_server_is_a_database_error_without_the_password() {
    // Needs no PostgreSQL server: nothing listens on port 1.
    match PgStore::open("postgres://u:s3cret@127.0.0.1:1/none").await {
        Err(StoreError::Database(m)) => {
            assert!(m.contains("postgres://u:***@127.0.0.1:1/none"), "{m}");
            assert!(!m.contains("s3cret"), "{m}");
        }
        other => panic!("expected a database error, got {other:?}"),
    }
}

/// `GATEHOUSE_TEST_DATABASE_URL=… cargo test --release --test it store_postgres::timing -- --ignored
/// --nocapture`: the figures to compare with `store_sqlite::timing`'s.
#[tokio::test]
#[ignore = "timing run, not a check: cargo test --release --test it store_postgres::timing -- --ignored --nocapture"]
async fn timing_100k_permission_creates() {
    let Some((url, schema, _guard)) = fresh() else {
        return;
    };
    let store = PgStore::open_in_schema(&url, &schema).await.expect("open");
    let changes: Vec<Change> = (0..100_000)
        .map(|i| Change::Create(Object::Permission(permission(i))))
        .collect();
    let t = Instant::now();
    store.commit("bench", &changes).await.expect("commit");
    let commit = t.elapsed();
    let t = Instant::now();
    let state = store.load().await.expect("load");
    let load = t.elapsed();
    assert_eq!(state.permissions.len(), 100_000);
    eprintln!("postgres: commit of 100k permission creates: {commit:?}; load of 100k: {load:?}");
    let t = Instant::now();
    let r = role("timing");
    store
        .commit("bench", &[Change::Create(Object::Role(r))])
        .await
        .expect("small commit");
    eprintln!(
        "postgres: one small commit on a 100k store: {:?}",
        t.elapsed()
    );
}

/// A schema of version 2 (before links' ends) opens: the migration adds the ends, every link
/// is kept without one, and ends are written and read from then on.
#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_schema_2_store_keeps_its_links_and_gains_link_ends() {
    let Some((url, schema, _guard)) = fresh() else {
        return;
    };
    let ids = [(); 4].map(|()| uuid::Uuid::now_v7());
    {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
        let [u, r, t, p] = ids.map(|id| format!("'{id}'"));
        let setup = format!(
            "CREATE SCHEMA \"{schema}\"; SET search_path TO \"{schema}\";
             {}
             CREATE TABLE gatehouse_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
             INSERT INTO gatehouse_migrations (version, name)
                 VALUES (1, 'initial'), (2, 'mage_fields');
             INSERT INTO users VALUES ({u}, 'old', 'old', '', 'Old', 'person', false, false,
                 now(), now(), 1);
             INSERT INTO roles VALUES ({r}, 'reader', '', now(), now(), 1);
             INSERT INTO teams VALUES ({t}, 'ops', 'Ops', '', NULL, now(), now(), 1);
             INSERT INTO permissions VALUES ({p}, 'mage', 'Pipeline', NULL, '{{LIST}}', '{{}}',
                 '{{}}', '{{}}', '{{}}', '{{}}', '', now(), now(), 1);
             INSERT INTO role_permissions VALUES ({r}, {p});
             INSERT INTO user_roles VALUES ({u}, {r});
             INSERT INTO team_roles VALUES ({t}, {r});
             INSERT INTO team_members VALUES ({t}, {u}, {r});
             INSERT INTO grants VALUES ({u}, NULL, {p}), (NULL, {t}, {p});
             UPDATE meta SET value = 7 WHERE name = 'revision';
             {}",
            include_str!("../../src/store/postgres/migrations/0001_initial.sql"),
            include_str!("../../src/store/postgres/migrations/0002_mage_fields.sql"),
        );
        sqlx::raw_sql(&setup)
            .execute(&mut conn)
            .await
            .expect("schema 2");
        conn.close().await.expect("close");
    }
    let store = PgStore::open_in_schema(&url, &schema)
        .await
        .expect("migrates");
    assert_eq!(store.schema_version().await.expect("version"), 3);
    crate::store_conformance::ends::migrated_links_kept_and_ends_from_now_on(&store, ids, 7).await;
}
