//! Creating, updating and deleting users, with the owner guards (docs/PRODUCT.md §6: the last owner
//! cannot be removed or locked out).

use super::objects::describe;
use super::{Access, Actor, Service, names};
use crate::backend::UserSpec;
use crate::backend::validate;
use crate::backend::{Error, Result};
use crate::model::{Id, ObjectKind, Revision, User, new_id, now};
use crate::policy::{Change, Object, State};

impl Service {
    fn other_enabled_owner(&self, state: &State, except: Id) -> bool {
        state
            .users
            .values()
            .any(|u| u.id != except && u.owner && !u.disabled)
    }

    fn require_owner_to_grant_owner(&self, actor: &Actor, state: &State) -> Result<()> {
        match actor.user {
            None => Ok(()),
            Some(id) if state.users.get(&id).is_some_and(|u| u.owner) => Ok(()),
            _ => Err(Error::Forbidden(format!(
                "only an owner may change the owner flag ({} is not one)",
                actor.name
            ))),
        }
    }

    /// Only an owner acts on an owner (disables, deletes or edits them).
    fn require_owner_for_owner(&self, actor: &Actor, state: &State, target: &User) -> Result<()> {
        if !target.owner || actor.user == Some(target.id) {
            return Ok(());
        }
        self.require_owner_to_grant_owner(actor, state)
            .map_err(|_| {
                Error::Forbidden(format!(
                    "{} may not change or delete '{}': only an owner may act on an owner",
                    actor.name, target.username
                ))
            })
    }

    /// Creates a user.
    pub async fn create_user(&self, actor: &Actor, spec: UserSpec) -> Result<User> {
        self.authorize(actor, Access::Write, "User")?;
        refuse_password(&spec)?;
        validate::name("username", &spec.username)?;
        validate::text("email", &spec.email)?;
        validate::text("display_name", &spec.display_name)?;
        validate::person_names(&spec.first_name, &spec.last_name)?;
        let snap = self.snapshot();
        if spec.owner {
            self.require_owner_to_grant_owner(actor, &snap.state)?;
        }
        if let Some(u) = names::user_like(&snap.state, &spec.username, None) {
            return Err(Error::Conflict(format!(
                "user '{}' already exists (usernames are compared ignoring case and look-alike characters); pick another username",
                u.username
            )));
        }
        let t = now();
        let mut user = User {
            id: new_id(),
            username: spec.username,
            email: spec.email,
            display_name: spec.display_name,
            first_name: spec.first_name,
            last_name: spec.last_name,
            kind: spec.kind,
            disabled: spec.disabled,
            owner: spec.owner,
            created_at: t,
            updated_at: t,
            version: 1,
        };
        user.sync_display_name();
        self.commit(actor, vec![Change::Create(Object::User(user.clone()))])
            .await?;
        Ok(user)
    }

    /// Updates a user whose current version is `version`.
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: Id,
        spec: UserSpec,
        version: u64,
    ) -> Result<User> {
        self.authorize(actor, Access::Write, "User")?;
        refuse_password(&spec)?;
        validate::name("username", &spec.username)?;
        validate::text("email", &spec.email)?;
        validate::text("display_name", &spec.display_name)?;
        validate::person_names(&spec.first_name, &spec.last_name)?;
        let snap = self.snapshot();
        let old = snap
            .state
            .users
            .get(&id)
            .ok_or_else(|| Error::not_found("user", id.to_string()))?;
        self.require_owner_for_owner(actor, &snap.state, old)?;
        if spec.owner != old.owner {
            self.require_owner_to_grant_owner(actor, &snap.state)?;
        }
        if old.owner
            && !old.disabled
            && (!spec.owner || spec.disabled)
            && !self.other_enabled_owner(&snap.state, id)
        {
            return Err(Error::Conflict(format!(
                "'{}' is the last enabled owner; make another user owner first",
                old.username
            )));
        }
        if let Some(other) = names::user_like(&snap.state, &spec.username, Some(id)) {
            return Err(Error::Conflict(format!(
                "user '{}' already exists (usernames are compared ignoring case and look-alike characters)",
                other.username
            )));
        }
        let user = spec.applied_to(old, version);
        self.commit(
            actor,
            vec![Change::Update {
                object: Object::User(user.clone()),
                expected_version: version,
            }],
        )
        .await?;
        Ok(user)
    }

    /// Deletes a user; with links (roles, memberships, grants, keys) only when `force`.
    pub async fn delete_user(&self, actor: &Actor, id: Id, force: bool) -> Result<Revision> {
        self.authorize(actor, Access::Write, "User")?;
        let snap = self.snapshot();
        let old = snap
            .state
            .users
            .get(&id)
            .ok_or_else(|| Error::not_found("user", id.to_string()))?;
        self.require_owner_for_owner(actor, &snap.state, old)?;
        if old.owner && !old.disabled && !self.other_enabled_owner(&snap.state, id) {
            return Err(Error::Conflict(format!(
                "'{}' is the last enabled owner; make another user owner first (--force does not lift this)",
                old.username
            )));
        }
        if actor.user == Some(id) && !force {
            return Err(Error::Conflict(
                "you cannot delete yourself without --force".into(),
            ));
        }
        let deps = snap.state.dependents(ObjectKind::User, id);
        if deps.count() > 0 && !force {
            return Err(Error::Conflict(format!(
                "user '{}' still has {}; use --force to remove them too",
                old.username,
                describe(&deps)
            )));
        }
        self.commit(
            actor,
            vec![Change::Delete {
                kind: ObjectKind::User,
                id,
                expected_version: None,
                cascade: force,
            }],
        )
        .await
    }
}

/// Local users authenticate with API keys: a password given to the local store is refused
/// rather than silently dropped.
fn refuse_password(spec: &UserSpec) -> Result<()> {
    if spec.password.is_some() {
        return Err(Error::invalid(
            "password",
            "gatehouse users have no password; they sign in with API keys (`gatehouse keys create USER`)",
        ));
    }
    Ok(())
}
