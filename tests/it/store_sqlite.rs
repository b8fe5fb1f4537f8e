//! SQLite-specific behaviour: file permissions, connection settings, refusing foreign files,
//! schema versions, reopening; plus an ignored timing run.

use gatehouse::model::AuditQuery;
use gatehouse::policy::{Change, Link, Object};
use gatehouse::store::{SqliteStore, Store, StoreError};
use sqlx::{ConnectOptions, Connection};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Instant;

use crate::support::build::{
    new_role as role, new_user as user, numbered_permission as permission,
};

async fn raw(path: &Path) -> sqlx::SqliteConnection {
    sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .connect()
        .await
        .expect("raw connection")
}

/// A raw connection to a new SQLite file at `path`.
async fn raw_new(path: &Path) -> sqlx::SqliteConnection {
    sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .connect()
        .await
        .expect("create")
}

fn corrupt_message(r: Result<SqliteStore, StoreError>) -> String {
    match r {
        Err(StoreError::Corrupt(msg)) => msg,
        Err(other) => panic!("expected Corrupt, got {other:?}"),
        Ok(_) => panic!("expected Corrupt, the store opened"),
    }
}

#[tokio::test]
async fn creates_file_and_directory_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nested/deeper/gatehouse.db");
    let store = SqliteStore::open(&path).await.expect("open");
    let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "db file mode {mode:o}");
    let dir_mode = std::fs::metadata(path.parent().expect("parent"))
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o700, "directory mode {dir_mode:o}");
    store
        .commit("t", &[Change::Create(Object::Role(role("r")))])
        .await
        .expect("commit");
    let wal = path.with_file_name("gatehouse.db-wal");
    if let Ok(meta) = std::fs::metadata(&wal) {
        assert_eq!(meta.permissions().mode() & 0o077, 0, "wal file is private");
    }
    assert_eq!(store.describe(), format!("sqlite:{}", path.display()));
}

#[tokio::test]
async fn connection_settings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("g.db");
    let store = SqliteStore::open(&path).await.expect("open");
    let s = store.settings().await.expect("settings");
    assert_eq!(s.journal_mode, "wal");
    assert!(s.foreign_keys);
    assert_eq!(s.synchronous, 2, "synchronous=FULL");
    assert_eq!(s.busy_timeout_ms, 5000);
    assert_eq!(s.schema_version, 3);
    // WAL is persistent: a fresh connection sees it too.
    let mut conn = raw(&path).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .expect("pragma");
    assert_eq!(mode, "wal");
}

/// A new store gets 16 KiB pages; a store created with SQLite's 4 KiB pages (an earlier
/// gatehouse) keeps them and works as before.
#[tokio::test]
async fn new_stores_use_16k_pages_and_old_ones_keep_theirs() {
    let page_size = async |path: &Path| -> i64 {
        let mut conn = raw(path).await;
        sqlx::query_scalar("PRAGMA page_size")
            .fetch_one(&mut conn)
            .await
            .expect("pragma")
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let new = dir.path().join("new.db");
    drop(SqliteStore::open(&new).await.expect("open"));
    assert_eq!(page_size(&new).await, 16_384);

    let old = dir.path().join("old.db");
    {
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&old)
            .create_if_missing(true)
            .page_size(4096)
            .connect()
            .await
            .expect("create with 4 KiB pages");
        // The first write fixes the page size (here gatehouse's file mark, as an earlier
        // gatehouse wrote it when it created its store).
        sqlx::query("PRAGMA application_id = 1197569125")
            .execute(&mut conn)
            .await
            .expect("pragma");
    }
    assert_eq!(page_size(&old).await, 4096);
    let store = SqliteStore::open(&old).await.expect("open the 4 KiB store");
    let changes = vec![Change::Create(Object::Role(role("kept")))];
    let rev = store.commit("t", &changes).await.expect("commit");
    let state = store.load().await.expect("load");
    assert_eq!(state.revision, rev);
    assert_eq!(state.roles.len(), 1);
    drop(store);
    assert_eq!(page_size(&old).await, 4096, "the file keeps its page size");
}

#[tokio::test]
async fn refuses_a_file_that_is_not_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.txt");
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, bytes).expect("write");
    let msg = corrupt_message(SqliteStore::open(&path).await);
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("not a gatehouse store"), "{msg}");
}

#[tokio::test]
async fn refuses_another_programs_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("other.db");
    let mut conn = raw_new(&path).await;
    sqlx::query("CREATE TABLE songs (title TEXT)")
        .execute(&mut conn)
        .await
        .expect("create table");
    conn.close().await.expect("close");
    let msg = corrupt_message(SqliteStore::open(&path).await);
    assert!(msg.contains("not a gatehouse store"), "{msg}");
}

#[tokio::test]
async fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("g.db");
    drop(SqliteStore::open(&path).await.expect("open"));
    let mut conn = raw(&path).await;
    sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'x', 0)")
        .execute(&mut conn)
        .await
        .expect("insert");
    conn.close().await.expect("close");
    let msg = corrupt_message(SqliteStore::open(&path).await);
    assert_eq!(
        msg,
        "store schema version 99 is newer than this gatehouse (3); upgrade gatehouse"
    );
}

#[tokio::test]
async fn migrations_run_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("g.db");
    drop(SqliteStore::open(&path).await.expect("open"));
    drop(SqliteStore::open(&path).await.expect("open again"));
    let _both = (
        SqliteStore::open(&path).await.expect("open a third time"),
        SqliteStore::open(&path).await.expect("and concurrently"),
    );
    let mut conn = raw(&path).await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM schema_migrations")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    assert_eq!(n, 3, "one row per migration");
}

#[tokio::test]
async fn reopen_keeps_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("g.db");
    let (r, u, p) = (role("r"), user("Üser"), permission(1));
    let store = SqliteStore::open(&path).await.expect("open");
    store
        .commit(
            "alice",
            &[
                Change::Create(Object::Role(r.clone())),
                Change::Create(Object::User(u.clone())),
                Change::Create(Object::Permission(p.clone())),
                Change::Link(Link::UserRole {
                    user: u.id,
                    role: r.id,
                }),
                Change::Link(Link::RolePermission {
                    role: r.id,
                    permission: p.id,
                }),
            ],
        )
        .await
        .expect("commit");
    let state = store.load().await.expect("load");
    let audit = store.audit(&AuditQuery::default()).await.expect("audit");
    drop(store);
    let store = SqliteStore::open(&path).await.expect("reopen");
    assert_eq!(store.load().await.expect("load"), state);
    assert_eq!(
        store.audit(&AuditQuery::default()).await.expect("audit"),
        audit
    );
    assert_eq!(store.revision().await, Ok(1));
    assert_eq!(
        store
            .load()
            .await
            .expect("load")
            .user_by_name("üSER")
            .map(|x| x.id),
        Some(u.id)
    );
}

#[tokio::test]
async fn two_stores_on_one_file_serialize_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("g.db");
    let a = SqliteStore::open(&path).await.expect("open a");
    let b = SqliteStore::open(&path).await.expect("open b");
    let writes = |s: SqliteStore, tag: &'static str| async move {
        for i in 0..20 {
            let r = role(&format!("{tag}{i}"));
            s.commit(tag, &[Change::Create(Object::Role(r))])
                .await
                .expect("commit");
        }
        s
    };
    let (a, _b) = tokio::join!(writes(a, "a"), writes(b, "b"));
    assert_eq!(a.revision().await, Ok(40));
    assert_eq!(a.load().await.expect("load").roles.len(), 40);
}

/// `cargo test --release --test it store_sqlite::timing -- --ignored --nocapture` (set
/// `GATEHOUSE_TIMING_1M=1` to also grow the store to a million permissions and load them).
#[tokio::test]
#[ignore = "timing run, not a check: cargo test --release --test it store_sqlite::timing -- --ignored --nocapture"]
async fn timing_100k_permission_creates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("g.db");
    let store = SqliteStore::open(&path).await.expect("open");
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
    eprintln!("commit of 100k permission creates: {commit:?}; load of 100k: {load:?}");
    if std::env::var_os("GATEHOUSE_TIMING_1M").is_none() {
        return;
    }
    // Grow to 1M and load again.
    for _ in 0..9 {
        let changes: Vec<Change> = (0..100_000)
            .map(|i| Change::Create(Object::Permission(permission(i))))
            .collect();
        store.commit("bench", &changes).await.expect("commit");
    }
    let t = Instant::now();
    let state = store.load().await.expect("load");
    eprintln!("load of 1M permissions: {:?}", t.elapsed());
    assert_eq!(state.permissions.len(), 1_000_000);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!("file size: {} MiB", size / (1 << 20));
}

/// A store made by a gatehouse before Mage's fields (schema 1) opens: the migration adds the
/// columns, its rows read back with empty names and no creator, entity type or scope, and the
/// new fields are written and read from then on.
#[tokio::test]
async fn a_schema_1_store_gains_mage_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.db");
    {
        let mut conn = raw_new(&path).await;
        let uid = uuid::Uuid::now_v7();
        let pid = uuid::Uuid::now_v7();
        let setup = format!(
            "{}
             CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                 applied_at INTEGER NOT NULL) STRICT;
             INSERT INTO schema_migrations VALUES (1, 'initial', 0);
             PRAGMA application_id = 1197569125;
             INSERT INTO users VALUES (x'{}', 'old', 'old', '', 'Old Timer', 'person', 0, 0,
                 0, 0, 1);
             INSERT INTO permissions VALUES (x'{}', 'mage', 'Pipeline', NULL, '[\"LIST\"]',
                 '[]', '[]', '[]', '[]', '[]', '', 0, 0, 1);",
            include_str!("../../src/store/sqlite/migrations/0001_initial.sql"),
            uid.simple(),
            pid.simple()
        );
        sqlx::raw_sql(&setup)
            .execute(&mut conn)
            .await
            .expect("schema 1");
        conn.close().await.expect("close");
    }
    let store = SqliteStore::open(&path).await.expect("migrates");
    assert_eq!(store.settings().await.expect("settings").schema_version, 3);
    let state = store.load().await.expect("load");
    let u = state.user_by_name("old").expect("user").clone();
    assert_eq!(
        (
            u.display_name.as_str(),
            u.first_name.as_str(),
            u.last_name.as_str()
        ),
        ("Old Timer", "", "")
    );
    let p = state.permissions.values().next().expect("permission");
    assert_eq!(
        (&p.entity_type, &p.scope, p.created_by),
        (&None, &None, None)
    );
    let changed = gatehouse::model::User {
        first_name: "Ada".into(),
        last_name: "King Lovelace".into(),
        version: 2,
        ..u.clone()
    };
    let p2 = gatehouse::model::Permission {
        entity_type: Some("python".into()),
        scope: Some("pipeline".into()),
        created_by: Some(u.id),
        version: 2,
        ..p.clone()
    };
    store
        .commit(
            "t",
            &[
                Change::Update {
                    object: Object::User(changed.clone()),
                    expected_version: 1,
                },
                Change::Update {
                    object: Object::Permission(p2.clone()),
                    expected_version: 1,
                },
            ],
        )
        .await
        .expect("commit");
    drop(store);
    let again = SqliteStore::open(&path).await.expect("reopen");
    let state = again.load().await.expect("load");
    assert_eq!(state.users.get(&u.id), Some(&changed));
    assert_eq!(state.permissions.get(&p.id), Some(p2));
}

/// A store of schema 2 (before links' ends) opens: the migration adds the ends, every link is
/// kept without one, and ends are written and read from then on.
#[tokio::test]
async fn a_schema_2_store_keeps_its_links_and_gains_link_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v2.db");
    let ids = [(); 4].map(|()| uuid::Uuid::now_v7());
    {
        let mut conn = raw_new(&path).await;
        let [u, r, t, p] = ids.map(|id| format!("x'{}'", id.simple()));
        let setup = format!(
            "{}
             CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                 applied_at INTEGER NOT NULL) STRICT;
             INSERT INTO schema_migrations VALUES (1, 'initial', 0), (2, 'mage_fields', 0);
             PRAGMA application_id = 1197569125;
             INSERT INTO users VALUES ({u}, 'old', 'old', '', 'Old', 'person', 0, 0, 0, 0, 1);
             INSERT INTO roles VALUES ({r}, 'reader', '', 0, 0, 1);
             INSERT INTO teams VALUES ({t}, 'ops', 'Ops', '', NULL, 0, 0, 1);
             INSERT INTO permissions VALUES ({p}, 'mage', 'Pipeline', NULL, '[\"LIST\"]',
                 '[]', '[]', '[]', '[]', '[]', '', 0, 0, 1);
             INSERT INTO role_permissions VALUES ({r}, {p});
             INSERT INTO user_roles VALUES ({u}, {r});
             INSERT INTO team_roles VALUES ({t}, {r});
             INSERT INTO team_members VALUES ({t}, {u}, {r});
             INSERT INTO grants VALUES ({u}, NULL, {p}), (NULL, {t}, {p});
             UPDATE meta SET value = 7 WHERE name = 'revision';
             {}",
            include_str!("../../src/store/sqlite/migrations/0001_initial.sql"),
            include_str!("../../src/store/sqlite/migrations/0002_mage_fields.sql"),
        );
        sqlx::raw_sql(&setup)
            .execute(&mut conn)
            .await
            .expect("schema 2");
        conn.close().await.expect("close");
    }
    let store = SqliteStore::open(&path).await.expect("migrates");
    assert_eq!(store.settings().await.expect("settings").schema_version, 3);
    crate::store_conformance::ends::migrated_links_kept_and_ends_from_now_on(&store, ids, 7).await;
    drop(store);
    let again = SqliteStore::open(&path).await.expect("reopen");
    let st = again.load().await.expect("load");
    assert_eq!(st.expiries.len(), 1, "the grant's end, kept on disk");
    assert_eq!(st.revision, 9);
}
