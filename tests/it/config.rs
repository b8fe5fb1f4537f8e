//! The config file from disk: `config::load_from` on files in a tempdir, and `config::load`
//! finding the file through `GATEHOUSE_CONFIG` / `XDG_CONFIG_HOME`. Environment variables are
//! process-wide, so the `load` checks run in a child process (this test binary again, with the
//! variables set) instead of changing this process's environment.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use gatehouse::config::{self, Config, ConfigError};
use gatehouse::tui::keys::{Action, Keymap};
use std::path::{Path, PathBuf};
use std::process::Command;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, text).expect("write config");
    p
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

/// The keymap of a loaded config.
fn keymap(c: &Config) -> Keymap {
    Keymap::from_config(&c.keys).expect("a loaded config builds its keymap")
}

#[test]
fn load_from_reads_keys_and_ignores_other_sections() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(
        dir.path(),
        "config.toml",
        "default_profile = \"local\"\n\n[keys]\nquit = \"Q\"\ndown = [\"j\", \"ctrl-n\"]\n\n[profiles.local]\ndb = \"x.db\"\n",
    );
    let m = keymap(&config::load_from(&p).expect("loads"));
    assert_eq!(m.action_for(key('q')), None);
    assert_eq!(m.action_for(key('Q')), Some(Action::Quit));
    assert_eq!(
        m.action_for(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL)),
        Some(Action::Down)
    );
    assert_eq!(m.label(Action::Down), "j/C-n");
}

#[test]
fn load_from_names_the_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(
        dir.path(),
        "config.toml",
        "[keys]\nquit = \"Q\"\ndelete = \"ctl-x\"\n",
    );
    let e = config::load_from(&p).expect_err("refused");
    assert!(
        matches!(
            e,
            ConfigError::At {
                line: 3,
                col: 10,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.exit_code(), 2);
    assert_eq!(
        e.to_string(),
        format!(
            "{}:3:10: unknown key name 'ctl-x' for action 'delete'; expected e.g. \"ctrl-x\", \"D\", \"pagedown\"",
            config::display_path(&p)
        )
    );
}

#[test]
fn a_missing_file_gives_the_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = config::load_from(&dir.path().join("config.toml")).expect("defaults");
    assert_eq!(c, Config::default());
    assert_eq!(keymap(&c).action_for(key('q')), Some(Action::Quit));
}

/// Runs one `child_*` test of this binary with `env` set (and both config variables
/// otherwise cleared); panics with its output unless it passed.
fn run_child(test: &str, env: &[(&str, &Path)]) {
    let exe = std::env::current_exe().expect("the test binary");
    let mut cmd = Command::new(exe);
    // Test names carry their module in the one test binary.
    let name = format!("config::{test}");
    cmd.args(["--exact", &name, "--ignored", "--test-threads=1"])
        .env_remove("GATEHOUSE_CONFIG")
        .env_remove("XDG_CONFIG_HOME")
        .env("GATEHOUSE_TEST_CHILD", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn gatehouse_config_names_the_file_load_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let named = write(dir.path(), "elsewhere/keys.toml", "[keys]\nquit = \"Q\"\n");
    run_child(
        "child_load_reads_the_named_file",
        &[("GATEHOUSE_CONFIG", &named)],
    );
    run_child(
        "child_load_refuses_a_missing_named_file",
        &[("GATEHOUSE_CONFIG", &dir.path().join("nope.toml"))],
    );
    let xdg = dir.path().join("xdg");
    write(&xdg, "gatehouse/config.toml", "[keys]\nquit = \"Q\"\n");
    run_child(
        "child_load_reads_xdg_config_home",
        &[("XDG_CONFIG_HOME", &xdg)],
    );
}

/// True in the child process [`run_child`] starts; the `child_*` tests do nothing elsewhere
/// (e.g. under `cargo test -- --ignored`).
fn in_child() -> bool {
    std::env::var_os("GATEHOUSE_TEST_CHILD").is_some()
}

#[test]
#[ignore = "run by gatehouse_config_names_the_file_load_reads, with GATEHOUSE_CONFIG set"]
fn child_load_reads_the_named_file() {
    if !in_child() {
        return;
    }
    let named = PathBuf::from(std::env::var_os("GATEHOUSE_CONFIG").expect("set by the parent"));
    assert_eq!(config::path(), Some(named));
    let m = keymap(&config::load().expect("loads"));
    assert_eq!(m.action_for(key('q')), None);
    assert_eq!(m.action_for(key('Q')), Some(Action::Quit));
}

#[test]
#[ignore = "run by gatehouse_config_names_the_file_load_reads, with GATEHOUSE_CONFIG set"]
fn child_load_refuses_a_missing_named_file() {
    if !in_child() {
        return;
    }
    let e = config::load().expect_err("a named file must exist");
    assert!(matches!(e, ConfigError::Missing { .. }), "{e:?}");
    assert!(e.to_string().contains("nope.toml"), "{e}");
    assert!(e.to_string().contains("GATEHOUSE_CONFIG"), "{e}");
}

#[test]
#[ignore = "run by gatehouse_config_names_the_file_load_reads, with XDG_CONFIG_HOME set"]
fn child_load_reads_xdg_config_home() {
    if !in_child() {
        return;
    }
    let xdg = PathBuf::from(std::env::var_os("XDG_CONFIG_HOME").expect("set by the parent"));
    assert_eq!(
        config::path(),
        Some(xdg.join("gatehouse").join("config.toml"))
    );
    let m = keymap(&config::load().expect("loads"));
    assert_eq!(m.action_for(key('Q')), Some(Action::Quit));
}
