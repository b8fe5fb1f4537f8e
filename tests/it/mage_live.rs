//! Tests against a real Mage 0.9.80 server (docs/PRODUCT.md §4b). They are ignored ("needs a Mage
//! server") and run with `--include-ignored` when `GATEHOUSE_TEST_MAGE_URL` names one — `.ci/run`
//! starts it with `scripts/mage-server.sh start` and sets it; without it they fail under CI and
//! otherwise skip with one line saying how to run them. The server must be a fresh one with the
//! default owner (admin@admin.com / admin); every object a test makes has a unique name, so
//! the tests can run again against the same server.

use crate::mage_support;

use gatehouse::backend::Backend;
use gatehouse::backend::{Password, PermissionSpec, RoleSpec, UserSpec};
use gatehouse::policy::Link;
use mage_support::{admin, bounded, live_url, raw_get, secret_lister, serial, unique};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn crud_through_gatehouse_is_what_mage_shows_and_back() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(300, async {
        let b = admin(&url).await;
        let tag = unique();
        // gatehouse → Mage
        let role = b
            .create_role(RoleSpec {
                name: format!("gh-role-{tag}"),
                description: String::new(),
            })
            .await
            .unwrap();
        let perm = b
            .create_permission(PermissionSpec {
                catalog: "mage".into(),
                entity: "Pipeline".into(),
                entity_uuid: Some("example_pipeline".into()),
                grants: vec!["LIST".into(), "DETAIL".into(), "READ".into()],
                denies: vec!["DELETE".into(), "WRITE_ALL".into()],
                conditions: vec!["USER_OWNS_ENTITY".into()],
                read_attributes: vec!["name".into(), "uuid".into()],
                query_attributes: vec!["type".into()],
                ..Default::default()
            })
            .await
            .unwrap();
        let user = b
            .create_user(UserSpec {
                username: format!("gh-user-{tag}"),
                email: format!("gh-{tag}@example.com"),
                display_name: "Grace Hopper".into(),
                password: Some(Password("correct horse".into())),
                ..Default::default()
            })
            .await
            .unwrap();
        b.link(Link::RolePermission {
            role: role.id,
            permission: perm.id,
        })
        .await
        .unwrap();
        b.link(Link::UserRole {
            user: user.id,
            role: role.id,
        })
        .await
        .unwrap();
        // Changing a role's permissions keeps its users (Mage empties absent sets).
        let extra = b
            .create_permission(PermissionSpec {
                catalog: "mage".into(),
                entity: "Secret".into(),
                grants: vec!["LIST".into()],
                ..Default::default()
            })
            .await
            .unwrap();
        let both = Link::RolePermission {
            role: role.id,
            permission: extra.id,
        };
        b.link(both).await.unwrap();
        b.unlink(both).await.unwrap();
        b.delete_permission(extra.id, true).await.unwrap();
        let s = b.state().await.unwrap();
        assert!(s.user_roles.contains(&(user.id, role.id)), "users kept");

        let rid = gatehouse::connect::mage::wire::mage_id(
            gatehouse::connect::mage::wire::MageKind::Role,
            &role.id,
        )
        .unwrap();
        let pid = gatehouse::connect::mage::wire::mage_id(
            gatehouse::connect::mage::wire::MageKind::Permission,
            &perm.id,
        )
        .unwrap();
        let p = raw_get(&b, &format!("permissions/{pid}?_format=role/detail")).await;
        let p = &p["permission"];
        assert_eq!(p["entity_name"], "Pipeline");
        assert_eq!(p["entity_id"], "example_pipeline");
        assert_eq!(
            p["access"],
            16 | 32 | 8192 | 4194304 | 536870912,
            "grants and DISABLE_* bits round-trip bit for bit"
        );
        assert_eq!(p["read_attributes"], json!(["name", "uuid"]));
        assert_eq!(p["query_attributes"], json!(["type"]));
        assert_eq!(p["conditions"], json!(["USER_OWNS_ENTITY"]));
        let r = raw_get(&b, &format!("roles/{rid}")).await;
        let linked: Vec<i64> = r["role"]["role_permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_i64().unwrap())
            .collect();
        assert_eq!(linked, [pid]);
        let users = raw_get(&b, "users?_format=list&_limit=1000").await;
        let u = users["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == format!("gh-{tag}@example.com"))
            .expect("the user is on the server")
            .clone();
        assert_eq!(u["first_name"], "Grace");
        assert_eq!(u["roles_new"][0]["id"].as_i64(), Some(rid));

        // an edit round-trips the integer again, and a stale version is refused
        let edited = b
            .update_permission(
                perm.id,
                PermissionSpec {
                    grants: vec!["ALL".into()],
                    denies: vec!["LIST".into()],
                    ..PermissionSpec::of(&perm)
                },
                perm.version,
            )
            .await
            .unwrap();
        let p = raw_get(&b, &format!("permissions/{pid}?_format=role/detail")).await;
        assert_eq!(p["permission"]["access"], 131072 | 262144);
        assert_eq!(edited.grants, ["ALL"]);
        // Mage keeps updated_at in whole seconds: a change made a second later is seen.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        b.update_permission(
            perm.id,
            PermissionSpec {
                write_attributes: vec!["name".into()],
                ..PermissionSpec::of(&edited)
            },
            edited.version,
        )
        .await
        .unwrap();
        let stale = b
            .update_permission(perm.id, PermissionSpec::of(&edited), edited.version)
            .await
            .unwrap_err();
        assert!(stale.is_stale(), "{stale}");

        // renaming a role and editing a user keep their links
        let s = b.state().await.unwrap();
        let cur = &s.roles[&role.id];
        b.update_role(
            role.id,
            RoleSpec {
                name: format!("gh-role-{tag}-renamed"),
                description: String::new(),
            },
            cur.version,
        )
        .await
        .unwrap();
        let cur = &s.users[&user.id];
        b.update_user(
            user.id,
            UserSpec {
                // The spec of a user read from Mage carries first and last name, which the
                // display name follows.
                last_name: "B Hopper".into(),
                ..UserSpec::of(cur)
            },
            cur.version,
        )
        .await
        .unwrap();

        // Mage → gatehouse
        let made = b
            .client()
            .call(
                reqwest::Method::POST,
                "roles",
                Some(&json!({"role": {"name": format!("mage-made-{tag}")}})),
            )
            .await
            .unwrap();
        let made_id = made["role"]["id"].as_i64().unwrap();
        let s = b.state().await.unwrap();
        let seen = s
            .role_by_name(&format!("mage-made-{tag}"))
            .expect("visible");
        assert_eq!(
            gatehouse::connect::mage::wire::mage_id(
                gatehouse::connect::mage::wire::MageKind::Role,
                &seen.id
            ),
            Some(made_id)
        );
        assert!(s.user_roles.contains(&(user.id, role.id)));
        assert!(s.role_permissions.contains(&(role.id, perm.id)));
        assert_eq!(s.roles[&role.id].name, format!("gh-role-{tag}-renamed"));
        assert_eq!(s.users[&user.id].display_name, "Grace B Hopper");
        assert_eq!(s.users[&user.id].last_name, "B Hopper");
        let mirrored = s
            .permissions
            .get(&perm.id)
            .expect("the mirrored permission");
        assert_eq!(mirrored.grants, ["ALL"]);
        assert_eq!(mirrored.denies, ["LIST"]);

        // unlink and delete, seen from Mage
        b.unlink(Link::UserRole {
            user: user.id,
            role: role.id,
        })
        .await
        .unwrap();
        let in_use = b.delete_role(role.id, false).await.unwrap_err();
        assert!(in_use.to_string().contains("linked"), "{in_use}");
        b.delete_role(role.id, true).await.unwrap();
        b.delete_permission(perm.id, true).await.unwrap();
        b.delete_user(user.id, true).await.unwrap();
        b.delete_role(seen.id, true).await.unwrap();
        let roles = raw_get(&b, "roles?_limit=1000").await;
        let names: Vec<&str> = roles["roles"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(!names.contains(&format!("gh-role-{tag}-renamed").as_str()));
        assert!(!names.contains(&format!("mage-made-{tag}").as_str()));
        let gone = raw_get(&b, &format!("permissions/{pid}?_format=role/detail")).await;
        assert!(gone.get("error").is_some(), "{gone}");
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn errors_come_back_specific_and_change_nothing() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(120, async {
        let b = admin(&url).await;
        let tag = unique();
        let name = format!("dup-{tag}");
        b.create_role(RoleSpec {
            name: name.clone(),
            description: String::new(),
        })
        .await
        .unwrap();
        let dup = b
            .create_role(RoleSpec {
                name: name.clone(),
                description: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(dup.code(), "conflict", "{dup}");
        let bad = b
            .create_permission(PermissionSpec {
                catalog: "mage".into(),
                entity: "Pipelin".into(),
                grants: vec!["LIST".into()],
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert!(bad.to_string().contains("Pipeline"), "{bad}");
        let short = b
            .create_user(UserSpec {
                username: format!("u{tag}"),
                email: format!("u{tag}@example.com"),
                password: Some(Password("short".into())),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(short.code(), "invalid");
        let teams = b
            .create_team(gatehouse::backend::TeamSpec::default())
            .await
            .unwrap_err();
        assert!(
            teams.to_string().contains("not supported by Mage"),
            "{teams}"
        );
        let s = b.state().await.unwrap();
        assert_eq!(
            s.roles.values().filter(|r| r.name == name).count(),
            1,
            "the duplicate made nothing"
        );
        assert!(s.user_by_name(&format!("u{tag}")).is_none());
        let r = s.role_by_name(&name).unwrap().id;
        b.delete_role(r, true).await.unwrap();
        // a wrong password is refused with what to do
        let wrong = gatehouse::connect::MageBackend::new(
            &url,
            gatehouse::connect::mage::Login {
                user: "admin@admin.com".into(),
                password: "not the password".into(),
            },
        )
        .unwrap();
        let e = wrong.connect().await.unwrap_err();
        assert_eq!(e.code(), "forbidden", "{e}");
    })
    .await;
}

/// The permissions of each role on the entities `of`, as comparable content: lists as sets
/// (Mage's seed orders attribute lists differently from one server process to the next), and
/// each content once (a server may hold the full seed already, made by gatehouse's REST seed
/// or by Mage, so a role can hold other entities' rows and equal rows twice).
fn by_role(s: &gatehouse::policy::State, of: &[String]) -> BTreeMap<String, Vec<String>> {
    let set = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v.dedup();
        v
    };
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (r, p) in &s.role_permissions {
        let role = &s.roles[r].name;
        let p = s.permissions.get(p).expect("linked permission");
        if !of.contains(&p.entity) {
            continue;
        }
        out.entry(role.clone()).or_default().push(format!(
            "{} +{:?} -{:?} c{:?} q{:?} r{:?} w{:?}",
            p.entity,
            set(&p.grants),
            set(&p.denies),
            set(&p.conditions),
            set(&p.query_attributes),
            set(&p.read_attributes),
            set(&p.write_attributes)
        ));
    }
    for v in out.values_mut() {
        v.sort();
        v.dedup();
    }
    out
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn the_local_mage_preset_equals_what_mages_own_seed_creates() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(600, async {
        let b = admin(&url).await;
        let names: Vec<String> = ["Secret", "EventRule", "Pipeline"]
            .map(String::from)
            .to_vec();
        let progress = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = progress.clone();
        let report = b
            .seed_policies(
                &names,
                false,
                Arc::new(move |p| sink.lock().unwrap().push(p)),
            )
            .await
            .unwrap();
        assert!(
            !progress.lock().unwrap().is_empty(),
            "progress was reported"
        );
        let s = b.state().await.unwrap();
        // Only the entities seeded here (and Mage's hand-written User rows).
        let mut of = names.clone();
        of.push("User".into());
        let remote = by_role(&s, &of);
        // The same limited seed applied to a local store with gatehouse's mage preset.
        let cats = gatehouse::catalog::Catalogs::builtin().unwrap();
        let doc = gatehouse::connect::mage::seed::limited(
            gatehouse::presets::document("mage", &cats).unwrap(),
            Some(&names),
        );
        let dir = tempfile::tempdir().unwrap();
        let local = gatehouse::connect::LocalBackend::open(&dir.path().join("g.db"), None, false)
            .await
            .unwrap();
        local.import(doc.clone(), false).await.unwrap();
        let mine = by_role(&local.state().await.unwrap(), &of);
        for role in doc.roles.iter().map(|r| &r.name) {
            assert_eq!(
                remote.get(role).cloned().unwrap_or_default(),
                mine.get(role).cloned().unwrap_or_default(),
                "role {role}: Mage's seed and gatehouse's preset differ"
            );
        }
        assert_eq!(report.roles.created + report.roles.present, 6);
        // Idempotent: the dry run now finds everything present.
        let again = b
            .seed_policies(&names, true, Arc::new(|_| {}))
            .await
            .unwrap();
        assert_eq!(again.roles.created, 0);
        assert_eq!(again.permissions.created, 0, "{again:?}");
        assert_eq!(again.links.created, 0, "{again:?}");
        let _ = Value::Null;
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn import_from_mage_copies_roles_permissions_and_links_for_offline_questions() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(300, async {
        let b = admin(&url).await;
        let tag = unique();
        let user = b
            .create_user(UserSpec {
                username: format!("imp{tag}"),
                email: format!("imp{tag}@example.com"),
                password: Some(Password("import-pass".into())),
                ..Default::default()
            })
            .await
            .unwrap();
        let (role, perm) = secret_lister(&b, &format!("imp-{tag}"), user.id).await;

        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("g.db");
        let run = |args: &[&str]| {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
                .arg("--db")
                .arg(&db)
                .args(args)
                .env("GATEHOUSE_MAGE_USER", "admin@admin.com")
                .env("GATEHOUSE_MAGE_PASSWORD", "admin")
                .env("XDG_CONFIG_HOME", dir.path())
                .env("GATEHOUSE_STATE_DIR", dir.path())
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let (code, _, err) = run(&["init", "--admin", "root"]);
        assert_eq!(code, Some(0), "{err}");
        // Without --yes and without a terminal: the dry run, then a refusal a script sees
        // (exit 2), nothing written; with -o json the same.
        let (code, out, err) = run(&["import", "--from-mage", &url]);
        assert_eq!(code, Some(2), "{err}");
        assert!(out.contains("dry run"), "{out}");
        assert!(err.contains("pass --yes"), "{err}");
        let (code, _, err) = run(&["-o", "json", "import", "--from-mage", &url]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("--yes"), "{err}");
        let (_, out, _) = run(&["roles", "ls"]);
        assert!(!out.contains(&format!("imp-{tag}")), "{out}");
        let (code, out, err) = run(&["import", "--from-mage", &url, "--yes"]);
        assert_eq!(code, Some(0), "{err}");
        assert!(out.contains("imported from Mage"), "{out}");
        // Offline, the local store answers as Mage would.
        let name = format!("imp{tag}");
        let (code, out, _) = run(&["check", &name, "LIST", "mage:Secret"]);
        assert_eq!(code, Some(0), "{out}");
        let (code, out, _) = run(&["check", &name, "DELETE", "mage:Secret"]);
        assert_eq!(code, Some(1), "{out}");
        let (_, out, _) = run(&["who-can", "LIST", "mage:Secret"]);
        assert!(out.contains(&name), "{out}");
        // Importing again creates nothing.
        let (_, out, _) = run(&["import", "--from-mage", &url, "--dry-run", "-o", "json"]);
        let r: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(r["created"]["role_count"], 0, "{out}");
        assert_eq!(r["created"]["permission_count"], 0, "{out}");
        assert_eq!(r["created"]["link_count"], 0, "{out}");

        b.delete_user(user.id, true).await.unwrap();
        b.delete_role(role.id, true).await.unwrap();
        b.delete_permission(perm.id, true).await.unwrap();
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn a_profile_reaches_mage_and_an_expired_token_logs_in_again() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(120, async {
        // A profile with mage_url, email and password_env drives every command.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("gatehouse")).unwrap();
        std::fs::write(
            dir.path().join("gatehouse/config.toml"),
            format!(
                "default_profile = \"m\"\n[profiles.m]\nmage_url = \"{url}\"\nemail = \"admin@admin.com\"\npassword_env = \"MAGE_PW\"\n"
            ),
        )
        .unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(["roles", "ls", "-o", "json"])
            .env("XDG_CONFIG_HOME", dir.path())
            .env("MAGE_PW", "admin")
            .env("GATEHOUSE_STATE_DIR", dir.path())
            .env_remove("GATEHOUSE_DB")
            .env_remove("GATEHOUSE_DATABASE_URL")
            .env_remove("GATEHOUSE_MAGE_USER")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("\"Owner\""), "{text}");
        let missing = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .args(["roles", "ls"])
            .env("XDG_CONFIG_HOME", dir.path())
            .env_remove("MAGE_PW")
            .env("GATEHOUSE_STATE_DIR", dir.path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(missing.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&missing.stderr).contains("MAGE_PW"));

        // Logging out expires the token; the next call logs in again by itself.
        let b = admin(&url).await;
        let before = b.client().logins();
        b.client()
            .call(
                reqwest::Method::PUT,
                "sessions/1",
                Some(&json!({"session": {}})),
            )
            .await
            .unwrap();
        let s = b.state().await.expect("a fresh login after the token expired");
        assert!(s.role_by_name("Owner").is_some());
        assert_eq!(b.client().logins(), before + 1, "logged in once more");
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn the_live_view_sees_a_change_made_by_another_mage_client() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(120, async {
        let console = admin(&url).await;
        let other = admin(&url).await;
        let rev = console.state().await.unwrap().revision;
        let same = console
            .wait_for_change(rev, std::time::Duration::from_millis(200))
            .await
            .unwrap();
        assert_eq!(same, rev, "nothing changed on the server");
        let name = format!("gh-live-{}", unique());
        let waiting = tokio::spawn(async move {
            let r = console
                .wait_for_change(rev, std::time::Duration::from_secs(60))
                .await;
            (r, console)
        });
        other
            .create_role(RoleSpec {
                name: name.clone(),
                description: String::new(),
            })
            .await
            .unwrap();
        let (moved, console) = waiting.await.unwrap();
        let moved = moved.unwrap();
        assert!(moved > rev, "the poll did not see the new role");
        let state = console.state().await.unwrap();
        assert!(state.role_by_name(&name).is_some());
        assert_eq!(state.revision, moved);
        let id = state.role_by_name(&name).unwrap().id;
        other.delete_role(id, true).await.unwrap();
    })
    .await;
}

/// A state directory (saved Mage sessions) for this test process, not the user's own.
pub(crate) fn test_state_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("gatehouse-test-state-{}", std::process::id()))
}

/// Runs the binary against the Mage server as its default owner, `stdin` on standard input.
pub(crate) fn gatehouse_on_mage(
    url: &str,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    cmd.args(["--mage", url, "--mage-user", "admin@admin.com"])
        .args(args)
        .env("GATEHOUSE_MAGE_PASSWORD", "admin")
        .env_remove("GATEHOUSE_DB")
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env("XDG_CONFIG_HOME", "/nonexistent-gatehouse-config")
        .env("GATEHOUSE_STATE_DIR", test_state_dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn the_cli_sets_and_resets_a_mage_users_password() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(120, async {
        let name = format!("pw{}", unique());
        let email = format!("{name}@example.com");
        let made = gatehouse_on_mage(
            &url,
            &[
                "users",
                "create",
                &name,
                "--email",
                &email,
                "--password-stdin",
            ],
            &[],
            "first-pass-123\n",
        );
        let err = String::from_utf8_lossy(&made.stderr);
        assert_eq!(made.status.code(), Some(0), "{err}");
        let first = mage_support::try_login(&url, &email, "first-pass-123").await;
        assert!(first.is_ok(), "the password from stdin logs in: {first:?}");

        let reset = gatehouse_on_mage(
            &url,
            &["users", "update", &name, "--password-env", "NEW_PW"],
            &[("NEW_PW", "second-pass-456")],
            "",
        );
        let err = String::from_utf8_lossy(&reset.stderr);
        assert_eq!(reset.status.code(), Some(0), "{err}");
        assert!(
            mage_support::try_login(&url, &email, "second-pass-456")
                .await
                .is_ok(),
            "the reset password logs in"
        );
        assert!(
            mage_support::try_login(&url, &email, "first-pass-123")
                .await
                .is_err(),
            "the old one no longer does"
        );

        // Too short for Mage: refused, and the password stays.
        let short = gatehouse_on_mage(
            &url,
            &["users", "update", &name, "--password-stdin"],
            &[],
            "short\n",
        );
        assert_eq!(short.status.code(), Some(2));
        assert!(
            mage_support::try_login(&url, &email, "second-pass-456")
                .await
                .is_ok(),
            "a refused reset changes nothing"
        );

        let b = admin(&url).await;
        let s = b.state().await.unwrap();
        let user = s.user_by_name(&name).expect("the user").clone();
        b.delete_user(user.id, true).await.unwrap();
    })
    .await;
}
