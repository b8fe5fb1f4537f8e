//! Drawing a detail page: its title, then its lines from the scroll position; a line with
//! cells (a permission's access toggles) takes as many rows as its cells need at this width, so
//! no toggle is cut (on a page too short for them all, the set ones and a count of the rest),
//! and the page is shown from wherever keeps the cursor's line in view. A relation that ends
//! has its badge beside it (`expires in 3h`; `expired 2h ago (no access)`, dim).

use super::app::App;
use super::detail::{DLine, Detail};
use super::field::Tri;
use crate::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::borrow::Cow;
use time::OffsetDateTime;

/// Width of the label before a line's cells (`access       `).
const LABEL: usize = 13;

use super::fit::width;

/// How a line's cells are laid out: the cells shown, the width of each column.
struct Grid<'a> {
    cells: Vec<Cow<'a, str>>,
    widths: Vec<usize>,
}

impl Grid<'_> {
    fn rows(&self) -> usize {
        self.cells.len().div_ceil(self.widths.len().max(1))
    }
}

/// The most columns (each as wide as its widest cell, two spaces apart) that fit in `room`.
fn pack<'a>(cells: Vec<Cow<'a, str>>, room: usize) -> Grid<'a> {
    for cols in (1..=cells.len().max(1)).rev() {
        let mut widths = vec![0; cols];
        for (i, c) in cells.iter().enumerate() {
            widths[i % cols] = widths[i % cols].max(width(c));
        }
        if widths.iter().sum::<usize>() + 2 * (cols - 1) <= room || cols == 1 {
            return Grid { cells, widths };
        }
    }
    Grid {
        cells,
        widths: vec![0],
    }
}

/// The layout of `l`'s cells at `area_width`; when they would take more than `height` rows,
/// only the set ones (`[+]`, `[-]`) and a count of the others, so no grant or deny is out of
/// reach.
fn grid(l: &DLine, area_width: u16, height: usize) -> Grid<'_> {
    let room = usize::from(area_width).saturating_sub(1 + LABEL);
    let all = pack(
        l.cells.iter().map(|c| Cow::Borrowed(c.as_str())).collect(),
        room,
    );
    if all.rows() <= height.saturating_sub(2).max(1) {
        return all;
    }
    let off = Tri::Off.mark();
    let mut set: Vec<Cow<'_, str>> = l
        .cells
        .iter()
        .filter(|c| !c.starts_with(off))
        .map(|c| Cow::Borrowed(c.as_str()))
        .collect();
    let unset = l.cells.len() - set.len();
    if unset > 0 {
        set.push(Cow::Owned(format!("({unset} not set)")));
    }
    pack(set, room)
}

/// The rows `l` takes at `area_width` on a page of `height` rows, `now` being now.
fn rows_of(l: &DLine, area_width: u16, height: usize, now: OffsetDateTime) -> usize {
    if let Some(end) = l.ends {
        let badge = super::ends::badge(end, now).0;
        ending(&l.text, &badge, area_width, Styles::default()).len()
    } else if l.cells.is_empty() {
        plain(&l.text, area_width, Style::default()).len()
    } else {
        grid(l, area_width, height).rows()
    }
}

/// A line without cells, wrapped to the width (continuation rows indented like it), so the
/// end of a long line — a relation's denies, say — is never cut off.
fn plain(text: &str, area_width: u16, style: Style) -> Vec<Line<'static>> {
    let line = Line::from(Span::styled(format!(" {}", sanitize(text)), style));
    super::modal::wrap_line(&line, usize::from(area_width).max(1))
}

/// The styles of a relation that ends: its name and its badge.
#[derive(Default, Clone, Copy)]
struct Styles {
    name: Style,
    badge: Style,
}

/// A relation that ends: its name, then its badge (`expires in 3h`) on the first row. A name
/// too long for the row wraps in the room the badge leaves, so neither is ever cut; on a
/// screen too narrow for that the badge takes a row of its own.
fn ending(text: &str, badge: &str, area_width: u16, styles: Styles) -> Vec<Line<'static>> {
    let all = usize::from(area_width).max(1);
    let name = format!(" {}", sanitize(text));
    let badge_w = width(badge) + 2;
    if width(&name) + badge_w <= all {
        return vec![Line::from(vec![
            Span::styled(name, styles.name),
            Span::styled(format!("  {badge}"), styles.badge),
        ])];
    }
    let room = all.saturating_sub(badge_w);
    if room < 12 {
        let mut rows = plain(text, area_width, styles.name);
        let badge = super::fit::cut_end(format!("    {badge}").into(), all).into_owned();
        rows.push(Line::from(Span::styled(badge, styles.badge)));
        return rows;
    }
    let mut rows = super::modal::wrap_line(&Line::from(Span::styled(name, styles.name)), room);
    if let Some(first) = rows.first_mut() {
        let pad = " ".repeat(room.saturating_sub(first.width()));
        first
            .spans
            .push(Span::styled(format!("{pad}  {badge}"), styles.badge));
    }
    rows
}

/// The rows of `l`, styled `style`.
fn render(l: &DLine, area_width: u16, height: usize, style: Style) -> Vec<Line<'static>> {
    if l.cells.is_empty() {
        return plain(&l.text, area_width, style);
    }
    let g = grid(l, area_width, height);
    let cols = g.widths.len().max(1);
    g.cells
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
                    let w = g.widths.get(n).copied().unwrap_or(0);
                    text.push_str(&" ".repeat(w.saturating_sub(width(&c)) + 2));
                }
            }
            Line::from(Span::styled(text, style))
        })
        .collect()
}

/// The first line to show so that the cursor's line is within `height` rows.
fn first_line(d: &Detail, area_width: u16, height: usize, now: OffsetDateTime) -> usize {
    let cursor = d.cursor.min(d.lines.len().saturating_sub(1));
    let mut start = d.scroll.min(cursor);
    let rows = |from: usize| -> usize {
        d.lines
            .iter()
            .take(cursor + 1)
            .skip(from)
            .map(|l| rows_of(l, area_width, height, now))
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
    let mut title = super::detail_nav::title_line(app, d, area.width);
    if title.width() > usize::from(area.width) && title.spans.len() > 1 {
        // The footer has the keys too: the title keeps its breadcrumb and filter whole.
        title.spans.pop();
    }
    let mut lines = vec![title];
    let height = usize::from(area.height.saturating_sub(1));
    let now = app.now();
    let start = first_line(d, area.width, height, now);
    for i in d.shown().into_iter().filter(|i| *i >= start) {
        let Some(l) = d.lines.get(i) else { continue };
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
        let text = d.line_text(i);
        if let Some(end) = l.ends {
            // Past its end it gives no access: dim (the badge says so too).
            let (badge, ended) = super::ends::badge(end, now);
            let styles = match (i == d.cursor, ended) {
                (true, _) => Styles {
                    name: style,
                    badge: style,
                },
                (false, true) => Styles {
                    name: t.dim,
                    badge: t.dim,
                },
                (false, false) => Styles {
                    name: style,
                    badge: t.accent,
                },
            };
            lines.extend(ending(&l.text, &badge, area.width, styles));
        } else if text != l.text {
            // A heading with the filter's match count.
            lines.push(Line::from(Span::styled(
                format!(" {}", sanitize(&text)),
                style,
            )));
        } else {
            lines.extend(render(l, area.width, height, style));
        }
    }
    lines.truncate(height + 1);
    f.render_widget(Paragraph::new(lines), area);
}
