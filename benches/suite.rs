//! Every PRODUCT.md §5 figure in one run on one machine, side by side (issue 6):
//! - the embedded engine's decide/explain p50/p99 at 1k, 100k and 1M permissions (PRODUCT.md §5
//!   population: 100k users, 1k teams, 1k roles);
//! - casbin-rs on an equivalent RBAC-with-deny policy of the same sizes, with the ratio;
//! - server checks/s, p99 and a batch of 100 over loopback at concurrency 32, SQLite and (with
//!   `GATEHOUSE_TEST_DATABASE_URL`) PostgreSQL;
//! - the `mage` preset applied to an empty store, the import of 1M permissions and the resident
//!   memory of a console process opened on them;
//! - `permissions ls -o json` on 50k permissions, on the store file and over `--remote`;
//! - the console's first frame and key → frame time at 100k users, and the bytes written per
//!   one-row move.
//!
//! Each part prints its detailed table as it runs; one summary table closes the run.
//! Run: `GATEHOUSE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench suite`
//! (`GATEHOUSE_BENCH_SECS` sets the server's run length, default 5; the suite takes a few
//! minutes, the 1M import and the 1M casbin load being the longest parts).

// Benchmarks may unwrap, expect and panic (the crate's [lints] deny them in the product).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod console_common;
mod figures;
#[path = "parts/compare.rs"]
mod part_compare;
#[path = "parts/console.rs"]
mod part_console;
#[path = "parts/engine.rs"]
mod part_engine;
#[path = "parts/listing.rs"]
mod part_listing;
#[path = "parts/server.rs"]
mod part_server;
#[path = "parts/store.rs"]
mod part_store;

use figures::{Figure, print_table};
use gatehouse::catalog::Catalogs;
use std::time::Instant;

fn heading(title: &str) {
    println!();
    println!("######## {title}");
}

fn main() {
    part_store::child_main();
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "gatehouse {} bench suite: {} cores, load average {}",
        env!("CARGO_PKG_VERSION"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let catalogs = Catalogs::builtin().expect("catalogs");
    let mut rows: Vec<Figure> = Vec::new();

    heading("embedded engine (PRODUCT.md §5 population)");
    rows.extend(part_engine::run(&catalogs, 200_000, false).1);

    heading("gatehouse against casbin-rs, same RBAC-with-deny policy");
    rows.extend(rt.block_on(part_compare::run(&catalogs, &[1_000, 100_000, 1_000_000])));

    heading("server over loopback");
    let secs: u64 = std::env::var("GATEHOUSE_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    rows.extend(rt.block_on(part_server::run(secs)));

    heading("listings: permissions ls -o json, local and --remote");
    rows.extend(part_listing::run(&rt, 50_000));

    heading("embedded store: mage preset, import of 1M permissions, console memory");
    rows.push(part_store::preset(&rt, 5));
    rows.extend(part_store::import(&rt, 1_000_000));

    heading("console at 100k users");
    rows.extend(part_console::run(&rt));

    print_table(
        &format!(
            "gatehouse against PRODUCT.md §5, one run ({:.0} s)",
            started.elapsed().as_secs_f64()
        ),
        &rows,
    );
}
