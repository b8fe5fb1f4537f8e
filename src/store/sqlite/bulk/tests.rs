//! `load` through the aggregate queries must be lossless: odd strings, NULLs, extreme numbers
//! and ids with any bytes come back exactly as the reference semantics ([`State::apply`]) has
//! them; malformed rows written behind the store's back are reported, never shifted.

use super::super::fixture::{ODD, changes, store, tamper};
use super::*;
use crate::store::{State, Store};

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
    let cases = [
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
            "INSERT INTO user_roles VALUES (x'{}', x'0102')",
            "00".repeat(16)
        ),
        format!(
            "INSERT INTO user_roles VALUES (x'{}', x'{}')",
            "00".repeat(15),
            "00".repeat(17)
        ),
        format!(
            "INSERT INTO team_members VALUES (x'{0}', x'{0}', x'01')",
            "00".repeat(16)
        ),
        format!(
            "INSERT INTO grants VALUES (NULL, NULL, x'{}')",
            "00".repeat(16)
        ),
        format!(
            "INSERT INTO grants VALUES (x'{0}', NULL, x'{0}00')",
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
