//! Issue 21 item 2: no silent new stores. Only `init` and the first bare `gatehouse` on the
//! default path create a store; any other command on a missing store file exits 3 with
//! "no store at PATH (gatehouse init creates one)" and creates neither the file nor its folder.

use crate::cli_support::Env;
use std::path::Path;

fn assert_no_store(e: &Env, db: &Path, args: &[&str]) {
    let o = e.cmd().arg("--db").arg(db).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "gatehouse {args:?}: {stderr}");
    let want = format!("no store at {} (gatehouse init creates one)", db.display());
    assert!(stderr.contains(&want), "gatehouse {args:?}: {stderr}");
    assert!(
        o.stdout.is_empty(),
        "gatehouse {args:?} printed {:?}",
        o.stdout
    );
    assert!(!db.exists(), "gatehouse {args:?} created {}", db.display());
    assert!(
        !db.parent().unwrap().exists(),
        "gatehouse {args:?} created the folder of {}",
        db.display()
    );
}

#[test]
fn a_mistyped_db_is_exit_3_for_every_command_and_creates_nothing() {
    let e = Env::new();
    let db = e.dir.path().join("typo-folder").join("gatehouse.db");
    for args in [
        &[][..],
        &["tui"],
        &["status"],
        &["roles", "ls"],
        &["users", "ls"],
        &["teams", "ls"],
        &["permissions", "ls"],
        &["catalogs"],
        &["audit"],
        &["export"],
        &["check", "alice", "READ", "Pipeline"],
        &["roles", "create", "Editor"],
        &["defaults", "apply", "mage"],
        &["prune-expired"],
        &["keys", "ls"],
    ] {
        assert_no_store(&e, &db, args);
    }
    // `serve` too, before it listens (bounded: a server that started would be killed).
    let mut child = e
        .cmd()
        .arg("--db")
        .arg(&db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(3),
        "serve on a missing store"
    );
    assert!(!db.exists() && !db.parent().unwrap().exists());
    // With -o json too, and through $GATEHOUSE_DB.
    assert_no_store(&e, &db, &["-o", "json", "roles", "ls"]);
    let o = e
        .cmd()
        .env("GATEHOUSE_DB", &db)
        .args(["roles", "ls"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(!db.exists());
}

#[test]
fn an_empty_file_is_no_store_either() {
    let e = Env::new();
    std::fs::create_dir_all(e.db.parent().unwrap()).unwrap();
    std::fs::write(&e.db, b"").unwrap();
    let o = e.run(&["roles", "ls"]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        std::fs::metadata(&e.db).unwrap().len(),
        0,
        "nothing written into it"
    );
    // `init` makes a store of it.
    e.ok(&["init", "--admin", "root"]);
    assert!(e.ok(&["users", "ls"]).contains("root"));
}

#[test]
fn init_creates_the_store_and_its_folder_then_commands_use_it() {
    let e = Env::new();
    assert!(!e.db.parent().unwrap().exists());
    e.ok(&["init", "--admin", "root"]);
    assert!(e.db.exists());
    let out = e.ok(&["users", "ls"]);
    assert!(out.contains("root"), "{out}");
}

#[test]
fn the_first_bare_gatehouse_on_the_default_path_creates_the_store() {
    let e = Env::new();
    // No --db: the default path under $XDG_DATA_HOME (set by Env::cmd).
    let default = e
        .dir
        .path()
        .join("xdg")
        .join("gatehouse")
        .join("gatehouse.db");
    assert!(!default.exists());
    // Any other command on the default path is refused too.
    let o = e.cmd().args(["roles", "ls"]).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!default.exists());
    let o = e.cmd().output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(default.exists());
    let o = e.cmd().args(["users", "ls"]).output().unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("tester"));
}
