//! `gatehouse check --read/--write/--query`: Mage attribute checks from the command line, run
//! against the real executable and a store in a temporary directory.

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
    fn init() -> Env {
        let dir = TempDir::new().expect("tempdir");
        let db = dir.path().join("store").join("gatehouse.db");
        let e = Env { dir, db };
        e.ok(&["init", "--admin", "root"]);
        e
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .env_remove("GATEHOUSE_DB")
            .env_remove("GATEHOUSE_DATABASE_URL")
            .env_remove("GATEHOUSE_CONFIG")
            .env_remove("GATEHOUSE_PROFILE")
            .env_remove("XDG_CONFIG_HOME")
            .env("XDG_DATA_HOME", self.dir.path().join("xdg"))
            .env("HOME", self.dir.path().join("home"))
            .env("USER", "tester")
            .env("NO_COLOR", "1")
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .output()
            .expect("run gatehouse")
    }

    /// Runs and expects exit `code`; returns stdout.
    fn code(&self, args: &[&str], code: i32) -> String {
        let o = self.run(args);
        assert_eq!(
            o.status.code(),
            Some(code),
            "gatehouse {args:?}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn ok(&self, args: &[&str]) -> String {
        self.code(args, 0)
    }

    fn json(&self, args: &[&str], code: i32) -> Value {
        let mut a = vec!["-o", "json"];
        a.extend_from_slice(args);
        let out = self.code(&a, code);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }

    fn permission(&self, args: &[&str]) -> String {
        let mut a = vec!["permissions", "create"];
        a.extend_from_slice(args);
        self.json(&a, 0)["id"].as_str().expect("id").to_string()
    }
}

#[test]
fn check_read_write_query_on_the_mage_catalog() {
    let e = Env::init();
    e.ok(&["users", "create", "bob"]);
    e.ok(&["roles", "create", "R"]);
    e.ok(&["roles", "assign", "R", "bob"]);
    // {Secret, LIST} and {ALL, READ_ALL|QUERY_ALL|WRITE_ALL}: Mage pairs them per permission.
    let list = e.permission(&["mage:Secret", "--mage-access", "16"]);
    let attrs = e.permission(&["mage:ALL", "--mage-access", "86016"]);
    e.ok(&["roles", "add-permission", "R", &list]);
    e.ok(&["roles", "add-permission", "R", &attrs]);
    let out = e.ok(&["check", "bob", "LIST", "mage:Secret"]);
    assert!(out.starts_with("ALLOW"), "{out}");
    let out = e.code(
        &[
            "check",
            "bob",
            "LIST",
            "mage:Secret",
            "--read",
            "name",
            "--explain",
        ],
        1,
    );
    assert!(
        out.starts_with("DENY") && out.contains("(read name)"),
        "{out}"
    );
    assert!(out.contains("neither READ nor READ_ALL"), "{out}");
    assert!(out.contains("Mage needs both in one permission"), "{out}");

    // A VIEWER group with read_attributes [id]: id readable, name not; a hint names the list.
    let viewer = e.permission(&["mage:Role", "--mage-access", "8", "--read-attr", "id"]);
    e.ok(&["roles", "add-permission", "R", &viewer]);
    assert!(
        e.ok(&["check", "bob", "DETAIL", "mage:Role/3", "--read", "id"])
            .starts_with("ALLOW")
    );
    let out = e.code(
        &[
            "check",
            "bob",
            "DETAIL",
            "mage:Role/3",
            "--read",
            "name",
            "--explain",
        ],
        1,
    );
    assert!(out.contains("not in its read_attributes"), "{out}");
    assert!(
        out.contains("add the attribute to the read_attributes"),
        "{out}"
    );
    let v = e.json(
        &["check", "bob", "DETAIL", "mage:Role/3", "--write", "name"],
        1,
    );
    assert_eq!(v["allowed"], false);
    assert_eq!(
        v["attribute"],
        serde_json::json!({"kind": "write", "name": "name"})
    );
    let v = e.json(&["check", "bob", "LIST", "mage:Role", "--query", "name"], 1);
    assert_eq!(v["attribute"]["kind"], "query");

    // At most one attribute flag; other dialects say attribute checks are Mage's.
    e.code(
        &[
            "check",
            "bob",
            "LIST",
            "mage:Role",
            "--read",
            "a",
            "--write",
            "b",
        ],
        2,
    );
    let out = e.code(
        &["check", "bob", "read", "okdata:dataset:ds1", "--read", "a"],
        1,
    );
    assert!(out.contains("Mage-dialect feature"), "{out}");
}
