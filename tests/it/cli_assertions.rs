//! `gatehouse test FILE`: assertion files of expected decisions, through the real binary, on
//! an SQLite store, a PostgreSQL database (ignored: "needs PostgreSQL"), a server
//! (`--remote`), and a policy document with no store at all (`--policy`). Each line must get
//! the answer `gatehouse check` gives; failing lines are named with exit 1, malformed files
//! with their line and column and exit 2.

use crate::cli_support::Env;
use crate::support::{self, bounded, pg};

use gatehouse::server::ServerConfig;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Questions asked both with `check` and as assertions (check's arguments).
const QUESTIONS: &[&[&str]] = &[
    &["alice", "UPDATE", "Pipeline/abc"],
    &["alice", "LIST", "Pipeline"],
    &["alice", "LIST", "Pipeline", "--operation-only"],
    &["alice", "UPDATE", "Pipeline/abc", "--write", "name"],
    &["bob", "UPDATE", "Pipeline/abc"],
    &["bob", "DELETE", "mage:Secret"],
    &["root", "DELETE", "Secret"],
    &["alice", "read", "okdata:dataset:ds1"],
    &["bob", "read", "okdata:dataset:ds1"],
];

/// A store with Mage's default roles, alice an editor, bob nobody, and alice reading ds1.
fn mage_env() -> Env {
    let e = Env::init();
    e.ok(&["defaults", "apply", "mage"]);
    e.ok(&["users", "create", "alice"]);
    e.ok(&["users", "create", "bob"]);
    e.ok(&["roles", "assign", "Editor default permissions", "alice"]);
    e.ok(&[
        "permissions",
        "add",
        "okdata:dataset:ds1",
        "alice",
        "okdata:dataset:read",
    ]);
    e
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Output with `dir/` dropped from the file names it shows.
fn local(out: &str, dir: &Path) -> String {
    out.replace(&format!("{}/", s(dir)), "")
}

/// The assertion line for a question, expecting `allowed`.
fn line(q: &[&str], allowed: bool) -> String {
    let may = if allowed { "may" } else { "may not" };
    let rest = q[3..].join(" ");
    format!("{} {may} {} {} {rest}", q[0], q[1], q[2])
}

/// What `check` answers to each question (exit 0 allow, 1 deny).
fn check_answers(e: &Env) -> Vec<bool> {
    QUESTIONS
        .iter()
        .map(|q| {
            let mut a = vec!["check"];
            a.extend_from_slice(q);
            match e.run(&a).status.code() {
                Some(0) => true,
                Some(1) => false,
                other => panic!("check {q:?} exited {other:?}"),
            }
        })
        .collect()
}

#[test]
fn every_line_gets_checks_answer_on_a_store() {
    let e = mage_env();
    let answers = check_answers(&e);
    assert!(
        answers.contains(&true) && answers.contains(&false),
        "{answers:?}"
    );
    let dir = e.dir.path();
    let right: Vec<String> = QUESTIONS
        .iter()
        .zip(&answers)
        .map(|(q, &a)| line(q, a))
        .collect();
    let file = write(
        dir,
        "right.gh",
        &format!("# as check answers\n\n{}\n", right.join("\n")),
    );
    let before = e.export();
    let out = e.ok(&["test", s(&file)]);
    assert_eq!(out, format!("{} assertions, 0 failed\n", QUESTIONS.len()));
    assert_eq!(before, e.export(), "test wrote nothing");
    // -v lists each holding line, with check's decision.
    let out = e.ok(&["test", s(&file), "-v"]);
    for (i, &a) in answers.iter().enumerate() {
        let want = format!(
            "right.gh:{}: {} as expected",
            i + 3,
            if a { "ALLOW" } else { "DENY" }
        );
        assert!(out.contains(&want), "{want} in {out}");
    }
    // Every expectation flipped: every line fails, named by file and line.
    let wrong: Vec<String> = QUESTIONS
        .iter()
        .zip(&answers)
        .map(|(q, &a)| line(q, !a))
        .collect();
    let file = write(dir, "wrong.gh", &wrong.join("\n"));
    let out = e.code(&["test", s(&file)], 1);
    for (i, &a) in answers.iter().enumerate() {
        let (exp, got) = if a {
            ("DENY", "ALLOW")
        } else {
            ("ALLOW", "DENY")
        };
        let want = format!("wrong.gh:{}: expected {exp}, got {got} — ", i + 1);
        assert!(out.contains(&want), "{want} in {out}");
        assert!(out.contains(&format!("    {}", wrong[i].trim())), "{out}");
    }
    assert!(
        out.ends_with(&format!(
            "{n} assertions, {n} failed\n",
            n = QUESTIONS.len()
        )),
        "{out}"
    );
}

#[test]
fn failing_and_unknown_lines_are_named_and_exit_1() {
    let e = mage_env();
    let file = write(
        e.dir.path(),
        "policy.gh",
        "root may DELETE Secret\n\
         bob may UPDATE Pipeline/abc\n\
         zed may LIST Pipeline\n\
         alice may FROB Pipeline\n\
         alice may LIST Nope\n\
         root may CREATE Secret --payload name  # the owner\n\
         alice may read okdata:dataset:ds1 --payload x\n",
    );
    let out = local(&e.code(&["test", s(&file)], 1), e.dir.path());
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("policy.gh:"))
        .collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(
        lines[0].starts_with("policy.gh:2: expected ALLOW, got DENY — no permission grants it"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("policy.gh:3: expected ALLOW, got ERROR — user 'zed' not found"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("policy.gh:4: expected ALLOW, got ERROR — ")
            && lines[2].contains("unknown action 'FROB'"),
        "{out}"
    );
    assert!(
        lines[3].starts_with("policy.gh:5: expected ALLOW, got ERROR — ")
            && lines[3].contains("unknown entity 'Nope'"),
        "{out}"
    );
    assert!(
        lines[4].starts_with("policy.gh:7: expected ALLOW, got ERROR — ")
            && lines[4].contains("--payload"),
        "{out}"
    );
    assert!(out.ends_with("7 assertions, 5 failed\n"), "{out}");
    // An unknown user expected to be denied is still a failure, not a pass.
    let file = write(e.dir.path(), "nobody.gh", "zed may not LIST Pipeline\n");
    let out = e.code(&["test", s(&file)], 1);
    assert!(out.contains("expected DENY, got ERROR"), "{out}");
}

#[test]
fn malformed_files_exit_2_naming_line_and_column() {
    let e = mage_env();
    let dir = e.dir.path();
    let good = write(dir, "good.gh", "root may DELETE Secret\n");
    let bad = write(
        dir,
        "bad.gh",
        "root may DELETE Secret\n\
         alice can UPDATE Pipeline\n\
         # fine\n\
         alice may UPDATE\n\
         alice may UPDATE Pipeline --explain\n\
         \"alice may UPDATE Pipeline\n",
    );
    let o = e.run(&["test", s(&good), s(&bad)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        o.stdout.is_empty(),
        "nothing checked: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 5, "{err}");
    assert!(
        lines[0].starts_with(&format!("{}:2:7: expected 'may'", s(&bad))),
        "{err}"
    );
    assert!(
        lines[1].starts_with(&format!("{}:4:17: expected a target", s(&bad))),
        "{err}"
    );
    assert!(
        lines[2].starts_with(&format!("{}:5:27: ", s(&bad))) && lines[2].contains("--explain"),
        "{err}"
    );
    assert!(
        lines[3].starts_with(&format!("{}:6:1: this quote is never closed", s(&bad))),
        "{err}"
    );
    assert_eq!(lines[4], "error: 4 malformed lines; nothing was checked");
    // The files are read before any store is opened: a malformed one touches nothing.
    let nowhere = dir.join("no-such-dir");
    let o = e
        .cmd()
        .arg("--db")
        .arg(nowhere.join("store.db"))
        .args(["test", s(&bad)])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!nowhere.exists(), "the store was not opened");
    // A file with no assertion at all is a usage error too, as is a missing file (3).
    let empty = write(dir, "empty.gh", "# nothing yet\n\n");
    let msg = e.fails(&["test", s(&empty)], 2);
    assert!(msg.contains("no assertions"), "{msg}");
    let msg = e.fails(&["test", s(&dir.join("missing.gh"))], 3);
    assert!(
        msg.contains("test file") && msg.contains("missing.gh"),
        "{msg}"
    );
    // And the help says how the exit codes go.
    let help = e.ok(&["test", "--help"]);
    assert!(help.contains("2 a malformed file"), "{help}");
}

#[test]
fn json_lists_every_assertion_with_the_totals() {
    let e = mage_env();
    let file = write(
        e.dir.path(),
        "p.gh",
        "root may DELETE Secret\nbob may UPDATE Pipeline/abc\n\"b\\\"ob\" may not LIST Pipeline\n",
    );
    let v = e.json_exit(&["test", s(&file)], 1);
    assert_eq!(v["passed_count"], 1);
    assert_eq!(v["failed_count"], 2);
    let rows = v["assertions"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["line"], 1);
    assert_eq!(rows[0]["username"], "root");
    assert_eq!(rows[0]["action"], "DELETE");
    assert_eq!(rows[0]["target"], "Secret");
    assert_eq!(rows[0]["expected"], "ALLOW");
    assert_eq!(rows[0]["got"], "ALLOW");
    assert_eq!(rows[0]["passed"], true);
    assert!(rows[0]["file"].as_str().unwrap().ends_with("p.gh"));
    assert_eq!(rows[1]["got"], "DENY");
    assert_eq!(rows[1]["passed"], false);
    assert!(
        rows[1]["reason"]
            .as_str()
            .unwrap()
            .contains("no permission grants it")
    );
    assert_eq!(rows[2]["username"], "b\"ob");
    assert_eq!(rows[2]["got"], "ERROR");
}

#[test]
fn a_policy_document_is_checked_without_opening_any_store() {
    let e = mage_env();
    let dir = e.dir.path();
    let doc = write(dir, "policy.toml", &e.export());
    let json_doc = write(dir, "policy.json", &e.ok(&["export", "--format", "json"]));
    let file = write(
        dir,
        "p.gh",
        "alice may UPDATE Pipeline/abc\nbob may not UPDATE Pipeline/abc\nalice may read okdata:dataset:ds1\n",
    );
    let nowhere = dir.join("no-such-dir").join("store.db");
    let run = |doc: &Path| {
        e.cmd()
            .arg("--db")
            .arg(&nowhere)
            .args(["test", s(&file), "--policy", s(doc)])
            .output()
            .unwrap()
    };
    for d in [&doc, &json_doc] {
        let o = run(d);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "3 assertions, 0 failed\n"
        );
    }
    assert!(
        !dir.join("no-such-dir").exists(),
        "the selected store was not opened"
    );
    // The document as it would be after a change: bob gets the editor role there.
    let changed = e.export().replace(
        "username = \"bob\"",
        "username = \"bob\"\nroles = [\"Editor default permissions\"]",
    );
    let changed = write(dir, "changed.toml", &changed);
    let o = run(&changed);
    assert_eq!(o.status.code(), Some(1));
    let out = local(&String::from_utf8_lossy(&o.stdout), dir);
    assert!(
        out.starts_with("p.gh:2: expected DENY, got ALLOW — "),
        "{out}"
    );
    // The store itself did not change: bob is still denied there.
    e.code(&["check", "bob", "UPDATE", "Pipeline/abc"], 1);
    let o = run(&dir.join("missing.toml"));
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("policy document"));
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
fn assertions_on_a_postgres_store() {
    let Some(guard) = pg::fresh() else {
        return;
    };
    let db = guard.db();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let ok = |args: &[&str]| {
        let o = pg_run(h, &db, args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    ok(&["init", "--admin", "root"]);
    ok(&["users", "create", "alice"]);
    ok(&["users", "create", "bob"]);
    ok(&[
        "permissions",
        "add",
        "okdata:dataset:ds1",
        "alice",
        "okdata:dataset:read",
    ]);
    let file = write(
        h,
        "p.gh",
        "alice may read okdata:dataset:ds1\nbob may not read okdata:dataset:ds1\nroot may write okdata:dataset:ds1\n",
    );
    let o = pg_run(h, &db, &["test", s(&file)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "3 assertions, 0 failed\n"
    );
    let file = write(h, "q.gh", "bob may read okdata:dataset:ds1\n");
    let o = pg_run(h, &db, &["test", s(&file)]);
    assert_eq!(o.status.code(), Some(1));
    let out = local(&String::from_utf8_lossy(&o.stdout), h);
    assert!(
        out.starts_with("q.gh:1: expected ALLOW, got DENY — "),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assertions_against_a_server() {
    bounded(120, async {
        let f = support::start(ServerConfig::default()).await;
        let file = write(
            f.dir.path(),
            "p.gh",
            "viewer may read gatehouse:Role\n\
             viewer may not write gatehouse:Role\n\
             admin may DELETE Secret\n\
             viewer may LIST Pipeline\n\
             ghost may LIST Pipeline\n",
        );
        let mut c = Command::new(crate::cli_support::BIN);
        c.env_remove("GATEHOUSE_DB")
            .env_remove("GATEHOUSE_DATABASE_URL")
            .env("HOME", f.dir.path())
            .env("XDG_DATA_HOME", f.dir.path().join("xdg"))
            .env("NO_COLOR", "1")
            .env("GATEHOUSE_API_KEY", &f.admin_key)
            .args(["--remote", &f.url, "-o", "json", "test", s(&file)])
            .stdin(std::process::Stdio::null());
        let o = tokio::task::spawn_blocking(move || c.output().unwrap())
            .await
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        let got: Vec<&str> = v["assertions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["got"].as_str().unwrap())
            .collect();
        assert_eq!(got, ["ALLOW", "DENY", "ALLOW", "DENY", "ERROR"], "{v}");
        assert_eq!(v["passed_count"], 3);
        assert_eq!(v["failed_count"], 2);
    })
    .await;
}
