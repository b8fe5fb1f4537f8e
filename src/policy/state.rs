//! [`State`]: everything a store holds but the audit log, in memory. The service keeps one to
//! answer reads and build the engine index; [`State::apply`] is also the reference semantics
//! every store implementation must reproduce (the conformance suite compares them); it lives
//! in `apply.rs`.

use super::change::Link;
use super::error::ApplyError;
use super::expiry::Expiries;
use super::pairs::PairSet;
use super::perms::Permissions;
use crate::model::{ApiKey, Id, ObjectKind, Principal, Revision, Role, Team, User};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The current content of a store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The revision this state reflects.
    pub revision: Revision,
    /// Users by id.
    pub users: BTreeMap<Id, User>,
    /// Teams by id.
    pub teams: BTreeMap<Id, Team>,
    /// Roles by id.
    pub roles: BTreeMap<Id, Role>,
    /// Permissions by id.
    pub permissions: Permissions,
    /// API key records by id.
    pub keys: BTreeMap<Id, ApiKey>,
    /// (role, permission)
    pub role_permissions: PairSet,
    /// (user, role)
    pub user_roles: BTreeSet<(Id, Id)>,
    /// (team, role)
    pub team_roles: BTreeSet<(Id, Id)>,
    /// (team, user) → membership role
    pub members: BTreeMap<(Id, Id), Option<Id>>,
    /// (principal, permission)
    pub grants: BTreeSet<(Principal, Id)>,
    /// When relations end (only those that do).
    #[serde(default)]
    pub expiries: Expiries,
    #[serde(skip)]
    pub(crate) names: NameIndex,
}

/// Derived lookups by unique name, kept in step with the maps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NameIndex {
    pub(super) usernames: HashMap<String, Id>,
    pub(super) roles: HashMap<String, Id>,
    pub(super) teams: HashMap<String, Id>,
    pub(super) key_hashes: HashMap<String, Id>,
}

/// What one applied change did, for the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    /// `create`, `update`, `delete`, `link`, `unlink`, `set_expiry` (a relation's end set or
    /// cleared), `expire` (a relation removed by the cleanup once its end passed).
    pub action: &'static str,
    /// Kind of object.
    pub kind: ObjectKind,
    /// Object id (`a/b` for links).
    pub object_id: String,
    /// Before (JSON, `null` on create/link).
    pub before: serde_json::Value,
    /// After (JSON, `null` on delete/unlink).
    pub after: serde_json::Value,
}

/// What still refers to an object (see [`State::dependents`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependents {
    /// Links to the object.
    pub links: Vec<Link>,
    /// Teams whose default role it is.
    pub default_of: Vec<Id>,
    /// API keys of the user.
    pub keys: Vec<Id>,
}

impl Dependents {
    /// How many things a cascading delete removes or changes.
    pub fn count(&self) -> usize {
        self.links.len() + self.default_of.len() + self.keys.len()
    }
}

/// Lowercases a username for uniqueness checks.
pub fn username_key(name: &str) -> String {
    name.to_lowercase()
}

pub(super) fn not_found(kind: ObjectKind, id: impl ToString) -> ApplyError {
    ApplyError::NotFound {
        kind,
        id: id.to_string(),
    }
}

impl State {
    /// Rebuilds the derived name lookups (call after filling the maps directly).
    pub fn reindex(&mut self) {
        let mut n = NameIndex::default();
        // Sized up front: 100k usernames would otherwise be rehashed as the maps grow.
        n.usernames.reserve(self.users.len());
        n.roles.reserve(self.roles.len());
        n.teams.reserve(self.teams.len());
        n.key_hashes.reserve(self.keys.len());
        for u in self.users.values() {
            n.usernames.insert(username_key(&u.username), u.id);
        }
        for r in self.roles.values() {
            n.roles.insert(r.name.clone(), r.id);
        }
        for t in self.teams.values() {
            n.teams.insert(t.key.clone(), t.id);
        }
        for k in self.keys.values() {
            n.key_hashes.insert(k.hash.clone(), k.id);
        }
        self.names = n;
    }

    /// The user with this username (case-insensitive).
    pub fn user_by_name(&self, username: &str) -> Option<&User> {
        self.names
            .usernames
            .get(&username_key(username))
            .and_then(|id| self.users.get(id))
    }

    /// The role with this exact name.
    pub fn role_by_name(&self, name: &str) -> Option<&Role> {
        self.names.roles.get(name).and_then(|id| self.roles.get(id))
    }

    /// The team with this key.
    pub fn team_by_key(&self, key: &str) -> Option<&Team> {
        self.names.teams.get(key).and_then(|id| self.teams.get(id))
    }

    /// The API key record with this secret hash.
    pub fn key_by_hash(&self, hash: &str) -> Option<&ApiKey> {
        self.names
            .key_hashes
            .get(hash)
            .and_then(|id| self.keys.get(id))
    }

    /// Number of links that point at an object (what a cascading delete removes).
    pub fn links_to(&self, kind: ObjectKind, id: Id) -> Vec<Link> {
        let mut out = Vec::new();
        match kind {
            ObjectKind::User => {
                for &(u, r) in self.user_roles.range((id, Id::nil())..) {
                    if u != id {
                        break;
                    }
                    out.push(Link::UserRole { user: u, role: r });
                }
                for (&(t, u), &r) in &self.members {
                    if u == id {
                        out.push(Link::Member {
                            team: t,
                            user: u,
                            role: r,
                        });
                    }
                }
                self.grant_links(Principal::User(id), &mut out);
            }
            ObjectKind::Team => {
                for &(t, r) in self.team_roles.range((id, Id::nil())..) {
                    if t != id {
                        break;
                    }
                    out.push(Link::TeamRole { team: t, role: r });
                }
                for (&(t, u), &r) in self.members.range((id, Id::nil())..) {
                    if t != id {
                        break;
                    }
                    out.push(Link::Member {
                        team: t,
                        user: u,
                        role: r,
                    });
                }
                self.grant_links(Principal::Team(id), &mut out);
            }
            ObjectKind::Role => {
                for &(r, p) in self.role_permissions.range((id, Id::nil())..) {
                    if r != id {
                        break;
                    }
                    out.push(Link::RolePermission {
                        role: r,
                        permission: p,
                    });
                }
                for &(u, r) in &self.user_roles {
                    if r == id {
                        out.push(Link::UserRole { user: u, role: r });
                    }
                }
                for &(t, r) in &self.team_roles {
                    if r == id {
                        out.push(Link::TeamRole { team: t, role: r });
                    }
                }
                // A membership that holds this role keeps the membership; only the role goes.
                for (&(t, u), &r) in &self.members {
                    if r == Some(id) {
                        out.push(Link::Member {
                            team: t,
                            user: u,
                            role: r,
                        });
                    }
                }
            }
            ObjectKind::Permission => {
                for &(r, p) in &self.role_permissions {
                    if p == id {
                        out.push(Link::RolePermission {
                            role: r,
                            permission: p,
                        });
                    }
                }
                for &(pr, p) in &self.grants {
                    if p == id {
                        out.push(Link::Grant {
                            principal: pr,
                            permission: p,
                        });
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// The version of an object (users, teams, roles, permissions).
    pub fn version_of(&self, kind: ObjectKind, id: Id) -> Option<u64> {
        match kind {
            ObjectKind::User => self.users.get(&id).map(|x| x.version),
            ObjectKind::Team => self.teams.get(&id).map(|x| x.version),
            ObjectKind::Role => self.roles.get(&id).map(|x| x.version),
            ObjectKind::Permission => self.permissions.view(&id).map(|x| x.version()),
            _ => None,
        }
    }

    /// `link` as adding it means: a new membership named without a role gets the team's
    /// default role (the service adds it so, and a what-if must count what it gives).
    pub fn with_default_role(&self, link: Link) -> Link {
        match link {
            Link::Member {
                team,
                user,
                role: None,
            } if !self.members.contains_key(&(team, user)) => Link::Member {
                team,
                user,
                role: self.teams.get(&team).and_then(|t| t.default_role),
            },
            other => other,
        }
    }

    /// True when the relation is stored (a membership counts whatever its role).
    pub fn link_exists(&self, link: &Link) -> bool {
        match *link {
            Link::RolePermission { role, permission } => {
                self.role_permissions.contains(&(role, permission))
            }
            Link::UserRole { user, role } => self.user_roles.contains(&(user, role)),
            Link::TeamRole { team, role } => self.team_roles.contains(&(team, role)),
            Link::Member { team, user, .. } => self.members.contains_key(&(team, user)),
            Link::Grant {
                principal,
                permission,
            } => self.grants.contains(&(principal, permission)),
        }
    }

    /// Everything a delete of the object would remove with it: its links, the teams that use
    /// it (a role) as their default role, and its API keys (a user).
    pub fn dependents(&self, kind: ObjectKind, id: Id) -> Dependents {
        Dependents {
            links: self.links_to(kind, id),
            default_of: if kind == ObjectKind::Role {
                self.teams
                    .values()
                    .filter(|t| t.default_role == Some(id))
                    .map(|t| t.id)
                    .collect()
            } else {
                Vec::new()
            },
            keys: if kind == ObjectKind::User {
                self.keys
                    .values()
                    .filter(|k| k.user_id == id)
                    .map(|k| k.id)
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    fn grant_links(&self, principal: Principal, out: &mut Vec<Link>) {
        for &(pr, p) in self.grants.range((principal, Id::nil())..) {
            if pr != principal {
                break;
            }
            out.push(Link::Grant {
                principal: pr,
                permission: p,
            });
        }
    }
}
