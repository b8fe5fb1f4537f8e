//! The domain model (docs/PRODUCT.md §2.1): users, teams, memberships, roles, permissions, direct
//! grants, API key records and audit events. Plain data: no I/O, no policy logic.

use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;
use uuid::Uuid;

/// Identifier of every stored object (UUID v7: time-ordered).
pub type Id = Uuid;

/// A monotonic store revision: bumped once by every committed write.
pub type Revision = u64;

/// Creates a fresh time-ordered identifier.
pub fn new_id() -> Id {
    Uuid::now_v7()
}

/// A short form of an id for humans: its last 12 hex digits, the random tail of a UUID v7 (its
/// first digits are a timestamp that ids made together share). `find_*` accept it back.
pub fn short_id(id: &Id) -> String {
    let s = id.simple().to_string();
    s[s.len() - 12..].to_string()
}

/// The current time, truncated to microseconds so it round-trips through every store.
pub fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    // Truncation to whole microseconds cannot fail: the value stays within the same second.
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000)
        .unwrap_or(t)
}

/// `t` truncated to whole microseconds, as every store keeps instants.
pub fn to_micros(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000)
        .unwrap_or(t)
}

/// Whether a user is a person or a machine (okdata "client", Adaptive "service account").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum UserKind {
    /// A human being.
    #[default]
    Person,
    /// A machine principal.
    Service,
}

impl UserKind {
    /// The lowercase name used in files, JSON and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::Person => "person",
            UserKind::Service => "service",
        }
    }
}

/// A user (person or service).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    /// Identifier.
    #[schema(value_type = uuid::Uuid)]
    pub id: Id,
    /// Unique, compared case-insensitively.
    pub username: String,
    /// Email address, may be empty.
    #[serde(default)]
    pub email: String,
    /// The name shown, may be empty. When a first or last name is set it is the two joined
    /// with one space ([`User::join_names`]); otherwise it is free text.
    #[serde(default)]
    pub display_name: String,
    /// Given name (Mage's `first_name`), may be empty; kept exactly as written.
    #[serde(default)]
    pub first_name: String,
    /// Family name (Mage's `last_name`), may be empty; kept exactly as written (it may hold
    /// spaces).
    #[serde(default)]
    pub last_name: String,
    /// Person or service.
    #[serde(default)]
    pub kind: UserKind,
    /// A disabled user is denied everything.
    #[serde(default)]
    pub disabled: bool,
    /// The superuser flag: allowed everything (Mage's owner, Fetch ML's admin).
    #[serde(default)]
    pub owner: bool,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last update time.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Optimistic-concurrency version, starts at 1.
    pub version: u64,
}

impl User {
    /// The name shown for a first and a last name: both joined with one space, either alone
    /// when the other is empty (each trimmed only at the join, never changed).
    pub fn join_names(first: &str, last: &str) -> String {
        match (first.trim(), last.trim()) {
            ("", l) => l.to_string(),
            (f, "") => f.to_string(),
            (f, l) => format!("{f} {l}"),
        }
    }

    /// Makes the display name follow the first and last name when either is set.
    pub fn sync_display_name(&mut self) {
        if !(self.first_name.is_empty() && self.last_name.is_empty()) {
            self.display_name = User::join_names(&self.first_name, &self.last_name);
        }
    }
}

/// A team: a group of users that can hold roles and own resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Team {
    /// Identifier.
    #[schema(value_type = uuid::Uuid)]
    pub id: Id,
    /// Unique slug.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Role given to new members when none is named.
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub default_role: Option<Id>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last update time.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Optimistic-concurrency version.
    pub version: u64,
}

/// The key of the reserved team created at init (Adaptive's `admin` team rule).
pub const ADMIN_TEAM: &str = "admin";

/// A user's membership of a team, with an optional role that applies to that team's resources.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Membership {
    /// The team.
    pub team_id: Id,
    /// The member.
    pub user_id: Id,
    /// Role held inside this team, if any.
    pub role_id: Option<Id>,
}

/// A role: a named set of permissions, assigned to users and teams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Role {
    /// Identifier.
    #[schema(value_type = uuid::Uuid)]
    pub id: Id,
    /// Unique name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Who created it (Mage's `user_id`; the acting user on a local store), when known.
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub created_by: Option<Id>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last update time.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Optimistic-concurrency version.
    pub version: u64,
}

/// A permission: access flags granted and/or denied on an entity type, or on one entity UUID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Permission {
    /// Identifier.
    #[schema(value_type = uuid::Uuid)]
    pub id: Id,
    /// The catalog that defines `entity` and the flags (`mage`, `gatehouse`, `okdata`, …).
    pub catalog: String,
    /// Entity type from the catalog, or `ALL`.
    pub entity: String,
    /// One entity UUID; `None` means every entity of that type.
    #[serde(default)]
    pub entity_uuid: Option<String>,
    /// Flags granted (sorted, unique).
    #[serde(default)]
    pub grants: Vec<String>,
    /// Flags denied (sorted, unique). A deny always wins.
    #[serde(default)]
    pub denies: Vec<String>,
    /// Conditions that must hold for the permission to match (`own`, `team`, catalog ones).
    #[serde(default)]
    pub conditions: Vec<String>,
    /// Attributes the permission covers for query checks (Mage).
    #[serde(default)]
    pub query_attributes: Vec<String>,
    /// Attributes the permission covers for read checks (Mage).
    #[serde(default)]
    pub read_attributes: Vec<String>,
    /// Attributes the permission covers for write checks (Mage).
    #[serde(default)]
    pub write_attributes: Vec<String>,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Mage's `entity_type`: a block or pipeline type (`python`, `dbt`, …; see
    /// [`crate::catalog::MAGE_ENTITY_TYPES`]). Only on catalogs of the Mage dialect; Mage
    /// stores it and never evaluates it.
    #[serde(default)]
    pub entity_type: Option<String>,
    /// Mage's `entity` column, the permission's scope: `global`, `project` or `pipeline`
    /// ([`crate::catalog::MAGE_SCOPES`]; `None` is Mage's default, global). Only on catalogs
    /// of the Mage dialect; Mage stores it and never evaluates it.
    #[serde(default)]
    pub scope: Option<String>,
    /// Who created it (Mage's `user_id`; the acting user on a local store), when known.
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub created_by: Option<Id>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last update time.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Optimistic-concurrency version.
    pub version: u64,
}

impl Permission {
    /// True when two permissions say the same thing (everything but id, times and version).
    pub fn same_content(&self, other: &Permission) -> bool {
        self.catalog == other.catalog
            && self.entity == other.entity
            && self.entity_uuid == other.entity_uuid
            && self.grants == other.grants
            && self.denies == other.denies
            && self.conditions == other.conditions
            && self.query_attributes == other.query_attributes
            && self.read_attributes == other.read_attributes
            && self.write_attributes == other.write_attributes
            && self.entity_type == other.entity_type
            && scope_or_default(self.scope.as_deref()) == scope_or_default(other.scope.as_deref())
    }

    /// Sorts and de-duplicates the flag and condition sets, the canonical form stores keep.
    /// Attribute lists are kept exactly as given (Mage's own seed repeats some attributes, and
    /// a Mage permission must round-trip field by field).
    pub fn normalize(&mut self) {
        for list in [&mut self.grants, &mut self.denies, &mut self.conditions] {
            list.sort();
            list.dedup();
        }
    }
}

/// Mage's default scope: a permission without one is stored by Mage as `global`.
pub const DEFAULT_SCOPE: &str = "global";

/// A permission's scope with Mage's default filled in: no scope and `global` say the same.
pub fn scope_or_default(scope: Option<&str>) -> &str {
    scope.unwrap_or(DEFAULT_SCOPE)
}

/// Who a direct grant or an audit actor refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "lowercase")]
#[serde(deny_unknown_fields)]
pub enum Principal {
    /// A user (person or service).
    User(Id),
    /// A team: every member inherits.
    Team(Id),
}

/// An API key record. The secret itself is never stored, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// Identifier.
    pub id: Id,
    /// The first characters of the key, shown to humans (`ghk_AbCd…`).
    pub prefix: String,
    /// Hex SHA-256 of the full secret.
    pub hash: String,
    /// The user the key acts as.
    pub user_id: Id,
    /// A read-only key can never write, whatever its user may do.
    pub read_only: bool,
    /// Expiry, if any.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub expires_at: Option<OffsetDateTime>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last successful use.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub last_used_at: Option<OffsetDateTime>,
    /// Revocation time: a revoked key is refused.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub revoked_at: Option<OffsetDateTime>,
    /// Optimistic-concurrency version.
    pub version: u64,
}

/// The kind of object an audit event or an error talks about.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// [`User`]
    User,
    /// [`Team`]
    Team,
    /// [`Role`]
    Role,
    /// [`Permission`]
    Permission,
    /// [`ApiKey`]
    ApiKey,
    /// A role ↔ permission link.
    RolePermission,
    /// A user ↔ role link.
    UserRole,
    /// A team ↔ role link.
    TeamRole,
    /// A team membership.
    TeamMember,
    /// A direct grant of a permission to a principal.
    Grant,
}

impl ObjectKind {
    /// The snake_case name used in audit records and errors.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::User => "user",
            ObjectKind::Team => "team",
            ObjectKind::Role => "role",
            ObjectKind::Permission => "permission",
            ObjectKind::ApiKey => "api_key",
            ObjectKind::RolePermission => "role_permission",
            ObjectKind::UserRole => "user_role",
            ObjectKind::TeamRole => "team_role",
            ObjectKind::TeamMember => "team_member",
            ObjectKind::Grant => "grant",
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The field of an API key's JSON that holds the hash of its secret: never in an audit record.
pub const API_KEY_HASH_FIELD: &str = "hash";

/// One recorded change, written in the same transaction as the change itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// The revision the change produced (several events may share one).
    pub revision: Revision,
    /// Commit time.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who made the change (username, or `system`).
    pub actor: String,
    /// `create`, `update`, `delete`, `link`, `unlink`, `set_expiry` (a relation's end set or
    /// cleared), `expire` (a relation removed by the cleanup once its end passed).
    pub action: String,
    /// What kind of object changed.
    pub object_kind: ObjectKind,
    /// The object's id (for links: `a/b`).
    pub object_id: String,
    /// The object before the change (JSON), `null` on create.
    pub before: serde_json::Value,
    /// The object after the change (JSON), `null` on delete.
    pub after: serde_json::Value,
}

impl AuditEvent {
    /// The event without secrets: an API key's hash is removed from `before` and `after`.
    /// Stores no longer write it; records written before that still hold it.
    pub fn without_secrets(mut self) -> AuditEvent {
        if self.object_kind == ObjectKind::ApiKey {
            for v in [&mut self.before, &mut self.after] {
                if let serde_json::Value::Object(m) = v {
                    m.remove(API_KEY_HASH_FIELD);
                }
            }
        }
        self
    }
}

/// Which audit events to read, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Only events by this actor (exact username).
    pub actor: Option<String>,
    /// Only events with a revision strictly below this one (paging backwards).
    pub before_revision: Option<Revision>,
    /// At most this many events (0 = no limit).
    pub limit: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_display_name_follows_first_and_last_name() {
        assert_eq!(
            User::join_names("Ada", "King Lovelace"),
            "Ada King Lovelace"
        );
        assert_eq!(User::join_names("", "Lovelace"), "Lovelace");
        assert_eq!(User::join_names("Ada ", ""), "Ada");
        let t = now();
        let mut u = User {
            id: new_id(),
            username: "ada".into(),
            email: String::new(),
            display_name: "free text".into(),
            first_name: String::new(),
            last_name: String::new(),
            kind: UserKind::Person,
            disabled: false,
            owner: false,
            created_at: t,
            updated_at: t,
            version: 1,
        };
        u.sync_display_name();
        assert_eq!(u.display_name, "free text", "no first or last name: kept");
        u.last_name = "King Lovelace".into();
        u.first_name = "Ada".into();
        u.sync_display_name();
        assert_eq!(u.display_name, "Ada King Lovelace");
        assert_eq!(u.last_name, "King Lovelace", "never changed");
    }

    #[test]
    fn no_scope_is_mages_global() {
        assert_eq!(scope_or_default(None), "global");
        assert_eq!(scope_or_default(Some("project")), "project");
    }
}
