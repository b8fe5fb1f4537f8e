//! Crash safety (docs/PRODUCT.md §6): a child process commits thousands of writes and says which ones
//! were acknowledged; it is killed with SIGKILL at random moments. After every kill the store
//! opens, every acknowledged write is there, and no write is half applied.
//!
//! Each write is one commit of three changes — a role, a permission and the link between
//! them — plus an update of a counter role every tenth write, so a half-applied commit would
//! show as a role without its permission, a permission without its role, or a link missing.
//!
//! The child is this very test binary, started again with `GATEHOUSE_CRASH_CHILD` naming the
//! store (`sqlite:PATH` or `postgres:URL`; the `child_writer` test does the writing only then).
//! The PostgreSQL run is ignored ("needs PostgreSQL"): `--include-ignored` with
//! `GATEHOUSE_TEST_DATABASE_URL` set runs it.

use crate::support;
use crate::support::build;

use gatehouse::model::{Id, Permission, Role, now};
use gatehouse::policy::{Change, Link, Object};
use gatehouse::store::{PgStore, SqliteStore, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "GATEHOUSE_CRASH_CHILD";
const ROUNDS: usize = 6;

fn role(n: u64) -> Role {
    build::role(
        Id::from_u128(0x1000_0000 + n as u128),
        &format!("crash-role-{n}"),
        now(),
    )
}

fn permission(n: u64) -> Permission {
    Permission {
        entity_uuid: Some(format!("p{n}")),
        grants: build::flags(&["DETAIL"]),
        ..build::permission(
            Id::from_u128(0x2000_0000 + n as u128),
            "mage",
            "Pipeline",
            now(),
        )
    }
}

/// The counter role: its description holds the number of the last write that updated it.
const COUNTER: u128 = 0x3000_0000;

/// Writes 1.. until killed, printing `ack N` after each commit returns.
async fn write_forever(store: &dyn Store, start: u64) {
    let out = std::io::stdout();
    let mut n = start;
    loop {
        n += 1;
        let mut changes = vec![
            Change::Create(Object::Role(role(n))),
            Change::Create(Object::Permission(permission(n))),
            Change::Link(Link::RolePermission {
                role: role(n).id,
                permission: permission(n).id,
            }),
        ];
        if n.is_multiple_of(10) {
            let s = store.load().await.expect("load");
            let cur = s.roles[&Id::from_u128(COUNTER)].clone();
            let mut next = cur.clone();
            next.description = n.to_string();
            next.version = cur.version + 1;
            changes.push(Change::Update {
                object: Object::Role(next),
                expected_version: cur.version,
            });
        }
        store
            .commit("crash-writer", &changes)
            .await
            .expect("commit");
        let mut o = out.lock();
        let _ = writeln!(o, "ack {n}");
        let _ = o.flush();
    }
}

/// Runs only as the child: writes into the store named by `GATEHOUSE_CRASH_CHILD`.
#[tokio::test]
async fn child_writer() {
    let Ok(target) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = open(&target).await;
    let s = store.load().await.expect("load");
    let start = s.roles.len().saturating_sub(1) as u64;
    write_forever(&*store, start).await;
}

/// Opens `sqlite:PATH` or `postgres:URL`.
async fn open(target: &str) -> Box<dyn Store> {
    match target.split_once(':') {
        Some(("sqlite", path)) => Box::new(
            SqliteStore::open(std::path::Path::new(path))
                .await
                .expect("open SQLite"),
        ),
        Some(("postgres", url)) => Box::new(PgStore::open(url).await.expect("open PostgreSQL")),
        _ => panic!("bad {CHILD_ENV}: {target}"),
    }
}

/// Checks the invariants and returns the number of writes present.
async fn verify(store: &dyn Store, acked: u64) -> u64 {
    let s = store.load().await.expect("the store opens after a kill");
    let mut present = 0;
    for n in 1.. {
        let r = s.roles.contains_key(&role(n).id);
        let p = s.permissions.contains_key(&permission(n).id);
        let l = s.role_permissions.contains(&(role(n).id, permission(n).id));
        assert_eq!(
            (r, p, l),
            (r, r, r),
            "write {n} is half applied: role {r}, permission {p}, link {l}"
        );
        if !r {
            break;
        }
        present = n;
    }
    assert!(
        present >= acked,
        "write {acked} was acknowledged but only {present} are in the store"
    );
    assert!(present <= acked + 1, "at most the write in flight is extra");
    // Nothing beyond the first gap either.
    let extra = (present + 1..present + 50).any(|n| s.roles.contains_key(&role(n).id));
    assert!(!extra, "writes after a missing one");
    let counter = &s.roles[&Id::from_u128(COUNTER)];
    let last_tenth = present / 10 * 10;
    assert_eq!(
        counter.description,
        last_tenth.to_string(),
        "the counter update commits with its write"
    );
    assert_eq!(
        s.revision,
        store.revision().await.expect("revision"),
        "load and revision agree"
    );
    assert_eq!(s.roles.len() as u64, present + 1);
    present
}

#[tokio::test]
async fn sqlite_keeps_every_acknowledged_write_across_sigkill() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("crash.db");
    kill_and_check(&format!("sqlite:{}", path.display()), "SQLite").await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_keeps_every_acknowledged_write_across_sigkill() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let Some(guard) = support::pg::fresh() else {
        return;
    };
    let db = guard.db();
    kill_and_check(&format!("postgres:{db}"), "PostgreSQL").await;
}

async fn kill_and_check(target: &str, name: &str) {
    {
        let store = open(target).await;
        store
            .commit(
                "setup",
                &[Change::Create(Object::Role(Role {
                    description: "0".into(),
                    ..build::role(Id::from_u128(COUNTER), "crash-counter", now())
                }))],
            )
            .await
            .expect("counter");
    }
    let mut rng = StdRng::seed_from_u64(
        std::env::var("GATEHOUSE_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(42),
    );
    let exe = std::env::current_exe().expect("test binary");
    let mut acked_total = 0u64;
    let mut kills = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args([
                "crash_safety::child_writer",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, target)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the writer");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        // Kill after a random number of acknowledged writes (hundreds per round).
        let stop_after = rng.random_range(150..900u64);
        let mut acked = acked_total;
        let started = Instant::now();
        while let Some(Ok(line)) = lines.next() {
            if let Some(n) = line.strip_prefix("ack ") {
                acked = n.trim().parse().expect("ack number");
                if acked >= acked_total + stop_after {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "round {round}: the writer stalled"
            );
        }
        // A random pause so the kill lands anywhere inside a commit.
        std::thread::sleep(Duration::from_micros(rng.random_range(0..3_000)));
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        kills += 1;
        // Anything the child printed after our last read was acknowledged too.
        for line in lines.map_while(Result::ok) {
            if let Some(n) = line.strip_prefix("ack ") {
                acked = acked.max(n.trim().parse().unwrap_or(0));
            }
        }
        let store = open(target).await;
        let present = verify(&*store, acked).await;
        acked_total = present;
    }
    assert_eq!(kills, ROUNDS);
    assert!(
        acked_total >= 900,
        "thousands of writes in all: {acked_total}"
    );
    eprintln!(
        "crash safety ({name}): {kills} SIGKILLs, {acked_total} writes, all acknowledged ones kept"
    );
}
