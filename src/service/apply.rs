//! `gatehouse apply`: a plan's changes ([`crate::backend::plan`]) committed as one store
//! transaction, at the revision the plan was computed from. The changes come from a client
//! (over HTTP, from anyone holding a key), so each is authorized by kind, validated as the
//! single-object writes validate, and the whole list goes through the guard
//! ([`Service::commit_based`]).

use super::links::link_entity;
use super::{Access, Actor, Service, names};
use crate::backend::{Error, Result, validate};
use crate::catalog::ADMIN_CATALOG;
use crate::model::{ObjectKind, Revision};
use crate::policy::{Change, Object, State};
use std::collections::BTreeSet;

/// The admin entity that guards an object kind (`None`: apply may not write it).
fn kind_entity(kind: ObjectKind) -> Option<&'static str> {
    match kind {
        ObjectKind::User => Some("User"),
        ObjectKind::Team => Some("Team"),
        ObjectKind::Role => Some("Role"),
        ObjectKind::Permission => Some("Permission"),
        _ => None,
    }
}

/// Refuses what a plan never holds (API keys: they are made with their secret, by `keys`).
fn refused(kind: ObjectKind) -> Error {
    Error::invalid(
        "changes",
        format!("apply does not write {kind} objects; a plan never holds them"),
    )
}

/// The admin entities `changes` write (for [`Service::authorize`]).
fn entities(changes: &[Change]) -> Result<BTreeSet<&'static str>> {
    let mut out = BTreeSet::new();
    for c in changes {
        let kind = match c {
            Change::Create(o) | Change::Update { object: o, .. } => {
                if let Object::Permission(p) = o
                    && p.catalog == ADMIN_CATALOG
                {
                    // As `update_permission`: rights on the admin catalog are links' business.
                    out.insert("RolePermission");
                }
                o.kind()
            }
            Change::Delete { kind, .. } => *kind,
            Change::Expired(_) => {
                return Err(Error::invalid(
                    "changes",
                    "a plan never removes relations as ended; `gatehouse prune-expired` does",
                ));
            }
            Change::Link(l) | Change::Unlink(l) | Change::Expire { link: l, .. } => {
                out.insert(link_entity(l));
                continue;
            }
        };
        out.insert(kind_entity(kind).ok_or_else(|| refused(kind))?);
    }
    Ok(out)
}

/// What a client may not choose (the changes come over the wire): a created object's version
/// (1) and creator (the actor), an updated one's version (`expected_version + 1`), creation
/// time and creator (the stored ones).
fn stamp(state: &State, actor: &Actor, c: &mut Change) {
    match c {
        Change::Create(o) => match o {
            Object::User(u) => u.version = 1,
            Object::Team(t) => t.version = 1,
            Object::Role(r) => {
                r.version = 1;
                r.created_by = actor.user;
            }
            Object::Permission(p) => {
                p.version = 1;
                p.created_by = actor.user;
            }
            Object::ApiKey(_) => {}
        },
        Change::Update {
            object,
            expected_version,
        } => {
            let next = expected_version.saturating_add(1);
            match object {
                Object::User(u) => {
                    u.version = next;
                    if let Some(old) = state.users.get(&u.id) {
                        u.created_at = old.created_at;
                    }
                }
                Object::Team(t) => {
                    t.version = next;
                    if let Some(old) = state.teams.get(&t.id) {
                        t.created_at = old.created_at;
                    }
                }
                Object::Role(r) => {
                    r.version = next;
                    if let Some(old) = state.roles.get(&r.id) {
                        r.created_at = old.created_at;
                        r.created_by = old.created_by;
                    }
                }
                Object::Permission(p) => {
                    p.version = next;
                    if let Some(old) = state.permissions.get(&p.id) {
                        p.created_at = old.created_at;
                        p.created_by = old.created_by;
                    }
                }
                Object::ApiKey(_) => {}
            }
        }
        _ => {}
    }
}

impl Service {
    /// Commits `changes` (a plan's, in its order) as `actor` in one transaction: all or
    /// nothing. With `Some(base)`, only if the store is still at that revision (else
    /// [`Error::Stale`]); `None` applies over whatever is there (`--force`).
    pub async fn apply_changes(
        &self,
        actor: &Actor,
        mut changes: Vec<Change>,
        base: Option<Revision>,
    ) -> Result<Revision> {
        for e in entities(&changes)? {
            self.authorize(actor, Access::Write, e)?;
        }
        let snap = self.snapshot();
        for (i, c) in changes.iter_mut().enumerate() {
            stamp(&snap.state, actor, c);
            self.check_change(&snap.state, c).map_err(|e| match e {
                Error::Invalid { field, message } => {
                    Error::invalid(format!("changes[{i}].{field}"), message)
                }
                other => other,
            })?;
        }
        self.commit_based(actor, changes, base).await
    }

    /// Validates a created or updated object as the single-object writes do (a permission is
    /// also normalized against its catalog).
    fn check_change(&self, state: &State, c: &mut Change) -> Result<()> {
        let (object, update) = match c {
            Change::Create(o) => (o, false),
            Change::Update { object, .. } => (object, true),
            Change::Expire { link, expires_at } => {
                *expires_at = expires_at.map(crate::model::to_micros);
                return super::expiry::check_end(link, *expires_at);
            }
            _ => return Ok(()),
        };
        match object {
            Object::User(u) => {
                validate::name("username", &u.username)?;
                validate::text("email", &u.email)?;
                validate::text("display_name", &u.display_name)?;
                validate::person_names(&u.first_name, &u.last_name)?;
                if let Some(o) = names::user_like(state, &u.username, update.then_some(u.id)) {
                    return Err(Error::Conflict(format!(
                        "user '{}' already exists (usernames are compared ignoring case and look-alike characters)",
                        o.username
                    )));
                }
            }
            Object::Role(r) => {
                validate::name("name", &r.name)?;
                validate::text("description", &r.description)?;
                if let Some(o) = names::role_like(state, &r.name, update.then_some(r.id)) {
                    return Err(Error::Conflict(format!(
                        "role '{}' already exists (role names are compared ignoring case and look-alike characters)",
                        o.name
                    )));
                }
            }
            Object::Team(t) => {
                validate::team_key(&t.key)?;
                validate::name("name", &t.name)?;
                validate::text("description", &t.description)?;
            }
            Object::Permission(p) => validate::permission(&self.catalogs, p)?,
            Object::ApiKey(_) => return Err(refused(ObjectKind::ApiKey)),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::service;
    use super::*;
    use crate::model::{ApiKey, Role, new_id, now};

    #[tokio::test]
    async fn api_keys_are_refused_and_what_a_client_may_not_choose_is_set() {
        let (svc, root) = service().await;
        let rev = svc.snapshot().state.revision;
        let t = now();
        let key = ApiKey {
            id: new_id(),
            prefix: "ghk_x".into(),
            hash: "00".into(),
            user_id: root.user.unwrap_or_default(),
            read_only: false,
            expires_at: None,
            created_at: t,
            last_used_at: None,
            revoked_at: None,
            version: 1,
        };
        let err = svc
            .apply_changes(&root, vec![Change::Create(Object::ApiKey(key))], None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
        assert_eq!(svc.snapshot().state.revision, rev);
        let role = Role {
            id: new_id(),
            name: "stamped".into(),
            description: String::new(),
            created_by: Some(new_id()),
            created_at: t,
            updated_at: t,
            version: 40,
        };
        svc.apply_changes(&root, vec![Change::Create(Object::Role(role))], Some(rev))
            .await
            .unwrap();
        let snap = svc.snapshot();
        let stored = snap.state.role_by_name("stamped").unwrap();
        assert_eq!((stored.version, stored.created_by), (1, root.user));
        // At a revision that is no longer current: stale, nothing written.
        let err = svc
            .apply_changes(
                &root,
                vec![Change::Create(Object::Role(Role {
                    id: new_id(),
                    name: "late".into(),
                    ..stored.clone()
                }))],
                Some(rev),
            )
            .await
            .unwrap_err();
        assert!(err.is_stale(), "{err:?}");
        assert!(svc.snapshot().state.role_by_name("late").is_none());
    }
}
