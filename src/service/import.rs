//! Import (and presets): the idempotent planner that turns a [`PolicyDoc`] into one commit.
//! A relation the document gives an end is created with it in the same commit (`Link` then
//! `Expire`); an end already past is refused, naming the entry. A relation that exists is left
//! as it is, its end too: when the document's end differs, the report says so (`plan`/`apply`
//! move ends).

use super::{Access, Actor, Service, names};
use crate::backend::document::{ImportReport, PolicyDoc};
use crate::backend::plan::{check_role_ends, content_key, future_end};
use crate::backend::validate;
use crate::backend::{Error, Result};
use crate::model::{Id, Principal, Role, Team, User, new_id, now};
use crate::policy::{Change, Link, Object, PermFields, State};
use rustc_hash::FxHashMap as HashMap;
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

struct Planner<'a> {
    state: &'a State,
    changes: Vec<Change>,
    report: ImportReport,
    users: HashMap<String, Id>,
    teams: HashMap<String, Id>,
    roles: HashMap<String, Id>,
    perms: HashMap<String, Id>,
    links: BTreeSet<Link>,
    /// The import's instant: ends must come after it.
    t: OffsetDateTime,
}

impl Planner<'_> {
    fn role(&self, field: &str, name: &str) -> Result<Id> {
        self.roles
            .get(name)
            .copied()
            .or_else(|| self.state.role_by_name(name).map(|r| r.id))
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    format!("role '{name}' is neither in the file nor in the store"),
                )
            })
    }
    fn user(&self, field: &str, name: &str) -> Result<Id> {
        self.users
            .get(&name.to_lowercase())
            .copied()
            .or_else(|| self.state.user_by_name(name).map(|u| u.id))
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    format!("user '{name}' is neither in the file nor in the store"),
                )
            })
    }
    fn team(&self, field: &str, key: &str) -> Result<Id> {
        self.teams
            .get(key)
            .copied()
            .or_else(|| self.state.team_by_key(key).map(|t| t.id))
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    format!("team '{key}' is neither in the file nor in the store"),
                )
            })
    }
    fn perm(&self, field: &str, key: &str) -> Result<Id> {
        self.perms.get(key).copied().ok_or_else(|| {
            Error::invalid(
                field,
                format!("permission key '{key}' is not defined in the file"),
            )
        })
    }
    fn link(&mut self, link: Link) {
        let exists = self.state.link_exists(&link);
        if exists {
            self.report.links.present += 1;
        } else if self.links.insert(link) {
            self.report.links.created += 1;
            self.changes.push(Change::Link(link));
        }
    }

    /// [`Planner::link`] with the end `field` of the document gives it: a new relation gets
    /// it in the same commit; an existing one whose end differs is noted, not changed.
    fn link_until(
        &mut self,
        field: &str,
        what: &str,
        link: Link,
        end: Option<OffsetDateTime>,
    ) -> Result<()> {
        let end = match end {
            Some(t) => Some(future_end(field, t, self.t)?),
            None => None,
        };
        let stored = self.state.link_exists(&link);
        let new = !stored && !self.links.contains(&link);
        self.link(link);
        if new && end.is_some() {
            self.changes.push(Change::Expire {
                link,
                expires_at: end,
            });
        } else if stored && self.state.expiries.get(&link) != end {
            let shown = crate::backend::plan::shown_end;
            self.report.notes.push(format!(
                "{field}: {what} already exists, ending {}; left as it is, not ending {} as \
                 the document says (`plan`/`apply` change ends)",
                shown(self.state.expiries.get(&link)),
                shown(end)
            ));
        }
        Ok(())
    }

    /// A user's or team's roles with their ends.
    fn role_links(
        &mut self,
        entry: &str,
        holder: &str,
        roles: &[String],
        ends: &BTreeMap<String, OffsetDateTime>,
        link: impl Fn(Id) -> Link,
    ) -> Result<()> {
        check_role_ends(entry, roles, ends)?;
        for r in roles {
            let role = self.role(&format!("{entry}.roles"), r)?;
            self.link_until(
                &format!("{entry}.role_ends.{r}"),
                &format!("{holder} → {r}"),
                link(role),
                ends.get(r).copied(),
            )?;
        }
        Ok(())
    }
}

impl Service {
    /// Imports a document (also how presets are applied). With `dry_run`, nothing is written and
    /// the report says what would happen.
    pub async fn import(
        &self,
        actor: &Actor,
        doc: &PolicyDoc,
        dry_run: bool,
    ) -> Result<ImportReport> {
        for (entity, used) in [
            ("User", !doc.users.is_empty()),
            ("Team", !doc.teams.is_empty()),
            ("Role", !doc.roles.is_empty()),
            (
                "Permission",
                !doc.permissions.is_empty() || !doc.grants.is_empty(),
            ),
            (
                "RolePermission",
                doc.roles.iter().any(|r| !r.permissions.is_empty()),
            ),
            ("UserRole", doc.users.iter().any(|u| !u.roles.is_empty())),
            (
                "TeamMember",
                !doc.members.is_empty() || doc.teams.iter().any(|t| !t.roles.is_empty()),
            ),
        ] {
            if used {
                self.authorize(actor, Access::Write, entity)?;
            }
        }
        let snap = self.snapshot();
        let state = &snap.state;
        let mut p = Planner {
            state,
            // Room for every object and role link the document names (an import of a million
            // permissions would otherwise copy a vector of hundreds of MB as it doubles).
            changes: Vec::with_capacity(
                doc.permissions.len()
                    + doc
                        .roles
                        .iter()
                        .map(|r| r.permissions.len() + 1)
                        .sum::<usize>()
                    + doc.users.len()
                    + doc.teams.len(),
            ),
            report: ImportReport {
                dry_run,
                ..Default::default()
            },
            users: HashMap::default(),
            teams: HashMap::default(),
            roles: HashMap::default(),
            perms: HashMap::default(),
            links: BTreeSet::new(),
            t: now(),
        };
        let t = p.t;
        let fresh_id = |wanted: Option<Id>, taken: &dyn Fn(&Id) -> bool| match wanted {
            Some(id) if !taken(&id) => id,
            _ => new_id(),
        };
        // Permissions: by id, then by content.
        let mut by_content: HashMap<String, Id> = state
            .permissions
            .iter()
            .map(|p| (content_key(&p.fields()), p.id()))
            .collect();
        for (i, dp) in doc.permissions.iter().enumerate() {
            let field = || format!("permissions[{i}]");
            if p.perms.contains_key(&dp.key) {
                return Err(Error::invalid(
                    field(),
                    format!("key '{}' is used twice", dp.key),
                ));
            }
            let as_id = Id::parse_str(&dp.key).ok();
            if let Some(id) = as_id
                && state.permissions.contains_key(&id)
            {
                p.perms.insert(dp.key.clone(), id);
                p.report.permissions.present += 1;
                continue;
            }
            let spec = dp.spec();
            let mut perm =
                spec.to_permission(fresh_id(as_id, &|id| state.permissions.contains_key(id)), 1);
            perm.created_by = actor.user;
            validate::permission(&self.catalogs, &mut perm).map_err(|e| match e {
                Error::Invalid { field: f, message } => {
                    Error::invalid(format!("{}.{f}", field()), message)
                }
                other => other,
            })?;
            let key = content_key(&PermFields::of(&perm));
            match by_content.get(&key) {
                Some(&id) if state.permissions.contains_key(&id) => {
                    p.perms.insert(dp.key.clone(), id);
                    p.report.permissions.present += 1;
                }
                Some(&id) => {
                    // The same content twice in the file: one permission.
                    p.perms.insert(dp.key.clone(), id);
                }
                None => {
                    by_content.insert(key, perm.id);
                    p.perms.insert(dp.key.clone(), perm.id);
                    p.report.permissions.created += 1;
                    p.changes.push(Change::Create(Object::Permission(perm)));
                }
            }
        }
        let mut role_names = if doc.roles.is_empty() {
            names::Taken::default()
        } else {
            names::Taken::roles(state)
        };
        for (i, r) in doc.roles.iter().enumerate() {
            let field = format!("roles[{i}].name");
            validate::name(&field, &r.name)?;
            validate::text(&format!("roles[{i}].description"), &r.description)?;
            if let Some(existing) = state.role_by_name(&r.name) {
                p.roles.insert(r.name.clone(), existing.id);
                p.report.roles.present += 1;
            } else if !p.roles.contains_key(&r.name) {
                if let Some(other) = role_names.take(&r.name) {
                    return Err(Error::Conflict(format!(
                        "{field}: role '{}' looks like role '{other}' (role names are compared ignoring case and look-alike characters)",
                        r.name
                    )));
                }
                let role = Role {
                    id: fresh_id(r.id, &|id| state.roles.contains_key(id)),
                    name: r.name.clone(),
                    description: r.description.clone(),
                    created_by: actor.user,
                    created_at: t,
                    updated_at: t,
                    version: 1,
                };
                p.roles.insert(r.name.clone(), role.id);
                p.report.roles.created += 1;
                p.report.created_roles.push(r.name.clone());
                p.changes.push(Change::Create(Object::Role(role)));
            }
        }
        let mut user_names: Option<names::Taken> = None;
        for (i, u) in doc.users.iter().enumerate() {
            validate::name(&format!("users[{i}].username"), &u.username)?;
            if let Some(existing) = state.user_by_name(&u.username) {
                p.users.insert(u.username.to_lowercase(), existing.id);
                p.report.users.present += 1;
            } else if let std::collections::hash_map::Entry::Vacant(slot) =
                p.users.entry(u.username.to_lowercase())
            {
                let taken = user_names.get_or_insert_with(|| names::Taken::users(state));
                if let Some(other) = taken.take(&u.username) {
                    return Err(Error::Conflict(format!(
                        "users[{i}]: user '{}' looks like user '{other}' (usernames are compared ignoring case and look-alike characters)",
                        u.username
                    )));
                }
                validate::text(&format!("users[{i}].email"), &u.email)?;
                validate::text(&format!("users[{i}].display_name"), &u.display_name)?;
                validate::person_names(&u.first_name, &u.last_name).map_err(|e| match e {
                    Error::Invalid { field: f, message } => {
                        Error::invalid(format!("users[{i}].{f}"), message)
                    }
                    other => other,
                })?;
                if u.owner
                    && actor
                        .user
                        .is_some_and(|a| !state.users.get(&a).is_some_and(|x| x.owner))
                {
                    return Err(Error::Forbidden(format!(
                        "users[{i}]: only an owner may import owners"
                    )));
                }
                let mut user = User {
                    id: fresh_id(u.id, &|id| state.users.contains_key(id)),
                    username: u.username.clone(),
                    email: u.email.clone(),
                    display_name: u.display_name.clone(),
                    first_name: u.first_name.clone(),
                    last_name: u.last_name.clone(),
                    kind: u.kind,
                    disabled: u.disabled,
                    owner: u.owner,
                    created_at: t,
                    updated_at: t,
                    version: 1,
                };
                user.sync_display_name();
                slot.insert(user.id);
                p.report.users.created += 1;
                p.changes.push(Change::Create(Object::User(user)));
            }
        }
        for (i, tm) in doc.teams.iter().enumerate() {
            validate::team_key(&tm.key)
                .map_err(|e| Error::invalid(format!("teams[{i}].key"), e.to_string()))?;
            if let Some(existing) = state.team_by_key(&tm.key) {
                p.teams.insert(tm.key.clone(), existing.id);
                p.report.teams.present += 1;
            } else if !p.teams.contains_key(&tm.key) {
                let default_role = match &tm.default_role {
                    Some(r) => Some(p.role(&format!("teams[{i}].default_role"), r)?),
                    None => None,
                };
                let team = Team {
                    id: fresh_id(tm.id, &|id| state.teams.contains_key(id)),
                    key: tm.key.clone(),
                    name: if tm.name.is_empty() {
                        tm.key.clone()
                    } else {
                        tm.name.clone()
                    },
                    description: tm.description.clone(),
                    default_role,
                    created_at: t,
                    updated_at: t,
                    version: 1,
                };
                p.teams.insert(tm.key.clone(), team.id);
                p.report.teams.created += 1;
                p.changes.push(Change::Create(Object::Team(team)));
            }
        }
        for (i, r) in doc.roles.iter().enumerate() {
            let role = p.role(&format!("roles[{i}]"), &r.name)?;
            for key in &r.permissions {
                let permission = p.perm(&format!("roles[{i}].permissions"), key)?;
                p.link(Link::RolePermission { role, permission });
            }
        }
        for (i, u) in doc.users.iter().enumerate() {
            let entry = format!("users[{i}]");
            let user = p.user(&entry, &u.username)?;
            p.role_links(&entry, &u.username, &u.roles, &u.role_ends, |role| {
                Link::UserRole { user, role }
            })?;
        }
        for (i, tm) in doc.teams.iter().enumerate() {
            let entry = format!("teams[{i}]");
            let team = p.team(&entry, &tm.key)?;
            let holder = format!("team {}", tm.key);
            p.role_links(&entry, &holder, &tm.roles, &tm.role_ends, |role| {
                Link::TeamRole { team, role }
            })?;
        }
        for (i, m) in doc.members.iter().enumerate() {
            let f = format!("members[{i}]");
            let team = p.team(&f, &m.team)?;
            let user = p.user(&f, &m.user)?;
            let role = match &m.role {
                Some(r) => Some(p.role(&f, r)?),
                None => None,
            };
            let what = format!("membership {}/{}", m.team, m.user);
            let link = Link::Member { team, user, role };
            p.link_until(&format!("{f}.expires_at"), &what, link, m.expires_at)?;
        }
        for (i, g) in doc.grants.iter().enumerate() {
            let f = format!("grants[{i}]");
            let permission = p.perm(&f, &g.permission)?;
            let principal = match (&g.user, &g.team) {
                (Some(u), None) => Principal::User(p.user(&f, u)?),
                (None, Some(t)) => Principal::Team(p.team(&f, t)?),
                _ => return Err(Error::invalid(f, "give exactly one of `user` or `team`")),
            };
            let what = format!(
                "the grant of {} to {}",
                g.permission,
                g.user.as_deref().or(g.team.as_deref()).unwrap_or_default()
            );
            let link = Link::Grant {
                principal,
                permission,
            };
            p.link_until(&format!("{f}.expires_at"), &what, link, g.expires_at)?;
        }
        let mut report = p.report;
        report.revision = if p.changes.is_empty() {
            state.revision
        } else if dry_run {
            // A dry run says what the write would say: refused when it would be.
            self.guard(actor, &snap, &p.changes)?;
            state.revision
        } else {
            self.commit(actor, p.changes).await?
        };
        Ok(report)
    }

    /// The whole policy as a document (needs read on every kind).
    pub fn export(&self, actor: &Actor) -> Result<PolicyDoc> {
        for e in ["User", "Team", "Role", "Permission"] {
            self.authorize(actor, Access::Read, e)?;
        }
        Ok(PolicyDoc::of_state(&self.snapshot().state))
    }
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
