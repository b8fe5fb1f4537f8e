//! `--dry-run` (issue 20, item 4) on a PostgreSQL database (ignored: "needs PostgreSQL") and
//! against a server (`--remote`): the same who-would-lose-what as on SQLite, and nothing
//! written — the dry run reads the backend's state and weighs the change itself.

use crate::cli_plan::{DOC, s, write};
use crate::cli_support::{BIN, Env};
use crate::support::{self, bounded, pg};
use gatehouse::server::ServerConfig;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs the dry runs through `run` on a backend holding [`DOC`]: alice loses `read` on users
/// when unassigned, bob gains it when assigned for 8 hours; the export is unchanged.
fn dry_runs(run: &dyn Fn(&[&str]) -> Output) {
    let before = run(&["export"]);
    assert_eq!(before.status.code(), Some(0), "{}", text(&before));
    let out = run(&["roles", "unassign", "readers", "alice", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("nothing written"), "{t}");
    assert!(t.contains("alice: - read on gatehouse:User"), "{t}");
    let out = run(&[
        "roles",
        "assign",
        "readers",
        "bob",
        "--for",
        "8h",
        "--dry-run",
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("bob: + read on gatehouse:User"), "{t}");
    let after = run(&["export"]);
    assert_eq!(after.stdout, before.stdout, "a dry run writes nothing");
}

fn pg_cmd(home: &Path, db: &str, args: &[&str]) -> Output {
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
fn dry_runs_on_a_postgres_store() {
    let Some(guard) = pg::fresh() else {
        return;
    };
    let db = guard.db();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let doc = write(h, "p.toml", DOC);
    assert_eq!(
        pg_cmd(h, &db, &["init", "--admin", "root"]).status.code(),
        Some(0)
    );
    assert_eq!(pg_cmd(h, &db, &["import", s(&doc)]).status.code(), Some(0));
    dry_runs(&|args| pg_cmd(h, &db, args));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_runs_against_a_server() {
    bounded(120, async {
        let f = support::start(ServerConfig::default()).await;
        let dir = f.dir.path().to_path_buf();
        let (url, key) = (f.url.clone(), f.admin_key.clone());
        let doc = write(&dir, "p.toml", DOC);
        tokio::task::spawn_blocking(move || {
            let run = |args: &[&str]| {
                Command::new(BIN)
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
                    .unwrap()
            };
            let imported = run(&["import", s(&doc)]);
            assert_eq!(imported.status.code(), Some(0), "{}", text(&imported));
            dry_runs(&run);
        })
        .await
        .unwrap();
    })
    .await;
}
