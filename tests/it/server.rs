//! `gatehouse serve` end to end: a real server in process on 127.0.0.1 (ephemeral port, temp
//! SQLite store), driven through `HttpBackend` and raw HTTP, compared with what the store holds
//! and with the local backend on the same service. Every test is bounded in time.

use crate::support;
use crate::support::build;

use gatehouse::backend::Backend;
use gatehouse::backend::{Error, PermissionSpec, RoleSpec, TeamSpec, UserSpec};
use gatehouse::model::AuditQuery;
use gatehouse::model::{Principal, new_id};
use gatehouse::policy::Link;
use gatehouse::server::ServerConfig;
use gatehouse::wire::StateWire;
use serde_json::{Value, json};
use std::sync::Arc;
use support::{StoreKind, bounded, start_on};

fn role_spec(name: &str) -> RoleSpec {
    RoleSpec {
        name: name.into(),
        description: String::new(),
    }
}

async fn crud_links_and_state_over_http_match_the_store(kind: StoreKind) {
    bounded(60, async {
        let Some(f) = start_on(kind, ServerConfig::default()).await else {
            return;
        };
        let http = f.http(&f.admin_key);
        let local = f.local();
        let role = http.create_role(role_spec("analyst")).await.expect("role");
        let perm = http
            .create_permission(PermissionSpec {
                catalog: "mage".into(),
                entity: "Pipeline".into(),
                grants: vec!["LIST".into(), "DETAIL".into()],
                ..Default::default()
            })
            .await
            .expect("permission");
        let bob = http
            .create_user(UserSpec {
                username: "bob".into(),
                email: "bob@example.com".into(),
                ..Default::default()
            })
            .await
            .expect("user");
        let team = http
            .create_team(TeamSpec {
                key: "data".into(),
                name: "Data".into(),
                ..Default::default()
            })
            .await
            .expect("team");
        let r1 = http
            .link(Link::RolePermission {
                role: role.id,
                permission: perm.id,
            })
            .await
            .expect("link");
        let r2 = http
            .link(Link::Member {
                team: team.id,
                user: bob.id,
                role: Some(role.id),
            })
            .await
            .expect("member");
        assert!(r2 > r1, "every write returns its new revision");
        assert_eq!(r2, f.revision());
        http.link(Link::Grant {
            principal: Principal::User(bob.id),
            permission: perm.id,
        })
        .await
        .expect("grant");
        // The answers are the objects the store holds.
        let snap = f.service.snapshot();
        assert_eq!(snap.state.roles[&role.id], role);
        assert_eq!(snap.state.users[&bob.id], bob);
        // Update at the version read; a stale version is refused and writes nothing.
        let mut spec = RoleSpec::of(&role);
        spec.description = "reads pipelines".into();
        let updated = http
            .update_role(role.id, spec.clone(), 1)
            .await
            .expect("update");
        assert_eq!(updated.version, 2);
        let before = f.revision();
        let stale = http.update_role(role.id, spec, 1).await.expect_err("stale");
        assert!(
            matches!(
                stale,
                Error::Stale {
                    current_version: Some(2),
                    ..
                }
            ),
            "{stale:?}"
        );
        assert_eq!(f.revision(), before, "a refused update writes nothing");
        assert_eq!(f.service.snapshot().state.roles[&role.id], updated);
        // Errors come back exactly as the service made them.
        let bad = http
            .create_role(role_spec(""))
            .await
            .expect_err("empty name");
        assert_eq!(
            bad,
            Error::Invalid {
                field: "name".into(),
                message: "must not be empty".into()
            }
        );
        assert_eq!(
            bad,
            local.create_role(role_spec("")).await.expect_err("local")
        );
        let missing = new_id();
        let nf = http
            .update_role(missing, role_spec("x"), 1)
            .await
            .expect_err("missing");
        assert!(matches!(nf, Error::NotFound { .. }), "{nf:?}");
        let dup = http
            .create_role(role_spec("analyst"))
            .await
            .expect_err("dup");
        assert_eq!(
            dup,
            local
                .create_role(role_spec("analyst"))
                .await
                .expect_err("dup")
        );
        // The whole state, as the client sees it, is the store's.
        let remote = http.state().await.expect("state");
        // "Last used" moves with every request and is not versioned state: compare the rest.
        let unversioned = |s: &gatehouse::policy::State| {
            let mut w = StateWire::from(s);
            for k in &mut w.keys {
                k.last_used_at = None;
            }
            w
        };
        assert_eq!(
            unversioned(&remote),
            unversioned(&f.service.snapshot().state)
        );
        let again = http.state().await.expect("state");
        assert!(
            Arc::ptr_eq(&remote, &again),
            "unchanged state answers 304 and is reused"
        );
        // The sub-resource routes see the same relations.
        let client = reqwest::Client::new();
        let get = |path: &str| client.get(f.api(path)).bearer_auth(&f.admin_key).send();
        let perms: Value = get("/roles/analyst/permissions")
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(perms[0]["id"], json!(perm.id));
        let members: Value = get("/teams/data/members")
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(members, json!([{"user": bob.id, "role": role.id}]));
        let res = client
            .post(f.api("/users/bob/roles"))
            .bearer_auth(&f.admin_key)
            .json(&json!({"role": "analyst"}))
            .send()
            .await
            .expect("post");
        assert_eq!(res.status().as_u16(), 200);
        let rev: Value = res.json().await.expect("json");
        assert_eq!(rev["revision"], json!(f.revision()));
        assert!(
            f.service
                .snapshot()
                .state
                .user_roles
                .contains(&(bob.id, role.id))
        );
        // Deletes: links in the way need force.
        let busy = http.delete_role(role.id, false).await.expect_err("in use");
        assert!(matches!(busy, Error::Conflict(_)), "{busy:?}");
        http.delete_role(role.id, true).await.expect("force");
        http.unlink(Link::Member {
            team: team.id,
            user: bob.id,
            role: None,
        })
        .await
        .expect("unlink");
        http.delete_team(team.id, false).await.expect("team");
        http.delete_permission(perm.id, true)
            .await
            .expect("permission");
        http.delete_user(bob.id, true).await.expect("user");
        let s = f.service.snapshot();
        assert!(!s.state.roles.contains_key(&role.id));
        assert!(!s.state.users.contains_key(&bob.id));
        assert!(s.state.grants.is_empty());
    })
    .await;
}

async fn presets_import_export_and_keys_over_http(kind: StoreKind) {
    bounded(60, async {
        let Some(f) = start_on(kind, ServerConfig::default()).await else {
            return;
        };
        let http = f.http(&f.admin_key);
        let before = f.revision();
        let dry = http.apply_preset("mage", true).await.expect("dry run");
        assert!(dry.dry_run);
        assert_eq!(f.revision(), before);
        let first = http.apply_preset("mage", false).await.expect("apply");
        assert_eq!((first.roles.created, first.permissions.created), (6, 623));
        assert_eq!(first.links.created, 625);
        assert_eq!(first.revision, f.revision());
        let second = http.apply_preset("mage", false).await.expect("again");
        assert_eq!(second.roles.created + second.permissions.created, 0);
        let unknown = http.apply_preset("nope", false).await.expect_err("unknown");
        assert!(
            matches!(unknown, Error::Invalid { .. } | Error::NotFound { .. }),
            "{unknown:?}"
        );
        // Export is the local export; importing it again creates nothing.
        let doc = http.export().await.expect("export");
        assert_eq!(doc, f.local().export().await.expect("local export"));
        let re = http.import(doc, false).await.expect("import");
        assert_eq!(
            re.roles.created + re.permissions.created + re.links.created,
            0
        );
        // Keys: the secret is shown once and works; the record has the right hash.
        let key = http.create_key(f.viewer.id, true, None).await.expect("key");
        assert_eq!(f.service.snapshot().state.keys[&key.record.id], key.record);
        let me = f.http(&key.secret).me().await.expect("me");
        assert_eq!(me.username, "viewer");
        assert!(!me.can_write);
        // okdata-style grants.
        http.create_user(UserSpec {
            username: "carol".into(),
            ..Default::default()
        })
        .await
        .expect("carol");
        let grants_before = http
            .resource_grants("okdata:dataset:ds1")
            .await
            .expect("ls");
        http.grant_resource(
            "okdata:dataset:ds1",
            "carol",
            None,
            gatehouse::backend::GrantTo::User,
        )
        .await
        .expect("grant");
        let rows = http
            .resource_grants("okdata:dataset:ds1")
            .await
            .expect("ls");
        assert_eq!(
            rows,
            f.local()
                .resource_grants("okdata:dataset:ds1")
                .await
                .expect("local")
        );
        assert!(rows.len() > grants_before.len());
        http.revoke_resource(
            "okdata:dataset:ds1",
            "carol",
            Some("okdata:dataset:read"),
            gatehouse::backend::GrantTo::User,
        )
        .await
        .expect("revoke one scope");
        assert!(http.my_resource_grants().await.expect("mine").is_empty());
    })
    .await;
}

async fn engine_questions_and_audit_agree_with_the_local_backend(kind: StoreKind) {
    bounded(60, async {
        let Some(f) = start_on(kind, ServerConfig::default()).await else {
            return;
        };
        let http = f.http(&f.admin_key);
        let local = f.local();
        let report = http.apply_preset("mage", false).await.expect("preset");
        let s = f.service.snapshot().state.clone();
        let role = s.role_by_name(&report.created_roles[0]).expect("role").clone();
        let dave = http
            .create_user(UserSpec {
                username: "dave".into(),
                ..Default::default()
            })
            .await
            .expect("dave");
        http.link(Link::UserRole {
            user: dave.id,
            role: role.id,
        })
        .await
        .expect("assign");
        let mut asked = 0;
        for action in ["LIST", "DETAIL", "CREATE", "DELETE", "UPDATE"] {
            for entity in ["Pipeline", "Block", "User", "Role"] {
                let req = build::request(dave.id, "mage", action, entity);
                let remote = http.explain(req.clone()).await.expect("explain");
                assert_eq!(remote, local.explain(req.clone()).await.expect("local"));
                let who = http.who_can(req.clone()).await.expect("who");
                assert_eq!(who, local.who_can(req).await.expect("local who"));
                asked += 1;
            }
        }
        assert_eq!(asked, 20);
        let what = http.what_can(dave.id).await.expect("what");
        assert_eq!(what, local.what_can(dave.id).await.expect("local what"));
        // Raw /check: by username, single and batch, against one revision.
        let client = reqwest::Client::new();
        let one = json!({"user": "dave", "catalog": "mage", "action": "LIST", "entity": "Pipeline"});
        let res = client
            .post(f.api("/check"))
            .bearer_auth(&f.admin_key)
            .json(&one)
            .send()
            .await
            .expect("check");
        let rev = res.headers()["x-gatehouse-revision"].to_str().expect("header").to_string();
        let single: Value = res.json().await.expect("json");
        assert_eq!(rev, f.revision().to_string());
        let expect = local
            .explain(build::request(dave.id, "mage", "LIST", "Pipeline"))
            .await
            .expect("local");
        assert_eq!(single["allowed"], json!(expect.allowed));
        let batch: Vec<Value> = (0..100).map(|_| one.clone()).collect();
        let res: Value = client
            .post(f.api("/check"))
            .bearer_auth(&f.admin_key)
            .json(&json!({"requests": batch}))
            .send()
            .await
            .expect("batch")
            .json()
            .await
            .expect("json");
        let results = res["results"].as_array().expect("results");
        assert_eq!(results.len(), 100);
        assert!(results.iter().all(|r| r["allowed"] == json!(expect.allowed)));
        let ahead = json!({"user": "dave", "catalog": "mage", "action": "LIST",
                           "entity": "Pipeline", "at_least_revision": f.revision() + 10});
        let res = client
            .post(f.api("/check"))
            .bearer_auth(&f.admin_key)
            .json(&ahead)
            .send()
            .await
            .expect("ahead");
        assert_eq!(res.status().as_u16(), 409);
        let unknown: Value = client
            .post(f.api("/check"))
            .bearer_auth(&f.admin_key)
            .json(&json!({"user": "nobody", "catalog": "mage", "action": "LIST", "entity": "Pipeline"}))
            .send()
            .await
            .expect("unknown")
            .json()
            .await
            .expect("json");
        assert_eq!(unknown["allowed"], json!(false));
        assert_eq!(unknown["rule"]["rule"], json!("unknown_subject"));
        // A viewer asks about itself only... and the viewer role reads users, so others too.
        let viewer = f.http(&f.reader_key);
        assert!(viewer.what_can(dave.id).await.is_ok());
        // Audit: every page, a short page, filters — equal to the store's.
        let all = http.audit(AuditQuery::default()).await.expect("audit");
        assert_eq!(all, local.audit(AuditQuery::default()).await.expect("local"));
        assert!(all.len() > 1250, "{}", all.len());
        for limit in [1, 3, 700, 1300] {
            let q = AuditQuery {
                limit,
                ..Default::default()
            };
            let page = http.audit(q.clone()).await.expect("page");
            assert_eq!(page, local.audit(q).await.expect("local page"), "limit {limit}");
        }
        let q = AuditQuery {
            actor: Some("admin".into()),
            before_revision: Some(f.revision()),
            ..Default::default()
        };
        assert_eq!(http.audit(q.clone()).await.expect("q"), local.audit(q).await.expect("l"));
    })
    .await;
}

async fn send(key: &str, rb: reqwest::RequestBuilder) -> (u16, Value) {
    let res = rb.bearer_auth(key).send().await.expect("send");
    let status = res.status().as_u16();
    let body: Value = res.json().await.expect("json error body");
    (status, body)
}

async fn bad_requests_get_specific_json_errors(kind: StoreKind) {
    bounded(60, async {
        let Some(f) = start_on(kind, ServerConfig::default()).await else {
            return;
        };
        let client = reqwest::Client::new();
        let before = f.revision();
        let (s, b) = send(&f.admin_key, client.post(f.api("/roles")).body("{not json").header("content-type", "application/json")).await;
        assert_eq!((s, b["error"]["code"].clone(), b["error"]["field"].clone()), (400, json!("invalid"), json!("body")));
        let (s, b) = send(&f.admin_key, client.post(f.api("/roles")).json(&json!({"description": "no name"}))).await;
        assert_eq!((s, b["error"]["field"].clone()), (400, json!("body")), "{b}");
        let big = "x".repeat(2 * 1024 * 1024);
        // Its own client: the server answers 413 before reading the whole body and closes that
        // connection, which a pooled client could otherwise pick for the next request.
        let once = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
        let (s, b) = send(&f.admin_key, once.post(f.api("/roles")).json(&json!({"name": big}))).await;
        assert_eq!((s, b["error"]["code"].clone()), (413, json!("too_large")), "{b}");
        let (s, b) = send(&f.admin_key, client.get(f.api("/no/such/route"))).await;
        assert_eq!((s, b["error"]["code"].clone()), (404, json!("not_found")), "{b}");
        let (s, b) = send(&f.admin_key, client.patch(f.api("/roles"))).await;
        assert_eq!((s, b["error"]["code"].clone()), (405, json!("method_not_allowed")), "{b}");
        let (s, b) = send(&f.admin_key, client.put(f.api("/roles/viewer")).json(&json!({"name": "v2"}))).await;
        assert_eq!((s, b["error"]["field"].clone()), (400, json!("version")), "{b}");
        let (s, b) = send(&f.admin_key, client.get(f.api("/audit?since=yesterday"))).await;
        assert_eq!((s, b["error"]["field"].clone()), (400, json!("since")), "{b}");
        let (s, b) = send(&f.admin_key, client.get(f.api("/roles/no-such-role"))).await;
        assert_eq!((s, b["error"]["kind"].clone(), b["error"]["name"].clone()), (404, json!("role"), json!("no-such-role")));
        let batch: Vec<Value> = (0..1001)
            .map(|_| json!({"user": "admin", "catalog": "mage", "action": "LIST", "entity": "Pipeline"}))
            .collect();
        let (s, b) = send(&f.admin_key, client.post(f.api("/check")).json(&json!({"requests": batch}))).await;
        assert_eq!((s, b["error"]["field"].clone()), (400, json!("requests")), "{b}");
        assert_eq!(f.revision(), before, "bad requests write nothing");
        // If-Match carries the version too.
        let res = client
            .put(f.api("/roles/viewer"))
            .bearer_auth(&f.admin_key)
            .header("if-match", "\"1\"")
            .json(&json!({"name": "viewer", "description": "via If-Match"}))
            .send()
            .await
            .expect("put");
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["etag"], "\"2\"");
    })
    .await;
}

async fn an_unreachable_server_is_unavailable_and_named(kind: StoreKind) {
    bounded(30, async {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let url = format!("http://127.0.0.1:{port}");
        let http = gatehouse::connect::HttpBackend::new(&url, "ghk_x").expect("client");
        let err = http.me().await.expect_err("nobody listens");
        match &err {
            Error::Unreachable(m) => assert!(m.contains(&url), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(err.exit_code(), 6);
        let bad = gatehouse::connect::HttpBackend::new("ftp://x", "ghk_x").expect_err("scheme");
        assert!(matches!(bad, Error::Invalid { ref field, .. } if field == "--remote"));
        // A graceful shutdown stops the server.
        let Some(f) = start_on(kind, ServerConfig::default()).await else {
            return;
        };
        let http = f.http(&f.admin_key);
        assert!(http.me().await.is_ok());
        f.server.shutdown().await.expect("shutdown");
        assert!(matches!(http.me().await, Err(Error::Unreachable(_))));
    })
    .await;
}

async fn a_graceful_shutdown_lets_an_inflight_write_finish(kind: StoreKind) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    bounded(120, async {
        let Some(f) = start_on(kind, ServerConfig::default()).await else {
            return;
        };
        let perms: Vec<Value> = (0..5000)
            .map(|i| {
                json!({"key": format!("p{i}"), "catalog": "mage", "entity": "Pipeline",
                       "entity_uuid": format!("pipeline-{i}"), "grants": ["DETAIL"]})
            })
            .collect();
        let body = serde_json::to_vec(&json!({ "permissions": perms })).expect("body");
        // The request is in flight for certain: its handler asked for the body (the server
        // answered `100 Continue`), and the body is only sent once the server has stopped
        // accepting connections.
        let addr = f.server.addr;
        let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let head = format!(
            "POST /api/v1/import?dry_run=false HTTP/1.1\r\nHost: {addr}\r\n\
             Authorization: Bearer {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
            f.admin_key,
            body.len()
        );
        conn.write_all(head.as_bytes()).await.expect("head");
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&got).contains("\r\n\r\n") {
            let n = conn.read(&mut buf).await.expect("read 100 Continue");
            assert!(n > 0, "the server closed before answering 100 Continue");
            got.extend_from_slice(&buf[..n]);
        }
        assert!(
            String::from_utf8_lossy(&got).starts_with("HTTP/1.1 100 Continue"),
            "{}",
            String::from_utf8_lossy(&got)
        );
        let service = f.service.clone();
        let stopping = tokio::spawn(f.server.shutdown());
        // Stopped accepting: a new connection is refused.
        loop {
            match tokio::net::TcpStream::connect(addr).await {
                Err(_) => break,
                Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        }
        conn.write_all(&body).await.expect("body");
        let mut rest = Vec::new();
        conn.read_to_end(&mut rest).await.expect("response");
        let rest = String::from_utf8_lossy(&rest);
        assert!(rest.starts_with("HTTP/1.1 200"), "{rest}");
        let report: Value =
            serde_json::from_str(&rest[rest.find("\r\n\r\n").expect("head end") + 4..])
                .expect("report json");
        assert_eq!(report["permissions"]["created"], 5000, "{report}");
        stopping.await.expect("join").expect("shutdown");
        service.reload().await.expect("reload");
        assert_eq!(service.snapshot().state.permissions.len(), 5001);
    })
    .await;
}

async fn a_request_past_the_timeout_is_408_and_its_write_still_completes(kind: StoreKind) {
    bounded(60, async {
        let Some(f) = start_on(
            kind,
            ServerConfig {
                timeout: std::time::Duration::from_millis(1),
                ..ServerConfig::default()
            },
        )
        .await
        else {
            return;
        };
        let res = reqwest::Client::new()
            .post(f.api("/presets/mage/apply"))
            .bearer_auth(&f.admin_key)
            .send()
            .await
            .expect("send");
        assert_eq!(res.status().as_u16(), 408);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error"]["code"], "timeout", "{body}");
        // The write was not cut off half-way: it completes, whole.
        let mut perms = 0;
        for _ in 0..200 {
            perms = f.service.snapshot().state.permissions.len();
            if perms > 600 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(
            perms, 624,
            "the mage preset's 623 permissions and the viewer's"
        );
        f.service.reload().await.expect("reload");
        assert_eq!(
            f.service.snapshot().state.permissions.len(),
            624,
            "and in the store"
        );
    })
    .await;
}

async fn a_key_records_when_it_was_last_used(kind: StoreKind) {
    bounded(60, async {
        let Some(f) = start_on(kind, ServerConfig::default()).await else {
            return;
        };
        let viewer = f.http(&f.viewer_key);
        let before = f.service.snapshot().state.clone();
        let id = before
            .keys
            .values()
            .find(|k| k.user_id == f.viewer.id && k.read_only)
            .map(|k| k.id)
            .expect("the viewer's read-only key");
        assert!(before.keys[&id].last_used_at.is_none());
        viewer.me().await.expect("me");
        // The server's key list shows it at once...
        let admin = f.http(&f.admin_key);
        let keys = admin.state().await.expect("state").keys.clone();
        assert!(keys[&id].last_used_at.is_some(), "last used is shown");
        // ...and the store has it (written in the background), without a new revision.
        let mut stored = None;
        for _ in 0..50 {
            let store = f.reopen_store().await;
            let s = store.load().await.expect("load");
            stored = s.keys[&id].last_used_at;
            if stored.is_some() {
                assert_eq!(s.revision, before.revision, "no revision for a key use");
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(stored.is_some(), "the store records the use");
    })
    .await;
}

/// Expands every test above once per store: `sqlite::NAME` always, `postgres::NAME` ignored
/// ("needs PostgreSQL"; `--include-ignored` with `GATEHOUSE_TEST_DATABASE_URL` set runs it).
macro_rules! on_each_store {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::StoreKind::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs PostgreSQL"]
                async fn $name() {
                    super::$name(super::StoreKind::Postgres).await;
                }
            )*
        }
    };
}

on_each_store!(
    crud_links_and_state_over_http_match_the_store,
    presets_import_export_and_keys_over_http,
    engine_questions_and_audit_agree_with_the_local_backend,
    bad_requests_get_specific_json_errors,
    an_unreachable_server_is_unavailable_and_named,
    a_graceful_shutdown_lets_an_inflight_write_finish,
    a_request_past_the_timeout_is_408_and_its_write_still_completes,
    a_key_records_when_it_was_last_used,
);
