//! gatehouse against casbin-rs in one run, on the same machine (PRODUCT.md §5): one RBAC-with-deny
//! policy at 1k, 100k and 1M permission rules loaded into both, the same random checks asked of
//! both, every answer compared (see `parts/compare.rs` for the policy and casbin's model).
//!
//! Run: `cargo bench --bench compare` (`GATEHOUSE_BENCH_SIZES=1000,100000` to skip 1M).

// Benchmarks may unwrap, expect and panic (the crate's [lints] deny them in the product).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod figures;
#[path = "parts/compare.rs"]
mod part;

use gatehouse::catalog::Catalogs;

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::var("GATEHOUSE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 100_000, 1_000_000]);
    let catalogs = Catalogs::builtin().expect("catalogs");
    let rows = part::run(&catalogs, &sizes).await;
    figures::print_table("gatehouse against casbin-rs", &rows);
}
