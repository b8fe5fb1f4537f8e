//! The CLI unchanged against a server: `gatehouse --remote URL …` with `GATEHOUSE_API_KEY`,
//! against a real server in this process.

use crate::support;

use gatehouse::server::ServerConfig;
use serde_json::Value;
use std::process::{Command, Output};
use support::{Fixture, bounded, start};

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

async fn run(f: &Fixture, key: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(BIN);
    c.env_remove("GATEHOUSE_API_KEY")
        .env_remove("GATEHOUSE_DB")
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env("HOME", f.dir.path())
        .env("XDG_DATA_HOME", f.dir.path().join("xdg"))
        .env("NO_COLOR", "1")
        .arg("--remote")
        .arg(&f.url)
        .args(args)
        .stdin(std::process::Stdio::null());
    if let Some(k) = key {
        c.env("GATEHOUSE_API_KEY", k);
    }
    tokio::task::spawn_blocking(move || c.output().expect("run gatehouse"))
        .await
        .expect("join")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_commands_run_against_a_server() {
    bounded(120, async {
        let f = start(ServerConfig::default()).await;
        let key = Some(f.admin_key.as_str());
        let o = run(&f, key, &["roles", "create", "remote-role", "-o", "json"]).await;
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert!(
            f.service
                .snapshot()
                .state
                .role_by_name("remote-role")
                .is_some()
        );
        let o = run(&f, key, &["roles", "ls", "-o", "json"]).await;
        assert!(o.status.success(), "{}", text(&o.stderr));
        let v: Value = serde_json::from_slice(&o.stdout).expect("json");
        assert!(v.to_string().contains("remote-role"), "{v}");
        let o = run(&f, key, &["status", "-o", "json"]).await;
        assert!(o.status.success(), "{}", text(&o.stderr));
        let v: Value = serde_json::from_slice(&o.stdout).expect("json");
        assert_eq!(v["store"], Value::String(f.url.clone()));
        assert_eq!(v["acting_as"]["username"], "admin");
        // Exit codes travel: a denied check is 1, a viewer's write is 5, a bad key is 5.
        let o = run(&f, key, &["check", "viewer", "LIST", "Pipeline"]).await;
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
        let o = run(&f, key, &["check", "admin", "LIST", "Pipeline"]).await;
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let o = run(&f, Some(&f.viewer_key), &["roles", "create", "nope"]).await;
        assert_eq!(o.status.code(), Some(5), "{}", text(&o.stderr));
        assert!(text(&o.stderr).contains("Insufficient permissions"));
        let o = run(&f, Some("ghk_wrong"), &["roles", "ls"]).await;
        assert_eq!(o.status.code(), Some(5), "{}", text(&o.stderr));
        assert!(text(&o.stderr).contains("Invalid API key"));
        // An invalid field keeps its name across the trip.
        let o = run(&f, key, &["roles", "create", " padded "]).await;
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains("invalid name"),
            "{}",
            text(&o.stderr)
        );
        // No key and no terminal: a clear usage error.
        let o = run(&f, None, &["roles", "ls"]).await;
        assert_eq!(o.status.code(), Some(2));
        assert!(
            text(&o.stderr).contains("GATEHOUSE_API_KEY"),
            "{}",
            text(&o.stderr)
        );
        // init is for the server host; --as is for a local store.
        let o = run(&f, key, &["init"]).await;
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        let o = run(&f, key, &["--as", "viewer", "roles", "ls"]).await;
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        // The console's non-terminal summary works remotely too.
        let o = run(&f, key, &["-o", "json"]).await;
        assert!(o.status.success(), "{}", text(&o.stderr));
        // A server that is not there: exit 6 naming the URL.
        let url = f.url.clone();
        f.server.shutdown().await.expect("shutdown");
        let mut c = Command::new(BIN);
        c.env("GATEHOUSE_API_KEY", "ghk_x")
            .args(["--remote", &url, "roles", "ls"])
            .stdin(std::process::Stdio::null());
        let o = tokio::task::spawn_blocking(move || c.output().expect("run"))
            .await
            .expect("join");
        assert_eq!(o.status.code(), Some(6));
        assert!(text(&o.stderr).contains(&url), "{}", text(&o.stderr));
    })
    .await;
}
