//! The Access check pane: user, action, entity[/uuid], owner and team fields (ratatui-textarea),
//! Enter asks the backend to explain, and the answer is shown as ALLOW/DENY with the tree of
//! paths (user → team → role → permission) and the deciding rule.

use super::{PaneDef, always, no_rows};
use crate::text::sanitize;
use crate::tui::app::{App, Data, Effect, is_ctrl_c};
use crate::tui::theme::Theme;
use crate::tui::view::Pane;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui_textarea::TextArea;

pub(super) const DEF: PaneDef = PaneDef {
    pane: Pane::Check,
    title: "Access check",
    short: "Check",
    command: "check",
    aliases: &["can"],
    columns: &[],
    rows: no_rows,
    unsupported: always,
    lacking: "",
    partial: None,
    kind: None,
    object_of_row: super::id_of_row,
    row_of_object: super::row_of_id,
    page: None,
    delete: None,
    form: None,
    keys: Some(pane_key),
    paste: Some(|app, text| {
        if app.check.editing {
            app.check.paste(text)
        }
    }),
    command_args: Some(command_args),
    draw: Some(|app, f, area| app.check.draw(&app.theme, app.data.as_ref(), f, area)),
    offers_defaults: false,
};

/// `:check alice`: the user field filled, the cursor on the action.
fn command_args(app: &mut App, rest: &[&str]) {
    if let Some(user) = rest.first() {
        app.check.set(0, user);
        app.check.focus = 1;
    }
    app.check.editing = true;
}

/// A key on the pane: while a field is edited every key goes to the form (bar Ctrl-C and the
/// answer's scroll keys); else Enter, `e` or `i` start editing and scroll keys scroll.
fn pane_key(app: &mut App, key: KeyEvent) -> Option<Vec<Effect>> {
    if app.check.editing {
        if is_ctrl_c(key) {
            return Some(vec![Effect::Quit]);
        }
        if app.check.scroll_key(key) {
            return Some(Vec::new());
        }
        return Some(app.check.on_key(key, app.data.as_ref()));
    }
    if matches!(
        key.code,
        KeyCode::Enter | KeyCode::Char('e') | KeyCode::Char('i')
    ) {
        app.check.editing = true;
        return Some(Vec::new());
    }
    app.check.scroll_key(key).then(Vec::new)
}

/// Field labels, in order.
pub const FIELDS: [&str; 6] = [
    "user",
    "action",
    "entity[/uuid]",
    "owner",
    "team",
    "attribute",
];

/// The answer to a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// ALLOW or DENY.
    pub allowed: bool,
    /// One line: who, what, the deciding rule.
    pub summary: String,
    /// The explanation tree.
    pub lines: Vec<String>,
}

/// The form and its last answer.
#[derive(Debug)]
pub struct CheckForm {
    /// One text field per label.
    pub fields: Vec<TextArea<'static>>,
    /// Focused field.
    pub focus: usize,
    /// Keys go to the fields.
    pub editing: bool,
    /// The last answer, or the last error.
    pub result: Option<Result<CheckResult, String>>,
    /// Where the answer is scrolled to.
    pub scroll: crate::tui::scroll::Scroll,
}

impl Default for CheckForm {
    fn default() -> Self {
        CheckForm {
            fields: FIELDS.iter().map(|_| TextArea::default()).collect(),
            focus: 0,
            editing: false,
            result: None,
            scroll: Default::default(),
        }
    }
}

impl CheckForm {
    /// The text of field `i`.
    pub fn value(&self, i: usize) -> String {
        self.fields
            .get(i)
            .map(|t| t.lines().join(""))
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    /// Sets field `i` (e.g. from `:check alice`).
    pub fn set(&mut self, i: usize, text: &str) {
        if let Some(t) = self.fields.get_mut(i) {
            *t = TextArea::from([text.to_string()]);
            t.move_cursor(ratatui_textarea::CursorMove::End);
        }
    }

    /// Completions for the focused field from the loaded data: usernames, the flags of the
    /// catalogs, entity names, team keys. Prefix matches first; at most `limit`.
    pub fn suggestions(&self, data: Option<&Data>, limit: usize) -> Vec<String> {
        let Some(d) = data else { return Vec::new() };
        let typed = self.value(self.focus).to_lowercase();
        let mut pool: Vec<String> = match self.focus {
            0 | 3 => d.state.users.values().map(|u| u.username.clone()).collect(),
            1 => {
                let entity = self.value(2);
                let entity = entity.split('/').next().unwrap_or_default();
                let catalogs: Vec<&crate::catalog::Catalog> = match d.catalogs.resolve(None, entity)
                {
                    Ok(r) if !entity.is_empty() => vec![r.catalog],
                    _ => d.catalogs.all().iter().collect(),
                };
                catalogs
                    .iter()
                    .flat_map(|c| c.flags.iter().map(|f| f.name.clone()))
                    .collect()
            }
            2 if typed.contains('/') => Vec::new(),
            2 => d
                .catalogs
                .all()
                .iter()
                .flat_map(|c| c.entities.iter().map(|e| e.name.clone()))
                .collect(),
            5 => ["read:", "write:", "query:"]
                .iter()
                .map(|k| k.to_string())
                .collect(),
            _ => d.state.teams.values().map(|t| t.key.clone()).collect(),
        };
        pool.sort();
        pool.dedup();
        let mut hits: Vec<(bool, String)> = pool
            .into_iter()
            .filter(|p| {
                let l = p.to_lowercase();
                l.contains(&typed) && l != typed
            })
            .map(|p| (!p.to_lowercase().starts_with(&typed), p))
            .collect();
        hits.sort();
        hits.into_iter().take(limit).map(|(_, p)| p).collect()
    }

    /// A key while editing. Returns effects (Enter runs the check); `Esc` stops editing; `→`
    /// at the end of a field accepts the first suggestion.
    pub fn on_key(&mut self, key: KeyEvent, data: Option<&Data>) -> Vec<Effect> {
        match key.code {
            KeyCode::Right
                if self.fields.get(self.focus).is_some_and(|t| {
                    t.cursor().1 >= t.lines().first().map_or(0, |l| l.chars().count())
                }) =>
            {
                if let Some(first) = self.suggestions(data, 1).into_iter().next() {
                    self.set(self.focus, &first);
                }
            }
            KeyCode::Esc => self.editing = false,
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1) % FIELDS.len(),
            KeyCode::BackTab | KeyCode::Up => {
                self.focus = (self.focus + FIELDS.len() - 1) % FIELDS.len()
            }
            KeyCode::Enter => return self.submit(),
            _ => {
                if let Some(t) = self.fields.get_mut(self.focus) {
                    crate::tui::line_edit::edit(t, key);
                }
            }
        }
        Vec::new()
    }

    /// Scrolls the answer: PageUp/PageDown always, the other scrolling keys (j/k, arrows,
    /// g/G) when the fields are not being edited. False when the key is not for scrolling.
    pub fn scroll_key(&mut self, key: KeyEvent) -> bool {
        use crate::tui::keys::{Action, action_for};
        if self.result.is_none() {
            return false;
        }
        let action = match key.code {
            KeyCode::PageUp => Action::PageUp,
            KeyCode::PageDown => Action::PageDown,
            _ if self.editing => return false,
            _ => match action_for(key) {
                Some(
                    a @ (Action::Up
                    | Action::Down
                    | Action::Top
                    | Action::Bottom
                    | Action::PageUp
                    | Action::PageDown),
                ) => a,
                _ => return false,
            },
        };
        self.scroll.on_action(action)
    }

    /// Pasted text goes to the focused field (one line).
    pub fn paste(&mut self, text: &str) {
        if let Some(t) = self.fields.get_mut(self.focus) {
            t.insert_str(text.replace(['\n', '\r'], " "));
        }
    }

    /// Validates the required fields and asks for the check.
    pub fn submit(&mut self) -> Vec<Effect> {
        for (i, label) in FIELDS.iter().enumerate().take(3) {
            if self.value(i).is_empty() {
                self.focus = i;
                self.result = Some(Err(format!("{label} is required")));
                return Vec::new();
            }
        }
        let opt = |s: String| (!s.is_empty()).then_some(s);
        vec![Effect::Check {
            user: self.value(0),
            action: self.value(1),
            target: self.value(2),
            owner: opt(self.value(3)),
            team: opt(self.value(4)),
            attribute: opt(self.value(5)),
        }]
    }

    /// Draws the form, the focused field's suggestions and the answer.
    pub fn draw(&self, t: &Theme, data: Option<&Data>, f: &mut Frame<'_>, area: Rect) {
        // On a short screen the spacing goes first, so the answer keeps rows.
        let short = area.height < 16;
        let [title, form, suggest, answer] = Layout::vertical([
            Constraint::Length(if short { 1 } else { 2 }),
            Constraint::Length(FIELDS.len() as u16),
            Constraint::Length(match (short, self.editing) {
                (false, _) => 2,
                (true, true) => 1,
                (true, false) => 0,
            }),
            Constraint::Min(1),
        ])
        .areas(area);
        if self.editing {
            let hits = self.suggestions(data, 6);
            if !hits.is_empty() {
                let list: Vec<String> = hits.iter().map(|h| sanitize(h).into_owned()).collect();
                f.render_widget(
                    Paragraph::new(Line::from(vec![
                        Span::styled(format!(" {:>14} ", "→ completes"), t.dim),
                        Span::styled(list.join("  "), t.dim),
                    ])),
                    suggest,
                );
            }
        }
        let hint = if self.editing {
            "↑/↓ field · Enter check · Esc done"
        } else {
            "Enter or e: edit the fields"
        };
        f.render_widget(
            Paragraph::new(vec![Line::from(vec![
                Span::styled(" Access check ", t.accent),
                Span::styled(hint, t.dim),
            ])]),
            title,
        );
        let lines: Vec<Line> = FIELDS
            .iter()
            .enumerate()
            .map(|(i, label)| {
                let focused = self.editing && i == self.focus;
                let value = sanitize(&self.value(i)).into_owned();
                let optional = match i {
                    _ if !value.is_empty() || focused => "",
                    5 => "(optional; Mage: read:|write:|query:NAME)",
                    3 | 4 => "(optional)",
                    _ => "",
                };
                let mut spans = vec![Span::styled(
                    format!(" {label:>14} "),
                    if focused { t.accent } else { t.dim },
                )];
                match self.fields.get(i) {
                    Some(input) if focused => {
                        spans.extend(crate::tui::line_edit::spans(t, input, t.text))
                    }
                    _ => spans.push(Span::styled(value, t.text)),
                }
                spans.push(Span::styled(optional, t.dim));
                Line::from(spans)
            })
            .collect();
        f.render_widget(Paragraph::new(lines), form);
        let body: Vec<(String, ratatui::style::Style)> = match &self.result {
            None => vec![(
                " e.g. user alice, action UPDATE, entity Pipeline/example_pipeline".into(),
                t.dim,
            )],
            Some(Err(e)) => vec![(format!(" {}", sanitize(e)), t.alert)],
            Some(Ok(r)) => {
                let verdict = if r.allowed { " ALLOW " } else { " DENY " };
                let mut v = vec![(
                    format!("{verdict} {}", sanitize(&r.summary)),
                    if r.allowed { t.ok } else { t.alert },
                )];
                v.extend(
                    r.lines
                        .iter()
                        .map(|l| (format!(" {}", sanitize(l)), t.text)),
                );
                v
            }
        };
        let width = usize::from(answer.width).max(1);
        let lines = crate::tui::scroll::wrapped_lines(&body, width, "   ");
        self.scroll.render(lines, t, f, answer);
    }
}
