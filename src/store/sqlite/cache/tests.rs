//! A load through the cache must equal a load from the tables, and a cache that is not for
//! the current revision, or does not decode, must never be used.

use super::super::fixture::{changes, store, tamper};
use super::*;
use crate::model::{Id, now};
use crate::store::Store;
use crate::store::sqlite::SqliteStore;
use std::time::Duration;

/// The cache row as stored: (revision, format, data).
async fn row(store: &SqliteStore) -> Option<(i64, i64, Vec<u8>)> {
    sqlx::query_as("SELECT revision, format, data FROM load_cache")
        .fetch_optional(&store.readers)
        .await
        .expect("read the cache row")
}

/// A load, then what the service does with it: hands it back (`Store::loaded`), which caches
/// a load that read the tables.
async fn load(store: &SqliteStore, what: &str) -> State {
    let st = Arc::new(store.load().await.expect(what));
    store.loaded(&st);
    Arc::unwrap_or_clone(st)
}

/// What a load at `revision` reads from the cache (`None`: nothing usable).
async fn read_cache(store: &SqliteStore, revision: Revision) -> Option<State> {
    let mut tx = store.readers.begin().await.expect("begin");
    read(&mut tx, revision).await.expect("read the cache")
}

/// Waits for the background write of a usable cache for `revision`.
async fn cached_at(store: &SqliteStore, revision: Revision) {
    let want = i64::try_from(revision).expect("small revision");
    for _ in 0..500 {
        let header = row(store)
            .await
            .is_some_and(|(rev, f, _)| rev == want && f == FORMAT);
        if header && read_cache(store, revision).await.is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the cache for revision {revision} was never written");
}

/// Encodes and decodes `st`.
fn round_trip(st: &State) -> StoreResult<State> {
    let (header, parts) = encode(st)?;
    decode(&header, &parts)
}

/// `st` as a cache load gives it back: no API keys, revision 0.
fn as_cached(mut st: State) -> State {
    st.keys.clear();
    st.revision = 0;
    st.reindex();
    st
}

/// A store holding the odd fixture data, and the reference state for it.
async fn filled() -> (tempfile::TempDir, SqliteStore, State) {
    let changes = changes();
    let mut want = State::default();
    want.apply_committed(&changes).expect("reference apply");
    let (dir, store) = store().await;
    want.revision = store.commit("t", &changes).await.expect("commit");
    (dir, store, want)
}

#[test]
fn encode_decode_round_trips() {
    let mut st = State::default();
    st.apply_committed(&changes()).expect("apply");
    let mut back = round_trip(&st).expect("round trip");
    back.reindex();
    assert!(!st.keys.is_empty(), "the fixture has API keys");
    assert_eq!(back, as_cached(st));
}

/// A state with more permissions and links than one part holds.
fn large() -> State {
    let t = now();
    let permissions = (0..40_000u128)
        .map(|i| crate::model::Permission {
            id: Id::from_u128(i + 1),
            catalog: "mage".into(),
            entity: ["Pipeline", "Block"][i as usize % 2].into(),
            entity_uuid: Some(format!("object-{i}")),
            grants: vec!["DETAIL".into()],
            denies: vec![],
            conditions: vec![],
            query_attributes: vec![],
            read_attributes: vec![],
            write_attributes: vec![],
            description: if i % 1000 == 0 {
                "rare".into()
            } else {
                String::new()
            },
            created_at: t,
            updated_at: t,
            version: 1,
            created_by: None,
            entity_type: None,
            scope: None,
        })
        .collect();
    let mut st = State {
        permissions,
        ..State::default()
    };
    let role = Id::from_u128(1 << 100);
    st.roles.insert(
        role,
        crate::model::Role {
            id: role,
            name: "bulk".into(),
            description: String::new(),
            created_at: t,
            updated_at: t,
            version: 1,
            created_by: None,
        },
    );
    st.role_permissions = st.permissions.keys().map(|p| (role, *p)).collect();
    st.reindex();
    st
}

#[test]
fn a_large_state_travels_in_parts_and_comes_back_whole() {
    let st = large();
    let (header, parts) = encode(&st).expect("encode");
    let perm_parts = parts.iter().filter(|p| p.kind == parts::Kind::Permissions);
    assert_eq!(
        perm_parts.count(),
        3,
        "40,000 permissions in parts of 16,384"
    );
    assert_eq!(header.parts, parts.len() as u64);
    let mut back = decode(&header, &parts).expect("decode");
    back.reindex();
    assert_eq!(back, as_cached(st));
}

#[test]
fn garbage_and_missing_parts_do_not_decode() {
    let st = large();
    let (header, parts) = encode(&st).expect("encode");
    // A part missing, repeated or cut short; noise; a kind that does not exist.
    let mut missing = parts.clone();
    missing.remove(1);
    assert!(decode(&header, &missing).is_err(), "a part missing");
    let mut repeated = parts.clone();
    repeated.push(parts[1].clone());
    assert!(decode(&header, &repeated).is_err(), "a part twice");
    let mut cut = parts.clone();
    let len = cut[1].data.len();
    cut[1].data.truncate(len / 2);
    assert!(decode(&header, &cut).is_err(), "a part cut short");
    let mut longer = parts.clone();
    longer[1].data.push(0);
    assert!(decode(&header, &longer).is_err(), "bytes after a part");
    let mut noise = parts.clone();
    noise[0].data = vec![0xff; 64];
    assert!(decode(&header, &noise).is_err(), "noise");
    let mut d = parts::Decoder::default();
    assert!(d.part(99, &[0]).is_err(), "an unknown kind");
    // The header must count what the parts hold.
    let mut other = header.clone();
    other.records[0] += 1;
    assert!(decode(&other, &parts).is_err(), "a header counting more");
    assert!(decode(&header, &[]).is_err(), "no parts");
}

#[tokio::test]
async fn cached_load_equals_table_load() {
    let (_dir, store, want) = filled().await;
    let from_tables = load(&store, "load from the tables").await;
    assert_eq!(from_tables, want);
    cached_at(&store, want.revision).await;
    let from_cache = load(&store, "load from the cache").await;
    assert_eq!(from_cache, want);

    // The cache really is what the second load read: a change behind the store's back that
    // leaves the revision alone is not seen ...
    tamper(&store, "UPDATE users SET email = 'behind@the.back'").await;
    let again = load(&store, "load from the cache").await;
    assert_eq!(again, want);
    // ... until the revision moves, which makes the cache stale.
    tamper(
        &store,
        "UPDATE meta SET value = value + 1 WHERE name = 'revision'",
    )
    .await;
    let fresh = load(&store, "load from the tables").await;
    assert_eq!(fresh.revision, want.revision + 1);
    assert!(fresh.users.values().all(|u| u.email == "behind@the.back"));
}

#[tokio::test]
async fn a_load_is_cached_once_handed_back_and_only_at_its_revision() {
    let (_dir, store, want) = filled().await;
    let st = Arc::new(store.load().await.expect("load from the tables"));
    // Nothing caches a load until the caller holds it: the row is written by `loaded` only.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(row(&store).await, None);
    // A state at another revision (a commit's result) is not the load: not cached.
    let mut other = (*st).clone();
    other.revision += 1;
    store.loaded(&Arc::new(other));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(row(&store).await, None);
    store.loaded(&st);
    cached_at(&store, want.revision).await;
    assert_eq!(load(&store, "load from the cache").await, want);
}

#[tokio::test]
async fn writes_make_the_cache_stale() {
    let (_dir, store, mut want) = filled().await;
    load(&store, "load").await;
    cached_at(&store, want.revision).await;
    let role = crate::model::Role {
        id: Id::from_u128(42),
        name: "after the cache".into(),
        description: String::new(),
        created_at: now(),
        updated_at: now(),
        version: 1,
        created_by: None,
    };
    let change = crate::policy::Change::Create(crate::policy::Object::Role(role));
    want.revision = store
        .commit("t", std::slice::from_ref(&change))
        .await
        .expect("commit");
    want.apply_committed(&[change]).expect("reference apply");
    assert_eq!(load(&store, "load").await, want);
    cached_at(&store, want.revision).await;
    assert_eq!(load(&store, "load from the cache").await, want);
    // Only the current revision's parts are kept.
    assert_eq!(part_revisions(&store).await, [want.revision as i64]);
}

/// The revisions the stored parts belong to.
async fn part_revisions(store: &SqliteStore) -> Vec<i64> {
    sqlx::query_scalar("SELECT DISTINCT revision FROM load_cache_chunks ORDER BY revision")
        .fetch_all(&store.readers)
        .await
        .expect("read the parts")
}

#[tokio::test]
async fn a_cache_finished_after_the_store_moved_on_is_dropped() {
    let (_dir, store, want) = filled().await;
    let rev = i64::try_from(want.revision).expect("small revision");
    let mut st = want.clone();
    st.keys.clear();
    let mut n = 0;
    let header = parts::encode_each(&st, |_| Ok(())).expect("count the parts");
    let (_, all) = encode(&st).expect("encode");
    for part in all {
        store_part(&store.readers, rev, n, part)
            .await
            .expect("store a part");
        n += 1;
    }
    assert_eq!(header.parts, n as u64);
    tamper(
        &store,
        "UPDATE meta SET value = value + 1 WHERE name = 'revision'",
    )
    .await;
    assert!(!finish(&store.readers, rev, &header).await.expect("finish"));
    assert_eq!(row(&store).await, None, "no header");
    assert!(
        part_revisions(&store).await.is_empty(),
        "its parts are gone"
    );
}

#[tokio::test]
async fn key_use_is_seen_through_the_cache() {
    let (_dir, store, mut want) = filled().await;
    load(&store, "load").await;
    cached_at(&store, want.revision).await;
    let (&id, _) = want.keys.iter().next().expect("a key");
    let at = now();
    store.touch_key(id, at).await.expect("touch");
    if let Some(k) = want.keys.get_mut(&id) {
        k.last_used_at = Some(at);
    }
    assert_eq!(load(&store, "load").await, want);
}

#[tokio::test]
async fn unusable_caches_are_ignored_and_replaced() {
    let (_dir, store, want) = filled().await;
    let rev = want.revision;
    for (format, data) in [(FORMAT, "x'00ff00ff'"), (FORMAT + 1, "x''"), (0, "x'00'")] {
        tamper(
            &store,
            &format!("INSERT OR REPLACE INTO load_cache VALUES (1, {rev}, {format}, {data})"),
        )
        .await;
        assert_eq!(load(&store, "load").await, want);
        cached_at(&store, rev).await;
        assert_eq!(load(&store, "load from the cache").await, want);
    }
    // A current header whose parts are not all there.
    tamper(&store, "DELETE FROM load_cache_chunks WHERE n = 0").await;
    assert_eq!(read_cache(&store, rev).await, None);
    assert_eq!(load(&store, "load").await, want);
    cached_at(&store, rev).await;
    assert_eq!(load(&store, "load from the cache").await, want);
}

#[test]
fn user_roles_travel_as_indexes_or_as_ids() {
    let mut st = State::default();
    st.apply_committed(&changes()).expect("apply");
    let indexed = Pairs::encode(&st.user_roles, &st.users, &st.roles);
    assert!(matches!(indexed, Pairs::Indexed { .. }));
    // A link to a role that is not there (only possible with foreign keys off) keeps ids.
    st.user_roles.insert((Id::nil(), Id::from_u128(7)));
    let ids = Pairs::encode(&st.user_roles, &st.users, &st.roles);
    assert!(matches!(ids, Pairs::Ids(_)));
    let mut back = round_trip(&st).expect("round trip");
    back.reindex();
    assert_eq!(back, as_cached(st));
    // Indexes out of range are corrupt, not wrapped or dropped.
    let users: Vec<(Id, ())> = vec![(Id::nil(), ())];
    let roles: Vec<(Id, ())> = vec![(Id::max(), ())];
    let bad = Pairs::Indexed {
        counts: vec![1],
        right: vec![1],
    };
    assert!(bad.decode(&users, &roles).is_err());
    let short = Pairs::Indexed {
        counts: vec![2],
        right: vec![0],
    };
    assert!(short.decode(&users, &roles).is_err());
    let long = Pairs::Indexed {
        counts: vec![0],
        right: vec![0],
    };
    assert!(long.decode(&users, &roles).is_err());
    let good = Pairs::Indexed {
        counts: vec![1],
        right: vec![0],
    };
    assert_eq!(
        good.decode(&users, &roles).ok(),
        Some(vec![(Id::nil(), Id::max())])
    );
}

/// Stores `st` as the cache of `revision` in `format`, as a gatehouse writing that format
/// would have left it.
async fn write_cache(store: &SqliteStore, revision: Revision, format: i64, st: &State) {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let (header, parts) = encode(st).expect("encode");
    let header = postcard::to_allocvec(&header).expect("header");
    tamper(store, "DELETE FROM load_cache_chunks").await;
    for (n, p) in parts.iter().enumerate() {
        let sql = format!(
            "INSERT INTO load_cache_chunks VALUES ({revision}, {n}, {}, x'{}')",
            p.kind as i64,
            hex(&p.data)
        );
        tamper(store, &sql).await;
    }
    let sql = format!(
        "INSERT OR REPLACE INTO load_cache VALUES (1, {revision}, {format}, x'{}')",
        hex(&header)
    );
    tamper(store, &sql).await;
}

#[tokio::test]
async fn link_ends_come_through_the_cache_and_a_cache_of_the_format_before_is_not_read() {
    let (_dir, store, want) = filled().await;
    let rev = want.revision;
    assert!(want.expiries.len() >= 10, "the fixture's links have ends");
    assert_eq!(load(&store, "load from the tables").await, want);
    cached_at(&store, rev).await;
    let cached = read_cache(&store, rev).await.expect("a usable cache");
    assert_eq!(cached.expiries, want.expiries);
    assert_eq!(load(&store, "load from the cache").await, want);
    // What a gatehouse before link ends cached at this revision: the same links, no ends.
    let before_ends = State {
        expiries: crate::policy::Expiries::new(),
        ..want.clone()
    };
    write_cache(&store, rev, FORMAT - 1, &before_ends).await;
    assert_eq!(read_cache(&store, rev).await, None, "another format");
    assert_eq!(load(&store, "load from the tables").await, want);
    cached_at(&store, rev).await;
    // The format is what keeps it out: labelled current, the same cache would be read as a
    // state without ends.
    write_cache(&store, rev, FORMAT, &before_ends).await;
    let misread = read_cache(&store, rev).await.expect("read as current");
    assert!(misread.expiries.is_empty());
}
