//! The CLI's JSON contract (docs/json.md): every command that prints JSON is run with `-o json`
//! against a seeded store and its output validated against its schema in docs/schemas/; so
//! are error outputs (stderr). Every subcommand clap knows must have a schema here (or be
//! listed as printing no JSON), so a new command cannot come without one.

use crate::cli_support::Env;
use clap::CommandFactory;
use gatehouse::cli::Cli;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// Commands that print no JSON: the console, a server, shell text, a session's end.
const EXEMPT: &[&str] = &["tui", "serve", "completions", "man", "logout"];

/// The schema each command's `-o json` output follows (several for a command whose output
/// depends on its arguments: `permissions ls RESOURCE`, a `--dry-run`).
fn schemas_of(command: &str) -> Option<&'static [&'static str]> {
    Some(match command {
        "init" => &["init"],
        "status" => &["status"],
        "catalogs" => &["catalog-list", "catalog"],
        "defaults ls" => &["preset-list"],
        "defaults apply" => &["import-report"],
        "roles ls" => &["role-list"],
        "roles show" => &["role-detail"],
        "roles create" | "roles update" => &["role"],
        "roles rm"
        | "roles add-permission"
        | "roles rm-permission"
        | "roles assign"
        | "roles unassign"
        | "roles assign-team"
        | "roles unassign-team" => &["message", "dry-run"],
        "users ls" => &["user-list"],
        "users show" => &["user-detail"],
        "users create" => &["user"],
        "users update" => &["user", "dry-run"],
        "users rm" => &["message", "dry-run"],
        "teams ls" => &["team-list"],
        "teams show" => &["team-detail"],
        "teams create" | "teams update" => &["team"],
        "teams rm" | "teams add-member" | "teams rm-member" => &["message", "dry-run"],
        "permissions ls" => &["permission-list", "resource-grant-list", "mine-list"],
        "permissions show" => &["permission-detail"],
        "permissions create" => &["permission"],
        "permissions update" => &["permission", "dry-run"],
        "permissions add" => &["message"],
        "permissions rm" => &["message", "dry-run"],
        "check" => &["check", "check-call"],
        "test" => &["test-report"],
        "who-can" => &["who-can"],
        "what-can" => &["what-can"],
        "expire ls" => &["expire-list"],
        "expire user-role" | "expire team-role" | "expire member" | "expire grant" => &["message"],
        "prune-expired" => &["pruned"],
        "audit" => &["audit-list"],
        "export" => &["export"],
        "import" => &["import-report"],
        "plan" => &["plan"],
        "apply" => &["apply"],
        "keys create" => &["key-created"],
        "keys ls" => &["key-list"],
        "keys revoke" => &["message"],
        _ => return None,
    })
}

/// Every leaf subcommand, as words (`roles ls`).
fn leaves(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
    for sub in cmd.get_subcommands() {
        let name = if prefix.is_empty() {
            sub.get_name().to_string()
        } else {
            format!("{prefix} {}", sub.get_name())
        };
        if sub.get_subcommands().next().is_some() {
            leaves(sub, &name, out);
        } else if name != "help" && !name.ends_with(" help") {
            out.push(name);
        }
    }
}

fn validator(kind: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/schemas")
        .join(format!("{kind}.schema.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{kind}: not a schema: {e}"))
}

/// Validates `v` against the schema `kind`.
fn valid(kind: &str, what: &str, v: &Value) {
    let errors: Vec<String> = validator(kind)
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: output does not match docs/schemas/{kind}.schema.json:\n{}\n{v:#}",
        errors.join("\n")
    );
}

/// The checks made: (command words, schema) pairs.
struct Seen(BTreeSet<(String, String)>);

impl Seen {
    /// Runs `args` with `-o json`, expecting `code`, and validates stdout against `kind`.
    fn out(&mut self, e: &Env, command: &str, kind: &str, args: &[&str], code: i32) -> Value {
        let v = e.json_exit(args, code);
        valid(kind, &format!("{args:?}"), &v);
        self.0.insert((command.to_string(), kind.to_string()));
        v
    }

    /// Runs `args` with `-o json`, expecting it to fail with `code`: stdout empty, stderr
    /// one JSON error document.
    fn err(&mut self, e: &Env, args: &[&str], code: i32, want: &str) -> Value {
        let mut a = vec!["-o", "json"];
        a.extend_from_slice(args);
        let o = e.run(&a);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {o:?}");
        assert!(o.stdout.is_empty(), "{args:?}: stdout {o:?}");
        let text = String::from_utf8_lossy(&o.stderr);
        let v: Value = serde_json::from_str(text.trim())
            .unwrap_or_else(|err| panic!("{args:?}: stderr not JSON ({err}): {text}"));
        valid("error", &format!("{args:?}"), &v);
        assert_eq!(v["error"]["code"], want, "{args:?}: {v}");
        v
    }
}

fn write(e: &Env, name: &str, text: &str) -> String {
    let p = e.dir.path().join(name);
    std::fs::write(&p, text).expect("write");
    p.to_str().expect("utf-8").to_string()
}

#[test]
fn every_command_has_a_schema_or_is_exempt_and_every_schema_file_exists() {
    let mut all = Vec::new();
    leaves(&Cli::command(), "", &mut all);
    assert!(all.len() > 40, "{all:?}");
    let missing: Vec<&String> = all
        .iter()
        .filter(|c| schemas_of(c).is_none() && !EXEMPT.contains(&c.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "commands without a JSON schema (add one to docs/schemas/ and schemas_of): {missing:?}"
    );
    for c in &all {
        for kind in schemas_of(c).unwrap_or(&[]) {
            let _ = validator(kind);
        }
    }
    let _ = validator("error");
}

#[test]
fn every_command_prints_json_its_schema_accepts() {
    let e = Env::init();
    let mut seen = Seen(BTreeSet::new());
    let s = &mut seen;
    // Seed: a role with a permission, a user holding it (for a while), a team, a grant, a key.
    s.out(&e, "status", "status", &["status"], 0);
    s.out(&e, "catalogs", "catalog-list", &["catalogs"], 0);
    s.out(&e, "catalogs", "catalog", &["catalogs", "mage"], 0);
    s.out(&e, "defaults ls", "preset-list", &["defaults", "ls"], 0);
    s.out(
        &e,
        "defaults apply",
        "import-report",
        &["defaults", "apply", "okdata", "--dry-run"],
        0,
    );
    s.out(
        &e,
        "roles create",
        "role",
        &["roles", "create", "Editor", "--description", "edits"],
        0,
    );
    s.out(
        &e,
        "roles update",
        "role",
        &["roles", "update", "Editor", "--description", "d"],
        0,
    );
    s.out(
        &e,
        "users create",
        "user",
        &["users", "create", "alice", "--email", "a@x.io"],
        0,
    );
    s.out(&e, "users create", "user", &["users", "create", "bob"], 0);
    s.out(
        &e,
        "users update",
        "user",
        &["users", "update", "bob", "--name", "Bob"],
        0,
    );
    s.out(
        &e,
        "users update",
        "dry-run",
        &["users", "update", "bob", "--owner", "--dry-run"],
        0,
    );
    s.out(
        &e,
        "teams create",
        "team",
        &["teams", "create", "ops", "--default-role", "Editor"],
        0,
    );
    s.out(
        &e,
        "teams update",
        "team",
        &["teams", "update", "ops", "--name", "Ops"],
        0,
    );
    let p = s.out(
        &e,
        "permissions create",
        "permission",
        &[
            "permissions",
            "create",
            "okdata:dataset:ds1",
            "--grant",
            "read,update",
        ],
        0,
    );
    let pid = p["id"].as_str().expect("id").to_string();
    s.out(
        &e,
        "permissions update",
        "permission",
        &["permissions", "update", &pid, "--description", "ds"],
        0,
    );
    s.out(
        &e,
        "permissions update",
        "dry-run",
        &[
            "permissions",
            "update",
            &pid,
            "--grant",
            "read",
            "--dry-run",
        ],
        0,
    );
    s.out(
        &e,
        "roles add-permission",
        "dry-run",
        &["roles", "add-permission", "Editor", &pid, "--dry-run"],
        0,
    );
    s.out(
        &e,
        "roles add-permission",
        "message",
        &["roles", "add-permission", "Editor", &pid],
        0,
    );
    s.out(
        &e,
        "roles assign",
        "dry-run",
        &["roles", "assign", "Editor", "alice", "--dry-run"],
        0,
    );
    s.out(
        &e,
        "roles assign-team",
        "dry-run",
        &["roles", "assign-team", "Editor", "ops", "--dry-run"],
        0,
    );
    s.out(
        &e,
        "teams add-member",
        "dry-run",
        &["teams", "add-member", "ops", "bob", "--dry-run"],
        0,
    );
    s.out(
        &e,
        "roles assign",
        "message",
        &["roles", "assign", "Editor", "alice", "--for", "8h"],
        0,
    );
    s.out(
        &e,
        "roles assign-team",
        "message",
        &["roles", "assign-team", "Editor", "ops"],
        0,
    );
    s.out(
        &e,
        "teams add-member",
        "message",
        &["teams", "add-member", "ops", "bob"],
        0,
    );
    s.out(
        &e,
        "permissions add",
        "message",
        &[
            "permissions",
            "add",
            "okdata:dataset:ds1",
            "bob",
            "okdata:dataset:read",
        ],
        0,
    );
    s.out(
        &e,
        "permissions add",
        "message",
        &[
            "permissions",
            "add",
            "okdata:dataset:ds1",
            "ops",
            "--team",
            "--for",
            "2h",
        ],
        0,
    );
    let k = s.out(
        &e,
        "keys create",
        "key-created",
        &["keys", "create", "alice"],
        0,
    );
    // Reads.
    let roles = s.out(&e, "roles ls", "role-list", &["roles", "ls"], 0);
    assert_eq!(roles[0]["permission_count"], 1, "{roles}");
    s.out(
        &e,
        "roles show",
        "role-detail",
        &["roles", "show", "Editor"],
        0,
    );
    s.out(&e, "users ls", "user-list", &["users", "ls"], 0);
    s.out(
        &e,
        "users show",
        "user-detail",
        &["users", "show", "alice"],
        0,
    );
    s.out(
        &e,
        "users show",
        "user-detail",
        &["users", "show", "bob"],
        0,
    );
    s.out(&e, "teams ls", "team-list", &["teams", "ls"], 0);
    s.out(
        &e,
        "teams show",
        "team-detail",
        &["teams", "show", "ops"],
        0,
    );
    s.out(
        &e,
        "permissions ls",
        "permission-list",
        &["permissions", "ls"],
        0,
    );
    s.out(
        &e,
        "permissions ls",
        "resource-grant-list",
        &["permissions", "ls", "okdata:dataset:ds1"],
        0,
    );
    s.out(
        &e,
        "permissions ls",
        "mine-list",
        &["permissions", "ls", "--mine"],
        0,
    );
    s.out(
        &e,
        "permissions show",
        "permission-detail",
        &["permissions", "show", &pid],
        0,
    );
    s.out(
        &e,
        "check",
        "check",
        &["check", "alice", "read", "okdata:dataset:ds1", "--explain"],
        0,
    );
    s.out(
        &e,
        "check",
        "check",
        &["check", "bob", "admin", "okdata:dataset:ds2"],
        1,
    );
    s.out(
        &e,
        "check",
        "check-call",
        &["check", "alice", "DETAIL", "Pipeline/p1"],
        1,
    );
    s.out(
        &e,
        "who-can",
        "who-can",
        &["who-can", "read", "okdata:dataset:ds1"],
        0,
    );
    s.out(&e, "what-can", "what-can", &["what-can", "alice"], 0);
    s.out(&e, "what-can", "what-can", &["what-can", "root"], 0);
    s.out(&e, "expire ls", "expire-list", &["expire", "ls"], 0);
    s.out(
        &e,
        "expire user-role",
        "message",
        &["expire", "user-role", "alice", "Editor", "--for", "9h"],
        0,
    );
    s.out(
        &e,
        "expire team-role",
        "message",
        &["expire", "team-role", "ops", "Editor", "--for", "9h"],
        0,
    );
    s.out(
        &e,
        "expire member",
        "message",
        &["expire", "member", "ops", "bob", "--never"],
        0,
    );
    let bob = e.json(&["users", "show", "bob"]);
    let granted = bob["direct_grants"][0]["id"]
        .as_str()
        .expect("bob's grant")
        .to_string();
    s.out(
        &e,
        "expire grant",
        "message",
        &["expire", "grant", "user", "bob", &granted, "--for", "1h"],
        0,
    );
    s.out(&e, "prune-expired", "pruned", &["prune-expired"], 0);
    s.out(&e, "audit", "audit-list", &["audit", "--limit", "50"], 0);
    s.out(&e, "keys ls", "key-list", &["keys", "ls"], 0);
    let kid = k["id"].as_str().expect("id").to_string();
    s.out(&e, "keys revoke", "message", &["keys", "revoke", &kid], 0);
    // Documents.
    let doc = e.ok(&["-o", "json", "export"]);
    let docv: Value = serde_json::from_str(&doc).expect("-o json export is JSON");
    valid("export", "export", &docv);
    s.0.insert(("export".into(), "export".into()));
    let file = write(&e, "policy.json", &doc);
    s.out(&e, "import", "import-report", &["import", &file], 0);
    let more = write(&e, "more.toml", "[[roles]]\nname = \"Viewer\"\n");
    s.out(&e, "plan", "plan", &["plan", &more], 10);
    s.out(&e, "apply", "apply", &["apply", &more, "--yes"], 0);
    let t = write(
        &e,
        "t.txt",
        "alice may read okdata:dataset:ds1\nbob may not admin okdata:dataset:ds2\n",
    );
    s.out(&e, "test", "test-report", &["test", &t], 0);
    // Writes that remove, and their dry runs.
    s.out(
        &e,
        "roles unassign",
        "dry-run",
        &["roles", "unassign", "Editor", "alice", "--dry-run"],
        0,
    );
    s.out(
        &e,
        "roles unassign",
        "message",
        &["roles", "unassign", "Editor", "alice"],
        0,
    );
    s.out(
        &e,
        "roles unassign-team",
        "dry-run",
        &["roles", "unassign-team", "Editor", "ops", "--dry-run"],
        0,
    );
    s.out(
        &e,
        "roles rm-permission",
        "dry-run",
        &["roles", "rm-permission", "Editor", &pid, "--dry-run"],
        0,
    );
    s.out(
        &e,
        "teams rm-member",
        "dry-run",
        &["teams", "rm-member", "ops", "bob", "--dry-run"],
        0,
    );
    s.out(
        &e,
        "teams rm",
        "dry-run",
        &["teams", "rm", "ops", "--force", "--dry-run"],
        0,
    );
    s.out(
        &e,
        "roles rm",
        "dry-run",
        &["roles", "rm", "Editor", "--force", "--dry-run"],
        0,
    );
    s.out(
        &e,
        "roles unassign-team",
        "message",
        &["roles", "unassign-team", "Editor", "ops"],
        0,
    );
    s.out(
        &e,
        "roles rm-permission",
        "message",
        &["roles", "rm-permission", "Editor", &pid],
        0,
    );
    s.out(
        &e,
        "teams rm-member",
        "message",
        &["teams", "rm-member", "ops", "bob"],
        0,
    );
    s.out(
        &e,
        "permissions rm",
        "message",
        &[
            "permissions",
            "rm",
            "okdata:dataset:ds1",
            "bob",
            "okdata:dataset:read",
        ],
        0,
    );
    s.out(
        &e,
        "permissions rm",
        "dry-run",
        &["permissions", "rm", &pid, "--force", "--dry-run"],
        0,
    );
    s.out(
        &e,
        "permissions rm",
        "message",
        &["permissions", "rm", &pid, "--force"],
        0,
    );
    s.out(
        &e,
        "teams rm",
        "message",
        &["teams", "rm", "ops", "--force"],
        0,
    );
    s.out(
        &e,
        "users rm",
        "dry-run",
        &["users", "rm", "bob", "--force", "--dry-run"],
        0,
    );
    s.out(
        &e,
        "users rm",
        "message",
        &["users", "rm", "bob", "--force"],
        0,
    );
    s.out(
        &e,
        "roles rm",
        "message",
        &["roles", "rm", "Editor", "--force"],
        0,
    );
    s.out(&e, "init", "init", &["init"], 0);
    // Errors: typed codes, same exit codes as the text output.
    let v = s.err(&e, &["roles", "show", "Nope"], 3, "not_found");
    assert!(v["error"]["field"].is_null(), "{v}");
    let v = s.err(&e, &["audit", "--since", "yesterday-ish"], 2, "invalid");
    assert_eq!(v["error"]["field"], "--since", "{v}");
    s.err(&e, &["roles", "create", "Viewer"], 4, "conflict");
    s.err(&e, &["roles", "frobnicate"], 2, "usage");
    s.err(&e, &["--read-only", "roles", "create", "X"], 5, "forbidden");
    // A malformed assertion file: one `invalid` document naming every bad line, no text.
    let bad = write(
        &e,
        "bad.gh",
        "alice may\nbob may READ Pipeline\n\"x may LIST Role\n",
    );
    let v = s.err(&e, &["test", &bad], 2, "invalid");
    assert_eq!(v["error"]["field"], "test file", "{v}");
    let msg = v["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("2 malformed lines"), "{v}");
    assert!(
        msg.contains("bad.gh:1:") && msg.contains("bad.gh:3:"),
        "{v}"
    );
    // A store that is not there (only `init` creates one).
    let v = s.err(&Env::new(), &["roles", "ls"], 3, "no_store");
    assert!(v["error"]["field"].is_null(), "{v}");
    // Every command mapped was run with each of its schemas at least once.
    let mut all = Vec::new();
    leaves(&Cli::command(), "", &mut all);
    let mut unrun = Vec::new();
    for c in &all {
        for kind in schemas_of(c).unwrap_or(&[]) {
            if !seen.0.contains(&(c.clone(), kind.to_string())) {
                unrun.push(format!("{c} → {kind}"));
            }
        }
    }
    assert!(unrun.is_empty(), "mapped but never run: {unrun:?}");
}
