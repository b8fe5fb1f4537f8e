//! The `gatehouse` binary against a store in a temporary directory, for the CLI tests:
//! [`Env`] runs the real executable and checks exit codes, output and that a refused command
//! changed nothing (`export` before == after).
#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

pub struct Env {
    pub dir: TempDir,
    pub db: PathBuf,
}

impl Env {
    pub fn new() -> Env {
        let dir = TempDir::new().expect("tempdir");
        let db = dir.path().join("store").join("gatehouse.db");
        Env { dir, db }
    }

    /// A fresh store with `root` as owner.
    pub fn init() -> Env {
        let e = Env::new();
        e.ok(&["init", "--admin", "root"]);
        e
    }

    pub fn cmd(&self) -> Command {
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

    pub fn run(&self, args: &[&str]) -> Output {
        let mut c = self.cmd();
        c.arg("--db").arg(&self.db).args(args);
        c.output().expect("run gatehouse")
    }

    /// Runs and expects exit 0; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
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

    /// Runs and expects exit `code`; returns stdout.
    pub fn code(&self, args: &[&str], code: i32) -> String {
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

    /// Runs with `-o json`, expects exit `code` and parses stdout.
    pub fn json_exit(&self, args: &[&str], code: i32) -> Value {
        let mut a = vec!["-o", "json"];
        a.extend_from_slice(args);
        let out = self.code(&a, code);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }

    /// Runs with `-o json` and parses stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["-o", "json"];
        a.extend_from_slice(args);
        let out = self.ok(&a);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }

    /// Runs and expects exit `code` with one `error:` line on stderr; returns that line.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
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

    pub fn export(&self) -> String {
        self.ok(&["export"])
    }

    /// Expects `args` to fail with `code` and to change nothing.
    pub fn refused(&self, args: &[&str], code: i32) -> String {
        let before = self.export();
        let line = self.fails(args, code);
        assert_eq!(before, self.export(), "{args:?} changed the store");
        line
    }

    /// Creates a permission and returns its id.
    pub fn permission(&self, args: &[&str]) -> String {
        let mut a = vec!["permissions", "create"];
        a.extend_from_slice(args);
        let v = self.json(&a);
        v["id"].as_str().expect("id").to_string()
    }
}

pub fn names(v: &Value, field: &str) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|r| r[field].as_str().unwrap_or_default().to_string())
        .collect()
}
