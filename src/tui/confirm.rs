//! The confirm dialog for destructive actions (docs/PRODUCT.md §1.1): Cancel has the focus, and a role or
//! team that still has members must be confirmed by typing its name.

use super::app::{App, Effect, Mode, Tone, one_line_input};
use super::ends::Step;
use super::panes::Delete;
use crate::policy::Change;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;

/// The confirm dialog: Cancel is focused; for a role or team that still has members the name
/// must be typed.
#[derive(Debug)]
pub struct Confirm {
    /// The question.
    pub question: String,
    /// What happens on yes.
    pub effect: Effect,
    /// The name to type, when required.
    pub type_name: Option<String>,
    /// The typed name.
    pub typed: TextArea<'static>,
    /// True when the "Delete" button has focus.
    pub yes_focused: bool,
    /// The label of the yes button (`Delete`, `Remove`, `Revoke`).
    pub yes_label: &'static str,
    /// The detail page to return to when the dialog closes.
    pub back: Option<Box<super::detail::Detail>>,
    /// The changes a yes makes, when their access effect is worked out ([`Effect::WhatIf`]).
    pub change: Option<Vec<Change>>,
    /// What that change would do to access.
    pub what_if: WhatIf,
    /// When the relations added or changed end (`e`), where the backend keeps ends.
    pub ends: Option<super::ends::Ends>,
    /// The form whose save this asks about (`save_check.rs`): it comes back when the dialog
    /// closes, as typed.
    pub form: Option<Box<super::form::Form>>,
}

/// What the change a confirm dialog asks about would do to access (issue 20's what-if): the
/// engine's answer on the state before and after, worked out off the keyboard's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhatIf {
    /// Nothing to work out (revoking an API key).
    None,
    /// Being worked out.
    Pending,
    /// The summary: who gains, who loses what.
    Lines(Vec<String>),
    /// It could not be worked out: why.
    Failed(String),
}

/// How many users the console's what-if names before counting the rest, and accesses per user.
pub const WHAT_IF_USERS: usize = 50;
/// Accesses per user in the console's what-if.
pub const WHAT_IF_ACCESSES: usize = 4;

/// The confirm dialog's question about `changes`, with their access effect asked for.
pub(super) fn asking(question: String, changes: Vec<Change>, effect: Effect) -> (Confirm, Effect) {
    let confirm = Confirm {
        question,
        effect,
        type_name: None,
        typed: one_line_input(""),
        yes_focused: false,
        yes_label: "Delete",
        back: None,
        change: Some(changes.clone()),
        what_if: WhatIf::Pending,
        ends: None,
        form: None,
    };
    (confirm, Effect::WhatIf(changes))
}

impl App {
    /// A key in the confirm dialog: its "Ends" first (`ends.rs`), then its buttons. When it
    /// closes, the page it was opened from comes back.
    pub(super) fn on_confirm_key(&mut self, mut c: Box<Confirm>, key: KeyEvent) -> Vec<Effect> {
        let step = match self.ends_key(&mut c, key) {
            Some(step) => step,
            None => match self.confirm_key(&mut c, key) {
                Some(effects) => Step::Close(effects),
                None => Step::Stay(Vec::new()),
            },
        };
        match step {
            Step::Close(effects) => {
                if let Some(form) = c.form.take() {
                    super::save_check::back_to_form(self, form, !effects.is_empty());
                } else if let Some(back) = c.back.take() {
                    self.mode = Mode::Detail(*back);
                }
                effects
            }
            Step::Stay(effects) => {
                self.mode = Mode::Confirm(c);
                effects
            }
        }
    }

    /// Returns `Some(effects)` when the dialog closes. Without a name to type: `y` confirms,
    /// `n` or Esc cancels, Enter presses the focused button. With one, keys edit the typed
    /// name and Enter confirms when it is right (and says what is expected when not).
    pub(super) fn confirm_key(&mut self, c: &mut Confirm, key: KeyEvent) -> Option<Vec<Effect>> {
        let typing = c.type_name.is_some();
        match key.code {
            KeyCode::Esc => Some(Vec::new()),
            KeyCode::Tab | KeyCode::BackTab => {
                c.yes_focused = !c.yes_focused;
                None
            }
            KeyCode::Left | KeyCode::Right if !typing => {
                c.yes_focused = !c.yes_focused;
                None
            }
            KeyCode::Char('y' | 'Y') if !typing => self.confirmed(c),
            KeyCode::Char('n' | 'N') if !typing => Some(Vec::new()),
            KeyCode::Enter => match &c.type_name {
                Some(name) => {
                    let typed = super::line_edit::text(&c.typed);
                    if &typed == name {
                        self.confirmed(c)
                    } else {
                        let safe = crate::text::sanitize(name);
                        self.say(
                            format!(
                                "type '{safe}' exactly to {} it, or Esc to cancel",
                                c.yes_label.to_lowercase()
                            ),
                            Tone::Error,
                        );
                        None
                    }
                }
                None if c.yes_focused => self.confirmed(c),
                None => Some(Vec::new()),
            },
            _ if typing => {
                super::line_edit::edit(&mut c.typed, key);
                None
            }
            _ => None,
        }
    }

    fn confirmed(&mut self, c: &Confirm) -> Option<Vec<Effect>> {
        Some(vec![c.effect.clone()])
    }

    pub(super) fn ask_delete(&mut self) -> Vec<Effect> {
        let (Some(data), Some(row)) = (&self.data, self.list().selected_row()) else {
            return Vec::new();
        };
        let delete = super::panes::def(self.pane)
            .delete
            .and_then(|ask| ask(&data.state, &row.id()));
        let confirm = match delete {
            Some(Delete::Refuse(why)) => {
                self.say(why, Tone::Info);
                return Vec::new();
            }
            Some(Delete::RevokeKey { id, name }) => {
                let name = crate::text::sanitize(&name).into_owned();
                Confirm {
                    question: format!(
                        "Revoke API key {name}? Requests with it fail from the next one on."
                    ),
                    effect: Effect::RevokeKey { id, name },
                    type_name: None,
                    typed: one_line_input(""),
                    yes_focused: false,
                    yes_label: "Revoke",
                    back: None,
                    change: None,
                    what_if: WhatIf::None,
                    ends: None,
                    form: None,
                }
            }
            Some(Delete::Object {
                kind,
                id,
                name,
                links,
                type_name,
            }) => {
                let safe = crate::text::sanitize(&name).into_owned();
                let question = if links > 0 {
                    format!("Delete {kind} '{safe}' and its {links} link(s)?")
                } else {
                    format!("Delete {kind} '{safe}'?")
                };
                let change = Change::Delete {
                    kind,
                    id,
                    expected_version: None,
                    cascade: links > 0,
                };
                let effect = Effect::Delete {
                    kind,
                    id,
                    name: safe.clone(),
                    force: links > 0,
                };
                let (mut c, ask) = asking(question, vec![change], effect);
                c.type_name = type_name.then_some(name);
                self.mode = Mode::Confirm(Box::new(c));
                return vec![ask];
            }
            None => {
                self.say("nothing to delete here", Tone::Info);
                return Vec::new();
            }
        };
        self.mode = Mode::Confirm(Box::new(confirm));
        Vec::new()
    }
}
