//! The console's live view and edit conflicts, against a real concurrent writer: the app
//! follows the backend's revision (lists update in place; an open form is never overwritten
//! and says the object changed outside), and a conflict resolves with `r` (reload the current
//! version) or `o` (overwrite with what was typed). App-level flows on two backends sharing
//! one store file, then the real binary in tmux with the CLI writing from another process.

use crate::support::two_on_one_file;
use crate::tui_pty::{start, tmux_available};
use crate::tui_support::{open, press, screen, settle};
use gatehouse::backend::Backend;
use gatehouse::backend::RoleSpec;
use gatehouse::connect::LocalBackend;
use gatehouse::tui::app::{Effect, Mode, Msg};
use std::process::Command;
use std::time::Duration;

async fn describe(cli: &LocalBackend, name: &str, description: &str) {
    let s = cli.state().await.expect("state");
    let r = s.role_by_name(name).expect("role");
    cli.update_role(
        r.id,
        RoleSpec {
            name: name.into(),
            description: description.into(),
        },
        r.version,
    )
    .await
    .expect("update");
}

async fn description_of(cli: &LocalBackend, name: &str) -> String {
    let s = cli.state().await.expect("state");
    match s.role_by_name(name) {
        Some(r) => r.description.clone(),
        None => panic!(
            "no role {name}: {:?}",
            s.roles
                .values()
                .map(|r| (&r.name, &r.description))
                .collect::<Vec<_>>()
        ),
    }
}

/// What the runner's follower does: wait for the backend to move, then tell the app.
async fn follow_once(app: &mut gatehouse::tui::app::App, console: &LocalBackend) {
    let have = app.data.as_ref().map_or(0, |d| d.state.revision);
    let rev = console
        .wait_for_change(have, Duration::from_secs(10))
        .await
        .expect("wait");
    assert!(rev > have, "the backend did not move");
    let effects = app.on_msg(Msg::Moved(rev));
    settle(app, console, effects).await;
}

#[tokio::test]
async fn a_moved_revision_reloads_once_and_lists_keep_the_selection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (console, cli) = two_on_one_file(dir.path()).await;
    for name in ["Alpha", "Beta", "Gamma"] {
        cli.create_role(RoleSpec {
            name: name.into(),
            description: String::new(),
        })
        .await
        .expect("role");
    }
    let mut app = open(&console, false).await;
    press(&mut app, &console, "j").await;
    assert_eq!(
        app.list().selected_row().map(|r| r.id().into_owned()),
        console
            .state()
            .await
            .expect("state")
            .role_by_name("Beta")
            .map(|r| r.id.to_string())
    );
    // The same revision again: nothing to do.
    let rev = app.data.as_ref().expect("data").state.revision;
    assert!(app.on_msg(Msg::Moved(rev)).is_empty());
    // Another process adds a role sorting first: the app reloads once (a second
    // announcement while that load runs asks for nothing more).
    cli.create_role(RoleSpec {
        name: "Aardvark".into(),
        description: String::new(),
    })
    .await
    .expect("role");
    let moved = console
        .wait_for_change(rev, Duration::from_secs(10))
        .await
        .expect("wait");
    assert_eq!(app.on_msg(Msg::Moved(moved)), vec![Effect::Load]);
    assert!(app.on_msg(Msg::Moved(moved)).is_empty());
    settle(&mut app, &console, vec![Effect::Load]).await;
    let s = screen(&app);
    assert!(s.contains("Aardvark"), "{s}");
    assert!(s.contains(&format!("rev {moved}")), "{s}");
    let beta = console.state().await.expect("state");
    assert_eq!(
        app.list().selected_row().map(|r| r.id().into_owned()),
        beta.role_by_name("Beta").map(|r| r.id.to_string()),
        "the selection stays on the same role"
    );
}

#[tokio::test]
async fn a_conflict_resolves_with_overwrite_then_with_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (console, cli) = two_on_one_file(dir.path()).await;
    cli.create_role(RoleSpec {
        name: "Editors".into(),
        description: "first".into(),
    })
    .await
    .expect("role");
    let mut app = open(&console, false).await;

    // e → the form; Tab to the description; type.
    press(&mut app, &console, "e\t typed").await;
    assert!(matches!(app.mode, Mode::Form(_)));
    describe(&cli, "Editors", "from the cli").await;
    follow_once(&mut app, &console).await;
    let s = screen(&app);
    assert!(
        s.contains("Changed outside since you opened this"),
        "the form says the role changed outside:\n{s}"
    );
    assert!(s.contains("first typed"), "what was typed stays:\n{s}");
    press(&mut app, &console, "§").await;
    let s = screen(&app);
    assert!(s.contains("Changed by someone else"), "{s}");
    press(&mut app, &console, "o").await;
    assert!(
        matches!(app.mode, Mode::Normal),
        "overwrite saves and closes the form:\n{}",
        screen(&app)
    );
    assert_eq!(description_of(&cli, "Editors").await, "first typed");

    // Again, and this time reload: the form shows what the CLI wrote, and saves cleanly.
    press(&mut app, &console, "e\t zzz").await;
    describe(&cli, "Editors", "cli two").await;
    press(&mut app, &console, "§").await;
    assert!(screen(&app).contains("Changed by someone else"));
    press(&mut app, &console, "r").await;
    let s = screen(&app);
    assert!(matches!(app.mode, Mode::Form(_)), "{s}");
    assert!(s.contains("cli two"), "r reloads the current version:\n{s}");
    assert!(!s.contains("zzz"), "r drops the stale edits:\n{s}");
    assert!(!s.contains("Changed outside"), "{s}");
    press(&mut app, &console, " 3§").await;
    assert!(matches!(app.mode, Mode::Normal), "{}", screen(&app));
    assert_eq!(description_of(&cli, "Editors").await, "cli two 3");
}

fn cli(bin: &str, db: &std::path::Path, args: &[&str]) {
    let out = Command::new(bin)
        .env("USER", "pat")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("gatehouse runs");
    assert!(out.status.success(), "{args:?}: {out:?}");
}

fn show_role(bin: &str, db: &std::path::Path, name: &str) -> String {
    let out = Command::new(bin)
        .env("USER", "pat")
        .arg("--db")
        .arg(db)
        .args(["roles", "show", name])
        .output()
        .expect("gatehouse runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[ignore = "needs tmux"]
fn the_console_follows_a_cli_write_from_another_process_without_a_key() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = env!("CARGO_BIN_EXE_gatehouse");
    let db = dir.path().join("console.db");
    cli(bin, &db, &["init"]);
    cli(bin, &db, &["users", "create", "alice"]);
    let t = start(dir.path(), "live");
    t.wait_for("Access check");
    t.keys(&[":", "u", "s", "e", "r", "s", "Enter"]);
    t.wait_for("alice");
    cli(bin, &db, &["users", "create", "carol"]);
    // No key pressed: the live view picks it up.
    let s = t.wait_for("carol");
    assert!(s.contains("alice"), "{s}");
    // `r` re-reads too (and keeps what is there).
    cli(bin, &db, &["users", "create", "dora"]);
    t.keys(&["r"]);
    t.wait_for("dora");
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
}

#[test]
#[ignore = "needs tmux"]
fn an_edit_conflict_with_a_cli_write_resolves_with_o_and_with_r() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = env!("CARGO_BIN_EXE_gatehouse");
    let db = dir.path().join("console.db");
    cli(bin, &db, &["init"]);
    cli(
        bin,
        &db,
        &["roles", "create", "Editors", "--description", "first"],
    );
    let t = start(dir.path(), "conflict");
    t.wait_for("Editors");
    t.keys(&["e"]);
    t.wait_for("Edit role");
    t.keys(&["Tab"]);
    t.keys(&["-l", " typed"]);
    cli(
        bin,
        &db,
        &[
            "roles",
            "update",
            "Editors",
            "--description",
            "from the cli",
        ],
    );
    t.wait_for("Changed outside since you opened this");
    t.keys(&["C-s"]);
    t.wait_for("Changed by someone else");
    t.keys(&["o"]);
    t.wait_gone("Edit role");
    t.wait_for("saved role 'Editors'");
    assert!(
        show_role(bin, &db, "Editors").contains("first typed"),
        "{}",
        show_role(bin, &db, "Editors")
    );

    t.keys(&["e"]);
    t.wait_for("Edit role");
    t.keys(&["Tab"]);
    t.keys(&["-l", " zzz"]);
    cli(
        bin,
        &db,
        &["roles", "update", "Editors", "--description", "cli two"],
    );
    t.wait_for("Changed outside since you opened this");
    t.keys(&["C-s"]);
    t.wait_for("Changed by someone else");
    t.keys(&["r"]);
    let s = t.wait_for("cli two");
    assert!(!s.contains("zzz"), "{s}");
    t.keys(&["C-s"]);
    // The first save's message may still be on the status line: wait for the form to close.
    t.wait_gone("Edit role");
    t.wait_for("saved role 'Editors'");
    assert!(show_role(bin, &db, "Editors").contains("cli two"));
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
}
