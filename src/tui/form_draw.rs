//! Drawing a [`Form`]: one line per field (label, value, hint), the matches of a picker under
//! it, the access grid, validation messages under their field, and the save line.

use super::field::{Field, FieldKind, Tri, grid_columns};
use super::form::Form;
use super::theme::Theme;
use crate::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui_textarea::TextArea;

const LABEL: usize = 14;

/// The text of a one-line input with a visible cursor when focused.
fn input_spans(t: &Theme, input: &TextArea<'_>, focused: bool) -> Vec<Span<'static>> {
    // A password: only as many dots as characters.
    let chars: Vec<char> = match input.mask_char() {
        Some(m) => input.lines().join("").chars().map(|_| m).collect(),
        None => input.lines().join("").chars().collect(),
    };
    // Split at the cursor before sanitizing: an escaped control character takes more cells.
    let clean = |part: &[char]| sanitize(&part.iter().collect::<String>()).into_owned();
    if !focused {
        return vec![Span::styled(clean(&chars), t.text)];
    }
    let col = input.cursor().1.min(chars.len());
    let before = clean(&chars[..col]);
    let at = chars.get(col).map_or(" ".into(), |c| clean(&[*c]));
    let after = chars.get(col + 1..).map(clean).unwrap_or_default();
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

fn field_lines(t: &Theme, f: &Field, focused: bool, width: u16) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut spans = vec![label(t, f.label, focused)];
    match &f.kind {
        FieldKind::Text(input) => spans.extend(input_spans(t, input, focused)),
        FieldKind::Toggle(on) => spans.push(Span::styled(
            if *on { "[x] yes" } else { "[ ] no" },
            if focused { t.selected } else { t.text },
        )),
        FieldKind::Cycle { .. } => spans.push(Span::styled(
            format!("‹ {} ›", sanitize(f.choice().unwrap_or("—"))),
            if focused { t.selected } else { t.text },
        )),
        FieldKind::Pick { filter, .. } => {
            spans.extend(input_spans(t, filter, focused));
            let matches = f.matches();
            let typed = filter.lines().join("");
            match f.picked() {
                Some((_, l)) if l.eq_ignore_ascii_case(typed.trim()) => {
                    spans.push(Span::styled("  ✓", t.ok));
                }
                Some((_, l)) => {
                    spans.push(Span::styled("  → ", t.dim));
                    spans.push(Span::styled(sanitize(&l).into_owned(), t.ok));
                    if matches.len() > 1 {
                        spans.push(Span::styled(
                            format!("  ({} matches)", matches.len()),
                            t.dim,
                        ));
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
        let cell = usize::from(width.saturating_sub(LABEL as u16 + 1)) / cols;
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
                if focused && n == *cursor {
                    style = t.selected;
                }
                let text = format!("{} {}", state.mark(), sanitize(name));
                let pad = cell.saturating_sub(text.chars().count());
                row_spans.push(Span::styled(text, style));
                row_spans.push(Span::raw(" ".repeat(pad)));
            }
            lines.push(Line::from(row_spans));
        }
    } else {
        lines.push(Line::from(spans));
    }
    if focused && let FieldKind::Pick { cursor, .. } = &f.kind {
        let matches = f.matches();
        if matches.len() > 1 {
            let chosen = (*cursor).min(matches.len() - 1);
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
            lines.push(Line::from(row));
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
    lines
}

/// Draws the form into `area`, scrolled so the focused field is visible.
pub fn draw_form(form: &Form, t: &Theme, f: &mut Frame<'_>, area: Rect) {
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!(" {} ", sanitize(&form.title)), t.accent),
            Span::styled(" Tab/↑↓ field · Ctrl-S or Enter save · Esc cancel", t.dim),
        ]),
        Line::from(""),
    ];
    if let Some(notice) = &form.outside {
        lines.insert(
            1,
            Line::from(Span::styled(format!(" ⚠ {}", sanitize(notice)), t.alert)),
        );
    }
    let mut focus_line = (0, 0);
    for (i, field) in form.fields.iter().enumerate() {
        let start = lines.len();
        lines.extend(field_lines(t, field, i == form.focus, area.width));
        if i == form.focus {
            focus_line = (start, lines.len());
        }
    }
    lines.push(Line::from(""));
    if let Some(e) = &form.error {
        let room = usize::from(area.width).saturating_sub(1);
        for part in super::scroll::wrap(&format!(" ⚠ {}", sanitize(e)), room, "   ") {
            lines.push(Line::from(Span::styled(part, t.alert)));
        }
    }
    if form.conflict {
        lines.push(Line::from(Span::styled(
            " Changed by someone else since you opened it: r reload (drops your edits) ·              o overwrite with yours · any other key keeps editing",
            t.alert,
        )));
    } else if form.discarding {
        lines.push(Line::from(Span::styled(
            " Discard your changes? y discards · any other key keeps editing",
            t.alert,
        )));
    } else if form.busy {
        lines.push(Line::from(Span::styled(" saving…", t.dim)));
    } else {
        lines.push(Line::from(vec![
            Span::raw(" ".repeat(LABEL)),
            Span::styled(" Save ", t.selected),
            Span::styled("  Ctrl-S or Enter", t.dim),
        ]));
    }
    let height = usize::from(area.height);
    let last = lines.len();
    let scroll = if last <= height || focus_line.1 <= height.saturating_sub(2) {
        0
    } else {
        // Keep the focused field and the save line in view where possible.
        (focus_line.1 + 2)
            .saturating_sub(height)
            .min(focus_line.0)
            .min(last.saturating_sub(height))
    };
    f.render_widget(
        Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        area,
    );
}
