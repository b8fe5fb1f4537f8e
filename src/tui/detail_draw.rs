//! Drawing a detail page: its title, then its lines from the scroll position; a line with
//! cells (a permission's access toggles) takes as many rows as its cells need at this width, so
//! no toggle is cut, and the page is shown from wherever keeps the cursor's line in view.

use super::app::App;
use super::detail::{DLine, Detail};
use crate::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Width of the label before a line's cells (`access       `).
const LABEL: usize = 13;

fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// How many cells of `l` go on a row `area_width` wide (at least one).
fn columns(l: &DLine, area_width: u16) -> usize {
    let cell = l.cells.iter().map(|c| width(c)).max().unwrap_or(1) + 2;
    let room = usize::from(area_width).saturating_sub(1 + LABEL) + 2;
    (room / cell).max(1)
}

/// The rows `l` takes at `area_width`.
fn rows_of(l: &DLine, area_width: u16) -> usize {
    if l.cells.is_empty() {
        1
    } else {
        l.cells.len().div_ceil(columns(l, area_width))
    }
}

/// The rows of `l`, styled `style`.
fn render(l: &DLine, area_width: u16, style: Style) -> Vec<Line<'static>> {
    if l.cells.is_empty() {
        return vec![Line::from(Span::styled(
            format!(" {}", sanitize(&l.text)),
            style,
        ))];
    }
    let cols = columns(l, area_width);
    let cell = l.cells.iter().map(|c| width(c)).max().unwrap_or(1) + 2;
    l.cells
        .chunks(cols)
        .enumerate()
        .map(|(i, chunk)| {
            let label = if i == 0 {
                sanitize(&l.text).into_owned()
            } else {
                String::new()
            };
            let mut text = format!(" {label:<LABEL$}");
            for (n, c) in chunk.iter().enumerate() {
                let c = sanitize(c);
                text.push_str(&c);
                if n + 1 < chunk.len() {
                    text.push_str(&" ".repeat(cell.saturating_sub(width(&c))));
                }
            }
            Line::from(Span::styled(text, style))
        })
        .collect()
}

/// The first line to show so that the cursor's line is within `height` rows.
fn first_line(d: &Detail, area_width: u16, height: usize) -> usize {
    let cursor = d.cursor.min(d.lines.len().saturating_sub(1));
    let mut start = d.scroll.min(cursor);
    let rows = |from: usize| -> usize {
        d.lines
            .iter()
            .take(cursor + 1)
            .skip(from)
            .map(|l| rows_of(l, area_width))
            .sum()
    };
    while start < cursor && rows(start) > height {
        start += 1;
    }
    start
}

/// Draws `d` into `area`.
pub fn draw_detail(app: &App, d: &Detail, f: &mut Frame<'_>, area: Rect) {
    let t = &app.theme;
    let title = Line::from(vec![
        Span::styled(format!(" {} ", sanitize(&d.title)), t.accent),
        Span::styled(" Esc back · j/k move · a add · x remove · e edit", t.dim),
    ]);
    let mut lines = vec![title];
    let height = usize::from(area.height.saturating_sub(1));
    let start = first_line(d, area.width, height);
    for (i, l) in d.lines.iter().enumerate().skip(start) {
        if lines.len() > height {
            break;
        }
        let style = if i == d.cursor {
            t.selected
        } else if l.heading {
            t.header
        } else {
            t.text
        };
        lines.extend(render(l, area.width, style));
    }
    lines.truncate(height + 1);
    f.render_widget(Paragraph::new(lines), area);
}
