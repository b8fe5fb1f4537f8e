//! The console's state and its reaction to keys. Pure: a key press changes the state and may
//! return an [`Effect`] (load data, delete an object, quit) that the runner carries out on a
//! task; results come back as [`Msg`]s. Drawing is `&self` (see `draw.rs`).

use super::check::CheckForm;
pub use super::confirm::Confirm;
use super::defaults::DefaultsDialog;
use super::detail::{Detail, build as build_detail, effective_lines};
use super::form::Form;
use super::keys::{Action, Context, action_for, binding};
use super::list::ListState;
pub use super::msg::{Data, Effect, Msg};
use super::picker::Picker;
use super::theme::Theme;
use super::view::{Pane, columns, rows};
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
    Secret(Box<crate::service::CreatedKey>),
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
    /// Backend calls under way.
    pub pending: usize,
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
    /// Where the last frame drew the list's rows (set while drawing; see `frame.rs`).
    pub list_rows: std::cell::Cell<Option<ratatui::layout::Rect>>,
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
            pending: 1,
            size,
            forced_read_only,
            check: CheckForm::default(),
            form_back: None,
            select_after_load: None,
            offline: None,
            list_rows: std::cell::Cell::new(None),
        }
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
        self.message = Some((text.into(), tone));
    }

    /// Handles a result from the runner.
    pub fn on_msg(&mut self, msg: Msg) -> Vec<Effect> {
        self.pending = self.pending.saturating_sub(1);
        match msg {
            Msg::Loaded(data) => {
                for pane in Pane::ALL {
                    let r = rows(pane, &data.state, &data.audit);
                    let cols = columns(pane);
                    let list = self.lists.entry(pane).or_default();
                    list.set_rows(r, cols);
                }
                self.data = Some(*data);
                self.offline = None;
                let h = self.list_height();
                self.list_mut().scroll(h);
                self.after_load()
            }
            Msg::Saved { pane, row_id, text } => self.on_saved(pane, row_id, text),
            Msg::SaveFailed(e) => self.on_save_failed(e),
            Msg::LoadFailed(e, attempt) => {
                if matches!(e, crate::service::Error::Unavailable(_)) {
                    // Keep whatever is on screen (an unsaved form included) and retry.
                    self.offline = Some((e.to_string(), attempt + 1));
                    self.pending += 1;
                    vec![Effect::RetryLoad(attempt + 1)]
                } else {
                    self.say(format!("cannot load: {e}"), Tone::Error);
                    Vec::new()
                }
            }
            Msg::KeyCreated(k) => {
                self.mode = Mode::Secret(k);
                self.pending += 1;
                vec![Effect::Load]
            }
            Msg::Done(text) => {
                self.say(text, Tone::Ok);
                self.pending += 1;
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
                if let (Mode::Detail(d), Some(data)) = (&mut self.mode, &self.data)
                    && d.awaiting == Some(user)
                {
                    d.awaiting = None;
                    if let Some(pos) = d
                        .lines
                        .iter()
                        .position(|l| l.text.starts_with("Effective permissions:"))
                    {
                        d.lines.truncate(pos);
                    }
                    match result {
                        Ok(what) => d.lines.extend(effective_lines(&data.state, &what)),
                        Err(e) => d.lines.push(super::detail::DLine {
                            text: format!("Effective permissions: {e}"),
                            ..Default::default()
                        }),
                    }
                }
                Vec::new()
            }
            Msg::Checked(result) => {
                self.check.result = Some(result);
                Vec::new()
            }
            Msg::PresetPreview(report) => {
                if let Mode::Defaults(d) = &mut self.mode {
                    d.preview = Some(report);
                    d.busy = false;
                }
                Vec::new()
            }
            Msg::PresetProgress(p) => {
                match &mut self.mode {
                    Mode::Defaults(d) => d.progress = Some(p.message),
                    _ => self.say(p.message, Tone::Info),
                }
                Vec::new()
            }
            Msg::PresetApplied(report) => {
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
                self.pending += 1;
                vec![Effect::Load]
            }
        }
    }

    /// Handles a terminal event.
    pub fn on_event(&mut self, event: &Event) -> Vec<Effect> {
        match event {
            Event::Key(k) if k.kind != KeyEventKind::Release => self.on_key(*k),
            Event::Resize(w, h) => {
                self.size = (*w, *h);
                let height = self.list_height();
                self.list_mut().scroll(height);
                Vec::new()
            }
            Event::Paste(text) => {
                match &mut self.mode {
                    Mode::Filter(t) | Mode::Command(t) => {
                        t.insert_str(text.replace(['\n', '\r'], " "));
                    }
                    Mode::Confirm(c) => {
                        c.typed.insert_str(text.replace(['\n', '\r'], " "));
                    }
                    Mode::Form(form) => form.paste(text),
                    Mode::Picker { picker, .. } => picker.paste(text),
                    Mode::Normal if self.pane == Pane::Check && self.check.editing => {
                        self.check.paste(text)
                    }
                    _ => {}
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
    pub fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let mode = std::mem::replace(&mut self.mode, Mode::Normal);
        match mode {
            Mode::Normal if self.pane == Pane::Check && self.check.editing => {
                if is_ctrl_c(key) {
                    return vec![Effect::Quit];
                }
                let effects = self.check.on_key(key, self.data.as_ref());
                self.pending += effects.len();
                effects
            }
            Mode::Normal
                if self.pane == Pane::Check
                    && matches!(
                        key.code,
                        KeyCode::Enter | KeyCode::Char('e') | KeyCode::Char('i')
                    ) =>
            {
                self.check.editing = true;
                Vec::new()
            }
            Mode::Normal => self.normal_key(key),
            Mode::Help => Vec::new(),
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
                    self.pending += effects.len();
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
                    t.input(key);
                    self.mode = Mode::Filter(t);
                    self.after_filter_edit();
                    Vec::new()
                }
            },
            Mode::Command(mut t) => match key.code {
                KeyCode::Esc => Vec::new(),
                KeyCode::Enter => {
                    let line = t.lines().join("");
                    self.run_command(line.trim())
                }
                _ => {
                    t.input(key);
                    self.mode = Mode::Command(t);
                    Vec::new()
                }
            },
            Mode::Confirm(mut c) => match self.confirm_key(&mut c, key) {
                Some(effects) => {
                    if let Some(back) = c.back.take() {
                        self.mode = Mode::Detail(*back);
                    }
                    effects
                }
                None => {
                    self.mode = Mode::Confirm(c);
                    Vec::new()
                }
            },
        }
    }

    fn run_command(&mut self, line: &str) -> Vec<Effect> {
        let mut words = line.split_whitespace();
        let Some(cmd) = words.next() else {
            return Vec::new();
        };
        let rest: Vec<&str> = words.collect();
        match cmd {
            "q" | "q!" | "quit" | "exit" => return vec![Effect::Quit],
            "help" => {
                self.mode = Mode::Help;
                return Vec::new();
            }
            "r" | "refresh" | "reload" => {
                self.pending += 1;
                return vec![Effect::Load];
            }
            _ => {}
        }
        match Pane::by_command(cmd) {
            Some(Pane::Check) => {
                self.pane = Pane::Check;
                if let Some(user) = rest.first() {
                    self.check.set(0, user);
                    self.check.focus = 1;
                }
                self.check.editing = true;
            }
            Some(pane) => {
                self.pane = pane;
                let filter = rest.join(" ");
                let list = self.list_mut();
                list.filter = filter;
                list.selected = 0;
                list.offset = 0;
                list.refresh(columns(pane));
            }
            None => self.say(
                format!("unknown command ':{cmd}'; try :roles, :permissions, :users, :teams, :keys, :audit, :check, :q"),
                Tone::Error,
            ),
        }
        Vec::new()
    }

    fn normal_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(action) = action_for(key) else {
            return Vec::new();
        };
        let page = self.list_height();
        if let Some(b) = binding(action)
            && b.mutating
        {
            if b.context == Context::Roles && !super::keys::applies(b.context, self.pane) {
                return Vec::new();
            }
            if let Some(reason) = self.read_only_reason() {
                self.say(
                    format!("{} is disabled: {reason}", b.description),
                    Tone::Error,
                );
                return Vec::new();
            }
        }
        match action {
            Action::Quit => return vec![Effect::Quit],
            Action::Down => self.list_mut().move_by(1, page),
            Action::Up => self.list_mut().move_by(-1, page),
            Action::PageDown => self.list_mut().move_by(page as isize, page),
            Action::PageUp => self.list_mut().move_by(-(page as isize), page),
            Action::Top => self.list_mut().move_by(isize::MIN / 2, page),
            Action::Bottom => self.list_mut().move_by(isize::MAX / 2, page),
            Action::NextPane | Action::PrevPane => {
                let i = Pane::ALL.iter().position(|p| *p == self.pane).unwrap_or(0);
                let n = Pane::ALL.len();
                let next = if action == Action::NextPane {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.pane = Pane::ALL[next];
                self.list_mut().scroll(page);
            }
            Action::Filter => {
                let current = self.list().filter.clone();
                self.mode = Mode::Filter(one_line_input(&current));
            }
            Action::Command => self.mode = Mode::Command(one_line_input("")),
            Action::Help => self.mode = Mode::Help,
            Action::Back => {
                let pane = self.pane;
                let list = self.list_mut();
                if !list.filter.is_empty() {
                    list.filter.clear();
                    list.refresh(columns(pane));
                }
                self.message = None;
            }
            Action::Sort | Action::SortReverse => {
                let pane = self.pane;
                let ncols = columns(pane).len();
                if ncols > 0 {
                    let list = self.list_mut();
                    list.sort = Some(match (list.sort, action) {
                        (Some((c, rev)), Action::SortReverse) => (c, !rev),
                        (Some((c, _)), _) => ((c + 1) % ncols, false),
                        (None, Action::SortReverse) => (0, true),
                        (None, _) => (0, false),
                    });
                    list.refresh(columns(pane));
                }
            }
            Action::Refresh => {
                self.pending += 1;
                return vec![Effect::Load];
            }
            Action::Delete => return self.ask_delete(),
            Action::Defaults => {
                let (dialog, effects) = DefaultsDialog::open();
                self.mode = Mode::Defaults(dialog);
                self.pending += effects.len();
                return effects;
            }
            Action::Open | Action::Add => {
                let detail = match (&self.data, self.list().selected_row()) {
                    (Some(data), Some(row)) => {
                        build_detail(self.pane, &row.id(), &data.state, Some(&data.catalogs))
                    }
                    _ => None,
                };
                if let Some(d) = detail {
                    let effects: Vec<Effect> =
                        d.awaiting.map(Effect::WhatCan).into_iter().collect();
                    self.pending += effects.len();
                    self.mode = Mode::Detail(d);
                    if action == Action::Add {
                        // `a` on a row: open its page and the picker of its first section.
                        let mode = std::mem::replace(&mut self.mode, Mode::Normal);
                        if let Mode::Detail(d) = mode {
                            let more = self.detail_key(d, key);
                            return effects.into_iter().chain(more).collect();
                        }
                    }
                    return effects;
                }
            }
            Action::New => self.open_new(),
            Action::Edit if self.pane == Pane::Keys => self.say(
                "API keys cannot be edited: revoke it (D) and create another (n)",
                Tone::Info,
            ),
            Action::Edit => match self.selected_object() {
                Some((kind, id)) => self.open_edit(kind, id, None),
                None => self.say(
                    "select a role, permission, user or team to edit",
                    Tone::Info,
                ),
            },
            Action::Remove => self.say(
                "open the row (Enter), select the relation and press x to remove it",
                Tone::Info,
            ),
        }
        Vec::new()
    }
}
