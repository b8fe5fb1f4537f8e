//! The escalation chains found by an attack run against `gatehouse serve` (README "Security
//! model"), one test each, over HTTP: delegated admins holding one area of `gatehouse` rights
//! through a role try to climb; each attempt is a 403 naming the missing right (a 409 for the
//! last enabled owner) and writes nothing.

use crate::support;
use crate::support::build;

use gatehouse::backend::{PermissionSpec, RoleSpec, TeamSpec, UserSpec};
use gatehouse::model::{Id, User};
use gatehouse::policy::Link;
use gatehouse::server::ServerConfig;
use gatehouse::service::Actor;
use serde_json::{Value, json};
use support::{Fixture, bounded, start};

/// A user holding `rights` (gatehouse entity, flags) through a role of their own, with a key.
async fn delegate(f: &Fixture, name: &str, rights: &[(&str, &[&str])]) -> (User, String) {
    let svc = &f.service;
    let root = Actor::user(&f.admin, false);
    let user = build::create_user(svc, &root, name).await;
    let role = build::create_role(svc, &root, &format!("{name}-role")).await;
    for (entity, flags) in rights {
        let p = svc
            .create_permission(&root, admin_perm(entity, flags))
            .await
            .expect("permission");
        build::add_to_role(svc, &root, role.id, p.id).await;
    }
    build::assign(svc, &root, user.id, role.id).await;
    let key = svc
        .create_key(&root, user.id, false, None)
        .await
        .expect("key")
        .secret;
    (user, key)
}

fn admin_perm(entity: &str, flags: &[&str]) -> PermissionSpec {
    PermissionSpec {
        catalog: "gatehouse".into(),
        entity: entity.into(),
        grants: flags.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// A role (made by the owner) that can do everything in gatehouse: the prize.
async fn powerful_role(f: &Fixture) -> (Id, Id) {
    let svc = &f.service;
    let root = Actor::user(&f.admin, false);
    let role = build::create_role(svc, &root, "Owner default permissions").await;
    let p = svc
        .create_permission(&root, admin_perm("ALL", &["read", "write"]))
        .await
        .expect("permission");
    build::add_to_role(svc, &root, role.id, p.id).await;
    (role.id, p.id)
}

async fn call(
    f: &Fixture,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let url = f.api(path);
    let mut rb = match method {
        "GET" => client.get(url),
        "POST" => client.post(url),
        "PUT" => client.put(url),
        _ => client.delete(url),
    };
    rb = rb.bearer_auth(key);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let res = rb.send().await.expect("send");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Asserts a 403 whose message names `right`, and that the store did not move.
async fn refused(f: &Fixture, (status, body): (u16, Value), right: &str, rev: u64) {
    let msg = body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(status, 403, "expected 403, got {status}: {body}");
    assert_eq!(body["error"]["code"], "forbidden", "{body}");
    assert!(msg.contains(right), "the refusal names {right:?}: {msg}");
    assert_eq!(
        f.service.snapshot().state.revision,
        rev,
        "a refused write changes nothing"
    );
}

fn rev(f: &Fixture) -> u64 {
    f.service.snapshot().state.revision
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain1_no_key_for_the_owner_and_no_owner_flag_for_oneself() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let (mallory, key) = delegate(
            &f,
            "mallory",
            &[("User", &["read", "write"]), ("ApiKey", &["read", "write"])],
        )
        .await;
        let r = rev(&f);
        let got = call(&f, &key, "POST", "/keys", Some(json!({"user": "admin"}))).await;
        refused(&f, got, "only an owner", r).await;
        let got = call(
            &f,
            &key,
            "PUT",
            &format!("/users/{}", mallory.id),
            Some(json!({"username": "mallory", "owner": true, "version": mallory.version})),
        )
        .await;
        refused(&f, got, "owner", r).await;
        // A user holding a right mallory lacks: no key for them either, and the refusal says
        // which right.
        let (bob, _) = delegate(&f, "bob", &[("Role", &["write"])]).await;
        let r = rev(&f);
        let got = call(&f, &key, "POST", "/keys", Some(json!({"user": bob.id}))).await;
        refused(&f, got, "'write' on gatehouse:Role", r).await;
        // A user who holds nothing mallory lacks: allowed.
        build::create_user(&f.service, &Actor::user(&f.admin, false), "carol").await;
        let (status, body) = call(&f, &key, "POST", "/keys", Some(json!({"user": "carol"}))).await;
        assert_eq!(status, 201, "{body}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain2_permission_write_alone_neither_mints_nor_grants_rights() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let (_, prize) = powerful_role(&f).await;
        let (mallory, key) = delegate(
            &f,
            "mallory",
            &[("ALL", &["read"]), ("Permission", &["write"])],
        )
        .await;
        let r = rev(&f);
        let got = call(
            &f,
            &key,
            "POST",
            "/permissions",
            Some(json!({"catalog": "gatehouse", "entity": "ALL", "grants": ["read", "write"]})),
        )
        .await;
        refused(&f, got, "'write' on gatehouse:", r).await;
        let grant = json!({
            "link": "grant",
            "principal": {"type": "user", "id": mallory.id},
            "permission": prize,
        });
        let got = call(&f, &key, "POST", "/links", Some(grant)).await;
        refused(&f, got, "'write' on gatehouse:", r).await;
        // What mallory holds, mallory may create and grant.
        let (status, body) = call(
            &f,
            &key,
            "POST",
            "/permissions",
            Some(json!({"catalog": "gatehouse", "entity": "Role", "grants": ["read"]})),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain2_user_role_write_alone_cannot_take_a_stronger_role() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let (prize, _) = powerful_role(&f).await;
        let (mallory, key) = delegate(
            &f,
            "mallory",
            &[("ALL", &["read"]), ("UserRole", &["write"])],
        )
        .await;
        let r = rev(&f);
        let got = call(
            &f,
            &key,
            "POST",
            &format!("/users/{}/roles", mallory.id),
            Some(json!({"role": prize})),
        )
        .await;
        refused(&f, got, "'write' on gatehouse:", r).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain2_team_writes_cannot_reach_the_admin_team() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let (prize, _) = powerful_role(&f).await;
        let (mallory, key) = delegate(
            &f,
            "mallory",
            &[
                ("ALL", &["read"]),
                ("TeamMember", &["write"]),
                ("Team", &["write"]),
            ],
        )
        .await;
        let r = rev(&f);
        let got = call(
            &f,
            &key,
            "POST",
            "/teams/admin/members",
            Some(json!({"user": mallory.id, "role": prize})),
        )
        .await;
        refused(&f, got, "'write' on gatehouse:", r).await;
        let admin = f
            .service
            .snapshot()
            .state
            .team_by_key("admin")
            .cloned()
            .expect("admin team");
        let mut spec = TeamSpec::of(&admin);
        spec.default_role = Some(prize);
        let mut body = serde_json::to_value(&spec).expect("json");
        body["version"] = json!(admin.version);
        let got = call(&f, &key, "PUT", &format!("/teams/{}", admin.id), Some(body)).await;
        refused(&f, got, "'write' on gatehouse:", r).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain2_role_write_cannot_rename_or_delete_a_stronger_role() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let (prize, _) = powerful_role(&f).await;
        // Someone holds the role: deleting it would take their rights.
        f.service
            .link(
                &Actor::user(&f.admin, false),
                Link::UserRole {
                    user: f.viewer.id,
                    role: prize,
                },
            )
            .await
            .expect("assign");
        let (_, key) = delegate(&f, "mallory", &[("ALL", &["read"]), ("Role", &["write"])]).await;
        let r = rev(&f);
        let version = f.service.snapshot().state.roles[&prize].version;
        let got = call(
            &f,
            &key,
            "PUT",
            &format!("/roles/{prize}"),
            Some(json!({"name": "harmless", "version": version})),
        )
        .await;
        refused(&f, got, "'write' on gatehouse:", r).await;
        let got = call(
            &f,
            &key,
            "DELETE",
            &format!("/roles/{prize}?force=true"),
            None,
        )
        .await;
        refused(&f, got, "'write' on gatehouse:", r).await;
        // A role whose rights mallory holds: renamed.
        let (status, body) = call(&f, &key, "POST", "/roles", Some(json!({"name": "mine"}))).await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = call(
            &f,
            &key,
            "PUT",
            &format!("/roles/{}", body["id"].as_str().expect("id")),
            Some(json!({"name": "mine too", "version": body["version"]})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain3_no_one_removes_or_disables_the_last_enabled_owner() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let (_, key) = delegate(&f, "mallory", &[("ALL", &["read"]), ("User", &["write"])]).await;
        let r = rev(&f);
        let got = call(
            &f,
            &key,
            "DELETE",
            &format!("/users/{}?force=true", f.admin.id),
            None,
        )
        .await;
        refused(&f, got, "only an owner", r).await;
        let admin = f.service.snapshot().state.users[&f.admin.id].clone();
        let mut spec = serde_json::to_value(UserSpec::of(&admin)).expect("json");
        spec["disabled"] = json!(true);
        spec["version"] = json!(admin.version);
        let got = call(&f, &key, "PUT", &format!("/users/{}", admin.id), Some(spec)).await;
        refused(&f, got, "only an owner", r).await;

        // Two owners: the owner disables the other, then cannot delete itself, even with force.
        let root = Actor::user(&f.admin, false);
        let other = f
            .service
            .create_user(
                &root,
                UserSpec {
                    username: "owner2".into(),
                    owner: true,
                    ..Default::default()
                },
            )
            .await
            .expect("second owner");
        let mut spec = serde_json::to_value(UserSpec::of(&other)).expect("json");
        spec["disabled"] = json!(true);
        spec["version"] = json!(other.version);
        let (status, body) = call(
            &f,
            &f.admin_key,
            "PUT",
            &format!("/users/{}", other.id),
            Some(spec),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let r = rev(&f);
        let (status, body) = call(
            &f,
            &f.admin_key,
            "DELETE",
            &format!("/users/{}?force=true", f.admin.id),
            None,
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("last enabled owner"),
            "{body}"
        );
        assert_eq!(rev(&f), r);
        assert!(
            f.service
                .snapshot()
                .state
                .users
                .values()
                .any(|u| u.owner && !u.disabled)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain4_api_key_write_alone_cannot_revoke_the_owners_key() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let (mallory, key) =
            delegate(&f, "mallory", &[("ALL", &["read"]), ("ApiKey", &["write"])]).await;
        let snap = f.service.snapshot();
        let owners_key = snap
            .state
            .keys
            .values()
            .find(|k| k.user_id == f.admin.id && k.revoked_at.is_none())
            .expect("owner key")
            .id;
        let own_key = snap
            .state
            .keys
            .values()
            .find(|k| k.user_id == mallory.id)
            .expect("own key")
            .id;
        let r = rev(&f);
        let got = call(&f, &key, "DELETE", &format!("/keys/{owners_key}"), None).await;
        refused(&f, got, "only an owner", r).await;
        let (status, body) = call(&f, &f.admin_key, "GET", "/me", None).await;
        assert_eq!(status, 200, "the owner's key still works: {body}");
        let (status, body) = call(&f, &key, "DELETE", &format!("/keys/{own_key}"), None).await;
        assert_eq!(status, 200, "one's own key may be revoked: {body}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalate_lifts_the_rule_for_its_entity_and_only_an_owner_grants_it() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let (prize_role, prize) = powerful_role(&f).await;
        let (_, key) = delegate(
            &f,
            "lead",
            &[
                ("ALL", &["read"]),
                ("RolePermission", &["write", "escalate"]),
                ("Permission", &["write"]),
            ],
        )
        .await;
        let (status, body) = call(&f, &key, "POST", "/roles", Some(json!({"name": "x"}))).await;
        assert_eq!(status, 403, "no write on Role: {body}");
        let empty = f
            .service
            .create_role(
                &Actor::user(&f.admin, false),
                RoleSpec {
                    name: "ops".into(),
                    description: String::new(),
                },
            )
            .await
            .expect("role");
        // `escalate` on RolePermission: a permission the lead does not hold goes into a role.
        let (status, body) = call(
            &f,
            &key,
            "POST",
            &format!("/roles/{}/permissions", empty.id),
            Some(json!({"permission": prize})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        // … but granting it directly (guarded by Permission) is still refused,
        let r = rev(&f);
        let got = call(
            &f,
            &key,
            "POST",
            "/links",
            Some(json!({"link": "grant", "principal": {"type": "user", "id": f.viewer.id}, "permission": prize})),
        )
        .await;
        refused(&f, got, "'write' on gatehouse:", r).await;
        // … and `escalate` itself only an owner grants, even to someone holding it.
        let got = call(
            &f,
            &key,
            "POST",
            "/permissions",
            Some(json!({"catalog": "gatehouse", "entity": "RolePermission", "grants": ["escalate"]})),
        )
        .await;
        refused(&f, got, "only an owner may grant 'escalate'", r).await;
        let _ = prize_role;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn look_alike_usernames_and_role_names_are_conflicts() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let k = &f.admin_key;
        let r = rev(&f);
        // `admin` with Cyrillic `а`, and in capitals.
        for name in ["\u{0430}dmin", "ADMIN", "adrnin"] {
            let (status, body) =
                call(&f, k, "POST", "/users", Some(json!({"username": name}))).await;
            assert_eq!(status, 409, "{name}: {body}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("'admin' already exists"),
                "{body}"
            );
        }
        let (status, body) = call(&f, k, "POST", "/roles", Some(json!({"name": "Viewer"}))).await;
        assert_eq!(status, 409, "role names ignore case: {body}");
        let (status, body) = call(
            &f,
            k,
            "POST",
            "/roles",
            Some(json!({"name": "v\u{0456}ewer"})),
        )
        .await;
        assert_eq!(status, 409, "role names ignore look-alikes: {body}");
        assert_eq!(rev(&f), r, "nothing written");
        // Renaming onto a look-alike is refused too; the same name is not a clash with itself.
        let (status, body) = call(&f, k, "POST", "/roles", Some(json!({"name": "ops"}))).await;
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_str().expect("id").to_string();
        let (status, body) = call(
            &f,
            k,
            "PUT",
            &format!("/roles/{id}"),
            Some(json!({"name": "VIEWER", "version": body["version"]})),
        )
        .await;
        assert_eq!(status, 409, "{body}");
        let (status, body) = call(
            &f,
            k,
            "PUT",
            &format!("/roles/{id}"),
            Some(json!({"name": "ops", "description": "same name", "version": 1})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        // A policy document naming a look-alike user is refused whole.
        let doc = gatehouse::backend::PolicyDoc::from_toml(
            "[[users]]\nusername = \"vi\u{0435}wer\"\n[[roles]]\nname = \"fresh\"\n",
        )
        .expect("doc");
        let local = f.local();
        let before = rev(&f);
        let e = gatehouse::backend::Backend::import(&local, doc, false)
            .await
            .expect_err("look-alike user");
        assert_eq!(e.exit_code(), 4, "{e}");
        assert_eq!(rev(&f), before);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_by_a_caller_who_may_write_nothing_is_refused_before_its_body_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let addr = f
            .url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let mut s = tokio::net::TcpStream::connect(&addr).await.expect("connect");
        // Announces 60 MiB but sends a few bytes, then waits: the answer must come anyway.
        let head = format!(
            "POST /api/v1/import HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 62914560\r\n\r\n{{\"users\": [",
            f.reader_key
        );
        s.write_all(head.as_bytes()).await.expect("write");
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("answered without waiting for the body")
            .expect("read");
        let answer = String::from_utf8_lossy(&buf[..n]);
        assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
        assert!(answer.contains("may write none"), "{answer}");
        // An owner's import still goes through.
        let (status, body) = call(
            &f,
            &f.admin_key,
            "POST",
            "/import",
            Some(json!({"roles": [{"name": "imported"}]})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    })
    .await;
}

/// Two services on one store, as two server replicas (or `serve` and the CLI) are: a write
/// checked against a snapshot that another process has moved past is checked again on a
/// fresh read, never committed on the stale check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_checked_on_a_stale_snapshot_is_checked_again_on_the_stores_state() {
    use gatehouse::catalog::Catalogs;
    use gatehouse::service::Service;
    use gatehouse::store::{MemoryStore, Store};
    use std::sync::Arc;
    bounded(60, async {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let catalogs = Arc::new(Catalogs::builtin().expect("catalogs"));
        let b = Service::open(store.clone(), catalogs.clone())
            .await
            .expect("b");
        b.init("root").await.expect("init");
        let root = Actor::user(
            &b.snapshot()
                .state
                .user_by_name("root")
                .cloned()
                .expect("root"),
            false,
        );
        let mallory = build::create_user(&b, &root, "mallory").await;
        let own = build::create_role(&b, &root, "own").await;
        let ops = build::create_role(&b, &root, "ops").await;
        let user_role = b
            .create_permission(&root, admin_perm("UserRole", &["write"]))
            .await
            .expect("perm");
        build::add_to_role(&b, &root, own.id, user_role.id).await;
        build::assign(&b, &root, mallory.id, own.id).await;
        // Replica A reads the store now: `ops` holds nothing, so assigning it conveys nothing.
        let a = Service::open(store.clone(), catalogs).await.expect("a");
        // Replica B (the owner) makes `ops` powerful.
        let all = b
            .create_permission(&root, admin_perm("ALL", &["read", "write"]))
            .await
            .expect("all");
        build::add_to_role(&b, &root, ops.id, all.id).await;
        // On A's stale snapshot the assignment looks harmless; it must still be refused.
        let m = Actor::user(&mallory, false);
        let e = a
            .link(
                &m,
                Link::UserRole {
                    user: mallory.id,
                    role: ops.id,
                },
            )
            .await
            .expect_err("checked again on the store's state");
        assert_eq!(e.exit_code(), 5, "{e}");
        let state = store.load().await.expect("load");
        assert!(
            !state.user_roles.contains(&(mallory.id, ops.id)),
            "nothing written"
        );

        // Owners: two owners disable each other through two services; one write must lose.
        let second = b
            .create_user(
                &root,
                UserSpec {
                    username: "owner2".into(),
                    owner: true,
                    ..Default::default()
                },
            )
            .await
            .expect("owner2");
        let a = Service::open(store.clone(), Arc::new(Catalogs::builtin().expect("c")))
            .await
            .expect("a again");
        let snap = b.snapshot();
        let r = snap.state.users[&root.user.expect("id")].clone();
        let mut spec = UserSpec::of(&r);
        spec.disabled = true;
        b.update_user(&Actor::user(&second, false), r.id, spec, r.version)
            .await
            .expect("owner2 disables root");
        let mut spec = UserSpec::of(&second);
        spec.disabled = true;
        let e = a
            .update_user(&root, second.id, spec, second.version)
            .await
            .expect_err("root, disabled meanwhile, cannot disable the last owner");
        assert!(matches!(e.exit_code(), 4 | 5), "{e}");
        let state = store.load().await.expect("load");
        assert!(
            state.users.values().any(|u| u.owner && !u.disabled),
            "an enabled owner remains"
        );
    })
    .await;
}
