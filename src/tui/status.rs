//! The status line: the latest message, cut to the width with a hint that the whole text is
//! in the message log (`M`, `:messages`).

use super::keys::{Action, label};
use crate::text::sanitize;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// The status line for `message` at `width` columns.
pub fn line(message: &str, style: Style, dim: Style, width: u16) -> Line<'static> {
    let text = sanitize(message).replace(['\n', '\r', '\t'], " ");
    let width = usize::from(width);
    if Span::raw(text.as_str()).width() <= width {
        return Line::from(Span::styled(text, style));
    }
    let hint = format!("… {}: full text", label(Action::Messages));
    let room = width.saturating_sub(Span::raw(hint.as_str()).width());
    let mut cut = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = Span::raw(c.to_string()).width();
        if used + w > room {
            break;
        }
        used += w;
        cut.push(c);
    }
    Line::from(vec![Span::styled(cut, style), Span::styled(hint, dim)])
}
