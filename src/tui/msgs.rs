//! The keys of the read-only pages that scroll: the message log (`:messages`, `M`), the `?`
//! help, and the status line's rules (a success clears an older error).

use super::app::{App, Effect, Mode, Tone, is_ctrl_c};
use super::check::CheckResult;
use super::keys::{Action, action_for};
use crossterm::event::{KeyCode, KeyEvent};

impl App {
    /// Opens the message log at its newest message.
    pub(super) fn open_messages(&mut self) {
        self.log.open();
        self.mode = Mode::Messages(None);
    }

    /// The message log's key that is no character (F2) opens it over any page, a form or a
    /// text field included, and the log returns there. `None` when it did; else the mode.
    pub(super) fn messages_over(&mut self, mode: Mode, key: KeyEvent) -> Option<Mode> {
        let opens = !matches!(key.code, KeyCode::Char(_))
            && action_for(key) == Some(Action::Messages)
            && !matches!(mode, Mode::Messages(_));
        if !opens {
            return Some(mode);
        }
        self.log.open();
        self.mode = Mode::Messages(Some(Box::new(mode)));
        None
    }

    /// Opens the `?` help at its top.
    pub(super) fn open_help(&mut self) {
        self.help_scroll.offset = 0;
        self.mode = Mode::Help;
    }

    /// A key on the message log: scroll, or close (Esc, q, M, Enter) back to where it was
    /// opened.
    pub(super) fn messages_key(&mut self, back: Option<Box<Mode>>, key: KeyEvent) -> Vec<Effect> {
        if is_ctrl_c(key) {
            return vec![Effect::Quit];
        }
        match action_for(key) {
            Some(Action::Back | Action::Quit | Action::Messages | Action::Open) => {
                self.mode = back.map_or(Mode::Normal, |b| *b);
            }
            Some(a) => {
                self.log.scroll.on_action(a);
                self.mode = Mode::Messages(back);
            }
            None => self.mode = Mode::Messages(back),
        }
        Vec::new()
    }

    /// A key on the help: scroll keys scroll it, any other key closes it.
    pub(super) fn help_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if is_ctrl_c(key) {
            return vec![Effect::Quit];
        }
        if let Some(a) = action_for(key)
            && a != Action::Help
            && self.help_scroll.on_action(a)
        {
            self.mode = Mode::Help;
        } else if let Some(back) = self.overlay_back.take() {
            // Closed: back to the page it was opened over.
            self.mode = *back;
        }
        Vec::new()
    }

    /// A load worked: a "cannot load" error still on the status line is over (known by the
    /// state the app keeps, not by the words on the line).
    pub(super) fn clear_load_error(&mut self) {
        if self.load_error_shown {
            self.message = None;
            self.load_error_shown = false;
        }
    }

    /// An access check answered: the answer replaces an older error on the status line.
    pub(super) fn on_checked(&mut self, result: Result<CheckResult, String>) {
        match &result {
            Ok(r) => {
                let verdict = if r.allowed { "ALLOW" } else { "DENY" };
                self.say(format!("check: {verdict} — {}", r.summary), Tone::Info);
            }
            Err(e) => self.say(format!("check failed: {e}"), Tone::Error),
        }
        self.check.scroll = Default::default();
        self.check.result = Some(result);
    }
}
