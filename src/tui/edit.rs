//! Editing from the console: the create and edit forms (`n`, `e`), the detail page's keys
//! (`a` adds relations through the picker, `x` removes the selected one after a confirm, `e`
//! edits the object), and what happens when a save comes back.

use super::app::{App, Effect, Mode, Tone, one_line_input};
use super::detail::Detail;
use super::form::{Form, Outcome};
use super::keys::{Action, action_for, binding};
use super::picker::{Picker, PickerOutcome};
use super::view::Pane;
use crate::backend::Error;
use crate::model::{Id, ObjectKind};
use crate::policy::{Change, Link};
use crossterm::event::KeyEvent;

/// The kind of object a pane lists, when it can be created and edited there.
pub fn kind_of(pane: Pane) -> Option<ObjectKind> {
    super::panes::def(pane).kind
}

impl App {
    /// Rows of a detail page (body minus its title line).
    pub(super) fn detail_height(&self) -> usize {
        usize::from(self.size.1.saturating_sub(4)).max(1)
    }

    /// Width of the main area (right of the navigation column).
    pub(super) fn main_width(&self) -> u16 {
        self.size
            .0
            .saturating_sub(super::draw::nav_width(self.size.0))
    }

    /// Opens the create form of the current pane.
    pub(super) fn open_new(&mut self) {
        let (Some(kind), Some(data)) = (kind_of(self.pane), &self.data) else {
            self.say("nothing can be created in this pane", Tone::Info);
            return;
        };
        if let Some(mut form) = Form::create(kind, &data.state, data.catalogs.clone()) {
            if data.info.kind == crate::backend::BackendKind::Mage {
                form.for_mage_user();
            }
            form.width = self.main_width();
            self.form_back = None;
            self.mode = Mode::Form(Box::new(form));
        }
    }

    /// Opens the edit form of an object; `back` is the page to return to.
    pub(super) fn open_edit(&mut self, kind: ObjectKind, id: Id, back: Option<Detail>) {
        let Some(data) = &self.data else { return };
        match Form::edit(kind, id, &data.state, data.catalogs.clone()) {
            Some(mut form) => {
                if data.info.kind == crate::backend::BackendKind::Mage {
                    form.for_mage_user();
                }
                form.width = self.main_width();
                self.form_back = back;
                self.mode = Mode::Form(Box::new(form));
            }
            None => {
                self.say(format!("that {kind} no longer exists"), Tone::Error);
                if let Some(d) = back {
                    self.mode = Mode::Detail(d);
                }
            }
        }
    }

    /// The object of the selected row of the current pane.
    pub(super) fn selected_object(&self) -> Option<(ObjectKind, Id)> {
        let kind = kind_of(self.pane)?;
        let row = self.list().selected_row()?;
        let s = &self.data.as_ref()?.state;
        let id = (super::panes::def(self.pane).object_of_row)(s, &row.id())?;
        Some((kind, id))
    }

    /// A key in a form.
    pub(super) fn form_key(&mut self, mut form: Box<Form>, key: KeyEvent) -> Vec<Effect> {
        form.width = self.main_width();
        let before = form_errors(&form);
        let outcome = form.on_key(key);
        self.log_form_errors(&before, &form);
        self.form_outcome(form, outcome)
    }

    fn form_outcome(&mut self, mut form: Box<Form>, outcome: Outcome) -> Vec<Effect> {
        match outcome {
            Outcome::Stay => {
                self.mode = Mode::Form(form);
                Vec::new()
            }
            Outcome::Close => {
                if let Some(d) = self.form_back.take() {
                    self.mode = Mode::Detail(d);
                }
                Vec::new()
            }
            Outcome::Reload => {
                let back = self.form_back.take();
                match form.target {
                    Some((id, _)) => {
                        self.open_edit(form.kind, id, back);
                        // The current version, with the cursor on the field it was on.
                        if let Mode::Form(fresh) = &mut self.mode {
                            fresh.focus = form.focus.min(fresh.fields.len().saturating_sub(1));
                            self.say(
                                format!(
                                    "reloaded the current version of this {}; your edits were \
                                     dropped",
                                    form.kind
                                ),
                                Tone::Info,
                            );
                        }
                    }
                    None => self.mode = Mode::Form(form),
                }
                Vec::new()
            }
            Outcome::Overwrite => {
                // The newer of what the conflict reported and what the last reload read: an
                // overwrite pressed before that reload lands still names the current version.
                let loaded = match (&form.target, &self.data) {
                    (Some((id, _)), Some(d)) => d.state.version_of(form.kind, *id),
                    _ => None,
                };
                let current = loaded.max(form.current_version);
                match (form.target, current) {
                    (Some((id, _)), Some(v)) => {
                        form.target = Some((id, v));
                        let outcome = form.submit();
                        self.form_outcome(form, outcome)
                    }
                    _ => {
                        form.error = Some(format!("that {} no longer exists", form.kind));
                        self.mode = Mode::Form(form);
                        Vec::new()
                    }
                }
            }
            Outcome::Submit(save) => {
                if let Some(reason) = self.read_only_reason() {
                    form.busy = false;
                    form.error = Some(format!("saving is disabled: {reason}"));
                    self.mode = Mode::Form(form);
                    return Vec::new();
                }
                self.mode = Mode::Form(form);
                // A save that may change access is weighed first (`save_check.rs`).
                if super::save_check::weighed(&save) {
                    return vec![Effect::CheckSave(save)];
                }
                vec![Effect::Save(save)]
            }
        }
    }

    /// Puts the form's new errors (under a field or below it) into the message log, whole.
    fn log_form_errors(&mut self, before: &[String], form: &Form) {
        for e in form_errors(form) {
            if !before.contains(&e) {
                self.log.push(&e, Tone::Error);
            }
        }
    }

    /// A save finished: close the form, select the object, reload.
    pub(super) fn on_saved(&mut self, pane: Pane, row_id: String, text: String) -> Vec<Effect> {
        if let Mode::Form(form) = &self.mode {
            let edited = form.target.map(|(id, _)| id);
            self.mode = match self.form_back.take() {
                Some(mut d) => {
                    // A rename changes the row id (users and teams go by name): the page
                    // follows its object.
                    if d.pane == pane && Some(d.object.1) == edited {
                        d.row_id = row_id.clone();
                    }
                    Mode::Detail(d)
                }
                None => Mode::Normal,
            };
        }
        self.say(text, Tone::Ok);
        self.select_after_load = Some((pane, row_id));
        vec![Effect::Load]
    }

    /// A save failed: the form stays exactly as typed, with the message under its field. A
    /// version conflict also reloads, so "overwrite" and "reload" work on fresh data.
    pub(super) fn on_save_failed(&mut self, error: Error) -> Vec<Effect> {
        match &mut self.mode {
            Mode::Form(form) => {
                form.failed(&error);
                self.log.push(&error.to_string(), Tone::Error);
            }
            _ => self.say(error.to_string(), Tone::Error),
        }
        if error.is_stale() {
            return vec![Effect::Load];
        }
        Vec::new()
    }

    /// After a reload: select what was just saved, rebuild an open detail page.
    pub(super) fn after_load(&mut self) -> Vec<Effect> {
        let Some(data) = &self.data else {
            return Vec::new();
        };
        if let Mode::Form(form) = &mut self.mode {
            form.note_outside(&data.state);
        }
        if let Some((pane, id)) = self.select_after_load.take() {
            let height = self.list_height();
            let cols = super::view::columns(pane);
            if let Some(list) = self.lists.get_mut(&pane) {
                list.select_id(&id, cols, height);
            }
            if !matches!(self.mode, Mode::Detail(_) | Mode::Form(_)) {
                self.pane = pane;
            }
        }
        let Mode::Detail(old) = &self.mode else {
            return Vec::new();
        };
        let height = self.detail_height();
        match super::detail_nav::rebuild(old, &data.state, Some(&data.catalogs)) {
            Some(mut d) => {
                d.follow(height);
                let effects: Vec<Effect> = d.awaiting.map(Effect::WhatCan).into_iter().collect();
                self.mode = Mode::Detail(d);
                effects
            }
            None => {
                self.mode = Mode::Normal;
                self.say("the object of that page no longer exists", Tone::Info);
                Vec::new()
            }
        }
    }

    fn refuse_write(&mut self, action: Action) -> bool {
        let Some(reason) = self.read_only_reason() else {
            return false;
        };
        let what = binding(action).map_or("this", |b| b.description);
        self.say(format!("{what} is disabled: {reason}"), Tone::Error);
        true
    }

    /// A key on a detail page.
    pub(super) fn detail_key(&mut self, mut d: Detail, key: KeyEvent) -> Vec<Effect> {
        if d.filter.as_ref().is_some_and(|f| f.editing) {
            return self.detail_filter_key(d, key);
        }
        let page = self.detail_height();
        let action = action_for(key);
        if let Some(a @ (Action::Edit | Action::Add | Action::Remove | Action::Expire)) = action
            && self.refuse_write(a)
        {
            self.mode = Mode::Detail(d);
            return Vec::new();
        }
        match action {
            Some(Action::Quit) => return vec![Effect::Quit],
            // The command line, the help and the message log open over the page and come
            // back to it: never do the letters typed after `:` act as this page's keys.
            Some(Action::Command) => {
                self.overlay_back = Some(Box::new(Mode::Detail(d)));
                self.mode = Mode::Command(one_line_input(""));
                return Vec::new();
            }
            Some(Action::Help) => {
                self.open_help();
                self.overlay_back = Some(Box::new(Mode::Detail(d)));
                return Vec::new();
            }
            Some(Action::Messages) => {
                self.log.open();
                self.mode = Mode::Messages(Some(Box::new(Mode::Detail(d))));
                return Vec::new();
            }
            Some(Action::Back | Action::PrevPane) => return self.detail_back(d),
            Some(Action::Open) => return self.open_related(d),
            Some(Action::Filter) => {
                self.start_detail_filter(d);
                return Vec::new();
            }
            Some(Action::Down) => d.move_by(1, page),
            Some(Action::Up) => d.move_by(-1, page),
            Some(Action::PageDown) => d.move_by(page as isize, page),
            Some(Action::PageUp) => d.move_by(-(page as isize), page),
            Some(Action::Top) => d.move_by(isize::MIN / 2, page),
            Some(Action::Bottom) => d.move_by(isize::MAX / 2, page),
            Some(Action::Refresh) => {
                self.mode = Mode::Detail(d);
                return vec![Effect::Load];
            }
            Some(Action::Edit) => {
                let (kind, id) = d.object;
                self.open_edit(kind, id, Some(d));
                return Vec::new();
            }
            Some(Action::Add) => {
                if let (Some(add), Some(data)) = (d.add_target(), &self.data) {
                    let picker = Picker::new(add, &data.state);
                    self.mode = Mode::Picker {
                        picker: Box::new(picker),
                        back: Box::new(d),
                    };
                    return Vec::new();
                }
                self.say("nothing can be added on this page", Tone::Info);
            }
            Some(Action::Expire) => return self.ask_set_end(d),
            Some(Action::Remove) => match d.selected_link() {
                Some((link, text)) => {
                    let safe = crate::text::sanitize(&text)
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    let question = format!("Remove '{safe}' from {}?", d.title);
                    let change = Change::Unlink(link);
                    let (mut c, ask) =
                        super::confirm::asking(question, vec![change], Effect::Unlink(link, safe));
                    c.yes_label = "Remove";
                    c.back = Some(Box::new(d));
                    self.mode = Mode::Confirm(Box::new(c));
                    return vec![ask];
                }
                None => self.say(
                    "select a relation row (e.g. a permission of the role) to remove it",
                    Tone::Info,
                ),
            },
            _ => {}
        }
        self.mode = Mode::Detail(d);
        Vec::new()
    }

    /// A key in the relation picker.
    pub(super) fn picker_key(
        &mut self,
        mut picker: Box<Picker>,
        back: Box<Detail>,
        key: KeyEvent,
    ) -> Vec<Effect> {
        let page = self.detail_height().saturating_sub(6).max(1);
        match picker.on_key(key, page) {
            PickerOutcome::Stay => {
                self.mode = Mode::Picker { picker, back };
                Vec::new()
            }
            PickerOutcome::Cancel => {
                self.mode = Mode::Detail(*back);
                Vec::new()
            }
            PickerOutcome::Add(links) => {
                // Asked like a removal: what the new relations would give, then yes or no.
                let question = match links.len() {
                    1 => format!("Add the chosen relation to {}?", back.title),
                    n => format!("Add the {n} chosen relations to {}?", back.title),
                };
                let changes = links.iter().map(|l| Change::Link(*l)).collect();
                // An end can be set (`e`) where the backend keeps them.
                let expiry = self.keeps_ends();
                let ends = (expiry && links.iter().all(Link::may_expire))
                    .then(|| super::ends::Ends::adding(links.clone()));
                let (mut c, ask) = super::confirm::asking(question, changes, Effect::Link(links));
                c.yes_label = "Add";
                c.ends = ends;
                c.back = Some(back);
                self.mode = Mode::Confirm(Box::new(c));
                vec![ask]
            }
        }
    }
}

/// A form's error messages, each with the label of its field.
fn form_errors(form: &Form) -> Vec<String> {
    form.fields
        .iter()
        .filter_map(|f| f.error.as_ref().map(|e| format!("{}: {e}", f.label)))
        .chain(form.error.clone())
        .collect()
}
