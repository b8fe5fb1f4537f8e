//! [`State::apply`]: the reference semantics of every [`Change`] — which errors, when, what a
//! cascading delete removes, and the audit [`Effect`]s. Every store must reproduce it.

use super::change::{Change, Link, Object};
use super::error::{ApplyError, ApplyResult};
use super::state::{Effect, State, not_found, username_key};
use crate::model::{Id, ObjectKind, Principal};
use std::collections::HashMap;

impl State {
    fn exists(&self, kind: ObjectKind, id: Id) -> bool {
        match kind {
            ObjectKind::User => self.users.contains_key(&id),
            ObjectKind::Team => self.teams.contains_key(&id),
            ObjectKind::Role => self.roles.contains_key(&id),
            ObjectKind::Permission => self.permissions.contains_key(&id),
            ObjectKind::ApiKey => self.keys.contains_key(&id),
            _ => false,
        }
    }

    fn current(&self, kind: ObjectKind, id: Id) -> Option<Object> {
        match kind {
            ObjectKind::User => self.users.get(&id).cloned().map(Object::User),
            ObjectKind::Team => self.teams.get(&id).cloned().map(Object::Team),
            ObjectKind::Role => self.roles.get(&id).cloned().map(Object::Role),
            ObjectKind::Permission => self.permissions.get(&id).map(Object::Permission),
            ObjectKind::ApiKey => self.keys.get(&id).cloned().map(Object::ApiKey),
            _ => None,
        }
    }

    /// Checks that a unique field of `obj` is free (ignoring `obj` itself).
    fn check_unique(&self, obj: &Object) -> ApplyResult<()> {
        let taken = |map: &HashMap<String, Id>, key: String, field: &'static str, kind| match map
            .get(&key)
        {
            Some(&other) if other != obj.id() => Err(ApplyError::Duplicate {
                kind,
                field,
                value: key,
            }),
            _ => Ok(()),
        };
        match obj {
            Object::User(u) => taken(
                &self.names.usernames,
                username_key(&u.username),
                "username",
                ObjectKind::User,
            ),
            Object::Role(r) => taken(&self.names.roles, r.name.clone(), "name", ObjectKind::Role),
            Object::Team(t) => taken(&self.names.teams, t.key.clone(), "key", ObjectKind::Team),
            Object::ApiKey(k) => taken(
                &self.names.key_hashes,
                k.hash.clone(),
                "hash",
                ObjectKind::ApiKey,
            ),
            Object::Permission(_) => Ok(()),
        }
    }

    /// Checks the references an object holds (team default role, key owner).
    fn check_refs(&self, obj: &Object) -> ApplyResult<()> {
        match obj {
            Object::Team(t) => match t.default_role {
                Some(r) if !self.roles.contains_key(&r) => Err(not_found(ObjectKind::Role, r)),
                _ => Ok(()),
            },
            Object::ApiKey(k) if !self.users.contains_key(&k.user_id) => {
                Err(not_found(ObjectKind::User, k.user_id))
            }
            _ => Ok(()),
        }
    }

    fn put(&mut self, obj: Object) {
        if let Some(old) = self.current(obj.kind(), obj.id()) {
            self.unname(&old);
        }
        match obj {
            Object::User(u) => {
                self.names.usernames.insert(username_key(&u.username), u.id);
                self.users.insert(u.id, u);
            }
            Object::Team(t) => {
                self.names.teams.insert(t.key.clone(), t.id);
                self.teams.insert(t.id, t);
            }
            Object::Role(r) => {
                self.names.roles.insert(r.name.clone(), r.id);
                self.roles.insert(r.id, r);
            }
            Object::Permission(p) => {
                self.permissions.insert(&p);
            }
            Object::ApiKey(k) => {
                self.names.key_hashes.insert(k.hash.clone(), k.id);
                self.keys.insert(k.id, k);
            }
        }
    }

    fn unname(&mut self, obj: &Object) {
        match obj {
            Object::User(u) => {
                self.names.usernames.remove(&username_key(&u.username));
            }
            Object::Team(t) => {
                self.names.teams.remove(&t.key);
            }
            Object::Role(r) => {
                self.names.roles.remove(&r.name);
            }
            Object::ApiKey(k) => {
                self.names.key_hashes.remove(&k.hash);
            }
            Object::Permission(_) => {}
        }
    }

    fn remove(&mut self, kind: ObjectKind, id: Id) -> Option<Object> {
        let old = self.current(kind, id)?;
        self.unname(&old);
        match kind {
            ObjectKind::User => {
                self.users.remove(&id);
            }
            ObjectKind::Team => {
                self.teams.remove(&id);
            }
            ObjectKind::Role => {
                self.roles.remove(&id);
            }
            ObjectKind::Permission => {
                self.permissions.remove(&id);
            }
            ObjectKind::ApiKey => {
                self.keys.remove(&id);
            }
            _ => {}
        }
        Some(old)
    }

    fn check_link_ends(&self, link: &Link) -> ApplyResult<()> {
        let need = |kind, id| {
            if self.exists(kind, id) {
                Ok(())
            } else {
                Err(not_found(kind, id))
            }
        };
        match *link {
            Link::RolePermission { role, permission } => {
                need(ObjectKind::Role, role)?;
                need(ObjectKind::Permission, permission)
            }
            Link::UserRole { user, role } => {
                need(ObjectKind::User, user)?;
                need(ObjectKind::Role, role)
            }
            Link::TeamRole { team, role } => {
                need(ObjectKind::Team, team)?;
                need(ObjectKind::Role, role)
            }
            Link::Member { team, user, role } => {
                need(ObjectKind::Team, team)?;
                need(ObjectKind::User, user)?;
                match role {
                    Some(r) => need(ObjectKind::Role, r),
                    None => Ok(()),
                }
            }
            Link::Grant {
                principal,
                permission,
            } => {
                match principal {
                    Principal::User(u) => need(ObjectKind::User, u)?,
                    Principal::Team(t) => need(ObjectKind::Team, t)?,
                }
                need(ObjectKind::Permission, permission)
            }
        }
    }

    /// Removes a link that exists; returns the link as it was stored.
    fn drop_link(&mut self, link: &Link) -> Link {
        self.expiries.remove(link);
        match *link {
            Link::RolePermission { role, permission } => {
                self.role_permissions.remove(&(role, permission));
                *link
            }
            Link::UserRole { user, role } => {
                self.user_roles.remove(&(user, role));
                *link
            }
            Link::TeamRole { team, role } => {
                self.team_roles.remove(&(team, role));
                *link
            }
            Link::Member { team, user, .. } => {
                let role = self.members.remove(&(team, user)).flatten();
                Link::Member { team, user, role }
            }
            Link::Grant {
                principal,
                permission,
            } => {
                self.grants.remove(&(principal, permission));
                *link
            }
        }
    }

    /// The relation as stored (a membership with its current role); it must exist.
    fn stored_link(&self, link: &Link) -> Link {
        match *link {
            Link::Member { team, user, .. } => Link::Member {
                team,
                user,
                role: self.members.get(&(team, user)).copied().flatten(),
            },
            other => other,
        }
    }

    fn add_link(&mut self, link: &Link) {
        match *link {
            Link::RolePermission { role, permission } => {
                self.role_permissions.insert((role, permission));
            }
            Link::UserRole { user, role } => {
                self.user_roles.insert((user, role));
            }
            Link::TeamRole { team, role } => {
                self.team_roles.insert((team, role));
            }
            Link::Member { team, user, role } => {
                self.members.insert((team, user), role);
            }
            Link::Grant {
                principal,
                permission,
            } => {
                self.grants.insert((principal, permission));
            }
        }
    }

    /// Applies one change, or fails and changes nothing. Returns what happened, for the audit
    /// log (a cascading delete reports each removed link, then the delete).
    pub fn apply(&mut self, change: &Change) -> ApplyResult<Vec<Effect>> {
        match change {
            Change::Create(obj) => {
                if self.exists(obj.kind(), obj.id()) {
                    return Err(ApplyError::Duplicate {
                        kind: obj.kind(),
                        field: "id",
                        value: obj.id().to_string(),
                    });
                }
                self.check_unique(obj)?;
                self.check_refs(obj)?;
                self.put(obj.clone());
                Ok(vec![Effect {
                    action: "create",
                    kind: obj.kind(),
                    object_id: obj.id().to_string(),
                    before: serde_json::Value::Null,
                    after: obj.to_json(),
                }])
            }
            Change::Update {
                object,
                expected_version,
            } => {
                let old = self
                    .current(object.kind(), object.id())
                    .ok_or_else(|| not_found(object.kind(), object.id()))?;
                if old.version() != *expected_version {
                    return Err(ApplyError::Conflict {
                        kind: object.kind(),
                        id: object.id().to_string(),
                        expected: *expected_version,
                        actual: old.version(),
                    });
                }
                self.check_unique(object)?;
                self.check_refs(object)?;
                self.put(object.clone());
                Ok(vec![Effect {
                    action: "update",
                    kind: object.kind(),
                    object_id: object.id().to_string(),
                    before: old.to_json(),
                    after: object.to_json(),
                }])
            }
            Change::Delete {
                kind,
                id,
                expected_version,
                cascade,
            } => {
                let old = self
                    .current(*kind, *id)
                    .ok_or_else(|| not_found(*kind, id))?;
                if let Some(v) = expected_version
                    && old.version() != *v
                {
                    return Err(ApplyError::Conflict {
                        kind: *kind,
                        id: id.to_string(),
                        expected: *v,
                        actual: old.version(),
                    });
                }
                let super::state::Dependents {
                    links,
                    default_of: defaults,
                    keys,
                } = self.dependents(*kind, *id);
                let in_use = (links.len() + defaults.len() + keys.len()) as u64;
                if in_use > 0 && !cascade {
                    return Err(ApplyError::InUse {
                        kind: *kind,
                        id: id.to_string(),
                        links: in_use,
                    });
                }
                let mut effects = Vec::new();
                for link in &links {
                    let ends = self.expiries.get(link);
                    let stored = self.drop_link(link);
                    effects.push(Effect {
                        action: "unlink",
                        kind: link.kind(),
                        object_id: link.object_id(),
                        before: link_json(&stored, ends),
                        after: serde_json::Value::Null,
                    });
                    // A membership loses only its role when that role is deleted.
                    if let (ObjectKind::Role, Link::Member { team, user, .. }) = (kind, link) {
                        let kept = Link::Member {
                            team: *team,
                            user: *user,
                            role: None,
                        };
                        self.add_link(&kept);
                        self.expiries.set(&kept, ends);
                        effects.push(Effect {
                            action: "link",
                            kind: ObjectKind::TeamMember,
                            object_id: kept.object_id(),
                            before: serde_json::Value::Null,
                            after: kept.to_json(),
                        });
                    }
                }
                for team_id in defaults {
                    if let Some(mut team) = self.teams.get(&team_id).cloned() {
                        let before = Object::Team(team.clone()).to_json();
                        team.default_role = None;
                        team.version += 1;
                        let after = Object::Team(team.clone()).to_json();
                        self.teams.insert(team_id, team);
                        effects.push(Effect {
                            action: "update",
                            kind: ObjectKind::Team,
                            object_id: team_id.to_string(),
                            before,
                            after,
                        });
                    }
                }
                for key_id in keys {
                    if let Some(k) = self.remove(ObjectKind::ApiKey, key_id) {
                        effects.push(Effect {
                            action: "delete",
                            kind: ObjectKind::ApiKey,
                            object_id: key_id.to_string(),
                            before: k.to_json(),
                            after: serde_json::Value::Null,
                        });
                    }
                }
                self.remove(*kind, *id);
                effects.push(Effect {
                    action: "delete",
                    kind: *kind,
                    object_id: id.to_string(),
                    before: old.to_json(),
                    after: serde_json::Value::Null,
                });
                Ok(effects)
            }
            Change::Link(link) => {
                self.check_link_ends(link)?;
                let before = if self.link_exists(link) {
                    match link {
                        Link::Member { team, user, .. } => Link::Member {
                            team: *team,
                            user: *user,
                            role: self.members.get(&(*team, *user)).copied().flatten(),
                        }
                        .to_json(),
                        _ => {
                            return Err(ApplyError::Duplicate {
                                kind: link.kind(),
                                field: "link",
                                value: link.object_id(),
                            });
                        }
                    }
                } else {
                    serde_json::Value::Null
                };
                self.add_link(link);
                Ok(vec![Effect {
                    action: "link",
                    kind: link.kind(),
                    object_id: link.object_id(),
                    before,
                    after: link.to_json(),
                }])
            }
            Change::Unlink(link) => {
                if !self.link_exists(link) {
                    return Err(not_found(link.kind(), link.object_id()));
                }
                let ends = self.expiries.get(link);
                let stored = self.drop_link(link);
                Ok(vec![Effect {
                    action: "unlink",
                    kind: link.kind(),
                    object_id: link.object_id(),
                    before: link_json(&stored, ends),
                    after: serde_json::Value::Null,
                }])
            }
            Change::Expire { link, expires_at } => {
                if !link.may_expire() {
                    return Err(no_end(link));
                }
                if !self.link_exists(link) {
                    return Err(not_found(link.kind(), link.object_id()));
                }
                let stored = self.stored_link(link);
                let before = link_json(&stored, self.expiries.get(link));
                self.expiries.set(link, *expires_at);
                Ok(vec![Effect {
                    action: "set_expiry",
                    kind: link.kind(),
                    object_id: link.object_id(),
                    before,
                    after: link_json(&stored, *expires_at),
                }])
            }
            Change::Expired(link) => {
                if !self.link_exists(link) {
                    return Err(not_found(link.kind(), link.object_id()));
                }
                let Some(ends) = self.expiries.get(link) else {
                    return Err(no_end(link));
                };
                let stored = self.drop_link(link);
                Ok(vec![Effect {
                    action: "expire",
                    kind: link.kind(),
                    object_id: link.object_id(),
                    before: link_json(&stored, Some(ends)),
                    after: serde_json::Value::Null,
                }])
            }
        }
    }

    /// Applies changes a store has already committed, in place (no copy). On an error the
    /// state may be partly changed: the caller must reload it from the store.
    pub fn apply_committed(&mut self, changes: &[Change]) -> ApplyResult<()> {
        for c in changes {
            self.apply(c)?;
        }
        Ok(())
    }

    /// Applies a whole commit atomically: on any error the state is left exactly as it was.
    /// Bumps the revision once when anything changed.
    pub fn apply_all(&mut self, changes: &[Change]) -> ApplyResult<Vec<Effect>> {
        let mut scratch = self.clone();
        let mut effects = Vec::new();
        for c in changes {
            effects.extend(scratch.apply(c)?);
        }
        if !changes.is_empty() {
            scratch.revision += 1;
        }
        *self = scratch;
        Ok(effects)
    }
}

fn no_end(link: &Link) -> ApplyError {
    ApplyError::NoEnd {
        kind: link.kind(),
        id: link.object_id(),
    }
}

/// A link as audit records hold it: its ids and, when it has one, its end.
pub(crate) fn link_json(link: &Link, ends: Option<time::OffsetDateTime>) -> serde_json::Value {
    let mut v = link.to_json();
    if let (serde_json::Value::Object(m), Some(t)) = (&mut v, ends)
        && let Ok(text) = t.format(&time::format_description::well_known::Rfc3339)
    {
        m.insert("expires_at".into(), serde_json::Value::String(text));
    }
    v
}
