//! The CLI refuses to send an API key over plain http:// to a host that is not loopback,
//! from `--remote` or a profile's URL, unless `--insecure-http` is given: exit 2, an invalid
//! `--remote`, before any key is asked for or anything is sent. No network: a refused URL is
//! never contacted, and the allowed ones point at a closed port on this machine (0.0.0.0 is
//! not a loopback address, yet connecting to it reaches this machine).

use crate::cli_support::Env;
use std::process::Output;

/// A local port nobody listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `gatehouse ARGS status` with an API key in the environment (or none).
fn run(e: &Env, key: Option<&str>, args: &[&str]) -> Output {
    let mut c = e.cmd();
    c.env_remove("GATEHOUSE_API_KEY");
    if let Some(k) = key {
        c.env("GATEHOUSE_API_KEY", k);
    }
    c.args(args)
        .arg("status")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run gatehouse")
}

fn assert_refused(o: &Output, what: &str) {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{what}: {err}");
    assert!(err.contains("--remote"), "{what}: names the field: {err}");
    assert!(err.contains("https://"), "{what}: says to use https: {err}");
    assert!(
        err.contains("--insecure-http"),
        "{what}: names the flag: {err}"
    );
}

#[test]
fn a_key_over_plain_http_to_another_host_is_refused_before_anything_is_sent() {
    let e = Env::new();
    let o = run(
        &e,
        Some("ghk_unused"),
        &["--remote", "http://example.org:8080"],
    );
    assert_refused(&o, "example.org");
    // The password in the URL stays masked.
    let o = run(
        &e,
        Some("ghk_unused"),
        &["--remote", "http://bob:s3cretPW@example.org:8080"],
    );
    assert_refused(&o, "a URL with a password");
    assert!(!text(&o.stderr).contains("s3cretPW"), "{}", text(&o.stderr));
    // Refused before the key is looked for: no key at all gets the same answer.
    let o = run(&e, None, &["--remote", "http://example.org"]);
    assert_refused(&o, "no key");
    assert!(
        !text(&o.stderr).contains("GATEHOUSE_API_KEY"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn insecure_http_loopback_and_https_are_let_through() {
    let e = Env::new();
    let port = closed_port();
    let unspecified = format!("http://0.0.0.0:{port}");
    assert_refused(
        &run(&e, Some("ghk_unused"), &["--remote", &unspecified]),
        "0.0.0.0",
    );
    // Each of these goes as far as connecting: nobody listens, exit 6 (unreachable).
    let through = [
        vec!["--insecure-http", "--remote", unspecified.as_str()],
        vec!["--remote", &format!("https://0.0.0.0:{port}")],
        vec!["--remote", &format!("http://127.0.0.1:{port}")],
        vec!["--remote", &format!("http://127.1.2.3:{port}")],
        vec!["--remote", &format!("http://localhost:{port}")],
        vec!["--remote", &format!("http://[::1]:{port}")],
    ]
    .map(|v| v.into_iter().map(str::to_string).collect::<Vec<_>>());
    for args in through {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&e, Some("ghk_unused"), &args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(6), "{args:?}: {err}");
        assert!(!err.contains("--insecure-http"), "{args:?}: {err}");
    }
}

#[test]
fn a_profile_url_over_plain_http_to_another_host_is_refused_too() {
    let e = Env::new();
    let port = closed_port();
    let config = e.dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default_profile = \"prod\"\n[profiles.prod]\nurl = \"http://0.0.0.0:{port}\"\n\
             api_key_env = \"GATEHOUSE_TEST_PLAIN_KEY\"\n"
        ),
    )
    .expect("write config");
    let mut c = e.cmd();
    c.env("GATEHOUSE_CONFIG", &config)
        .env("GATEHOUSE_TEST_PLAIN_KEY", "ghk_unused")
        .arg("status");
    let o = c.output().expect("run");
    assert_refused(&o, "profile");
    let o = e
        .cmd()
        .env("GATEHOUSE_CONFIG", &config)
        .env("GATEHOUSE_TEST_PLAIN_KEY", "ghk_unused")
        .args(["--insecure-http", "status"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(6), "{}", text(&o.stderr));
}

#[test]
fn the_library_refuses_with_a_typed_error_and_allows_on_request() {
    use gatehouse::backend::Error;
    use gatehouse::connect::{HttpBackend, PlainHttp};
    let e = HttpBackend::new("http://authz.example.org", "ghk_x").expect_err("refused");
    assert!(
        matches!(&e, Error::Invalid { field, .. } if field == "--remote"),
        "{e:?}"
    );
    assert_eq!(e.exit_code(), 2);
    assert!(HttpBackend::check_url("http://authz.example.org", PlainHttp::LoopbackOnly).is_err());
    for ok in [
        "https://authz.example.org",
        "http://127.0.0.1:7420",
        "http://localhost:7420",
        "http://[::1]:7420",
    ] {
        HttpBackend::new(ok, "ghk_x").unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    HttpBackend::new_with("http://authz.example.org", "ghk_x", PlainHttp::Allowed)
        .expect("allowed with --insecure-http");
    // A name under .localhost may be resolved through DNS: not trusted as loopback.
    for refused in ["http://api.localhost:7420", "http://localhost.example.org"] {
        assert!(
            HttpBackend::new(refused, "ghk_x").is_err(),
            "{refused} was taken for loopback"
        );
    }
}

/// A listener that records everything sent to it (a proxy or a server that answers `answer`).
fn recorder(answer: &'static str) -> (u16, std::sync::mpsc::Receiver<String>) {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            let mut conn = conn;
            let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut buf = [0u8; 4096];
            let n = conn.read(&mut buf).unwrap_or(0);
            let _ = tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = conn.write_all(answer.as_bytes());
        }
    });
    (port, rx)
}

#[test]
fn plain_http_never_goes_through_a_proxy_that_would_read_the_key() {
    let e = Env::new();
    let (proxy, seen) = recorder("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
    let target = closed_port();
    for var in ["http_proxy", "HTTP_PROXY", "ALL_PROXY"] {
        let mut c = e.cmd();
        c.env("GATEHOUSE_API_KEY", "ghk_secret_must_not_travel")
            .env(var, format!("http://127.0.0.1:{proxy}"))
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .args(["--remote", &format!("http://127.0.0.1:{target}"), "status"])
            .stdin(std::process::Stdio::null());
        let o = c.output().expect("run");
        assert_eq!(o.status.code(), Some(6), "{var}: {}", text(&o.stderr));
        let got = seen.recv_timeout(std::time::Duration::from_millis(300));
        assert!(got.is_err(), "{var}: the proxy received {got:?}");
    }
}

#[test]
fn a_redirect_is_never_followed_with_the_key() {
    let e = Env::new();
    // The redirect's target: any request reaching it is a key sent where it was not meant.
    let (elsewhere, reached) = recorder("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}");
    let answer: &'static str = Box::leak(
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:{elsewhere}/api/v1/me\r\ncontent-length: 0\r\n\r\n"
        )
        .into_boxed_str(),
    );
    let (server, _) = recorder(answer);
    let mut c = e.cmd();
    c.env("GATEHOUSE_API_KEY", "ghk_secret_must_not_travel")
        .args(["--remote", &format!("http://127.0.0.1:{server}"), "status"])
        .stdin(std::process::Stdio::null());
    let o = c.output().expect("run");
    assert_ne!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let got = reached.recv_timeout(std::time::Duration::from_millis(300));
    assert!(got.is_err(), "the redirect was followed: {got:?}");
}

#[test]
fn a_mage_login_over_plain_http_to_another_host_is_refused_before_anything_is_sent() {
    let e = Env::init();
    let mage = |args: &[&str]| {
        let mut c = e.cmd();
        c.env("GATEHOUSE_MAGE_PASSWORD", "pw-must-not-travel")
            .env("GATEHOUSE_MAGE_USER", "admin@example.org")
            .arg("--db")
            .arg(&e.db)
            .args(args)
            .stdin(std::process::Stdio::null());
        c.output().expect("run")
    };
    for (args, flag) in [
        (
            vec!["--mage", "http://mage.example.org:6789", "roles", "ls"],
            "--mage",
        ),
        (
            vec!["--mage", "http://mage.example.org:6789", "logout"],
            "--mage",
        ),
        (
            vec![
                "import",
                "--from-mage",
                "http://mage.example.org:6789",
                "--dry-run",
            ],
            "--from-mage",
        ),
    ] {
        let o = mage(&args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(err.contains("--insecure-http"), "{args:?}: {err}");
        assert!(!err.contains("pw-must-not-travel"), "{args:?}: {err}");
    }
    // Loopback, https and --insecure-http go on to connect (a closed port: exit 6).
    let port = closed_port();
    for args in [
        vec![
            "--mage".to_string(),
            format!("http://127.0.0.1:{port}"),
            "roles".into(),
            "ls".into(),
        ],
        vec![
            "--insecure-http".to_string(),
            "--mage".into(),
            format!("http://0.0.0.0:{port}"),
            "roles".into(),
            "ls".into(),
        ],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = mage(&args);
        assert_eq!(o.status.code(), Some(6), "{args:?}: {}", text(&o.stderr));
    }
}
