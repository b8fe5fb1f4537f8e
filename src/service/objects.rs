//! Create, update and delete teams, roles and permissions.

use super::{Access, Actor, Service, names};
use crate::backend::validate;
use crate::backend::{Error, Result};
use crate::backend::{PermissionSpec, RoleSpec, TeamSpec};
use crate::catalog::ADMIN_CATALOG;
use crate::model::{ADMIN_TEAM, Id, ObjectKind, Permission, Revision, Role, Team, new_id, now};
use crate::policy::{Change, Dependents, Link, Object, State};

/// What still depends on an object, in words: `2 user assignment(s), 1 team default(s)`.
pub(super) fn describe(d: &Dependents) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for l in &d.links {
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
    let mut parts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    if !d.default_of.is_empty() {
        parts.push(format!("{} team default(s)", d.default_of.len()));
    }
    if !d.keys.is_empty() {
        parts.push(format!("{} API key(s)", d.keys.len()));
    }
    parts.join(", ")
}

impl Service {
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
        let deps = snap.state.dependents(ObjectKind::Team, id);
        if deps.count() > 0 && !force {
            return Err(Error::Conflict(format!(
                "team '{}' still has {}; use --force to remove them too",
                old.key,
                describe(&deps)
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
        if let Some(other) = names::role_like(&self.snapshot().state, &spec.name, None) {
            return Err(Error::Conflict(format!(
                "role '{}' already exists (role names are compared ignoring case and look-alike characters); pick another name",
                other.name
            )));
        }
        let t = now();
        let role = Role {
            id: new_id(),
            name: spec.name,
            description: spec.description,
            created_by: actor.user,
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
        if let Some(other) = names::role_like(&snap.state, &spec.name, Some(id)) {
            return Err(Error::Conflict(format!(
                "role '{}' already exists (role names are compared ignoring case and look-alike characters)",
                other.name
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
        let deps = snap.state.dependents(ObjectKind::Role, id);
        if deps.count() > 0 && !force {
            return Err(Error::Conflict(format!(
                "role '{}' is still used by {} ({} link(s) would go); use --force to delete it anyway",
                old.name,
                describe(&deps),
                deps.count()
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
        p.created_by = actor.user;
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
        p.created_by = old.created_by;
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
        let deps = snap.state.dependents(ObjectKind::Permission, id);
        if deps.count() > 0 && !force {
            return Err(Error::Conflict(format!(
                "permission {id} is still held through {}; use --force to delete it anyway",
                describe(&deps)
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
