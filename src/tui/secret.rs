//! The dialog that shows a new API key's secret, once: it is never stored in clear and never
//! shown again.

use super::theme::Theme;
use crate::service::CreatedKey;
use crate::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Draws the secret of `key` centered in `area`.
pub fn draw_secret(key: &CreatedKey, owner: &str, t: &Theme, f: &mut Frame<'_>, area: Rect) {
    let r = &key.record;
    let expires = r
        .expires_at
        .map(|e| e.date().to_string())
        .unwrap_or_else(|| "never".into());
    let lines = vec![
        Line::from(""),
        Line::from(format!(
            "  API key {} for {} · {} · expires {expires}",
            sanitize(&r.prefix),
            sanitize(owner),
            if r.read_only {
                "read-only"
            } else {
                "read-write"
            },
        )),
        Line::from(""),
        Line::from(vec![
            Span::raw("  "),
            Span::styled(sanitize(&key.secret).into_owned(), t.accent),
        ]),
        Line::from(""),
        Line::from(Span::styled(
            "  Copy it now: only its SHA-256 is stored, it is never shown again.",
            t.alert,
        )),
        Line::from(Span::styled(
            "  Use it as GATEHOUSE_API_KEY with --remote URL. Any key closes.",
            t.dim,
        )),
    ];
    let w = 84.min(area.width);
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(" new API key ", t.accent)),
        ),
        rect,
    );
}
