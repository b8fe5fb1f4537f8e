//! Console benchmarks (PRODUCT.md §5): the first frame with 100,000 users in the local SQLite store,
//! key press → drawn frame while scrolling and filtering the 100k-row Users list at 80x24 and
//! 120x40, and the bytes written to the terminal per one-row move. Frames go through ratatui's
//! real `CrosstermBackend` (64 KiB `BufWriter`, as in `tui::run`) into a byte-counting sink, so
//! escape-sequence encoding is included. The first frame is timed warm (the store's load cache
//! holds the current revision, as on every open after one that found nothing changed) and
//! cold (cache cleared before each open: the first open after a write). Figures are printed,
//! never asserted.

use crate::console_common::{
    Sample, Screen, World, build_world, clear_load_cache, frame, key, keys, mean, ms, pct, step,
    warm_load_cache,
};
use crate::figures::Figure;
use crossterm::event::KeyCode;
use gatehouse::connect::LocalBackend;
use gatehouse::tui::app::{App, Data, Msg};
use gatehouse::tui::theme::Theme;
use gatehouse::tui::view::Pane;
use std::path::Path;
use std::time::{Duration, Instant};

const USERS: usize = 100_000;
const REPS: usize = 10;
/// Cold first frames (each clears the load cache first).
const COLD_REPS: usize = 5;
const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];
const SCROLL_KEYS: usize = 2_000;
const PAGE_KEYS: usize = 300;
const JUMP_PAIRS: usize = 100;
const FILTER_ROUNDS: usize = 20;
const FILTER_TEXT: &str = "user9";

/// PRODUCT.md §5 targets.
const FIRST_FRAME_MS: f64 = 150.0;
const KEY_FRAME_MS: f64 = 16.0;
const MOVE_BYTES: u64 = 400;

/// One timed first frame, by phase.
#[derive(Debug, Clone, Copy)]
struct First {
    open: Duration,
    load: Duration,
    on_msg: Duration,
    keys: Duration,
    render: Duration,
    flush: Duration,
    bytes: u64,
}

impl First {
    fn total(&self) -> Duration {
        self.open + self.load + self.on_msg + self.keys + self.render + self.flush
    }
}

/// Timed key presses of one scenario at one size.
struct Scenario {
    size: (u16, u16),
    name: &'static str,
    samples: Vec<Sample>,
}

impl Scenario {
    fn totals(&self) -> Vec<Duration> {
        self.samples.iter().map(Sample::total).collect()
    }
}

/// Bytes of the single-row `j` frames at one size.
struct Moves {
    size: (u16, u16),
    /// Every `j` frame.
    all: Vec<u64>,
    /// Frames where only the selection moved.
    in_page: Vec<u64>,
    /// Frames where the list scrolled by one row.
    scrolled: Vec<u64>,
    /// The first (full) frame, for scale.
    full: u64,
}

/// `:users` then Enter, as a person switches panes.
fn to_users(app: &mut App) {
    let mut evs = keys(":users");
    evs.push(key(KeyCode::Enter));
    for ev in &evs {
        std::hint::black_box(app.on_event(ev));
    }
}

fn open(rt: &tokio::runtime::Runtime, path: &Path) -> LocalBackend {
    rt.block_on(LocalBackend::open(path, None, false))
        .expect("open")
}

/// Cold open of the store file → load → rows → `:users` → first drawn frame at `size`.
fn first_frame(rt: &tokio::runtime::Runtime, path: &Path, size: (u16, u16)) -> First {
    let mut screen = Screen::new(size.0, size.1);
    let mut app = App::new(Theme::ansi16(), size, false);
    let t = Instant::now();
    let backend = open(rt, path);
    let open = t.elapsed();
    let t = Instant::now();
    let data = rt.block_on(gatehouse::tui::load(&backend)).expect("load");
    let load = t.elapsed();
    let t = Instant::now();
    std::hint::black_box(app.on_msg(Msg::Loaded(Box::new(data))));
    let on_msg = t.elapsed();
    let t = Instant::now();
    to_users(&mut app);
    let keys = t.elapsed();
    let (render, flush, bytes) = frame(&app, &mut screen);
    assert_eq!(app.pane, Pane::Users, "`:users` switches to the Users pane");
    assert_eq!(app.list().rows.len(), USERS + 1, "owner + generated users");
    First {
        open,
        load,
        on_msg,
        keys,
        render,
        flush,
        bytes,
    }
}

/// The app on the Users pane at `size`, with one full frame drawn (untimed).
fn ready(data: &Data, size: (u16, u16)) -> (App, Screen, u64) {
    let mut app = App::new(Theme::ansi16(), size, false);
    app.on_msg(Msg::Loaded(Box::new(data.clone())));
    to_users(&mut app);
    let mut screen = Screen::new(size.0, size.1);
    let (_, _, full) = frame(&app, &mut screen);
    (app, screen, full)
}

fn run_size(data: &Data, size: (u16, u16)) -> (Vec<Scenario>, Moves) {
    let (mut app, mut screen, full) = ready(data, size);
    let mut moves = Moves {
        size,
        all: Vec::new(),
        in_page: Vec::new(),
        scrolled: Vec::new(),
        full,
    };
    let j = key(KeyCode::Char('j'));
    let mut scroll = Vec::with_capacity(SCROLL_KEYS);
    for _ in 0..SCROLL_KEYS {
        let offset = app.list().offset;
        let s = step(&mut app, &mut screen, &j);
        moves.all.push(s.bytes);
        if app.list().offset == offset {
            moves.in_page.push(s.bytes);
        } else {
            moves.scrolled.push(s.bytes);
        }
        scroll.push(s);
    }
    let pgdn = key(KeyCode::PageDown);
    let page: Vec<Sample> = (0..PAGE_KEYS)
        .map(|_| step(&mut app, &mut screen, &pgdn))
        .collect();
    let (bottom, top) = (key(KeyCode::Char('G')), key(KeyCode::Char('g')));
    let mut jump = Vec::with_capacity(2 * JUMP_PAIRS);
    for _ in 0..JUMP_PAIRS {
        jump.push(step(&mut app, &mut screen, &bottom));
        jump.push(step(&mut app, &mut screen, &top));
    }
    // `/`, type the filter, Backspace it away, Esc: every key is one frame.
    let mut round = keys("/");
    round.extend(keys(FILTER_TEXT));
    round.extend(FILTER_TEXT.chars().map(|_| key(KeyCode::Backspace)));
    round.push(key(KeyCode::Esc));
    let mut filter = Vec::with_capacity(FILTER_ROUNDS * round.len());
    let mut narrowest = usize::MAX;
    for _ in 0..FILTER_ROUNDS {
        for ev in &round {
            filter.push(step(&mut app, &mut screen, ev));
            narrowest = narrowest.min(app.list().visible.len());
        }
    }
    assert!(narrowest < USERS, "the filter narrows the list");
    let scenarios = [
        ("scroll j", scroll),
        ("PgDn", page),
        ("G / g", jump),
        ("filter /user9⌫", filter),
    ]
    .into_iter()
    .map(|(name, samples)| Scenario {
        size,
        name,
        samples,
    })
    .collect();
    (scenarios, moves)
}

/// Where the first frame's time goes, by timing the public pieces `LocalBackend::open` and
/// `App::on_msg` are made of (p50 of `REPS` runs each).
fn profile(rt: &tokio::runtime::Runtime, path: &Path) {
    use gatehouse::store::Store;
    let mut parts: Vec<(String, Vec<Duration>)> = Vec::new();
    let mut add = |name: &str, d: Duration| match parts.iter_mut().find(|(n, _)| n == name) {
        Some((_, v)) => v.push(d),
        None => parts.push((name.to_string(), vec![d])),
    };
    for _ in 0..REPS {
        let t = Instant::now();
        let catalogs = gatehouse::catalog::Catalogs::builtin().expect("catalogs");
        add("open: Catalogs::builtin", t.elapsed());
        let t = Instant::now();
        let store = rt
            .block_on(gatehouse::store::SqliteStore::open(path))
            .expect("store");
        add("open: SqliteStore::open", t.elapsed());
        warm_load_cache(rt, path);
        let t = Instant::now();
        let state = rt.block_on(store.load()).expect("load");
        add("open: Store::load (load cache)", t.elapsed());
        drop(state);
        clear_load_cache(rt, path);
        let t = Instant::now();
        let state = rt.block_on(store.load()).expect("load");
        add("open: Store::load (tables)", t.elapsed());
        // Let the background cache write finish before timing anything else.
        warm_load_cache(rt, path);
        let t = Instant::now();
        let engine = gatehouse::engine::Engine::build(&state, &catalogs);
        add("open: Engine::build", t.elapsed());
        let t = Instant::now();
        let audit = rt
            .block_on(store.audit(&gatehouse::model::AuditQuery {
                limit: 1000,
                ..Default::default()
            }))
            .expect("audit");
        add("load: Store::audit (1000)", t.elapsed());
        let state = std::sync::Arc::new(state);
        let catalogs = std::sync::Arc::new(catalogs);
        for pane in Pane::ALL {
            let t = Instant::now();
            let rows = gatehouse::tui::view::rows(pane, &state, &audit, &catalogs);
            add(&format!("on_msg: view::rows({pane:?})"), t.elapsed());
            let t = Instant::now();
            let mut list = gatehouse::tui::list::ListState::default();
            list.set_rows(rows, gatehouse::tui::view::columns(pane));
            add(&format!("on_msg: set_rows({pane:?})"), t.elapsed());
            let t = Instant::now();
            drop(list);
            add("(drop of the rows)", t.elapsed());
        }
        let t = Instant::now();
        drop((engine, state));
        add("(drop of State + Engine)", t.elapsed());
    }
    println!();
    println!("where the first frame goes ({REPS} runs, public pieces timed one by one):");
    for (name, v) in &parts {
        if pct(v, 100.0) >= Duration::from_micros(100) {
            println!(
                "{name:>34} | p50 {:>10} max {:>10}",
                ms(pct(v, 50.0)),
                ms(pct(v, 100.0))
            );
        }
    }
}

/// The first-frame table: totals, then each phase.
fn print_firsts(label: &str, firsts: &[First], reps: usize) {
    let totals: Vec<Duration> = firsts.iter().map(First::total).collect();
    println!();
    println!(
        "first frame ({label}), {USERS} users, 120x40, {reps} runs: min {} | p50 {} | max {}",
        ms(pct(&totals, 0.0)),
        ms(pct(&totals, 50.0)),
        ms(pct(&totals, 100.0))
    );
    println!(
        "{:>14} | {:>10} {:>10} {:>10}",
        "phase", "min", "p50", "max"
    );
    type Phase = fn(&First) -> Duration;
    let phases: [(&str, Phase); 6] = [
        ("open", |f| f.open),
        ("load", |f| f.load),
        ("on_msg (rows)", |f| f.on_msg),
        (":users⏎", |f| f.keys),
        ("draw: render", |f| f.render),
        ("draw: encode", |f| f.flush),
    ];
    for (name, get) in phases {
        let v: Vec<Duration> = firsts.iter().map(get).collect();
        println!(
            "{:>14} | {:>10} {:>10} {:>10}",
            name,
            ms(pct(&v, 0.0)),
            ms(pct(&v, 50.0)),
            ms(pct(&v, 100.0))
        );
    }
    println!(
        "{:>14} | {} bytes",
        "frame written",
        firsts.first().map(|f| f.bytes).unwrap_or(0)
    );
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "OVER" }
}

/// Builds the 100k-user store, measures, prints the detailed tables and the targets; returns
/// the PRODUCT.md §5 rows.
pub fn run(rt: &tokio::runtime::Runtime) -> Vec<Figure> {
    let mut rows = Vec::new();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{} cores, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let world: World = build_world(rt, USERS);
    println!(
        "setup (not timed below): init + {} users, {} links in batches → {:.1} s; file {:.0} MiB",
        world.users,
        world.links,
        world.took.as_secs_f64(),
        world.file_mib()
    );

    // First frame: warm, then cold.
    warm_load_cache(rt, &world.path);
    let firsts: Vec<First> = (0..REPS)
        .map(|_| first_frame(rt, &world.path, (120, 40)))
        .collect();
    let totals: Vec<Duration> = firsts.iter().map(First::total).collect();
    print_firsts("warm: load cache current", &firsts, REPS);
    // At 80x24 the navigation column collapses into a tab bar: the same work, a smaller frame.
    let small: Vec<Duration> = (0..REPS)
        .map(|_| first_frame(rt, &world.path, (80, 24)).total())
        .collect();
    let colds: Vec<First> = (0..COLD_REPS)
        .map(|_| {
            clear_load_cache(rt, &world.path);
            first_frame(rt, &world.path, (120, 40))
        })
        .collect();
    let cold_totals: Vec<Duration> = colds.iter().map(First::total).collect();
    print_firsts("cold: load cache cleared", &colds, COLD_REPS);

    profile(rt, &world.path);

    // Key → frame, and bytes per move.
    let backend = open(rt, &world.path);
    let data = rt.block_on(gatehouse::tui::load(&backend)).expect("load");
    let mut scenarios = Vec::new();
    let mut moves = Vec::new();
    for size in SIZES {
        let (s, m) = run_size(&data, size);
        scenarios.extend(s);
        moves.push(m);
    }
    println!();
    println!(
        "{:>6} {:<15} {:>5} | {:>9} {:>9} {:>9} | {:>9} {:>9} {:>9} | {:>8}",
        "size",
        "key → frame",
        "keys",
        "p50",
        "p99",
        "max",
        "event p50",
        "render",
        "encode",
        "bytes/f"
    );
    for s in &scenarios {
        let t = s.totals();
        let part = |f: fn(&Sample) -> Duration| {
            let v: Vec<Duration> = s.samples.iter().map(f).collect();
            ms(pct(&v, 50.0))
        };
        let bytes: Vec<u64> = s.samples.iter().map(|x| x.bytes).collect();
        println!(
            "{:>6} {:<15} {:>5} | {:>9} {:>9} {:>9} | {:>9} {:>9} {:>9} | {:>8.0}",
            format!("{}x{}", s.size.0, s.size.1),
            s.name,
            s.samples.len(),
            ms(pct(&t, 50.0)),
            ms(pct(&t, 99.0)),
            ms(pct(&t, 100.0)),
            part(|x| x.event),
            part(|x| x.render),
            part(|x| x.flush),
            mean(&bytes)
        );
    }
    // Filter keys by position in the round: which key costs what.
    let labels: Vec<String> = std::iter::once("/".to_string())
        .chain(FILTER_TEXT.chars().map(String::from))
        .chain(FILTER_TEXT.chars().map(|_| "⌫".to_string()))
        .chain(std::iter::once("Esc".to_string()))
        .collect();
    for s in scenarios.iter().filter(|s| s.name.starts_with("filter")) {
        let by_key: Vec<String> = labels
            .iter()
            .enumerate()
            .map(|(k, label)| {
                let v: Vec<Duration> = s
                    .samples
                    .iter()
                    .skip(k)
                    .step_by(labels.len())
                    .map(Sample::total)
                    .collect();
                format!("{label} {:.1}", pct(&v, 50.0).as_secs_f64() * 1000.0)
            })
            .collect();
        println!(
            "{:>6} filter key → frame p50 ms by key: {}",
            format!("{}x{}", s.size.0, s.size.1),
            by_key.join(" · ")
        );
    }
    println!();
    println!(
        "{:>6} {:<15} {:>5} | {:>7} {:>7} {:>7} {:>7} | {:>16} {:>16} | {:>10}",
        "size",
        "bytes per j",
        "moves",
        "mean",
        "p50",
        "p99",
        "max",
        "in-page mean (n)",
        "scrolled mean (n)",
        "full frame"
    );
    for m in &moves {
        println!(
            "{:>6} {:<15} {:>5} | {:>7.0} {:>7} {:>7} {:>7} | {:>16} {:>16} | {:>10}",
            format!("{}x{}", m.size.0, m.size.1),
            "one-row move",
            m.all.len(),
            mean(&m.all),
            pct(&m.all, 50.0),
            pct(&m.all, 99.0),
            pct(&m.all, 100.0),
            format!("{:.0} ({})", mean(&m.in_page), m.in_page.len()),
            format!("{:.0} ({})", mean(&m.scrolled), m.scrolled.len()),
            m.full
        );
    }

    // Targets.
    println!();
    println!(
        "{:<44} | {:>8} | {:<44} | verdict",
        "PRODUCT.md §5 target (judged on)", "limit", "measured"
    );
    let first_p50 = pct(&totals, 50.0);
    println!(
        "{:<44} | {:>8} | {:<44} | {}",
        format!("first frame, {USERS} users, 120x40, warm (p50)"),
        format!("{FIRST_FRAME_MS:.0} ms"),
        format!(
            "p50 {} (min {}, max {})",
            ms(first_p50),
            ms(pct(&totals, 0.0)),
            ms(pct(&totals, 100.0))
        ),
        verdict(first_p50.as_secs_f64() * 1000.0 <= FIRST_FRAME_MS)
    );
    rows.push(
        Figure::new(
            format!("console first frame, {USERS} users, 120x40, warm (p50)"),
            ms(first_p50),
            "≤ 150 ms",
            first_p50.as_secs_f64() * 1000.0 <= FIRST_FRAME_MS,
        )
        .beside("load cache current (every open after one that found nothing changed)"),
    );
    let small_p50 = pct(&small, 50.0);
    println!(
        "{:<44} | {:>8} | {:<44} | {}",
        format!("first frame, {USERS} users, 80x24, warm (p50)"),
        format!("{FIRST_FRAME_MS:.0} ms"),
        format!(
            "p50 {} (min {}, max {})",
            ms(small_p50),
            ms(pct(&small, 0.0)),
            ms(pct(&small, 100.0))
        ),
        verdict(small_p50.as_secs_f64() * 1000.0 <= FIRST_FRAME_MS)
    );
    rows.push(
        Figure::new(
            format!("console first frame, {USERS} users, 80x24, warm (p50)"),
            ms(small_p50),
            "≤ 150 ms",
            small_p50.as_secs_f64() * 1000.0 <= FIRST_FRAME_MS,
        )
        .beside("navigation collapsed into the tab bar"),
    );
    let cold_p50 = pct(&cold_totals, 50.0);
    println!(
        "{:<44} | {:>8} | {:<44} | {}",
        format!("first frame, cold (load cache cleared) (p50)"),
        format!("{FIRST_FRAME_MS:.0} ms"),
        format!(
            "p50 {} (min {}, max {})",
            ms(cold_p50),
            ms(pct(&cold_totals, 0.0)),
            ms(pct(&cold_totals, 100.0))
        ),
        verdict(cold_p50.as_secs_f64() * 1000.0 <= FIRST_FRAME_MS)
    );
    rows.push(
        Figure::new(
            format!("console first frame, {USERS} users, 120x40, cold (p50)"),
            ms(cold_p50),
            "≤ 150 ms",
            cold_p50.as_secs_f64() * 1000.0 <= FIRST_FRAME_MS,
        )
        .beside("load cache cleared (the first open after a write)"),
    );
    for s in &scenarios {
        let t = s.totals();
        let p99 = pct(&t, 99.0);
        println!(
            "{:<44} | {:>8} | {:<44} | {}",
            format!("key → frame, {} {}x{} (p99)", s.name, s.size.0, s.size.1),
            format!("{KEY_FRAME_MS:.0} ms"),
            format!(
                "p50 {}, p99 {}, max {}",
                ms(pct(&t, 50.0)),
                ms(p99),
                ms(pct(&t, 100.0))
            ),
            verdict(p99.as_secs_f64() * 1000.0 <= KEY_FRAME_MS)
        );
    }
    for size in SIZES {
        let worst = scenarios
            .iter()
            .filter(|s| s.size == size)
            .map(|s| (pct(&s.totals(), 99.0), s.name))
            .max();
        if let Some((p99, name)) = worst {
            rows.push(
                Figure::new(
                    format!(
                        "key → frame, {USERS}-row list, {}x{} (worst p99)",
                        size.0, size.1
                    ),
                    ms(p99),
                    "≤ 16 ms",
                    p99.as_secs_f64() * 1000.0 <= KEY_FRAME_MS,
                )
                .beside(format!("worst: {name}; scroll, page, jump and filter keys")),
            );
        }
    }
    for m in &moves {
        let p99 = pct(&m.all, 99.0);
        println!(
            "{:<44} | {:>8} | {:<44} | {}",
            format!("bytes per one-row move {}x{} (p99)", m.size.0, m.size.1),
            format!("{MOVE_BYTES} B"),
            format!(
                "mean {:.0}, p99 {p99}, max {}",
                mean(&m.all),
                pct(&m.all, 100.0)
            ),
            verdict(p99 <= MOVE_BYTES)
        );
        rows.push(
            Figure::new(
                format!("bytes per one-row move, {}x{} (p99)", m.size.0, m.size.1),
                format!("{p99} B"),
                "≤ 400 B",
                p99 <= MOVE_BYTES,
            )
            .beside(format!(
                "mean {:.0}; in page {:.0}, scrolling {:.0}",
                mean(&m.all),
                mean(&m.in_page),
                mean(&m.scrolled)
            )),
        );
    }
    drop(backend);
    drop(world);
    rows
}
