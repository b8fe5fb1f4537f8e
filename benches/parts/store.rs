//! The embedded store (PRODUCT.md §5): "Create default roles and permissions" (the `mage` preset) on
//! an empty SQLite store, the import of many permissions in one `gatehouse import` document,
//! and the resident memory of a console process opened on the result — a child process (this
//! bench binary run again, see [`child_main`]), so the figure is the console's own and not the
//! importer's.

use crate::console_common::{Screen, clear_load_cache, frame, key, keys, warm_load_cache};
use crate::figures::{Figure, rss_mib, thousands};
use crossterm::event::KeyCode;
use gatehouse::backend::Backend;
use gatehouse::backend::PolicyDoc;
use gatehouse::backend::document::{DocPermission, DocRole};
use gatehouse::connect::LocalBackend;
use gatehouse::tui::app::{App, Msg};
use gatehouse::tui::theme::Theme;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The environment variable that turns the bench binary into the console child.
const CHILD: &str = "GATEHOUSE_BENCH_CONSOLE_CHILD";

/// PRODUCT.md §5 targets.
const PRESET_MS: f64 = 200.0;
const IMPORT_1M_S: f64 = 30.0;
const CONSOLE_RSS_MIB: f64 = 300.0;

/// An initialized empty store in `dir`.
pub async fn fresh(dir: &Path) -> LocalBackend {
    let mut b = LocalBackend::open(&dir.join("bench.db"), None, false)
        .await
        .expect("open");
    b.init_and_adopt("bench").await.expect("init");
    b
}

/// A document of `n` permissions, each on one entity UUID, spread over 100 roles.
pub fn doc(n: usize) -> PolicyDoc {
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
            entity_type: None,
            scope: None,
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

/// The `mage` preset on an empty store, `reps` times; the median.
pub fn preset(rt: &tokio::runtime::Runtime, reps: usize) -> Figure {
    let mut times: Vec<Duration> = (0..reps)
        .map(|_| {
            let dir = tempfile::tempdir().expect("tempdir");
            let b = rt.block_on(fresh(dir.path()));
            let t = Instant::now();
            let r = rt.block_on(b.apply_preset("mage", false)).expect("apply");
            let took = t.elapsed();
            assert_eq!(
                r.permissions.created, 623,
                "the mage preset's 623 permissions"
            );
            took
        })
        .collect();
    times.sort_unstable();
    let median = times[times.len() / 2];
    println!(
        "mage preset on an empty SQLite store, {reps} runs: median {:.1} ms (min {:.1}, max {:.1})",
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    );
    Figure::new(
        "\"create default roles and permissions\" (mage preset), local",
        format!("{:.0} ms", median.as_secs_f64() * 1e3),
        "≤ 200 ms",
        median.as_secs_f64() * 1e3 <= PRESET_MS,
    )
    .beside("Mage 0.9.80: ~18 min (docs/MAGE.md)")
}

/// Imports `n` permissions (and `n` role links) into a fresh store, reopens it, then measures
/// a console process opened on it. Rows: import time, console resident memory.
pub fn import(rt: &tokio::runtime::Runtime, n: usize) -> Vec<Figure> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.db");
    let b = rt.block_on(fresh(dir.path()));
    let d = doc(n);
    let t = Instant::now();
    let report = rt.block_on(b.import(d, false)).expect("import");
    let took = t.elapsed();
    drop(b);
    let t = Instant::now();
    let b = rt
        .block_on(LocalBackend::open(&path, None, false))
        .expect("reopen");
    let reopen = t.elapsed();
    drop(b);
    let file = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    // For looking at the console child alone (`GATEHOUSE_BENCH_CONSOLE_CHILD=<file> <bench
    // binary>`): a copy of the imported store.
    if let Some(keep) = std::env::var_os("GATEHOUSE_BENCH_KEEP_DIR") {
        let to = Path::new(&keep).join(format!("bench-{n}.db"));
        match std::fs::copy(&path, &to) {
            Ok(_) => println!("kept a copy of the store: {}", to.display()),
            Err(e) => println!("cannot keep a copy of the store at {}: {e}", to.display()),
        }
    }
    println!(
        "import {n} permissions + {} links: {:.2} s; reopen (load + index): {:.2} s; file {:.0} MiB",
        report.links.created,
        took.as_secs_f64(),
        reopen.as_secs_f64(),
        file as f64 / 1048576.0,
    );
    let label = thousands(n);
    let mut rows = vec![
        Figure::new(
            format!("import of {label} permissions (+ {label} links), SQLite"),
            format!("{:.1} s", took.as_secs_f64()),
            if n == 1_000_000 {
                "≤ 30 s"
            } else {
                "≤ 30 s at 1M"
            },
            took.as_secs_f64() <= IMPORT_1M_S * n as f64 / 1_000_000.0,
        )
        .beside(format!("reopen {:.2} s", reopen.as_secs_f64())),
    ];
    // The console's memory with the load cache current (a later open) and cleared (the first
    // open after a write aggregates the tables); the target is judged on the larger.
    warm_load_cache(rt, &path);
    let warm = console_rss(&path, "warm");
    clear_load_cache(rt, &path);
    let cold = console_rss(&path, "cold");
    match (warm, cold) {
        (Ok(w), Ok(c)) => {
            for (label, (rss, hwm, first, loaded, framed)) in [("warm", w), ("cold", c)] {
                println!(
                    "console process on it ({label} load cache): first frame {:.0} ms; VmRSS {rss:.0} MiB \
                     (state loaded {loaded:.0}, + list rows and first frame {framed:.0}, + index {rss:.0}), VmHWM {hwm:.0} MiB",
                    first.as_secs_f64() * 1e3
                );
            }
            let rss = w.0.max(c.0);
            rows.push(
                Figure::new(
                    format!("console resident memory with {label} permissions"),
                    format!("{rss:.0} MiB"),
                    "≤ 300 MB",
                    rss * 1.048_576 <= CONSOLE_RSS_MIB,
                )
                .beside(format!(
                    "warm {:.0} / cold {:.0} MiB; first frame {:.1} / {:.1} s",
                    w.0,
                    c.0,
                    w.2.as_secs_f64(),
                    c.2.as_secs_f64()
                )),
            );
        }
        (w, c) => {
            let e = w.err().or(c.err()).unwrap_or_default();
            println!("console process: {e}");
            rows.push(Figure::new(
                format!("console resident memory with {label} permissions"),
                "not measured",
                "≤ 300 MB",
                false,
            ));
        }
    }
    rows
}

/// The console child's figures: VmRSS and VmHWM at the end (MiB), the first-frame time, and
/// VmRSS once the state was loaded and once the first frame was drawn.
type ChildFigures = (f64, f64, Duration, f64, f64);

/// Runs this binary again as the console child on `path` and returns its figures; prints the
/// child's notes (`console-child-note …` lines) under `label`.
fn console_rss(path: &Path, label: &str) -> Result<ChildFigures, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let out = Command::new(exe)
        .env(CHILD, path)
        .output()
        .map_err(|e| format!("spawn: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    for note in text
        .lines()
        .filter_map(|l| l.strip_prefix("console-child-note "))
    {
        println!("  ({label}) {note}");
    }
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("console-child "))
        .ok_or_else(|| {
            format!(
                "the child printed no figures (status {}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let v: Vec<f64> = line
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    match v[..] {
        [rss, hwm, ms, loaded, framed] => {
            Ok((rss, hwm, Duration::from_secs_f64(ms / 1e3), loaded, framed))
        }
        _ => Err(format!("unreadable child line: {line}")),
    }
}

/// When this process is the console child: opens the store as the console does (local backend,
/// load, the app, `:permissions`, one frame drawn through the real terminal backend), then lets
/// the backend build its decision index as the console does once its first frame is shown, and
/// prints `console-child RSS HWM FIRST_MS LOADED_RSS FRAME_RSS` (the resident memory once the
/// state is loaded, once the first frame is drawn, and at the end, with the index) and exits.
/// Call first thing in `main`.
pub fn child_main() {
    let Some(path) = std::env::var_os(CHILD) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let t = Instant::now();
    let backend = rt
        .block_on(LocalBackend::open(Path::new(&path), None, false))
        .expect("open");
    let data = rt.block_on(gatehouse::tui::load(&backend)).expect("load");
    let loaded = rss_mib().unwrap_or((0.0, 0.0)).0;
    let mut app = App::new(Theme::ansi16(), (120, 40), false);
    app.on_msg(Msg::Loaded(Box::new(data)));
    let mut evs = keys(":permissions");
    evs.push(key(KeyCode::Enter));
    for ev in &evs {
        app.on_event(ev);
    }
    let mut screen = Screen::new(120, 40);
    frame(&app, &mut screen);
    let first = t.elapsed();
    assert!(
        app.list().rows.len() > 1,
        "the Permissions pane lists the imported permissions"
    );
    let framed = rss_mib().unwrap_or((0.0, 0.0)).0;
    // The console starts building its index once the first frame is shown; it keeps it.
    backend.first_frame_shown();
    let engine = backend.service().snapshot();
    let parts = engine.engine().heap_bytes();
    let (rss, hwm) = rss_mib().unwrap_or((0.0, 0.0));
    println!(
        "console-child {rss:.1} {hwm:.1} {:.1} {loaded:.1} {framed:.1}",
        first.as_secs_f64() * 1e3
    );
    for (part, bytes) in parts {
        println!(
            "console-child-note index: {part} {:.1} MiB",
            bytes as f64 / 1048576.0
        );
    }
    // Then a filter typed on the Permissions pane (rows made from the state, one at a time):
    // the first key scans every row, later ones the rows still shown; Backspace reuses the
    // earlier result.
    let mut evs = keys("/object-9");
    evs.extend([key(KeyCode::Backspace), key(KeyCode::Backspace)]);
    let mut times = Vec::new();
    for ev in &evs {
        let t = Instant::now();
        app.on_event(ev);
        frame(&app, &mut screen);
        times.push(t.elapsed());
    }
    let shown = app.list().visible.len();
    let (after, _) = rss_mib().unwrap_or((0.0, 0.0));
    let ms: Vec<String> = times
        .iter()
        .map(|t| format!("{:.0}", t.as_secs_f64() * 1e3))
        .collect();
    println!(
        "console-child-note filter \"/object-9⌫⌫\" on the Permissions pane, key → frame ms: {} \
         ({shown} rows shown; VmRSS after {after:.0} MiB)",
        ms.join(" ")
    );
    drop(app);
    drop(backend);
    std::process::exit(0);
}
