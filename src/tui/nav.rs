//! Navigation between panes: a column on the left from [`COLUMN_FROM`] columns up, and below
//! that a one-line tab bar (pane names, the active one highlighted, the keys that move between
//! them) so the lists get the full width. Tabs are set apart by a space; the active one is
//! highlighted.

use super::app::App;
use super::keys::{Action, label};
use super::view::Pane;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// The narrowest terminal that has the navigation column; narrower ones get the tab bar.
pub const COLUMN_FROM: u16 = 100;

/// Width of the navigation column on a terminal `width` columns wide (0: the tab bar).
pub fn nav_width(width: u16) -> u16 {
    if width < COLUMN_FROM { 0 } else { 18 }
}

/// The row count a pane shows beside its name (none for a pane without a list: Access
/// check).
fn count(app: &App, p: Pane) -> String {
    if super::panes::def(p).columns.is_empty() {
        return String::new();
    }
    app.lists
        .get(&p)
        .map(|l| format!(" {}", l.rows.len()))
        .unwrap_or_default()
}

fn disabled(app: &App, p: Pane) -> bool {
    app.data
        .as_ref()
        .is_some_and(|d| p.unsupported(&d.info.capabilities).is_some())
}

/// Draws the navigation column.
pub fn draw_nav(app: &App, f: &mut Frame<'_>, area: Rect) {
    let t = &app.theme;
    let lines: Vec<Line> = Pane::ALL
        .iter()
        .map(|p| {
            let style = if *p == app.pane {
                t.selected
            } else if disabled(app, *p) {
                t.dim
            } else {
                t.text
            };
            Line::from(Span::styled(
                format!(" {}{}", p.title(), count(app, *p)),
                style,
            ))
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::RIGHT).border_style(t.dim)),
        area,
    );
}

/// A short pane name for narrow tab bars.
fn short(p: Pane) -> &'static str {
    super::panes::def(p).short
}

/// The tabs' texts at a level of detail: 0 names and counts, 1 counts on the active tab only,
/// 2 short names with the active one's count, 3 short names only.
fn tabs(app: &App, level: u8) -> Vec<String> {
    Pane::ALL
        .iter()
        .map(|&p| {
            let name = if level >= 2 { short(p) } else { p.title() };
            let n = if level == 0 || (p == app.pane && level < 3) {
                count(app, p)
            } else {
                String::new()
            };
            format!(" {name}{n} ")
        })
        .collect()
}

/// Draws the one-line tab bar.
pub fn draw_tabs(app: &App, f: &mut Frame<'_>, area: Rect) {
    let t = &app.theme;
    let width = usize::from(area.width);
    let next = label(Action::NextPane);
    let next = next.split('/').next().unwrap_or("");
    let long = format!(
        " {}/{next} ",
        label(Action::PrevPane).split('/').next().unwrap_or("")
    );
    let short = format!(" {next} ");
    let w = |s: &str| Span::raw(s).width();
    let fits = |v: &[String], extra: usize| v.iter().map(|s| w(s) + 1).sum::<usize>() + extra;
    // The most detail that fits with the keys' hint (long or short), else without it.
    let hinted = (0..=3u8).flat_map(|l| [(l, Some(&long)), (l, Some(&short))]);
    let levels = hinted.chain((0..=3u8).map(|l| (l, None)));
    let (mut texts, mut hint) = (tabs(app, 3), None);
    for (level, h) in levels {
        let v = tabs(app, level);
        if fits(&v, h.map_or(0, |h| w(h))) <= width {
            (texts, hint) = (v, h);
            break;
        }
    }
    // Still too wide: a window of tabs around the active one.
    let active = Pane::ALL.iter().position(|p| *p == app.pane).unwrap_or(0);
    let (mut from, mut to) = (active, active + 1);
    while fits(&texts[from..to], 2) <= width {
        let grew = if to < texts.len() && fits(&texts[from..=to], 2) <= width {
            to += 1;
            true
        } else {
            false
        };
        if from > 0 && fits(&texts[from - 1..to], 2) <= width {
            from -= 1;
        } else if !grew {
            break;
        }
    }
    let mut spans = Vec::new();
    if from > 0 {
        spans.push(Span::styled("‹", t.dim));
    }
    for (i, text) in texts.iter().enumerate().take(to).skip(from) {
        let p = Pane::ALL[i];
        let style = if p == app.pane {
            t.selected
        } else if disabled(app, p) {
            t.dim
        } else {
            t.text
        };
        spans.push(Span::styled(text.clone(), style));
        spans.push(Span::raw(" "));
    }
    spans.pop();
    if to < texts.len() {
        spans.push(Span::styled("›", t.dim));
    }
    if let Some(hint) = hint
        && from == 0
        && to == texts.len()
    {
        let used: usize = spans.iter().map(Span::width).sum();
        spans.push(Span::raw(" ".repeat(width.saturating_sub(used + w(hint)))));
        spans.push(Span::styled(hint.clone(), t.dim));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
