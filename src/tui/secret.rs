//! The dialog that shows a new API key's secret, once: it is never stored in clear and never
//! shown again.

use super::theme::Theme;
use crate::backend::CreatedKey;
use crate::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

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
    super::modal::draw_modal(
        f,
        area,
        super::modal::Modal {
            title: Span::styled(" new API key ", t.accent),
            lines,
            width: 84,
            // The secret itself stays in view on a short screen.
            keep: Some(3),
            ..Default::default()
        },
    );
}
