//! Server benchmark (PRODUCT.md §5): checks per second and p50/p99 latency over loopback at
//! concurrency 32, and a batch of 100, on the SQLite store and (with
//! `GATEHOUSE_TEST_DATABASE_URL`) the PostgreSQL store, side by side (see `parts/server.rs`).
//! Run: `cargo bench --bench server` (`GATEHOUSE_BENCH_SECS` sets the run length, default 5).

// Benchmarks may unwrap, expect and panic (the crate's [lints] deny them in the product).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod figures;
#[path = "parts/server.rs"]
mod part;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let secs: u64 = std::env::var("GATEHOUSE_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let rows = rt.block_on(part::run(secs));
    figures::print_table("server over loopback against PRODUCT.md §5", &rows);
}
