//! The fields a form is made of: text (ratatui-textarea), on/off toggles, a cycled choice, a
//! picker that filters a list as you type (entities from the catalogs, roles), and the
//! three-state access grid (— / grant / deny per flag, Space cycles).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::{CursorMove, TextArea};

/// One flag's state in the access grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tri {
    /// Neither granted nor denied.
    #[default]
    Off,
    /// Granted.
    Grant,
    /// Denied.
    Deny,
}

impl Tri {
    /// The next state: — → grant → deny → —.
    pub fn next(self) -> Tri {
        match self {
            Tri::Off => Tri::Grant,
            Tri::Grant => Tri::Deny,
            Tri::Deny => Tri::Off,
        }
    }

    /// The mark drawn in the grid.
    pub fn mark(self) -> &'static str {
        match self {
            Tri::Off => "[ ]",
            Tri::Grant => "[+]",
            Tri::Deny => "[-]",
        }
    }
}

/// What a field holds and how it is edited.
#[derive(Debug, Clone)]
pub enum FieldKind {
    /// One line of text.
    Text(TextArea<'static>),
    /// On or off (Space toggles).
    Toggle(bool),
    /// One of a few values (Space or ←/→ cycles).
    Cycle {
        /// The values.
        options: Vec<String>,
        /// The chosen one.
        index: usize,
    },
    /// A value picked from a list that the typed text filters (←/→ move among matches).
    Pick {
        /// The typed filter.
        filter: TextArea<'static>,
        /// `(value, label)` pairs; an empty value stands for "none".
        options: Vec<(String, String)>,
        /// Index into the current matches.
        cursor: usize,
    },
    /// The access grid: one three-state toggle per flag.
    Access {
        /// Flag names, in catalog order.
        flags: Vec<String>,
        /// State of each flag.
        states: Vec<Tri>,
        /// The focused flag.
        cursor: usize,
    },
}

/// A labelled field.
#[derive(Debug, Clone)]
pub struct Field {
    /// The service's name for it (validation errors name it).
    pub key: &'static str,
    /// Shown left of the value.
    pub label: &'static str,
    /// Shown dimmed after the value.
    pub hint: String,
    /// The value.
    pub kind: FieldKind,
    /// The last validation message about this field.
    pub error: Option<String>,
    /// A line under the field, shown whatever the focus: what the form did for the user, or
    /// a warning about the value.
    pub note: Option<Note>,
}

/// A line a form shows under a field (`Field::note`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The text (not sanitized; drawing sanitizes).
    pub text: String,
    /// Drawn as a warning (else as information).
    pub warning: bool,
}

/// A one-line text area holding `text`, cursor at the end.
pub fn text_input(text: &str) -> TextArea<'static> {
    let mut t = TextArea::from([text.to_string()]);
    t.move_cursor(CursorMove::End);
    t
}

/// How many access toggles a grid row holds at `width` columns.
pub fn grid_columns(width: u16) -> usize {
    (usize::from(width.saturating_sub(16)) / 30).clamp(1, 4)
}

impl Field {
    /// A text field.
    pub fn text(key: &'static str, label: &'static str, value: &str, hint: &str) -> Field {
        Field {
            key,
            label,
            hint: hint.into(),
            kind: FieldKind::Text(text_input(value)),
            error: None,
            note: None,
        }
    }

    /// A toggle.
    pub fn toggle(key: &'static str, label: &'static str, on: bool, hint: &str) -> Field {
        Field {
            key,
            label,
            hint: hint.into(),
            kind: FieldKind::Toggle(on),
            error: None,
            note: None,
        }
    }

    /// A cycled choice; `value` picks the starting option (the first when absent).
    pub fn cycle(
        key: &'static str,
        label: &'static str,
        options: Vec<String>,
        value: &str,
    ) -> Field {
        let index = options.iter().position(|o| o == value).unwrap_or(0);
        Field {
            key,
            label,
            hint: "Space or ←/→ changes".into(),
            kind: FieldKind::Cycle { options, index },
            error: None,
            note: None,
        }
    }

    /// A picker over `options`, starting on `value` (typed into the filter).
    pub fn pick(
        key: &'static str,
        label: &'static str,
        options: Vec<(String, String)>,
        value: &str,
    ) -> Field {
        let label_of = options
            .iter()
            .find(|(v, _)| v == value)
            .map(|(_, l)| l.clone())
            .unwrap_or_default();
        let mut f = Field {
            key,
            label,
            hint: "type to filter · ←/→ choose".into(),
            kind: FieldKind::Pick {
                filter: text_input(&label_of),
                options,
                cursor: 0,
            },
            error: None,
            note: None,
        };
        f.select_value(value);
        f
    }

    /// The access grid over `flags` with the given grants and denies.
    pub fn access(flags: Vec<String>, grants: &[String], denies: &[String]) -> Field {
        let states = flags
            .iter()
            .map(|f| {
                if denies.contains(f) {
                    Tri::Deny
                } else if grants.contains(f) {
                    Tri::Grant
                } else {
                    Tri::Off
                }
            })
            .collect();
        Field {
            key: "access",
            label: "access",
            hint: "Space cycles".into(),
            kind: FieldKind::Access {
                flags,
                states,
                cursor: 0,
            },
            error: None,
            note: None,
        }
    }

    /// The text of a text field (or the filter of a picker).
    pub fn text_value(&self) -> String {
        match &self.kind {
            FieldKind::Text(t) | FieldKind::Pick { filter: t, .. } => t.lines().join(""),
            _ => String::new(),
        }
    }

    /// The toggle's state.
    pub fn on(&self) -> bool {
        matches!(self.kind, FieldKind::Toggle(true))
    }

    /// The chosen option of a cycle.
    pub fn choice(&self) -> Option<&str> {
        match &self.kind {
            FieldKind::Cycle { options, index } => options.get(*index).map(String::as_str),
            _ => None,
        }
    }

    /// The options of a picker that match its filter: exact matches first, then prefixes,
    /// then substrings (case-insensitive).
    pub fn matches(&self) -> Vec<&(String, String)> {
        let FieldKind::Pick {
            filter, options, ..
        } = &self.kind
        else {
            return Vec::new();
        };
        let want = filter.lines().join("").trim().to_lowercase();
        let mut hits: Vec<(u8, &(String, String))> = options
            .iter()
            // The "— choose … —" placeholder (no value) is what an empty field shows; typed
            // letters never match it, and it is not counted as a match.
            .filter(|o| want.is_empty() || !o.0.is_empty())
            .filter_map(|o| {
                let l = o.1.to_lowercase();
                let rank = if l == want {
                    0
                } else if l.starts_with(&want) {
                    1
                } else if l.contains(&want) {
                    2
                } else {
                    return None;
                };
                Some((rank, o))
            })
            .collect();
        hits.sort_by_key(|(rank, _)| *rank);
        hits.into_iter().map(|(_, o)| o).collect()
    }

    /// The picked value (`Some("")` is "none"); `None` when nothing matches.
    pub fn picked(&self) -> Option<(String, String)> {
        let FieldKind::Pick { cursor, .. } = &self.kind else {
            return None;
        };
        let m = self.matches();
        m.get(*cursor).or(m.first()).map(|o| (*o).clone())
    }

    fn select_value(&mut self, value: &str) {
        let pos = self.matches().iter().position(|(v, _)| v == value);
        if let (FieldKind::Pick { cursor, .. }, Some(p)) = (&mut self.kind, pos) {
            *cursor = p;
        }
    }

    /// Grants and denies of the access grid.
    pub fn grants_denies(&self) -> (Vec<String>, Vec<String>) {
        let mut g = Vec::new();
        let mut d = Vec::new();
        if let FieldKind::Access { flags, states, .. } = &self.kind {
            for (f, s) in flags.iter().zip(states) {
                match s {
                    Tri::Grant => g.push(f.clone()),
                    Tri::Deny => d.push(f.clone()),
                    Tri::Off => {}
                }
            }
        }
        (g, d)
    }

    /// A fingerprint of the value, to tell whether anything changed.
    pub fn fingerprint(&self) -> String {
        match &self.kind {
            FieldKind::Text(_) => self.text_value(),
            FieldKind::Toggle(b) => b.to_string(),
            FieldKind::Cycle { .. } => self.choice().unwrap_or_default().to_string(),
            FieldKind::Pick { .. } => self.picked().map(|p| p.0).unwrap_or_default(),
            FieldKind::Access { .. } => format!("{:?}", self.grants_denies()),
        }
    }

    /// Handles a key; returns false when the field does not use it (the form moves focus).
    /// `width` is the grid's drawing width (for ↑/↓ inside the access grid).
    pub fn on_key(&mut self, key: KeyEvent, width: u16) -> bool {
        match &mut self.kind {
            FieldKind::Text(t) => match key.code {
                KeyCode::Up | KeyCode::Down | KeyCode::Tab | KeyCode::BackTab | KeyCode::Enter => {
                    false
                }
                _ => {
                    super::line_edit::edit(t, key);
                    true
                }
            },
            FieldKind::Toggle(on) => match key.code {
                KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right => {
                    *on = !*on;
                    true
                }
                _ => false,
            },
            FieldKind::Cycle { options, index } => {
                let n = options.len().max(1);
                match key.code {
                    KeyCode::Char(' ') | KeyCode::Right => *index = (*index + 1) % n,
                    KeyCode::Left => *index = (*index + n - 1) % n,
                    _ => return false,
                }
                true
            }
            FieldKind::Pick { .. } => self.pick_key(key),
            FieldKind::Access { states, cursor, .. } => {
                let n = states.len();
                let cols = grid_columns(width);
                match key.code {
                    KeyCode::Char(' ') => {
                        if let Some(s) = states.get_mut(*cursor) {
                            *s = s.next();
                        }
                    }
                    KeyCode::Right if *cursor + 1 < n => *cursor += 1,
                    KeyCode::Left if *cursor > 0 => *cursor -= 1,
                    KeyCode::Down if *cursor + cols < n => *cursor += cols,
                    KeyCode::Up if *cursor >= cols => *cursor -= cols,
                    KeyCode::Right | KeyCode::Left => {}
                    _ => return false,
                }
                true
            }
        }
    }

    fn pick_key(&mut self, key: KeyEvent) -> bool {
        let count = self.matches().len();
        let FieldKind::Pick { filter, cursor, .. } = &mut self.kind else {
            return false;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Up | KeyCode::Down | KeyCode::Tab | KeyCode::BackTab | KeyCode::Enter => false,
            KeyCode::Char('n') if ctrl => {
                if count > 0 {
                    *cursor = (*cursor + 1) % count;
                }
                true
            }
            KeyCode::Char('p') if ctrl => {
                if count > 0 {
                    *cursor = (*cursor + count - 1) % count;
                }
                true
            }
            KeyCode::Right => {
                if count > 0 {
                    *cursor = (*cursor + 1) % count;
                }
                true
            }
            KeyCode::Left => {
                if count > 0 {
                    *cursor = (*cursor + count - 1) % count;
                }
                true
            }
            _ => {
                super::line_edit::edit(filter, key);
                *cursor = 0;
                true
            }
        }
    }

    /// Pasted text (one line) into a text field or a picker's filter.
    pub fn paste(&mut self, text: &str) {
        match &mut self.kind {
            FieldKind::Text(t) => {
                t.insert_str(text.replace(['\n', '\r'], " "));
            }
            FieldKind::Pick { filter, cursor, .. } => {
                filter.insert_str(text.replace(['\n', '\r'], " "));
                *cursor = 0;
            }
            _ => {}
        }
    }

    /// Sets one flag of an access grid; false when the grid has no such flag.
    pub fn set_flag(&mut self, flag: &str, to: Tri) -> bool {
        if let FieldKind::Access { flags, states, .. } = &mut self.kind
            && let Some(i) = flags.iter().position(|f| f == flag)
            && let Some(s) = states.get_mut(i)
        {
            *s = to;
            return true;
        }
        false
    }

    /// Replaces the flags of an access grid, keeping the state of flags that remain.
    pub fn set_flags(&mut self, new_flags: Vec<String>) {
        if let FieldKind::Access {
            flags,
            states,
            cursor,
        } = &mut self.kind
        {
            let new_states = new_flags
                .iter()
                .map(|f| {
                    flags
                        .iter()
                        .position(|o| o == f)
                        .and_then(|i| states.get(i).copied())
                        .unwrap_or_default()
                })
                .collect();
            *flags = new_flags;
            *states = new_states;
            *cursor = (*cursor).min(flags.len().saturating_sub(1));
        }
    }

    /// Replaces a picker's options (e.g. the entities of another catalog), keeping the filter.
    pub fn set_options(&mut self, new: Vec<(String, String)>) {
        if let FieldKind::Pick {
            options, cursor, ..
        } = &mut self.kind
        {
            *options = new;
            *cursor = 0;
        }
    }
}

/// Splits a comma-separated list, trimming and dropping empty items.
pub fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn tri_cycles_through_three_states() {
        assert_eq!(Tri::Off.next(), Tri::Grant);
        assert_eq!(Tri::Grant.next(), Tri::Deny);
        assert_eq!(Tri::Deny.next(), Tri::Off);
    }

    #[test]
    fn picker_filters_and_ranks_exact_first() {
        let opts = ["PipelineRun", "Pipeline", "Block"]
            .iter()
            .map(|s| (s.to_string(), s.to_string()))
            .collect();
        let mut f = Field::pick("entity", "entity", opts, "");
        for c in "pipeline".chars() {
            f.on_key(key(KeyCode::Char(c)), 80);
        }
        let m: Vec<&str> = f.matches().iter().map(|o| o.0.as_str()).collect();
        assert_eq!(m, ["Pipeline", "PipelineRun"]);
        assert_eq!(f.picked().map(|p| p.0).as_deref(), Some("Pipeline"));
        f.on_key(key(KeyCode::Right), 80);
        assert_eq!(f.picked().map(|p| p.0).as_deref(), Some("PipelineRun"));
        f.on_key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL), 80);
        assert_eq!(f.picked().map(|p| p.0).as_deref(), Some("Pipeline"));
        f.on_key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL), 80);
        assert_eq!(f.picked().map(|p| p.0).as_deref(), Some("PipelineRun"));
        f.on_key(key(KeyCode::Char('x')), 80);
        assert_eq!(f.picked(), None);
    }

    #[test]
    fn access_grid_moves_and_keeps_states_across_flag_changes() {
        let flags: Vec<String> = ["LIST", "DETAIL", "CREATE", "UPDATE", "DELETE"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut f = Field::access(flags, &["LIST".into()], &["DELETE".into()]);
        f.on_key(key(KeyCode::Right), 80);
        f.on_key(key(KeyCode::Char(' ')), 80);
        let (g, d) = f.grants_denies();
        assert_eq!(g, ["LIST", "DETAIL"]);
        assert_eq!(d, ["DELETE"]);
        f.set_flags(vec!["DELETE".into(), "LIST".into(), "READ".into()]);
        let (g, d) = f.grants_denies();
        assert_eq!(g, ["LIST"]);
        assert_eq!(d, ["DELETE"]);
        // Tab is not the grid's: the form moves on.
        assert!(!f.on_key(key(KeyCode::Tab), 80));
    }

    #[test]
    fn comma_lists_drop_blanks() {
        assert_eq!(list(" own, ,team "), ["own", "team"]);
        assert!(list("").is_empty());
    }
}
