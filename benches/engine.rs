//! Engine benchmarks (SPEC §5): `decide` and `explain` at 1k, 100k and 1M permissions. First a
//! table of per-check p50/p99 over 200,000 individually timed random checks per size, then
//! criterion's own measurements. Run: `cargo bench --bench engine`.

mod common;

use common::{SIZES, percentile, requests, world};
use criterion::Criterion;
use gatehouse::catalog::Catalogs;
use gatehouse::engine::Engine;
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let catalogs = Catalogs::builtin().expect("catalogs");
    let mut engines = Vec::new();
    let mut p50s = Vec::new();
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
        let state = world(size, &catalogs);
        let t = Instant::now();
        let engine = Engine::build(&state, &catalogs);
        let build = t.elapsed();
        drop(state);
        let reqs = requests(size, &catalogs, 200_000);
        let mut decide_ns: Vec<u128> = Vec::with_capacity(reqs.len());
        let mut allowed = 0usize;
        for r in &reqs {
            let t = Instant::now();
            let d = black_box(engine.decide(black_box(r)));
            decide_ns.push(t.elapsed().as_nanos());
            allowed += d.allowed as usize;
        }
        let mut explain_ns: Vec<u128> = Vec::with_capacity(20_000);
        for r in reqs.iter().take(20_000) {
            let t = Instant::now();
            black_box(engine.explain(black_box(r)));
            explain_ns.push(t.elapsed().as_nanos());
        }
        decide_ns.sort_unstable();
        explain_ns.sort_unstable();
        let us = |ns: u128| format!("{:.2} µs", ns as f64 / 1000.0);
        println!(
            "{:>10} {:>8} {:>6} {:>6} | {:>9.0} {:>12} {:>12} | {:>12} {:>12} | {:.1}%",
            size.permissions,
            size.users,
            size.teams,
            size.roles,
            build.as_secs_f64() * 1000.0,
            us(percentile(&decide_ns, 50.0)),
            us(percentile(&decide_ns, 99.0)),
            us(percentile(&explain_ns, 50.0)),
            us(percentile(&explain_ns, 99.0)),
            allowed as f64 * 100.0 / reqs.len() as f64
        );
        p50s.push((
            size,
            percentile(&decide_ns, 50.0),
            percentile(&decide_ns, 99.0),
        ));
        engines.push((size, engine, reqs));
    }
    let base = p50s
        .iter()
        .find(|(s, _, _)| s.users == 100_000 && s.permissions == 1_000);
    let top = p50s
        .iter()
        .find(|(s, _, _)| s.users == 100_000 && s.permissions == 1_000_000);
    if let (Some(b), Some(t)) = (base, top) {
        println!(
            "1M vs 1k permissions (same 100k users / 1k teams / 1k roles): p50 ×{:.2}, p99 ×{:.2}",
            t.1 as f64 / b.1.max(1) as f64,
            t.2 as f64 / b.2.max(1) as f64
        );
    }
    let mut c = Criterion::default().configure_from_args().sample_size(20);
    for (size, engine, reqs) in &engines {
        let mut i = 0usize;
        let label = format!("{}perms-{}users", size.permissions, size.users);
        c.bench_function(&format!("decide/{label}"), |b| {
            b.iter(|| {
                i = (i + 1) % reqs.len();
                black_box(engine.decide(&reqs[i]))
            })
        });
        c.bench_function(&format!("explain/{label}"), |b| {
            b.iter(|| {
                i = (i + 1) % reqs.len();
                black_box(engine.explain(&reqs[i]))
            })
        });
    }
    c.final_summary();
}
