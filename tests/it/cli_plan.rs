//! `gatehouse plan FILE`: the object diff and its access effect, through the real binary, on
//! an SQLite store, a PostgreSQL database (ignored: "needs PostgreSQL") and a server
//! (`--remote`). Exit 0 nothing to do, 10 changes planned; nothing is ever written.

use crate::cli_support::{BIN, Env};
use crate::support::{self, bounded, pg};

use gatehouse::server::ServerConfig;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A document: alice reads users through role `readers`, bob is in team ops.
pub(crate) const DOC: &str = r#"
[[users]]
username = "alice"
email = "alice@example.com"
roles = ["readers"]

[[users]]
username = "bob"

[[teams]]
key = "ops"

[[roles]]
name = "readers"
description = "reads users"
permissions = ["read-users"]

[[permissions]]
key = "read-users"
catalog = "gatehouse"
entity = "User"
grants = ["read"]

[[members]]
team = "ops"
user = "bob"
"#;

pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

pub(crate) fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `gatehouse --db … ARGS` with `input` on stdin.
fn with_stdin(e: &Env, args: &[&str], input: &str) -> Output {
    let mut c = e.cmd();
    c.arg("--db").arg(&e.db).args(args);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_new_document_is_planned_with_its_access_effect_and_nothing_written() {
    let e = Env::init();
    let doc = write(e.dir.path(), "p.toml", DOC);
    let before = e.export();
    let out = e.code(&["plan", s(&doc)], 10);
    let expected_head = [
        "+ permission read-users (gatehouse:User)",
        "    grants: [read]",
        "+ role readers",
        "+ user alice",
        "+ user bob",
        "+ team ops",
        "+ role_permission readers → read-users (gatehouse:User)",
        "+ user_role alice → readers",
        "+ team_member ops/bob",
        "",
        "Access effect:",
        "  1 user(s) gain access, 0 lose access",
        "    alice (new): + read on gatehouse:User",
    ];
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(&lines[..expected_head.len()], expected_head, "{out}");
    assert_eq!(
        lines.last().copied(),
        Some("Plan: 8 to create, 0 to change, 0 to delete."),
        "{out}"
    );
    assert_eq!(before, e.export(), "plan wrote to the store");
    // Imported, the same document plans nothing.
    e.ok(&["import", s(&doc)]);
    let out = e.code(&["plan", s(&doc)], 0);
    assert_eq!(out, "No changes: the store matches the document.\n");
}

#[test]
fn an_export_plans_nothing_whatever_its_format_and_from_stdin() {
    let e = Env::init();
    e.ok(&["defaults", "apply", "mage"]);
    e.ok(&["users", "create", "carol"]);
    let toml = e.export();
    let json = e.ok(&["export", "--format", "json"]);
    let t = write(e.dir.path(), "e.toml", &toml);
    let j = write(e.dir.path(), "e.json", &json);
    e.code(&["plan", s(&t)], 0);
    e.code(&["plan", s(&j)], 0);
    for text in [&toml, &json] {
        let o = with_stdin(&e, &["plan", "-"], text);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // From stdin, a change is planned (exit 10) in either format.
    let changed = json.replace("\"carol\"", "\"carla\"");
    let o = with_stdin(&e, &["-o", "json", "plan", "-"], &changed);
    assert_eq!(o.status.code(), Some(10));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["create_count"], 1, "{v}");
    assert_eq!(v["changes"][0]["op"], "create");
    assert_eq!(v["changes"][0]["kind"], "user");
    assert_eq!(v["changes"][0]["name"], "carla");
}

#[test]
fn updates_show_each_field_old_to_new_and_who_loses_what() {
    let e = Env::init();
    let doc = write(e.dir.path(), "p.toml", DOC);
    e.ok(&["import", s(&doc)]);
    // Edited as an export: permissions keyed by their ids, so a new grant is an update.
    let edited = e
        .export()
        .replace("alice@example.com", "alice@new.example")
        .replace("reads users", "reads nothing")
        .replace("grants = [\"read\"]", "grants = [\"write\"]");
    let doc = write(e.dir.path(), "q.toml", &edited);
    let out = e.code(&["plan", s(&doc)], 10);
    for want in [
        "~ permission gatehouse:User (",
        "\n    grants: [read] → [write]\n",
        "~ role readers\n    description: \"reads users\" → \"reads nothing\"\n",
        "~ user alice\n    email: \"alice@example.com\" → \"alice@new.example\"\n",
        "  1 user(s) gain access, 1 lose access\n",
        "    alice: + write on gatehouse:User; - read on gatehouse:User\n",
        "Plan: 0 to create, 3 to change, 0 to delete.\n",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    let v = e.json_exit(&["plan", s(&doc)], 10);
    assert_eq!(v["summary"]["update_count"], 3);
    let alice = &v["effect"]["users"][0];
    assert_eq!(alice["user"]["username"], "alice");
    assert_eq!(alice["gains"][0]["action"], "write");
    assert_eq!(alice["losses"][0]["action"], "read");
    let user = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "user")
        .unwrap();
    assert_eq!(user["fields"][0]["field"], "email");
}

#[test]
fn prune_deletes_what_the_document_leaves_out() {
    let e = Env::init();
    let doc = write(e.dir.path(), "p.toml", DOC);
    e.ok(&["import", s(&doc)]);
    let mut export = e.export();
    // The document without bob (and his membership): left alone without --prune.
    let v: toml::Value = toml::from_str(&export).unwrap();
    let mut t = v.as_table().unwrap().clone();
    let users: Vec<toml::Value> = t["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["username"].as_str() != Some("bob"))
        .cloned()
        .collect();
    t.insert("users".into(), toml::Value::Array(users));
    let members: Vec<toml::Value> = t["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["user"].as_str() != Some("bob"))
        .cloned()
        .collect();
    t.insert("members".into(), toml::Value::Array(members));
    export = toml::to_string(&t).unwrap();
    let doc = write(e.dir.path(), "keep.toml", &export);
    e.code(&["plan", s(&doc)], 0);
    let out = e.code(&["plan", "--prune", s(&doc)], 10);
    assert!(
        out.starts_with("- user bob (and 1 link(s) or key(s) of it)\n"),
        "{out}"
    );
    // bob held nothing: deleting him moves no one's access.
    assert!(
        out.contains("Access effect:\n  no one's access changes\n"),
        "{out}"
    );
    assert!(
        out.ends_with("Plan: 0 to create, 0 to change, 1 to delete.\n"),
        "{out}"
    );
}

#[test]
fn bad_documents_are_refused_with_the_entry_named() {
    let e = Env::init();
    let bad = write(
        e.dir.path(),
        "bad.toml",
        &DOC.replace("grants = [\"read\"]", "grants = [\"fly\"]"),
    );
    let line = e.refused(&["plan", s(&bad)], 2);
    assert!(line.contains("permissions[0].grants"), "{line}");
    let unknown = write(
        e.dir.path(),
        "unknown.toml",
        "[[users]]\nusername = \"dan\"\nroles = [\"nobody\"]\n",
    );
    let line = e.fails(&["plan", s(&unknown)], 2);
    assert!(
        line.contains("users[0].roles") && line.contains("nobody"),
        "{line}"
    );
    let field = write(
        e.dir.path(),
        "field.toml",
        "[[users]]\nusername = \"dan\"\nshoe = 1\n",
    );
    e.fails(&["plan", s(&field)], 2);
    e.fails(&["plan", s(&e.dir.path().join("missing.toml"))], 3);
}

fn pg_run(home: &Path, db: &str, args: &[&str]) -> Output {
    Env::new()
        .cmd()
        .env("XDG_DATA_HOME", home.join("xdg"))
        .env("HOME", home.join("home"))
        .arg("--database-url")
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

#[test]
#[ignore = "needs PostgreSQL"]
fn plan_on_a_postgres_store() {
    let Some(guard) = pg::fresh() else {
        return;
    };
    let db = guard.db();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let doc = write(h, "p.toml", DOC);
    let code = |args: &[&str]| {
        let o = pg_run(h, &db, args);
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    assert_eq!(code(&["init", "--admin", "root"]).0, Some(0));
    let (c, out) = code(&["plan", s(&doc)]);
    assert_eq!(c, Some(10), "{out}");
    assert!(
        out.contains("alice (new): + read on gatehouse:User"),
        "{out}"
    );
    assert_eq!(code(&["import", s(&doc)]).0, Some(0));
    assert_eq!(code(&["plan", s(&doc)]).0, Some(0));
    let (_, export) = code(&["export"]);
    let e = write(h, "e.toml", &export);
    assert_eq!(code(&["plan", "--prune", s(&e)]).0, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_against_a_server() {
    bounded(120, async {
        let f = support::start(ServerConfig::default()).await;
        let dir = f.dir.path().to_path_buf();
        let url = f.url.clone();
        let key = f.admin_key.clone();
        let run = move |args: Vec<String>| {
            let mut c = Command::new(BIN);
            c.env_remove("GATEHOUSE_DB")
                .env_remove("GATEHOUSE_DATABASE_URL")
                .env("HOME", &dir)
                .env("XDG_DATA_HOME", dir.join("xdg"))
                .env("NO_COLOR", "1")
                .env("GATEHOUSE_API_KEY", &key)
                .args(["--remote", &url])
                .args(args)
                .stdin(Stdio::null());
            c.output().unwrap()
        };
        let export = {
            let run = run.clone();
            tokio::task::spawn_blocking(move || run(vec!["export".into()]))
                .await
                .unwrap()
        };
        assert_eq!(export.status.code(), Some(0));
        let e = write(
            f.dir.path(),
            "e.toml",
            &String::from_utf8_lossy(&export.stdout),
        );
        let d = write(f.dir.path(), "p.toml", DOC);
        let (e, d) = (s(&e).to_string(), s(&d).to_string());
        let (same, new) = tokio::task::spawn_blocking(move || {
            (
                run(vec!["plan".into(), "--prune".into(), e]),
                run(vec!["-o".into(), "json".into(), "plan".into(), d]),
            )
        })
        .await
        .unwrap();
        assert_eq!(
            same.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&same.stderr)
        );
        assert_eq!(new.status.code(), Some(10));
        let v: Value = serde_json::from_slice(&new.stdout).unwrap();
        assert_eq!(v["summary"]["create_count"], 8, "{v}");
        assert_eq!(v["effect"]["users"][0]["user"]["username"], "alice", "{v}");
    })
    .await;
}

/// [`DOC`] with ends: alice's role ends, and so does bob's membership.
pub(crate) fn doc_with_ends() -> String {
    DOC.replace(
        "roles = [\"readers\"]\n",
        "roles = [\"readers\"]\nrole_ends = { readers = \"2999-12-31T18:00:00Z\" }\n",
    )
    .replace(
        "user = \"bob\"\n",
        "user = \"bob\"\nexpires_at = 2999-01-01T00:00:00Z\n",
    )
}

/// Passes on this branch's base: a plan writes nothing, so the stores need not keep ends.
#[test]
fn new_relations_are_planned_with_their_ends_and_json_carries_them() {
    let e = Env::init();
    let doc = write(e.dir.path(), "p.toml", &doc_with_ends());
    let out = e.code(&["plan", s(&doc)], 10);
    for want in [
        "\n+ user_role alice → readers (ends 2999-12-31 18:00 UTC)\n",
        "\n+ team_member ops/bob (ends 2999-01-01 00:00 UTC)\n",
        "\nPlan: 8 to create, 0 to change, 0 to delete.\n",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    let v = e.json_exit(&["plan", s(&doc)], 10);
    let role = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "user_role")
        .unwrap();
    assert_eq!(role["ends"]["old"], Value::Null, "{role}");
    assert_eq!(role["ends"]["new"], "2999-12-31T18:00:00Z", "{role}");
    // An end already past: refused, naming the entry.
    let past = doc_with_ends().replace("2999-01-01T00:00:00Z", "2001-01-01T00:00:00Z");
    let doc = write(e.dir.path(), "past.toml", &past);
    let line = e.fails(&["plan", s(&doc)], 2);
    assert!(line.contains("members[0].expires_at"), "{line}");
}
