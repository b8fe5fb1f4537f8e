//! Policy documents: the TOML/JSON form of a store's roles, permissions, users, teams and links,
//! used by `export`, `import` and the presets. Import is idempotent: objects that exist (users by
//! username, teams by key, roles by name, permissions by id or by identical content) are counted
//! as already present and left as they are; missing links are added. One commit, all or nothing.
//!
//! A relation may carry an end: `expires_at` on a membership or a grant, and `role_ends` (role
//! name → instant) beside the `roles` of a user or a team. Export writes the ends of the
//! relations still in force and leaves out those whose end has passed (they give nothing;
//! the cleanup removes them).

use super::error::{Error, Result};
use crate::model::{Id, Principal, Revision, Role, Team, User, UserKind, now};
use crate::policy::{Link, State};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

#[path = "document_ends.rs"]
mod ends;

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
    /// When some of `roles` end: role name → instant. A role not named here is held until it
    /// is removed.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        with = "ends::by_name"
    )]
    pub role_ends: BTreeMap<String, OffsetDateTime>,
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
    /// When some of `roles` end: role name → instant (as on a user).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        with = "ends::by_name"
    )]
    pub role_ends: BTreeMap<String, OffsetDateTime>,
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
    /// When the membership ends (RFC 3339); none: never.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "ends::optional"
    )]
    pub expires_at: Option<OffsetDateTime>,
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
    /// When the grant ends (RFC 3339); none: never.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "ends::optional"
    )]
    pub expires_at: Option<OffsetDateTime>,
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
        // The error's own Display quotes the offending line, which may be the whole input
        // (a one-line JSON document, a secret): say where and what, never the text.
        toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|span| line_column(text, span.start))
                .map(|(line, column)| format!("TOML parse error at line {line}, column {column}: "))
                .unwrap_or_else(|| "TOML parse error: ".to_string());
            let message = e.message().trim_end().replace('\n', " ");
            Error::invalid("import file", format!("{at}{message}"))
        })
    }

    /// Parses TOML or JSON, whichever the text is: JSON when its first character (after
    /// white space and a byte-order mark) is `{`, else TOML (a TOML document never starts so).
    pub fn from_text(text: &str) -> Result<PolicyDoc> {
        if looks_like_json(text) {
            PolicyDoc::from_json(text)
        } else {
            PolicyDoc::from_toml(text)
        }
    }

    /// Parses JSON.
    pub fn from_json(text: &str) -> Result<PolicyDoc> {
        serde_json::from_str(text).map_err(|e| Error::invalid("import file", e.to_string()))
    }

    /// Serializes as TOML.
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::Store(format!("cannot write TOML: {e}")))
    }

    /// The document of a whole state, in a stable order (export). Relations whose end has
    /// passed are left out; the others carry their end.
    pub fn of_state(s: &State) -> PolicyDoc {
        Export { s, at: now() }.doc()
    }

    /// Whether any relation in the document ends (a backend without ends refuses it).
    pub fn has_ends(&self) -> bool {
        self.users.iter().any(|u| !u.role_ends.is_empty())
            || self.teams.iter().any(|t| !t.role_ends.is_empty())
            || self.members.iter().any(|m| m.expires_at.is_some())
            || self.grants.iter().any(|g| g.expires_at.is_some())
    }
}

/// True when `text` is a JSON object by its first character (see [`PolicyDoc::from_text`]).
pub fn looks_like_json(text: &str) -> bool {
    text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
        .starts_with('{')
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A state being exported at an instant.
struct Export<'a> {
    s: &'a State,
    at: OffsetDateTime,
}

impl Export<'_> {
    fn role_name(&self, id: &Id) -> Option<String> {
        self.s.roles.get(id).map(|r| r.name.clone())
    }

    /// Whether the relation is in force (its end, if any, still ahead).
    fn live(&self, l: &Link) -> bool {
        !self.s.expiries.ended(l, self.at)
    }

    /// The names of the roles `links` give (sorted) and the ends of those that end.
    fn roles(
        &self,
        links: impl Iterator<Item = (Link, Id)>,
    ) -> (Vec<String>, BTreeMap<String, OffsetDateTime>) {
        let mut names = Vec::new();
        let mut ends = BTreeMap::new();
        for (link, role) in links.filter(|(l, _)| self.live(l)) {
            let Some(name) = self.role_name(&role) else {
                continue;
            };
            if let Some(t) = self.s.expiries.get(&link) {
                ends.insert(name.clone(), t);
            }
            names.push(name);
        }
        names.sort();
        (names, ends)
    }

    fn doc(&self) -> PolicyDoc {
        let s = self.s;
        let mut roles: Vec<&Role> = s.roles.values().collect();
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        PolicyDoc {
            users: self.users(),
            teams: self.teams(),
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
            members: self.members(),
            grants: self.grants(),
        }
    }

    fn users(&self) -> Vec<DocUser> {
        let s = self.s;
        let mut users: Vec<&User> = s.users.values().collect();
        users.sort_by(|a, b| a.username.cmp(&b.username));
        users
            .iter()
            .map(|u| {
                let held = s
                    .user_roles
                    .iter()
                    .filter(|(uu, _)| *uu == u.id)
                    .map(|&(user, role)| (Link::UserRole { user, role }, role));
                let (roles, role_ends) = self.roles(held);
                DocUser {
                    id: Some(u.id),
                    username: u.username.clone(),
                    email: u.email.clone(),
                    display_name: u.display_name.clone(),
                    first_name: u.first_name.clone(),
                    last_name: u.last_name.clone(),
                    kind: u.kind,
                    disabled: u.disabled,
                    owner: u.owner,
                    roles,
                    role_ends,
                }
            })
            .collect()
    }

    fn teams(&self) -> Vec<DocTeam> {
        let s = self.s;
        let mut teams: Vec<&Team> = s.teams.values().collect();
        teams.sort_by(|a, b| a.key.cmp(&b.key));
        teams
            .iter()
            .map(|t| {
                let held = s
                    .team_roles
                    .iter()
                    .filter(|(tt, _)| *tt == t.id)
                    .map(|&(team, role)| (Link::TeamRole { team, role }, role));
                let (roles, role_ends) = self.roles(held);
                DocTeam {
                    id: Some(t.id),
                    key: t.key.clone(),
                    name: t.name.clone(),
                    description: t.description.clone(),
                    default_role: t.default_role.as_ref().and_then(|r| self.role_name(r)),
                    roles,
                    role_ends,
                }
            })
            .collect()
    }

    fn members(&self) -> Vec<DocMember> {
        let s = self.s;
        let mut m: Vec<DocMember> = s
            .members
            .iter()
            .filter_map(|(&(team, user), role)| {
                let link = Link::Member {
                    team,
                    user,
                    role: *role,
                };
                self.live(&link).then_some(())?;
                Some(DocMember {
                    team: s.teams.get(&team)?.key.clone(),
                    user: s.users.get(&user)?.username.clone(),
                    role: role.as_ref().and_then(|r| self.role_name(r)),
                    expires_at: s.expiries.get(&link),
                })
            })
            .collect();
        m.sort_by(|a, b| (&a.team, &a.user).cmp(&(&b.team, &b.user)));
        m
    }

    fn grants(&self) -> Vec<DocGrant> {
        let s = self.s;
        let mut g: Vec<DocGrant> = s
            .grants
            .iter()
            .filter_map(|&(principal, permission)| {
                let link = Link::Grant {
                    principal,
                    permission,
                };
                self.live(&link).then_some(())?;
                let (user, team) = match principal {
                    Principal::User(u) => (Some(s.users.get(&u)?.username.clone()), None),
                    Principal::Team(t) => (None, Some(s.teams.get(&t)?.key.clone())),
                };
                Some(DocGrant {
                    permission: permission.to_string(),
                    user,
                    team,
                    expires_at: s.expiries.get(&link),
                })
            })
            .collect();
        g.sort_by(|a, b| (&a.permission, &a.user, &a.team).cmp(&(&b.permission, &b.user, &b.team)));
        g
    }
}
