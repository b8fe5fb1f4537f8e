//! The links half of a plan: the links a document asks for, the ones to add (a membership
//! whose role moves is an update) and, with prune, the stored ones to remove.

use super::{Desired, FieldChange, Op, Planner, opt};
use crate::backend::document::PolicyDoc;
use crate::backend::error::{Error, Result};
use crate::model::{Id, ObjectKind, Principal};
use crate::policy::{Change, Link};
use std::collections::BTreeSet;

impl Planner<'_> {
    fn perm(&self, field: &str, key: &str) -> Result<Id> {
        self.perms.get(key).copied().ok_or_else(|| {
            Error::invalid(
                field,
                format!("permission key '{key}' is not defined in the file"),
            )
        })
    }

    /// Every link the document names, resolved to ids.
    pub(super) fn desired_links(&self, doc: &PolicyDoc) -> Result<Desired> {
        let mut d = Desired::default();
        for (i, r) in doc.roles.iter().enumerate() {
            let role = self.role(&format!("roles[{i}]"), &r.name)?;
            for key in &r.permissions {
                let permission = self.perm(&format!("roles[{i}].permissions"), key)?;
                d.links.insert(Link::RolePermission { role, permission });
            }
        }
        for (i, u) in doc.users.iter().enumerate() {
            let user = self.user(&format!("users[{i}]"), &u.username)?;
            for r in &u.roles {
                let role = self.role(&format!("users[{i}].roles"), r)?;
                d.links.insert(Link::UserRole { user, role });
            }
        }
        for (i, tm) in doc.teams.iter().enumerate() {
            let team = self.team(&format!("teams[{i}]"), &tm.key)?;
            for r in &tm.roles {
                let role = self.role(&format!("teams[{i}].roles"), r)?;
                d.links.insert(Link::TeamRole { team, role });
            }
        }
        for (i, m) in doc.members.iter().enumerate() {
            let f = format!("members[{i}]");
            let team = self.team(&f, &m.team)?;
            let user = self.user(&f, &m.user)?;
            let role = match &m.role {
                Some(r) => Some(self.role(&format!("{f}.role"), r)?),
                None => None,
            };
            if d.members
                .insert((team, user), role)
                .is_some_and(|r| r != role)
            {
                return Err(Error::invalid(
                    f,
                    format!(
                        "user '{}' is in team '{}' twice with different roles",
                        m.user, m.team
                    ),
                ));
            }
        }
        for (i, g) in doc.grants.iter().enumerate() {
            let f = format!("grants[{i}]");
            let permission = self.perm(&f, &g.permission)?;
            let principal = match (&g.user, &g.team) {
                (Some(u), None) => Principal::User(self.user(&f, u)?),
                (None, Some(t)) => Principal::Team(self.team(&f, t)?),
                _ => return Err(Error::invalid(f, "give exactly one of `user` or `team`")),
            };
            d.links.insert(Link::Grant {
                principal,
                permission,
            });
        }
        Ok(d)
    }

    /// `+` for each link the store lacks; `~` for a membership whose role differs.
    pub(super) fn links(&mut self, d: &Desired) {
        for link in &d.links {
            if !self.state.link_exists(link) {
                let item = Self::item(Op::Create, link.kind(), self.link_name(link), vec![]);
                self.push(|o| &mut o.links, Change::Link(*link), item);
            }
        }
        for (&(team, user), &role) in &d.members {
            let link = Link::Member { team, user, role };
            let (op, fields) = match self.state.members.get(&(team, user)) {
                None => (Op::Create, vec![]),
                Some(&old) if old != role => (
                    Op::Update,
                    vec![FieldChange {
                        field: "role".into(),
                        old: self.role_label(old),
                        new: self.role_label(role),
                    }],
                ),
                Some(_) => continue,
            };
            let item = Self::item(op, ObjectKind::TeamMember, self.link_name(&link), fields);
            self.push(|o| &mut o.links, Change::Link(link), item);
        }
    }

    /// With prune: `-` for each stored link the document does not name whose ends both stay
    /// (the links of a deleted object go with it).
    pub(super) fn prune_links(&mut self, d: &Desired) {
        let gone: BTreeSet<Id> = self
            .out
            .deletes
            .iter()
            .filter_map(|(c, _)| match c {
                Change::Delete { id, .. } => Some(*id),
                _ => None,
            })
            .collect();
        let s = self.state;
        let principal_id = |p: &Principal| match p {
            Principal::User(u) | Principal::Team(u) => *u,
        };
        let stored =
            s.role_permissions
                .iter()
                .map(|&(role, permission)| {
                    (
                        Link::RolePermission { role, permission },
                        [role, permission],
                    )
                })
                .chain(
                    s.user_roles
                        .iter()
                        .map(|&(user, role)| (Link::UserRole { user, role }, [user, role])),
                )
                .chain(
                    s.team_roles
                        .iter()
                        .map(|&(team, role)| (Link::TeamRole { team, role }, [team, role])),
                )
                .chain(s.grants.iter().map(|&(principal, permission)| {
                    let ends = [principal_id(&principal), permission];
                    (
                        Link::Grant {
                            principal,
                            permission,
                        },
                        ends,
                    )
                }))
                .chain(s.members.iter().map(|(&(team, user), &role)| {
                    (Link::Member { team, user, role }, [team, user])
                }));
        let mut out = Vec::new();
        for (link, ends) in stored {
            let wanted = match link {
                Link::Member { team, user, .. } => d.members.contains_key(&(team, user)),
                _ => d.links.contains(&link),
            };
            if wanted || ends.iter().any(|e| gone.contains(e)) {
                continue;
            }
            let item = Self::item(Op::Delete, link.kind(), self.link_name(&link), vec![]);
            out.push((Change::Unlink(link), item));
        }
        self.out.unlinks.extend(out);
    }

    fn role_label(&self, role: Option<Id>) -> String {
        opt(role.map(|r| self.role_name(r)).as_deref())
    }

    pub(super) fn user_name(&self, id: Id) -> String {
        self.state
            .users
            .get(&id)
            .map(|u| u.username.clone())
            .or_else(|| self.new_names.get(&id).cloned())
            .unwrap_or_else(|| id.to_string())
    }

    pub(super) fn team_name(&self, id: Id) -> String {
        self.state
            .teams
            .get(&id)
            .map(|t| t.key.clone())
            .or_else(|| self.new_names.get(&id).cloned())
            .unwrap_or_else(|| id.to_string())
    }

    fn perm_name(&self, id: Id) -> String {
        self.perm_labels
            .get(&id)
            .cloned()
            .or_else(|| {
                self.state
                    .permissions
                    .get(&id)
                    .map(|p| Self::perm_label(None, &p))
            })
            .unwrap_or_else(|| id.to_string())
    }

    /// A link in words: `editor → mage:Pipeline (1a2b3c4d)`, `alice → editor`, `ops/alice`.
    fn link_name(&self, link: &Link) -> String {
        match *link {
            Link::RolePermission { role, permission } => {
                format!("{} → {}", self.role_name(role), self.perm_name(permission))
            }
            Link::UserRole { user, role } => {
                format!("{} → {}", self.user_name(user), self.role_name(role))
            }
            Link::TeamRole { team, role } => {
                format!("{} → {}", self.team_name(team), self.role_name(role))
            }
            Link::Member { team, user, role } => {
                let base = format!("{}/{}", self.team_name(team), self.user_name(user));
                match role {
                    Some(r) => format!("{base} (role {})", self.role_name(r)),
                    None => base,
                }
            }
            Link::Grant {
                principal,
                permission,
            } => format!(
                "{} → {}",
                self.perm_name(permission),
                self.principal_name(principal)
            ),
        }
    }
}
