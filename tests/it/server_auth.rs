//! Authentication and authorization of `gatehouse serve`: every write route of the route table
//! answers 401 without a key and with a bad key, and 403 to a viewer (a read-only key, and a
//! full key whose role only reads), writing nothing; revocation takes effect on the next request;
//! `--no-auth` warns on every answer.

use crate::support;
use crate::support::build;

use gatehouse::backend::Backend;
use gatehouse::backend::{Error, RoleSpec, TeamSpec};
use gatehouse::policy::Link;
use gatehouse::server::ServerConfig;
use gatehouse::wire::{Method, Op, ROUTES, Route};
use serde_json::{Value, json};
use support::{Fixture, bounded, start};

/// Ids of real objects, so every write route gets past "not found" to its authorization.
struct Ids {
    role: String,
    permission: String,
    user: String,
    team: String,
    key: String,
}

async fn objects(f: &Fixture) -> Ids {
    let b = f.local();
    let role = build::add_role(&b, "editor").await;
    let perm = build::add_permission(&b, "mage", "Pipeline", &["LIST"]).await;
    let user = build::add_user(&b, "alice").await;
    let team = b
        .create_team(TeamSpec {
            key: "ops".into(),
            name: "Ops".into(),
            ..Default::default()
        })
        .await
        .expect("team");
    b.link(Link::UserRole {
        user: user.id,
        role: role.id,
    })
    .await
    .expect("assign");
    let key = b.create_key(user.id, false, None).await.expect("key");
    Ids {
        role: role.id.to_string(),
        permission: perm.id.to_string(),
        user: user.id.to_string(),
        team: team.id.to_string(),
        key: key.record.id.to_string(),
    }
}

/// The route's path with real ids, and a valid body for it. Every write route must be here:
/// a route added to the table without a sample fails this test.
fn sample(route: &Route, ids: &Ids) -> (String, Option<Value>) {
    let first = route.path.split('/').nth(1).unwrap_or("");
    let id = match first {
        "roles" => &ids.role,
        "permissions" => &ids.permission,
        "users" => &ids.user,
        "teams" => &ids.team,
        "keys" => &ids.key,
        _ => "",
    };
    let path = route
        .path
        .replace("{id}", id)
        .replace("{pid}", &ids.permission)
        .replace("{uid}", &ids.user)
        .replace("{tid}", &ids.team)
        .replace("{rid}", &ids.role)
        .replace("{resource}", "okdata:dataset:ds1")
        .replace("{principal}", "alice")
        .replace("{name}", "mage");
    let link = json!({"link": "user_role", "user": ids.user, "role": ids.role});
    let body = match route.op {
        Op::CreateRole => Some(json!({"name": "new-role"})),
        Op::UpdateRole => Some(json!({"name": "renamed", "version": 1})),
        Op::CreatePermission => Some(json!({"catalog": "mage", "entity": "Block"})),
        Op::UpdatePermission => Some(json!({"catalog": "mage", "entity": "Block", "version": 1})),
        Op::CreateUser => Some(json!({"username": "mallory"})),
        Op::UpdateUser => Some(json!({"username": "alice2", "version": 1})),
        Op::CreateTeam => Some(json!({"key": "newteam"})),
        Op::UpdateTeam => Some(json!({"key": "ops2", "version": 1})),
        Op::AddRolePermission => Some(json!({"permission": ids.permission})),
        Op::AddRoleUser => Some(json!({"user": "viewer"})),
        Op::AddRoleTeam => Some(json!({"team": ids.team})),
        Op::AddUserRole => Some(json!({"role": "viewer"})),
        Op::AddTeamMember => Some(json!({"user": ids.user})),
        Op::Link => Some(json!({"link": "team_role", "team": ids.team, "role": ids.role})),
        Op::Unlink => Some(link),
        Op::LinkUntil => Some(json!({
            "link": {"link": "team_role", "team": ids.team, "role": ids.role},
            "expires_at": "2099-01-01T00:00:00Z",
        })),
        Op::SetExpiry => Some(json!({"link": link, "expires_at": "2099-01-01T00:00:00Z"})),
        Op::GrantResource => Some(json!({"principal": "alice", "scope": "okdata:dataset:read"})),
        Op::CreateKey => Some(json!({"user": "viewer"})),
        Op::Import => Some(json!({"roles": [{"name": "imported"}]})),
        Op::Apply => Some(
            json!({"changes": [{"link": {"link": "team_role", "team": ids.team, "role": ids.role}}]}),
        ),
        Op::DeleteRole
        | Op::DeletePermission
        | Op::DeleteUser
        | Op::DeleteTeam
        | Op::RemoveRolePermission
        | Op::RemoveRoleUser
        | Op::RemoveRoleTeam
        | Op::RemoveUserRole
        | Op::RemoveTeamMember
        | Op::RevokeResource
        | Op::RevokeKey
        | Op::ApplyPreset
        | Op::PruneExpired => None,
        other => panic!("{other:?} is a write route without a sample body in this test"),
    };
    (path, body)
}

fn request(
    client: &reqwest::Client,
    f: &Fixture,
    method: Method,
    path: &str,
    body: &Option<Value>,
    key: Option<&str>,
) -> reqwest::RequestBuilder {
    let url = f.api(path);
    let mut rb = match method {
        Method::Get => client.get(url),
        Method::Post => client.post(url),
        Method::Put => client.put(url),
        Method::Delete => client.delete(url),
    };
    if let Some(k) = key {
        rb = rb.bearer_auth(k);
    }
    if let Some(b) = body {
        rb = rb.json(b);
    }
    rb
}

async fn answer(rb: reqwest::RequestBuilder) -> (u16, Value) {
    let res = rb.send().await.expect("send");
    let status = res.status().as_u16();
    assert!(
        res.headers().contains_key("x-gatehouse-revision"),
        "every answer carries the revision"
    );
    let body: Value = res.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_route_refuses_missing_bad_and_viewer_keys_and_writes_nothing() {
    bounded(120, async {
        let f = start(ServerConfig::default()).await;
        let ids = objects(&f).await;
        let before = f.revision();
        let state_before = f.service.snapshot().state.clone();
        let client = reqwest::Client::new();
        let writes: Vec<&Route> = ROUTES.iter().filter(|r| r.write).collect();
        assert!(writes.len() >= 30, "{} write routes", writes.len());
        for route in writes {
            let (path, body) = sample(route, &ids);
            let what = format!("{} {path}", route.method.as_str());
            let (s, b) = answer(request(&client, &f, route.method, &path, &body, None)).await;
            assert_eq!(s, 401, "{what} without a key: {b}");
            assert_eq!(
                b,
                json!({"error": {"code": "unauthorized", "message": "Invalid API key"}}),
                "{what}"
            );
            for bad in ["ghk_not-a-real-key", "Basic abc", ""] {
                let (s, b) =
                    answer(request(&client, &f, route.method, &path, &body, Some(bad))).await;
                assert_eq!(s, 401, "{what} with key {bad:?}: {b}");
            }
            for (who, key) in [
                ("read-only viewer key", &f.viewer_key),
                ("full key of a viewer", &f.reader_key),
                ("read-only owner key", &f.ro_admin_key),
            ] {
                let (s, b) =
                    answer(request(&client, &f, route.method, &path, &body, Some(key))).await;
                assert_eq!(s, 403, "{what} with the {who}: {b}");
                assert_eq!(b["error"]["code"], "forbidden", "{what}");
                let msg = b["error"]["message"].as_str().unwrap_or("");
                assert!(msg.contains("Insufficient permissions"), "{what}: {msg}");
            }
            assert_eq!(f.revision(), before, "{what} wrote something");
        }
        assert_eq!(f.service.snapshot().state, state_before);
        f.service.reload().await.expect("reload");
        assert_eq!(f.revision(), before, "the store itself is unchanged");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_need_a_key_but_healthz_does_not() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let client = reqwest::Client::new();
        for route in ROUTES.iter().filter(|r| r.method == Method::Get && r.auth) {
            let path = route
                .path
                .replace("{id}", "admin")
                .replace("{user}", "admin")
                .replace("{resource}", "okdata:dataset:x");
            let (s, b) = answer(request(&client, &f, route.method, &path, &None, None)).await;
            assert_eq!(s, 401, "{path}: {b}");
        }
        let (s, b) = answer(client.get(f.api("/healthz"))).await;
        assert_eq!(s, 200);
        assert_eq!(b["status"], "ok");
        // The viewer reads everything the role lets it read.
        let viewer = f.http(&f.viewer_key);
        let me = viewer.me().await.expect("me");
        assert_eq!(me.username, "viewer");
        assert!(!me.can_write);
        assert!(!me.auth_disabled);
        assert_eq!(
            me.read_only_reason.as_deref(),
            Some("the API key is read-only")
        );
        let s = viewer.state().await.expect("state");
        assert_eq!(s.users.len(), f.service.snapshot().state.users.len());
        let err = viewer
            .create_role(RoleSpec {
                name: "x".into(),
                description: String::new(),
            })
            .await
            .expect_err("viewer write");
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
        let admin = f.http(&f.admin_key).me().await.expect("me");
        assert!(admin.can_write);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_is_refused_on_the_very_next_request() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let admin = f.http(&f.admin_key);
        let created = admin
            .create_key(f.viewer.id, false, None)
            .await
            .expect("key");
        let victim = f.http(&created.secret);
        assert_eq!(victim.me().await.expect("me").username, "viewer");
        admin.revoke_key(created.record.id).await.expect("revoke");
        let err = victim.me().await.expect_err("revoked");
        assert_eq!(err, Error::Forbidden("Invalid API key".into()));
        // The owner's own key keeps working.
        assert!(admin.me().await.is_ok());
        let gone = admin
            .revoke_key(created.record.id)
            .await
            .expect_err("twice");
        assert!(matches!(gone, Error::Conflict(_)), "{gone:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_auth_acts_as_the_owner_and_warns_on_every_answer() {
    bounded(60, async {
        let f = start(ServerConfig {
            no_auth: true,
            ..ServerConfig::default()
        })
        .await;
        let client = reqwest::Client::new();
        for (path, status) in [("/me", 200), ("/healthz", 200), ("/nope", 404)] {
            let res = client.get(f.api(path)).send().await.expect("send");
            assert_eq!(res.status().as_u16(), status, "{path}");
            let warn = res
                .headers()
                .get("x-gatehouse-warning")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            assert!(
                warn.contains("authentication is disabled"),
                "{path}: {warn}"
            );
            assert!(res.headers().contains_key("warning"), "{path}");
        }
        let me = f.http("anything").me().await.expect("me");
        assert!(me.auth_disabled);
        assert_eq!(me.username, "admin");
        assert!(me.can_write);
        // An authenticated server sends no warning.
        let g = start(ServerConfig::default()).await;
        let res = client
            .get(g.api("/me"))
            .bearer_auth(&g.admin_key)
            .send()
            .await
            .expect("send");
        assert!(!res.headers().contains_key("x-gatehouse-warning"));
    })
    .await;
}
