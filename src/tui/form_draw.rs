//! Drawing a [`Form`]: one line per field (label, value, hint), the matches of a picker under
//! it, the access grid, validation messages under their field, and the save line.

use super::field::{Field, FieldKind, Tri, grid_columns};
use super::fit::{cut_end, cut_start, width};
use super::form::Form;
use super::modal::{Modal, draw_modal};
use super::theme::Theme;
use crate::text::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui_textarea::TextArea;

const LABEL: usize = 14;

/// The text of a one-line input with a visible cursor when focused.
fn input_spans(t: &Theme, input: &TextArea<'_>, focused: bool, room: usize) -> Vec<Span<'static>> {
    // A password: only as many dots as characters.
    let chars: Vec<char> = match input.mask_char() {
        Some(m) => input.lines().join("").chars().map(|_| m).collect(),
        None => input.lines().join("").chars().collect(),
    };
    // Split at the cursor before sanitizing: an escaped control character takes more cells.
    let clean = |part: &[char]| sanitize(&part.iter().collect::<String>()).into_owned();
    let room = room.max(4);
    if !focused {
        return vec![Span::styled(
            cut_end(clean(&chars).into(), room).into_owned(),
            t.text,
        )];
    }
    let col = input.cursor().1.min(chars.len());
    let at = chars.get(col).map_or(" ".into(), |c| clean(&[*c]));
    // The text scrolls sideways so the caret is always in view: what is cut off either side
    // is marked with `…`.
    let before = cut_start(clean(&chars[..col]), room.saturating_sub(width(&at) + 1));
    let left = room.saturating_sub(width(&before) + width(&at));
    let after = cut_end(
        chars.get(col + 1..).map(clean).unwrap_or_default().into(),
        left,
    )
    .into_owned();
    vec![
        Span::styled(before, t.text),
        Span::styled(at, t.selected),
        Span::styled(after, t.text),
    ]
}

fn label(t: &Theme, text: &str, focused: bool) -> Span<'static> {
    Span::styled(
        format!(" {text:>width$} ", width = LABEL - 2),
        if focused { t.accent } else { t.dim },
    )
}

/// The rows of the access grid: `flags` in their `states`, the toggle at `cursor` (when the
/// grid has the focus) highlighted.
fn grid_rows(
    t: &Theme,
    flags: &[String],
    states: &[Tri],
    cursor: Option<usize>,
    width: u16,
) -> Vec<Line<'static>> {
    let cols = grid_columns(width);
    let cell = usize::from(width.saturating_sub(LABEL as u16 + 1)) / cols;
    let mut lines = Vec::new();
    for (row, chunk) in flags.chunks(cols).enumerate() {
        let mut row_spans = vec![label(t, "", false)];
        for (i, name) in chunk.iter().enumerate() {
            let n = row * cols + i;
            let state = states.get(n).copied().unwrap_or_default();
            let mut style = match state {
                Tri::Off => t.text,
                Tri::Grant => t.ok,
                Tri::Deny => t.alert,
            };
            if cursor == Some(n) {
                style = t.selected;
            }
            let text = format!("{} {}", state.mark(), sanitize(name));
            let pad = cell.saturating_sub(text.chars().count());
            row_spans.push(Span::styled(text, style));
            row_spans.push(Span::raw(" ".repeat(pad)));
        }
        lines.push(Line::from(row_spans));
    }
    lines
}

/// The row of a focused picker field's matches around the chosen one (`cursor`), if it has
/// more than one.
fn match_row(t: &Theme, f: &Field, cursor: usize, width: u16) -> Option<Line<'static>> {
    let matches = f.matches();
    if matches.len() < 2 {
        return None;
    }
    let chosen = cursor.min(matches.len() - 1);
    let mut row = vec![label(t, "", false)];
    let room = usize::from(width).saturating_sub(LABEL + 4);
    let mut used = 0;
    let start = chosen.saturating_sub(3);
    for (i, (_, l)) in matches.iter().enumerate().skip(start) {
        let text = sanitize(l).into_owned();
        let w = text.chars().count() + 2;
        if used + w > room {
            row.push(Span::styled("…", t.dim));
            break;
        }
        used += w;
        row.push(Span::styled(
            text,
            if i == chosen { t.selected } else { t.dim },
        ));
        row.push(Span::raw("  "));
    }
    Some(Line::from(row))
}

/// The lines of field `f`, and which of them holds the focus (the focused toggle's row in the
/// access grid; the first line otherwise).
fn field_lines(t: &Theme, f: &Field, focused: bool, width: u16) -> (Vec<Line<'static>>, usize) {
    let mut lines = Vec::new();
    let mut focus_row = 0;
    // Columns for the value after the label (and the caret).
    let room = usize::from(width).saturating_sub(LABEL + 3);
    let mut spans = vec![label(t, f.label, focused)];
    match &f.kind {
        FieldKind::Text(input) => spans.extend(input_spans(t, input, focused, room)),
        FieldKind::Toggle(on) => spans.push(Span::styled(
            if *on { "[x] yes" } else { "[ ] no" },
            if focused { t.selected } else { t.text },
        )),
        FieldKind::Cycle { .. } => spans.push(Span::styled(
            format!("‹ {} ›", sanitize(f.choice().unwrap_or("—"))),
            if focused { t.selected } else { t.text },
        )),
        FieldKind::Pick { filter, .. } => {
            spans.extend(input_spans(t, filter, focused, room));
            let matches = f.matches();
            let typed = filter.lines().join("");
            match f.picked() {
                Some((_, l)) if l.eq_ignore_ascii_case(typed.trim()) => {
                    spans.push(Span::styled("  ✓", t.ok));
                }
                Some((_, l)) => {
                    spans.push(Span::styled("  → ", t.dim));
                    spans.push(Span::styled(sanitize(&l).into_owned(), t.ok));
                    let real = matches.iter().filter(|(id, _)| !id.is_empty()).count();
                    if real > 1 {
                        spans.push(Span::styled(format!("  ({real} matches)"), t.dim));
                    }
                }
                None => spans.push(Span::styled("  → no match", t.alert)),
            }
        }
        FieldKind::Access { .. } => {}
    }
    if !f.hint.is_empty() && !matches!(f.kind, FieldKind::Access { .. }) && focused {
        spans.push(Span::styled(format!("   {}", f.hint), t.dim));
    }
    if let FieldKind::Access {
        flags,
        states,
        cursor,
    } = &f.kind
    {
        let cols = grid_columns(width);
        spans.push(Span::styled(
            format!("{}  ([ ] — [+] grant [-] deny)", f.hint),
            t.dim,
        ));
        lines.push(Line::from(spans));
        if flags.is_empty() {
            lines.push(Line::from(vec![
                label(t, "", false),
                Span::styled("pick an entity first", t.dim),
            ]));
        }
        focus_row = lines.len() + cursor / cols.max(1);
        lines.extend(grid_rows(
            t,
            flags,
            states,
            focused.then_some(*cursor),
            width,
        ));
    } else {
        lines.push(Line::from(spans));
    }
    if focused && let FieldKind::Pick { cursor, .. } = &f.kind {
        lines.extend(match_row(t, f, *cursor, width));
    }
    if let Some(n) = &f.note {
        let room = usize::from(width).saturating_sub(LABEL + 2);
        let (text, style) = if n.warning {
            (format!("⚠ {}", sanitize(&n.text)), t.alert)
        } else {
            (format!("✓ {}", sanitize(&n.text)), t.ok)
        };
        for part in super::scroll::wrap(&text, room, "  ") {
            lines.push(Line::from(vec![
                label(t, "", false),
                Span::styled(part, style),
            ]));
        }
    }
    if let Some(e) = &f.error {
        // Wrapped, never cut: the whole message is under its field.
        let room = usize::from(width).saturating_sub(LABEL + 2);
        for part in super::scroll::wrap(&format!("⚠ {}", sanitize(e)), room, "  ") {
            lines.push(Line::from(vec![
                label(t, "", false),
                Span::styled(part, t.alert),
            ]));
        }
    }
    (lines, focus_row)
}

/// The first body line to show in `height` rows: lines `want.0 ..= want.1` in view when they
/// fit, line `must` in view always, and no further down than needed.
fn scroll_for(want: (usize, usize), must: usize, total: usize, height: usize) -> usize {
    if total <= height {
        return 0;
    }
    let height = height.max(1);
    (want.1 + 1)
        .saturating_sub(height)
        .min(want.0)
        .min(must)
        .max((must + 1).saturating_sub(height))
        .min(total - height)
}

/// The discard or conflict prompt the form is asking, if any: its title and lines.
fn prompt(form: &Form, t: &Theme) -> Option<(&'static str, Vec<Line<'static>>)> {
    if form.conflict {
        Some((
            " changed elsewhere ",
            vec![
                Line::from(""),
                Line::from("  Changed by someone else since you opened it."),
                Line::from(""),
                Line::from(vec![
                    Span::styled("  r", t.accent),
                    Span::raw("  reload (drops your edits)"),
                ]),
                Line::from(vec![
                    Span::styled("  o", t.accent),
                    Span::raw("  overwrite with yours"),
                ]),
                Line::from(Span::styled("  any other key keeps editing", t.dim)),
            ],
        ))
    } else if form.discarding {
        Some((
            " discard? ",
            vec![
                Line::from(""),
                Line::from("  Discard your changes?"),
                Line::from(""),
                Line::from(vec![Span::styled("  y", t.accent), Span::raw("  discards")]),
                Line::from(Span::styled("  any other key keeps editing", t.dim)),
            ],
        ))
    } else {
        None
    }
}

/// The lines under the fields: the form's message and the save line (or "saving…").
fn bottom_lines(form: &Form, t: &Theme, width: u16) -> Vec<Line<'static>> {
    let mut bottom = Vec::new();
    if let Some(e) = &form.error {
        let room = usize::from(width).saturating_sub(1);
        for part in super::scroll::wrap(&format!(" ⚠ {}", sanitize(e)), room, "   ") {
            bottom.push(Line::from(Span::styled(part, t.alert)));
        }
    }
    if form.busy {
        bottom.push(Line::from(Span::styled(" saving…", t.dim)));
    } else {
        bottom.push(Line::from(vec![
            Span::raw(" ".repeat(LABEL)),
            Span::styled(" Save ", t.selected),
            Span::styled("  Ctrl-S or Enter", t.dim),
        ]));
    }
    bottom
}

/// Draws the form into `area`, scrolled so the focused field (and the focused toggle of the
/// access grid) is visible; the title, the notice and the save line stay in place. The
/// discard and conflict prompts are modals over the whole frame.
pub fn draw_form(form: &Form, t: &Theme, f: &mut Frame<'_>, area: Rect) {
    let mut title = Line::from(vec![
        Span::styled(format!(" {} ", sanitize(&form.title)), t.accent),
        Span::styled(" Tab/↑↓ field · Ctrl-S or Enter save · Esc cancel", t.dim),
    ]);
    if title.width() > usize::from(area.width) {
        // The footer has the keys too: the title keeps its name whole.
        title.spans.truncate(1);
    }
    let mut top = vec![title];
    if let Some(n) = &form.notice {
        // Wrapped, never cut: it is why a save will ask.
        let room = usize::from(area.width).saturating_sub(1);
        for part in super::scroll::wrap(&format!(" {}", sanitize(n)), room, "   ") {
            top.push(Line::from(Span::styled(part, t.alert)));
        }
    }
    let mut body = vec![Line::from("")];
    // The focused field's lines (with its matches and message), and the line that must show.
    let (mut want, mut must) = ((0, 0), 0);
    for (i, field) in form.fields.iter().enumerate() {
        let start = body.len();
        let (lines, row) = field_lines(t, field, i == form.focus, area.width);
        body.extend(lines);
        if i == form.focus {
            want = (start, body.len().saturating_sub(1));
            must = start + row;
        }
    }
    let mut bottom = bottom_lines(form, t, area.width);
    let top_h = u16::try_from(top.len())
        .unwrap_or(u16::MAX)
        .min(area.height);
    let bottom_h = u16::try_from(bottom.len())
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(top_h + 1));
    let [top_area, body_area, bottom_area] = Layout::vertical([
        Constraint::Length(top_h),
        Constraint::Min(1),
        Constraint::Length(bottom_h),
    ])
    .areas(area);
    let scroll = scroll_for(want, must, body.len(), usize::from(body_area.height));
    // Fields out of view are announced on the save line.
    let more = match (
        scroll > 0,
        scroll + usize::from(body_area.height) < body.len(),
    ) {
        (true, true) => "   ↑↓ more fields",
        (true, false) => "   ↑ more fields",
        (false, true) => "   ↓ more fields",
        (false, false) => "",
    };
    if let Some(last) = bottom.last_mut()
        && !more.is_empty()
    {
        last.spans.push(Span::styled(more, t.dim));
    }
    f.render_widget(Paragraph::new(top), top_area);
    f.render_widget(
        Paragraph::new(body).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        body_area,
    );
    f.render_widget(Paragraph::new(bottom), bottom_area);
    let prompt = prompt(form, t);
    if let Some((title, lines)) = prompt {
        let keep = Some(lines.len() - 1);
        draw_modal(
            f,
            f.area(),
            Modal {
                title: Span::styled(title, t.alert),
                lines,
                width: 60,
                keep,
                ..Default::default()
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::scroll_for;

    #[test]
    fn the_form_scrolls_only_as_far_as_the_focus_needs() {
        assert_eq!(scroll_for((3, 3), 3, 10, 12), 0);
        assert_eq!(scroll_for((3, 5), 3, 30, 10), 0);
        // A field at 18..=20 in 10 rows: rows 11..=20 are shown.
        assert_eq!(scroll_for((18, 20), 18, 30, 10), 11);
        // A field taller than the view keeps its first row...
        assert_eq!(scroll_for((5, 25), 5, 30, 10), 5);
        // ...unless the focused toggle is further down: then that row shows.
        assert_eq!(scroll_for((5, 25), 22, 30, 10), 13);
    }
}
