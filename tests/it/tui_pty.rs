//! The real binary in a real terminal: tmux runs `gatehouse`, keys are typed with
//! `send-keys`, the screen is read with `capture-pane`. Checks that the console opens and
//! bootstraps the store, answers keys, and that the terminal is restored (cooked mode, main
//! screen) after `q` and after SIGTERM. Needs tmux, so each test is `#[ignore = "needs tmux"]`
//! (`cargo test --locked -- --include-ignored` runs them): CI installs it (.ci/run) and fails
//! without it; elsewhere a test run without tmux says loudly that it did not run.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) struct Tmux {
    pub(crate) socket: String,
}

impl Tmux {
    pub(crate) fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    pub(crate) fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }
    pub(crate) fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.run(&args);
    }
    /// Waits (at most 30 s) until the screen no longer contains `text`. Needed after `Escape`:
    /// an Esc immediately followed by another key reads as Alt+key.
    pub(crate) fn wait_gone(&self, text: &str) {
        let start = Instant::now();
        while self.screen().contains(text) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {text:?} to go"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    /// Waits (at most 30 s) until the screen contains `text`.
    pub(crate) fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

pub(crate) fn tmux_available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        crate::support::service_missing(
            "\n*** SKIPPED tui_pty: tmux is not installed; install it (apt-get install tmux) to run this test ***\n",
        );
    }
    ok
}

pub(crate) fn start(dir: &Path, name: &str) -> Tmux {
    start_with(dir, name, "")
}

/// Like [`start`], with `env` (`NAME='value' …`) set for the console. The config file is
/// always looked for under `dir`, never in the user's own config.
pub(crate) fn start_with(dir: &Path, name: &str, env: &str) -> Tmux {
    let db = dir.join("console.db");
    init_store(&db);
    launch(dir, name, env, &format!(" --db '{}'", db.display()))
}

/// `gatehouse init` for `db` unless it exists (only `init` and a bare `gatehouse` on the
/// default path create a store), with `pat` as owner, as the console's first run would.
pub(crate) fn init_store(db: &Path) {
    if db.exists() {
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .env("USER", "pat")
        .arg("--db")
        .arg(db)
        .args(["init", "--admin", "pat"])
        .output()
        .expect("gatehouse init runs");
    assert!(out.status.success(), "init: {out:?}");
}

/// Starts `{env} gatehouse{args}` in a new tmux session (80x24), then reports how it exited.
fn launch(dir: &Path, name: &str, env: &str, args: &str) -> Tmux {
    let bin = env!("CARGO_BIN_EXE_gatehouse");
    let t = Tmux {
        socket: format!("gatehouse-test-{}-{name}", std::process::id()),
    };
    let shell = format!(
        "NO_COLOR=1 USER=pat XDG_CONFIG_HOME='{}' {env} '{bin}'{args}; echo EXITED:$?; stty -a | tr ' ' '\\n' | grep -x -- '-\\?icanon'; sleep 30",
        dir.display(),
    );
    t.run(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "80",
        "-y",
        "24",
        &shell,
    ]);
    t
}

#[test]
#[ignore = "needs tmux"]
fn the_console_opens_answers_keys_and_restores_the_terminal_on_q() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // The first bare `gatehouse` on the default path creates the store and its owner.
    let xdg = dir.path().join("xdg");
    let t = launch(
        dir.path(),
        "q",
        &format!("XDG_DATA_HOME='{}'", xdg.display()),
        "",
    );
    let s = t.wait_for("Access check");
    assert!(s.contains("gatehouse local:"), "{s}");
    assert!(
        s.contains("· pat"),
        "bootstrapped with $USER as owner:\n{s}"
    );
    t.keys(&[":", "u", "s", "e", "r", "s", "Enter"]);
    let s = t.wait_for("Users (1)");
    assert!(s.contains("pat") && s.contains("owner"), "{s}");
    t.keys(&["?"]);
    t.wait_for("closes this help");
    t.keys(&["Escape"]);
    t.wait_gone("closes this help");
    t.keys(&["q"]);
    let s = t.wait_for("EXITED:0");
    assert!(
        !s.contains("gatehouse local:"),
        "the alternate screen was left:\n{s}"
    );
    let s = t.wait_for("icanon");
    assert!(
        !s.contains("-icanon"),
        "the terminal is back in cooked mode:\n{s}"
    );
    assert!(
        xdg.join("gatehouse").join("gatehouse.db").exists(),
        "the store was created on the default path"
    );
}

#[test]
#[ignore = "needs tmux"]
fn sigterm_restores_the_terminal() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let t = start(dir.path(), "term");
    t.wait_for("Access check");
    let db = dir.path().join("console.db");
    // Anchored on the binary's path, so the shell that wraps it (whose command line also
    // names the store) is left alone.
    let pattern = format!("^{} --db {}", env!("CARGO_BIN_EXE_gatehouse"), db.display());
    let status = Command::new("pkill")
        .arg("-TERM")
        .arg("-f")
        .arg(&pattern)
        .status()
        .expect("pkill runs");
    assert!(status.success(), "the console process was found");
    let s = t.wait_for("EXITED:");
    assert!(s.contains("EXITED:143"), "128 + SIGTERM:\n{s}");
    assert!(!s.contains("gatehouse local:"), "{s}");
    let s = t.wait_for("icanon");
    assert!(!s.contains("-icanon"), "{s}");
}

/// Sends `signal` to the console started by [`start`] in `dir` (not to the shell around it).
fn signal_console(dir: &Path, signal: &str) {
    let db = dir.join("console.db");
    let pattern = format!("^{} --db {}", env!("CARGO_BIN_EXE_gatehouse"), db.display());
    let status = Command::new("pkill")
        .arg(format!("-{signal}"))
        .arg("-f")
        .arg(&pattern)
        .status()
        .expect("pkill runs");
    assert!(status.success(), "the console process was found");
}

#[test]
#[ignore = "needs tmux"]
fn sighup_exits_129_with_the_terminal_restored() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let t = start(dir.path(), "hup");
    t.wait_for("Access check");
    signal_console(dir.path(), "HUP");
    let s = t.wait_for("EXITED:");
    assert!(s.contains("EXITED:129"), "128 + SIGHUP:\n{s}");
    assert!(!s.contains("gatehouse local:"), "{s}");
    let s = t.wait_for("icanon");
    assert!(!s.contains("-icanon"), "{s}");
}

#[test]
#[ignore = "needs tmux"]
fn ctrl_z_suspends_the_console_and_fg_draws_it_again_whole() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = env!("CARGO_BIN_EXE_gatehouse");
    let db = dir.path().join("console.db");
    init_store(&db);
    let t = Tmux {
        socket: format!("gatehouse-test-{}-suspend", std::process::id()),
    };
    // An interactive shell: job control (Ctrl-Z, fg) needs one.
    t.run(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "80",
        "-y",
        "24",
        "env PS1='$ ' bash --norc --noprofile -i",
    ]);
    t.wait_for("$");
    // The console alone (a `; echo` list would go on while the console is stopped).
    let line = format!(
        "NO_COLOR=1 USER=pat XDG_CONFIG_HOME='{}' '{bin}' --db '{}'",
        dir.path().display(),
        db.display()
    );
    t.keys(&["-l", &line]);
    t.keys(&["Enter"]);
    t.wait_for("Access check");
    t.keys(&["C-z"]);
    let s = t.wait_for("Stopped");
    assert!(
        !s.contains("gatehouse local:"),
        "the console left the alternate screen while stopped:\n{s}"
    );
    // The shell reads lines again: the terminal is in cooked mode.
    t.keys(&["-l", "stty -a | tr ' ' '\\n' | grep -x -- '-\\?icanon'"]);
    t.keys(&["Enter"]);
    let s = t.wait_for("icanon");
    assert!(!s.contains("-icanon"), "cooked mode while stopped:\n{s}");
    t.keys(&["-l", "fg"]);
    t.keys(&["Enter"]);
    // The whole screen comes back: header, navigation and footer, none of the shell's text.
    let s = t.wait_for("gatehouse local:");
    let s = if s.contains("q quit") {
        s
    } else {
        t.wait_for("q quit")
    };
    assert!(s.contains("Access check"), "{s}");
    assert!(!s.contains("Stopped") && !s.contains("icanon"), "{s}");
    // And it still answers keys.
    t.keys(&["q"]);
    t.wait_gone("gatehouse local:");
    t.keys(&["-l", "echo EXITED:$?"]);
    t.keys(&["Enter"]);
    let s = t.wait_for("EXITED:0");
    assert!(!s.contains("gatehouse local:"), "{s}");
}

#[test]
#[ignore = "needs tmux"]
fn a_remapped_quit_key_replaces_q_and_restores_the_terminal() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("keys.toml");
    std::fs::write(&config, "[keys]\nquit = \"Q\"\n").expect("write config");
    let t = start_with(
        dir.path(),
        "remap",
        &format!("GATEHOUSE_CONFIG='{}'", config.display()),
    );
    let s = t.wait_for("Access check");
    assert!(
        s.contains("Q quit"),
        "the footer shows the remapped key:\n{s}"
    );
    t.keys(&["q"]);
    // Keys are handled in order: the help overlay opening proves `q` was read and ignored.
    t.keys(&["?"]);
    let s = t.wait_for("closes this help");
    assert!(!s.contains("EXITED:"), "q no longer quits:\n{s}");
    t.keys(&["Escape"]);
    t.wait_gone("closes this help");
    t.keys(&["Q"]);
    let s = t.wait_for("EXITED:0");
    assert!(
        !s.contains("gatehouse local:"),
        "the alternate screen was left:\n{s}"
    );
    let s = t.wait_for("icanon");
    assert!(
        !s.contains("-icanon"),
        "the terminal is back in cooked mode:\n{s}"
    );
}

#[test]
#[ignore = "needs tmux"]
fn a_broken_config_exits_2_before_the_console_opens() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("keys.toml");
    std::fs::write(&config, "[keys]\ndelete = \"ctl-x\"\n").expect("write config");
    // On the default path, where the first bare `gatehouse` would create the store.
    let xdg = dir.path().join("xdg");
    let t = launch(
        dir.path(),
        "broken",
        &format!(
            "GATEHOUSE_CONFIG='{}' XDG_DATA_HOME='{}'",
            config.display(),
            xdg.display()
        ),
        "",
    );
    let s = t.wait_for("EXITED:");
    assert!(s.contains("EXITED:2"), "{s}");
    assert!(s.contains("ctl-x"), "the error names the bad key:\n{s}");
    assert!(
        !s.contains("-icanon"),
        "the terminal was never changed:\n{s}"
    );
    assert!(
        !xdg.join("gatehouse").exists(),
        "the store is not created before the config is checked"
    );
}

#[test]
#[ignore = "needs tmux"]
fn a_form_creates_a_role_and_a_scrolled_list_shows_the_right_rows() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = env!("CARGO_BIN_EXE_gatehouse");
    let db = dir.path().join("console.db");
    let cli = |args: &[&str]| {
        let out = Command::new(bin)
            .env("USER", "pat")
            .arg("--db")
            .arg(&db)
            .args(args)
            .output()
            .expect("gatehouse runs");
        assert!(out.status.success(), "{args:?}: {out:?}");
    };
    cli(&["init"]);
    for i in 0..40 {
        cli(&["users", "create", &format!("user{i:02}")]);
    }
    let t = start(dir.path(), "form");
    t.wait_for("Access check");
    // n → the role form; type a name; Enter saves.
    t.keys(&["n"]);
    t.wait_for("New role");
    t.keys(&["-l", "Pipeline editors"]);
    t.keys(&["Enter"]);
    t.wait_for("created role 'Pipeline editors'");
    // The message comes with the save; the list follows once the reload it starts lands.
    let s = t.wait_for("Roles (1)");
    assert!(
        s.lines().any(|l| l
            .rsplit('│')
            .next()
            .is_some_and(|c| c.trim_start().starts_with("Pipeline editors"))),
        "the list shows the new role:\n{s}"
    );
    // 41 users on a 24-row screen: 30 one-row moves scroll the list; the terminal (tmux) must
    // show exactly the rows the app drew: consecutive users, in order, down to the selection.
    t.keys(&[":", "u", "s", "e", "r", "s", "Enter"]);
    t.wait_for("Users (41)");
    for _ in 0..30 {
        t.keys(&["j"]);
    }
    let s = t.wait_for("user29");
    let rows: Vec<&str> = s
        .lines()
        // The list: right of the navigation column, or the whole line under the tab bar.
        .filter_map(|l| l.rsplit('│').next())
        .map(str::trim)
        .filter(|l| l.starts_with("user"))
        .map(|l| l.split_whitespace().next().unwrap_or_default())
        .collect();
    let first: usize = rows
        .first()
        .and_then(|r| r.trim_start_matches("user").parse().ok())
        .expect("a user row");
    let want: Vec<String> = (first..first + rows.len())
        .map(|i| format!("user{i:02}"))
        .collect();
    assert_eq!(rows, want, "rows out of order after scrolling:\n{s}");
    assert!(rows.len() >= 15 && rows.contains(&"user29"), "{s}");
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
}

#[test]
#[ignore = "needs tmux"]
fn at_80x24_a_long_store_path_keeps_the_header_and_the_discard_prompt_is_on_screen() {
    if !tmux_available() {
        return;
    }
    let top = tempfile::tempdir().expect("tempdir");
    let dir = top
        .path()
        .join("home-of-someone/.local/share/gatehouse-console-data");
    std::fs::create_dir_all(&dir).expect("dir");
    let t = start(&dir, "layout");
    let s = t.wait_for("Access check");
    let header = s.lines().next().unwrap_or_default();
    assert!(
        header.contains("· pat") && header.contains("rev ") && header.contains('…'),
        "the user and revision stay, the path is elided:\n{s}"
    );
    // The permission form at 80x24: Esc asks "discard?" on screen, and `y` answers it.
    t.keys(&[":", "p", "e", "r", "m", "Enter"]);
    t.wait_for("Permissions (");
    t.keys(&["n"]);
    t.wait_for("New permission");
    t.keys(&["Tab"]);
    t.keys(&["-l", "Pipe"]);
    t.wait_for("Pipeline");
    t.keys(&["Escape"]);
    t.wait_for("Discard your changes?");
    t.keys(&["y"]);
    t.wait_gone("New permission");
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
}

#[test]
#[ignore = "needs tmux"]
fn with_verbose_the_console_logs_to_its_file_never_to_the_screen() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("console.db");
    init_store(&db);
    let state = dir.path().join("state");
    let t = launch(
        dir.path(),
        "verbose",
        &format!("XDG_STATE_HOME='{}'", state.display()),
        &format!(" -vv --db '{}'", db.display()),
    );
    let s = t.wait_for("Access check");
    t.keys(&["q"]);
    let after = t.wait_for("EXITED:");
    for screen in [&s, &after] {
        assert!(
            !screen.contains("opened the backend") && !screen.contains("DEBUG"),
            "a log line reached the screen:\n{screen}"
        );
    }
    let log = std::fs::read_to_string(state.join("gatehouse").join("gatehouse.log"))
        .expect("the default log file");
    assert!(log.contains("opened the backend"), "{log}");
}
