//! The log of the real `gatehouse serve` (docs/OPERATING.md): every 401 and 403 is one `info`
//! line naming the route template and the key's public prefix (never the secret, never more of
//! a guessed key); other requests log at `debug` only; `--log-format json` writes one JSON
//! object a line with the request's id, method and route; `RUST_LOG` still sets the level.

use crate::serve_process::{Server, gatehouse, key_for, ok, raw_request};

use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// Inits a store in `home` and returns its `--db` arguments' path text.
fn init(home: &Path) -> String {
    let db = home.join("gatehouse.db");
    let db = db.to_str().expect("utf-8 path").to_string();
    ok(
        gatehouse(home)
            .args(["--db", &db, "init", "--admin", "root"])
            .output()
            .expect("run init"),
        "init",
    );
    db
}

/// A read-only key for `user`.
fn read_only_key(home: &Path, db: &str, user: &str) -> String {
    let out = ok(
        gatehouse(home)
            .args([
                "--db",
                db,
                "keys",
                "create",
                user,
                "--read-only",
                "-o",
                "json",
            ])
            .output()
            .expect("run keys create"),
        "keys create --read-only",
    );
    let v: Value = serde_json::from_str(&out).expect("json");
    v["secret"].as_str().expect("secret").to_string()
}

/// Reads the server's lines until `done` holds for them (at most 15 s).
fn lines_until(server: &Server, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done(&lines) {
        let left = deadline.saturating_duration_since(Instant::now());
        match server.log.recv_timeout(left) {
            Ok(line) => lines.push(line),
            Err(_) => panic!("the expected lines did not come: {lines:#?}"),
        }
    }
    lines
}

#[test]
fn serve_logs_each_refusal_at_info_with_its_route_and_other_requests_at_debug_only() {
    let home = tempfile::tempdir().expect("tempdir");
    let db = init(home.path());
    let store = ["--db", db.as_str()];
    let key = key_for(home.path(), &store, "root");
    let server = Server::start(home.path(), &store);
    let bearer = format!("Authorization: Bearer {key}");
    for i in 0..3 {
        let body = format!("{{\"name\": \"role {i}\"}}");
        let json = "Content-Type: application/json";
        assert_eq!(
            raw_request(
                &server.url,
                "POST",
                "/api/v1/roles",
                &[&bearer, json],
                &body
            ),
            201
        );
        assert_eq!(
            raw_request(&server.url, "GET", "/api/v1/roles", &[&bearer], ""),
            200
        );
    }
    for i in 0..10 {
        let guess = format!("Authorization: Bearer ghk_guessing{i:04}xxxxxxxxxxxx");
        assert_eq!(
            raw_request(&server.url, "GET", "/api/v1/roles", &[&guess], ""),
            401
        );
    }
    for _ in 0..3 {
        assert_eq!(raw_request(&server.url, "GET", "/api/v1/me", &[], ""), 401);
    }
    let refused = |lines: &[String], key: &str| {
        lines
            .iter()
            .filter(|l| l.contains("request refused") && l.contains(&format!("key=\"{key}\"")))
            .count()
    };
    let lines = lines_until(&server, |l| {
        refused(l, "ghk_guessing") >= 10 && refused(l, "(none)") >= 3
    });
    assert_eq!(
        refused(&lines, "ghk_guessing"),
        10,
        "one line each: {lines:#?}"
    );
    for l in lines.iter().filter(|l| l.contains("request refused")) {
        assert!(l.contains(" INFO "), "{l}");
        assert!(l.contains("status=401"), "{l}");
        assert!(l.contains("request_id="), "{l}");
        if l.contains("ghk_guessing") {
            assert!(l.contains("route=\"/api/v1/roles\""), "{l}");
            assert!(l.contains("reason=\"invalid_key\""), "{l}");
        } else {
            assert!(l.contains("route=\"/api/v1/me\""), "{l}");
            assert!(l.contains("reason=\"missing_key\""), "{l}");
        }
    }
    let logged = server.stop();
    let every: Vec<&String> = lines.iter().chain(logged.iter()).collect();
    assert!(
        every.iter().all(|l| !l.contains("guessing0001x")),
        "the log names the prefix, never more of the key"
    );
    assert!(
        every.iter().all(|l| !l.contains(&key[12..])),
        "never the secret"
    );
    assert!(
        every
            .iter()
            .all(|l| !(l.contains("status=200") || l.contains("status=201"))),
        "a served request is not an info line: {every:#?}"
    );
}

/// The lines that parse as JSON objects; panics on any other line after start.
fn json_lines(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn serve_log_format_json_has_the_request_id_route_and_key_of_every_refusal() {
    let home = tempfile::tempdir().expect("tempdir");
    let db = init(home.path());
    let store = ["--db", db.as_str()];
    let ro = read_only_key(home.path(), &db, "root");
    let server = Server::start_with(home.path(), &store, &["--log-format", "json"]);
    let guess = "Authorization: Bearer ghk_guessing0001xxxxxxxxxxxx";
    let id = "X-Request-Id: trace-401-a";
    assert_eq!(
        raw_request(&server.url, "GET", "/api/v1/roles/abc", &[guess, id], ""),
        401
    );
    let ro_bearer = format!("Authorization: Bearer {ro}");
    let json = "Content-Type: application/json";
    assert_eq!(
        raw_request(
            &server.url,
            "POST",
            "/api/v1/roles",
            &[&ro_bearer, json],
            "{\"name\": \"x\"}"
        ),
        403
    );
    let refusals = |lines: &[String]| {
        json_lines(lines)
            .into_iter()
            .filter(|v| v["message"] == "request refused")
            .collect::<Vec<_>>()
    };
    let lines = lines_until(&server, |l| refusals(l).len() >= 2);
    let r = refusals(&lines);
    let (a, b) = (&r[0], &r[1]);
    assert_eq!(a["level"], "INFO", "{a}");
    assert_eq!(a["status"], 401, "{a}");
    assert_eq!(a["reason"], "invalid_key", "{a}");
    assert_eq!(a["key"], "ghk_guessing", "{a}");
    assert_eq!(a["span"]["request_id"], "trace-401-a", "{a}");
    assert_eq!(a["span"]["route"], "/api/v1/roles/{id}", "{a}");
    assert_eq!(a["span"]["method"], "GET", "{a}");
    assert_eq!(b["status"], 403, "{b}");
    assert_eq!(b["reason"], "read_only", "{b}");
    assert_eq!(b["key"], ro[..12], "the key's public prefix: {b}");
    assert!(
        b["key_id"]
            .as_str()
            .is_some_and(|k| uuid::Uuid::parse_str(k).is_ok()),
        "{b}"
    );
    assert_eq!(b["span"]["route"], "/api/v1/roles", "{b}");
    assert!(
        b["span"]["request_id"]
            .as_str()
            .is_some_and(|k| uuid::Uuid::parse_str(k).is_ok()),
        "a made id: {b}"
    );
    let logged = server.stop();
    json_lines(&logged);
    for l in lines.iter().chain(logged.iter()) {
        assert!(
            !l.contains(&ro[12..]) && !l.contains("guessing0001x"),
            "{l}"
        );
    }
}

#[test]
fn serve_keeps_rust_log_which_can_turn_on_the_access_line_of_every_request() {
    let home = tempfile::tempdir().expect("tempdir");
    let db = init(home.path());
    let store = ["--db", db.as_str()];
    let mut cmd = gatehouse(home.path());
    cmd.args(store)
        .env("RUST_LOG", "info,gatehouse::access=debug");
    let server = Server::spawn_with(cmd, &["--log-format", "json"]).expect("spawn serve");
    let id = "X-Request-Id: probe-42";
    assert_eq!(
        raw_request(&server.url, "GET", "/api/v1/healthz", &[id], ""),
        200
    );
    let access = |lines: &[String]| {
        json_lines(lines)
            .into_iter()
            .find(|v| v["span"]["request_id"] == "probe-42" && v["message"] == "request")
    };
    let lines = lines_until(&server, |l| access(l).is_some());
    let a = access(&lines).expect("the access line");
    assert_eq!(a["level"], "DEBUG", "{a}");
    assert_eq!(a["status"], 200, "{a}");
    assert_eq!(a["span"]["route"], "/api/v1/healthz", "{a}");
    assert!(a["ms"].as_f64().is_some(), "{a}");
    json_lines(&server.stop());
}
