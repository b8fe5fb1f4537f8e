//! Centred modal boxes for every prompt and dialog: clamped to the frame, text wrapped to the
//! box, scrolled (with a `↑`/`↓ more` mark) so the line that matters — the buttons, the
//! selection — is visible, and drawn on top of what is under it (`Clear`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// A modal box's content.
#[derive(Debug, Default)]
pub struct Modal<'a> {
    /// The title on the top border.
    pub title: Span<'a>,
    /// The lines (wrapped to the box's width).
    pub lines: Vec<Line<'a>>,
    /// The widest the box may be (outer width), before clamping to the frame.
    pub width: u16,
    /// The line that must be visible when the box is too short for all of them (`None`: the
    /// first).
    pub keep: Option<usize>,
    /// A hint on the bottom border (`any key closes`).
    pub footer: Option<Span<'a>>,
    /// The border's style.
    pub border: Style,
}

/// `line` wrapped into rows of at most `width` columns (at spaces when it can, otherwise
/// anywhere). Always at least one row.
pub fn wrap_line(line: &Line<'_>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    // Continuation rows are indented like the line.
    let indent = line
        .spans
        .iter()
        .flat_map(|s| s.content.chars())
        .take_while(|c| *c == ' ')
        .count()
        .min(width / 2);
    let mut rows: Vec<Vec<(String, Style, usize)>> = vec![Vec::new()];
    let mut used = 0usize;
    for span in &line.spans {
        for g in span.styled_graphemes(Style::default()) {
            let w = Span::raw(g.symbol).width();
            if used + w > width && used > 0 {
                // Break at the last space of the row, if there is one past its start.
                let row = rows.last_mut().map(std::mem::take).unwrap_or_default();
                let cut = row.iter().rposition(|(s, _, _)| s == " ");
                let (keep, carry) = match cut {
                    Some(i) if i >= indent.max(1) && g.symbol != " " => {
                        let mut keep = row;
                        let carry = keep.split_off(i + 1);
                        (keep, carry)
                    }
                    _ => (row, Vec::new()),
                };
                if let Some(last) = rows.last_mut() {
                    *last = keep;
                }
                let mut next: Vec<(String, Style, usize)> = (0..indent)
                    .map(|_| (" ".to_string(), Style::default(), 1))
                    .collect();
                next.extend(carry);
                used = next.iter().map(|(_, _, w)| w).sum();
                rows.push(next);
                if g.symbol == " " {
                    // A space at the break is the break.
                    continue;
                }
            }
            if let Some(row) = rows.last_mut() {
                row.push((g.symbol.to_string(), g.style, w));
            }
            used += w;
        }
    }
    rows.into_iter()
        .map(|row| {
            let mut spans: Vec<Span<'static>> = Vec::new();
            for (s, style, _) in row {
                match spans.last_mut() {
                    Some(last) if last.style == style => last.content.to_mut().push_str(&s),
                    _ => spans.push(Span::styled(s, style)),
                }
            }
            Line::from(spans).style(line.style)
        })
        .collect()
}

/// The rect of a box `width` x `height` centred in `area` (clamped to it).
pub fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Draws `m` centred in `area`; returns the box's rect.
pub fn draw_modal(f: &mut Frame<'_>, area: Rect, m: Modal<'_>) -> Rect {
    let w = m.width.max(4).min(area.width);
    let inner_w = usize::from(w.saturating_sub(2)).max(1);
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut keep = (0, 0);
    for (i, l) in m.lines.iter().enumerate() {
        let start = rows.len();
        rows.extend(wrap_line(l, inner_w));
        if Some(i) == m.keep {
            keep = (start, rows.len());
        }
    }
    let want = u16::try_from(rows.len() + 2).unwrap_or(u16::MAX);
    let r = centred(area, w, want);
    let inner_h = usize::from(r.height.saturating_sub(2));
    let scroll = if rows.len() <= inner_h {
        0
    } else {
        keep.1
            .saturating_sub(inner_h)
            .min(keep.0)
            .min(rows.len() - inner_h)
    };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(m.border)
        .title(m.title);
    let mut bottom: Vec<Span<'_>> = Vec::new();
    if scroll > 0 {
        bottom.push(Span::raw(" ↑ more "));
    }
    if scroll + inner_h < rows.len() {
        bottom.push(Span::raw(" ↓ more "));
    }
    if let Some(foot) = m.footer {
        bottom.push(foot);
    }
    if !bottom.is_empty() {
        block = block.title_bottom(Line::from(bottom));
    }
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(rows)
            .block(block)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        r,
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn text(l: &Line<'_>) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_keeps_every_character() {
        let l = Line::from(vec![
            Span::raw("  Discard your "),
            Span::raw("changes? y discards"),
        ]);
        let rows: Vec<String> = wrap_line(&l, 12).iter().map(text).collect();
        assert_eq!(
            rows,
            ["  Discard ", "  your ", "  changes? y", "  discards"]
        );
        let long: Vec<String> = wrap_line(&Line::from("abcdefghij"), 4)
            .iter()
            .map(text)
            .collect();
        assert_eq!(long, ["abcd", "efgh", "ij"]);
        assert_eq!(wrap_line(&Line::from(""), 10).len(), 1);
    }

    #[test]
    fn a_tall_modal_fits_the_frame_and_keeps_its_kept_line_visible() {
        let mut t = Terminal::new(TestBackend::new(30, 8)).expect("terminal");
        t.draw(|f| {
            let lines = (0..20).map(|i| Line::from(format!("line {i}"))).collect();
            let r = draw_modal(
                f,
                f.area(),
                Modal {
                    title: Span::raw(" t "),
                    lines,
                    width: 60,
                    keep: Some(19),
                    ..Default::default()
                },
            );
            assert_eq!(r, Rect::new(0, 0, 30, 8));
        })
        .expect("draw");
        let screen = t.backend().to_string();
        assert!(screen.contains("line 19"), "{screen}");
        assert!(!screen.contains("line 0 "), "{screen}");
        assert!(screen.contains("↑ more"), "{screen}");
    }
}
