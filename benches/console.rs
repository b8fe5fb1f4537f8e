//! Console benchmarks (PRODUCT.md §5): the first frame with 100,000 users in the local SQLite store
//! (warm and cold load cache, by phase), key press → drawn frame while scrolling and filtering
//! the 100k-row Users list at 80x24 and 120x40, and the bytes written to the terminal per
//! one-row move (see `parts/console.rs`). Run: `cargo bench --bench console`.

// Benchmarks may unwrap, expect and panic (the crate's [lints] deny them in the product).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod console_common;
mod figures;
#[path = "parts/console.rs"]
mod part;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let rows = part::run(&rt);
    figures::print_table("console against PRODUCT.md §5", &rows);
}
