//! `gatehouse apply FILE` at a real terminal: tmux runs it on an SQLite store, the plan and
//! the question `apply this plan to …? [y/N]` are read off the screen, the answer is typed.
//! `n` (or Enter alone) writes nothing and exits 0; `y` applies the plan, after which there
//! is nothing to do and nothing is asked. Needs tmux, so each test is `#[ignore = "needs
//! tmux"]` as in `tui_pty` (`cargo test --locked -- --include-ignored` runs them); without
//! tmux a run says loudly that it did not run (and fails under CI).

use crate::cli_plan::{DOC, s, write};
use crate::cli_support::{BIN, Env};
use crate::tui_pty::Tmux;
use std::path::Path;
use std::process::Command;

/// The question `apply` asks (its start: the store's path follows).
const QUESTION: &str = "apply this plan to ";

/// Whether tmux runs here; if not, says so loudly.
fn tmux_available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        crate::support::service_missing(
            "\n*** SKIPPED cli_apply_pty: tmux is not installed; install it (apt-get install tmux) to run this test ***\n",
        );
    }
    ok
}

/// Quotes `s` for the shell tmux runs.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs `gatehouse --db … apply DOC` in a tmux pane of 120x50 with `e`'s environment (as
/// [`Env::cmd`] sets it), then prints `EXITED:<code>`.
fn apply_in_tmux(e: &Env, doc: &Path, name: &str) -> Tmux {
    let cmd = e.cmd();
    // `env`'s options (`-u NAME`) come before the first `NAME=value`.
    let mut unset = Vec::new();
    let mut set = Vec::new();
    for (k, v) in cmd.get_envs() {
        let k = k.to_string_lossy();
        match v {
            None => unset.push(format!("-u {k}")),
            Some(v) => set.push(format!("{k}={}", quoted(&v.to_string_lossy()))),
        }
    }
    let env = [vec!["env".to_string()], unset, set].concat();
    let shell = format!(
        "{} {} --db {} apply {}; echo EXITED:$?; sleep 30",
        env.join(" "),
        quoted(BIN),
        quoted(s(&e.db)),
        quoted(s(doc))
    );
    let t = Tmux {
        socket: format!("gatehouse-apply-{}-{name}", std::process::id()),
    };
    t.run(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "120",
        "-y",
        "50",
        &shell,
    ]);
    t
}

/// Starts `apply` of [`DOC`] on a fresh store and waits for its question: the plan is above it.
fn asked(e: &Env, name: &str) -> Tmux {
    let doc = write(e.dir.path(), "doc.toml", DOC);
    let t = apply_in_tmux(e, &doc, name);
    let screen = t.wait_for(QUESTION);
    for line in ["+ role readers", "+ user alice", "+ team ops"] {
        assert!(screen.contains(line), "the plan shows {line:?}:\n{screen}");
    }
    assert!(
        screen.contains(&format!("{QUESTION}{}? [y/N]", e.db.display())),
        "{screen}"
    );
    assert!(
        !screen.contains("EXITED:"),
        "it waits for the answer:\n{screen}"
    );
    t
}

#[test]
#[ignore = "needs tmux"]
fn answering_n_or_nothing_at_the_prompt_writes_nothing() {
    if !tmux_available() {
        return;
    }
    for (name, keys) in [("n", &["n", "Enter"][..]), ("enter", &["Enter"][..])] {
        let e = Env::init();
        let before = e.export();
        let t = asked(&e, name);
        t.keys(keys);
        let screen = t.wait_for("EXITED:");
        assert!(screen.contains("nothing written"), "{name}:\n{screen}");
        assert!(
            screen.contains("EXITED:0"),
            "declined is exit 0 ({name}):\n{screen}"
        );
        assert!(!screen.contains("Applied"), "{name}:\n{screen}");
        assert_eq!(e.export(), before, "{name}: the store changed");
        let doc = e.dir.path().join("doc.toml");
        e.code(&["plan", s(&doc)], 10);
    }
}

#[test]
#[ignore = "needs tmux"]
fn answering_y_at_the_prompt_applies_the_plan() {
    if !tmux_available() {
        return;
    }
    let e = Env::init();
    let before = e.export();
    let t = asked(&e, "y");
    t.keys(&["y", "Enter"]);
    let screen = t.wait_for("EXITED:");
    assert!(
        screen.contains("Applied 8 change(s) (revision "),
        "{screen}"
    );
    assert!(screen.contains("EXITED:0"), "{screen}");
    assert_ne!(e.export(), before, "the store is unchanged");
    // Now the store matches: nothing to do, and nothing asked.
    let doc = e.dir.path().join("doc.toml");
    e.code(&["plan", s(&doc)], 0);
    drop(t);
    let t = apply_in_tmux(&e, &doc, "again");
    let screen = t.wait_for("EXITED:");
    assert!(
        screen.contains("No changes: the store matches the document."),
        "{screen}"
    );
    assert!(!screen.contains(QUESTION), "{screen}");
    assert!(screen.contains("EXITED:0"), "{screen}");
}
