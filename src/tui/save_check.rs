//! Saving a form that may change who may do what (issue 20's what-if): a permission's or a
//! user's edit, and a new user who is an owner. The runner first works out, on the backend's
//! current state, what the save would do to access ([`Effect::CheckSave`]): when nobody's
//! access moves the save goes through at once, as any other; when someone's does, the
//! confirm dialog asks over the form (Cancel focused), and yes saves exactly as before.

use super::app::{App, Effect, Mode, Msg};
use super::confirm::{Confirm, WHAT_IF_ACCESSES, WHAT_IF_USERS, WhatIf};
use super::form::{Form, Save};
use crate::backend::{Backend, UserSpec, validate};
use crate::catalog::Catalogs;
use crate::engine::effect::{summary_lines, what_if};
use crate::model::{Id, Permission, User};
use crate::policy::{Change, Object, State};

/// Whether a save's access effect is worked out before it is made: an edit of a permission
/// or a user, and a new user who is an owner (nothing holds a new permission, a new role or
/// a new team, and a new user who is no owner holds nothing).
pub fn weighed(save: &Save) -> bool {
    match save {
        Save::Permission(Some(_), _) | Save::User(Some(_), _) => true,
        Save::User(None, spec) => spec.owner,
        _ => false,
    }
}

/// What a save would do to access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Weight {
    /// Save at once: nobody's access moves, or the backend refuses the save anyway (a field
    /// it does not take, a version that moved, a name taken) and says why itself.
    Harmless,
    /// Ask first: the change the save makes and the what-if's summary of it.
    Moves(Vec<Change>, Vec<String>),
}

/// What `save` would do to access on `state` (the engine's what-if of the change it makes).
pub fn weigh(state: &State, catalogs: &Catalogs, save: &Save) -> Weight {
    let Some(change) = change_of(state, catalogs, save) else {
        return Weight::Harmless;
    };
    let changes = vec![change];
    match what_if(state, &changes, catalogs) {
        Ok(effect) if !effect.is_empty() => Weight::Moves(
            changes,
            summary_lines(&effect, WHAT_IF_USERS, WHAT_IF_ACCESSES),
        ),
        // Refused by the store's own rules: the save is refused the same way, with its error.
        _ => Weight::Harmless,
    }
}

/// The change `save` makes to `state`, when it may move access: `None` when it cannot (only
/// free text changed) or when the backend refuses it anyway (the form then shows why).
fn change_of(state: &State, catalogs: &Catalogs, save: &Save) -> Option<Change> {
    match save {
        Save::Permission(Some((id, version)), spec) => {
            let old = state
                .permissions
                .get(id)
                .filter(|p| p.version == *version)?;
            let mut p = spec.to_permission(*id, version + 1);
            (p.created_at, p.created_by) = (old.created_at, old.created_by);
            validate::permission(catalogs, &mut p).ok()?;
            (!same_access(&old, &p)).then_some(Change::Update {
                object: Object::Permission(p),
                expected_version: *version,
            })
        }
        Save::User(target, spec) => {
            user_fields_valid(spec)?;
            match target {
                Some((id, version)) => {
                    let old = state.users.get(id).filter(|u| u.version == *version)?;
                    let moved = old.owner != spec.owner || old.disabled != spec.disabled;
                    moved.then(|| Change::Update {
                        object: Object::User(spec.applied_to(old, old.version)),
                        expected_version: *version,
                    })
                }
                None => spec
                    .owner
                    .then(|| Change::Create(Object::User(new_user(spec)))),
            }
        }
        _ => None,
    }
}

/// Whether two versions of a permission decide alike: the same target, flags, conditions
/// and attributes (its description, Mage's entity type and scope are never evaluated).
fn same_access(a: &Permission, b: &Permission) -> bool {
    (
        &a.catalog,
        &a.entity,
        &a.entity_uuid,
        &a.grants,
        &a.denies,
        &a.conditions,
    ) == (
        &b.catalog,
        &b.entity,
        &b.entity_uuid,
        &b.grants,
        &b.denies,
        &b.conditions,
    ) && (&a.query_attributes, &a.read_attributes, &a.write_attributes)
        == (&b.query_attributes, &b.read_attributes, &b.write_attributes)
}

/// The user's fields pass the checks the backend makes before anything else.
fn user_fields_valid(spec: &UserSpec) -> Option<()> {
    validate::name("username", &spec.username).ok()?;
    validate::text("email", &spec.email).ok()?;
    validate::text("display_name", &spec.display_name).ok()?;
    validate::person_names(&spec.first_name, &spec.last_name).ok()
}

/// The user the form would create.
fn new_user(spec: &UserSpec) -> User {
    let t = crate::model::now();
    let mut u = User {
        id: crate::model::new_id(),
        username: spec.username.clone(),
        email: spec.email.clone(),
        display_name: spec.display_name.clone(),
        first_name: spec.first_name.clone(),
        last_name: spec.last_name.clone(),
        kind: spec.kind,
        disabled: spec.disabled,
        owner: spec.owner,
        created_at: t,
        updated_at: t,
        version: 1,
    };
    u.sync_display_name();
    u
}

/// The runner's side of [`Effect::CheckSave`]: saves at once when nobody's access moves,
/// else returns the what-if for the confirm dialog. The what-if is worked out on the
/// backend's current state, off the async runtime.
pub(super) async fn check_save(backend: &dyn Backend, save: Save) -> Msg {
    let read = async {
        Ok::<_, crate::backend::Error>((backend.state().await?, backend.catalogs().await?))
    };
    let (state, catalogs) = match read.await {
        Ok(read) => read,
        Err(e) => return asking(save, Vec::new(), Err(e.to_string())),
    };
    let weighing = save.clone();
    let weight = tokio::task::spawn_blocking(move || weigh(&state, &catalogs, &weighing)).await;
    match weight {
        Ok(Weight::Harmless) => super::save_msg(backend, save).await,
        Ok(Weight::Moves(changes, lines)) => asking(save, changes, Ok(lines)),
        Err(e) => asking(
            save,
            Vec::new(),
            Err(format!("the what-if did not finish: {e}")),
        ),
    }
}

fn asking(save: Save, changes: Vec<Change>, lines: Result<Vec<String>, String>) -> Msg {
    Msg::SaveWhatIf {
        save: Box::new(save),
        changes,
        lines,
    }
}

/// The object a save writes: its id when it exists.
fn target_of(save: &Save) -> Option<Id> {
    match save {
        Save::Role(t, _) | Save::User(t, _) | Save::Team(t, _) | Save::Permission(t, _) => {
            t.map(|(id, _)| id)
        }
        Save::Key { .. } => None,
    }
}

impl App {
    /// The what-if of a save came back: the form that asked (still open and waiting, or
    /// under the message log opened over it) gives way to the confirm dialog, which returns
    /// to it.
    pub(super) fn on_save_what_if(
        &mut self,
        save: Box<Save>,
        changes: Vec<Change>,
        lines: Result<Vec<String>, String>,
    ) -> Vec<Effect> {
        let question = self.save_question(&save);
        let target = target_of(&save);
        let slot = match &mut self.mode {
            Mode::Messages(Some(back)) => back.as_mut(),
            mode => mode,
        };
        let waiting =
            matches!(slot, Mode::Form(f) if f.busy && f.target.map(|(id, _)| id) == target);
        if !waiting {
            return Vec::new();
        }
        let Mode::Form(mut form) = std::mem::replace(slot, Mode::Normal) else {
            return Vec::new();
        };
        // Nothing is being saved while the dialog asks (the form under it says so).
        form.busy = false;
        let confirm = Confirm {
            question,
            effect: Effect::Save(save),
            type_name: None,
            typed: super::app::one_line_input(""),
            yes_focused: false,
            yes_label: if target.is_none() { "Create" } else { "Save" },
            back: None,
            change: Some(changes),
            what_if: match lines {
                Ok(lines) => WhatIf::Lines(lines),
                Err(e) => WhatIf::Failed(e),
            },
            ends: None,
            form: Some(form),
        };
        *slot = Mode::Confirm(Box::new(confirm));
        Vec::new()
    }

    /// "Save permission 0190… on mage:Pipeline/x?", "Save user alice?", "Create user bob?",
    /// named as the object stands on screen (sanitized: names are data).
    fn save_question(&self, save: &Save) -> String {
        let state = self.data.as_ref().map(|d| &d.state);
        let text = match save {
            Save::Permission(Some((id, _)), spec) => {
                let p = state.and_then(|s| s.permissions.get(id));
                let (catalog, entity, uuid) = match &p {
                    Some(p) => (&p.catalog, &p.entity, p.entity_uuid.as_deref()),
                    None => (&spec.catalog, &spec.entity, spec.entity_uuid.as_deref()),
                };
                format!(
                    "Save permission {} on {}?",
                    crate::model::short_id(id),
                    crate::present::target(catalog, entity, uuid)
                )
            }
            Save::User(Some((id, _)), spec) => {
                let name = state
                    .and_then(|s| s.users.get(id))
                    .map_or(spec.username.as_str(), |u| u.username.as_str());
                format!("Save user {name}?")
            }
            Save::User(None, spec) => format!("Create user {} as an owner?", spec.username),
            _ => "Save?".to_string(),
        };
        crate::text::sanitize(&text).into_owned()
    }
}

/// The form under a closing confirm dialog comes back as it was typed: waiting for its save
/// when the dialog said yes, editable again when it said no.
pub(super) fn back_to_form(app: &mut App, mut form: Box<Form>, saving: bool) {
    form.busy = saving;
    if let Some(d) = &app.data {
        form.note_outside(&d.state);
    }
    app.mode = Mode::Form(form);
}
