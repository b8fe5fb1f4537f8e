//! The help overlay and the confirm dialog, as centred modals ([`super::modal`]).

use super::app::{App, Confirm};
use super::confirm::WhatIf;
use super::draw::short_desc;
use super::keys::{BINDINGS, label};
use super::modal::{Modal, centred, draw_modal};
use crate::text::sanitize;
use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear};

/// Draws the `?` overlay: one column when the screen is tall enough, else two.
pub fn draw_help(app: &App, f: &mut Frame<'_>) {
    let t = &app.theme;
    let reason = app.read_only_reason();
    let area = f.area();
    let one_column = BINDINGS.len() as u16 + 6 <= area.height;
    let mut lines = Vec::new();
    if one_column {
        lines.push(Line::from(""));
        for b in BINDINGS {
            let mut spans = vec![
                Span::styled(format!("  {:<7}", label(b.action)), t.accent),
                Span::raw(format!("{:<38}", b.description)),
            ];
            match (&reason, b.mutating) {
                (Some(r), true) => {
                    spans.push(Span::styled(format!("disabled: {}", sanitize(r)), t.dim))
                }
                (None, true) => spans.push(Span::styled("writes", t.dim)),
                _ => {}
            }
            lines.push(Line::from(spans));
        }
    } else {
        // Small terminals: two columns, writes marked with `*`.
        let inner = usize::from(76.min(area.width).saturating_sub(2));
        let desc = (inner / 2).saturating_sub(8).min(28);
        let half = BINDINGS.len().div_ceil(2);
        for i in 0..half {
            let mut spans = Vec::new();
            for b in [BINDINGS.get(i), BINDINGS.get(i + half)]
                .into_iter()
                .flatten()
            {
                let mark = if b.mutating { "*" } else { " " };
                let style = if b.mutating && reason.is_some() {
                    t.dim
                } else {
                    t.text
                };
                spans.push(Span::styled(format!(" {:<6}", label(b.action)), t.accent));
                spans.push(Span::styled(
                    format!("{:<desc$}{mark}", short_desc(b.description)),
                    style,
                ));
            }
            lines.push(Line::from(spans));
        }
        let note = match &reason {
            Some(r) => format!(" * writes: disabled ({})", sanitize(r)),
            None => " * writes".to_string(),
        };
        lines.push(Line::from(Span::styled(note, t.dim)));
    }
    lines.push(Line::from(Span::styled(
        "  j/k PgDn g/G scroll · any other key closes this help",
        t.dim,
    )));
    // The help scrolls (j/k, PgUp/PgDn, g/G) inside a box that fits the screen.
    let r = centred(area, 76, u16::try_from(lines.len() + 2).unwrap_or(u16::MAX));
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" keys ", t.accent))
        .title_bottom(Span::styled(" j/k scroll · any other key closes ", t.dim));
    let inner = block.inner(r);
    f.render_widget(Clear, r);
    f.render_widget(block, r);
    app.help_scroll.render(lines, t, f, inner);
}

/// The confirm dialog's widest (outer) width.
const CONFIRM_WIDTH: u16 = 70;

/// The what-if under a confirm dialog's question, in at most `room` rows of `width` columns
/// (each line cut with `…` rather than wrapped; what does not fit is counted).
fn what_if_lines(app: &App, c: &Confirm, width: usize, room: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let texts: Vec<String> = match &c.what_if {
        WhatIf::None => return Vec::new(),
        WhatIf::Pending => vec!["Working out who would gain or lose access…".into()],
        WhatIf::Failed(e) => vec![format!("Who would gain or lose access is unknown: {e}")],
        WhatIf::Lines(l) => l.clone(),
    };
    if room == 0 {
        return Vec::new();
    }
    let n = texts.len();
    let shown = if n > room { room.saturating_sub(1) } else { n };
    let mut out: Vec<Line<'static>> = texts
        .iter()
        .take(shown)
        .map(|l| {
            let text = format!("  {}", sanitize(l));
            Line::from(Span::styled(
                super::fit::cut_end(text.into(), width).into_owned(),
                t.dim,
            ))
        })
        .collect();
    if shown < n {
        let more = format!(
            "  … {} more line(s): `--dry-run` on the CLI lists them all",
            n - shown
        );
        out.push(Line::from(Span::styled(
            super::fit::cut_end(more.into(), width).into_owned(),
            t.dim,
        )));
    }
    out
}

/// Draws the confirm dialog; its question and buttons stay in view however long the what-if
/// under the question is (what does not fit is counted).
pub fn draw_confirm(app: &App, c: &Confirm, f: &mut Frame<'_>) {
    let t = &app.theme;
    let mut lines = vec![Line::from(""), Line::from(format!("  {}", c.question))];
    if let Some(name) = &c.type_name {
        lines.push(Line::from(""));
        lines.push(Line::from(format!(
            "  It still has members. Type '{}' to confirm:",
            sanitize(name)
        )));
        let mut typed = vec![Span::raw("  > ")];
        typed.extend(super::line_edit::spans(t, &c.typed, t.accent));
        lines.push(Line::from(typed));
    }
    let area = f.area();
    let inner_w = usize::from(CONFIRM_WIDTH.min(area.width).saturating_sub(2)).max(1);
    if let Some(ends) = &c.ends {
        lines.extend(ends.lines(t, app.now(), inner_w));
    }
    // Rows left for the what-if once the question, a blank line each side, the buttons and
    // the borders are drawn, and the header and key-hint rows kept in view: the question, the
    // buttons and the header's badges never scroll away or hide behind it.
    let used: usize = lines
        .iter()
        .map(|l| super::modal::wrap_line(l, inner_w).len())
        .sum::<usize>()
        + 2
        + 1
        + 2
        + 2;
    let room = usize::from(area.height).saturating_sub(used);
    let what_if = what_if_lines(app, c, inner_w, room);
    if !what_if.is_empty() {
        lines.push(Line::from(""));
        lines.extend(what_if);
    }
    lines.push(Line::from(""));
    let (cancel, yes) = if c.yes_focused {
        (t.text, t.alert)
    } else {
        (t.selected, t.dim)
    };
    lines.push(Line::from(vec![
        Span::raw("        "),
        Span::styled(" Cancel ", cancel),
        Span::raw("   "),
        Span::styled(format!(" {} ", c.yes_label), yes),
    ]));
    let keep = Some(lines.len() - 1);
    draw_modal(
        f,
        f.area(),
        Modal {
            title: Span::styled(" confirm ", t.alert),
            lines,
            width: CONFIRM_WIDTH,
            keep,
            ..Default::default()
        },
    );
}
