//! The binary in a pipeline: a reader that goes away ends a listing quietly (status 141, as a
//! process killed by SIGPIPE), without a panic message.

#[test]
fn a_closed_pipe_ends_the_listing_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let bin = env!("CARGO_BIN_EXE_gatehouse");
    let ok = std::process::Command::new(bin)
        .arg("--db")
        .arg(&db)
        .args(["init"])
        .output()
        .unwrap();
    assert!(ok.status.success());
    let ok = std::process::Command::new(bin)
        .arg("--db")
        .arg(&db)
        .args(["defaults", "apply", "mage"])
        .output()
        .unwrap();
    assert!(ok.status.success());
    // A reader that stops after one line, like `| head -1`.
    let mut child = std::process::Command::new(bin)
        .arg("--db")
        .arg(&db)
        .args(["permissions", "ls"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    std::io::Read::read_exact(&mut out, &mut first).unwrap();
    drop(out);
    let done = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&done.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(done.status.code(), Some(141), "{err}");
}

#[test]
fn a_full_disk_behind_stdout_is_an_error_not_a_panic() {
    let full = std::path::Path::new("/dev/full");
    if !full.exists() {
        eprintln!(
            "\n*** SKIPPED a_full_disk_behind_stdout_is_an_error_not_a_panic: no /dev/full ***\n"
        );
        assert!(std::env::var("CI").is_err(), "CI must have /dev/full");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let bin = env!("CARGO_BIN_EXE_gatehouse");
    let ok = std::process::Command::new(bin)
        .arg("--db")
        .arg(&db)
        .args(["init"])
        .output()
        .unwrap();
    assert!(ok.status.success());
    let ok = std::process::Command::new(bin)
        .arg("--db")
        .arg(&db)
        .args(["defaults", "apply", "mage"])
        .output()
        .unwrap();
    assert!(ok.status.success());
    let done = std::process::Command::new(bin)
        .arg("--db")
        .arg(&db)
        .args(["permissions", "ls"])
        .stdout(std::fs::File::create(full).unwrap())
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&done.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("error: cannot write to standard output"),
        "{err}"
    );
    assert_eq!(done.status.code(), Some(6), "{err}");
}
