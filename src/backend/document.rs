//! Policy documents: the TOML/JSON form of a store's roles, permissions, users, teams and links,
//! used by `export`, `import` and the presets. Import is idempotent: objects that exist (users by
//! username, teams by key, roles by name, permissions by id or by identical content) are counted
//! as already present and left as they are; missing links are added. One commit, all or nothing.

use super::error::{Error, Result};
use crate::model::{Id, Principal, Revision, Role, Team, User, UserKind};
use crate::policy::State;
use serde::{Deserialize, Serialize};

/// A user in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocUser {
    /// Id to keep (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Username.
    pub username: String,
    /// Email.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    /// Given name (Mage's `first_name`); when it or `last_name` is set the display name
    /// follows them.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub first_name: String,
    /// Family name (Mage's `last_name`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_name: String,
    /// Person or service.
    #[serde(default)]
    pub kind: UserKind,
    /// Disabled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    /// Owner.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub owner: bool,
    /// Roles held directly (names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

/// A team in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocTeam {
    /// Id to keep (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Key.
    pub key: String,
    /// Name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Default role for new members (name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_role: Option<String>,
    /// Roles every member inherits (names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

/// A role in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocRole {
    /// Id to keep (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Permissions held: the `key`s of the document's permissions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
}

/// A permission in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocPermission {
    /// The name roles and grants use for it; when it is a UUID it is also kept as the id.
    pub key: String,
    /// Catalog.
    pub catalog: String,
    /// Entity.
    pub entity: String,
    /// Entity UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_uuid: Option<String>,
    /// Granted flags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<String>,
    /// Denied flags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denies: Vec<String>,
    /// Conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    /// Query attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query_attributes: Vec<String>,
    /// Read attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_attributes: Vec<String>,
    /// Write attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub write_attributes: Vec<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Mage's entity type (Mage catalogs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    /// Mage's scope, its `entity` column (Mage catalogs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// A membership in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocMember {
    /// Team key.
    pub team: String,
    /// Username.
    pub user: String,
    /// Role inside the team (name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// A direct grant in a document: to `user` or to `team`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocGrant {
    /// Permission key.
    pub permission: String,
    /// Username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Team key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
}

/// A whole policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDoc {
    /// Users.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<DocUser>,
    /// Teams.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<DocTeam>,
    /// Roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<DocRole>,
    /// Permissions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<DocPermission>,
    /// Memberships.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<DocMember>,
    /// Direct grants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<DocGrant>,
}

/// Created vs already present, per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// Newly created.
    pub created: usize,
    /// Already there, left as they were.
    pub present: usize,
}

/// What an import or preset did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Nothing was written.
    pub dry_run: bool,
    /// Users.
    pub users: Count,
    /// Teams.
    pub teams: Count,
    /// Roles.
    pub roles: Count,
    /// Permissions.
    pub permissions: Count,
    /// Links of every kind.
    pub links: Count,
    /// Names of the roles created (in document order).
    pub created_roles: Vec<String>,
    /// Revision after the commit (the current one in a dry run).
    pub revision: Revision,
    /// What the import did beyond the counts (a Mage server: a condition gate added, a
    /// description not kept), one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What an import needs that a document does not carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The initial password of every user the import creates on a backend whose users log in
    /// with one (Mage). Documents never carry passwords.
    pub user_password: Option<super::Password>,
}

impl DocPermission {
    /// The permission this entry describes, as a spec (import and plan build it alike).
    pub fn spec(&self) -> super::PermissionSpec {
        super::PermissionSpec {
            catalog: self.catalog.clone(),
            entity: self.entity.clone(),
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
        }
    }
}

impl PolicyDoc {
    /// Parses TOML; errors name the line and what is wrong.
    pub fn from_toml(text: &str) -> Result<PolicyDoc> {
        toml::from_str(text)
            .map_err(|e| Error::invalid("import file", e.to_string().trim_end().replace('\n', " ")))
    }

    /// Parses JSON.
    pub fn from_json(text: &str) -> Result<PolicyDoc> {
        serde_json::from_str(text).map_err(|e| Error::invalid("import file", e.to_string()))
    }

    /// Serializes as TOML.
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::Store(format!("cannot write TOML: {e}")))
    }

    /// The document of a whole state, in a stable order (export).
    pub fn of_state(s: &State) -> PolicyDoc {
        let role_name = |id: &Id| s.roles.get(id).map(|r| r.name.clone());
        let mut users: Vec<&User> = s.users.values().collect();
        users.sort_by(|a, b| a.username.cmp(&b.username));
        let mut teams: Vec<&Team> = s.teams.values().collect();
        teams.sort_by(|a, b| a.key.cmp(&b.key));
        let mut roles: Vec<&Role> = s.roles.values().collect();
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        PolicyDoc {
            users: users
                .iter()
                .map(|u| DocUser {
                    id: Some(u.id),
                    username: u.username.clone(),
                    email: u.email.clone(),
                    display_name: u.display_name.clone(),
                    first_name: u.first_name.clone(),
                    last_name: u.last_name.clone(),
                    kind: u.kind,
                    disabled: u.disabled,
                    owner: u.owner,
                    roles: sorted(
                        s.user_roles
                            .iter()
                            .filter(|(uu, _)| *uu == u.id)
                            .filter_map(|(_, r)| role_name(r))
                            .collect(),
                    ),
                })
                .collect(),
            teams: teams
                .iter()
                .map(|t| DocTeam {
                    id: Some(t.id),
                    key: t.key.clone(),
                    name: t.name.clone(),
                    description: t.description.clone(),
                    default_role: t.default_role.as_ref().and_then(role_name),
                    roles: sorted(
                        s.team_roles
                            .iter()
                            .filter(|(tt, _)| *tt == t.id)
                            .filter_map(|(_, r)| role_name(r))
                            .collect(),
                    ),
                })
                .collect(),
            roles: roles
                .iter()
                .map(|r| DocRole {
                    id: Some(r.id),
                    name: r.name.clone(),
                    description: r.description.clone(),
                    permissions: s
                        .role_permissions
                        .range((r.id, Id::nil())..)
                        .take_while(|(rr, _)| *rr == r.id)
                        .map(|(_, p)| p.to_string())
                        .collect(),
                })
                .collect(),
            permissions: s
                .permissions
                .values()
                .map(|p| DocPermission {
                    key: p.id.to_string(),
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
                })
                .collect(),
            members: {
                let mut m: Vec<DocMember> = s
                    .members
                    .iter()
                    .filter_map(|((t, u), r)| {
                        Some(DocMember {
                            team: s.teams.get(t)?.key.clone(),
                            user: s.users.get(u)?.username.clone(),
                            role: r.as_ref().and_then(role_name),
                        })
                    })
                    .collect();
                m.sort_by(|a, b| (&a.team, &a.user).cmp(&(&b.team, &b.user)));
                m
            },
            grants: {
                let mut g: Vec<DocGrant> = s
                    .grants
                    .iter()
                    .filter_map(|(pr, p)| {
                        let (user, team) = match pr {
                            Principal::User(u) => (Some(s.users.get(u)?.username.clone()), None),
                            Principal::Team(t) => (None, Some(s.teams.get(t)?.key.clone())),
                        };
                        Some(DocGrant {
                            permission: p.to_string(),
                            user,
                            team,
                        })
                    })
                    .collect();
                g.sort_by(|a, b| {
                    (&a.permission, &a.user, &a.team).cmp(&(&b.permission, &b.user, &b.team))
                });
                g
            },
        }
    }
}
