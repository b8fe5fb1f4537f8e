//! Console flows against a real backend (service + store in process), shared by the
//! `tui_flows` and `tui_forms` tests: keys go into the app, its effects are carried out exactly
//! as the runner does (`tui::perform`), and the screen is drawn on a `TestBackend`.
#![allow(dead_code)]

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use gatehouse::backend::Backend;
use gatehouse::connect::LocalBackend;
use gatehouse::store::MemoryStore;
use gatehouse::tui::app::{App, Effect};
use gatehouse::tui::draw::draw;
use gatehouse::tui::perform;
use gatehouse::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;

pub async fn backend() -> LocalBackend {
    let mut b =
        LocalBackend::with_store(Arc::new(MemoryStore::new()), "memory".into(), None, false)
            .await
            .expect("open");
    b.init_and_adopt("root").await.expect("init");
    b
}

pub use crate::support::build::{add_role as role, add_user as user};

/// Carries out effects (and the effects their messages lead to) until none are left.
pub async fn settle(app: &mut App, b: &dyn Backend, mut effects: Vec<Effect>) {
    while let Some(e) = effects.pop() {
        assert_ne!(e, Effect::Quit);
        if let Some(msg) = perform(b, e).await {
            effects.extend(app.on_msg(msg));
        }
    }
}

pub async fn open(b: &dyn Backend, read_only: bool) -> App {
    let mut app = App::new(Theme::monochrome(), (120, 40), read_only);
    settle(&mut app, b, vec![Effect::Load]).await;
    app
}

pub async fn press(app: &mut App, b: &dyn Backend, keys: &str) {
    for c in keys.chars() {
        let (code, mods) = match c {
            '\n' => (KeyCode::Enter, KeyModifiers::NONE),
            '\t' => (KeyCode::Tab, KeyModifiers::NONE),
            '↓' => (KeyCode::Down, KeyModifiers::NONE),
            '↑' => (KeyCode::Up, KeyModifiers::NONE),
            '→' => (KeyCode::Right, KeyModifiers::NONE),
            '←' => (KeyCode::Left, KeyModifiers::NONE),
            '⎋' => (KeyCode::Esc, KeyModifiers::NONE),
            '⌫' => (KeyCode::Backspace, KeyModifiers::NONE),
            // Ctrl-S saves a form.
            '§' => (KeyCode::Char('s'), KeyModifiers::CONTROL),
            _ => (KeyCode::Char(c), KeyModifiers::NONE),
        };
        let effects = app.on_event(&Event::Key(KeyEvent::new(code, mods)));
        settle(app, b, effects).await;
    }
}

pub fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).expect("terminal");
    t.draw(|f| draw(app, f)).expect("draw");
    t.backend().to_string()
}
