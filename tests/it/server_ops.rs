//! The operator's surface of `gatehouse serve` (docs/OPERATING.md), in process: `X-Request-Id`
//! on every answer (a sane client id kept, an odd one replaced), `GET /api/v1/readyz` (no key;
//! 503 naming the check when the store does not answer; the replica lag), Prometheus
//! `/metrics` (requests by route template and status, check latency, decisions, revisions,
//! refusals by reason), and CORS (off unless origins are given; exactly those). The log lines
//! of the real process are in `server_ops_log.rs`.

use crate::support;

use gatehouse::backend::RoleSpec;
use gatehouse::catalog::Catalogs;
use gatehouse::server::ServerConfig;
use gatehouse::service::{Actor, Service};
use gatehouse::store::Store;
use gatehouse::store::{StoreError, StoreResult};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use support::{Fixture, StoreKind, bounded, start, start_wrapped};

/// `GET path` (under `/api/v1` unless it starts with `/metrics`), with `key` if given and the
/// extra headers.
async fn get(
    f: &Fixture,
    path: &str,
    key: Option<&str>,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let url = if path.starts_with("/metrics") {
        format!("{}{path}", f.url)
    } else {
        f.api(path)
    };
    let mut rb = reqwest::Client::new().get(url);
    if let Some(k) = key {
        rb = rb.bearer_auth(k);
    }
    for (n, v) in headers {
        rb = rb.header(*n, *v);
    }
    rb.send().await.expect("answer")
}

fn request_id(res: &reqwest::Response) -> String {
    res.headers()
        .get("x-request-id")
        .unwrap_or_else(|| panic!("no X-Request-Id on {} {:?}", res.status(), res.headers()))
        .to_str()
        .expect("ascii")
        .to_string()
}

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_a_sane_client_id_is_kept() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        // Made when none is sent: on a 200, a 401, a 404 and the metrics.
        let mut seen = Vec::new();
        for (path, key, status) in [
            ("/healthz", None, 200),
            ("/roles", None, 401),
            ("/roles", Some(f.admin_key.as_str()), 200),
            ("/nope", Some(f.admin_key.as_str()), 404),
            ("/metrics", None, 200),
        ] {
            let res = get(&f, path, key, &[]).await;
            assert_eq!(res.status().as_u16(), status, "{path}");
            let id = request_id(&res);
            assert!(is_uuid(&id), "{path}: {id}");
            seen.push(id);
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 5, "a new id each time: {seen:?}");
        // A sane client id is kept, even on a refusal.
        for key in [None, Some(f.admin_key.as_str())] {
            let res = get(
                &f,
                "/roles",
                key,
                &[("x-request-id", "client-7f3a:ab_12.x")],
            )
            .await;
            assert_eq!(request_id(&res), "client-7f3a:ab_12.x");
        }
        // An odd one (spaces, too long, two of them) is replaced by a new UUID.
        let long = "a".repeat(129);
        for odd in ["has space", long.as_str(), "caf\u{e9}"] {
            let res = reqwest::Client::new()
                .get(f.api("/healthz"))
                .header("x-request-id", odd)
                .send()
                .await
                .expect("answer");
            let id = request_id(&res);
            assert!(is_uuid(&id), "{odd:?} was replaced by {id}");
        }
        let res = reqwest::Client::new()
            .get(f.api("/healthz"))
            .header("x-request-id", "one")
            .header("x-request-id", "two")
            .send()
            .await
            .expect("answer");
        assert!(is_uuid(&request_id(&res)));
    })
    .await;
}

#[tokio::test]
async fn readyz_needs_no_key_and_says_the_revision_served() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let res = get(&f, "/readyz", None, &[]).await;
        assert_eq!(res.status().as_u16(), 200);
        let v: Value = res.json().await.expect("json");
        let rev = f.revision();
        assert_eq!(
            v,
            json!({"ready": true, "revision": rev, "store_revision": rev, "lag": 0,
                   "checks": {"store": true, "index": true}})
        );
    })
    .await;
}

/// A store whose revision reads or loads can be made to fail, as a database that is down (or
/// one a replica cannot load from) does.
struct SwitchStore {
    inner: Arc<dyn Store>,
    fail_revision: AtomicBool,
    fail_load: AtomicBool,
}

fn down() -> StoreError {
    StoreError::Database("connection refused (postgres://secret@db.internal)".into())
}

#[async_trait::async_trait]
impl Store for SwitchStore {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn load(&self) -> StoreResult<gatehouse::policy::State> {
        if self.fail_load.load(Ordering::SeqCst) {
            return Err(down());
        }
        self.inner.load().await
    }
    async fn revision(&self) -> StoreResult<gatehouse::model::Revision> {
        if self.fail_revision.load(Ordering::SeqCst) {
            return Err(down());
        }
        self.inner.revision().await
    }
    async fn commit(
        &self,
        actor: &str,
        changes: &[gatehouse::policy::Change],
    ) -> StoreResult<gatehouse::model::Revision> {
        self.inner.commit(actor, changes).await
    }
    async fn commit_at(
        &self,
        actor: &str,
        changes: &[gatehouse::policy::Change],
        base: gatehouse::model::Revision,
    ) -> StoreResult<gatehouse::model::Revision> {
        self.inner.commit_at(actor, changes, base).await
    }
    async fn audit(
        &self,
        query: &gatehouse::model::AuditQuery,
    ) -> StoreResult<Vec<gatehouse::model::AuditEvent>> {
        self.inner.audit(query).await
    }
    async fn touch_key(
        &self,
        id: gatehouse::model::Id,
        at: time::OffsetDateTime,
    ) -> StoreResult<()> {
        self.inner.touch_key(id, at).await
    }
}

/// A fixture on a [`SwitchStore`].
async fn switchable() -> (Fixture, Arc<SwitchStore>) {
    let slot: Arc<OnceLock<Arc<SwitchStore>>> = Arc::default();
    let keep = slot.clone();
    let f = start_wrapped(StoreKind::Sqlite, ServerConfig::default(), move |inner| {
        let s = Arc::new(SwitchStore {
            inner,
            fail_revision: AtomicBool::new(false),
            fail_load: AtomicBool::new(false),
        });
        let _ = keep.set(s.clone());
        s
    })
    .await
    .expect("sqlite fixture");
    let store = slot.get().expect("wrapped").clone();
    (f, store)
}

#[tokio::test]
async fn readyz_is_503_naming_the_store_when_it_does_not_answer() {
    bounded(60, async {
        let (f, store) = switchable().await;
        assert_eq!(get(&f, "/readyz", None, &[]).await.status().as_u16(), 200);
        store.fail_revision.store(true, Ordering::SeqCst);
        let res = get(&f, "/readyz", None, &[]).await;
        assert_eq!(res.status().as_u16(), 503);
        let text = res.text().await.expect("body");
        let v: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["ready"], false);
        assert_eq!(v["failed"], "store");
        assert_eq!(v["checks"], json!({"store": false, "index": true}));
        assert_eq!(v["revision"], f.revision());
        assert_eq!(v["store_revision"], Value::Null);
        assert!(
            v["reason"].as_str().is_some_and(|r| r.contains("store")),
            "{v}"
        );
        assert!(
            !text.contains("secret@db.internal"),
            "the store's address stays in the log: {text}"
        );
        // Back up: ready again.
        store.fail_revision.store(false, Ordering::SeqCst);
        assert_eq!(get(&f, "/readyz", None, &[]).await.status().as_u16(), 200);
    })
    .await;
}

/// The value of the sample `name` (with its labels, as written) in a `/metrics` text.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

async fn scrape(f: &Fixture) -> String {
    let res = get(f, "/metrics", None, &[]).await;
    assert_eq!(res.status().as_u16(), 200, "no key needed");
    let ct = res.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8");
    res.text().await.expect("body")
}

#[tokio::test]
async fn replica_lag_is_how_far_the_store_is_ahead_of_the_served_revision() {
    bounded(60, async {
        let (f, store) = switchable().await;
        let served = f.revision();
        let text = scrape(&f).await;
        assert_eq!(sample(&text, "gatehouse_revision"), Some(served as f64));
        assert_eq!(sample(&text, "gatehouse_replica_lag_revisions"), Some(0.0));
        // This replica can no longer load; another one writes twice.
        store.fail_load.store(true, Ordering::SeqCst);
        let other = Service::open(
            Arc::from(f.reopen_store().await),
            Arc::new(Catalogs::builtin().expect("catalogs")),
        )
        .await
        .expect("other replica");
        let root = Actor::user(&f.admin, false);
        for name in ["lag one", "lag two"] {
            other
                .create_role(
                    &root,
                    RoleSpec {
                        name: name.into(),
                        description: String::new(),
                    },
                )
                .await
                .expect("write on the other replica");
        }
        let v: Value = get(&f, "/readyz", None, &[])
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(v["revision"], served, "{v}");
        assert_eq!(v["store_revision"], served + 2, "{v}");
        assert_eq!(v["lag"], 2, "{v}");
        let text = scrape(&f).await;
        assert_eq!(
            sample(&text, "gatehouse_store_revision"),
            Some((served + 2) as f64)
        );
        assert_eq!(
            sample(&text, "gatehouse_replica_lag_revisions"),
            Some(2.0),
            "{text}"
        );
        // Loads work again: the follow loop catches up (about a second) and the lag is gone.
        store.fail_load.store(false, Ordering::SeqCst);
        loop {
            let v: Value = get(&f, "/readyz", None, &[])
                .await
                .json()
                .await
                .expect("json");
            if v["lag"] == 0 {
                assert_eq!(v["revision"], served + 2);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
}

/// `POST /api/v1/check` with `key`: (status, body).
async fn check(f: &Fixture, key: &str, body: Value) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(f.api("/check"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("answer");
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_decisions_latency_and_refusals() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let client = reqwest::Client::new();
        let role = f.local();
        let role = gatehouse::backend::Backend::create_role(
            &role,
            RoleSpec {
                name: "metered".into(),
                description: String::new(),
            },
        )
        .await
        .expect("role");
        let id = role.id.to_string();
        for _ in 0..3 {
            let res = get(&f, &format!("/roles/{id}"), Some(&f.admin_key), &[]).await;
            assert_eq!(res.status().as_u16(), 200);
        }
        assert_eq!(
            get(&f, "/no/such/route", Some(&f.admin_key), &[])
                .await
                .status()
                .as_u16(),
            404
        );
        // Decisions: one allow, one deny, then a batch of one allow and one deny.
        let allow =
            json!({"user": "viewer", "catalog": "gatehouse", "action": "read", "entity": "Role"});
        let deny =
            json!({"user": "nobody", "catalog": "mage", "action": "LIST", "entity": "Pipeline"});
        let (s, b) = check(&f, &f.admin_key, allow.clone()).await;
        assert_eq!((s, &b["allowed"]), (200, &json!(true)), "{b}");
        let (s, b) = check(&f, &f.admin_key, deny.clone()).await;
        assert_eq!((s, &b["allowed"]), (200, &json!(false)), "{b}");
        let (s, _) = check(&f, &f.admin_key, json!({"requests": [allow, deny]})).await;
        assert_eq!(s, 200);
        // Refusals: no key, a bad key, a read-only key writing, a viewer's full key writing.
        assert_eq!(get(&f, "/roles", None, &[]).await.status().as_u16(), 401);
        assert_eq!(
            get(&f, "/roles", Some("ghk_not_a_real_key_at_all_xx"), &[])
                .await
                .status()
                .as_u16(),
            401
        );
        for (key, want) in [(&f.viewer_key, 403), (&f.reader_key, 403)] {
            let res = client
                .post(f.api("/roles"))
                .bearer_auth(key)
                .json(&json!({"name": "nope"}))
                .send()
                .await
                .expect("answer");
            assert_eq!(res.status().as_u16(), want);
        }
        let text = scrape(&f).await;
        let count =
            |labels: &str| sample(&text, &format!("gatehouse_http_requests_total{{{labels}}}"));
        assert_eq!(
            count(r#"method="GET",route="/api/v1/roles/{id}",status="200""#),
            Some(3.0),
            "{text}"
        );
        assert_eq!(
            count(r#"method="GET",route="unmatched",status="404""#),
            Some(1.0),
            "{text}"
        );
        assert_eq!(
            count(r#"method="POST",route="/api/v1/check",status="200""#),
            Some(3.0),
            "{text}"
        );
        assert_eq!(
            count(r#"method="GET",route="/api/v1/roles",status="401""#),
            Some(2.0),
            "{text}"
        );
        assert_eq!(
            count(r#"method="POST",route="/api/v1/roles",status="403""#),
            Some(2.0),
            "{text}"
        );
        assert!(!text.contains(&id), "never a raw path: {text}");
        assert!(!text.contains("/no/such"), "never a raw path: {text}");
        assert_eq!(
            sample(&text, r#"gatehouse_decisions_total{decision="allow"}"#),
            Some(2.0),
            "{text}"
        );
        assert_eq!(
            sample(&text, r#"gatehouse_decisions_total{decision="deny"}"#),
            Some(2.0),
            "{text}"
        );
        assert_eq!(
            sample(
                &text,
                r#"gatehouse_check_duration_seconds_count{route="/api/v1/check"}"#
            ),
            Some(3.0),
            "{text}"
        );
        assert!(
            text.contains("# TYPE gatehouse_check_duration_seconds histogram"),
            "{text}"
        );
        for (reason, n) in [
            ("missing_key", 1.0),
            ("invalid_key", 1.0),
            ("read_only", 1.0),
            ("forbidden", 1.0),
        ] {
            assert_eq!(
                sample(
                    &text,
                    &format!("gatehouse_auth_failures_total{{reason=\"{reason}\"}}")
                ),
                Some(n),
                "{reason}: {text}"
            );
        }
        assert_eq!(
            sample(&text, "gatehouse_revision"),
            Some(f.revision() as f64)
        );
        assert!(
            !text.contains(&f.admin_key) && !text.contains("ghk_"),
            "no key in metrics"
        );
    })
    .await;
}

/// A CORS preflight for `POST /api/v1/check` from `origin`.
async fn preflight(f: &Fixture, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, f.api("/check"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .expect("answer")
}

fn allowed_origin(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().expect("ascii").to_string())
}

#[tokio::test]
async fn cors_is_off_without_origins() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let res = preflight(&f, "https://admin.example.com").await;
        assert_eq!(allowed_origin(&res), None, "{:?}", res.headers());
        let res = get(
            &f,
            "/me",
            Some(&f.admin_key),
            &[("origin", "https://admin.example.com")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(allowed_origin(&res), None);
    })
    .await;
}

#[tokio::test]
async fn cors_allows_exactly_the_given_origins() {
    bounded(60, async {
        let f = start(ServerConfig {
            cors_origins: vec![
                "https://admin.example.com".into(),
                "http://localhost:5173".into(),
            ],
            ..ServerConfig::default()
        })
        .await;
        for origin in ["https://admin.example.com", "http://localhost:5173"] {
            let res = preflight(&f, origin).await;
            assert!(res.status().is_success(), "{}", res.status());
            assert_eq!(allowed_origin(&res).as_deref(), Some(origin));
            let h = |n: &str| {
                res.headers()
                    .get(n)
                    .map(|v| v.to_str().expect("ascii").to_ascii_lowercase())
                    .unwrap_or_default()
            };
            assert!(
                h("access-control-allow-methods").contains("post"),
                "{:?}",
                res.headers()
            );
            assert!(h("access-control-allow-headers").contains("authorization"));
            assert!(h("access-control-allow-headers").contains("content-type"));
            assert!(
                res.headers().contains_key("x-request-id"),
                "a preflight has an id too"
            );
        }
        // The real request: the page may read the request id.
        let res = get(
            &f,
            "/me",
            Some(&f.admin_key),
            &[("origin", "https://admin.example.com")],
        )
        .await;
        assert_eq!(
            allowed_origin(&res).as_deref(),
            Some("https://admin.example.com")
        );
        let exposed = res.headers()["access-control-expose-headers"]
            .to_str()
            .expect("ascii")
            .to_ascii_lowercase();
        assert!(exposed.contains("x-request-id"), "{exposed}");
        // A page can follow a list's next page and make a conditional update.
        for h in ["x-next-cursor", "link", "etag"] {
            assert!(exposed.contains(h), "{h} not exposed: {exposed}");
        }
        let res = preflight(&f, "https://admin.example.com").await;
        let allowed = res.headers()["access-control-allow-headers"]
            .to_str()
            .expect("ascii")
            .to_ascii_lowercase();
        for h in ["if-match", "if-none-match"] {
            assert!(allowed.contains(h), "{h} not allowed: {allowed}");
        }
        // Any other origin gets no allowance.
        for other in [
            "https://evil.example.com",
            "https://admin.example.com.evil.net",
            "null",
        ] {
            let res = preflight(&f, other).await;
            assert_eq!(allowed_origin(&res), None, "{other}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_cors_origin_that_is_not_one_is_refused_when_the_server_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = gatehouse::store::SqliteStore::open(&dir.path().join("g.db"))
        .await
        .expect("store");
    let service = Arc::new(
        Service::open(
            Arc::new(store),
            Arc::new(Catalogs::builtin().expect("catalogs")),
        )
        .await
        .expect("service"),
    );
    let config = ServerConfig {
        cors_origins: vec!["*".into()],
        ..ServerConfig::default()
    };
    let e = gatehouse::server::router(service, &config).expect_err("refused");
    assert!(
        matches!(&e, gatehouse::backend::Error::Invalid { field, .. } if field == "--cors-origin"),
        "{e:?}"
    );
}
