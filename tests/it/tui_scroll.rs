//! The terminal really shows what the app drew when the list scrolls one row at a time: the
//! bytes the painter writes (scroll region + `CSI S`/`CSI T` + ratatui's diff) are fed to a
//! terminal emulator (vt100) and its screen is compared, cell by cell, with a fresh rendering.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use gatehouse::backend::Backend;
use gatehouse::backend::UserSpec;
use gatehouse::connect::LocalBackend;
use gatehouse::store::MemoryStore;
use gatehouse::tui::app::{App, Effect};
use gatehouse::tui::draw::draw;
use gatehouse::tui::frame::Painter;
use gatehouse::tui::perform;
use gatehouse::tui::theme::Theme;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::num::NonZeroU16;
use std::sync::Arc;

/// A writer whose bytes the test can read while the terminal owns it.
#[derive(Clone, Default)]
struct Tape(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Tape {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("tape").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Tape {
    /// Takes what was written since the last call.
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().expect("tape"))
    }
}

async fn settle(app: &mut App, b: &dyn Backend, mut effects: Vec<Effect>) {
    while let Some(e) = effects.pop() {
        if let Some(msg) = perform(b, e).await {
            effects.extend(app.on_msg(msg));
        }
    }
}

fn expected(app: &App) -> Vec<Vec<(String, bool)>> {
    let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).expect("terminal");
    t.draw(|f| draw(app, f)).expect("draw");
    let buf = t.backend().buffer();
    (0..app.size.1)
        .map(|y| {
            (0..app.size.0)
                .map(|x| {
                    let c = &buf[(x, y)];
                    (
                        c.symbol().to_string(),
                        c.modifier.contains(Modifier::REVERSED),
                    )
                })
                .collect()
        })
        .collect()
}

fn shown(p: &vt100::Parser, (w, h): (u16, u16)) -> Vec<Vec<(String, bool)>> {
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| {
                    let c = p.screen().cell(y, x).expect("cell");
                    let s = c.contents();
                    (
                        if s.is_empty() {
                            " ".into()
                        } else {
                            s.to_string()
                        },
                        c.inverse(),
                    )
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn one_row_scrolls_keep_the_terminal_identical_to_the_app_and_write_little() {
    let mut b =
        LocalBackend::with_store(Arc::new(MemoryStore::new()), "memory".into(), None, false)
            .await
            .expect("open");
    b.init_and_adopt("root").await.expect("init");
    for i in 0..120 {
        b.create_user(UserSpec {
            username: format!("user{i:04}"),
            email: format!("user{i:04}@example.org"),
            ..Default::default()
        })
        .await
        .expect("user");
    }
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let mut app = App::new(Theme::monochrome(), (w, h), false);
        settle(&mut app, &b, vec![Effect::Load]).await;
        for c in ":users\n".chars() {
            let code = if c == '\n' {
                KeyCode::Enter
            } else {
                KeyCode::Char(c)
            };
            let fx = app.on_event(&Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
            settle(&mut app, &b, fx).await;
        }
        let tape = Tape::default();
        let mut term = Terminal::with_options(
            CrosstermBackend::new(tape.clone()),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, w, h)),
            },
        )
        .expect("terminal");
        let mut vt = vt100::Parser::new(
            NonZeroU16::new(h).expect("rows"),
            NonZeroU16::new(w).expect("cols"),
            0,
        );
        let mut painter = Painter::new();
        painter.draw(&mut term, &app).expect("draw");
        let first = tape.take();
        let full = first.len();
        vt.process(&first);
        assert_eq!(shown(&vt, (w, h)), expected(&app), "first frame at {w}x{h}");

        let keys: Vec<KeyCode> = std::iter::repeat_n(KeyCode::Char('j'), 60)
            .chain(std::iter::repeat_n(KeyCode::Char('k'), 45))
            .chain([KeyCode::PageDown, KeyCode::Char('j'), KeyCode::Char('G')])
            .chain(std::iter::repeat_n(KeyCode::Char('k'), 30))
            .collect();
        let mut scroll_bytes = Vec::new();
        for (n, code) in keys.into_iter().enumerate() {
            let before = app.list().offset;
            app.on_event(&Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
            painter.draw(&mut term, &app).expect("draw");
            let written = tape.take();
            let bytes = written.len();
            vt.process(&written);
            assert_eq!(
                shown(&vt, (w, h)),
                expected(&app),
                "key {n} ({code:?}) at {w}x{h}: the terminal differs from the app"
            );
            if app.list().offset.abs_diff(before) == 1 {
                scroll_bytes.push(bytes);
            }
        }
        assert!(scroll_bytes.len() > 40, "the keys scrolled the list");
        let mean = scroll_bytes.iter().sum::<usize>() / scroll_bytes.len();
        println!(
            "{w}x{h}: full frame {full} bytes; one-row scroll mean {mean}, max {}",
            scroll_bytes.iter().max().copied().unwrap_or(0)
        );
        assert!(
            mean * 3 < full,
            "a one-row scroll should write far less than a full frame ({mean} vs {full})"
        );
    }
}
