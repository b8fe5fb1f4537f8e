//! Store benchmarks (SPEC §5): "Create default roles and permissions" (the `mage` preset) on an
//! empty SQLite store, and importing 100,000 permissions (1,000,000 with
//! `GATEHOUSE_BENCH_1M=1`), with resident memory after. Run: `cargo bench --bench store`.
//!
//! After each import the bench runs itself again as a child process (`CONSOLE_CHILD` names the
//! store file) that opens the store as the console does — `LocalBackend::open`, the console's
//! load, `App` with the loaded data, first frame at 120x40 on a `TestBackend`, then
//! `:permissions⏎` and a frame — and prints the child's own VmRSS and VmHWM: the console's
//! resident memory with that store, not the importing process's.

use criterion::{BatchSize, Criterion};
use gatehouse::backend::{Backend, LocalBackend};
use gatehouse::service::PolicyDoc;
use gatehouse::service::document::{DocPermission, DocRole};
use std::time::Instant;

/// The environment variable that makes this binary the console child (its value: the store).
const CONSOLE_CHILD: &str = "GATEHOUSE_BENCH_CONSOLE_CHILD";

/// A `/proc/self/status` field (`VmRSS`, `VmHWM`) in MiB.
fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))
                .map(|l| {
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

fn rss_mib() -> f64 {
    status_mib("VmRSS")
}

/// The console child: opens the store at `path` as `gatehouse` (the console) does, draws the
/// first frame and the Permissions pane, and prints its own memory.
fn console_child(path: &std::path::Path) {
    use gatehouse::tui::app::{App, Msg};
    use gatehouse::tui::theme::Theme;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let t = Instant::now();
    let backend = rt
        .block_on(LocalBackend::open(path, None, false))
        .expect("open");
    let data = rt.block_on(gatehouse::tui::load(&backend)).expect("load");
    let mut app = App::new(Theme::ansi16(), (120, 40), false);
    std::hint::black_box(app.on_msg(Msg::Loaded(Box::new(data))));
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    term.draw(|f| gatehouse::tui::draw::draw(&app, f))
        .expect("draw");
    let first = t.elapsed();
    let (rss_first, hwm_first) = (status_mib("VmRSS"), status_mib("VmHWM"));
    let mut evs: Vec<crossterm::event::Event> = ":permissions"
        .chars()
        .map(|c| key(crossterm::event::KeyCode::Char(c)))
        .collect();
    evs.push(key(crossterm::event::KeyCode::Enter));
    for ev in &evs {
        std::hint::black_box(app.on_event(ev));
    }
    term.draw(|f| gatehouse::tui::draw::draw(&app, f))
        .expect("draw");
    let rows = app.list().rows.len();
    println!(
        "console (child process): open → first frame {:.2} s; VmRSS {:.0} MiB, VmHWM {:.0} MiB; \
         after :permissions ({rows} rows) VmRSS {:.0} MiB, VmHWM {:.0} MiB",
        first.as_secs_f64(),
        rss_first,
        hwm_first,
        status_mib("VmRSS"),
        status_mib("VmHWM"),
    );
    drop(backend);
}

fn key(code: crossterm::event::KeyCode) -> crossterm::event::Event {
    crossterm::event::Event::Key(crossterm::event::KeyEvent::new(
        code,
        crossterm::event::KeyModifiers::NONE,
    ))
}

/// Deletes the store's load cache, so the next open aggregates the tables (as the first open
/// after a write does).
fn clear_load_cache(rt: &tokio::runtime::Runtime, path: &std::path::Path) {
    use sqlx::{ConnectOptions, Connection};
    rt.block_on(async {
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .connect()
            .await
            .expect("raw connection");
        sqlx::query("DELETE FROM load_cache")
            .execute(&mut conn)
            .await
            .expect("clear the load cache");
        conn.close().await.expect("close");
    });
}

/// Loads the store once and waits until its load cache holds the current revision.
fn warm_load_cache(rt: &tokio::runtime::Runtime, path: &std::path::Path) {
    use gatehouse::store::{SqliteStore, Store};
    use sqlx::{ConnectOptions, Connection};
    rt.block_on(async {
        let store = SqliteStore::open(path).await.expect("store");
        store.load().await.expect("load");
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .connect()
            .await
            .expect("raw connection");
        for _ in 0..3000 {
            let current: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM load_cache, meta WHERE meta.name = 'revision' \
                 AND load_cache.revision = meta.value",
            )
            .fetch_optional(&mut conn)
            .await
            .expect("read the load cache");
            if current.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        conn.close().await.expect("close");
    });
}

/// Runs [`console_child`] in a fresh process on the store at `path` and passes its report on.
fn measure_console(path: &std::path::Path, what: &str) {
    print!("{what}: ");
    let exe = std::env::current_exe().expect("current exe");
    let out = std::process::Command::new(exe)
        .env(CONSOLE_CHILD, path)
        .output()
        .expect("spawn the console child");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if !out.status.success() {
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        panic!("the console child failed: {}", out.status);
    }
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
    if let Some(path) = std::env::var_os(CONSOLE_CHILD) {
        console_child(std::path::Path::new(&path));
        return;
    }
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
        let path = dir.path().join("bench.db");
        clear_load_cache(&rt, &path);
        measure_console(&path, "cold (load cache cleared)");
        warm_load_cache(&rt, &path);
        measure_console(&path, "warm (load cache current)");
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
