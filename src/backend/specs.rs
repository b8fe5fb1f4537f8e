//! The editable fields of each object, and lookups of objects by name or id.

use super::error::{Error, Result};
use crate::catalog::Catalogs;
use crate::model::{Id, Permission, Role, Team, User, UserKind, now};
use crate::policy::State;
use serde::{Deserialize, Serialize};

/// The editable fields of a user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// Unique (case-insensitive).
    pub username: String,
    /// Email.
    #[serde(default)]
    pub email: String,
    /// Display name: free text when first and last name are empty; otherwise it follows them
    /// ([`User::join_names`]) and what is written here is not kept.
    #[serde(default)]
    pub display_name: String,
    /// Given name (Mage's `first_name`).
    #[serde(default)]
    pub first_name: String,
    /// Family name (Mage's `last_name`).
    #[serde(default)]
    pub last_name: String,
    /// Person or service.
    #[serde(default)]
    pub kind: UserKind,
    /// Disabled users are denied everything.
    #[serde(default)]
    pub disabled: bool,
    /// Superuser flag.
    #[serde(default)]
    pub owner: bool,
    /// A login password, for backends whose users log in with one (Mage). Never serialized;
    /// the local store refuses it (its users authenticate with API keys).
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<String>)]
    pub password: Option<Password>,
}

/// A password in transit: its `Debug` never shows it.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl UserSpec {
    /// The user `old` with this spec's fields, at `version + 1` (the version it was read at,
    /// plus one) and updated now: what an update writes, and what a dry run or the console's
    /// save check weighs.
    pub fn applied_to(&self, old: &User, version: u64) -> User {
        let mut user = User {
            username: self.username.clone(),
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            kind: self.kind,
            disabled: self.disabled,
            owner: self.owner,
            updated_at: now(),
            version: version + 1,
            ..old.clone()
        };
        user.sync_display_name();
        user
    }

    /// The spec of an existing user.
    pub fn of(u: &User) -> UserSpec {
        UserSpec {
            username: u.username.clone(),
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            kind: u.kind,
            disabled: u.disabled,
            owner: u.owner,
            password: None,
        }
    }
}

/// The editable fields of a team.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
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
    #[schema(value_type = Option<uuid::Uuid>)]
    pub default_role: Option<Id>,
}

impl TeamSpec {
    /// The spec of an existing team.
    pub fn of(t: &Team) -> TeamSpec {
        TeamSpec {
            key: t.key.clone(),
            name: t.name.clone(),
            description: t.description.clone(),
            default_role: t.default_role,
        }
    }
}

/// The editable fields of a role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    /// Unique name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

impl RoleSpec {
    /// The spec of an existing role.
    pub fn of(r: &Role) -> RoleSpec {
        RoleSpec {
            name: r.name.clone(),
            description: r.description.clone(),
        }
    }
}

/// The editable fields of a permission.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionSpec {
    /// Catalog name.
    pub catalog: String,
    /// Entity (or `ALL`).
    pub entity: String,
    /// One entity UUID, or every entity when absent (`None`). An empty one is refused, not
    /// read as "every entity": a form maps its empty box to `None` itself.
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
    /// Mage's `entity_type` (Mage catalogs only).
    #[serde(default)]
    pub entity_type: Option<String>,
    /// Mage's scope, its `entity` column (Mage catalogs only).
    #[serde(default)]
    pub scope: Option<String>,
}

impl PermissionSpec {
    /// Builds a (not yet validated) permission with this content.
    pub fn to_permission(&self, id: Id, version: u64) -> Permission {
        let t = now();
        Permission {
            id,
            catalog: self.catalog.clone(),
            entity: self.entity.clone(),
            // As given: an empty one is refused by validation, never widened to every entity.
            entity_uuid: self.entity_uuid.clone(),
            grants: self.grants.clone(),
            denies: self.denies.clone(),
            conditions: self.conditions.clone(),
            query_attributes: self.query_attributes.clone(),
            read_attributes: self.read_attributes.clone(),
            write_attributes: self.write_attributes.clone(),
            description: self.description.clone(),
            entity_type: self.entity_type.clone(),
            scope: self.scope.clone(),
            created_by: None,
            created_at: t,
            updated_at: t,
            version,
        }
    }

    /// What choosing conditions does, the same in the CLI and the console: on a catalog whose
    /// conditions count only under a modifier flag (Mage's DISABLE_UNLESS_CONDITIONS), a
    /// permission with conditions also grants that flag, as Mage's own permission page sets it
    /// whenever a condition is picked; without it Mage ignores the conditions and the
    /// permission grants unconditionally. Returns the flag added, if any; other catalogs (and
    /// an unknown one) are left as written.
    pub fn gate_conditions(&mut self, catalogs: &Catalogs) -> Option<String> {
        catalogs
            .get(&self.catalog)?
            .gate_conditions(&mut self.grants, &self.conditions)
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
            entity_type: p.entity_type.clone(),
            scope: p.scope.clone(),
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

/// Finds a permission by id, or by a unique prefix (at least 8 characters) or suffix (at least 6,
/// e.g. the 12-digit short id shown in tables).
pub fn find_permission(state: &State, id: &str) -> Result<Permission> {
    if let Some(p) = parse_id(id).and_then(|id| state.permissions.get(&id)) {
        return Ok(p);
    }
    let not_found = || Error::NotFound {
        kind: "permission".into(),
        name: id.into(),
        hint: "; list permissions with `gatehouse permissions ls`".into(),
    };
    let needle = id.to_ascii_lowercase().replace('-', "");
    if needle.len() < 6 || !needle.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let mut hits = state.permissions.keys().filter(|id| {
        let full = id.simple().to_string();
        full.ends_with(&needle) || (needle.len() >= 8 && full.starts_with(&needle))
    });
    match (hits.next(), hits.next()) {
        (Some(p), None) => state.permissions.get(p).ok_or_else(not_found),
        (Some(_), Some(_)) => Err(Error::invalid(
            "permission",
            format!("'{id}' matches several permissions; give more characters"),
        )),
        _ => Err(not_found()),
    }
}
