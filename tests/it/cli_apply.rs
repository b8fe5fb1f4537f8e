//! `gatehouse apply FILE` through the real binary: export → edit → plan → apply → export
//! round-trips on an SQLite store; no `--yes` without a terminal is refused; the guard refuses
//! a delegated admin's escalation and the removal of the last owner, writing nothing. The
//! transaction and the revision check on both stores are in `apply_tx`.

use crate::cli_support::{BIN, Env};
use crate::support::{self, bounded};
use gatehouse::server::ServerConfig;
use std::process::{Command, Stdio};

use crate::cli_plan::{DOC, s, write};

/// The export without user `name` and their memberships.
fn without_user(export: &str, name: &str) -> String {
    let v: toml::Value = toml::from_str(export).unwrap();
    let mut t = v.as_table().unwrap().clone();
    for (list, field) in [("users", "username"), ("members", "user")] {
        let kept: Vec<toml::Value> = t[list]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u[field].as_str() != Some(name))
            .cloned()
            .collect();
        t.insert(list.into(), toml::Value::Array(kept));
    }
    toml::to_string(&t).unwrap()
}

#[test]
fn export_edit_plan_apply_export_round_trips() {
    let e = Env::init();
    let doc = write(e.dir.path(), "p.toml", DOC);
    // A new document: applied, it plans nothing.
    let out = e.ok(&["apply", "--yes", s(&doc)]);
    assert!(out.contains("+ user alice\n"), "{out}");
    assert!(out.contains("Applied 8 change(s) (revision "), "{out}");
    e.code(&["plan", s(&doc)], 0);
    // Edit the export: fields change, bob goes (with --prune).
    let edited = without_user(&e.export(), "bob")
        .replace("alice@example.com", "alice@new.example")
        .replace("reads users", "reads nothing")
        .replace("grants = [\"read\"]", "grants = [\"write\"]");
    let doc = write(e.dir.path(), "q.toml", &edited);
    let planned = e.code(&["plan", "--prune", s(&doc)], 10);
    let applied = e.ok(&["apply", "--prune", "-y", s(&doc)]);
    assert!(
        applied.starts_with(&planned),
        "apply showed another plan:\n{applied}"
    );
    assert!(applied.contains("- user bob"), "{applied}");
    let parse = |t: &str| toml::from_str::<toml::Value>(t).unwrap();
    assert_eq!(
        parse(&e.export()),
        parse(&edited),
        "the export is not the edited document"
    );
    e.code(&["plan", "--prune", s(&doc)], 0);
    let out = e.ok(&["apply", "--prune", "--yes", s(&doc)]);
    assert_eq!(out, "No changes: the store matches the document.\n");
    let v = e.json(&["apply", "--yes", s(&doc)]);
    assert_eq!(v["applied_count"], 0, "{v}");
}

#[test]
fn without_yes_and_a_terminal_nothing_is_written() {
    let e = Env::init();
    let doc = write(e.dir.path(), "p.toml", DOC);
    let line = e.refused(&["apply", s(&doc)], 2);
    assert!(line.contains("--yes"), "{line}");
    // With -o json the refusal is a JSON error on stderr, the same exit code.
    let before = e.export();
    let o = e.run(&["-o", "json", "apply", s(&doc)]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err: serde_json::Value = serde_json::from_slice(&o.stderr).expect("a JSON error");
    assert_eq!(err["error"]["code"], "invalid", "{err}");
    assert_eq!(err["error"]["field"], "--yes", "{err}");
    assert_eq!(before, e.export(), "nothing written");
    let v = e.json(&["apply", "--yes", s(&doc)]);
    assert_eq!(v["applied_count"], 8, "{v}");
    assert_eq!(v["plan"]["summary"]["create_count"], 8, "{v}");
}

/// `dele` administers users, roles and their links (not `escalate`); role `everything`
/// (made by the owner) grants all of gatehouse.
const DELEGATE: &str = r#"
[[users]]
username = "dele"
roles = ["delegate"]

[[roles]]
name = "delegate"
permissions = ["u", "r", "p", "rp", "ur"]

[[roles]]
name = "everything"
permissions = ["all"]

[[permissions]]
key = "u"
catalog = "gatehouse"
entity = "User"
grants = ["read", "write"]

[[permissions]]
key = "r"
catalog = "gatehouse"
entity = "Role"
grants = ["read", "write"]

[[permissions]]
key = "p"
catalog = "gatehouse"
entity = "Permission"
grants = ["read", "write"]

[[permissions]]
key = "rp"
catalog = "gatehouse"
entity = "RolePermission"
grants = ["read", "write"]

[[permissions]]
key = "ur"
catalog = "gatehouse"
entity = "UserRole"
grants = ["read", "write"]

[[permissions]]
key = "all"
catalog = "gatehouse"
entity = "ALL"
grants = ["read", "write"]
"#;

#[test]
fn the_guard_refuses_escalation_and_the_last_owner_and_nothing_is_written() {
    let e = Env::init();
    let setup = write(e.dir.path(), "d.toml", DELEGATE);
    e.ok(&["import", s(&setup)]);
    // dele gives himself `everything` along with a harmless new user: refused whole.
    let climb = write(
        e.dir.path(),
        "climb.toml",
        "[[users]]\nusername = \"carol\"\n\n[[users]]\nusername = \"dele\"\nroles = [\"delegate\", \"everything\"]\n",
    );
    let line = e.refused(&["--as", "dele", "apply", "--yes", s(&climb)], 5);
    assert!(line.contains("Insufficient permissions"), "{line}");
    // Nor to someone else.
    let give = write(
        e.dir.path(),
        "give.toml",
        "[[users]]\nusername = \"carol\"\nroles = [\"everything\"]\n",
    );
    e.refused(&["--as", "dele", "apply", "--yes", s(&give)], 5);
    // Pruning the only owner away: the owner rule refuses it, whoever applies.
    let export = e.export();
    let no_root = write(e.dir.path(), "no-root.toml", &without_user(&export, "root"));
    e.code(&["plan", "--prune", s(&no_root)], 10);
    let line = e.refused(&["apply", "--prune", "--yes", s(&no_root)], 4);
    assert!(line.contains("last enabled owner"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_against_a_server() {
    bounded(120, async {
        let f = support::start(ServerConfig::default()).await;
        let dir = f.dir.path().to_path_buf();
        let (url, key) = (f.url.clone(), f.admin_key.clone());
        let doc = write(f.dir.path(), "p.toml", DOC);
        let doc = s(&doc).to_string();
        let run = move |args: &[&str]| {
            let o = Command::new(BIN)
                .env_remove("GATEHOUSE_DB")
                .env_remove("GATEHOUSE_DATABASE_URL")
                .env("HOME", &dir)
                .env("XDG_DATA_HOME", dir.join("xdg"))
                .env("NO_COLOR", "1")
                .env("GATEHOUSE_API_KEY", &key)
                .args(["--remote", &url])
                .args(args)
                .stdin(Stdio::null())
                .output()
                .unwrap();
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stdout).into_owned(),
            )
        };
        let (applied, planned) = tokio::task::spawn_blocking(move || {
            (run(&["apply", "--yes", &doc]), run(&["plan", &doc]))
        })
        .await
        .unwrap();
        assert_eq!(applied.0, Some(0), "{applied:?}");
        assert!(applied.1.contains("Applied 8 change(s)"), "{}", applied.1);
        assert_eq!(planned.0, Some(0), "{}", planned.1);
        assert!(f.service.snapshot().state.user_by_name("alice").is_some());
    })
    .await;
}

#[test]
#[ignore = "needs PostgreSQL"]
fn apply_on_a_postgres_store() {
    let Some(guard) = support::pg::fresh() else {
        return;
    };
    let db = guard.db();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let run = |args: &[&str]| {
        let o = Env::new()
            .cmd()
            .env("XDG_DATA_HOME", h.join("xdg"))
            .env("HOME", h.join("home"))
            .arg("--database-url")
            .arg(&db)
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    assert_eq!(run(&["init", "--admin", "root"]).0, Some(0));
    let doc = write(h, "p.toml", DOC);
    let (c, out) = run(&["apply", "--yes", s(&doc)]);
    assert_eq!(c, Some(0), "{out}");
    assert!(out.contains("Applied 8 change(s)"), "{out}");
    let (_, export) = run(&["export"]);
    let edited = without_user(&export, "bob").replace("reads users", "reads nothing");
    let q = write(h, "q.toml", &edited);
    assert_eq!(run(&["apply", "--prune", "--yes", s(&q)]).0, Some(0));
    let (_, after) = run(&["export"]);
    let parse = |t: &str| toml::from_str::<toml::Value>(t).unwrap();
    assert_eq!(parse(&after), parse(&edited));
    // The last owner pruned away: refused, nothing written.
    let no_root = write(h, "r.toml", &without_user(&after, "root"));
    assert_eq!(run(&["apply", "--prune", "--yes", s(&no_root)]).0, Some(4));
    assert_eq!(run(&["export"]).1, after);
}

/// A document's ends through apply, export and a plan that moves them (the SQLite store
/// keeps them: `Change::Expire`).
#[test]
fn ends_are_applied_exported_and_moved_by_a_plan() {
    let e = Env::init();
    let doc = write(e.dir.path(), "p.toml", &crate::cli_plan::doc_with_ends());
    let out = e.ok(&["apply", "--yes", s(&doc)]);
    // 8 items; the two ends are two more changes.
    assert!(out.contains("Applied 10 change(s) (revision "), "{out}");
    e.code(&["plan", s(&doc)], 0);
    let export = e.export();
    assert!(
        export.contains("readers = \"2999-12-31T18:00:00Z\""),
        "{export}"
    );
    assert!(
        export.contains("expires_at = \"2999-01-01T00:00:00Z\""),
        "{export}"
    );
    // The export edited: alice's role for good, bob's membership a day later.
    let v: toml::Value = toml::from_str(&export).unwrap();
    let mut t = v.as_table().unwrap().clone();
    for u in t.get_mut("users").unwrap().as_array_mut().unwrap() {
        u.as_table_mut().unwrap().remove("role_ends");
    }
    for m in t.get_mut("members").unwrap().as_array_mut().unwrap() {
        if m["user"].as_str() == Some("bob") {
            m.as_table_mut()
                .unwrap()
                .insert("expires_at".into(), "2999-01-02T00:00:00Z".into());
        }
    }
    let edited = write(e.dir.path(), "q.toml", &toml::to_string(&t).unwrap());
    let planned = e.code(&["plan", s(&edited)], 10);
    for want in [
        "~ user_role alice → readers\n    ends: 2999-12-31 18:00 UTC → never\n",
        "~ team_member ops/bob\n    ends: 2999-01-01 00:00 UTC → 2999-01-02 00:00 UTC\n",
        "Plan: 0 to create, 2 to change, 0 to delete.\n",
    ] {
        assert!(planned.contains(want), "missing {want:?} in:\n{planned}");
    }
    e.ok(&["apply", "-y", s(&edited)]);
    e.code(&["plan", "--prune", s(&edited)], 0);
    assert!(!e.export().contains("2999-12-31"), "alice's end is gone");
}
