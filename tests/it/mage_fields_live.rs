//! The Mage fields a Mage admin edits or reads, through `gatehouse --mage` against a live
//! Mage 0.9.80 (ignored: "needs a Mage server"; see `mage_live.rs`): a permission's entity
//! type and scope and a user's first and last name reach Mage exactly as set, as Mage's own
//! JSON shows them; the creator and the times Mage keeps come back.

use crate::mage_support;

use gatehouse::backend::Backend;
use mage_support::{admin, bounded, live_url, raw_get, serial, unique};
use serde_json::Value;

/// Runs the binary on the Mage server as its default owner with `-o json`; parses stdout.
fn on_mage(url: &str, args: &[&str], stdin: &str) -> Value {
    use std::io::Write;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    cmd.args([
        "--mage",
        url,
        "--mage-user",
        "admin@admin.com",
        "-o",
        "json",
    ])
    .args(args)
    .env("GATEHOUSE_MAGE_PASSWORD", "admin")
    .env_remove("GATEHOUSE_DB")
    .env_remove("GATEHOUSE_DATABASE_URL")
    .env("XDG_CONFIG_HOME", "/nonexistent-gatehouse-config")
    .env(
        "GATEHOUSE_STATE_DIR",
        std::env::temp_dir().join(format!("gatehouse-test-state-{}", std::process::id())),
    )
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write");
    let o = child.wait_with_output().expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e})"))
}

/// Mage's integer id behind a gatehouse id (its last 12 hex digits).
fn mage_int(id: &Value) -> i64 {
    let s = id.as_str().expect("id").replace('-', "");
    i64::from_str_radix(&s[s.len() - 12..], 16).expect("hex")
}

/// The item with Mage id `n` in a Mage list answer.
fn item(list: &Value, key: &str, n: i64) -> Value {
    list[key]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == n))
        .cloned()
        .unwrap_or_else(|| panic!("no {key} #{n} in {list}"))
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn entity_type_scope_names_and_creator_reach_mage_exactly() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(180, async {
        // A permission with Mage's subtype and scope.
        let p = on_mage(
            &url,
            &[
                "permissions",
                "create",
                "mage:Pipeline",
                "--grant",
                "LIST,READ_ALL",
                "--entity-type",
                "dbt",
                "--scope",
                "Pipeline",
            ],
            "",
        );
        let pn = mage_int(&p["id"]);
        let raw = raw_get(
            &admin(&url).await,
            "permissions?_format=role/detail&_limit=1000",
        )
        .await;
        let mp = item(&raw, "permissions", pn);
        assert_eq!(mp["entity_type"], "dbt", "{mp}");
        assert_eq!(mp["entity"], "pipeline", "{mp}");
        assert!(mp["created_at"].is_string(), "{mp}");
        let shown = on_mage(
            &url,
            &["permissions", "show", p["id"].as_str().expect("id")],
            "",
        );
        assert_eq!(
            (&shown["entity_type"], &shown["scope"]),
            (&mp["entity_type"], &mp["entity"])
        );
        assert!(
            shown["created_at"].is_string() && shown["updated_at"].is_string(),
            "{shown}"
        );
        // Changing the scope alone keeps the subtype; clearing it is Mage's default, global.
        let id = p["id"].as_str().expect("id").to_string();
        let id = &id;
        on_mage(&url, &["permissions", "update", id, "--scope", ""], "");
        let raw = raw_get(
            &admin(&url).await,
            "permissions?_format=role/detail&_limit=1000",
        )
        .await;
        let mp = item(&raw, "permissions", pn);
        assert_eq!(
            (&mp["entity"], &mp["entity_type"]),
            (&"global".into(), &"dbt".into())
        );

        // A role: Mage records who made it, and gatehouse shows it.
        let name = format!("fields{}", unique());
        let r = on_mage(&url, &["roles", "create", &name], "");
        let rn = mage_int(&r["id"]);
        let raw = raw_get(&admin(&url).await, "roles?_limit=1000").await;
        let mr = item(&raw, "roles", rn);
        let creator = mr["user"]["id"].as_i64().expect("Mage names the creator");
        let role = on_mage(&url, &["roles", "show", &name], "");
        assert_eq!(mage_int(&role["created_by"]["id"]), creator, "{role}");
        assert!(role["created_at"].is_string(), "{role}");

        // A user: first and last name go exactly, a last name with a space included.
        let uname = format!("ada{}", unique());
        let email = format!("{uname}@example.com");
        let u = on_mage(
            &url,
            &[
                "users",
                "create",
                &uname,
                "--email",
                &email,
                "--first-name",
                "Ada",
                "--last-name",
                "King Lovelace",
                "--password-stdin",
            ],
            "a-long-password-1\n",
        );
        let un = mage_int(&u["id"]);
        let raw = raw_get(&admin(&url).await, "users?_format=list&_limit=1000").await;
        let mu = item(&raw, "users", un);
        assert_eq!(
            (&mu["first_name"], &mu["last_name"]),
            (&"Ada".into(), &"King Lovelace".into())
        );
        let back = on_mage(&url, &["users", "show", &uname], "");
        assert_eq!(back["last_name"], "King Lovelace");
        assert_eq!(back["display_name"], "Ada King Lovelace");
        on_mage(
            &url,
            &["users", "update", &uname, "--first-name", "Augusta Ada"],
            "",
        );
        let raw = raw_get(&admin(&url).await, "users?_format=list&_limit=1000").await;
        let mu = item(&raw, "users", un);
        assert_eq!(
            (&mu["first_name"], &mu["last_name"]),
            (&"Augusta Ada".into(), &"King Lovelace".into())
        );

        let b = admin(&url).await;
        let s = b.state().await.expect("state");
        let user = s.user_by_name(&uname).expect("user").id;
        b.delete_user(user, true).await.expect("delete user");
        let role = s.role_by_name(&name).expect("role").id;
        b.delete_role(role, true).await.expect("delete role");
        let perm = id.parse().expect("uuid");
        b.delete_permission(perm, true)
            .await
            .expect("delete permission");
    })
    .await;
}
