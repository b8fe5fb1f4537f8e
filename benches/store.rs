//! Store benchmarks (PRODUCT.md §5): "Create default roles and permissions" (the `mage` preset) on an
//! empty SQLite store, and importing 100,000 permissions (also 1,000,000 with
//! `GATEHOUSE_BENCH_1M=1`) followed by the resident memory of a console process opened on the
//! result (a child process: see `parts/store.rs`). Run: `cargo bench --bench store`.

// Benchmarks may unwrap, expect and panic (the crate's [lints] deny them in the product).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod console_common;
mod figures;
#[path = "parts/store.rs"]
mod part;

fn main() {
    part::child_main();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut rows = vec![part::preset(&rt, 10)];
    let mut sizes = vec![100_000usize];
    if std::env::var("GATEHOUSE_BENCH_1M").is_ok_and(|v| v == "1") {
        sizes.push(1_000_000);
    }
    for n in sizes {
        rows.extend(part::import(&rt, n));
    }
    figures::print_table("embedded store against PRODUCT.md §5", &rows);
}
