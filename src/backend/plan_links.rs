//! The links half of a plan: the links a document asks for, the ones to add (a membership
//! whose role moves is an update) and, with prune, the stored ones to remove.

use super::{Desired, Op, Planner};
use crate::backend::document::PolicyDoc;
use crate::backend::error::{Error, Result};
use crate::model::{Id, Principal};
use crate::policy::{Change, Link};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

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
            let entry = format!("users[{i}]");
            let user = self.user(&entry, &u.username)?;
            super::ends::check_role_ends(&entry, &u.roles, &u.role_ends)?;
            for r in &u.roles {
                let role = self.role(&format!("{entry}.roles"), r)?;
                let link = Link::UserRole { user, role };
                self.role_link(&mut d, &entry, link, r, &u.role_ends)?;
            }
        }
        for (i, tm) in doc.teams.iter().enumerate() {
            let entry = format!("teams[{i}]");
            let team = self.team(&entry, &tm.key)?;
            super::ends::check_role_ends(&entry, &tm.roles, &tm.role_ends)?;
            for r in &tm.roles {
                let role = self.role(&format!("{entry}.roles"), r)?;
                let link = Link::TeamRole { team, role };
                self.role_link(&mut d, &entry, link, r, &tm.role_ends)?;
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
            let end = match m.expires_at {
                Some(t) => Some(self.future(&format!("{f}.expires_at"), t)?),
                None => None,
            };
            let before = d.members.insert((team, user), role);
            if before.is_some_and(|r| r != role) {
                return Err(Error::invalid(
                    f,
                    format!(
                        "user '{}' is in team '{}' twice with different roles",
                        m.user, m.team
                    ),
                ));
            }
            let link = Link::Member { team, user, role };
            Self::want_end(&mut d, &f, link, end, before.is_none())?;
        }
        for (i, g) in doc.grants.iter().enumerate() {
            let f = format!("grants[{i}]");
            let permission = self.perm(&f, &g.permission)?;
            let principal = match (&g.user, &g.team) {
                (Some(u), None) => Principal::User(self.user(&f, u)?),
                (None, Some(t)) => Principal::Team(self.team(&f, t)?),
                _ => return Err(Error::invalid(f, "give exactly one of `user` or `team`")),
            };
            let end = match g.expires_at {
                Some(t) => Some(self.future(&format!("{f}.expires_at"), t)?),
                None => None,
            };
            let link = Link::Grant {
                principal,
                permission,
            };
            let first = d.links.insert(link);
            Self::want_end(&mut d, &f, link, end, first)?;
        }
        Ok(d)
    }

    /// A user's or team's role `name` and the end `ends` gives it.
    fn role_link(
        &self,
        d: &mut Desired,
        entry: &str,
        link: Link,
        name: &str,
        ends: &BTreeMap<String, OffsetDateTime>,
    ) -> Result<()> {
        let field = format!("{entry}.role_ends.{name}");
        let end = match ends.get(name) {
            Some(&t) => Some(self.future(&field, t)?),
            None => None,
        };
        let first = d.links.insert(link);
        Self::want_end(d, &field, link, end, first)
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
            out.push((Change::Unlink(link), Some(item)));
        }
        self.out.unlinks.extend(out);
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
    pub(super) fn link_name(&self, link: &Link) -> String {
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
