//! Create and edit forms (`n`, `e`) for roles, permissions, users and teams. Ctrl-S or Enter
//! saves; Esc asks before discarding changes; a failed save keeps every field exactly as typed
//! and puts the service's message under the field it names.

use super::field::{Field, FieldKind, list};
use crate::catalog::Catalogs;
use crate::model::{Id, ObjectKind, UserKind};
use crate::service::{Error, PermissionSpec, RoleSpec, TeamSpec, UserSpec};
use crate::store::State;
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
    /// Width the access grid is drawn at (for ↑/↓ inside it).
    pub width: u16,
    initial: Vec<String>,
    catalogs: Arc<Catalogs>,
}

fn catalog_entities(catalogs: &Catalogs, catalog: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = catalogs
        .get(catalog)
        .map(|c| {
            c.entities
                .iter()
                .map(|e| (e.name.clone(), e.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    if catalogs
        .get(catalog)
        .is_some_and(|c| c.accepts_entity("ALL"))
    {
        v.push(("ALL".into(), "ALL".into()));
    }
    if catalogs
        .get(catalog)
        .is_some_and(|c| c.accepts_entity("ALL_EXCEPT_RESERVED"))
    {
        v.push(("ALL_EXCEPT_RESERVED".into(), "ALL_EXCEPT_RESERVED".into()));
    }
    v
}

fn flags_of(catalogs: &Catalogs, catalog: &str, entity: &str) -> Vec<String> {
    catalogs
        .get(catalog)
        .map(|c| c.flags_for(entity).iter().map(|f| f.name.clone()).collect())
        .unwrap_or_default()
}

/// The catalog a new permission starts in: the one most used by existing non-admin
/// permissions, else `mage`, else the first.
fn default_catalog(state: &State, catalogs: &Catalogs) -> String {
    let mut counts: std::collections::HashMap<&str, usize> = Default::default();
    for p in state.permissions.values() {
        if p.catalog != "gatehouse" {
            *counts.entry(p.catalog.as_str()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(name, n)| (*n, std::cmp::Reverse(*name)))
        .map(|(name, _)| name.to_string())
        .or_else(|| catalogs.get("mage").map(|c| c.name.clone()))
        .or_else(|| catalogs.all().first().map(|c| c.name.clone()))
        .unwrap_or_default()
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
        Form {
            kind,
            target,
            title,
            fields,
            focus: 0,
            error: None,
            discarding: false,
            busy: false,
            width: 80,
            initial,
            catalogs,
        }
    }

    /// A form for a new object of `kind`.
    pub fn create(kind: ObjectKind, state: &State, catalogs: Arc<Catalogs>) -> Option<Form> {
        let fields = match kind {
            ObjectKind::Role => role_fields(&RoleSpec::default()),
            ObjectKind::User => user_fields(&UserSpec::default()),
            ObjectKind::Team => team_fields(&TeamSpec::default(), state),
            ObjectKind::Permission => {
                let spec = PermissionSpec {
                    catalog: default_catalog(state, &catalogs),
                    ..Default::default()
                };
                permission_fields(&spec, &catalogs)
            }
            _ => return None,
        };
        Some(Form::new(
            kind,
            None,
            format!("New {kind}"),
            fields,
            catalogs,
        ))
    }

    /// A form editing the object `id` of `kind`.
    pub fn edit(kind: ObjectKind, id: Id, state: &State, catalogs: Arc<Catalogs>) -> Option<Form> {
        let (version, title, fields) = match kind {
            ObjectKind::Role => {
                let r = state.roles.get(&id)?;
                let spec = RoleSpec {
                    name: r.name.clone(),
                    description: r.description.clone(),
                };
                (
                    r.version,
                    format!("Edit role '{}'", r.name),
                    role_fields(&spec),
                )
            }
            ObjectKind::User => {
                let u = state.users.get(&id)?;
                let spec = UserSpec::of(u);
                (
                    u.version,
                    format!("Edit user '{}'", u.username),
                    user_fields(&spec),
                )
            }
            ObjectKind::Team => {
                let t = state.teams.get(&id)?;
                let spec = TeamSpec::of(t);
                (
                    t.version,
                    format!("Edit team '{}'", t.key),
                    team_fields(&spec, state),
                )
            }
            ObjectKind::Permission => {
                let p = state.permissions.get(&id)?;
                let spec = PermissionSpec::of(p);
                (
                    p.version,
                    format!(
                        "Edit permission {} on {}",
                        crate::model::short_id(&p.id),
                        p.entity
                    ),
                    permission_fields(&spec, &catalogs),
                )
            }
            _ => return None,
        };
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

    fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    fn text(&self, key: &str) -> String {
        self.field(key).map(Field::text_value).unwrap_or_default()
    }

    /// Handles a key.
    pub fn on_key(&mut self, key: KeyEvent) -> Outcome {
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
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.paste(text);
        }
        self.catalog_or_entity_changed();
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
        let save = match self.kind {
            ObjectKind::Role => Save::Role(
                self.target,
                RoleSpec {
                    name: self.text("name"),
                    description: self.text("description"),
                },
            ),
            ObjectKind::User => Save::User(
                self.target,
                UserSpec {
                    username: self.text("username"),
                    email: self.text("email"),
                    display_name: self.text("display_name"),
                    kind: match self.field("kind").and_then(Field::choice) {
                        Some("service") => UserKind::Service,
                        _ => UserKind::Person,
                    },
                    disabled: self.field("disabled").is_some_and(Field::on),
                    owner: self.field("owner").is_some_and(Field::on),
                },
            ),
            ObjectKind::Team => {
                let Some((role, _)) = self.field("default_role").and_then(Field::picked) else {
                    return self
                        .refuse("default_role", "no role matches; clear the filter for none");
                };
                let default_role = if role.is_empty() {
                    None
                } else {
                    Id::parse_str(&role).ok()
                };
                Save::Team(
                    self.target,
                    TeamSpec {
                        key: self.text("key"),
                        name: self.text("name"),
                        description: self.text("description"),
                        default_role,
                    },
                )
            }
            ObjectKind::Permission => {
                let catalog = self
                    .field("catalog")
                    .and_then(Field::choice)
                    .unwrap_or_default()
                    .to_string();
                let Some((entity, _)) = self.field("entity").and_then(Field::picked) else {
                    let typed = self.text("entity");
                    return self.refuse(
                        "entity",
                        &format!(
                            "no entity of catalog '{catalog}' matches '{typed}'; \
                             type part of a name and pick with ←/→"
                        ),
                    );
                };
                let (grants, denies) = self
                    .field("access")
                    .map(Field::grants_denies)
                    .unwrap_or_default();
                let uuid = self.text("entity_uuid").trim().to_string();
                Save::Permission(
                    self.target,
                    PermissionSpec {
                        catalog,
                        entity,
                        entity_uuid: (!uuid.is_empty()).then_some(uuid),
                        grants,
                        denies,
                        conditions: list(&self.text("conditions")),
                        query_attributes: list(&self.text("query_attributes")),
                        read_attributes: list(&self.text("read_attributes")),
                        write_attributes: list(&self.text("write_attributes")),
                        description: self.text("description"),
                    },
                )
            }
            _ => return Outcome::Stay,
        };
        self.busy = true;
        Outcome::Submit(Box::new(save))
    }

    fn refuse(&mut self, key: &str, message: &str) -> Outcome {
        if let Some(i) = self.fields.iter().position(|f| f.key == key) {
            self.focus = i;
            self.fields[i].error = Some(message.to_string());
        } else {
            self.error = Some(message.to_string());
        }
        Outcome::Stay
    }

    /// Shows a failed save: under the field it names when there is one, else below the form.
    /// Nothing typed is touched.
    pub fn failed(&mut self, error: &Error) {
        self.busy = false;
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

fn role_fields(spec: &RoleSpec) -> Vec<Field> {
    vec![
        Field::text("name", "name", &spec.name, "unique, e.g. Pipeline editors"),
        Field::text("description", "description", &spec.description, ""),
    ]
}

fn user_fields(spec: &UserSpec) -> Vec<Field> {
    vec![
        Field::text(
            "username",
            "username",
            &spec.username,
            "unique, case-insensitive",
        ),
        Field::text("email", "email", &spec.email, ""),
        Field::text("display_name", "display name", &spec.display_name, ""),
        Field::cycle(
            "kind",
            "kind",
            vec!["person".into(), "service".into()],
            spec.kind.as_str(),
        ),
        Field::toggle("disabled", "disabled", spec.disabled, "denied everything"),
        Field::toggle("owner", "owner", spec.owner, "allowed everything"),
    ]
}

fn team_fields(spec: &TeamSpec, state: &State) -> Vec<Field> {
    let mut roles: Vec<(String, String)> = vec![(String::new(), "— none —".into())];
    let mut named: Vec<(String, String)> = state
        .roles
        .values()
        .map(|r| (r.id.to_string(), r.name.clone()))
        .collect();
    named.sort_by(|a, b| a.1.cmp(&b.1));
    roles.extend(named);
    let value = spec.default_role.map(|r| r.to_string()).unwrap_or_default();
    let mut pick = Field::pick("default_role", "default role", roles, &value);
    if value.is_empty()
        && let FieldKind::Pick { filter, .. } = &mut pick.kind
    {
        *filter = super::field::text_input("");
    }
    vec![
        Field::text("key", "key", &spec.key, "unique slug, e.g. data-eng"),
        Field::text("name", "name", &spec.name, "defaults to the key"),
        Field::text("description", "description", &spec.description, ""),
        pick,
    ]
}

fn permission_fields(spec: &PermissionSpec, catalogs: &Catalogs) -> Vec<Field> {
    let names: Vec<String> = catalogs.all().iter().map(|c| c.name.clone()).collect();
    let mut entity = Field::pick(
        "entity",
        "entity",
        catalog_entities(catalogs, &spec.catalog),
        &spec.entity,
    );
    entity.hint = "type to filter · ←/→ choose".into();
    let flags = flags_of(catalogs, &spec.catalog, &spec.entity);
    let mut fields = vec![
        Field::cycle("catalog", "catalog", names, &spec.catalog),
        entity,
        Field::text(
            "entity_uuid",
            "entity UUID",
            spec.entity_uuid.as_deref().unwrap_or(""),
            "empty = every entity of this type",
        ),
        Field::access(flags, &spec.grants, &spec.denies),
        Field::text(
            "conditions",
            "conditions",
            &spec.conditions.join(", "),
            "comma-separated, e.g. own, team",
        ),
    ];
    let mage = catalogs
        .get(&spec.catalog)
        .is_some_and(|c| c.dialect == crate::catalog::Dialect::Mage);
    if mage
        || !spec.query_attributes.is_empty()
        || !spec.read_attributes.is_empty()
        || !spec.write_attributes.is_empty()
    {
        for (key, label, v) in [
            ("query_attributes", "query attrs", &spec.query_attributes),
            ("read_attributes", "read attrs", &spec.read_attributes),
            ("write_attributes", "write attrs", &spec.write_attributes),
        ] {
            fields.push(Field::text(key, label, &v.join(", "), "comma-separated"));
        }
    }
    fields.push(Field::text(
        "description",
        "description",
        &spec.description,
        "",
    ));
    fields
}
