//! `gatehouse completions SHELL` (issue 21, item 4): a completion script for each shell clap
//! knows, naming the commands and their options, printed without opening (or creating) a
//! store; an unknown shell is a usage error.

use crate::cli_support::Env;

#[test]
fn every_shell_gets_a_script_naming_the_commands_and_no_store_is_made() {
    let e = Env::new();
    for (shell, marker) in [
        ("bash", "_gatehouse()"),
        ("zsh", "#compdef gatehouse"),
        ("fish", "complete -c gatehouse"),
        ("elvish", "edit:completion:arg-completer[gatehouse]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = e.cmd().args(["completions", shell]).output().expect("run");
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(marker),
            "{shell}: {}",
            &text[..text.len().min(200)]
        );
        for word in ["prune-expired", "assign", "dry-run", "expires"] {
            assert!(text.contains(word), "{shell} lacks {word}");
        }
    }
    // With --db naming a store that does not exist: still nothing created.
    let out = e.run(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!e.db.exists(), "completions never open a store");
    assert!(!e.dir.path().join("xdg").exists(), "nor the default one");
    let bad = e.cmd().args(["completions", "tcsh"]).output().expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("possible values"));
}
