//! Profiles of the config file (docs/PRODUCT.md §1.3), end to end through the binary: `default_profile`
//! and `--profile` pick the store, `read_only` refuses writes, flags override the profile, and
//! a broken or unknown profile is a clear usage error (exit 2) naming the file and line.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

fn run(dir: &Path, config: &str, args: &[&str]) -> Output {
    let file = dir.join("config.toml");
    std::fs::write(&file, config).expect("write config");
    Command::new(BIN)
        .env_remove("GATEHOUSE_DB")
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env_remove("GATEHOUSE_PROFILE")
        .env_remove("GATEHOUSE_API_KEY")
        .env("GATEHOUSE_CONFIG", &file)
        .env("HOME", dir.join("home"))
        .env("XDG_DATA_HOME", dir.join("xdg"))
        .env("USER", "tester")
        .args(args)
        .output()
        .expect("gatehouse runs")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn the_default_profile_picks_the_store_and_read_only_refuses_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.db");
    let b = dir.path().join("b.db");
    let config = format!(
        "default_profile = \"a\"\n[profiles.a]\ndb = \"{}\"\n[profiles.b]\ndb = \"{}\"\nread_only = true\n",
        a.display(),
        b.display()
    );
    let o = run(dir.path(), &config, &["init", "--admin", "root"]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(a.exists() && !b.exists(), "init went to profile a's store");
    let o = run(dir.path(), &config, &["roles", "create", "ops"]);
    assert!(o.status.success(), "{:?}", text(&o));
    // --profile b: its own store, read-only.
    let o = run(
        dir.path(),
        &config,
        &[
            "--db",
            b.to_str().expect("utf-8"),
            "init",
            "--admin",
            "root",
        ],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let o = run(
        dir.path(),
        &config,
        &["--profile", "b", "roles", "create", "ops"],
    );
    assert_eq!(
        o.status.code(),
        Some(5),
        "a read-only profile wrote: {:?}",
        text(&o)
    );
    let (_, err) = text(&o);
    assert!(err.contains("read-only"), "{err}");
    // --db overrides the profile's store.
    let c = dir.path().join("c.db");
    let o = run(
        dir.path(),
        &config,
        &[
            "--db",
            c.to_str().expect("utf-8"),
            "init",
            "--admin",
            "root",
        ],
    );
    assert!(o.status.success() && c.exists(), "{:?}", text(&o));
    let o = run(dir.path(), &config, &["-o", "json", "roles", "ls"]);
    let (out, _) = text(&o);
    assert!(
        out.contains("\"ops\""),
        "profile a still holds the role: {out}"
    );
}

#[test]
fn unknown_and_broken_profiles_are_usage_errors_naming_the_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = run(
        dir.path(),
        "[profiles.a]\ndb = \"/tmp/x.db\"\n",
        &["--profile", "zz", "status"],
    );
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    let (_, err) = text(&o);
    assert!(
        err.contains("no profile 'zz'") && err.contains("profiles: a"),
        "{err}"
    );

    let o = run(
        dir.path(),
        "\n[profiles.prod]\nurl = \"https://authz.example\"\ndb = \"/x.db\"\n",
        &["status"],
    );
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    let (_, err) = text(&o);
    assert!(err.contains("config.toml:2:1: profile 'prod'"), "{err}");

    let o = run(
        dir.path(),
        "default_profile = \"prod\"\n[profiles.prod]\nurl = \"http://127.0.0.1:9\"\napi_key_env = \"GATEHOUSE_TEST_UNSET_KEY_VAR\"\n",
        &["status"],
    );
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    let (_, err) = text(&o);
    assert!(err.contains("GATEHOUSE_TEST_UNSET_KEY_VAR"), "{err}");
}

#[test]
fn a_clear_key_in_a_file_others_can_read_is_warned_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = "default_profile = \"prod\"\n[profiles.prod]\nurl = \"http://127.0.0.1:9\"\napi_key = \"ghk_plain\"\n";
    let file = dir.path().join("config.toml");
    std::fs::write(&file, config).expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let o = run(dir.path(), config, &["status"]);
    let (_, err) = text(&o);
    assert!(
        err.contains("keeps its API key in clear") && err.contains("chmod 600"),
        "{err}"
    );
    // Unreachable server (port 9, discard): exit 6, the URL named.
    assert_eq!(o.status.code(), Some(6), "{err}");
    assert!(err.contains("127.0.0.1:9"), "{err}");
    // 0600: no warning.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let o = Command::new(BIN)
        .env("GATEHOUSE_CONFIG", &file)
        .env_remove("GATEHOUSE_API_KEY")
        .arg("status")
        .output()
        .expect("runs");
    let (_, err) = text(&o);
    assert!(!err.contains("in clear"), "{err}");
}
