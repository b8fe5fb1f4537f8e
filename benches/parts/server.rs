//! Server benchmark (PRODUCT.md §5): checks per second and p50/p99 latency over loopback at
//! concurrency 32 (single checks), and the latency of a batch of 100, against a server in this
//! process on a temp SQLite store holding the `mage` preset and a few thousand users with its
//! roles. The clients run in the same process, so they share the machine's cores with the
//! server. Prints figures next to the targets; asserts nothing about time.
//! With `GATEHOUSE_TEST_DATABASE_URL` set, the same run follows on a PostgreSQL store (in a
//! schema of its own, dropped afterwards), so the two stores are measured side by side.

use crate::figures::Figure;
use gatehouse::backend::Backend;
use gatehouse::backend::PolicyDoc;
use gatehouse::backend::document::DocUser;
use gatehouse::catalog::Catalogs;
use gatehouse::connect::LocalBackend;
use gatehouse::server::ServerConfig;
use gatehouse::service::{Actor, Service};
use gatehouse::store::{PgStore, SqliteStore, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const USERS: usize = 3_000;
const CONCURRENCY: usize = 32;
const BATCH: usize = 100;
const ACTIONS: [&str; 4] = ["LIST", "DETAIL", "CREATE", "UPDATE"];
const ENTITIES: [&str; 4] = ["Pipeline", "Block", "User", "Role"];

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn request(rng: &mut StdRng) -> Value {
    json!({
        "user": format!("user{}", rng.random_range(0..USERS)),
        "catalog": "mage",
        "action": ACTIONS[rng.random_range(0..ACTIONS.len())],
        "entity": ENTITIES[rng.random_range(0..ENTITIES.len())],
    })
}

async fn setup(store: Arc<dyn Store>) -> (Arc<Service>, String) {
    let catalogs = Arc::new(Catalogs::builtin().expect("catalogs"));
    let service = Arc::new(Service::open(store, catalogs).await.expect("open"));
    service.init("admin").await.expect("init");
    let snap = service.snapshot();
    let admin = snap.state.user_by_name("admin").expect("admin").clone();
    let local = LocalBackend::new(service.clone(), Actor::user(&admin, false), "bench");
    let report = local.apply_preset("mage", false).await.expect("preset");
    let roles = report.created_roles.clone();
    let doc = PolicyDoc {
        users: (0..USERS)
            .map(|i| DocUser {
                id: None,
                username: format!("user{i}"),
                email: String::new(),
                display_name: String::new(),
                kind: Default::default(),
                disabled: false,
                owner: false,
                roles: vec![roles[i % roles.len()].clone()],
                role_ends: Default::default(),
                first_name: String::new(),
                last_name: String::new(),
            })
            .collect(),
        ..Default::default()
    };
    local.import(doc, false).await.expect("users");
    let key = local
        .create_key(admin.id, true, None)
        .await
        .expect("key")
        .secret;
    (service, key)
}

/// Request bodies made up front, so the clients spend as little of the shared CPU as they can.
fn bodies(seed: u64, n: usize) -> Vec<axum::body::Bytes> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| axum::body::Bytes::from(request(&mut rng).to_string()))
        .collect()
}

async fn singles(url: &str, key: &str, secs: u64) -> (usize, Duration, Vec<u64>, usize) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..CONCURRENCY {
        let client = client.clone();
        let url = format!("{url}/api/v1/check");
        let auth = format!("Bearer {key}");
        tasks.push(tokio::spawn(async move {
            let bodies = bodies(t as u64, 512);
            let mut lat = Vec::new();
            let mut errors = 0;
            let mut i = 0;
            while Instant::now() < deadline {
                let body = bodies[i % bodies.len()].clone();
                i += 1;
                let t0 = Instant::now();
                let sent = client
                    .post(&url)
                    .header("authorization", &auth)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                let ok = match sent {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                };
                lat.push(t0.elapsed().as_micros() as u64);
                if !ok {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.expect("task");
        all.extend(lat);
        errors += e;
    }
    let elapsed = start.elapsed();
    all.sort_unstable();
    (all.len(), elapsed, all, errors)
}

async fn batches(url: &str, key: &str, n: usize) -> (Vec<u64>, usize) {
    let client = reqwest::Client::new();
    let url = format!("{url}/api/v1/check");
    let mut rng = StdRng::seed_from_u64(99);
    let mut lat = Vec::new();
    let mut errors = 0;
    for _ in 0..n {
        let reqs: Vec<Value> = (0..BATCH).map(|_| request(&mut rng)).collect();
        let body = json!({ "requests": reqs });
        let t0 = Instant::now();
        let ok = match client.post(&url).bearer_auth(key).json(&body).send().await {
            Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
            _ => false,
        };
        lat.push(t0.elapsed().as_micros() as u64);
        if !ok {
            errors += 1;
        }
    }
    lat.sort_unstable();
    (lat, errors)
}

/// Measures the SQLite store, then (with `GATEHOUSE_TEST_DATABASE_URL`) the PostgreSQL store,
/// `secs` seconds of single checks each; rows are SQLite's with PostgreSQL's figure beside.
pub async fn run(secs: u64) -> Vec<Figure> {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = SqliteStore::open(&dir.path().join("bench.db"))
        .await
        .expect("store");
    let mut rows = measure("SQLite", Arc::new(sqlite), secs).await;
    if let Ok(url) = std::env::var("GATEHOUSE_TEST_DATABASE_URL") {
        let schema = format!("gh_bench_{}", uuid::Uuid::now_v7().simple());
        let pg = PgStore::open_in_schema(&url, &schema)
            .await
            .expect("PostgreSQL store");
        let pg_rows = measure("PostgreSQL", Arc::new(pg), secs).await;
        for (row, pg) in rows.iter_mut().zip(pg_rows) {
            row.beside = format!("PostgreSQL {}", pg.value);
            row.met = row.met.zip(pg.met).map(|(a, b)| a && b);
        }
        use sqlx::Connection;
        if let Ok(mut c) = sqlx::PgConnection::connect(&url).await {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .execute(&mut c)
                .await;
        }
    } else {
        println!("(PostgreSQL: set GATEHOUSE_TEST_DATABASE_URL to measure it too)");
        for row in &mut rows {
            row.beside = "PostgreSQL not measured (GATEHOUSE_TEST_DATABASE_URL unset)".into();
        }
    }
    rows
}

async fn measure(label: &str, store: Arc<dyn Store>, secs: u64) -> Vec<Figure> {
    {
        let t0 = Instant::now();
        let (service, key) = setup(store).await;
        let s = service.snapshot();
        println!(
            "server bench ({label}): {} users, {} roles, {} permissions (mage preset + {USERS} users), set up in {:.1?}",
            s.state.users.len(),
            s.state.roles.len(),
            s.state.permissions.len(),
            t0.elapsed()
        );
        drop(s);
        let server = gatehouse::server::spawn(
            service.clone(),
            &ServerConfig::default(),
            "127.0.0.1:0".parse().expect("addr"),
        )
        .await
        .expect("server");
        let url = server.url();
        // Warm up connections and caches.
        let _ = singles(&url, &key, 1).await;
        let (n, elapsed, lat, errors) = singles(&url, &key, secs).await;
        let rate = n as f64 / elapsed.as_secs_f64();
        let (p50, p99) = (percentile(&lat, 0.50), percentile(&lat, 0.99));
        println!("single checks, concurrency {CONCURRENCY}, {secs} s: {n} checks, {errors} errors");
        println!(
            "  throughput {rate:>9.0} checks/s   target >= 20,000/s   {}",
            if rate >= 20_000.0 { "MET" } else { "NOT MET" }
        );
        println!(
            "  latency p50 {:>6.3} ms  p99 {:>6.3} ms   target p99 <= 2 ms   {}",
            p50 as f64 / 1000.0,
            p99 as f64 / 1000.0,
            if p99 <= 2_000 { "MET" } else { "NOT MET" }
        );
        let (blat, berrors) = batches(&url, &key, 300).await;
        let (b50, b99) = (percentile(&blat, 0.50), percentile(&blat, 0.99));
        println!(
            "batch of {BATCH}, one client, {} batches, {berrors} errors",
            blat.len()
        );
        println!(
            "  latency p50 {:>6.3} ms  p99 {:>6.3} ms   target <= 5 ms   {}",
            b50 as f64 / 1000.0,
            b99 as f64 / 1000.0,
            if b99 <= 5_000 {
                "MET (p99)"
            } else if b50 <= 5_000 {
                "MET (p50 only)"
            } else {
                "NOT MET"
            }
        );
        println!(
            "  ({:.0} checks/s through batches)",
            (BATCH * blat.len()) as f64 / (blat.iter().sum::<u64>() as f64 / 1e6)
        );
        println!(
            "note: {} cores shared by the 32 clients (reqwest) and the server (axum) in one process",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
        server.shutdown().await.expect("shutdown");
        vec![
            Figure::new(
                format!("server checks/s over loopback, concurrency {CONCURRENCY}, {label}"),
                format!("{rate:.0}/s"),
                "≥ 20,000 checks/s",
                rate >= 20_000.0,
            ),
            Figure::new(
                format!("server check latency p99, concurrency {CONCURRENCY}, {label}"),
                format!("{:.2} ms", p99 as f64 / 1000.0),
                "p99 ≤ 2 ms",
                p99 <= 2_000,
            ),
            Figure::new(
                format!("server batch of {BATCH} checks p99, {label}"),
                format!("{:.2} ms", b99 as f64 / 1000.0),
                "≤ 5 ms",
                b99 <= 5_000,
            ),
        ]
    }
}
