//! Scrolling for read-only text (the message log, `?` help, the Access check answer, an audit
//! event): an offset moved by the list keys (j/k, arrows, PageUp/PageDown, g/G), text wrapped
//! to the width it is drawn at, and a "more below" marker when it does not fit.

use super::keys::Action;
use super::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::cell::Cell;

/// Where a scrolled text is, and how far it can go (learnt when it was last drawn).
#[derive(Debug, Clone, Default)]
pub struct Scroll {
    /// The first line shown.
    pub offset: usize,
    /// The largest useful offset at the last draw.
    max: Cell<usize>,
    /// Rows shown at the last draw (a page).
    page: Cell<usize>,
}

impl Scroll {
    /// Moves for a scrolling action; false when the action is not a scrolling one.
    pub fn on_action(&mut self, action: Action) -> bool {
        let page = self.page.get().max(2) - 1;
        let max = self.max.get();
        self.offset = match action {
            Action::Down => self.offset.saturating_add(1),
            Action::Up => self.offset.saturating_sub(1),
            Action::PageDown => self.offset.saturating_add(page),
            Action::PageUp => self.offset.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => max,
            _ => return false,
        }
        .min(max);
        true
    }

    /// True when lines are hidden below the last drawn view.
    pub fn more_below(&self) -> bool {
        self.offset < self.max.get()
    }

    /// Draws `lines` (already wrapped to `area.width`) from the offset; a last row says when
    /// more is below, a first row when more is above.
    pub fn render(&self, lines: Vec<Line<'static>>, t: &Theme, f: &mut Frame<'_>, area: Rect) {
        let height = usize::from(area.height);
        if height == 0 {
            return;
        }
        let total = lines.len();
        let max = total.saturating_sub(height);
        self.max.set(max);
        self.page.set(height);
        let offset = self.offset.min(max);
        let mut shown: Vec<Line> = lines.into_iter().skip(offset).take(height).collect();
        if offset + height < total
            && let Some(last) = shown.last_mut()
        {
            let below = total - offset - height + 1;
            *last = marker(&format!("▼ {below} more below · j/k PgDn G"), t.accent);
        }
        if offset > 0
            && height > 1
            && let Some(first) = shown.first_mut()
        {
            *first = marker(&format!("▲ {offset} more above · k PgUp g"), t.dim);
        }
        f.render_widget(Paragraph::new(shown), area);
    }
}

fn marker(text: &str, style: Style) -> Line<'static> {
    Line::from(Span::styled(format!(" {text}"), style))
}

/// Wraps `text` to `width` columns: at spaces where it can, inside a word when one is longer
/// than a line. The text's leading spaces are kept; `indent` starts every continuation line.
/// Never returns an empty list.
pub fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let width = width.max(indent.chars().count() + 8);
    let body = text.trim_start_matches(' ');
    let lead = text.len() - body.len();
    let mut out = Vec::new();
    let mut line = " ".repeat(lead);
    let mut col = lead;
    for word in body.split(' ') {
        let w = Span::raw(word).width();
        let sep = usize::from(col > lead);
        if col > lead && col + sep + w > width {
            out.push(std::mem::take(&mut line));
            line.push_str(indent);
            col = indent.chars().count();
        } else if sep == 1 {
            line.push(' ');
            col += 1;
        }
        for c in word.chars() {
            let cw = Span::raw(c.to_string()).width();
            if col + cw > width && col > indent.chars().count() {
                out.push(std::mem::take(&mut line));
                line.push_str(indent);
                col = indent.chars().count();
            }
            line.push(c);
            col += cw;
        }
    }
    out.push(line);
    out
}

/// Wraps each `(text, style)` to `width` and makes the lines to draw.
pub fn wrapped_lines(items: &[(String, Style)], width: usize, indent: &str) -> Vec<Line<'static>> {
    items
        .iter()
        .flat_map(|(text, style)| {
            wrap(text, width, indent)
                .into_iter()
                .map(move |l| Line::from(Span::styled(l, *style)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_every_character_and_fits_the_width() {
        let text = "a warning that is long enough to need several lines: READ of attribute \
                    name_of_a_very_long_attribute_without_spaces_at_all_in_it is not allowed";
        let lines = wrap(text, 20, "  ");
        assert!(lines.len() > 3, "{lines:?}");
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        let joined: String = lines.concat().split_whitespace().collect();
        let want: String = text.split_whitespace().collect();
        assert_eq!(joined, want);
    }

    #[test]
    fn scrolling_stops_at_the_ends() {
        let s = Scroll::default();
        s.max.set(5);
        s.page.set(4);
        let mut s = s;
        assert!(s.on_action(Action::Bottom));
        assert_eq!(s.offset, 5);
        s.on_action(Action::Down);
        assert_eq!(s.offset, 5);
        s.on_action(Action::PageUp);
        assert_eq!(s.offset, 2);
        s.on_action(Action::Top);
        assert_eq!(s.offset, 0);
        s.on_action(Action::Up);
        assert_eq!(s.offset, 0);
        assert!(!s.on_action(Action::Quit));
    }
}
