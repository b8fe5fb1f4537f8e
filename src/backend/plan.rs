//! `gatehouse plan FILE`: what a policy document would change in a store, as a value — the
//! [`Change`]s that make the store match the document (what `apply` will execute) and one
//! [`PlanItem`] per `+` create, `~` update (field by field, old → new) or `-` delete.
//!
//! Documents match stored objects as import does ([`super::document`]): users by username
//! (ignoring case), teams by key, roles by name, permissions by their key when it is a stored
//! id, else by identical content. A matched object whose fields differ is an update carrying
//! the stored version (a store that moved since the plan refuses it). Objects and links the
//! document leaves out are left alone, unless `prune`: then they are deleted (objects with
//! their links) and every object the document refers to must be in it. Pure: a state, a
//! document and the catalogs in, a plan out.

use super::document::PolicyDoc;
use super::error::{Error, Result};
use super::validate;
use crate::catalog::Catalogs;
use crate::model::{Id, ObjectKind, Principal, Role, Team, User, new_id, now};
use crate::policy::{Change, Link, Object, PermFields, State};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::OffsetDateTime;

#[path = "plan_ends.rs"]
mod ends;
#[cfg(test)]
#[path = "plan_ends_tests.rs"]
mod ends_tests;
#[path = "plan_items.rs"]
mod items;
#[path = "plan_links.rs"]
mod links;
#[path = "plan_perms.rs"]
mod perms;
#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;

pub(crate) use ends::{check_role_ends, future_end};
pub use items::{EndChange, FieldChange, Op, Plan, PlanCounts, PlanItem, shown_end};

/// A content key for matching permissions (everything but id, times, version, description);
/// import matches by it too.
pub(crate) fn content_key(p: &PermFields<'_>) -> String {
    let [grants, denies, conditions, query, read, write] = p.lists;
    // Serializing plain string lists cannot fail.
    serde_json::to_string(&(
        (
            p.catalog,
            p.entity,
            p.entity_uuid,
            p.entity_type,
            crate::model::scope_or_default(p.scope),
        ),
        grants,
        denies,
        conditions,
        query,
        read,
        write,
    ))
    .unwrap_or_default()
}

/// One change of a plan and its item (`None`: a change that belongs to the item before it,
/// as the end of a new relation belongs to its `+`).
type Step = (Change, Option<PlanItem>);

/// The phases of a plan, kept apart so they can be ordered.
#[derive(Default)]
struct Phases {
    creates: Vec<Step>,
    updates: Vec<Step>,
    unlinks: Vec<Step>,
    links: Vec<Step>,
    deletes: Vec<Step>,
}

struct Planner<'a> {
    state: &'a State,
    catalogs: &'a Catalogs,
    prune: bool,
    /// The backend keeps roles' and permissions' descriptions (a Mage server has none: what
    /// gatehouse shows there is made up, so a document's text would differ forever).
    descriptions: bool,
    t: OffsetDateTime,
    out: Phases,
    /// Document names → ids (users by lowercased username).
    users: HashMap<String, Id>,
    teams: HashMap<String, Id>,
    roles: HashMap<String, Id>,
    perms: HashMap<String, Id>,
    /// Names of the objects the document creates, for links' names.
    new_names: HashMap<Id, String>,
    /// Labels of the document's permissions.
    perm_labels: HashMap<Id, String>,
}

/// The plan that makes `state` match `doc`. Errors name the document entry (`roles[2].name`).
pub fn plan(state: &State, doc: &PolicyDoc, catalogs: &Catalogs, prune: bool) -> Result<Plan> {
    plan_keeping(state, doc, catalogs, prune, true)
}

/// [`plan`] for a backend that keeps descriptions of roles and permissions only when
/// `descriptions` (a Mage server does not: there a description is neither compared nor
/// changed, so a document applied once plans nothing the next time).
pub fn plan_keeping(
    state: &State,
    doc: &PolicyDoc,
    catalogs: &Catalogs,
    prune: bool,
    descriptions: bool,
) -> Result<Plan> {
    let mut p = Planner {
        state,
        catalogs,
        prune,
        descriptions,
        t: now(),
        out: Phases::default(),
        users: HashMap::new(),
        teams: HashMap::new(),
        roles: HashMap::new(),
        perms: HashMap::new(),
        new_names: HashMap::new(),
        perm_labels: HashMap::new(),
    };
    p.permissions(&doc.permissions)?;
    p.roles(doc)?;
    p.users(doc)?;
    p.teams(doc)?;
    let desired = p.desired_links(doc)?;
    p.links(&desired);
    if prune {
        p.prune_objects();
        p.prune_links(&desired);
    }
    let Phases {
        creates,
        updates,
        unlinks,
        links,
        deletes,
    } = p.out;
    let mut out = Plan::default();
    for (c, i) in [creates, updates, unlinks, links, deletes]
        .into_iter()
        .flatten()
    {
        out.changes.push(c);
        out.items.extend(i);
    }
    Ok(out)
}

/// Shown value of an optional string.
fn opt(v: Option<&str>) -> String {
    v.map_or_else(|| "(none)".to_string(), |s| format!("{s:?}"))
}

/// Shown value of a list.
fn list(v: &[String]) -> String {
    format!("[{}]", v.join(", "))
}

/// Collects the differing fields of two shown values.
struct Diff(Vec<FieldChange>);

impl Diff {
    fn field(&mut self, field: &str, old: String, new: String) {
        if old != new {
            self.0.push(FieldChange {
                field: field.to_string(),
                old,
                new,
            });
        }
    }
    fn text(&mut self, field: &str, old: &str, new: &str) {
        self.field(field, format!("{old:?}"), format!("{new:?}"));
    }
}

fn user_diff(old: &User, new: &User) -> Vec<FieldChange> {
    let mut d = Diff(Vec::new());
    d.text("username", &old.username, &new.username);
    d.text("email", &old.email, &new.email);
    d.text("display_name", &old.display_name, &new.display_name);
    d.text("first_name", &old.first_name, &new.first_name);
    d.text("last_name", &old.last_name, &new.last_name);
    d.field("kind", old.kind.as_str().into(), new.kind.as_str().into());
    d.field(
        "disabled",
        old.disabled.to_string(),
        new.disabled.to_string(),
    );
    d.field("owner", old.owner.to_string(), new.owner.to_string());
    d.0
}

/// An `Invalid` error of a nested field, renamed under the entry (`permissions[3].grants`).
fn under(entry: &str) -> impl Fn(Error) -> Error + '_ {
    move |e| match e {
        Error::Invalid { field, message } => Error::invalid(format!("{entry}.{field}"), message),
        other => other,
    }
}

impl Planner<'_> {
    fn push(&mut self, phase: fn(&mut Phases) -> &mut Vec<Step>, c: Change, i: PlanItem) {
        phase(&mut self.out).push((c, Some(i)));
    }

    fn item(op: Op, kind: ObjectKind, name: String, fields: Vec<FieldChange>) -> PlanItem {
        PlanItem {
            op,
            kind,
            name,
            fields,
            cascades: 0,
            ends: None,
        }
    }

    fn roles(&mut self, doc: &PolicyDoc) -> Result<()> {
        for (i, r) in doc.roles.iter().enumerate() {
            validate::name(&format!("roles[{i}].name"), &r.name)?;
            validate::text(&format!("roles[{i}].description"), &r.description)?;
            if self.roles.contains_key(&r.name) {
                return Err(Error::invalid(
                    format!("roles[{i}].name"),
                    format!("role '{}' is listed twice", r.name),
                ));
            }
            if let Some(old) = self.state.role_by_name(&r.name) {
                self.roles.insert(r.name.clone(), old.id);
                let mut d = Diff(Vec::new());
                if self.descriptions {
                    d.text("description", &old.description, &r.description);
                }
                if d.0.is_empty() {
                    continue;
                }
                let new = Role {
                    description: r.description.clone(),
                    updated_at: self.t,
                    version: old.version + 1,
                    ..old.clone()
                };
                let item = Self::item(Op::Update, ObjectKind::Role, r.name.clone(), d.0);
                let change = Change::Update {
                    object: Object::Role(new),
                    expected_version: old.version,
                };
                self.push(|o| &mut o.updates, change, item);
                continue;
            }
            let id = match r.id {
                Some(id) if !self.state.roles.contains_key(&id) => id,
                _ => new_id(),
            };
            let role = Role {
                id,
                name: r.name.clone(),
                description: r.description.clone(),
                created_by: None,
                created_at: self.t,
                updated_at: self.t,
                version: 1,
            };
            self.roles.insert(r.name.clone(), id);
            self.new_names.insert(id, r.name.clone());
            let item = Self::item(Op::Create, ObjectKind::Role, r.name.clone(), vec![]);
            self.push(|o| &mut o.creates, Change::Create(Object::Role(role)), item);
        }
        Ok(())
    }

    fn users(&mut self, doc: &PolicyDoc) -> Result<()> {
        for (i, u) in doc.users.iter().enumerate() {
            let entry = format!("users[{i}]");
            validate::name(&format!("{entry}.username"), &u.username)?;
            validate::text(&format!("{entry}.email"), &u.email)?;
            validate::text(&format!("{entry}.display_name"), &u.display_name)?;
            validate::person_names(&u.first_name, &u.last_name).map_err(under(&entry))?;
            let lower = u.username.to_lowercase();
            if self.users.contains_key(&lower) {
                return Err(Error::invalid(
                    format!("{entry}.username"),
                    format!("user '{}' is listed twice", u.username),
                ));
            }
            let old = self.state.user_by_name(&u.username);
            let mut new = User {
                id: match (old, u.id) {
                    (Some(o), _) => o.id,
                    (None, Some(id)) if !self.state.users.contains_key(&id) => id,
                    _ => new_id(),
                },
                username: u.username.clone(),
                email: u.email.clone(),
                display_name: u.display_name.clone(),
                first_name: u.first_name.clone(),
                last_name: u.last_name.clone(),
                kind: u.kind,
                disabled: u.disabled,
                owner: u.owner,
                created_at: old.map_or(self.t, |o| o.created_at),
                updated_at: self.t,
                version: old.map_or(1, |o| o.version + 1),
            };
            new.sync_display_name();
            self.users.insert(lower, new.id);
            match old {
                Some(old) => {
                    let fields = user_diff(old, &new);
                    if fields.is_empty() {
                        continue;
                    }
                    let item =
                        Self::item(Op::Update, ObjectKind::User, old.username.clone(), fields);
                    let change = Change::Update {
                        object: Object::User(new),
                        expected_version: old.version,
                    };
                    self.push(|o| &mut o.updates, change, item);
                }
                None => {
                    self.new_names.insert(new.id, new.username.clone());
                    let item = Self::item(Op::Create, ObjectKind::User, u.username.clone(), vec![]);
                    self.push(|o| &mut o.creates, Change::Create(Object::User(new)), item);
                }
            }
        }
        Ok(())
    }

    fn teams(&mut self, doc: &PolicyDoc) -> Result<()> {
        for (i, tm) in doc.teams.iter().enumerate() {
            let entry = format!("teams[{i}]");
            validate::team_key(&tm.key)
                .map_err(|e| Error::invalid(format!("{entry}.key"), e.to_string()))?;
            validate::text(&format!("{entry}.description"), &tm.description)?;
            if self.teams.contains_key(&tm.key) {
                return Err(Error::invalid(
                    format!("{entry}.key"),
                    format!("team '{}' is listed twice", tm.key),
                ));
            }
            let default_role = match &tm.default_role {
                Some(r) => Some(self.role(&format!("{entry}.default_role"), r)?),
                None => None,
            };
            let old = self.state.team_by_key(&tm.key);
            let new = Team {
                id: match (old, tm.id) {
                    (Some(o), _) => o.id,
                    (None, Some(id)) if !self.state.teams.contains_key(&id) => id,
                    _ => new_id(),
                },
                key: tm.key.clone(),
                name: if tm.name.is_empty() {
                    tm.key.clone()
                } else {
                    tm.name.clone()
                },
                description: tm.description.clone(),
                default_role,
                created_at: old.map_or(self.t, |o| o.created_at),
                updated_at: self.t,
                version: old.map_or(1, |o| o.version + 1),
            };
            self.teams.insert(tm.key.clone(), new.id);
            let Some(old) = old else {
                self.new_names.insert(new.id, new.key.clone());
                let item = Self::item(Op::Create, ObjectKind::Team, tm.key.clone(), vec![]);
                self.push(|o| &mut o.creates, Change::Create(Object::Team(new)), item);
                continue;
            };
            let mut d = Diff(Vec::new());
            d.text("name", &old.name, &new.name);
            d.text("description", &old.description, &new.description);
            let role_name = |r: Option<Id>| r.map(|id| self.role_name(id));
            d.field(
                "default_role",
                opt(role_name(old.default_role).as_deref()),
                opt(role_name(new.default_role).as_deref()),
            );
            if d.0.is_empty() {
                continue;
            }
            let item = Self::item(Op::Update, ObjectKind::Team, tm.key.clone(), d.0);
            let change = Change::Update {
                object: Object::Team(new),
                expected_version: old.version,
            };
            self.push(|o| &mut o.updates, change, item);
        }
        Ok(())
    }

    /// With prune: every stored user, team, role and permission the document does not name
    /// is deleted, with its links.
    fn prune_objects(&mut self) {
        let state = self.state;
        let kept = |m: &HashMap<String, Id>| m.values().copied().collect::<BTreeSet<Id>>();
        let (users, teams, roles, perms) = (
            kept(&self.users),
            kept(&self.teams),
            kept(&self.roles),
            kept(&self.perms),
        );
        // Teams and users first: a role's delete would otherwise change the teams it is the
        // default role of (a new version) before their own delete.
        let mut gone: Vec<(ObjectKind, Id, u64, String)> = Vec::new();
        for t in state.teams.values().filter(|t| !teams.contains(&t.id)) {
            gone.push((ObjectKind::Team, t.id, t.version, t.key.clone()));
        }
        for u in state.users.values().filter(|u| !users.contains(&u.id)) {
            gone.push((ObjectKind::User, u.id, u.version, u.username.clone()));
        }
        for r in state.roles.values().filter(|r| !roles.contains(&r.id)) {
            gone.push((ObjectKind::Role, r.id, r.version, r.name.clone()));
        }
        for p in state
            .permissions
            .iter()
            .filter(|p| !perms.contains(&p.id()))
        {
            if let Some(full) = state.permissions.get(&p.id()) {
                let label = Self::perm_label(None, &full);
                gone.push((ObjectKind::Permission, full.id, full.version, label));
            }
        }
        for (kind, id, version, name) in gone {
            let mut item = Self::item(Op::Delete, kind, name, vec![]);
            item.cascades = state.dependents(kind, id).count();
            let change = Change::Delete {
                kind,
                id,
                expected_version: Some(version),
                cascade: true,
            };
            self.push(|o| &mut o.deletes, change, item);
        }
    }

    /// The name of a role, whether stored or created by the plan.
    fn role_name(&self, id: Id) -> String {
        self.state
            .roles
            .get(&id)
            .map(|r| r.name.clone())
            .or_else(|| self.new_names.get(&id).cloned())
            .unwrap_or_else(|| id.to_string())
    }

    fn role(&self, field: &str, name: &str) -> Result<Id> {
        self.resolve(field, "role", name, self.roles.get(name).copied(), || {
            self.state.role_by_name(name).map(|r| r.id)
        })
    }

    fn user(&self, field: &str, name: &str) -> Result<Id> {
        let own = self.users.get(&name.to_lowercase()).copied();
        self.resolve(field, "user", name, own, || {
            self.state.user_by_name(name).map(|u| u.id)
        })
    }

    fn team(&self, field: &str, key: &str) -> Result<Id> {
        self.resolve(field, "team", key, self.teams.get(key).copied(), || {
            self.state.team_by_key(key).map(|t| t.id)
        })
    }

    /// A name the document refers to: its own object, else (without prune) a stored one.
    fn resolve(
        &self,
        field: &str,
        kind: &str,
        name: &str,
        own: Option<Id>,
        stored: impl Fn() -> Option<Id>,
    ) -> Result<Id> {
        if let Some(id) = own {
            return Ok(id);
        }
        if self.prune {
            return Err(Error::invalid(
                field,
                format!(
                    "{kind} '{name}' is not in the file; with --prune everything the file refers to must be in it"
                ),
            ));
        }
        stored().ok_or_else(|| {
            Error::invalid(
                field,
                format!("{kind} '{name}' is neither in the file nor in the store"),
            )
        })
    }
}

/// The links a document asks for; memberships with their role; the ends of those that end
/// (by [`Link::key`]).
#[derive(Default)]
struct Desired {
    links: BTreeSet<Link>,
    members: BTreeMap<(Id, Id), Option<Id>>,
    ends: BTreeMap<Link, OffsetDateTime>,
}

impl Planner<'_> {
    /// The grantee of a link, for its name.
    fn principal_name(&self, p: Principal) -> String {
        match p {
            Principal::User(u) => self.user_name(u),
            Principal::Team(t) => format!("team {}", self.team_name(t)),
        }
    }
}
