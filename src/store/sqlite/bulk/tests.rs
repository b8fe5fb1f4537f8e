//! `load` through the aggregate queries must be lossless: odd strings, NULLs, extreme numbers
//! and ids with any bytes come back exactly as the reference semantics ([`State::apply`]) has
//! them; malformed rows written behind the store's back are reported, never shifted.

use super::super::fixture::{ODD, changes, store, tamper};
use super::*;
use crate::policy::State;
use crate::store::Store;

#[tokio::test]
async fn load_is_lossless() {
    let changes = changes();
    let mut want = State::default();
    want.apply_committed(&changes).expect("reference apply");
    let (_dir, store) = store().await;
    let rev = store.commit("t", &changes).await.expect("commit");
    want.revision = rev;
    let got = store.load().await.expect("load");
    assert_eq!(got.users.len(), 2 + ODD.len());
    assert_eq!(got.grants.len(), ODD.len());
    assert!(got.members.values().any(Option::is_none));
    assert!(got.members.values().any(Option::is_some));
    assert!(got.keys.values().any(|k| k.expires_at.is_none()));
    for (k, v) in &want.users {
        assert_eq!(got.users.get(k), Some(v), "user {k}");
    }
    assert_eq!(got, want);
}

#[tokio::test]
async fn empty_store_loads_empty() {
    let (_dir, store) = store().await;
    let got = store.load().await.expect("load");
    assert_eq!(got, State::default());
}

#[tokio::test]
async fn malformed_ids_are_corrupt_not_shifted() {
    let user = "INSERT INTO users (id, username, username_key, email, display_name, kind, \
                disabled, owner, created_at, updated_at, version) VALUES";
    let permission = "INSERT INTO permissions (id, catalog, entity, entity_uuid, grants, denies, \
                      conditions, query_attributes, read_attributes, write_attributes, \
                      description, created_at, updated_at, version) VALUES";
    let cases = [
        // A list column that is JSON but not a list of strings; a negative version.
        format!(
            "{permission} (x'{}', 'mage', 'Pipeline', NULL, '[1]', '[]', '[]', '[]', '[]', '[]', \
             '', 0, 0, 1)",
            "00".repeat(16)
        ),
        format!(
            "{permission} (x'{}', 'mage', 'Pipeline', 'a\\\"b', '[]', '[]', '[]', '[]', '[]', \
             '[]', '', 0, 0, -1)",
            "00".repeat(16)
        ),
        format!("{user} (x'0102', 'b', 'b', '', '', 'person', 0, 0, 0, 0, 1)"),
        format!(
            "{user} (x'{}', 'c', 'c', '', '', 'robot', 0, 0, 0, 0, 1)",
            "00".repeat(16)
        ),
        format!(
            "{user} (x'{}', 'd', 'd', '', '', 'person', 0, 0, 0, 0, -1)",
            "00".repeat(16)
        ),
        format!(
            "INSERT INTO user_roles VALUES (x'{}', x'0102', NULL)",
            "00".repeat(16)
        ),
        format!(
            "INSERT INTO user_roles VALUES (x'{}', x'{}', NULL)",
            "00".repeat(15),
            "00".repeat(17)
        ),
        format!(
            "INSERT INTO team_members VALUES (x'{0}', x'{0}', x'01', NULL)",
            "00".repeat(16)
        ),
        format!(
            "INSERT INTO grants VALUES (NULL, NULL, x'{}', NULL)",
            "00".repeat(16)
        ),
        format!(
            "INSERT INTO grants VALUES (x'{0}', NULL, x'{0}00', NULL)",
            "00".repeat(16)
        ),
        // An end no time can hold.
        format!(
            "INSERT INTO user_roles VALUES (x'{0}', x'{0}', 9223372036854775807)",
            "00".repeat(16)
        ),
        format!(
            "INSERT INTO grants VALUES (NULL, x'{0}', x'{0}', -9223372036854775807)",
            "00".repeat(16)
        ),
        format!(
            "INSERT INTO api_keys VALUES (x'{}', 'p', 'h', x'01', 0, NULL, 0, NULL, NULL, 1)",
            "00".repeat(16)
        ),
    ];
    for sql in cases {
        let (_dir, store) = store().await;
        tamper(&store, &sql).await;
        match store.load().await {
            Err(StoreError::Corrupt(_)) => {}
            other => panic!("{sql}: expected Corrupt, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn parallel_parts_and_one_transaction_read_the_same_state() {
    let changes = changes();
    let (_dir, store) = store().await;
    store.commit("t", &changes).await.expect("commit");
    let parallel = super::super::read::tables(&store.readers)
        .await
        .expect("parallel");
    let single = super::super::read::one_transaction(&store.readers)
        .await
        .expect("one transaction");
    assert!(!parallel.users.is_empty() && !parallel.permissions.is_empty());
    assert!(!parallel.user_roles.is_empty() && !parallel.grants.is_empty());
    assert_eq!(parallel, single);
    // Every row is in exactly one part.
    let mut conn = store.readers.acquire().await.expect("conn");
    let halves = [
        users(&mut conn, Split { parts: 2, part: 0 })
            .await
            .expect("0"),
        users(&mut conn, Split { parts: 2, part: 1 })
            .await
            .expect("1"),
    ];
    assert!(halves.iter().all(|h| !h.is_empty()));
    assert_eq!(halves[0].len() + halves[1].len(), single.users.len());
}

#[tokio::test]
async fn permissions_read_in_rowid_ranges_are_the_whole_table() {
    let (_dir, store) = store().await;
    store.commit("t", &changes()).await.expect("commit");
    let want = store.load().await.expect("load").permissions;
    assert!(want.len() >= 8, "{} permissions", want.len());
    // Gaps in the rowids: two rows deleted, one moved far past the others.
    tamper(
        &store,
        "DELETE FROM permissions WHERE rowid IN (2, 5); \
         UPDATE permissions SET rowid = 1099511627776 WHERE rowid = 3",
    )
    .await;
    let mut conn = store.readers.acquire().await.expect("conn");
    let whole = permissions_in(&mut conn, PERMISSION_RANGE)
        .await
        .expect("whole");
    assert_eq!(whole.len(), want.len() - 2);
    for id in whole.keys() {
        assert_eq!(whole.get(id), want.get(id), "{id}");
    }
    // Ranges of one, two and three rowids; the far row makes ranges of one too many to
    // walk, so that one is read as one range.
    for range in [1, 2, 3, 1000] {
        let got = permissions_in(&mut conn, range).await.expect("ranges");
        assert_eq!(got, whole, "{range} rowids per query");
    }
    tamper(
        &store,
        "UPDATE permissions SET rowid = 2 WHERE rowid = 1099511627776",
    )
    .await;
    for range in [1, 2, 3] {
        let got = permissions_in(&mut conn, range).await.expect("ranges");
        assert_eq!(got, whole, "{range} rowids per query, no far row");
    }
    tamper(&store, "DELETE FROM permissions").await;
    assert!(
        permissions_in(&mut conn, 2)
            .await
            .expect("empty")
            .is_empty()
    );
}

#[tokio::test]
async fn role_permissions_read_a_page_at_a_time_are_every_link_once() {
    let (_dir, store) = store().await;
    store.commit("t", &changes()).await.expect("commit");
    let want: Vec<(Id, Id)> = store
        .load()
        .await
        .expect("load")
        .role_permissions
        .iter()
        .copied()
        .collect();
    assert!(want.len() >= 4, "{} links", want.len());
    let mut conn = store.readers.acquire().await.expect("conn");
    for page in [1, 2, 3, want.len() as i64, 1 << 16] {
        let got = role_permissions_in(&mut conn, page).await.expect("pages");
        assert_eq!(got, want, "{page} per page");
    }
    drop(conn);
    // A malformed id is refused whichever page it falls in.
    tamper(
        &store,
        "INSERT INTO role_permissions VALUES (x'ffff', x'00000000000000000000000000000000')",
    )
    .await;
    let mut conn = store.readers.acquire().await.expect("conn");
    for page in [1, 3, 1 << 16] {
        let e = role_permissions_in(&mut conn, page)
            .await
            .expect_err("refused");
        assert!(e.to_string().contains("not 16 bytes"), "{e}");
    }
}
