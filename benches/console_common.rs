//! Helpers for the console benchmark (`benches/console.rs`): a 100k-user SQLite store written
//! straight through the store in large batches, a terminal that writes through ratatui's real
//! `CrosstermBackend` into a byte-counting sink, and per-key timing.
#![allow(dead_code)]

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use gatehouse::catalog::Catalogs;
use gatehouse::connect::LocalBackend;
use gatehouse::model::{Id, Permission, Role, Team, User, UserKind, now};
use gatehouse::policy::{Change, Link, Object};
use gatehouse::store::{SqliteStore, Store};
use gatehouse::tui::app::App;
use gatehouse::tui::draw::draw;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::cell::Cell;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Users written per commit.
const BATCH: usize = 25_000;
const ROLES: usize = 300;
const PERMISSIONS: usize = 400;
const TEAMS: usize = 40;
const ROLE_KINDS: [&str; 6] = ["viewer", "editor", "ops", "billing", "pipeline", "audit"];
const ACTIONS: [&str; 5] = ["LIST", "DETAIL", "CREATE", "UPDATE", "DELETE"];

/// A store file on disk and what went into it.
pub struct World {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// The SQLite file.
    pub path: PathBuf,
    /// Users written besides the owner.
    pub users: usize,
    /// Links written (role-permission, user-role, team-role, membership).
    pub links: usize,
    /// Wall time of the whole setup.
    pub took: Duration,
}

impl World {
    /// Size of the store file (with its WAL) in MiB.
    pub fn file_mib(&self) -> f64 {
        let len = |p: PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let wal = self.path.with_extension("db-wal");
        (len(self.path.clone()) + len(wal)) as f64 / 1048576.0
    }
}

fn id(kind: u128, n: usize) -> Id {
    Uuid::from_u128((kind << 64) | n as u128)
}

/// `gatehouse init` (owner + admin team) through the local backend, then roles, permissions,
/// teams and `users` users with a role or two each (a tenth also in a team), committed in
/// batches of 25,000 users straight to the SQLite store.
pub fn build_world(rt: &tokio::runtime::Runtime, users: usize) -> World {
    let start = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("console.db");
    rt.block_on(async {
        let mut b = LocalBackend::open(&path, None, false).await.expect("open");
        b.init_and_adopt("admin").await.expect("init");
    });
    let store = rt.block_on(SqliteStore::open(&path)).expect("store");
    let catalogs = Catalogs::builtin().expect("catalogs");
    let entities: Vec<String> = catalogs
        .get("mage")
        .expect("mage catalog")
        .entities
        .iter()
        .map(|e| e.name.clone())
        .filter(|n| !n.starts_with("ALL"))
        .collect();
    let mut rng = StdRng::seed_from_u64(5);
    let t = now();
    let mut links = 0usize;
    let mut changes = Vec::new();
    for i in 0..ROLES {
        let kind = ROLE_KINDS[i % ROLE_KINDS.len()];
        changes.push(Change::Create(Object::Role(Role {
            id: id(3, i),
            name: format!("{kind}-{i:03}"),
            description: format!("{kind} access, group {}", i / ROLE_KINDS.len()),
            created_at: t,
            updated_at: t,
            version: 1,
            created_by: None,
        })));
    }
    for i in 0..PERMISSIONS {
        let action = ACTIONS[rng.random_range(0..ACTIONS.len())].to_string();
        let deny = rng.random_range(0..20) == 0;
        changes.push(Change::Create(Object::Permission(Permission {
            id: id(4, i),
            catalog: "mage".into(),
            entity: entities[rng.random_range(0..entities.len())].clone(),
            entity_uuid: (rng.random_range(0..4) == 0)
                .then(|| format!("obj{}", rng.random_range(0..1000))),
            grants: if deny { vec![] } else { vec![action.clone()] },
            denies: if deny { vec![action] } else { vec![] },
            conditions: vec![],
            query_attributes: vec![],
            read_attributes: vec![],
            write_attributes: vec![],
            description: String::new(),
            created_at: t,
            updated_at: t,
            version: 1,
            created_by: None,
            entity_type: None,
            scope: None,
        })));
        changes.push(Change::Link(Link::RolePermission {
            role: id(3, i % ROLES),
            permission: id(4, i),
        }));
        links += 1;
    }
    for i in 0..TEAMS {
        changes.push(Change::Create(Object::Team(Team {
            id: id(2, i),
            key: format!("team{i:02}"),
            name: format!("Team {i}"),
            description: String::new(),
            default_role: None,
            created_at: t,
            updated_at: t,
            version: 1,
        })));
        changes.push(Change::Link(Link::TeamRole {
            team: id(2, i),
            role: id(3, rng.random_range(0..ROLES)),
        }));
        links += 1;
    }
    rt.block_on(store.commit("bench", &changes))
        .expect("commit");
    for first in (0..users).step_by(BATCH) {
        let mut changes = Vec::with_capacity(BATCH * 3);
        for i in first..(first + BATCH).min(users) {
            changes.push(Change::Create(Object::User(User {
                id: id(1, i),
                username: format!("user{i:06}"),
                email: format!("user{i}@example.org"),
                display_name: String::new(),
                kind: if i % 50 == 0 {
                    UserKind::Service
                } else {
                    UserKind::Person
                },
                disabled: i % 97 == 0,
                owner: false,
                created_at: t,
                updated_at: t,
                version: 1,
                first_name: String::new(),
                last_name: String::new(),
            })));
            let a = rng.random_range(0..ROLES);
            let mut roles = vec![a];
            if rng.random_range(0..2) == 0 {
                roles.push((a + 1 + rng.random_range(0..ROLES - 1)) % ROLES);
            }
            for r in roles {
                changes.push(Change::Link(Link::UserRole {
                    user: id(1, i),
                    role: id(3, r),
                }));
                links += 1;
            }
            if rng.random_range(0..10) == 0 {
                changes.push(Change::Link(Link::Member {
                    team: id(2, rng.random_range(0..TEAMS)),
                    user: id(1, i),
                    role: None,
                }));
                links += 1;
            }
        }
        rt.block_on(store.commit("bench", &changes))
            .expect("commit");
    }
    drop(store);
    World {
        dir,
        path,
        users,
        links,
        took: start.elapsed(),
    }
}

/// Deletes the store's load cache (`SqliteStore::load` then reads the tables and caches again).
pub fn clear_load_cache(rt: &tokio::runtime::Runtime, path: &std::path::Path) {
    use sqlx::{ConnectOptions, Connection};
    rt.block_on(async {
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .connect()
            .await
            .expect("raw connection");
        for sql in ["DELETE FROM load_cache", "DELETE FROM load_cache_chunks"] {
            sqlx::query(sql)
                .execute(&mut conn)
                .await
                .expect("clear the load cache");
        }
        conn.close().await.expect("close");
    });
}

/// Loads once (untimed) and waits until the load cache holds the store's revision, so the
/// next loads read it.
pub fn warm_load_cache(rt: &tokio::runtime::Runtime, path: &std::path::Path) {
    use sqlx::{ConnectOptions, Connection};
    let store = rt.block_on(SqliteStore::open(path)).expect("store");
    let state = std::sync::Arc::new(rt.block_on(store.load()).expect("load"));
    // What the service does once its caller's first answer is out: the store caches the load.
    rt.block_on(async { store.loaded(&state) });
    rt.block_on(async {
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .connect()
            .await
            .expect("raw connection");
        for _ in 0..1000 {
            let current: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM load_cache, meta WHERE meta.name = 'revision' \
                 AND load_cache.revision = meta.value",
            )
            .fetch_optional(&mut conn)
            .await
            .expect("read the load cache");
            if current.is_some() {
                return conn.close().await.expect("close");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the load cache was not written within 10 s");
    });
}

/// The terminal's output: bytes are counted (in a cell the [`Screen`] shares), nothing kept.
#[derive(Debug, Default)]
pub struct Sink(Rc<Cell<u64>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.set(self.0.get() + buf.len() as u64);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The terminal the runner uses (`CrosstermBackend` over a 64 KiB `BufWriter`) on a [`Sink`].
pub struct Screen {
    /// The terminal.
    pub term: Terminal<CrosstermBackend<BufWriter<Sink>>>,
    bytes: Rc<Cell<u64>>,
    /// The runner's painter (scrolls the terminal on one-row list moves).
    painter: gatehouse::tui::frame::Painter,
}

impl Screen {
    /// A fixed `width`x`height` terminal: no real terminal is queried.
    pub fn new(width: u16, height: u16) -> Screen {
        let bytes = Rc::new(Cell::new(0));
        let out = BufWriter::with_capacity(1 << 16, Sink(bytes.clone()));
        let term = Terminal::with_options(
            CrosstermBackend::new(out),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
            },
        )
        .expect("terminal");
        Screen {
            term,
            bytes,
            painter: gatehouse::tui::frame::Painter::new(),
        }
    }

    /// Bytes written so far (`Terminal::draw` flushes the buffer at the end of each frame).
    pub fn written(&self) -> u64 {
        self.bytes.get()
    }
}

/// A key press as crossterm reports it (upper-case letters carry SHIFT).
pub fn key(code: KeyCode) -> Event {
    let mods = match code {
        KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
        _ => KeyModifiers::NONE,
    };
    Event::Key(KeyEvent::new(code, mods))
}

/// Key presses for the characters of `s`.
pub fn keys(s: &str) -> Vec<Event> {
    s.chars().map(|c| key(KeyCode::Char(c))).collect()
}

/// One key press → drawn frame, split into its parts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// `App::on_event`.
    pub event: Duration,
    /// `draw::draw` into ratatui's buffer.
    pub render: Duration,
    /// Buffer diff, escape-sequence encoding and the write (the rest of `Terminal::draw`).
    pub flush: Duration,
    /// Bytes written for the frame.
    pub bytes: u64,
}

impl Sample {
    /// Key press to drawn frame.
    pub fn total(&self) -> Duration {
        self.event + self.render + self.flush
    }
}

/// Draws a frame as the runner does (with its painter) and returns (render, flush, bytes).
pub fn frame(app: &App, screen: &mut Screen) -> (Duration, Duration, u64) {
    let before = screen.written();
    let start = Instant::now();
    let shown = screen
        .painter
        .before(&mut screen.term, app)
        .expect("scroll");
    let mut rendered = start;
    let buffer = match shown {
        // Written by the painter (drawn and encoded in `before`): only the flush is left.
        Some(buffer) => {
            rendered = Instant::now();
            std::io::Write::flush(screen.term.backend_mut()).expect("flush");
            buffer
        }
        None => screen
            .term
            .draw(|f| {
                draw(app, f);
                rendered = Instant::now();
            })
            .expect("draw")
            .buffer
            .clone(),
    };
    let end = Instant::now();
    screen.painter.after(app, buffer);
    (rendered - start, end - rendered, screen.written() - before)
}

/// Feeds one event to the app and draws the frame, timing both.
pub fn step(app: &mut App, screen: &mut Screen, ev: &Event) -> Sample {
    let start = Instant::now();
    let effects = app.on_event(ev);
    let event = start.elapsed();
    std::hint::black_box(effects);
    let (render, flush, bytes) = frame(app, screen);
    Sample {
        event,
        render,
        flush,
        bytes,
    }
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Percentile (0..=100) of sorted values (nearest rank), as in `benches/common.rs`.
pub fn percentile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    sorted[((sorted.len() - 1) as f64 * p / 100.0).round() as usize]
}

/// Percentile (0..=100) of unsorted values (sorts a copy).
pub fn pct<T: Copy + Default + Ord>(values: &[T], p: f64) -> T {
    let mut v = values.to_vec();
    v.sort_unstable();
    percentile(&v, p)
}

/// Mean of byte counts.
pub fn mean(values: &[u64]) -> f64 {
    values.iter().sum::<u64>() as f64 / values.len().max(1) as f64
}
