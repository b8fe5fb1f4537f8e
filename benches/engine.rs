//! Engine benchmarks (PRODUCT.md §5): `decide` and `explain` at 1k, 100k and 1M permissions. First a
//! table of per-check p50/p99 over 200,000 individually timed random checks per size, then
//! criterion's own measurements. Run: `cargo bench --bench engine`.

// Benchmarks may unwrap, expect and panic (the crate's [lints] deny them in the product).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod figures;
#[path = "parts/engine.rs"]
mod part;

use criterion::Criterion;
use gatehouse::catalog::Catalogs;
use std::hint::black_box;

fn main() {
    let catalogs = Catalogs::builtin().expect("catalogs");
    let (built, rows) = part::run(&catalogs, 200_000, true);
    figures::print_table("embedded engine against PRODUCT.md §5", &rows);
    let mut c = Criterion::default().configure_from_args().sample_size(20);
    for b in &built {
        let mut i = 0usize;
        let label = format!("{}perms-{}users", b.size.permissions, b.size.users);
        c.bench_function(&format!("decide/{label}"), |bench| {
            bench.iter(|| {
                i = (i + 1) % b.reqs.len();
                black_box(b.engine.decide(&b.reqs[i]))
            })
        });
        c.bench_function(&format!("explain/{label}"), |bench| {
            bench.iter(|| {
                i = (i + 1) % b.reqs.len();
                black_box(b.engine.explain(&b.reqs[i]))
            })
        });
    }
    c.final_summary();
}
