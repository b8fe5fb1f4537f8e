//! The console's state and its reaction to keys. Pure: a key press changes the state and may
//! return an [`Effect`] (load data, delete an object, quit) that the runner carries out on a
//! task; results come back as [`Msg`]s. Drawing is `&self` (see `draw.rs`).

use super::check::CheckForm;
pub use super::confirm::Confirm;
use super::defaults::DefaultsDialog;
use super::detail::Detail;
use super::form::Form;
use super::list::ListState;
pub use super::msg::{Data, Effect, Job, JobId, JobKind, Msg};
use super::picker::Picker;
use super::theme::Theme;
use super::view::{Pane, columns, rows_at};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind};
use ratatui_textarea::TextArea;
use std::collections::HashMap;

/// What the keyboard is talking to.
#[derive(Debug)]
pub enum Mode {
    /// The lists.
    Normal,
    /// Typing a filter (`/`).
    Filter(TextArea<'static>),
    /// Typing a command (`:`).
    Command(TextArea<'static>),
    /// The help overlay.
    Help,
    /// A destructive action waiting for confirmation.
    Confirm(Box<Confirm>),
    /// "Create default roles and permissions".
    Defaults(DefaultsDialog),
    /// A detail page.
    Detail(Detail),
    /// A create or edit form.
    Form(Box<Form>),
    /// A new API key's secret, shown once.
    Secret(Box<crate::backend::CreatedKey>),
    /// The message log page (`:messages`, `M`, F2 from anywhere): what it returns to.
    Messages(Option<Box<Mode>>),
    /// One audit event: what changed, field by field.
    AuditEvent(Box<super::audit::EventPage>),
    /// The relation picker over a detail page.
    Picker {
        /// The picker.
        picker: Box<Picker>,
        /// The page it adds to.
        back: Box<Detail>,
    },
}

/// Kind of status message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Information.
    Info,
    /// Success.
    Ok,
    /// Error or refusal.
    Error,
}

/// The whole console state.
#[derive(Debug)]
pub struct App {
    /// Colours.
    pub theme: Theme,
    /// Loaded data (None until the first load).
    pub data: Option<Data>,
    /// The active pane.
    pub pane: Pane,
    /// Per-pane lists.
    pub lists: HashMap<Pane, ListState>,
    /// Input mode.
    pub mode: Mode,
    /// Status line.
    pub message: Option<(String, Tone)>,
    /// The status line shows a failed load (a later load that works clears it).
    pub load_error_shown: bool,
    /// The effects issued and not yet answered (see `jobs.rs`): the header says "working"
    /// while any is.
    pub in_flight: std::collections::BTreeMap<super::msg::JobId, super::msg::JobKind>,
    /// The id the next issued effect gets.
    pub(super) next_job: u64,
    /// Terminal size.
    pub size: (u16, u16),
    /// `--read-only` was given.
    pub forced_read_only: bool,
    /// The Access check form.
    pub check: CheckForm,
    /// The detail page a form returns to.
    pub form_back: Option<Detail>,
    /// The row to select once the next load arrives.
    pub select_after_load: Option<(Pane, String)>,
    /// The backend could not be reached: why, and how many retries so far.
    pub offline: Option<(String, u32)>,
    /// The latest revision the backend announced (the live view), 0 before any.
    pub announced: crate::model::Revision,
    /// A load asked for by the live view is under way.
    pub following: bool,
    /// Where the last frame drew the list's rows (set while drawing; see `frame.rs`).
    pub list_rows: std::cell::Cell<Option<ratatui::layout::Rect>>,
    /// Every status message and error, whole, with its time.
    pub log: super::log::MessageLog,
    /// Where the `?` help is scrolled to.
    pub help_scroll: super::scroll::Scroll,
    /// Audit paging: older events exist, and whether they are being loaded.
    pub audit_paging: super::audit::Paging,
    /// The command line's history and Tab completion.
    pub commands: super::command::CommandState,
    /// The page the command line or the help was opened over (a detail page): they return
    /// to it when closed without going elsewhere.
    pub overlay_back: Option<Box<Mode>>,
    /// A fixed time for "now" (tests and snapshots: relations' ends are said from it); the
    /// clock when `None`.
    pub clock: Option<time::OffsetDateTime>,
}

/// How long to wait before retry `attempt` of an unreachable backend: 1, 2, 4, … 30 s.
pub fn retry_delay(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_secs(1u64 << attempt.min(5)).min(std::time::Duration::from_secs(30))
}

/// Ctrl-C, which quits from everywhere.
pub(super) fn is_ctrl_c(key: KeyEvent) -> bool {
    key.code == KeyCode::Char('c')
        && key
            .modifiers
            .contains(crossterm::event::KeyModifiers::CONTROL)
}

pub(super) fn one_line_input(text: &str) -> TextArea<'static> {
    let mut t = TextArea::from([text.to_string()]);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

impl App {
    /// A console of `size` (columns, rows), before any data.
    pub fn new(theme: Theme, size: (u16, u16), forced_read_only: bool) -> App {
        App {
            theme,
            data: None,
            pane: Pane::Roles,
            lists: Pane::ALL
                .into_iter()
                .map(|p| (p, ListState::default()))
                .collect(),
            mode: Mode::Normal,
            message: None,
            load_error_shown: false,
            // The runner starts with a load (`FIRST_LOAD`).
            in_flight: [(super::msg::FIRST_LOAD, super::msg::JobKind::Load)].into(),
            next_job: super::msg::FIRST_LOAD.0 + 1,
            size,
            forced_read_only,
            check: CheckForm::default(),
            form_back: None,
            select_after_load: None,
            offline: None,
            announced: 0,
            following: false,
            list_rows: std::cell::Cell::new(None),
            log: Default::default(),
            help_scroll: Default::default(),
            audit_paging: Default::default(),
            commands: Default::default(),
            overlay_back: None,
            clock: None,
        }
    }

    /// Whether the backend keeps ends on relations (`E`, the confirm dialog's "Ends").
    pub fn keeps_ends(&self) -> bool {
        self.data
            .as_ref()
            .is_some_and(|d| d.info.capabilities.expiry)
    }

    /// Now, as the console says when relations end.
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.unwrap_or_else(crate::model::now)
    }

    /// Rows available to the list body (terminal minus header, footer, borders, table header).
    pub fn list_height(&self) -> usize {
        self.size.1.saturating_sub(6).max(1) as usize
    }

    /// The current list.
    pub fn list(&self) -> &ListState {
        // Every pane gets a list at construction; the map is never shrunk.
        &self.lists[&self.pane]
    }

    pub(super) fn list_mut(&mut self) -> &mut ListState {
        self.lists.entry(self.pane).or_default()
    }

    /// Why writes are refused, if they are.
    pub fn read_only_reason(&self) -> Option<String> {
        if self.forced_read_only {
            return Some("read-only mode (--read-only)".into());
        }
        match &self.data {
            Some(d) if !d.me.can_write => Some(
                d.me.read_only_reason
                    .clone()
                    .unwrap_or_else(|| "no write permission".into()),
            ),
            Some(_) => None,
            None => Some("still loading".into()),
        }
    }

    pub(super) fn say(&mut self, text: impl Into<String>, tone: Tone) {
        let text = text.into();
        self.log.push(&text, tone);
        self.message = Some((text, tone));
        self.load_error_shown = false;
    }

    /// Handles a result from the runner (its job, if any, is already over: see `jobs.rs`).
    pub(super) fn msg_effects(&mut self, msg: Msg) -> Vec<Effect> {
        if let Msg::Moved(revision) = msg {
            return self.on_moved(revision);
        }
        match msg {
            Msg::Moved(_) => Vec::new(),
            Msg::Loaded(data) => self.on_loaded(*data),
            Msg::Saved { pane, row_id, text } => self.on_saved(pane, row_id, text),
            Msg::SaveFailed(e) => self.on_save_failed(e),
            Msg::SaveWhatIf {
                save,
                changes,
                lines,
            } => self.on_save_what_if(save, changes, lines),
            Msg::LoadFailed(e, attempt) => self.on_load_failed(e, attempt),
            Msg::KeyCreated(k) => {
                self.say(format!("created API key {}", k.record.prefix), Tone::Ok);
                self.mode = Mode::Secret(k);
                vec![Effect::Load]
            }
            Msg::Done(text) => {
                self.say(text, Tone::Ok);
                vec![Effect::Load]
            }
            Msg::Failed(text) => {
                if let Mode::Defaults(d) = &mut self.mode {
                    d.busy = false;
                }
                self.say(text, Tone::Error);
                Vec::new()
            }
            Msg::Effective(user, result) => {
                self.on_effective(user, result);
                Vec::new()
            }
            Msg::Checked(result) => {
                self.on_checked(result);
                Vec::new()
            }
            Msg::WhatIf(change, result) => {
                // Only the dialog still asking about this change takes the answer.
                if let Mode::Confirm(c) = &mut self.mode
                    && c.change.as_ref() == Some(&change)
                {
                    c.what_if = match result {
                        Ok(lines) => super::confirm::WhatIf::Lines(lines),
                        Err(e) => super::confirm::WhatIf::Failed(e),
                    };
                }
                Vec::new()
            }
            Msg::AuditPage { before, events } => self.on_audit_page(before, events),
            Msg::PresetPreview(name, report) => {
                if let Mode::Defaults(d) = &mut self.mode {
                    d.previewed(&name, report);
                }
                Vec::new()
            }
            Msg::PresetProgress(p) => {
                match &mut self.mode {
                    Mode::Defaults(d) => {
                        d.step = Some((p.done, p.total));
                        d.progress = Some(p.message);
                    }
                    _ => self.say(p.message, Tone::Info),
                }
                Vec::new()
            }
            Msg::PresetApplied(report) => self.on_preset_applied(report),
        }
    }

    /// Data arrived: every list gets its rows, keeping its selection.
    fn on_loaded(&mut self, data: Data) -> Vec<Effect> {
        // Relations that end are marked as of the load (`(ends)`, `(ended)`): lists say no
        // clock, so they need no redraw as time passes.
        let now = self.now();
        for pane in Pane::ALL {
            let r = rows_at(pane, &data.state, &data.audit, &data.catalogs, now);
            let cols = columns(pane);
            let list = self.lists.entry(pane).or_default();
            list.set_rows(r, cols);
        }
        self.audit_paging = super::audit::Paging::after_load(&data.audit);
        self.data = Some(data);
        self.offline = None;
        self.clear_load_error();
        let h = self.list_height();
        self.list_mut().scroll(h);
        let mut effects = self.after_load();
        effects.extend(self.catch_up());
        effects
    }

    /// A load failed: an unreachable backend is retried, keeping whatever is on screen.
    fn on_load_failed(&mut self, e: crate::backend::Error, attempt: u32) -> Vec<Effect> {
        self.following = false;
        if matches!(e, crate::backend::Error::Unreachable(_)) {
            // Keep whatever is on screen (an unsaved form included) and retry.
            if self.offline.is_none() {
                self.log.push(&e.to_string(), Tone::Error);
            }
            self.offline = Some((e.to_string(), attempt + 1));
            vec![Effect::RetryLoad(attempt + 1)]
        } else {
            self.say(format!("cannot load: {e}"), Tone::Error);
            self.load_error_shown = true;
            Vec::new()
        }
    }

    /// A preset was applied: say what it created and reload.
    fn on_preset_applied(&mut self, report: crate::backend::ImportReport) -> Vec<Effect> {
        self.say(
            format!(
                "created {} roles and {} permissions ({} already present)",
                report.roles.created,
                report.permissions.created,
                report.roles.present + report.permissions.present
            ),
            Tone::Ok,
        );
        if let Mode::Defaults(d) = &mut self.mode {
            d.applied = Some(report);
            d.busy = false;
        }
        vec![Effect::Load]
    }

    /// The backend announced revision `revision`: reload unless the data already has it
    /// (lists keep their selection; an open form keeps what was typed and says the object
    /// changed outside).
    fn on_moved(&mut self, revision: crate::model::Revision) -> Vec<Effect> {
        self.announced = self.announced.max(revision);
        if self.following {
            return Vec::new();
        }
        self.catch_up()
    }

    /// A load when the data is behind the announced revision and none is under way.
    fn catch_up(&mut self) -> Vec<Effect> {
        self.following = false;
        let Some(data) = &self.data else {
            return Vec::new();
        };
        if data.state.revision >= self.announced || self.offline.is_some() {
            return Vec::new();
        }
        self.following = true;
        vec![Effect::Load]
    }

    /// Handles a terminal event (see `jobs.rs` for the entry points).
    pub(super) fn event_effects(&mut self, event: &Event) -> Vec<Effect> {
        match event {
            Event::Key(k) if k.kind != KeyEventKind::Release => self.on_key(*k),
            Event::Resize(w, h) => {
                self.size = (*w, *h);
                let height = self.list_height();
                self.list_mut().scroll(height);
                Vec::new()
            }
            Event::Paste(text) => {
                let height = self.detail_height();
                match &mut self.mode {
                    Mode::Filter(t) | Mode::Command(t) => {
                        t.insert_str(text.replace(['\n', '\r'], " "));
                    }
                    Mode::Confirm(c) => {
                        let input = match c.ends.as_mut().and_then(|e| e.input.as_mut()) {
                            Some(ends) => ends,
                            None => &mut c.typed,
                        };
                        input.insert_str(text.replace(['\n', '\r'], " "));
                    }
                    Mode::Form(form) => form.paste(text),
                    Mode::Picker { picker, .. } => picker.paste(text),
                    Mode::Detail(d) => {
                        d.paste(text);
                        d.follow(height);
                    }
                    _ => {}
                }
                if let (Mode::Normal, Some(paste)) =
                    (&self.mode, super::panes::def(self.pane).paste)
                {
                    paste(self, text);
                }
                self.after_filter_edit();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn after_filter_edit(&mut self) {
        if let Mode::Filter(t) = &self.mode {
            let text = t.lines().join("");
            let pane = self.pane;
            let list = self.list_mut();
            if list.filter != text {
                list.filter = text;
                list.selected = 0;
                list.offset = 0;
                list.refresh(columns(pane));
            }
        }
    }

    /// Handles a key press.
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let mode = std::mem::replace(&mut self.mode, Mode::Normal);
        let mode = match self.messages_over(mode, key) {
            Some(mode) => mode,
            None => return Vec::new(),
        };
        match mode {
            // The keys only the pane answers, else the list's.
            Mode::Normal => match super::panes::def(self.pane).keys {
                Some(pane_key) => match pane_key(self, key) {
                    Some(effects) => effects,
                    None => self.normal_key(key),
                },
                None => self.normal_key(key),
            },
            Mode::Help => self.help_key(key),
            Mode::Messages(back) => self.messages_key(back, key),
            Mode::AuditEvent(page) => self.event_key(page, key),
            Mode::Detail(d) => self.detail_key(d, key),
            Mode::Form(form) => {
                if is_ctrl_c(key) {
                    return vec![Effect::Quit];
                }
                self.form_key(form, key)
            }
            Mode::Picker { picker, back } => self.picker_key(picker, back, key),
            // Any key closes the secret: it is never shown again.
            Mode::Secret(_) => Vec::new(),
            Mode::Defaults(mut d) => match d.on_key(key) {
                Some(effects) => {
                    self.mode = Mode::Defaults(d);
                    effects
                }
                None => Vec::new(),
            },
            Mode::Filter(mut t) => match key.code {
                KeyCode::Esc => {
                    let pane = self.pane;
                    let list = self.list_mut();
                    list.filter.clear();
                    list.refresh(columns(pane));
                    Vec::new()
                }
                KeyCode::Enter => Vec::new(),
                _ => {
                    super::line_edit::edit(&mut t, key);
                    self.mode = Mode::Filter(t);
                    self.after_filter_edit();
                    Vec::new()
                }
            },
            Mode::Command(t) => self.command_key(t, key),
            Mode::Confirm(c) => self.on_confirm_key(c, key),
        }
    }
}
