//! Create, update and delete users, teams, roles and permissions.

use super::error::{Error, Result};
use super::{Access, Actor, Service, validate};
use crate::catalog::ADMIN_CATALOG;
use crate::model::{
    ADMIN_TEAM, Id, ObjectKind, Permission, Revision, Role, Team, User, UserKind, new_id, now,
};
use crate::store::{Change, Link, Object, State};
use serde::{Deserialize, Serialize};

/// The editable fields of a user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSpec {
    /// Unique (case-insensitive).
    pub username: String,
    /// Email.
    #[serde(default)]
    pub email: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// Person or service.
    #[serde(default)]
    pub kind: UserKind,
    /// Disabled users are denied everything.
    #[serde(default)]
    pub disabled: bool,
    /// Superuser flag.
    #[serde(default)]
    pub owner: bool,
}

/// The editable fields of a team.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSpec {
    /// Unique slug.
    pub key: String,
    /// Display name (defaults to the key).
    #[serde(default)]
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Role for new members.
    #[serde(default)]
    pub default_role: Option<Id>,
}

/// The editable fields of a role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSpec {
    /// Unique name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

/// The editable fields of a permission.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionSpec {
    /// Catalog name.
    pub catalog: String,
    /// Entity (or `ALL`).
    pub entity: String,
    /// One entity UUID, or every entity.
    #[serde(default)]
    pub entity_uuid: Option<String>,
    /// Granted flags.
    #[serde(default)]
    pub grants: Vec<String>,
    /// Denied flags.
    #[serde(default)]
    pub denies: Vec<String>,
    /// Conditions.
    #[serde(default)]
    pub conditions: Vec<String>,
    /// Mage query attributes.
    #[serde(default)]
    pub query_attributes: Vec<String>,
    /// Mage read attributes.
    #[serde(default)]
    pub read_attributes: Vec<String>,
    /// Mage write attributes.
    #[serde(default)]
    pub write_attributes: Vec<String>,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

impl PermissionSpec {
    /// Builds a (not yet validated) permission with this content.
    pub fn to_permission(&self, id: Id, version: u64) -> Permission {
        let t = now();
        Permission {
            id,
            catalog: self.catalog.clone(),
            entity: self.entity.clone(),
            entity_uuid: self.entity_uuid.clone().filter(|u| !u.is_empty()),
            grants: self.grants.clone(),
            denies: self.denies.clone(),
            conditions: self.conditions.clone(),
            query_attributes: self.query_attributes.clone(),
            read_attributes: self.read_attributes.clone(),
            write_attributes: self.write_attributes.clone(),
            description: self.description.clone(),
            created_at: t,
            updated_at: t,
            version,
        }
    }

    /// The spec of an existing permission.
    pub fn of(p: &Permission) -> PermissionSpec {
        PermissionSpec {
            catalog: p.catalog.clone(),
            entity: p.entity.clone(),
            entity_uuid: p.entity_uuid.clone(),
            grants: p.grants.clone(),
            denies: p.denies.clone(),
            conditions: p.conditions.clone(),
            query_attributes: p.query_attributes.clone(),
            read_attributes: p.read_attributes.clone(),
            write_attributes: p.write_attributes.clone(),
            description: p.description.clone(),
        }
    }
}

fn parse_id(s: &str) -> Option<Id> {
    Id::parse_str(s).ok()
}

/// Finds a user by username (case-insensitive) or id.
pub fn find_user<'a>(state: &'a State, name: &str) -> Result<&'a User> {
    state
        .user_by_name(name)
        .or_else(|| parse_id(name).and_then(|id| state.users.get(&id)))
        .ok_or_else(|| Error::NotFound {
            kind: "user".into(),
            name: name.into(),
            hint: "; list users with `gatehouse users ls`".into(),
        })
}

/// Finds a role by name or id.
pub fn find_role<'a>(state: &'a State, name: &str) -> Result<&'a Role> {
    state
        .role_by_name(name)
        .or_else(|| parse_id(name).and_then(|id| state.roles.get(&id)))
        .ok_or_else(|| Error::NotFound {
            kind: "role".into(),
            name: name.into(),
            hint: "; list roles with `gatehouse roles ls`".into(),
        })
}

/// Finds a team by key or id.
pub fn find_team<'a>(state: &'a State, key: &str) -> Result<&'a Team> {
    state
        .team_by_key(key)
        .or_else(|| parse_id(key).and_then(|id| state.teams.get(&id)))
        .ok_or_else(|| Error::NotFound {
            kind: "team".into(),
            name: key.into(),
            hint: "; list teams with `gatehouse teams ls`".into(),
        })
}

/// Finds a permission by id (or a unique id prefix of at least 8 characters).
pub fn find_permission<'a>(state: &'a State, id: &str) -> Result<&'a Permission> {
    if let Some(p) = parse_id(id).and_then(|id| state.permissions.get(&id)) {
        return Ok(p);
    }
    let not_found = || Error::NotFound {
        kind: "permission".into(),
        name: id.into(),
        hint: "; list permissions with `gatehouse permissions ls` (ids are UUIDs)".into(),
    };
    if id.len() < 8 {
        return Err(not_found());
    }
    let mut hits = state
        .permissions
        .values()
        .filter(|p| p.id.to_string().starts_with(id));
    match (hits.next(), hits.next()) {
        (Some(p), None) => Ok(p),
        (Some(_), Some(_)) => Err(Error::invalid(
            "permission",
            format!("id prefix '{id}' is ambiguous; give more characters"),
        )),
        _ => Err(not_found()),
    }
}

fn describe_links(links: &[Link]) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for l in links {
        *counts
            .entry(match l {
                Link::RolePermission { .. } => "role-permission link(s)",
                Link::UserRole { .. } => "user assignment(s)",
                Link::TeamRole { .. } => "team role(s)",
                Link::Member { .. } => "team membership(s)",
                Link::Grant { .. } => "direct grant(s)",
            })
            .or_default() += 1;
    }
    counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

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

    /// Creates a user.
    pub async fn create_user(&self, actor: &Actor, spec: UserSpec) -> Result<User> {
        self.authorize(actor, Access::Write, "User")?;
        validate::name("username", &spec.username)?;
        validate::text("email", &spec.email)?;
        validate::text("display_name", &spec.display_name)?;
        let snap = self.snapshot();
        if spec.owner {
            self.require_owner_to_grant_owner(actor, &snap.state)?;
        }
        if let Some(u) = snap.state.user_by_name(&spec.username) {
            return Err(Error::Conflict(format!(
                "user '{}' already exists (usernames are case-insensitive); pick another username",
                u.username
            )));
        }
        let t = now();
        let user = User {
            id: new_id(),
            username: spec.username,
            email: spec.email,
            display_name: spec.display_name,
            kind: spec.kind,
            disabled: spec.disabled,
            owner: spec.owner,
            created_at: t,
            updated_at: t,
            version: 1,
        };
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
        validate::name("username", &spec.username)?;
        validate::text("email", &spec.email)?;
        validate::text("display_name", &spec.display_name)?;
        let snap = self.snapshot();
        let old = snap
            .state
            .users
            .get(&id)
            .ok_or_else(|| Error::not_found("user", id.to_string()))?;
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
        if let Some(other) = snap.state.user_by_name(&spec.username)
            && other.id != id
        {
            return Err(Error::Conflict(format!(
                "user '{}' already exists (usernames are case-insensitive)",
                other.username
            )));
        }
        let user = User {
            username: spec.username,
            email: spec.email,
            display_name: spec.display_name,
            kind: spec.kind,
            disabled: spec.disabled,
            owner: spec.owner,
            updated_at: now(),
            version: version + 1,
            ..old.clone()
        };
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
        if old.owner && !old.disabled && !self.other_enabled_owner(&snap.state, id) && !force {
            return Err(Error::Conflict(format!(
                "'{}' is the last enabled owner; make another user owner first, or use --force",
                old.username
            )));
        }
        if actor.user == Some(id) && !force {
            return Err(Error::Conflict(
                "you cannot delete yourself without --force".into(),
            ));
        }
        let links = snap.state.links_to(ObjectKind::User, id);
        let keys = snap.state.keys.values().filter(|k| k.user_id == id).count();
        if (!links.is_empty() || keys > 0) && !force {
            let mut what = describe_links(&links);
            if keys > 0 {
                what = if what.is_empty() {
                    format!("{keys} API key(s)")
                } else {
                    format!("{what}, {keys} API key(s)")
                };
            }
            return Err(Error::Conflict(format!(
                "user '{}' still has {what}; use --force to remove them too",
                old.username
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

    fn check_team(&self, spec: &mut TeamSpec, state: &State) -> Result<()> {
        validate::team_key(&spec.key)?;
        if spec.name.is_empty() {
            spec.name = spec.key.clone();
        }
        validate::name("name", &spec.name)?;
        validate::text("description", &spec.description)?;
        if let Some(r) = spec.default_role
            && !state.roles.contains_key(&r)
        {
            return Err(Error::not_found("role", r.to_string()));
        }
        Ok(())
    }

    /// Creates a team.
    pub async fn create_team(&self, actor: &Actor, mut spec: TeamSpec) -> Result<Team> {
        self.authorize(actor, Access::Write, "Team")?;
        let snap = self.snapshot();
        self.check_team(&mut spec, &snap.state)?;
        if snap.state.team_by_key(&spec.key).is_some() {
            return Err(Error::Conflict(format!(
                "team '{}' already exists; pick another key",
                spec.key
            )));
        }
        let t = now();
        let team = Team {
            id: new_id(),
            key: spec.key,
            name: spec.name,
            description: spec.description,
            default_role: spec.default_role,
            created_at: t,
            updated_at: t,
            version: 1,
        };
        self.commit(actor, vec![Change::Create(Object::Team(team.clone()))])
            .await?;
        Ok(team)
    }

    /// Updates a team whose current version is `version`.
    pub async fn update_team(
        &self,
        actor: &Actor,
        id: Id,
        mut spec: TeamSpec,
        version: u64,
    ) -> Result<Team> {
        self.authorize(actor, Access::Write, "Team")?;
        let snap = self.snapshot();
        self.check_team(&mut spec, &snap.state)?;
        let old = snap
            .state
            .teams
            .get(&id)
            .ok_or_else(|| Error::not_found("team", id.to_string()))?;
        if old.key == ADMIN_TEAM && spec.key != ADMIN_TEAM {
            return Err(Error::invalid(
                "key",
                "the reserved team 'admin' cannot be renamed",
            ));
        }
        if let Some(other) = snap.state.team_by_key(&spec.key)
            && other.id != id
        {
            return Err(Error::Conflict(format!(
                "team '{}' already exists",
                spec.key
            )));
        }
        let team = Team {
            key: spec.key,
            name: spec.name,
            description: spec.description,
            default_role: spec.default_role,
            updated_at: now(),
            version: version + 1,
            ..old.clone()
        };
        self.commit(
            actor,
            vec![Change::Update {
                object: Object::Team(team.clone()),
                expected_version: version,
            }],
        )
        .await?;
        Ok(team)
    }

    /// Deletes a team; with members, roles or grants only when `force`.
    pub async fn delete_team(&self, actor: &Actor, id: Id, force: bool) -> Result<Revision> {
        self.authorize(actor, Access::Write, "Team")?;
        let snap = self.snapshot();
        let old = snap
            .state
            .teams
            .get(&id)
            .ok_or_else(|| Error::not_found("team", id.to_string()))?;
        if old.key == ADMIN_TEAM {
            return Err(Error::invalid(
                "team",
                "the reserved team 'admin' cannot be deleted",
            ));
        }
        let links = snap.state.links_to(ObjectKind::Team, id);
        if !links.is_empty() && !force {
            return Err(Error::Conflict(format!(
                "team '{}' still has {}; use --force to remove them too",
                old.key,
                describe_links(&links)
            )));
        }
        self.commit(
            actor,
            vec![Change::Delete {
                kind: ObjectKind::Team,
                id,
                expected_version: None,
                cascade: force,
            }],
        )
        .await
    }

    /// Creates a role.
    pub async fn create_role(&self, actor: &Actor, spec: RoleSpec) -> Result<Role> {
        self.authorize(actor, Access::Write, "Role")?;
        validate::name("name", &spec.name)?;
        validate::text("description", &spec.description)?;
        if self.snapshot().state.role_by_name(&spec.name).is_some() {
            return Err(Error::Conflict(format!(
                "role '{}' already exists; pick another name",
                spec.name
            )));
        }
        let t = now();
        let role = Role {
            id: new_id(),
            name: spec.name,
            description: spec.description,
            created_at: t,
            updated_at: t,
            version: 1,
        };
        self.commit(actor, vec![Change::Create(Object::Role(role.clone()))])
            .await?;
        Ok(role)
    }

    /// Updates a role whose current version is `version`.
    pub async fn update_role(
        &self,
        actor: &Actor,
        id: Id,
        spec: RoleSpec,
        version: u64,
    ) -> Result<Role> {
        self.authorize(actor, Access::Write, "Role")?;
        validate::name("name", &spec.name)?;
        validate::text("description", &spec.description)?;
        let snap = self.snapshot();
        let old = snap
            .state
            .roles
            .get(&id)
            .ok_or_else(|| Error::not_found("role", id.to_string()))?;
        if let Some(other) = snap.state.role_by_name(&spec.name)
            && other.id != id
        {
            return Err(Error::Conflict(format!(
                "role '{}' already exists",
                spec.name
            )));
        }
        let role = Role {
            name: spec.name,
            description: spec.description,
            updated_at: now(),
            version: version + 1,
            ..old.clone()
        };
        self.commit(
            actor,
            vec![Change::Update {
                object: Object::Role(role.clone()),
                expected_version: version,
            }],
        )
        .await?;
        Ok(role)
    }

    /// Deletes a role; when users, teams or permissions still use it, only with `force`
    /// (the error says how many links would go).
    pub async fn delete_role(&self, actor: &Actor, id: Id, force: bool) -> Result<Revision> {
        self.authorize(actor, Access::Write, "Role")?;
        let snap = self.snapshot();
        let old = snap
            .state
            .roles
            .get(&id)
            .ok_or_else(|| Error::not_found("role", id.to_string()))?;
        let links = snap.state.links_to(ObjectKind::Role, id);
        let defaults = snap
            .state
            .teams
            .values()
            .filter(|t| t.default_role == Some(id))
            .count();
        if (!links.is_empty() || defaults > 0) && !force {
            let mut what = describe_links(&links);
            if defaults > 0 {
                what = if what.is_empty() {
                    format!("{defaults} team default(s)")
                } else {
                    format!("{what}, {defaults} team default(s)")
                };
            }
            return Err(Error::Conflict(format!(
                "role '{}' is still used by {what} ({} link(s) would go); use --force to delete it anyway",
                old.name,
                links.len() + defaults
            )));
        }
        self.commit(
            actor,
            vec![Change::Delete {
                kind: ObjectKind::Role,
                id,
                expected_version: None,
                cascade: force,
            }],
        )
        .await
    }

    /// Creates a permission (validated against its catalog).
    pub async fn create_permission(
        &self,
        actor: &Actor,
        spec: PermissionSpec,
    ) -> Result<Permission> {
        self.authorize(actor, Access::Write, "Permission")?;
        let mut p = spec.to_permission(new_id(), 1);
        validate::permission(&self.catalogs, &mut p)?;
        self.commit(actor, vec![Change::Create(Object::Permission(p.clone()))])
            .await?;
        Ok(p)
    }

    /// Updates a permission whose current version is `version`.
    pub async fn update_permission(
        &self,
        actor: &Actor,
        id: Id,
        spec: PermissionSpec,
        version: u64,
    ) -> Result<Permission> {
        self.authorize(actor, Access::Write, "Permission")?;
        let snap = self.snapshot();
        let old = snap
            .state
            .permissions
            .get(&id)
            .ok_or_else(|| Error::not_found("permission", id.to_string()))?;
        if old.catalog == ADMIN_CATALOG || spec.catalog == ADMIN_CATALOG {
            self.authorize(actor, Access::Write, "RolePermission")?;
        }
        let mut p = spec.to_permission(id, version + 1);
        p.created_at = old.created_at;
        validate::permission(&self.catalogs, &mut p)?;
        self.commit(
            actor,
            vec![Change::Update {
                object: Object::Permission(p.clone()),
                expected_version: version,
            }],
        )
        .await?;
        Ok(p)
    }

    /// Deletes a permission; when roles or principals hold it, only with `force`.
    pub async fn delete_permission(&self, actor: &Actor, id: Id, force: bool) -> Result<Revision> {
        self.authorize(actor, Access::Write, "Permission")?;
        let snap = self.snapshot();
        if !snap.state.permissions.contains_key(&id) {
            return Err(Error::not_found("permission", id.to_string()));
        }
        let links = snap.state.links_to(ObjectKind::Permission, id);
        if !links.is_empty() && !force {
            return Err(Error::Conflict(format!(
                "permission {id} is still held through {}; use --force to delete it anyway",
                describe_links(&links)
            )));
        }
        self.commit(
            actor,
            vec![Change::Delete {
                kind: ObjectKind::Permission,
                id,
                expected_version: None,
                cascade: force,
            }],
        )
        .await
    }
}
