//! The `gatehouse` binary, end to end: every test runs the real executable against a store in a
//! temporary directory and checks stdout, the one-line `error:` on stderr, the exit code of
//! docs/PRODUCT.md §1.2, and that a refused command changed nothing (`export` before == after).
//! This file: first run, init, and the create/list/show/update/remove verbs of every object.
//! Policy commands are in `cli_policy.rs`, errors and access in `cli_errors.rs`.

use crate::cli_support;

use cli_support::{Env, names};
use serde_json::Value;

#[test]
fn first_run_creates_and_bootstraps_the_default_store() {
    let e = Env::new();
    let o = e.cmd().output().expect("run");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let path = e
        .dir
        .path()
        .join("xdg")
        .join("gatehouse")
        .join("gatehouse.db");
    assert!(
        path.exists(),
        "default store not created at {}",
        path.display()
    );
    assert!(out.contains(&path.display().to_string()), "{out}");
    assert!(out.contains("tester"), "owner is $USER: {out}");
    assert!(
        out.contains("gatehouse defaults apply"),
        "next steps: {out}"
    );
    // The second run finds it initialized: same owner, nothing created.
    let o = e
        .cmd()
        .args(["-o", "json", "status"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["initialized"], true, "{v}");
    assert_eq!(v["acting_as"]["username"], "tester");
    assert_eq!(v["counts"]["user_count"], 1);
    assert_eq!(v["counts"]["team_count"], 1, "the admin team");
    let o = e.cmd().output().expect("run");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("created and initialized"));
}

#[test]
fn init_twice_changes_nothing() {
    let e = Env::new();
    let out = e.ok(&["init", "--admin", "root"]);
    assert!(out.contains("root"), "{out}");
    let before = e.export();
    let out = e.ok(&["init", "--admin", "someone-else"]);
    assert!(
        out.contains("already initialized (owner: root); nothing changed"),
        "{out}"
    );
    assert_eq!(before, e.export());
}

#[test]
fn roles_create_ls_show_update_rm() {
    let e = Env::init();
    e.ok(&["roles", "create", "Editor", "--description", "edits things"]);
    let v = e.json(&["roles", "ls"]);
    assert_eq!(names(&v, "name"), ["Editor"]);
    assert_eq!(v[0]["description"], "edits things");
    let out = e.ok(&["roles", "ls"]);
    assert!(out.contains("NAME") && out.contains("Editor") && out.contains("edits things"));
    let out = e.ok(&["roles", "show", "Editor"]);
    assert!(out.contains("Permissions (0)"), "{out}");
    e.ok(&["roles", "update", "Editor", "--name", "Writer"]);
    let v = e.json(&["roles", "show", "Writer"]);
    assert_eq!(v["name"], "Writer");
    assert_eq!(v["description"], "edits things");
    assert_eq!(v["version"], 2);
    e.ok(&["roles", "rm", "Writer"]);
    assert_eq!(e.json(&["roles", "ls"]), Value::Array(vec![]));
    e.fails(&["roles", "show", "Writer"], 3);
}

#[test]
fn rm_of_a_role_in_use_needs_force() {
    let e = Env::init();
    e.ok(&["roles", "create", "Editor"]);
    e.ok(&["users", "create", "alice"]);
    e.ok(&["roles", "assign", "Editor", "alice"]);
    let line = e.refused(&["roles", "rm", "Editor"], 4);
    assert!(line.contains("1 link"), "{line}");
    assert!(line.contains("--force"), "{line}");
    e.ok(&["roles", "rm", "Editor", "--force"]);
    let v = e.json(&["users", "show", "alice"]);
    assert_eq!(v["roles"], Value::Array(vec![]));
}

#[test]
fn users_create_ls_show_update_rm() {
    let e = Env::init();
    e.ok(&[
        "users",
        "create",
        "alice",
        "--email",
        "alice@example.com",
        "--name",
        "Alice",
    ]);
    e.ok(&["users", "create", "ci-bot", "--service"]);
    let v = e.json(&["users", "ls"]);
    assert_eq!(names(&v, "username"), ["alice", "ci-bot", "root"]);
    assert_eq!(v[1]["kind"], "service");
    assert_eq!(v[2]["owner"], true);
    let out = e.ok(&["users", "ls"]);
    for col in [
        "USERNAME",
        "KIND",
        "EMAIL",
        "ROLES",
        "TEAMS",
        "FLAGS",
        "alice@example.com",
        "owner",
    ] {
        assert!(out.contains(col), "{col} missing: {out}");
    }
    e.ok(&[
        "users",
        "update",
        "alice",
        "--disable",
        "--email",
        "a@example.org",
    ]);
    let v = e.json(&["users", "show", "alice"]);
    assert_eq!(v["disabled"], true);
    assert_eq!(v["email"], "a@example.org");
    assert_eq!(v["display_name"], "Alice");
    e.ok(&["users", "update", "alice", "--enable"]);
    assert_eq!(e.json(&["users", "show", "alice"])["disabled"], false);
    e.ok(&["users", "rm", "ci-bot"]);
    assert_eq!(
        names(&e.json(&["users", "ls"]), "username"),
        ["alice", "root"]
    );
}

#[test]
fn user_show_lists_roles_teams_keys_and_effective_permissions() {
    let e = Env::init();
    e.ok(&["users", "create", "alice"]);
    e.ok(&["roles", "create", "Editor"]);
    let p = e.permission(&["okdata:dataset", "--grant", "read,update"]);
    e.ok(&["roles", "add-permission", "Editor", &p]);
    e.ok(&["roles", "assign", "Editor", "alice"]);
    e.ok(&["teams", "create", "ops"]);
    e.ok(&["teams", "add-member", "ops", "alice", "--role", "Editor"]);
    e.ok(&["keys", "create", "alice", "--read-only", "--expires", "90d"]);
    let v = e.json(&["users", "show", "alice"]);
    assert_eq!(v["roles"][0]["role"]["name"], "Editor");
    assert_eq!(v["teams"][0]["team"]["key"], "ops");
    assert_eq!(v["teams"][0]["role"]["name"], "Editor");
    assert_eq!(v["api_keys"][0]["user"]["username"], "alice");
    assert_eq!(v["api_keys"][0]["read_only"], true);
    let paths: Vec<String> = names(&v["effective"], "path");
    assert!(paths.contains(&"role:Editor".to_string()), "{paths:?}");
    assert!(
        paths.contains(&"team:ops (member role Editor, team resources only)".to_string()),
        "{paths:?}"
    );
    let out = e.ok(&["users", "show", "alice"]);
    assert!(
        out.contains("Effective permissions") && out.contains("role:Editor"),
        "{out}"
    );
    let out = e.ok(&["what-can", "alice"]);
    assert!(
        out.contains("okdata:dataset")
            && !out.contains("okdata:okdata")
            && out.contains("read, update"),
        "{out}"
    );
}

#[test]
fn teams_create_ls_show_update_members_rm() {
    let e = Env::init();
    e.ok(&["roles", "create", "Member"]);
    e.ok(&["users", "create", "alice"]);
    e.ok(&[
        "teams",
        "create",
        "ops",
        "--name",
        "Operations",
        "--default-role",
        "Member",
    ]);
    e.ok(&["teams", "add-member", "ops", "alice"]);
    let v = e.json(&["teams", "ls"]);
    assert_eq!(names(&v, "key"), ["admin", "ops"]);
    assert_eq!(v[1]["member_count"], 1);
    assert_eq!(v[1]["default_role"]["name"], "Member");
    let out = e.ok(&["teams", "ls"]);
    assert!(
        out.contains("Operations") && out.contains("Member"),
        "{out}"
    );
    let v = e.json(&["teams", "show", "ops"]);
    assert_eq!(v["members"][0]["user"]["username"], "alice");
    assert_eq!(
        v["members"][0]["role"]["name"], "Member",
        "the default role"
    );
    e.ok(&[
        "teams",
        "update",
        "ops",
        "--description",
        "on call",
        "--no-default-role",
    ]);
    let v = e.json(&["teams", "show", "ops"]);
    assert_eq!(v["description"], "on call");
    assert_eq!(v["default_role"], Value::Null);
    e.refused(&["teams", "rm", "ops"], 4);
    e.ok(&["teams", "rm-member", "ops", "alice"]);
    e.ok(&["teams", "rm", "ops"]);
    assert_eq!(names(&e.json(&["teams", "ls"]), "key"), ["admin"]);
}

#[test]
fn permissions_create_ls_show_update_rm() {
    let e = Env::init();
    let p = e.permission(&[
        "Pipeline/example_pipeline",
        "--catalog",
        "mage",
        "--grant",
        "DETAIL,UPDATE",
        "--deny",
        "DELETE",
        "--description",
        "one pipeline",
    ]);
    let v = e.json(&["permissions", "show", &p]);
    assert_eq!(v["entity"], "Pipeline");
    assert_eq!(v["entity_uuid"], "example_pipeline");
    assert_eq!(v["catalog"], "mage");
    let out = e.ok(&["permissions", "ls"]);
    let short = p.replace('-', "");
    let short = &short[short.len() - 12..];
    assert!(
        out.contains(short) && out.contains("example_pipeline"),
        "{out}"
    );
    // The short id shown in the table is accepted back.
    let again = e.json(&["permissions", "show", short]);
    assert_eq!(again["id"], v["id"]);
    assert!(
        out.contains("DETAIL, UPDATE") && out.contains("DELETE"),
        "{out}"
    );
    // Mage's integer: 176 = LIST|DETAIL|CREATE? whatever it is, it converts.
    let m = e.permission(&["mage:Pipeline", "--mage-access", "48"]);
    let v = e.json(&["permissions", "show", &m]);
    assert_eq!(v["grants"], serde_json::json!(["DETAIL", "LIST"]));
    assert_eq!(v["entity_uuid"], Value::Null);
    let out = e.ok(&["permissions", "ls", "--entity", "Pipeline"]);
    assert!(out.contains("all"), "{out}");
    e.ok(&["permissions", "update", &p[..30], "--grant", "DETAIL"]);
    let v = e.json(&["permissions", "show", &p]);
    assert_eq!(v["grants"], serde_json::json!(["DETAIL"]));
    assert_eq!(v["denies"], serde_json::json!(["DELETE"]), "kept");
    assert_eq!(v["description"], "one pipeline", "kept");
    e.ok(&["roles", "create", "R"]);
    e.ok(&["roles", "add-permission", "R", &p]);
    assert_eq!(
        e.json(&["permissions", "show", &p])["roles"][0]["name"],
        "R"
    );
    e.refused(&["permissions", "rm", &p], 4);
    e.ok(&["permissions", "rm", &p, "--force"]);
    e.ok(&["permissions", "rm", &m]);
    assert_eq!(e.json(&["permissions", "ls"]), Value::Array(vec![]));
}

#[test]
fn relation_verbs_add_and_remove_links() {
    let e = Env::init();
    e.ok(&["roles", "create", "R"]);
    e.ok(&["users", "create", "alice"]);
    e.ok(&["teams", "create", "ops"]);
    let p = e.permission(&["okdata:dataset", "--grant", "read"]);
    e.ok(&["roles", "add-permission", "R", &p]);
    e.ok(&["roles", "assign", "R", "alice"]);
    e.ok(&["roles", "assign-team", "R", "ops"]);
    let v = e.json(&["roles", "ls"]);
    assert_eq!(
        (
            v[0]["permission_count"].as_u64(),
            v[0]["user_count"].as_u64(),
            v[0]["team_count"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let out = e.ok(&["roles", "show", "R"]);
    // Pages name a permission by its short id, the last 12 hex digits (the first 8 are a
    // timestamp the role's own id may share or not).
    assert!(
        out.contains("alice") && out.contains("ops") && out.contains(&p[p.len() - 12..]),
        "{out}"
    );
    e.refused(&["roles", "assign", "R", "alice"], 4);
    e.ok(&["roles", "unassign", "R", "alice"]);
    e.ok(&["roles", "unassign-team", "R", "ops"]);
    e.ok(&["roles", "rm-permission", "R", &p]);
    e.refused(&["roles", "unassign", "R", "alice"], 3);
    let v = e.json(&["roles", "ls"]);
    assert_eq!(
        (
            v[0]["permission_count"].as_u64(),
            v[0]["user_count"].as_u64(),
            v[0]["team_count"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );
}

#[test]
fn keys_create_ls_revoke() {
    let e = Env::init();
    e.ok(&["users", "create", "alice"]);
    let o = e.run(&["keys", "create", "alice", "--read-only", "--expires", "90d"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.lines().any(|l| l.starts_with("ghk_")), "{out}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("not stored"));
    let v = e.json(&["keys", "ls"]);
    assert_eq!(v[0]["user"]["username"], "alice");
    assert_eq!(v[0]["read_only"], true);
    let id = v[0]["id"].as_str().expect("id").to_string();
    e.ok(&["keys", "revoke", &id[..8]]);
    let v = e.json(&["keys", "ls"]);
    assert!(v[0]["revoked_at"].is_string(), "{v}");
    e.refused(&["keys", "revoke", &id], 4);
}

#[test]
fn a_local_user_has_no_password_to_set() {
    let e = Env::init();
    e.ok(&["users", "create", "alice", "--email", "alice@example.com"]);
    // Nothing on standard input: said, nothing written.
    let line = e.refused(&["users", "update", "alice", "--password-stdin"], 2);
    assert!(line.contains("--password-stdin"), "{line}");
    // A password for gatehouse's own users is refused with what to use instead.
    let before = e.export();
    let o = e
        .cmd()
        .arg("--db")
        .arg(&e.db)
        .args(["users", "update", "alice", "--password-env", "GH_TEST_PW"])
        .env("GH_TEST_PW", "long-enough-1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("gatehouse users have no password"), "{err}");
    assert_eq!(before, e.export(), "nothing written");
}
