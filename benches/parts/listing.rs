//! Listings (issue 21, item 1): `gatehouse permissions ls -o json` on a store of many
//! permissions, run as the real binary (its output read whole through a pipe), on the store
//! file and over `--remote` against a `gatehouse serve` server in this process. Also the
//! server's own `GET /api/v1/state` for the same store, so the client's share is visible.
//! Targets: ≤ 0.3 s locally and ≤ 1 s over --remote at 50k permissions.

use crate::figures::{Figure, dur, thousands};
use gatehouse::backend::Backend;
use gatehouse::backend::PolicyDoc;
use gatehouse::backend::document::{DocPermission, DocRole};
use gatehouse::connect::LocalBackend;
use gatehouse::server::ServerConfig;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LOCAL_S: f64 = 0.3;
const REMOTE_S: f64 = 1.0;
const RUNS: usize = 3;

/// `n` permissions on one entity UUID each, spread over 100 roles (each linked once), and
/// one direct grant per 10 permissions to the owner.
fn doc(n: usize) -> PolicyDoc {
    let permissions: Vec<DocPermission> = (0..n)
        .map(|i| DocPermission {
            key: format!("p{i}"),
            catalog: "mage".into(),
            entity: ["Pipeline", "Block", "Secret", "File"][i % 4].into(),
            entity_uuid: Some(format!("object-{i}")),
            grants: vec!["DETAIL".into(), "UPDATE".into()],
            denies: vec![],
            conditions: vec![],
            query_attributes: vec![],
            read_attributes: vec![],
            write_attributes: vec![],
            description: String::new(),
            entity_type: None,
            scope: None,
        })
        .collect();
    let roles = (0..100)
        .map(|r| DocRole {
            id: None,
            name: format!("bulk-{r}"),
            description: String::new(),
            permissions: (r..n).step_by(100).map(|i| format!("p{i}")).collect(),
        })
        .collect();
    PolicyDoc {
        permissions,
        roles,
        ..Default::default()
    }
}

/// The median time of `RUNS` runs of the binary with `args` (and `env`), and its output size.
fn time_binary(args: &[&str], env: &[(&str, &str)]) -> (Duration, usize) {
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        cmd.args(args).stdin(Stdio::null()).stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run gatehouse");
        times.push(t.elapsed());
        assert!(
            out.status.success(),
            "gatehouse {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        bytes = out.stdout.len();
    }
    times.sort_unstable();
    (times[RUNS / 2], bytes)
}

/// `permissions ls -o json` on `n` permissions, on the store file and over --remote.
pub fn run(rt: &tokio::runtime::Runtime, n: usize) -> Vec<Figure> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("listing.db");
    let db = path.to_str().expect("utf-8 path");
    let t = Instant::now();
    let (service, key) = rt.block_on(async {
        let mut b = LocalBackend::open(&path, None, false).await.expect("open");
        b.init_and_adopt("bench").await.expect("init");
        b.import(doc(n), false).await.expect("import");
        let owner = b.actor().user.expect("the owner");
        let key = b.create_key(owner, true, None).await.expect("key").secret;
        (b.service().clone(), key)
    });
    println!(
        "store of {n} permissions made in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let label = thousands(n);
    let (local, bytes) = time_binary(&["--db", db, "permissions", "ls", "-o", "json"], &[]);
    println!(
        "permissions ls -o json, {label} permissions, store file: median of {RUNS} {} ({:.1} MiB)",
        dur(local),
        bytes as f64 / 1048576.0
    );
    let server = rt
        .block_on(gatehouse::server::spawn(
            service,
            &ServerConfig::default(),
            "127.0.0.1:0".parse().expect("addr"),
        ))
        .expect("server");
    let url = server.url();
    let state_took = rt.block_on(async {
        let client = reqwest::Client::new();
        let t = Instant::now();
        let res = client
            .get(format!("{url}/api/v1/state"))
            .bearer_auth(&key)
            .send()
            .await
            .expect("GET /state");
        let body = res.bytes().await.expect("body");
        assert!(body.len() > n, "the state of {n} permissions");
        t.elapsed()
    });
    let (remote, _) = time_binary(
        &["--remote", &url, "permissions", "ls", "-o", "json"],
        &[("GATEHOUSE_API_KEY", &key)],
    );
    println!(
        "permissions ls -o json, {label} permissions, --remote: median of {RUNS} {} (the server's GET /state alone: {})",
        dur(remote),
        dur(state_took)
    );
    rt.block_on(server.shutdown()).expect("shutdown");
    vec![
        Figure::new(
            format!("permissions ls -o json, {label} permissions, local"),
            dur(local),
            "≤ 0.3 s (issue 21)",
            local.as_secs_f64() <= LOCAL_S,
        ),
        Figure::new(
            format!("permissions ls -o json, {label} permissions, --remote"),
            dur(remote),
            "≤ 1 s (issue 21)",
            remote.as_secs_f64() <= REMOTE_S,
        )
        .beside(format!("server GET /state {}", dur(state_took))),
    ]
}
