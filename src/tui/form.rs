//! Create and edit forms (`n`, `e`) for roles, permissions, users and teams. Ctrl-S or Enter
//! saves; Esc asks before discarding changes; a failed save keeps every field exactly as typed
//! and puts the service's message under the field it names.

use super::field::{Field, FieldKind, Note, Tri};
use super::form_fields::{catalog_entities, flags_of};
use super::panes::Editing;
use crate::backend::{Error, PermissionSpec, RoleSpec, TeamSpec, UserSpec};
use crate::catalog::Catalogs;
use crate::model::{Id, ObjectKind};
use crate::policy::State;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;

/// What a save asks the backend for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Save {
    /// Create (`None`) or update (`Some((id, version))`) a role.
    Role(Option<(Id, u64)>, RoleSpec),
    /// Create or update a user.
    User(Option<(Id, u64)>, UserSpec),
    /// Create or update a team.
    Team(Option<(Id, u64)>, TeamSpec),
    /// Create or update a permission.
    Permission(Option<(Id, u64)>, PermissionSpec),
    /// Create an API key.
    Key {
        /// Owner.
        user: Id,
        /// Read-only key.
        read_only: bool,
        /// Expiry.
        expires_at: Option<time::OffsetDateTime>,
    },
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Keep the form open.
    Stay,
    /// Close it (saved elsewhere, cancelled, or discarded).
    Close,
    /// Save this.
    Submit(Box<Save>),
    /// After a version conflict: drop the edits and edit what is stored now.
    Reload,
    /// After a version conflict: save these edits over the stored object.
    Overwrite,
}

/// An open form.
#[derive(Debug, Clone)]
pub struct Form {
    /// Which kind of object.
    pub kind: ObjectKind,
    /// The object being edited and the version it was read at; `None` creates.
    pub target: Option<(Id, u64)>,
    /// `New permission`, `Edit role 'x'`.
    pub title: String,
    /// The fields, in order.
    pub fields: Vec<Field>,
    /// The focused field.
    pub focus: usize,
    /// A message that names no field (conflicts, permissions).
    pub error: Option<String>,
    /// Asking "discard changes?".
    pub discarding: bool,
    /// A save is under way.
    pub busy: bool,
    /// The last save hit a version conflict: asking reload / overwrite / cancel.
    pub conflict: bool,
    /// The object's version the conflict reported (what an overwrite names).
    pub current_version: Option<u64>,
    /// Width the access grid is drawn at (for ↑/↓ inside it).
    pub width: u16,
    /// A one-line notice drawn at the top of the form (e.g. "changed outside since you
    /// opened this").
    pub notice: Option<String>,
    initial: Vec<String>,
    catalogs: Arc<Catalogs>,
    /// The gate flag this form granted when conditions were chosen (Mage's
    /// DISABLE_UNLESS_CONDITIONS), while it stands.
    gate_added: Option<String>,
}

impl Form {
    fn new(
        kind: ObjectKind,
        target: Option<(Id, u64)>,
        title: String,
        fields: Vec<Field>,
        catalogs: Arc<Catalogs>,
    ) -> Form {
        let initial = fields.iter().map(Field::fingerprint).collect();
        let mut form = Form {
            kind,
            target,
            title,
            fields,
            focus: 0,
            error: None,
            discarding: false,
            busy: false,
            conflict: false,
            current_version: None,
            width: 80,
            notice: None,
            initial,
            catalogs,
            gate_added: None,
        };
        form.note_conditions();
        form
    }

    /// A form for a new object of `kind` (its pane module gives the title and fields).
    pub fn create(kind: ObjectKind, state: &State, catalogs: Arc<Catalogs>) -> Option<Form> {
        let spec = super::panes::of_kind(kind)?.form?;
        let (title, fields) = (spec.create)(state, &catalogs);
        Some(Form::new(kind, None, title, fields, catalogs))
    }

    /// A form editing the object `id` of `kind`.
    pub fn edit(kind: ObjectKind, id: Id, state: &State, catalogs: Arc<Catalogs>) -> Option<Form> {
        let Editing::Form(edit) = super::panes::of_kind(kind)?.form?.edit else {
            return None;
        };
        let (version, title, fields) = edit(id, state, &catalogs)?;
        Some(Form::new(
            kind,
            Some((id, version)),
            title,
            fields,
            catalogs,
        ))
    }

    /// True when a field differs from what the form opened with.
    pub fn dirty(&self) -> bool {
        self.fields
            .iter()
            .map(Field::fingerprint)
            .ne(self.initial.iter().cloned())
    }

    /// Fits a user form to a Mage server: a masked password field (required on create, empty
    /// keeps it on edit) and no kind, disabled flag or display name, which Mage does not have
    /// (it names a user by first and last name).
    pub fn for_mage_user(&mut self) {
        if self.kind != ObjectKind::User {
            return;
        }
        self.fields
            .retain(|f| !matches!(f.key, "kind" | "disabled" | "display_name"));
        let hint = if self.target.is_some() {
            "empty keeps the current one"
        } else {
            "at least 8 characters"
        };
        let mut pw = Field::text("password", "password", "", hint);
        if let super::field::FieldKind::Text(t) = &mut pw.kind {
            t.set_mask_char('•');
        }
        let at = self
            .fields
            .iter()
            .position(|f| f.key == "email")
            .map_or(self.fields.len(), |i| i + 1);
        self.fields.insert(at, pw);
        self.initial = self.fields.iter().map(Field::fingerprint).collect();
    }

    pub(super) fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    pub(super) fn text(&self, key: &str) -> String {
        self.field(key).map(Field::text_value).unwrap_or_default()
    }

    /// Handles a key.
    pub fn on_key(&mut self, key: KeyEvent) -> Outcome {
        if self.conflict {
            self.conflict = false;
            return match key.code {
                KeyCode::Char('r') | KeyCode::Char('R') => Outcome::Reload,
                KeyCode::Char('o') | KeyCode::Char('O') => Outcome::Overwrite,
                _ => Outcome::Stay,
            };
        }
        if self.discarding {
            return match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => Outcome::Close,
                _ => {
                    self.discarding = false;
                    Outcome::Stay
                }
            };
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('s') if ctrl => return self.submit(),
            KeyCode::Esc if self.dirty() => {
                self.discarding = true;
                return Outcome::Stay;
            }
            KeyCode::Esc => return Outcome::Close,
            _ => {}
        }
        let before = self.fingerprints_of(&["catalog", "entity"]);
        let chosen = self.fingerprints_of(&["catalog", "conditions"]);
        let width = self.width;
        let used = self
            .fields
            .get_mut(self.focus)
            .is_some_and(|f| f.on_key(key, width));
        if used {
            if let Some(f) = self.fields.get_mut(self.focus) {
                f.error = None;
            }
            if before != self.fingerprints_of(&["catalog", "entity"]) {
                self.catalog_or_entity_changed();
            }
            if chosen != self.fingerprints_of(&["catalog", "conditions"]) {
                self.conditions_chosen();
            }
            self.note_conditions();
            return Outcome::Stay;
        }
        let n = self.fields.len();
        match key.code {
            KeyCode::Enter => return self.submit(),
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1) % n,
            KeyCode::BackTab | KeyCode::Up => self.focus = (self.focus + n - 1) % n,
            _ => {}
        }
        Outcome::Stay
    }

    /// Pasted text into the focused field.
    pub fn paste(&mut self, text: &str) {
        let chosen = self.fingerprints_of(&["catalog", "conditions"]);
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.paste(text);
        }
        self.catalog_or_entity_changed();
        if chosen != self.fingerprints_of(&["catalog", "conditions"]) {
            self.conditions_chosen();
        }
        self.note_conditions();
    }

    /// The catalog, grants and conditions a permission form holds now.
    fn permission_now(&self) -> PermissionSpec {
        PermissionSpec {
            catalog: self
                .field("catalog")
                .and_then(Field::choice)
                .unwrap_or_default()
                .to_string(),
            grants: self
                .field("access")
                .map(|f| f.grants_denies().0)
                .unwrap_or_default(),
            conditions: super::field::list(&self.text("conditions")),
            ..PermissionSpec::default()
        }
    }

    /// Conditions were typed (or the catalog changed under them): as Mage's own permission
    /// page, and as the CLI, the catalog's gate (DISABLE_UNLESS_CONDITIONS) is granted in the
    /// access grid ([`PermissionSpec::gate_conditions`]), where the user sees it and may
    /// still take it off; clearing the conditions takes off a gate this form added.
    fn conditions_chosen(&mut self) {
        if self.kind != ObjectKind::Permission {
            return;
        }
        let mut spec = self.permission_now();
        if spec.conditions.is_empty() {
            if let Some(gate) = self.gate_added.take()
                && let Some(f) = self.fields.iter_mut().find(|f| f.key == "access")
            {
                f.set_flag(&gate, Tri::Off);
            }
            return;
        }
        if let Some(gate) = spec.gate_conditions(&self.catalogs)
            && let Some(f) = self.fields.iter_mut().find(|f| f.key == "access")
            && f.set_flag(&gate, Tri::Grant)
        {
            self.gate_added = Some(gate);
        }
    }

    /// The note under the conditions: the gate this form granted, or a warning when the
    /// conditions would be ignored ([`Catalogs::inert_conditions`]).
    fn note_conditions(&mut self) {
        if self.kind != ObjectKind::Permission {
            return;
        }
        let spec = self.permission_now();
        let inert = self
            .catalogs
            .inert_conditions(&spec.catalog, &spec.grants, &spec.conditions);
        let note = match (inert, &self.gate_added) {
            (Some(gate), _) => Some(Note {
                text: format!(
                    "ignored by Mage without {gate}: the permission grants unconditionally; \
                     grant {gate} in access"
                ),
                warning: true,
            }),
            (None, Some(gate)) if spec.grants.contains(gate) && !spec.conditions.is_empty() => {
                Some(Note {
                    text: format!(
                        "{gate} granted in access: Mage checks the conditions only with it"
                    ),
                    warning: false,
                })
            }
            _ => None,
        };
        if let Some(f) = self.fields.iter_mut().find(|f| f.key == "conditions") {
            f.note = note;
        }
    }

    fn fingerprints_of(&self, keys: &[&str]) -> Vec<String> {
        keys.iter()
            .filter_map(|k| self.field(k))
            .map(Field::fingerprint)
            .collect()
    }

    fn catalog_or_entity_changed(&mut self) {
        if self.kind != ObjectKind::Permission {
            return;
        }
        let catalog = self
            .field("catalog")
            .and_then(Field::choice)
            .unwrap_or_default()
            .to_string();
        let entities = catalog_entities(&self.catalogs, &catalog);
        if let Some(f) = self.fields.iter_mut().find(|f| f.key == "entity")
            && let FieldKind::Pick { options, .. } = &f.kind
            && *options != entities
        {
            f.set_options(entities);
        }
        let entity = self
            .field("entity")
            .and_then(Field::picked)
            .map(|p| p.0)
            .unwrap_or_default();
        let flags = flags_of(&self.catalogs, &catalog, &entity);
        if let Some(f) = self.fields.iter_mut().find(|f| f.key == "access") {
            f.set_flags(flags);
        }
    }

    /// Builds the save request, or marks the field that cannot be saved as it is.
    pub fn submit(&mut self) -> Outcome {
        if self.busy {
            return Outcome::Stay;
        }
        self.error = None;
        for f in &mut self.fields {
            f.error = None;
        }
        let Some(spec) = super::panes::of_kind(self.kind).and_then(|p| p.form) else {
            return Outcome::Stay;
        };
        let save = match (spec.save)(self) {
            Ok(save) => save,
            Err(refused) => return refused,
        };
        self.busy = true;
        Outcome::Submit(Box::new(save))
    }

    pub(super) fn refuse(&mut self, key: &str, message: &str) -> Outcome {
        if let Some(i) = self.fields.iter().position(|f| f.key == key) {
            self.focus = i;
            self.fields[i].error = Some(message.to_string());
        } else {
            self.error = Some(message.to_string());
        }
        Outcome::Stay
    }

    /// Compares the edited object with `state` (after a reload): sets or clears the notice
    /// that it changed outside since the form was opened.
    pub fn note_outside(&mut self, state: &State) {
        let Some((id, version)) = self.target else {
            return;
        };
        self.notice = match state.version_of(self.kind, id) {
            None => Some(format!(
                "This {} was deleted outside since you opened this form; saving fails",
                self.kind
            )),
            Some(now) if now != version => Some(format!(
                "Changed outside since you opened this (version {version} → {now}): saving asks \
                 to reload or overwrite"
            )),
            Some(_) => None,
        };
    }

    /// Shows a failed save: under the field it names when there is one, else below the form.
    /// Nothing typed is touched.
    pub fn failed(&mut self, error: &Error) {
        self.busy = false;
        self.conflict = error.is_stale();
        if self.conflict {
            self.current_version = error.current_version();
            // The prompt offers reload and overwrite; the line under the form says the same
            // (the error's "reload and try again" would leave out overwrite).
            self.error = Some(format!(
                "this {} was changed by someone else since you opened it: r reloads the \
                 current version (your edits are dropped), o saves yours over it",
                self.kind
            ));
            return;
        }
        let field = match error {
            Error::Invalid { field, .. } => Some(match field.as_str() {
                "grants" | "denies" => "access",
                other => other,
            }),
            _ => None,
        };
        let text = match error {
            Error::Invalid { message, .. } => message.clone(),
            other => other.to_string(),
        };
        match field.and_then(|k| self.fields.iter().position(|f| f.key == k)) {
            Some(i) => {
                self.focus = i;
                self.fields[i].error = Some(text);
            }
            None => self.error = Some(error.to_string()),
        }
    }
}
