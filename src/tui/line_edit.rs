//! One-line text inputs (form fields, filters, the command line, the access check, the typed
//! name of a confirm): readline keys on top of ratatui-textarea, and drawing with the caret
//! where the cursor is.
//!
//! Keys: ←/→, Home/End, Ctrl-A (start), Ctrl-E (end), Ctrl-U (delete to start), Ctrl-W
//! (delete the word before), Ctrl-K (delete to end), Backspace/Delete; Enter, Tab and the
//! keys that would add a second line are not the input's.

use super::theme::Theme;
use crate::text::sanitize;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::Span;
use ratatui_textarea::{CursorMove, TextArea};

/// Applies a key to a one-line input. Returns true when the text changed.
pub fn edit(t: &mut TextArea<'static>, key: KeyEvent) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Enter | KeyCode::Tab | KeyCode::BackTab | KeyCode::Esc => false,
        KeyCode::Char('u') if ctrl => t.delete_line_by_head(),
        KeyCode::Char('k') if ctrl => t.delete_line_by_end(),
        KeyCode::Char('w') if ctrl => t.delete_word(),
        KeyCode::Char('a') if ctrl => {
            t.move_cursor(CursorMove::Head);
            false
        }
        KeyCode::Char('e') if ctrl => {
            t.move_cursor(CursorMove::End);
            false
        }
        // Would split the line (Ctrl-M, Ctrl-J) or move to another one (Ctrl-N, Ctrl-P).
        KeyCode::Char('m' | 'j' | 'n' | 'p') if ctrl => false,
        KeyCode::Up | KeyCode::Down => false,
        _ => t.input(key),
    }
}

/// The text of a one-line input.
pub fn text(t: &TextArea<'_>) -> String {
    t.lines().join("")
}

/// The input as spans, the caret drawn where the cursor is: the character under it in the
/// `selected` style, or `▏` after the text when the cursor is at the end.
pub fn spans(theme: &Theme, t: &TextArea<'_>, style: ratatui::style::Style) -> Vec<Span<'static>> {
    // Split the typed text at the cursor first, then sanitize each part: a control character
    // drawn as a visible escape takes more cells than the one character it stands for.
    let chars: Vec<char> = text(t).chars().collect();
    let col = t.cursor().1.min(chars.len());
    let clean = |part: &[char]| sanitize(&part.iter().collect::<String>()).into_owned();
    let before = clean(&chars[..col]);
    match chars.get(col) {
        None => vec![Span::styled(before, style), Span::styled("▏", theme.dim)],
        Some(c) => vec![
            Span::styled(before, style),
            Span::styled(clean(&[*c]), theme.selected),
            Span::styled(clean(&chars[col + 1..]), style),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn typed(s: &str) -> TextArea<'static> {
        let mut t = TextArea::default();
        for c in s.chars() {
            edit(&mut t, k(KeyCode::Char(c)));
        }
        t
    }

    #[test]
    fn readline_keys_edit_one_line() {
        let mut t = typed("alpha beta gamma");
        edit(&mut t, ctrl('w'));
        assert_eq!(text(&t), "alpha beta ");
        edit(&mut t, ctrl('a'));
        assert_eq!(t.cursor().1, 0);
        edit(&mut t, k(KeyCode::Right));
        edit(&mut t, k(KeyCode::Right));
        edit(&mut t, ctrl('k'));
        assert_eq!(text(&t), "al");
        edit(&mut t, ctrl('e'));
        for c in "pine".chars() {
            edit(&mut t, k(KeyCode::Char(c)));
        }
        edit(&mut t, k(KeyCode::Left));
        edit(&mut t, ctrl('u'));
        assert_eq!(text(&t), "e", "Ctrl-U deletes everything before the cursor");
        assert_eq!(t.cursor().1, 0);
        edit(&mut t, k(KeyCode::End));
        assert_eq!(t.cursor().1, 1);
        edit(&mut t, k(KeyCode::Home));
        assert_eq!(t.cursor().1, 0);
    }

    #[test]
    fn keys_that_would_add_a_line_do_nothing() {
        let mut t = typed("ab");
        for key in [k(KeyCode::Enter), k(KeyCode::Tab), ctrl('m'), ctrl('j')] {
            assert!(!edit(&mut t, key));
        }
        assert_eq!(t.lines().len(), 1);
        assert_eq!(text(&t), "ab");
    }

    #[test]
    fn the_caret_is_drawn_where_the_cursor_is() {
        let theme = Theme::monochrome();
        let mut t = typed("abc");
        let s = spans(&theme, &t, theme.text);
        assert_eq!(s.last().map(|s| s.content.as_ref()), Some("▏"));
        edit(&mut t, k(KeyCode::Home));
        let s = spans(&theme, &t, theme.text);
        assert_eq!(s[0].content, "");
        assert_eq!(s[1].content, "a");
        assert_eq!(s[1].style, theme.selected);
        assert_eq!(s[2].content, "bc");
    }

    #[test]
    fn the_caret_stays_on_its_character_after_an_escaped_control_character() {
        let theme = Theme::monochrome();
        let mut t = TextArea::default();
        t.insert_str("\u{1b}xy");
        edit(&mut t, k(KeyCode::Left));
        let s = spans(&theme, &t, theme.text);
        assert_eq!(s[1].content, "y");
        assert_eq!(s[1].style, theme.selected);
        assert!(!s[0].content.contains('\u{1b}'), "{:?}", s[0].content);
    }
}
