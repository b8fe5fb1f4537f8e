//! One key, as a key map stores it: parsed from the config syntax (`"G"`, `"ctrl-n"`,
//! `"pagedown"`), normalized from a terminal event, and shown to humans (`C-n`, `PgDn`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::fmt;

/// A key with its modifiers, normalized so that a parsed key and the event of pressing it
/// compare equal: a character carries its own case (`G`, never shift-`g`), Ctrl with a
/// letter is always lowercase (terminals cannot tell Ctrl-X from Ctrl-x), and Shift-Tab is
/// `BackTab`. Only Ctrl, Alt and Shift are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Ctrl, Alt and Shift (never Shift with a character or `BackTab`).
    pub modifiers: KeyModifiers,
}

/// The names [`Key::parse`] accepts besides single characters, with their codes.
const NAMES: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("delete", KeyCode::Delete),
    ("backspace", KeyCode::Backspace),
    ("space", KeyCode::Char(' ')),
];

/// Why a key string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The string is empty (or only modifiers).
    Empty,
    /// Not a single character and not a known name.
    UnknownName,
    /// `shift-` with a character that is not a letter: its shifted form depends on the
    /// keyboard layout.
    ShiftNonLetter(char),
}

impl Key {
    /// A key without modifiers.
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            modifiers: KeyModifiers::NONE,
        }
    }

    /// A key with modifiers, normalized (see [`Key`]).
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> Key {
        let mut modifiers =
            modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::Char(c) => {
                modifiers.remove(KeyModifiers::SHIFT);
                if modifiers.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::BackTab => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, modifiers }
    }

    /// The key a terminal event stands for.
    pub fn from_event(event: KeyEvent) -> Key {
        Key::new(event.code, event.modifiers)
    }

    /// Parses the config syntax: an optional chain of `ctrl-`, `alt-`, `shift-` prefixes
    /// (any case), then a single character (case-sensitive: `G` is shift-g) or a name
    /// (`enter esc tab backtab up down left right home end pageup pagedown delete backspace
    /// space f1..f12`, any case).
    pub fn parse(s: &str) -> Result<Key, KeyError> {
        let mut rest = s;
        let mut modifiers = KeyModifiers::NONE;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (len, m) = if lower.starts_with("ctrl-") {
                (5, KeyModifiers::CONTROL)
            } else if lower.starts_with("alt-") {
                (4, KeyModifiers::ALT)
            } else if lower.starts_with("shift-") {
                (6, KeyModifiers::SHIFT)
            } else {
                break;
            };
            if rest.len() == len {
                break;
            }
            modifiers |= m;
            rest = &rest[len..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return Err(KeyError::Empty),
            (Some(c), None) => {
                if modifiers.contains(KeyModifiers::SHIFT) {
                    if !c.is_alphabetic() {
                        return Err(KeyError::ShiftNonLetter(c));
                    }
                    KeyCode::Char(c.to_uppercase().next().unwrap_or(c))
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => named(rest).ok_or(KeyError::UnknownName)?,
        };
        Ok(Key::new(code, modifiers))
    }

    /// A short label for the footer and the help overlay: `G`, `C-n`, `A-x`, `↓`, `PgDn`,
    /// `S-Tab`, `F5`.
    pub fn label(&self) -> String {
        let mut s = String::new();
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            s.push_str("C-");
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            s.push_str("A-");
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            s.push_str("S-");
        }
        match self.code {
            KeyCode::Char(' ') => s.push_str("Space"),
            KeyCode::Char(c) => s.push(c),
            KeyCode::Enter => s.push_str("Enter"),
            KeyCode::Esc => s.push_str("Esc"),
            KeyCode::Tab => s.push_str("Tab"),
            KeyCode::BackTab => s.push_str("S-Tab"),
            KeyCode::Up => s.push('↑'),
            KeyCode::Down => s.push('↓'),
            KeyCode::Left => s.push('←'),
            KeyCode::Right => s.push('→'),
            KeyCode::Home => s.push_str("Home"),
            KeyCode::End => s.push_str("End"),
            KeyCode::PageUp => s.push_str("PgUp"),
            KeyCode::PageDown => s.push_str("PgDn"),
            KeyCode::Delete => s.push_str("Del"),
            KeyCode::Backspace => s.push_str("BS"),
            KeyCode::F(n) => s.push_str(&format!("F{n}")),
            other => s.push_str(&format!("{other:?}")),
        }
        s
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// The code of a key name (any case), `f1` to `f12` included.
fn named(name: &str) -> Option<KeyCode> {
    let lower = name.to_ascii_lowercase();
    if let Some(&(_, code)) = NAMES.iter().find(|(n, _)| *n == lower) {
        return Some(code);
    }
    let n: u8 = lower.strip_prefix('f')?.parse().ok()?;
    (1..=12).contains(&n).then_some(KeyCode::F(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> Key {
        Key::new(code, m)
    }

    #[test]
    fn single_characters_are_case_sensitive() {
        assert_eq!(Key::parse("g"), Ok(Key::plain(KeyCode::Char('g'))));
        assert_eq!(Key::parse("G"), Ok(Key::plain(KeyCode::Char('G'))));
        assert_eq!(Key::parse("?"), Ok(Key::plain(KeyCode::Char('?'))));
        assert_eq!(Key::parse("-"), Ok(Key::plain(KeyCode::Char('-'))));
        assert_ne!(Key::parse("g"), Key::parse("G"));
    }

    #[test]
    fn names_are_case_insensitive() {
        assert_eq!(Key::parse("pagedown"), Ok(Key::plain(KeyCode::PageDown)));
        assert_eq!(Key::parse("PageDown"), Ok(Key::plain(KeyCode::PageDown)));
        assert_eq!(Key::parse("ENTER"), Ok(Key::plain(KeyCode::Enter)));
        assert_eq!(Key::parse("space"), Ok(Key::plain(KeyCode::Char(' '))));
        assert_eq!(Key::parse("backtab"), Ok(Key::plain(KeyCode::BackTab)));
        assert_eq!(Key::parse("f1"), Ok(Key::plain(KeyCode::F(1))));
        assert_eq!(Key::parse("F12"), Ok(Key::plain(KeyCode::F(12))));
        assert_eq!(Key::parse("f13"), Err(KeyError::UnknownName));
        assert_eq!(Key::parse("f0"), Err(KeyError::UnknownName));
        assert_eq!(Key::parse("pgdn"), Err(KeyError::UnknownName));
    }

    #[test]
    fn modifiers_prefix_the_key() {
        assert_eq!(
            Key::parse("ctrl-n"),
            Ok(key(KeyCode::Char('n'), KeyModifiers::CONTROL))
        );
        assert_eq!(Key::parse("CTRL-N"), Key::parse("ctrl-n"));
        assert_eq!(
            Key::parse("alt-X"),
            Ok(key(KeyCode::Char('X'), KeyModifiers::ALT))
        );
        assert_eq!(
            Key::parse("ctrl-alt-delete"),
            Ok(key(
                KeyCode::Delete,
                KeyModifiers::CONTROL | KeyModifiers::ALT
            ))
        );
        assert_eq!(
            Key::parse("shift-up"),
            Ok(key(KeyCode::Up, KeyModifiers::SHIFT))
        );
        assert_eq!(Key::parse("shift-g"), Key::parse("G"));
        assert_eq!(Key::parse("shift-tab"), Key::parse("backtab"));
        assert_eq!(
            Key::parse("ctrl--"),
            Ok(key(KeyCode::Char('-'), KeyModifiers::CONTROL))
        );
        assert_eq!(Key::parse("ctrl-"), Err(KeyError::UnknownName));
        assert_eq!(Key::parse(""), Err(KeyError::Empty));
        assert_eq!(Key::parse("ctl-x"), Err(KeyError::UnknownName));
        assert_eq!(Key::parse("shift-1"), Err(KeyError::ShiftNonLetter('1')));
    }

    #[test]
    fn events_normalize_to_the_parsed_key() {
        let ev = |code, m| Key::from_event(KeyEvent::new(code, m));
        assert_eq!(
            ev(KeyCode::Char('G'), KeyModifiers::SHIFT),
            Key::parse("G").unwrap()
        );
        assert_eq!(
            ev(KeyCode::BackTab, KeyModifiers::SHIFT),
            Key::parse("backtab").unwrap()
        );
        assert_eq!(
            ev(KeyCode::Tab, KeyModifiers::SHIFT),
            Key::parse("shift-tab").unwrap()
        );
        assert_eq!(
            ev(
                KeyCode::Char('N'),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT
            ),
            Key::parse("ctrl-n").unwrap()
        );
        assert_eq!(
            ev(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Key::parse("ctrl-c").unwrap()
        );
    }

    #[test]
    fn labels_are_short() {
        let l = |s| Key::parse(s).unwrap().label();
        assert_eq!(l("ctrl-n"), "C-n");
        assert_eq!(l("X"), "X");
        assert_eq!(l("alt-x"), "A-x");
        assert_eq!(l("down"), "↓");
        assert_eq!(l("pagedown"), "PgDn");
        assert_eq!(l("shift-tab"), "S-Tab");
        assert_eq!(l("shift-left"), "S-←");
        assert_eq!(l("space"), "Space");
        assert_eq!(l("f5"), "F5");
    }
}
