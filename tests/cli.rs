//! The `gatehouse` binary, end to end: every test runs the real executable against a store in a
//! temporary directory and checks stdout, the one-line `error:` on stderr, the exit code of
//! SPEC §1.2, and that a refused command changed nothing (`export` before == after).

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

struct Env {
    dir: TempDir,
    db: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = TempDir::new().expect("tempdir");
        let db = dir.path().join("store").join("gatehouse.db");
        Env { dir, db }
    }

    /// A fresh store with `root` as owner.
    fn init() -> Env {
        let e = Env::new();
        e.ok(&["init", "--admin", "root"]);
        e
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        c.env_remove("GATEHOUSE_DB")
            .env_remove("GATEHOUSE_DATABASE_URL")
            .env_remove("GATEHOUSE_CONFIG")
            .env_remove("GATEHOUSE_PROFILE")
            .env_remove("XDG_CONFIG_HOME")
            .env("XDG_DATA_HOME", self.dir.path().join("xdg"))
            .env("HOME", self.dir.path().join("home"))
            .env("USER", "tester")
            .env("NO_COLOR", "1");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut c = self.cmd();
        c.arg("--db").arg(&self.db).args(args);
        c.output().expect("run gatehouse")
    }

    /// Runs and expects exit 0; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "gatehouse {args:?} failed with {:?}\nstdout: {}\nstderr: {}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Runs with `-o json` and parses stdout.
    fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["-o", "json"];
        a.extend_from_slice(args);
        let out = self.ok(&a);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }

    /// Runs and expects exit `code` with one `error:` line on stderr; returns that line.
    fn fails(&self, args: &[&str], code: i32) -> String {
        let o = self.run(args);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(
            o.status.code(),
            Some(code),
            "gatehouse {args:?}: expected exit {code}\nstdout: {}\nstderr: {err}",
            String::from_utf8_lossy(&o.stdout)
        );
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: want one stderr line, got: {err}");
        assert!(lines[0].starts_with("error: "), "{args:?}: {err}");
        lines[0].to_string()
    }

    fn export(&self) -> String {
        self.ok(&["export"])
    }

    /// Expects `args` to fail with `code` and to change nothing.
    fn refused(&self, args: &[&str], code: i32) -> String {
        let before = self.export();
        let line = self.fails(args, code);
        assert_eq!(before, self.export(), "{args:?} changed the store");
        line
    }

    /// Creates a permission and returns its id.
    fn permission(&self, args: &[&str]) -> String {
        let mut a = vec!["permissions", "create"];
        a.extend_from_slice(args);
        let v = self.json(&a);
        v["id"].as_str().expect("id").to_string()
    }
}

fn names(v: &Value, field: &str) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|r| r[field].as_str().unwrap_or_default().to_string())
        .collect()
}

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
    assert_eq!(v["acting_as"], "tester");
    assert_eq!(v["counts"]["users"], 1);
    assert_eq!(v["counts"]["teams"], 1, "the admin team");
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
    assert_eq!(v["roles"][0], "Editor");
    assert_eq!(v["teams"][0]["team"], "ops");
    assert_eq!(v["teams"][0]["role"], "Editor");
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
    assert_eq!(v[1]["members"], 1);
    assert_eq!(v[1]["default_role"], "Member");
    let out = e.ok(&["teams", "ls"]);
    assert!(
        out.contains("Operations") && out.contains("Member"),
        "{out}"
    );
    let v = e.json(&["teams", "show", "ops"]);
    assert_eq!(v["members"][0]["user"], "alice");
    assert_eq!(v["members"][0]["role"], "Member", "the default role");
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
    assert_eq!(e.json(&["permissions", "show", &p])["roles"][0], "R");
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
            v[0]["permissions"].as_u64(),
            v[0]["users"].as_u64(),
            v[0]["teams"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let out = e.ok(&["roles", "show", "R"]);
    assert!(
        out.contains("alice") && out.contains("ops") && out.contains(&p[..8]),
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
            v[0]["permissions"].as_u64(),
            v[0]["users"].as_u64(),
            v[0]["teams"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );
}

#[test]
fn defaults_apply_mage_dry_run_then_apply_then_idempotent() {
    let e = Env::init();
    let v = e.json(&["defaults", "apply", "mage", "--dry-run"]);
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["roles"]["created"], 6);
    assert_eq!(v["permissions"]["created"], 623);
    assert_eq!(v["links"]["created"], 625);
    assert_eq!(
        e.json(&["roles", "ls"]),
        Value::Array(vec![]),
        "dry run wrote nothing"
    );
    let out = e.ok(&["defaults", "apply", "mage"]);
    assert!(out.contains("623") && out.contains("625"), "{out}");
    let v = e.json(&["defaults", "apply", "mage"]);
    assert_eq!(v["roles"]["created"], 0);
    assert_eq!(v["roles"]["present"], 6);
    assert_eq!(v["permissions"]["created"], 0);
    assert_eq!(v["permissions"]["present"], 623);
    assert_eq!(v["links"]["created"], 0);
    assert_eq!(v["links"]["present"], 625);
    assert_eq!(e.json(&["roles", "ls"]).as_array().map(Vec::len), Some(6));
    let out = e.ok(&["defaults", "ls"]);
    assert!(out.contains("mage") && out.contains("okdata"), "{out}");
    e.refused(&["defaults", "apply", "nope"], 2);
}

#[test]
fn check_exit_codes_and_explanation() {
    let e = Env::init();
    e.ok(&["users", "create", "alice"]);
    e.ok(&["teams", "create", "ops"]);
    e.ok(&["teams", "add-member", "ops", "alice"]);
    e.ok(&[
        "permissions",
        "add",
        "okdata:dataset:ds1",
        "ops",
        "okdata:dataset:read",
        "--team",
    ]);
    let out = e.ok(&["check", "alice", "read", "okdata:dataset:ds1"]);
    assert!(out.starts_with("ALLOW"), "{out}");
    assert!(out.contains("via team:ops"), "{out}");
    assert_eq!(out.lines().count(), 1);

    let o = e.run(&["check", "alice", "write", "okdata:dataset:ds1"]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("DENY"), "{out}");

    e.ok(&["roles", "create", "Writer"]);
    let p = e.permission(&["okdata:dataset", "--grant", "write"]);
    e.ok(&["roles", "add-permission", "Writer", &p]);
    let o = e.run(&["check", "alice", "write", "okdata:dataset:ds1", "--explain"]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("team:ops"), "path named: {out}");
    assert!(out.contains("no access"), "candidate outcome: {out}");
    assert!(out.contains("assign role Writer"), "hint: {out}");

    e.ok(&["roles", "assign", "Writer", "alice"]);
    let out = e.ok(&["check", "alice", "write", "okdata:dataset/ds1", "--explain"]);
    assert!(
        out.starts_with("ALLOW") && out.contains("role:Writer"),
        "{out}"
    );
    let v = e.json(&["check", "alice", "write", "okdata:dataset:ds1"]);
    assert_eq!(v["allowed"], true);

    let v = e.json(&["who-can", "write", "okdata:dataset:ds1"]);
    let who = names(&v, "username");
    assert!(
        who.contains(&"alice".to_string()) && who.contains(&"root".to_string()),
        "{who:?}"
    );

    // Bad questions are usage errors, not denials.
    e.fails(&["check", "alice", "fly", "okdata:dataset:ds1"], 2);
    e.fails(&["check", "nobody", "read", "okdata:dataset:ds1"], 3);
    e.fails(&["check", "alice", "read", "Nonsense"], 2);
}

#[test]
fn okdata_flow() {
    let e = Env::init();
    e.ok(&["users", "create", "alice"]);
    e.ok(&["users", "create", "bob"]);
    e.ok(&["teams", "create", "analysts"]);
    let out = e.ok(&[
        "permissions",
        "add",
        "okdata:dataset:ds1",
        "alice",
        "okdata:dataset:admin",
    ]);
    assert_eq!(
        out.trim(),
        "Granted 'okdata:dataset:admin' on 'okdata:dataset:ds1' to user 'alice'"
    );
    let out = e.ok(&[
        "permissions",
        "add",
        "okdata:dataset:ds1",
        "analysts",
        "okdata:dataset:read",
        "--team",
    ]);
    assert_eq!(
        out.trim(),
        "Granted 'okdata:dataset:read' on 'okdata:dataset:ds1' to team 'analysts'"
    );
    let out = e.ok(&["permissions", "add", "okdata:dataset:ds1", "bob"]);
    assert_eq!(
        out.trim(),
        "Granted every permission on 'okdata:dataset:ds1' to user 'bob'"
    );
    let out = e.ok(&["permissions", "ls", "okdata:dataset:ds1"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "Permissions for 'okdata:dataset:ds1'");
    assert!(
        lines[1].contains("User name")
            && lines[1].contains("User type")
            && lines[1].contains("Scopes")
    );
    assert!(out.contains("analysts") && out.contains("Team"), "{out}");
    assert!(
        out.contains(
            "okdata:dataset:admin, okdata:dataset:read, okdata:dataset:update, okdata:dataset:write"
        ),
        "{out}"
    );
    let v = e.json(&["permissions", "ls", "okdata:dataset:ds1"]);
    assert_eq!(v.as_array().map(Vec::len), Some(3));

    let out = e.ok(&[
        "permissions",
        "rm",
        "okdata:dataset:ds1",
        "bob",
        "okdata:dataset:admin",
    ]);
    assert_eq!(
        out.trim(),
        "Revoked 'okdata:dataset:admin' on 'okdata:dataset:ds1' from user 'bob'"
    );
    let line = e.refused(
        &[
            "permissions",
            "rm",
            "okdata:dataset:ds1",
            "alice",
            "okdata:dataset:admin",
        ],
        2,
    );
    assert!(
        line.contains("Cannot remove the only admin for resource"),
        "{line}"
    );

    let out = e.ok(&["--as", "alice", "permissions", "ls", "--mine"]);
    assert!(
        out.contains("My permissions") && out.contains("okdata:dataset:ds1"),
        "{out}"
    );
}

#[test]
fn export_import_round_trip_is_byte_identical() {
    let e = Env::init();
    e.ok(&["defaults", "apply", "fetchml"]);
    e.ok(&["users", "create", "alice", "--email", "a@example.com"]);
    e.ok(&["teams", "create", "ops"]);
    e.ok(&["teams", "add-member", "ops", "alice"]);
    e.ok(&[
        "permissions",
        "add",
        "okdata:dataset:ds1",
        "alice",
        "okdata:dataset:admin",
    ]);
    e.ok(&[
        "permissions",
        "create",
        "Pipeline/example_pipeline",
        "--catalog",
        "mage",
        "--grant",
        "DETAIL",
    ]);
    let first = e.export();
    let file = e.dir.path().join("policy.toml");
    std::fs::write(&file, &first).expect("write");

    let fresh = Env::new();
    let v = fresh.json(&["import", file.to_str().expect("path"), "--dry-run"]);
    assert_eq!(v["dry_run"], true);
    assert_eq!(fresh.export(), "", "dry run wrote nothing");
    fresh.ok(&["import", file.to_str().expect("path")]);
    assert_eq!(fresh.export(), first);

    // JSON too.
    let json = e.ok(&["export", "--format", "json"]);
    let _: Value = serde_json::from_str(&json).expect("json export");
    let jfile = e.dir.path().join("policy.json");
    std::fs::write(&jfile, &json).expect("write");
    let fresh2 = Env::new();
    fresh2.ok(&["import", jfile.to_str().expect("path")]);
    assert_eq!(fresh2.export(), first);
}

#[test]
fn bad_input_is_one_line_with_the_right_code_and_changes_nothing() {
    let e = Env::init();
    e.ok(&["users", "create", "alice"]);
    e.ok(&["roles", "create", "Editor"]);

    let l = e.refused(&["permissions", "create", "Nonsense", "--grant", "read"], 2);
    assert!(l.contains("unknown entity 'Nonsense'"), "{l}");
    let l = e.refused(
        &["permissions", "create", "okdata:dataset", "--grant", "fly"],
        2,
    );
    assert!(l.contains("fly"), "{l}");
    let l = e.refused(
        &[
            "permissions",
            "create",
            "mage:Pipeline",
            "--mage-access",
            "256",
        ],
        2,
    );
    assert!(l.contains("--mage-access"), "{l}");
    let l = e.refused(&["roles", "create", "Editor"], 4);
    assert!(l.contains("already exists"), "{l}");
    let l = e.refused(&["users", "create", "ALICE"], 4);
    assert!(l.contains("already exists"), "{l}");
    let l = e.refused(&["roles", "assign", "Editor", "nobody"], 3);
    assert!(l.contains("user 'nobody' not found"), "{l}");
    e.refused(&["users", "show", "nobody"], 3);
    e.refused(&["permissions", "show", "00000000"], 3);
    e.refused(&["keys", "create", "alice", "--expires", "soon"], 2);
    e.refused(&["audit", "--since", "yesterday-ish"], 2);
    let l = e.refused(&["-o", "xml", "roles", "ls"], 2);
    assert!(l.contains("--output"), "{l}");
    e.refused(&["users", "create", "bad\u{1b}[2Jname"], 2);

    // A corrupt import file.
    let bad = e.dir.path().join("bad.toml");
    std::fs::write(&bad, "[[roles]]\nname = 3\nbogus = [\n").expect("write");
    let l = e.refused(&["import", bad.to_str().expect("path")], 2);
    assert!(l.contains("import file"), "{l}");
    let bad = e.dir.path().join("bad.json");
    std::fs::write(&bad, "{\"roles\": [{\"nme\": \"x\"}]}").expect("write");
    e.refused(&["import", bad.to_str().expect("path")], 2);
    e.refused(&["import", "/nonexistent/policy.toml"], 3);
}

#[test]
fn an_unreadable_store_file_is_exit_6() {
    let dir = TempDir::new().expect("tempdir");
    let db = dir.path().join("notes.txt");
    std::fs::write(&db, "these are my notes, not a database\n").expect("write");
    let o = Command::new(BIN)
        .env_remove("GATEHOUSE_DB")
        .env_remove("GATEHOUSE_DATABASE_URL")
        .arg("--db")
        .arg(&db)
        .args(["roles", "ls"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(6));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(
        std::fs::read_to_string(&db).expect("read"),
        "these are my notes, not a database\n",
        "the file is untouched"
    );
}

#[test]
fn usage_errors_exit_2() {
    let e = Env::init();
    let o = e.run(&["roles", "frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    let o = e.run(&["permissions", "rm"]);
    assert_eq!(o.status.code(), Some(2));
    let o = e.run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn json_output_parses_on_every_listing() {
    let e = Env::init();
    e.ok(&["users", "create", "alice"]);
    e.ok(&["defaults", "apply", "fetchml"]);
    e.ok(&["keys", "create", "alice"]);
    for args in [
        &["status"][..],
        &["catalogs"],
        &["catalogs", "mage"],
        &["defaults", "ls"],
        &["roles", "ls"],
        &["users", "ls"],
        &["teams", "ls"],
        &["permissions", "ls"],
        &["users", "show", "alice"],
        &["teams", "show", "admin"],
        &["what-can", "alice"],
        &["who-can", "read", "jobs"],
        &["audit"],
        &["keys", "ls"],
    ] {
        e.json(args);
    }
    let v = e.json(&["audit", "--since", "1h", "--actor", "root", "--limit", "2"]);
    assert_eq!(v.as_array().map(Vec::len), Some(2));
    assert!(
        v[0]["revision"].as_u64() > v[1]["revision"].as_u64(),
        "newest first"
    );
    let out = e.ok(&["audit"]);
    assert!(
        out.contains("REV") && out.contains("root") && out.contains("create"),
        "{out}"
    );
}

#[test]
fn untrusted_text_is_escaped_in_tables() {
    let e = Env::init();
    // Names are validated (no control characters), so smuggle them through an import.
    let doc = e.dir.path().join("evil.json");
    std::fs::write(
        &doc,
        r#"{"roles": [{"name": "evil", "description": "x\u001b[2Jy\u202ez"}]}"#,
    )
    .expect("write");
    let imported = e.run(&["import", doc.to_str().expect("path")]);
    let description_stored = imported.status.success();
    // And a username, if the service lets it through; either way nothing raw is printed.
    let _ = e.run(&["users", "create", "mallory\u{1b}[2J\u{202e}"]);
    for args in [
        &["roles", "ls"][..],
        &["users", "ls"],
        &["roles", "show", "evil"],
        &["audit"],
    ] {
        let o = e.run(args);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            !out.contains('\u{1b}'),
            "{args:?} printed a raw ESC: {out:?}"
        );
        assert!(
            !out.contains('\u{202e}'),
            "{args:?} printed a raw U+202E: {out:?}"
        );
    }
    if description_stored {
        let out = e.ok(&["roles", "ls"]);
        assert!(out.contains(r"x\x1b[2Jy\u{202e}z"), "{out}");
    }
}

#[test]
fn read_only_refuses_writes_with_exit_5() {
    let e = Env::init();
    let before = e.export();
    for args in [
        &["--read-only", "roles", "create", "R"][..],
        &["--read-only", "users", "create", "bob"],
        &["--read-only", "defaults", "apply", "mage"],
        &["--read-only", "teams", "create", "ops"],
    ] {
        let l = e.fails(args, 5);
        assert!(l.contains("Insufficient permissions"), "{l}");
    }
    assert_eq!(before, e.export());
    e.ok(&["--read-only", "roles", "ls"]);
    let v = e.json(&["--read-only", "status"]);
    assert_eq!(v["can_write"], false);
}

#[test]
fn a_viewer_can_list_but_not_create() {
    let e = Env::init();
    let p = e.permission(&["ALL", "--catalog", "gatehouse", "--grant", "read"]);
    e.ok(&["roles", "create", "viewer"]);
    e.ok(&["roles", "add-permission", "viewer", &p]);
    e.ok(&["users", "create", "vera"]);
    e.ok(&["roles", "assign", "viewer", "vera"]);
    let out = e.ok(&["--as", "vera", "roles", "ls"]);
    assert!(out.contains("viewer"), "{out}");
    e.ok(&["--as", "vera", "users", "ls"]);
    e.ok(&["--as", "vera", "permissions", "ls"]);
    let l = e.refused(&["--as", "vera", "roles", "create", "sneaky"], 5);
    assert!(l.contains("Insufficient permissions"), "{l}");
    e.refused(&["--as", "vera", "users", "create", "x"], 5);
    e.refused(&["--as", "vera", "roles", "assign", "viewer", "root"], 5);
    e.fails(&["--as", "nobody", "roles", "ls"], 3);
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
    assert_eq!(v[0]["user"], "alice");
    assert_eq!(v[0]["read_only"], true);
    let id = v[0]["id"].as_str().expect("id").to_string();
    e.ok(&["keys", "revoke", &id[..8]]);
    let v = e.json(&["keys", "ls"]);
    assert!(v[0]["revoked_at"].is_string(), "{v}");
    e.refused(&["keys", "revoke", &id], 4);
}
