//! Relations that end, over `gatehouse serve` (issue 20 item 6): a role given for a while
//! through the HTTP backend allows now and denies at an instant past its end (`at` on check,
//! explain and who-can), its end moves and clears, a past end is refused naming `expires_at`,
//! the state over the wire carries ends, a prune removes ended relations as `expire` events,
//! and the server prunes on its own every `prune_every`.
//!
//! Each scenario runs on an in-memory store (the reference semantics) and on SQLite and
//! PostgreSQL (`postgres::` ignored: "needs PostgreSQL").

use crate::support;
use crate::support::build;

use gatehouse::backend::{Backend, Error, GrantTo};
use gatehouse::connect::HttpBackend;
use gatehouse::engine::Request;
use gatehouse::model::{AuditQuery, Id, Principal, now};
use gatehouse::policy::Link;
use gatehouse::server::ServerConfig;
use gatehouse::store::{MemoryStore, Store};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use support::{Fixture, StoreKind, bounded, start_wrapped};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Where a scenario's server keeps its relations.
#[derive(Debug, Clone, Copy)]
enum On {
    /// [`MemoryStore`]: the reference semantics, whatever the SQL stores can do yet.
    Memory,
    /// A real store.
    Store(StoreKind),
}

/// A server on `on` (`None`: PostgreSQL without a database, after one SKIPPED line).
async fn start(on: On, config: ServerConfig) -> Option<Fixture> {
    match on {
        On::Memory => {
            start_wrapped(StoreKind::Sqlite, config, |_| -> Arc<dyn Store> {
                Arc::new(MemoryStore::new())
            })
            .await
        }
        On::Store(kind) => start_wrapped(kind, config, |s| s).await,
    }
}

/// A server that prunes only when asked.
fn no_prune() -> ServerConfig {
    ServerConfig {
        prune_every: None,
        ..ServerConfig::default()
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("rfc3339")
}

fn secs(n: i64) -> time::Duration {
    time::Duration::seconds(n)
}

/// Now, to the whole second: an instant every store keeps exactly.
fn now_s() -> OffsetDateTime {
    now().replace_nanosecond(0).expect("whole second")
}

/// `bob`, holding through the role `analyst` a permission to list Mage pipelines: the role
/// ends at `ends`. The user, the role and the user's role link.
async fn bob_for_a_while(http: &HttpBackend, ends: OffsetDateTime) -> (Id, Id, Link) {
    let bob = build::add_user(http, "bob").await;
    let role = build::add_role(http, "analyst").await;
    let perm = build::add_permission(http, "mage", "Pipeline", &["LIST"]).await;
    http.link(Link::RolePermission {
        role: role.id,
        permission: perm.id,
    })
    .await
    .expect("role ← permission");
    let link = Link::UserRole {
        user: bob.id,
        role: role.id,
    };
    http.link_until(link, Some(ends)).await.expect("link until");
    (bob.id, role.id, link)
}

/// May `user` list pipelines, asked over HTTP at `at` (`None`: now)?
async fn may_list(http: &HttpBackend, user: Id, at: Option<OffsetDateTime>) -> bool {
    let req = Request {
        at,
        ..build::request(user, "mage", "LIST", "Pipeline")
    };
    http.explain(req).await.expect("explain").allowed
}

/// Who may list pipelines at `at`, by username.
async fn who_lists(http: &HttpBackend, at: Option<OffsetDateTime>) -> Vec<String> {
    let req = Request {
        at,
        ..build::request(Id::nil(), "mage", "LIST", "Pipeline")
    };
    let who = http.who_can(req).await.expect("who can");
    who.into_iter().map(|w| w.username).collect()
}

async fn post(f: &Fixture, path: &str, body: Value) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(f.api(path))
        .bearer_auth(&f.admin_key)
        .json(&body)
        .send()
        .await
        .expect("send");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn get(f: &Fixture, path: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(f.api(path))
        .bearer_auth(&f.admin_key)
        .send()
        .await
        .expect("send");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn a_role_for_a_while_allows_until_its_end_and_the_end_moves(on: On) {
    bounded(60, async {
        let Some(f) = start(on, no_prune()).await else {
            return;
        };
        let http = f.http(&f.admin_key);
        let t0 = now_s();
        let ends = t0 + time::Duration::hours(1);
        let (bob, _, link) = bob_for_a_while(&http, ends).await;
        let later = Some(t0 + time::Duration::hours(2));
        assert!(may_list(&http, bob, None).await, "allowed now");
        assert!(!may_list(&http, bob, later).await, "denied past its end");
        assert!(who_lists(&http, None).await.contains(&"bob".to_string()));
        assert!(!who_lists(&http, later).await.contains(&"bob".to_string()));
        // The explanation names when the path ends.
        let e = http
            .explain(build::request(bob, "mage", "LIST", "Pipeline"))
            .await
            .expect("explain");
        assert!(e.candidates.iter().any(|c| c.ends == Some(ends)), "{e:?}");
        // A batch decides each question at its own instant, against one snapshot.
        let q = |at: Option<OffsetDateTime>| {
            let mut v =
                json!({"user": "bob", "catalog": "mage", "action": "LIST", "entity": "Pipeline"});
            if let Some(t) = at {
                v["at"] = json!(rfc3339(t));
            }
            v
        };
        let (s, b) = post(
            &f,
            "/check",
            json!({"requests": [q(None), q(later), q(Some(t0 + secs(1800)))]}),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        let allowed: Vec<Value> = b["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["allowed"].clone())
            .collect();
        assert_eq!(allowed, [json!(true), json!(false), json!(true)], "{b}");
        let (s, b) = post(&f, "/check", q(later)).await;
        assert_eq!((s, b["allowed"].clone()), (200, json!(false)), "{b}");
        // The state over the wire carries the end.
        assert_eq!(
            http.state().await.expect("state").expiries.get(&link),
            Some(ends)
        );
        // Moving the end past `later` gives the access back then; clearing it, for good.
        let moved = t0 + time::Duration::hours(3);
        let before = f.revision();
        let rev = http.set_expiry(link, Some(moved)).await.expect("move");
        assert!(rev > before);
        assert!(
            may_list(&http, bob, later).await,
            "allowed until the new end"
        );
        assert_eq!(
            http.state().await.expect("state").expiries.get(&link),
            Some(moved)
        );
        http.set_expiry(link, None).await.expect("clear");
        assert!(may_list(&http, bob, Some(t0 + time::Duration::days(365))).await);
        assert_eq!(http.state().await.expect("state").expiries.get(&link), None);
        // What the local backend on the same service holds agrees.
        assert_eq!(f.service.snapshot().state.expiries.get(&link), None);
    })
    .await;
}

async fn ends_in_the_past_and_bad_instants_are_refused_naming_the_field(on: On) {
    bounded(60, async {
        let Some(f) = start(on, no_prune()).await else {
            return;
        };
        let http = f.http(&f.admin_key);
        let (bob, role, link) = bob_for_a_while(&http, now_s() + secs(3600)).await;
        let other = build::add_role(&http, "other").await;
        let before = f.revision();
        let past = now_s() - secs(60);
        let err = http.set_expiry(link, Some(past)).await.expect_err("past");
        assert!(
            matches!(&err, Error::Invalid { field, .. } if field == "expires_at"),
            "{err:?}"
        );
        let err = http
            .link_until(
                Link::UserRole {
                    user: bob,
                    role: other.id,
                },
                Some(past),
            )
            .await
            .expect_err("past");
        assert!(
            matches!(&err, Error::Invalid { field, .. } if field == "expires_at"),
            "{err:?}"
        );
        // Raw: 400 naming `expires_at`, for a past end and for one that is no instant.
        let wire_link = json!({"link": "user_role", "user": bob, "role": role});
        let (s, b) = post(
            &f,
            "/links/expiry",
            json!({"link": wire_link, "expires_at": rfc3339(past)}),
        )
        .await;
        assert_eq!((s, b["error"]["field"].clone()), (400, json!("expires_at")), "{b}");
        let (s, b) = post(
            &f,
            "/links/until",
            json!({"link": wire_link, "expires_at": "next tuesday"}),
        )
        .await;
        assert_eq!((s, b["error"]["field"].clone()), (400, json!("expires_at")), "{b}");
        let (s, b) = post(&f, "/links/expiry", json!({"link": wire_link})).await;
        assert_eq!((s, b["error"]["code"].clone()), (400, json!("invalid")), "{b}");
        let (s, b) = post(
            &f,
            "/links/expiry",
            json!({"link": wire_link, "expires_at": null, "ends": null}),
        )
        .await;
        assert_eq!((s, b["error"]["code"].clone()), (400, json!("invalid")), "{b}");
        // A resource grant ending in the past.
        let (s, b) = post(
            &f,
            "/resources/okdata:dataset:ds1/grants",
            json!({"principal": "bob", "expires_at": rfc3339(past)}),
        )
        .await;
        assert_eq!((s, b["error"]["field"].clone()), (400, json!("expires_at")), "{b}");
        // A question at something that is no instant.
        let (s, b) = post(
            &f,
            "/check",
            json!({"user": "bob", "catalog": "mage", "action": "LIST", "entity": "Pipeline", "at": "soon"}),
        )
        .await;
        assert_eq!((s, b["error"]["field"].clone()), (400, json!("at")), "{b}");
        let (s, b) = get(&f, "/who-can?catalog=mage&action=LIST&entity=Pipeline&at=soon").await;
        assert_eq!((s, b["error"]["field"].clone()), (400, json!("at")), "{b}");
        assert_eq!(f.revision(), before, "nothing refused was written");
    })
    .await;
}

async fn a_grant_for_a_while_travels_with_its_end(on: On) {
    bounded(60, async {
        let Some(f) = start(on, no_prune()).await else {
            return;
        };
        let http = f.http(&f.admin_key);
        let carol = build::add_user(&http, "carol").await;
        let ends = now_s() + time::Duration::hours(8);
        http.grant_resource_until(
            "okdata:dataset:ds1",
            "carol",
            Some("okdata:dataset:read"),
            GrantTo::User,
            Some(ends),
        )
        .await
        .expect("grant until");
        let s = http.state().await.expect("state");
        let grants: Vec<(Link, OffsetDateTime)> = s
            .expiries
            .iter()
            .filter(|(l, _)| matches!(l, Link::Grant { principal, .. } if *principal == Principal::User(carol.id)))
            .map(|(l, t)| (*l, t))
            .collect();
        assert_eq!(grants.len(), 1, "{:?}", s.expiries);
        assert_eq!(grants[0].1, ends);
        // The same state, read again unchanged (304), still carries it.
        assert_eq!(http.state().await.expect("state").expiries, s.expiries);
        // And a plain grant over HTTP stays plain.
        build::add_user(&http, "dan").await;
        http.grant_resource("okdata:dataset:ds1", "dan", None, GrantTo::User)
            .await
            .expect("grant");
        assert_eq!(http.state().await.expect("state").expiries.len(), 1);
    })
    .await;
}

async fn a_batch_asks_about_a_bounded_number_of_instants(on: On) {
    bounded(60, async {
        let Some(f) = start(on, no_prune()).await else {
            return;
        };
        let http = f.http(&f.admin_key);
        let t0 = now_s();
        let hour = |n: i64| t0 + time::Duration::hours(n);
        let (_, role, _) = bob_for_a_while(&http, hour(1)).await;
        // Nine more ends, one an hour: ten windows in all.
        for n in 2..=10 {
            let u = build::add_user(&http, &format!("user{n}")).await;
            http.link_until(Link::UserRole { user: u.id, role }, Some(hour(n)))
                .await
                .expect("link until");
        }
        let ask = |n: i64| {
            json!({"user": "bob", "catalog": "mage", "action": "LIST", "entity": "Pipeline",
                   "at": rfc3339(hour(n) - secs(1800))})
        };
        // Eight instants past the first window (plus repeats, which reuse an index): answered.
        let within: Vec<Value> = (1..=9).chain(1..=9).map(ask).collect();
        let (s, b) = post(&f, "/check", json!({"requests": within})).await;
        assert_eq!(s, 200, "{b}");
        let allowed: Vec<bool> = b["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["allowed"] == json!(true))
            .collect();
        assert_eq!(
            allowed.iter().filter(|a| **a).count(),
            2,
            "bob only within his hour"
        );
        // A ninth index is refused, naming the request that needed it.
        let beyond: Vec<Value> = (1..=10).map(ask).collect();
        let (s, b) = post(&f, "/check", json!({"requests": beyond})).await;
        assert_eq!(
            (s, b["error"]["field"].clone()),
            (400, json!("requests[9].at")),
            "{b}"
        );
    })
    .await;
}

/// Waits (bounded by the caller) until `until` has passed.
async fn sleep_past(until: OffsetDateTime) {
    let left = until - now();
    if left.is_positive() {
        tokio::time::sleep(Duration::try_from(left).unwrap_or_default()).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
}

async fn a_prune_removes_ended_relations_as_expire_events(on: On) {
    bounded(60, async {
        let Some(f) = start(on, no_prune()).await else {
            return;
        };
        let http = f.http(&f.admin_key);
        let ends = now() + secs(1);
        let (bob, _, link) = bob_for_a_while(&http, ends).await;
        assert!(may_list(&http, bob, None).await);
        sleep_past(ends).await;
        // Ended, not yet pruned: denied already, and still in the state with its end.
        assert!(
            !may_list(&http, bob, None).await,
            "an ended role counts for nothing"
        );
        let s = http.state().await.expect("state");
        assert!(s.link_exists(&link));
        let before = f.revision();
        let (removed, rev) = http.prune_expired().await.expect("prune");
        assert_eq!(removed, 1);
        assert!(rev > before);
        let s = http.state().await.expect("state");
        assert!(!s.link_exists(&link));
        assert!(s.expiries.is_empty());
        let events = http
            .audit(AuditQuery {
                limit: 20,
                ..Default::default()
            })
            .await
            .expect("audit");
        let expire = events
            .iter()
            .find(|e| e.action == "expire")
            .unwrap_or_else(|| panic!("no expire event: {events:?}"));
        assert_eq!((expire.revision, expire.actor.as_str()), (rev, "admin"));
        assert_eq!(expire.object_id, link.object_id());
        // Nothing more has ended: nothing written.
        assert_eq!(http.prune_expired().await.expect("again"), (0, rev));
        assert_eq!(f.revision(), rev);
    })
    .await;
}

async fn the_server_prunes_ended_relations_on_its_own(on: On) {
    bounded(60, async {
        let config = ServerConfig {
            prune_every: Some(Duration::from_millis(200)),
            ..ServerConfig::default()
        };
        let Some(f) = start(on, config).await else {
            return;
        };
        let http = f.http(&f.admin_key);
        let ends = now() + secs(1);
        let (_, _, link) = bob_for_a_while(&http, ends).await;
        sleep_past(ends).await;
        let mut waited = 0;
        while http.state().await.expect("state").link_exists(&link) {
            assert!(waited < 100, "the server never pruned the ended role");
            tokio::time::sleep(Duration::from_millis(100)).await;
            waited += 1;
        }
        let events = http
            .audit(AuditQuery {
                limit: 20,
                ..Default::default()
            })
            .await
            .expect("audit");
        let expire = events
            .iter()
            .find(|e| e.action == "expire")
            .unwrap_or_else(|| panic!("no expire event: {events:?}"));
        assert_eq!(expire.actor, "system");
        assert_eq!(expire.object_id, link.object_id());
        assert!(http.state().await.expect("state").expiries.is_empty());
    })
    .await;
}

/// Expands every scenario above once per store: `memory::NAME` and `sqlite::NAME` always,
/// `postgres::NAME` ignored ("needs PostgreSQL").
macro_rules! on_each_store {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::On::Memory).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::On::Store(super::StoreKind::Sqlite)).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs PostgreSQL"]
                async fn $name() {
                    super::$name(super::On::Store(super::StoreKind::Postgres)).await;
                }
            )*
        }
    };
}

on_each_store!(
    a_role_for_a_while_allows_until_its_end_and_the_end_moves,
    ends_in_the_past_and_bad_instants_are_refused_naming_the_field,
    a_grant_for_a_while_travels_with_its_end,
    a_batch_asks_about_a_bounded_number_of_instants,
    a_prune_removes_ended_relations_as_expire_events,
    the_server_prunes_ended_relations_on_its_own,
);
