//! What an import of a [`PolicyDoc`] into a Mage server writes, given what the server holds.
//! Pure: the dry run, the write (which plans twice: before its creations, and after them for
//! the links) and the unit tests all plan with [`plan`].
//!
//! Matching, so that a second import writes nothing: roles by exact name (Mage's unique key);
//! users by username, else by email (both ignoring case); permissions by id when the
//! document's `key` is the id of a permission read from this server, else by content — entity,
//! entity UUID, Mage's access integer (grants and denies), conditions and the query / read /
//! write attribute lists, lists compared as sets. Conditions count on Mage only under
//! DISABLE_UNLESS_CONDITIONS: a permission with conditions that the server does not hold as
//! written is created with it, as Mage's permission page sets it (a note says so). What exists
//! is left as it is; missing links are added.
//!
//! Refused before anything is written: teams, memberships and direct grants (Mage has none),
//! permissions of other catalogs, disabled and service users, and users to create when no
//! initial password is given (documents carry no passwords; Mage needs one of 8 characters).

use super::super::writes::{permission_body, user_fields};
use crate::backend::document::{DocPermission, DocUser};
use crate::backend::{
    Error, ImportReport, Password, PermissionSpec, PolicyDoc, Result, UserSpec, validate,
};
use crate::catalog::{Catalog, flags_to_access};
use crate::model::scope_or_default;
use crate::model::{Id, User, UserKind};
use crate::policy::{PermRef, State};
use rustc_hash::FxHashMap as HashMap;
use std::collections::{BTreeMap, BTreeSet};

/// An object a plan names: one the server holds, or the `n`th of the plan's creations of
/// its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ref {
    /// On the server (its id as read).
    Have(Id),
    /// To be created: an index into [`Plan::roles`], [`Plan::permissions`] or [`Plan::users`].
    New(usize),
}

/// What to write, and the report it makes.
#[derive(Debug, Default)]
pub struct Plan {
    /// Roles to create (names).
    pub roles: Vec<String>,
    /// Permissions to create (the condition gate added where needed).
    pub permissions: Vec<PermissionSpec>,
    /// Users to create (without their password, which the write adds).
    pub users: Vec<UserSpec>,
    /// Per role, the permissions to link to it.
    pub role_links: BTreeMap<Ref, BTreeSet<Ref>>,
    /// Per user, the roles to give it.
    pub user_links: BTreeMap<Ref, BTreeSet<Ref>>,
    /// Counts (created = would be created), created role names, notes.
    pub report: ImportReport,
}

impl Plan {
    /// True when nothing would be written.
    pub fn is_empty(&self) -> bool {
        self.roles.is_empty()
            && self.permissions.is_empty()
            && self.users.is_empty()
            && self.role_links.is_empty()
            && self.user_links.is_empty()
    }

    /// True when some object is still to be created.
    pub fn creates_objects(&self) -> bool {
        !(self.roles.is_empty() && self.permissions.is_empty() && self.users.is_empty())
    }
}

fn unsupported(what: String, why: &str) -> Error {
    Error::Unsupported {
        what,
        backend: "Mage".into(),
        why: why.into(),
    }
}

/// Up to three names, and how many more.
fn some(names: impl Iterator<Item = String>) -> String {
    let all: Vec<String> = names.collect();
    let mut s = all
        .iter()
        .take(3)
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ");
    if all.len() > 3 {
        s.push_str(&format!(" and {} more", all.len() - 3));
    }
    s
}

/// Refuses what a Mage server cannot hold, naming it.
fn refuse_foreign(doc: &PolicyDoc, catalog: &Catalog) -> Result<()> {
    if !doc.teams.is_empty() {
        return Err(unsupported(
            format!("teams ({})", some(doc.teams.iter().map(|t| t.key.clone()))),
            "it has no teams; give the teams' roles to their users in the document, or import \
             it into a local store",
        ));
    }
    if !doc.members.is_empty() {
        return Err(unsupported(
            format!("team memberships ({} in the document)", doc.members.len()),
            "it has no teams; give the teams' roles to their users in the document",
        ));
    }
    if !doc.grants.is_empty() {
        return Err(unsupported(
            format!("direct grants ({} in the document)", doc.grants.len()),
            "it gives permissions through roles only; link the permissions to roles",
        ));
    }
    if doc.has_ends() {
        // Mage keeps no ends: importing would make temporary access permanent. Teams,
        // memberships and grants are refused above: what is left is users' role ends.
        let holders = doc
            .users
            .iter()
            .filter(|u| !u.role_ends.is_empty())
            .map(|u| u.username.clone());
        return Err(unsupported(
            format!("relations that end (role_ends of {})", some(holders)),
            "it keeps no ends, so the access would never end; remove the ends, or import into \
             a local store",
        ));
    }
    let foreign: BTreeSet<&str> = doc
        .permissions
        .iter()
        .map(|p| p.catalog.as_str())
        .filter(|c| *c != catalog.name)
        .collect();
    if !foreign.is_empty() {
        return Err(unsupported(
            format!(
                "permissions of catalog {}",
                some(foreign.iter().map(|c| c.to_string()))
            ),
            "it holds permissions of its own catalog 'mage' only; leave the others out",
        ));
    }
    for u in &doc.users {
        if u.disabled {
            return Err(unsupported(
                format!("disabled users ('{}')", u.username),
                "its users cannot be disabled; leave the user out, or give it no roles",
            ));
        }
        if u.kind != UserKind::Person {
            return Err(unsupported(
                format!("service users ('{}')", u.username),
                "its users are people who log in with an email and a password",
            ));
        }
    }
    Ok(())
}

fn sorted(v: &[String]) -> Vec<&str> {
    let mut v: Vec<&str> = v.iter().map(String::as_str).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The content a Mage permission is matched by (`None` when its flags make no integer).
#[allow(clippy::too_many_arguments)]
fn content(
    catalog: &Catalog,
    (entity, entity_type, scope): (&str, Option<&str>, Option<&str>),
    uuid: Option<&str>,
    grants: &[String],
    denies: &[String],
    conditions: &[String],
    [query, read, write]: [&[String]; 3],
) -> Option<String> {
    let access = flags_to_access(catalog, grants, denies).ok()?;
    let uuid = uuid.map(str::trim).filter(|u| !u.is_empty());
    // Serializing plain strings and numbers cannot fail.
    let entity_type = entity_type.map(str::trim).filter(|t| !t.is_empty());
    serde_json::to_string(&(
        (entity, entity_type, scope_or_default(scope)),
        uuid,
        access,
        sorted(conditions),
        sorted(query),
        sorted(read),
        sorted(write),
    ))
    .ok()
}

fn spec_content(catalog: &Catalog, s: &PermissionSpec) -> Option<String> {
    content(
        catalog,
        (&s.entity, s.entity_type.as_deref(), s.scope.as_deref()),
        s.entity_uuid.as_deref(),
        &s.grants,
        &s.denies,
        &s.conditions,
        [&s.query_attributes, &s.read_attributes, &s.write_attributes],
    )
}

fn held_content(catalog: &Catalog, p: &PermRef<'_>) -> Option<String> {
    content(
        catalog,
        (p.entity(), p.entity_type(), p.scope()),
        p.entity_uuid(),
        p.grants(),
        p.denies(),
        p.conditions(),
        p.attributes(),
    )
}

fn spec_of(d: &DocPermission) -> PermissionSpec {
    PermissionSpec {
        catalog: d.catalog.clone(),
        entity: d.entity.clone(),
        entity_uuid: d.entity_uuid.clone(),
        grants: d.grants.clone(),
        denies: d.denies.clone(),
        conditions: d.conditions.clone(),
        entity_type: d.entity_type.clone(),
        scope: d.scope.clone(),
        query_attributes: d.query_attributes.clone(),
        read_attributes: d.read_attributes.clone(),
        write_attributes: d.write_attributes.clone(),
        // Mage permissions have no description.
        description: String::new(),
    }
}

/// Prefixes an input error's field with where in the document it is.
fn at(prefix: &str, e: Error) -> Error {
    match e {
        Error::Invalid { field, message } => Error::invalid(format!("{prefix}.{field}"), message),
        other => other,
    }
}

fn find_user<'a>(state: &'a State, u: &DocUser) -> Option<&'a User> {
    state.user_by_name(&u.username).or_else(|| {
        let email = u.email.trim();
        (!email.is_empty()).then_some(())?;
        state
            .users
            .values()
            .find(|x| x.email.trim().eq_ignore_ascii_case(email))
    })
}

/// A plan being made: the document, the server's state, and what the document's names stand
/// for so far.
struct Planner<'a> {
    doc: &'a PolicyDoc,
    state: &'a State,
    catalog: &'a Catalog,
    plan: Plan,
    roles: HashMap<&'a str, Ref>,
    perms: HashMap<&'a str, Ref>,
    /// By lowercased username.
    users: HashMap<String, Ref>,
}

/// Plans the import of `doc` into a server holding `state` (read from it), whose catalog is
/// `catalog`. `password` is the initial password of the users to create.
pub fn plan(
    doc: &PolicyDoc,
    state: &State,
    catalog: &Catalog,
    password: Option<&Password>,
) -> Result<Plan> {
    refuse_foreign(doc, catalog)?;
    let mut p = Planner {
        doc,
        state,
        catalog,
        plan: Plan::default(),
        roles: HashMap::default(),
        perms: HashMap::default(),
        users: HashMap::default(),
    };
    p.roles()?;
    p.permissions()?;
    p.users(password)?;
    if password.is_none() && !p.plan.users.is_empty() {
        return Err(Error::invalid(
            "password",
            format!(
                "{} user(s) to create on the Mage server ({}) need a password, which Mage \
                 requires and documents never carry: give their initial password with \
                 --user-password-env VAR (every new user gets it and should change it), or \
                 leave them out of the document",
                p.plan.users.len(),
                some(p.plan.users.iter().map(|u| u.username.clone()))
            ),
        ));
    }
    p.links()?;
    Ok(p.plan)
}

impl<'a> Planner<'a> {
    /// Roles, by name.
    fn roles(&mut self) -> Result<()> {
        let p = &mut self.plan;
        for (i, r) in self.doc.roles.iter().enumerate() {
            validate::name(&format!("roles[{i}].name"), &r.name)?;
            if self.roles.contains_key(r.name.as_str()) {
                continue;
            }
            let found = match self.state.role_by_name(&r.name) {
                Some(have) => {
                    p.report.roles.present += 1;
                    Ref::Have(have.id)
                }
                None => {
                    if !r.description.trim().is_empty() {
                        p.report.notes.push(format!(
                            "role '{}': its description is not kept (Mage roles have none)",
                            r.name
                        ));
                    }
                    p.roles.push(r.name.clone());
                    p.report.roles.created += 1;
                    p.report.created_roles.push(r.name.clone());
                    Ref::New(p.roles.len() - 1)
                }
            };
            self.roles.insert(&r.name, found);
        }
        Ok(())
    }

    /// A role the document names: its own, else the server's.
    fn role(&self, field: &str, name: &str) -> Result<Ref> {
        self.roles
            .get(name)
            .copied()
            .or_else(|| self.state.role_by_name(name).map(|r| Ref::Have(r.id)))
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    format!("role '{name}' is neither in the file nor on the Mage server"),
                )
            })
    }

    /// The server's permissions by content, each list of ids in order.
    fn held(&self) -> HashMap<String, Vec<Id>> {
        let mut held: HashMap<String, Vec<Id>> = HashMap::default();
        for x in self.state.permissions.iter() {
            if let Some(k) = held_content(self.catalog, &x) {
                held.entry(k).or_default().push(x.id());
            }
        }
        for ids in held.values_mut() {
            ids.sort_unstable();
        }
        held
    }

    /// Among server permissions `ids` equal to the document's `key`, the one a role listing
    /// it holds already, else the first.
    fn choose(&self, key: &str, ids: &[Id]) -> Option<Id> {
        let holders: Vec<Id> = self
            .doc
            .roles
            .iter()
            .filter(|r| r.permissions.iter().any(|k| k == key))
            .filter_map(|r| match self.roles.get(r.name.as_str()) {
                Some(Ref::Have(id)) => Some(*id),
                _ => None,
            })
            .collect();
        ids.iter()
            .copied()
            .find(|id| {
                holders
                    .iter()
                    .any(|r| self.state.role_permissions.contains(&(*r, *id)))
            })
            .or_else(|| ids.first().copied())
    }

    /// Permissions: by id, else by content (as written, then with the condition gate).
    fn permissions(&mut self) -> Result<()> {
        let held = self.held();
        let mut planned: HashMap<String, Ref> = HashMap::default();
        let doc = self.doc;
        for (i, d) in doc.permissions.iter().enumerate() {
            let field = format!("permissions[{i}]");
            if self.perms.contains_key(d.key.as_str()) {
                return Err(Error::invalid(
                    field,
                    format!("key '{}' is used twice", d.key),
                ));
            }
            let spec = spec_of(d);
            permission_body(self.catalog, &spec, 0).map_err(|e| at(&field, e))?;
            if let Ok(id) = Id::parse_str(&d.key)
                && self.state.permissions.contains_key(&id)
            {
                self.plan.report.permissions.present += 1;
                self.perms.insert(&d.key, Ref::Have(id));
                continue;
            }
            let mut gated = spec.clone();
            let gate = self
                .catalog
                .gate_conditions(&mut gated.grants, &gated.conditions);
            let keys = [
                spec_content(self.catalog, &spec),
                spec_content(self.catalog, &gated),
            ];
            let have = keys
                .iter()
                .flatten()
                .find_map(|k| held.get(k).and_then(|ids| self.choose(&d.key, ids)));
            if let Some(id) = have {
                self.plan.report.permissions.present += 1;
                self.perms.insert(&d.key, Ref::Have(id));
                continue;
            }
            let Some(key) = keys[1].clone() else {
                // permission_body accepted the flags, so they make an integer.
                return Err(Error::invalid(
                    field,
                    "its flags make no Mage access integer",
                ));
            };
            if let Some(same) = planned.get(&key) {
                // The same content twice in the file: one permission.
                self.perms.insert(&d.key, *same);
                continue;
            }
            let p = &mut self.plan;
            if let Some(g) = gate {
                p.report.notes.push(format!(
                    "permission '{}' ({} {}): {g} added, without which Mage ignores its \
                     conditions (as Mage's permission page sets it)",
                    d.key,
                    d.entity,
                    d.conditions.join(", ")
                ));
            }
            p.permissions.push(gated);
            p.report.permissions.created += 1;
            let r = Ref::New(p.permissions.len() - 1);
            planned.insert(key, r);
            self.perms.insert(&d.key, r);
        }
        Ok(())
    }

    /// Users: by username, else by email.
    fn users(&mut self, password: Option<&Password>) -> Result<()> {
        let p = &mut self.plan;
        for (i, u) in self.doc.users.iter().enumerate() {
            let field = format!("users[{i}]");
            validate::name(&format!("{field}.username"), &u.username)?;
            if self.users.contains_key(&u.username.to_lowercase()) {
                continue;
            }
            let found = match find_user(self.state, u) {
                Some(have) => {
                    p.report.users.present += 1;
                    Ref::Have(have.id)
                }
                None => {
                    let spec = UserSpec {
                        username: u.username.clone(),
                        email: u.email.trim().to_string(),
                        display_name: u.display_name.clone(),
                        first_name: u.first_name.clone(),
                        last_name: u.last_name.clone(),
                        kind: u.kind,
                        disabled: u.disabled,
                        owner: u.owner,
                        password: password.cloned(),
                    };
                    user_fields(&spec).map_err(|e| at(&field, e))?;
                    p.users.push(UserSpec {
                        password: None,
                        ..spec
                    });
                    p.report.users.created += 1;
                    Ref::New(p.users.len() - 1)
                }
            };
            self.users.insert(u.username.to_lowercase(), found);
        }
        Ok(())
    }

    /// Links: role ↔ permission, user ↔ role; those present counted, the others planned.
    fn links(&mut self) -> Result<()> {
        let mut seen: BTreeSet<(Ref, Ref, bool)> = BTreeSet::new();
        for (i, r) in self.doc.roles.iter().enumerate() {
            let of = self.role(&format!("roles[{i}]"), &r.name)?;
            for key in &r.permissions {
                let perm = self.perms.get(key.as_str()).copied().ok_or_else(|| {
                    Error::invalid(
                        format!("roles[{i}].permissions"),
                        format!("permission key '{key}' is not defined in the file"),
                    )
                })?;
                if seen.insert((of, perm, false)) {
                    let held = self
                        .state
                        .role_permissions
                        .contains(&(have(of), have(perm)));
                    link(&mut self.plan, held, false, of, perm);
                }
            }
        }
        for (i, u) in self.doc.users.iter().enumerate() {
            let Some(&of) = self.users.get(&u.username.to_lowercase()) else {
                continue;
            };
            for name in &u.roles {
                let r = self.role(&format!("users[{i}].roles"), name)?;
                if seen.insert((of, r, true)) {
                    let held = self.state.user_roles.contains(&(have(of), have(r)));
                    link(&mut self.plan, held, true, of, r);
                }
            }
        }
        Ok(())
    }
}

/// The id of an object on the server; the nil id (in no link) for one to create.
fn have(r: Ref) -> Id {
    match r {
        Ref::Have(id) => id,
        Ref::New(_) => Id::nil(),
    }
}

/// Counts a link the server `held`, else plans it: user ↔ role when `user`, else role ↔
/// permission.
fn link(p: &mut Plan, held: bool, user: bool, a: Ref, b: Ref) {
    if held {
        p.report.links.present += 1;
        return;
    }
    p.report.links.created += 1;
    let links = if user {
        &mut p.user_links
    } else {
        &mut p.role_links
    };
    links.entry(a).or_default().insert(b);
}
