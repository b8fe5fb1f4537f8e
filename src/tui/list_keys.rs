//! The keys of a pane's list (the keys only one pane answers are in its module, `panes/`):
//! moving, switching panes, filter, sort, and opening, creating, editing or deleting the
//! selected row's object.

use super::app::{App, Effect, Mode, Tone, one_line_input};
use super::defaults::DefaultsDialog;
use super::detail::build as build_detail;
use super::keys::{Action, Context, action_for, binding};
use super::view::{Pane, columns};
use crossterm::event::KeyEvent;

impl App {
    /// A key on a list.
    pub(super) fn normal_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(action) = action_for(key) else {
            return Vec::new();
        };
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
            Action::Refresh => return vec![Effect::Load],
            Action::Delete => return self.ask_delete(),
            Action::Defaults => {
                let mage = self
                    .data
                    .as_ref()
                    .is_some_and(|d| d.info.kind == crate::backend::BackendKind::Mage);
                let (dialog, effects) = DefaultsDialog::open(mage);
                self.mode = Mode::Defaults(dialog);
                return effects;
            }
            Action::Open | Action::Add => return self.open_row(action, key),
            Action::New => self.open_new(),
            Action::Edit => match (
                super::panes::edit_refused(self.pane),
                self.selected_object(),
            ) {
                (Some(why), _) => self.say(why, Tone::Info),
                (None, Some((kind, id))) => self.open_edit(kind, id, None),
                (None, None) => self.say(
                    "select a role, permission, user or team to edit",
                    Tone::Info,
                ),
            },
            Action::Remove => self.say(
                "open the row (Enter), select the relation and press x to remove it",
                Tone::Info,
            ),
            Action::Expire => self.say(
                format!(
                    "open the row (Enter), select the relation and press {} to change when it \
                     ends",
                    super::keys::label(Action::Expire)
                ),
                Tone::Info,
            ),
            other => self.list_action(other),
        }
        Vec::new()
    }

    /// A key that moves on the list or changes what it shows.
    fn list_action(&mut self, action: Action) {
        let page = self.list_height();
        match action {
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
            Action::Help => self.open_help(),
            Action::Messages => self.open_messages(),
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
                let width = self.main_width();
                let list = self.list_mut();
                let next =
                    super::view::next_sort(pane, width, list.sort, action == Action::SortReverse);
                if next.is_some() {
                    list.sort = next;
                    list.refresh(columns(pane));
                }
            }
            _ => {}
        }
    }

    /// Enter on a row opens its page; `a` opens it and the picker of its first section.
    fn open_row(&mut self, action: Action, key: KeyEvent) -> Vec<Effect> {
        let detail = match (&self.data, self.list().selected_row()) {
            (Some(data), Some(row)) => {
                build_detail(self.pane, &row.id(), &data.state, Some(&data.catalogs))
            }
            _ => None,
        };
        let Some(d) = detail else {
            return Vec::new();
        };
        let effects: Vec<Effect> = d.awaiting.map(Effect::WhatCan).into_iter().collect();
        self.mode = Mode::Detail(d);
        if action == Action::Add {
            let mode = std::mem::replace(&mut self.mode, Mode::Normal);
            if let Mode::Detail(d) = mode {
                let more = self.detail_key(d, key);
                return effects.into_iter().chain(more).collect();
            }
        }
        effects
    }
}
