//! The `gatehouse` binary, end to end: presets, `check` and its exit codes and explanation, the
//! okdata flow, and export → import round trips.

use crate::cli_support;

use cli_support::Env;
use serde_json::Value;

#[test]
fn defaults_apply_mage_dry_run_then_apply_then_idempotent() {
    let e = Env::init();
    let v = e.json(&["defaults", "apply", "mage", "--dry-run"]);
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["created"]["role_count"], 6);
    assert_eq!(v["created"]["permission_count"], 623);
    assert_eq!(v["created"]["link_count"], 625);
    assert_eq!(
        e.json(&["roles", "ls"]),
        Value::Array(vec![]),
        "dry run wrote nothing"
    );
    let out = e.ok(&["defaults", "apply", "mage"]);
    assert!(out.contains("623") && out.contains("625"), "{out}");
    let v = e.json(&["defaults", "apply", "mage"]);
    assert_eq!(v["created"]["role_count"], 0);
    assert_eq!(v["present"]["role_count"], 6);
    assert_eq!(v["created"]["permission_count"], 0);
    assert_eq!(v["present"]["permission_count"], 623);
    assert_eq!(v["created"]["link_count"], 0);
    assert_eq!(v["present"]["link_count"], 625);
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
    let who: Vec<String> = v
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            r["user"]["username"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
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

    let fresh = Env::init();
    let before = fresh.export();
    let v = fresh.json(&["import", file.to_str().expect("path"), "--dry-run"]);
    assert_eq!(v["dry_run"], true);
    assert_eq!(fresh.export(), before, "dry run wrote nothing");
    fresh.ok(&["import", file.to_str().expect("path")]);
    // Byte-identical but for the owner and the admin team `init` made in each store.
    assert_eq!(init_ids_masked(&fresh), init_ids_masked(&e));

    // JSON too.
    let json = e.ok(&["export", "--format", "json"]);
    let _: Value = serde_json::from_str(&json).expect("json export");
    let jfile = e.dir.path().join("policy.json");
    std::fs::write(&jfile, &json).expect("write");
    let fresh2 = Env::init();
    fresh2.ok(&["import", jfile.to_str().expect("path")]);
    assert_eq!(init_ids_masked(&fresh2), init_ids_masked(&e));
}

/// The store's TOML export with the ids of what `init` creates (the `root` owner and the
/// reserved `admin` team) replaced by their names: only `init` creates a store, so two stores
/// never share those ids.
fn init_ids_masked(e: &Env) -> String {
    let doc: Value = serde_json::from_str(&e.ok(&["export", "--format", "json"])).expect("json");
    let mut text = e.export();
    let id_of = |list: &str, key: &str, name: &str| {
        doc[list]
            .as_array()
            .and_then(|a| a.iter().find(|x| x[key] == name))
            .and_then(|x| x["id"].as_str())
            .map(str::to_string)
            .expect("init's objects are exported")
    };
    for (id, name) in [
        (id_of("users", "username", "root"), "ROOT"),
        (id_of("teams", "key", "admin"), "ADMIN"),
    ] {
        text = text.replace(&id, name);
    }
    text
}

#[test]
fn import_refuses_a_file_over_max_size_without_reading_it_whole() {
    let e = Env::init();
    // An endless input: refused once the limit is passed (a read of the whole would never end).
    let line = e.refused(&["import", "/dev/zero", "--max-size", "1MiB"], 2);
    assert!(line.contains("--max-size"), "{line}");
    // A regular file over the limit: refused from its size.
    let big = e.dir.path().join("big.toml");
    std::fs::write(&big, "# padding\n".repeat(200)).expect("write");
    let big = big.to_str().expect("path");
    let line = e.refused(&["import", big, "--max-size", "1KiB"], 2);
    assert!(
        line.contains("larger than --max-size (1024 bytes)"),
        "{line}"
    );
    // The same file under the default limit imports (it is only comments).
    e.ok(&["import", big]);
    let o = e.run(&["import", big, "--max-size", "12 parsecs"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown size unit 'parsecs'"));
}
