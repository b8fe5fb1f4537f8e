//! Listings (issue 21, item 1): `gatehouse permissions ls -o json` on 50k permissions, on the
//! store file and over `--remote`, as the real binary. Run: `cargo bench --bench listing`
//! (`GATEHOUSE_BENCH_LISTING_N` sets the size, default 50000).

// Benchmarks may unwrap, expect and panic (the crate's [lints] deny them in the product).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod figures;
#[path = "parts/listing.rs"]
mod part;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let n = std::env::var("GATEHOUSE_BENCH_LISTING_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50_000);
    let rows = part::run(&rt, n);
    figures::print_table("listings (issue 21)", &rows);
}
