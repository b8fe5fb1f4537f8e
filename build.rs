//! Puts the commit into `gatehouse --version`: `GATEHOUSE_VERSION` = `0.1.0 (abc123def456)`,
//! with `-dirty` when tracked files differ from the commit. The commit is
//! `git rev-parse --short=12 HEAD`; without git or outside a checkout (a Docker build without
//! `.git`) it is `$GATEHOUSE_COMMIT`, else `unknown`.
//!
//! Reruns only when the checked-out commit can have changed (HEAD, the branch it points to,
//! packed refs, the index) or `$GATEHOUSE_COMMIT` changes, so an edit-build loop never runs
//! git. The `-dirty` mark is therefore as of the last commit, checkout or `git add`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(["--no-optional-locks"])
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The files whose change can mean another commit or another dirty state.
fn watched(git_dir: &Path, common_dir: &Path) -> Vec<PathBuf> {
    let head = git_dir.join("HEAD");
    let mut files = vec![
        head.clone(),
        git_dir.join("index"),
        common_dir.join("packed-refs"),
    ];
    if let Ok(text) = std::fs::read_to_string(&head)
        && let Some(name) = text.trim().strip_prefix("ref: ")
    {
        files.push(common_dir.join(name));
    }
    files
}

fn main() {
    println!("cargo:rerun-if-env-changed=GATEHOUSE_COMMIT");
    let from_git = git(&["rev-parse", "--short=12", "HEAD"]).filter(|c| !c.is_empty());
    let commit = match from_git {
        Some(commit) => {
            let dirs = git(&["rev-parse", "--path-format=absolute", "--git-dir"]).zip(git(&[
                "rev-parse",
                "--path-format=absolute",
                "--git-common-dir",
            ]));
            if let Some((git_dir, common_dir)) = dirs {
                // Only files that exist: cargo reruns on every build for a missing one (a ref
                // packed away later deletes its file, which reruns this once, as it should).
                let files = watched(Path::new(&git_dir), Path::new(&common_dir));
                for f in files.into_iter().filter(|f| f.exists()) {
                    println!("cargo:rerun-if-changed={}", f.display());
                }
            }
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{commit}-dirty")
            } else {
                commit
            }
        }
        None => {
            // Not a checkout: only the variable can change the answer.
            println!("cargo:rerun-if-changed=build.rs");
            std::env::var("GATEHOUSE_COMMIT")
                .ok()
                .map(|c| c.trim().to_string())
                .filter(|c| {
                    !c.is_empty() && c.len() <= 64 && c.bytes().all(|b| b.is_ascii_graphic())
                })
                .unwrap_or_else(|| "unknown".to_string())
        }
    };
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    println!("cargo:rustc-env=GATEHOUSE_VERSION={version} ({commit})");
}
