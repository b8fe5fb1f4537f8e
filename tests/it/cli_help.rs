//! Issue 21 item 4: the CLI's comforts — global flags under their own help heading, an
//! EXAMPLES section whose every line parses, `gatehouse man`, `-v`/`--log-file`/`RUST_LOG`,
//! `import` telling JSON from TOML (and never echoing the input on an error).

use crate::cli_support::Env;
use clap::{CommandFactory, Parser};
use gatehouse::cli::Cli;
use std::io::Write;
use std::process::Stdio;

#[test]
fn the_command_line_definition_is_consistent() {
    // clap's own checks: no two flags share a name or a short letter (test's old -v did).
    Cli::command().debug_assert();
}

/// The words of an example line, up to a pipe, redirection, `&&` or `#` comment.
fn example_words(line: &str) -> Vec<String> {
    let line = line.split(" #").next().unwrap_or(line);
    let line = line.split(" |").next().unwrap_or(line);
    let line = line.split(" >").next().unwrap_or(line);
    let line = line.split(" &&").next().unwrap_or(line);
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.trim().chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<(String, String)>) {
    if let Some(help) = cmd.get_after_help() {
        out.push((path.to_string(), help.to_string()));
    }
    for sub in cmd.get_subcommands() {
        walk(sub, &format!("{path} {}", sub.get_name()), out);
    }
}

#[test]
fn every_example_parses_and_the_main_commands_have_examples() {
    let mut helps = Vec::new();
    walk(&Cli::command(), "gatehouse", &mut helps);
    let with_examples: Vec<&str> = helps
        .iter()
        .filter(|(_, h)| h.contains("Examples:"))
        .map(|(p, _)| p.as_str())
        .collect();
    for main in [
        "gatehouse",
        "gatehouse init",
        "gatehouse roles",
        "gatehouse users",
        "gatehouse teams",
        "gatehouse permissions",
        "gatehouse check",
        "gatehouse who-can",
        "gatehouse what-can",
        "gatehouse import",
        "gatehouse export",
        "gatehouse serve",
        "gatehouse keys",
    ] {
        assert!(
            with_examples.contains(&main),
            "{main} has no Examples section"
        );
    }
    let mut checked = 0;
    for (path, help) in &helps {
        for line in help
            .lines()
            .filter(|l| l.trim_start().starts_with("gatehouse"))
        {
            // Each command of a `a && b` line parses.
            for part in line
                .split("&&")
                .filter(|p| p.trim_start().starts_with("gatehouse"))
            {
                let words = example_words(part);
                if let Err(e) = Cli::try_parse_from(&words) {
                    panic!("an example of `{path}` does not parse: {line}\n{e}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} example lines found");
}

#[test]
fn global_flags_are_under_their_own_heading() {
    let e = Env::new();
    let o = e
        .cmd()
        .args(["roles", "assign", "--help"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let help = String::from_utf8_lossy(&o.stdout);
    let global = help
        .find("Global options:")
        .expect("a Global options heading");
    let own = help.find("Options:").expect("the command's own options");
    assert!(own < global, "{help}");
    let (mine, globals) = help.split_at(global);
    for flag in [
        "--db",
        "--remote",
        "--output",
        "--verbose",
        "--log-file",
        "--as",
    ] {
        assert!(
            globals.contains(flag),
            "{flag} not under Global options:\n{help}"
        );
        assert!(
            !mine.contains(flag),
            "{flag} mixed into the command's own options:\n{help}"
        );
    }
    assert!(mine.contains("--for"), "{help}");
}

#[test]
fn man_prints_the_page_and_writes_one_per_command_without_a_store() {
    let e = Env::new();
    let o = e.cmd().arg("--db").arg(&e.db).arg("man").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(page.contains(".TH gatehouse 1"), "{page}");
    assert!(page.contains("GLOBAL OPTIONS"), "{page}");
    assert!(page.contains("Examples:"), "{page}");
    assert!(page.contains("who\\-can"), "the commands are listed");
    let dir = e.dir.path().join("man1");
    let o = e.cmd().args(["man", "--dir"]).arg(&dir).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for page in [
        "gatehouse.1",
        "gatehouse-roles.1",
        "gatehouse-roles-assign.1",
        "gatehouse-serve.1",
    ] {
        let text =
            std::fs::read_to_string(dir.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page}");
    }
    let roles = std::fs::read_to_string(dir.join("gatehouse-roles.1")).unwrap();
    assert!(
        roles.contains("roles assign\\-team Viewer ops"),
        "the examples are in the page"
    );
    assert!(!e.db.exists(), "man opened no store");
}

#[test]
fn verbose_logs_go_to_stderr_or_the_log_file_and_rust_log_decides_the_level() {
    let e = Env::init();
    // No -v: warnings only, nothing on stderr for a plain listing.
    let o = e
        .cmd()
        .arg("--db")
        .arg(&e.db)
        .args(["users", "ls"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // -vv: debug lines on stderr, stdout unchanged.
    let o = e
        .cmd()
        .arg("--db")
        .arg(&e.db)
        .args(["-vv", "users", "ls"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("opened the backend"), "{err}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("root"));
    // --log-file: the same lines there (appended), none on stderr; the file is private.
    let log = e.dir.path().join("logs").join("gatehouse.log");
    for _ in 0..2 {
        let o = e
            .cmd()
            .arg("--db")
            .arg(&e.db)
            .args(["-vv", "--log-file"])
            .arg(&log)
            .args(["users", "ls"])
            .output()
            .unwrap();
        assert!(o.status.success());
        assert!(
            o.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        text.matches("opened the backend").count(),
        2,
        "appended:\n{text}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // RUST_LOG decides the level outside `serve` too.
    let o = e
        .cmd()
        .env("RUST_LOG", "gatehouse=debug")
        .arg("--db")
        .arg(&e.db)
        .args(["users", "ls"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("opened the backend"));
    // A malformed RUST_LOG is a usage error naming it.
    let o = e
        .cmd()
        .env("RUST_LOG", "gatehouse=loud")
        .arg("--db")
        .arg(&e.db)
        .args(["users", "ls"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("RUST_LOG"));
}

fn import_stdin(e: &Env, input: &str, extra: &[&str]) -> std::process::Output {
    let mut child = e
        .cmd()
        .arg("--db")
        .arg(&e.db)
        .args(["import", "-"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn import_tells_json_from_toml_and_never_echoes_the_input() {
    let src = Env::init();
    src.ok(&["roles", "create", "Detected"]);
    let json = src.ok(&["export", "--format", "json"]);
    let toml = src.ok(&["export", "--format", "toml"]);
    for (text, kind) in [(&json, "json"), (&toml, "toml")] {
        let e = Env::init();
        let o = import_stdin(&e, text, &[]);
        assert!(
            o.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(e.ok(&["roles", "ls"]).contains("Detected"), "{kind}");
    }
    // A file with another extension: told apart by its text too.
    let e = Env::init();
    let file = e.dir.path().join("policy.txt");
    std::fs::write(&file, &json).unwrap();
    e.ok(&["import", file.to_str().unwrap()]);
    assert!(e.ok(&["roles", "ls"]).contains("Detected"));
    // A broken document: where and what, not the text (a one-line document, a secret).
    let secret = "s3cr3t-token-that-must-not-be-echoed";
    let broken = format!("roles = [ {{ name = \"x\", description = \"{secret}\" }} ] ]]] {secret}");
    let e = Env::init();
    let before = e.export();
    let o = import_stdin(&e, &broken, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("TOML parse error at line 1, column"), "{err}");
    assert!(!err.contains(secret), "the input was echoed: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(e.export(), before, "nothing written");
}
