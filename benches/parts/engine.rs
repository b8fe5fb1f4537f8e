//! The embedded engine at PRODUCT.md §5's population: `decide` and `explain` p50/p99 over individually
//! timed random checks at 1k, 100k and 1M permissions, and how 1M compares with 1k.

use crate::common::{SIZES, Size, percentile, requests, world};
use crate::figures::{Figure, ns, thousands};
use gatehouse::catalog::Catalogs;
use gatehouse::engine::{Engine, Request};
use std::hint::black_box;
use std::time::Instant;

/// An engine kept for further runs (criterion's), with its requests.
#[allow(dead_code)] // read by the engine bench's criterion runs; the suite keeps none
pub struct Built {
    pub size: Size,
    pub engine: Engine,
    pub reqs: Vec<Request>,
}

/// Measures every size of [`SIZES`] with `checks` decides (a tenth as many explains) each;
/// prints a table as it goes; keeps the engines when `keep`.
pub fn run(catalogs: &Catalogs, checks: usize, keep: bool) -> (Vec<Built>, Vec<Figure>) {
    let mut built = Vec::new();
    let mut figures = Vec::new();
    let mut p: Vec<(Size, u128, u128)> = Vec::new();
    println!(
        "{:>10} {:>8} {:>6} {:>6} | {:>9} {:>12} {:>12} | {:>12} {:>12} | allowed",
        "perms",
        "users",
        "teams",
        "roles",
        "build ms",
        "decide p50",
        "decide p99",
        "explain p50",
        "explain p99"
    );
    for size in SIZES {
        let state = world(size, catalogs);
        let t = Instant::now();
        let engine = Engine::build(&state, catalogs);
        let build = t.elapsed();
        drop(state);
        let reqs = requests(size, catalogs, checks);
        let mut decide_ns: Vec<u128> = Vec::with_capacity(reqs.len());
        let mut allowed = 0usize;
        for r in &reqs {
            let t = Instant::now();
            let d = black_box(engine.decide(black_box(r)));
            decide_ns.push(t.elapsed().as_nanos());
            allowed += d.allowed as usize;
        }
        let mut explain_ns: Vec<u128> = Vec::with_capacity(checks / 10);
        for r in reqs.iter().take(checks / 10) {
            let t = Instant::now();
            black_box(engine.explain(black_box(r)));
            explain_ns.push(t.elapsed().as_nanos());
        }
        decide_ns.sort_unstable();
        explain_ns.sort_unstable();
        let (d50, d99) = (percentile(&decide_ns, 50.0), percentile(&decide_ns, 99.0));
        let (e50, e99) = (percentile(&explain_ns, 50.0), percentile(&explain_ns, 99.0));
        println!(
            "{:>10} {:>8} {:>6} {:>6} | {:>9.0} {:>12} {:>12} | {:>12} {:>12} | {:.1}%",
            size.permissions,
            size.users,
            size.teams,
            size.roles,
            build.as_secs_f64() * 1000.0,
            ns(d50),
            ns(d99),
            ns(e50),
            ns(e99),
            allowed as f64 * 100.0 / reqs.len().max(1) as f64
        );
        if size.users == 100_000 {
            let label = format!(
                "embedded decide, {} permissions (p50 / p99)",
                thousands(size.permissions)
            );
            figures.push(Figure::new(
                label,
                format!("{} / {}", ns(d50), ns(d99)),
                "p50 ≤ 5 µs, p99 ≤ 50 µs",
                d50 <= 5_000 && d99 <= 50_000,
            ));
            figures.push(
                Figure::info(
                    format!(
                        "embedded explain, {} permissions (p50 / p99)",
                        thousands(size.permissions)
                    ),
                    format!("{} / {}", ns(e50), ns(e99)),
                )
                .beside(format!(
                    "index built in {:.0} ms",
                    build.as_secs_f64() * 1e3
                )),
            );
        }
        p.push((size, d50, d99));
        if keep {
            built.push(Built { size, engine, reqs });
        }
    }
    let at = |perms: usize| {
        p.iter()
            .find(|(s, _, _)| s.users == 100_000 && s.permissions == perms)
    };
    if let (Some(b), Some(t)) = (at(1_000), at(1_000_000)) {
        let (r50, r99) = (
            t.1 as f64 / b.1.max(1) as f64,
            t.2 as f64 / b.2.max(1) as f64,
        );
        println!(
            "1M vs 1k permissions (same 100k users / 1k teams / 1k roles): p50 ×{r50:.2}, p99 ×{r99:.2}"
        );
        figures.push(
            Figure::new(
                "embedded decide, 1M vs 1k permissions (p50 / p99)",
                format!("×{r50:.2} / ×{r99:.2}"),
                "within 2×",
                r50 <= 2.0 && r99 <= 2.0,
            )
            .beside(format!("1k: {} / {}", ns(b.1), ns(b.2))),
        );
    }
    (built, figures)
}
