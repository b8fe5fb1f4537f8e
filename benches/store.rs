//! Store benchmarks (SPEC §5): "Create default roles and permissions" (the `mage` preset) on an
//! empty SQLite store, and importing 100,000 permissions (1,000,000 with
//! `GATEHOUSE_BENCH_1M=1`), with resident memory after. Run: `cargo bench --bench store`.

use criterion::{BatchSize, Criterion};
use gatehouse::backend::{Backend, LocalBackend};
use gatehouse::service::PolicyDoc;
use gatehouse::service::document::{DocPermission, DocRole};
use std::time::Instant;

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

async fn fresh(dir: &tempfile::TempDir) -> LocalBackend {
    let mut b = LocalBackend::open(&dir.path().join("bench.db"), None, false)
        .await
        .expect("open");
    b.init_and_adopt("bench").await.expect("init");
    b
}

fn doc(n: usize) -> PolicyDoc {
    let entities = [
        "Pipeline",
        "Block",
        "PipelineRun",
        "PipelineSchedule",
        "Secret",
        "Variable",
        "File",
        "Backfill",
    ];
    let permissions: Vec<DocPermission> = (0..n)
        .map(|i| DocPermission {
            key: format!("p{i}"),
            catalog: "mage".into(),
            entity: entities[i % entities.len()].into(),
            entity_uuid: Some(format!("object-{i}")),
            grants: vec!["DETAIL".into(), "UPDATE".into()],
            denies: vec![],
            conditions: vec![],
            query_attributes: vec![],
            read_attributes: vec![],
            write_attributes: vec![],
            description: String::new(),
        })
        .collect();
    let roles = (0..100)
        .map(|r| DocRole {
            id: None,
            name: format!("bulk-{r}"),
            description: String::new(),
            permissions: (r..n).step_by(100).map(|i| format!("p{i}")).collect(),
        })
        .collect();
    PolicyDoc {
        permissions,
        roles,
        ..Default::default()
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut sizes = vec![100_000usize];
    if std::env::var("GATEHOUSE_BENCH_1M").is_ok_and(|v| v == "1") {
        sizes.push(1_000_000);
    }
    for n in sizes {
        let dir = tempfile::tempdir().expect("tempdir");
        let b = rt.block_on(fresh(&dir));
        let d = doc(n);
        let t = Instant::now();
        let report = rt.block_on(b.import(d, false)).expect("import");
        let import = t.elapsed();
        drop(b);
        let t = Instant::now();
        let b = rt
            .block_on(LocalBackend::open(
                &dir.path().join("bench.db"),
                None,
                false,
            ))
            .expect("reopen");
        let reopen = t.elapsed();
        let size = std::fs::metadata(dir.path().join("bench.db"))
            .map(|m| m.len())
            .unwrap_or(0);
        println!(
            "import {n} permissions + {} links: {:.2} s; reopen (load + index): {:.2} s; file {:.0} MiB; RSS after {:.0} MiB",
            report.links.created,
            import.as_secs_f64(),
            reopen.as_secs_f64(),
            size as f64 / 1048576.0,
            rss_mib()
        );
        drop(b);
    }
    let mut c = Criterion::default().configure_from_args().sample_size(10);
    c.bench_function("mage preset apply (empty SQLite store)", |bench| {
        bench.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let b = rt.block_on(fresh(&dir));
                (dir, b)
            },
            |(dir, b)| {
                let r = rt.block_on(b.apply_preset("mage", false)).expect("apply");
                assert_eq!(r.permissions.created, 623);
                (dir, b)
            },
            BatchSize::PerIteration,
        )
    });
    c.final_summary();
}
