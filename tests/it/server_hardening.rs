//! Hardening of `gatehouse serve`: strict request bodies (unknown fields, an empty entity UUID,
//! the JSON content type) answered with specific JSON errors; `at_least_revision` far ahead of
//! the store costs a bounded number of store reads; the audit log never shows API key hashes;
//! connections have a header-read (and idle) timeout and a cap. A real server in process on
//! 127.0.0.1 (ephemeral port, temp SQLite store); every test is bounded in time.

use crate::support;
use crate::support::build;

use gatehouse::backend::Backend;
use gatehouse::backend::{PermissionSpec, UserSpec};
use gatehouse::catalog::Catalogs;
use gatehouse::model::AuditQuery;
use gatehouse::model::ObjectKind;
use gatehouse::server::ServerConfig;
use gatehouse::service::{Actor, Service};
use gatehouse::store::Store;
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use support::{CountingStore, Fixture, StoreKind, bounded, start, start_wrapped};

/// Sends `rb` with the key; the status and the JSON body (every answer, errors too, is JSON).
async fn send(f: &Fixture, rb: reqwest::RequestBuilder) -> (u16, Value) {
    let res = rb.bearer_auth(&f.admin_key).send().await.expect("send");
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, body)
}

/// The code, field and message of an error answer.
fn error_of(body: &Value) -> (String, String, String) {
    let e = &body["error"];
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (s(&e["code"]), s(&e["field"]), s(&e["message"]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_in_bodies_are_refused_naming_the_field() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let c = reqwest::Client::new();
        let local = f.local();
        let bob = local
            .create_user(UserSpec {
                username: "bob".into(),
                ..Default::default()
            })
            .await
            .expect("bob");
        let before = f.revision();
        // The spec of an update is read with its version beside it: a typo is not dropped.
        let (s, b) = send(
            &f,
            c.put(f.api("/users/bob"))
                .json(&json!({"username": "bob", "disabld": true, "version": bob.version})),
        )
        .await;
        let (code, field, message) = error_of(&b);
        assert_eq!(
            (s, code.as_str(), field.as_str()),
            (400, "invalid", "disabld"),
            "{b}"
        );
        assert!(message.contains("disabld"), "{message}");
        assert!(
            message.contains("disabled"),
            "the message lists the known fields: {message}"
        );
        // Every kind of body.
        let perm = support::build::add_permission(&local, "mage", "Pipeline", &["LIST"]).await;
        let before = before.max(f.revision());
        let cases: Vec<(reqwest::RequestBuilder, &str)> = vec![
            (
                c.post(f.api("/roles"))
                    .json(&json!({"name": "r", "descripton": "x"})),
                "descripton",
            ),
            (
                c.post(f.api("/users"))
                    .json(&json!({"username": "carol", "admin": true})),
                "admin",
            ),
            (
                c.post(f.api("/teams"))
                    .json(&json!({"key": "t", "members": []})),
                "members",
            ),
            (
                c.post(f.api("/permissions"))
                    .json(&json!({"catalog": "mage", "entity": "Pipeline",
                    "grants": ["LIST"], "entity_id": "x"})),
                "entity_id",
            ),
            (
                c.put(f.api(&format!("/permissions/{}", perm.id)))
                    .json(&json!({"catalog": "mage",
                    "entity": "Pipeline", "grants": ["LIST"], "version": perm.version,
                    "grant": ["DETAIL"]})),
                "grant",
            ),
            (
                c.post(f.api("/roles/viewer/users"))
                    .json(&json!({"user": "bob", "rol": "x"})),
                "rol",
            ),
            (
                c.post(f.api("/roles/viewer/permissions"))
                    .json(&json!({"permission": perm.id.to_string(), "x": 1})),
                "x",
            ),
            (
                c.post(f.api("/users/bob/roles"))
                    .json(&json!({"role": "viewer", "force": true})),
                "force",
            ),
            (
                c.post(f.api("/keys"))
                    .json(&json!({"user": "bob", "readonly": true})),
                "readonly",
            ),
            (
                // A tagged link is read whole: the error names the field in its message.
                c.post(f.api("/links"))
                    .json(&json!({"link": "user_role", "user": bob.id.to_string(),
                    "role": perm.id.to_string(), "extra": 1})),
                "body:extra",
            ),
            (
                c.post(f.api("/check"))
                    .json(&json!({"requests": [{"user": "bob", "catalog": "mage",
                    "action": "LIST", "entity": "Pipeline", "entity_uid": "x"}]})),
                "requests[0].entity_uid",
            ),
            (
                c.post(f.api("/import"))
                    .json(&json!({"permissions": [{"key": "p", "catalog": "mage",
                    "entity": "Pipeline", "grants": ["LIST"], "entty_uuid": "x"}]})),
                "permissions[0].entty_uuid",
            ),
        ];
        for (rb, want) in cases {
            let (s, b) = send(&f, rb).await;
            let (code, field, message) = error_of(&b);
            let (want, named) = match want.split_once(':') {
                Some((field, named)) => (field, named),
                None => (want, want.rsplit(['.', ']']).next().unwrap_or(want)),
            };
            assert_eq!(
                (s, code.as_str(), field.as_str()),
                (400, "invalid", want),
                "{b}"
            );
            assert!(message.contains(named), "{message}");
        }
        assert_eq!(f.revision(), before, "refused bodies write nothing");
        // The client of the API still writes, updates included.
        let http = f.http(&f.admin_key);
        let mut spec = UserSpec::of(&bob);
        spec.disabled = true;
        let bob2 = http
            .update_user(bob.id, spec, bob.version)
            .await
            .expect("update");
        assert!(bob2.disabled);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_entity_uuid_in_a_question_is_refused_not_read_as_the_type() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let c = reqwest::Client::new();
        let one = json!({"user": "admin", "catalog": "mage", "action": "LIST",
                         "entity": "Pipeline", "entity_uuid": ""});
        for path in ["/check", "/explain"] {
            let (s, b) = send(&f, c.post(f.api(path)).json(&one)).await;
            let (code, field, _) = error_of(&b);
            assert_eq!(
                (s, code.as_str(), field.as_str()),
                (400, "invalid", "entity_uuid"),
                "{path}: {b}"
            );
        }
        let mut fine = one.clone();
        fine["entity_uuid"] = json!("example_pipeline");
        let batch = json!({"requests": [fine, one]});
        let (s, b) = send(&f, c.post(f.api("/check")).json(&batch)).await;
        let (_, field, _) = error_of(&b);
        assert_eq!((s, field.as_str()), (400, "requests[1].entity_uuid"), "{b}");
        let (s, b) = send(
            &f,
            c.get(f.api("/who-can?catalog=mage&action=LIST&entity=Pipeline&entity_uuid=")),
        )
        .await;
        let (_, field, _) = error_of(&b);
        assert_eq!((s, field.as_str()), (400, "entity_uuid"), "{b}");
        // Left out, the same questions are answered.
        let mut typed = json!({"user": "admin", "catalog": "mage", "action": "LIST",
                               "entity": "Pipeline"});
        let (s, b) = send(&f, c.post(f.api("/check")).json(&typed)).await;
        assert_eq!((s, b["allowed"].clone()), (200, json!(true)), "{b}");
        typed["entity_uuid"] = Value::Null;
        let (s, _) = send(&f, c.post(f.api("/check")).json(&typed)).await;
        assert_eq!(s, 200);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_entity_uuid_is_refused_not_read_as_every_entity() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let c = reqwest::Client::new();
        let before = f.revision();
        let body = json!({"catalog": "mage", "entity": "Pipeline", "entity_uuid": "",
                          "grants": ["LIST"]});
        let (s, b) = send(&f, c.post(f.api("/permissions")).json(&body)).await;
        let (code, field, _) = error_of(&b);
        assert_eq!(
            (s, code.as_str(), field.as_str()),
            (400, "invalid", "entity_uuid"),
            "{b}"
        );
        let (s, b) = send(
            &f,
            c.post(f.api("/import"))
                .json(&json!({"permissions": [{"key": "p", "catalog": "mage",
                "entity": "Pipeline", "entity_uuid": "", "grants": ["LIST"]}]})),
        )
        .await;
        let (code, field, _) = error_of(&b);
        assert_eq!(
            (s, code.as_str(), field.as_str()),
            (400, "invalid", "permissions[0].entity_uuid"),
            "{b}"
        );
        assert_eq!(f.revision(), before);
        // An update to "" is refused too; leaving it out (or null) means every entity.
        let perm = f
            .local()
            .create_permission(PermissionSpec {
                catalog: "mage".into(),
                entity: "Pipeline".into(),
                entity_uuid: Some("example_pipeline".into()),
                grants: vec!["LIST".into()],
                ..Default::default()
            })
            .await
            .expect("permission");
        let path = f.api(&format!("/permissions/{}", perm.id));
        let mut body = json!({"catalog": "mage", "entity": "Pipeline", "entity_uuid": "",
                              "grants": ["LIST"], "version": perm.version});
        let (s, b) = send(&f, c.put(&path).json(&body)).await;
        let (_, field, _) = error_of(&b);
        assert_eq!((s, field.as_str()), (400, "entity_uuid"), "{b}");
        body["entity_uuid"] = Value::Null;
        let (s, b) = send(&f, c.put(&path).json(&body)).await;
        assert_eq!((s, b["entity_uuid"].clone()), (200, Value::Null), "{b}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_bodies_need_the_json_content_type_and_errors_have_the_right_status() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let c = reqwest::Client::new();
        let before = f.revision();
        let role = r#"{"name": "typed"}"#;
        // No Content-Type, a form (what `curl -d` sends), plain text: 415, nothing written.
        for content_type in [
            None,
            Some("application/x-www-form-urlencoded"),
            Some("text/plain"),
        ] {
            let mut rb = c.post(f.api("/roles")).body(role);
            if let Some(t) = content_type {
                rb = rb.header("content-type", t);
            }
            let (s, b) = send(&f, rb).await;
            let (code, field, message) = error_of(&b);
            assert_eq!(
                (s, code.as_str(), field.as_str()),
                (415, "unsupported_media_type", "content-type"),
                "{content_type:?}: {b}"
            );
            assert!(
                message.contains("Content-Type: application/json"),
                "{message}"
            );
        }
        assert_eq!(f.revision(), before);
        // Syntax, wrong type, missing field: 400; too large: 413.
        let json_post = |body: String| {
            c.post(f.api("/roles"))
                .header("content-type", "application/json")
                .body(body)
        };
        let (s, b) = send(&f, json_post("{\"name\": ".into())).await;
        assert_eq!((s, error_of(&b).1.as_str()), (400, "body"), "{b}");
        let (s, b) = send(&f, json_post(r#"{"name": "a"} trailing"#.into())).await;
        assert_eq!((s, error_of(&b).1.as_str()), (400, "body"), "{b}");
        let (s, b) = send(&f, json_post(r#"{"name": 5}"#.into())).await;
        assert_eq!((s, error_of(&b).1.as_str()), (400, "name"), "{b}");
        let (s, b) = send(&f, json_post(r#"{"description": "no name"}"#.into())).await;
        assert_eq!((s, error_of(&b).1.as_str()), (400, "body"), "{b}");
        assert!(error_of(&b).2.contains("name"), "{b}");
        // Its own client: the server answers 413 before reading the whole body.
        let once = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("client");
        let big = format!(r#"{{"name": "{}"}}"#, "x".repeat(2 * 1024 * 1024));
        let (s, b) = send(
            &f,
            once.post(f.api("/roles"))
                .header("content-type", "application/json")
                .body(big),
        )
        .await;
        assert_eq!((s, error_of(&b).0.as_str()), (413, "too_large"), "{b}");
        assert_eq!(f.revision(), before);
        // JSON with parameters, and a `+json` type, are JSON.
        for t in [
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
        ] {
            let name = format!("typed {t}");
            let res = c
                .post(f.api("/roles"))
                .bearer_auth(&f.admin_key)
                .header("content-type", t)
                .body(json!({ "name": name }).to_string())
                .send()
                .await
                .expect("send");
            assert_eq!(res.status().as_u16(), 201, "{t}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn far_ahead_revisions_cost_a_bounded_number_of_store_reads() {
    bounded(120, async {
        let counting: Arc<OnceLock<Arc<CountingStore>>> = Arc::default();
        let slot = counting.clone();
        let f = start_wrapped(StoreKind::Sqlite, ServerConfig::default(), move |inner| {
            let c = CountingStore::new(inner);
            let _ = slot.set(c.clone());
            c as Arc<dyn Store>
        })
        .await
        .expect("fixture");
        let store = counting.get().expect("the counting store").clone();
        let c = reqwest::Client::new();

        // Another process writes: a check naming its revision is answered from it.
        let other: Arc<dyn Store> = Arc::from(f.reopen_store().await);
        let cats = Arc::new(Catalogs::builtin().expect("catalogs"));
        let other = Service::open(other, cats).await.expect("other process");
        let carol = build::create_user(&other, &Actor::user(&f.admin, false), "carol").await;
        let written = other.snapshot().state.revision;
        let ask = |at: u64| {
            json!({"user": "carol", "catalog": "mage", "action": "LIST", "entity": "Pipeline",
                   "at_least_revision": at})
        };
        let (s, b) = send(&f, c.post(f.api("/check")).json(&ask(written))).await;
        assert_eq!(s, 200, "{b}");
        assert!(b["revision"].as_u64() >= Some(written), "{b}");
        assert_ne!(
            b["rule"]["rule"],
            json!("unknown_subject"),
            "carol is known: {b}"
        );
        assert!(
            f.service
                .snapshot()
                .state
                .user_by_name(&carol.username)
                .is_some()
        );

        // A flood of checks naming a revision nobody reached: each is answered "not reached" at
        // once; the store is never reloaded (its revision did not move) and its revision is
        // read at most once per 100 ms for all of them (plus the server's own once-a-second
        // follow-up).
        let far = written + 1_000_000;
        let (loads, revisions) = store.counts();
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (c, url, key) = (c.clone(), f.api("/check"), f.admin_key.clone());
            let body = ask(far);
            tasks.push(tokio::spawn(async move {
                let mut answers = Vec::new();
                for _ in 0..15 {
                    let res = c.post(&url).bearer_auth(&key).json(&body).send().await;
                    let res = res.expect("send");
                    let status = res.status().as_u16();
                    let body: Value = res.json().await.expect("json");
                    answers.push((status, body));
                }
                answers
            }));
        }
        let mut asked = 0;
        for t in tasks {
            for (status, body) in t.await.expect("task") {
                assert_eq!(status, 409, "{body}");
                assert_eq!(body["error"]["code"], json!("conflict"), "{body}");
                let message = body["error"]["message"].as_str().unwrap_or_default();
                assert!(message.contains("not reached"), "{message}");
                asked += 1;
            }
        }
        let took = start.elapsed();
        let (loads_after, revisions_after) = store.counts();
        assert_eq!(asked, 300);
        assert_eq!(
            loads_after, loads,
            "a far-ahead revision never reloads an unmoved store"
        );
        let intervals = took.as_millis() as u64 / 100 + 1;
        let bound = intervals + took.as_secs() + 2;
        assert!(
            revisions_after - revisions <= bound,
            "{} revision reads for {asked} requests in {took:?} (at most {bound})",
            revisions_after - revisions
        );
        // A revision already reached is answered without reading the store.
        let (_, before) = store.counts();
        let (s, b) = send(&f, c.post(f.api("/check")).json(&ask(written))).await;
        assert_eq!(s, 200, "{b}");
        let (_, after) = store.counts();
        assert!(
            after - before <= 1,
            "only the once-a-second follow-up may read"
        );
    })
    .await;
}

/// The audit events of `f`'s store as it holds them (not through any backend), as JSON text.
async fn raw_audit(f: &Fixture) -> String {
    let events = f
        .reopen_store()
        .await
        .audit(&AuditQuery::default())
        .await
        .expect("audit");
    assert!(
        events
            .iter()
            .filter(|e| e.object_kind == ObjectKind::ApiKey)
            .count()
            >= 6,
        "the fixture's four keys, one more and its revocation"
    );
    serde_json::to_string(&events).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_never_shows_api_key_hashes() {
    use sqlx::{ConnectOptions, Connection};
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let c = reqwest::Client::new();
        let (s, b) = send(&f, c.post(f.api("/keys")).json(&json!({"user": "viewer"}))).await;
        assert_eq!(s, 201, "{b}");
        let id = b["key"]["id"].as_str().expect("key id").to_string();
        let hashes: Vec<String> = f
            .service
            .snapshot()
            .state
            .keys
            .values()
            .map(|k| k.hash.clone())
            .collect();
        assert_eq!(hashes.len(), 5);
        let (s, b) = send(&f, c.delete(f.api(&format!("/keys/{id}")))).await;
        assert_eq!(s, 200, "{b}");
        let no_hash = |text: &str, what: &str| {
            assert!(
                !text.contains("\"hash\""),
                "{what} holds a hash field: {text}"
            );
            for h in &hashes {
                assert!(!text.contains(h.as_str()), "{what} holds the hash {h}");
            }
        };
        // Never written: the store's own records of key creations and the revocation.
        no_hash(&raw_audit(&f).await, "the store's audit");
        let (s, b) = send(&f, c.get(f.api("/audit?limit=10000"))).await;
        assert_eq!(s, 200, "{b}");
        no_hash(&b.to_string(), "GET /audit");

        // A record written before (it still holds the hash) is shown without it.
        let mut db = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(f.dir.path().join("gatehouse.db"))
            .connect()
            .await
            .expect("raw connection");
        sqlx::query(
            "UPDATE audit SET after_json = json_set(after_json, '$.hash', ?1) \
             WHERE object_kind = 'api_key' AND after_json IS NOT NULL",
        )
        .bind(&hashes[0])
        .execute(&mut db)
        .await
        .expect("an old record");
        db.close().await.expect("close");
        assert!(
            raw_audit(&f).await.contains(&hashes[0]),
            "the old record holds the hash"
        );
        let (s, b) = send(&f, c.get(f.api("/audit?limit=10000"))).await;
        assert_eq!(s, 200, "{b}");
        no_hash(&b.to_string(), "GET /audit over old records");
        assert!(
            b.to_string().contains("\"prefix\""),
            "the rest of the key is shown"
        );
        let events = f
            .http(&f.admin_key)
            .audit(AuditQuery::default())
            .await
            .expect("audit");
        no_hash(
            &serde_json::to_string(&events).expect("json"),
            "the HTTP client's audit",
        );
        let events = f.local().audit(AuditQuery::default()).await.expect("audit");
        no_hash(
            &serde_json::to_string(&events).expect("json"),
            "the local backend's audit",
        );
    })
    .await;
}

/// Reads one HTTP/1.1 answer (head and a `Content-Length` body) from `conn`: the status, the
/// head's text and the body; `None` when the server closed the connection first.
async fn read_answer(conn: &mut tokio::net::TcpStream) -> Option<(u16, String, String)> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&got[..head_end]).into_owned();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while got.len() < head_end + len {
        match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    let body = String::from_utf8_lossy(&got[head_end..head_end + len]).into_owned();
    Some((status, head, body))
}

/// Sends `GET /api/v1/healthz` on `conn` (keep-alive) and reads the answer.
async fn healthz(conn: &mut tokio::net::TcpStream) -> Option<(u16, String, String)> {
    use tokio::io::AsyncWriteExt;
    conn.write_all(b"GET /api/v1/healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .ok()?;
    read_answer(conn).await
}

/// Waits until the server closes `conn` (a read ends), failing past `secs`.
async fn closed_by_the_server(conn: &mut tokio::net::TcpStream, secs: u64, what: &str) {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    let ended = tokio::time::timeout(std::time::Duration::from_secs(secs), async {
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                // An answer to the unfinished request (408) may come before the close.
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the server kept {what} open for {secs} s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_heads_and_idle_connections_are_closed() {
    use tokio::io::AsyncWriteExt;
    bounded(60, async {
        let f = start(ServerConfig {
            header_read_timeout: std::time::Duration::from_millis(300),
            ..ServerConfig::default()
        })
        .await;
        // A head that never ends.
        let mut slow = tokio::net::TcpStream::connect(f.server.addr)
            .await
            .expect("connect");
        slow.write_all(b"GET /api/v1/healthz HTTP/1.1\r\nHost: test\r\n")
            .await
            .expect("half a head");
        // A keep-alive connection that served one request, then stays idle.
        let mut idle = tokio::net::TcpStream::connect(f.server.addr)
            .await
            .expect("connect");
        let (status, _, _) = healthz(&mut idle).await.expect("an answer");
        assert_eq!(status, 200);
        closed_by_the_server(&mut slow, 20, "a connection whose head never ended").await;
        closed_by_the_server(&mut idle, 20, "an idle keep-alive connection").await;
        // Connections that keep talking are served.
        let mut busy = tokio::net::TcpStream::connect(f.server.addr)
            .await
            .expect("connect");
        for _ in 0..3 {
            assert_eq!(healthz(&mut busy).await.map(|a| a.0), Some(200));
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_get_a_clear_503() {
    bounded(60, async {
        let f = start(ServerConfig {
            max_connections: 2,
            ..ServerConfig::default()
        })
        .await;
        let connect = || tokio::net::TcpStream::connect(f.server.addr);
        // Two connections served (each has had an answer, so each holds its place).
        let mut first = connect().await.expect("connect");
        let mut second = connect().await.expect("connect");
        assert_eq!(healthz(&mut first).await.map(|a| a.0), Some(200));
        assert_eq!(healthz(&mut second).await.map(|a| a.0), Some(200));
        // A third is answered 503 with the JSON error, and closed.
        let mut third = connect().await.expect("connect");
        let (status, head, body) = healthz(&mut third).await.expect("an answer");
        assert_eq!(status, 503, "{head}{body}");
        let v: Value = serde_json::from_str(&body).expect("JSON error");
        assert_eq!(v["error"]["code"], json!("unavailable"), "{body}");
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("connections") && message.contains('2'),
            "{message}"
        );
        let head = head.to_ascii_lowercase();
        assert!(head.contains("connection: close"), "{head}");
        assert!(head.contains("retry-after: 1"), "{head}");
        closed_by_the_server(&mut third, 20, "a refused connection").await;
        // The served ones go on; once one closes, a new connection is served again.
        assert_eq!(healthz(&mut first).await.map(|a| a.0), Some(200));
        drop(second);
        let mut served = false;
        for _ in 0..200 {
            let mut next = connect().await.expect("connect");
            if healthz(&mut next).await.map(|a| a.0) == Some(200) {
                served = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(
            served,
            "a place freed by a closed connection is never reused"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_query_parameters_are_refused_not_ignored() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let c = reqwest::Client::new();
        let before = f.revision();
        let doc = json!({"roles": [{"name": "imported"}]});
        // A misspelt dry run would otherwise import for real.
        for path in ["/import?dryrun=true", "/import?dry-run=true"] {
            let (s, b) = send(&f, c.post(f.api(path)).json(&doc)).await;
            let (code, field, message) = error_of(&b);
            assert_eq!(
                (s, code.as_str(), field.as_str()),
                (400, "invalid", "query"),
                "{b}"
            );
            assert!(message.contains("dry"), "{message}");
        }
        let (s, b) = send(&f, c.delete(f.api("/roles/viewer?forse=true"))).await;
        assert_eq!((s, error_of(&b).1.as_str()), (400, "query"), "{b}");
        let (s, b) = send(&f, c.get(f.api("/audit?limt=5"))).await;
        assert_eq!((s, error_of(&b).1.as_str()), (400, "query"), "{b}");
        let (s, b) = send(
            &f,
            c.get(f.api("/who-can?catalog=mage&action=LIST&entity=Pipeline&entity_id=x")),
        )
        .await;
        assert_eq!((s, error_of(&b).1.as_str()), (400, "query"), "{b}");
        assert_eq!(f.revision(), before, "nothing was written");
        // The right spelling still works.
        let (s, b) = send(&f, c.post(f.api("/import?dry_run=true")).json(&doc)).await;
        assert_eq!((s, b["dry_run"].clone()), (200, json!(true)), "{b}");
        assert_eq!(f.revision(), before);
    })
    .await;
}
