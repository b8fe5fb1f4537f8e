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

/// Whether a user is a person or a machine (okdata "client", Adaptive "service account").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Identifier.
    pub id: Id,
    /// Unique, compared case-insensitively.
    pub username: String,
    /// Email address, may be empty.
    #[serde(default)]
    pub email: String,
    /// Display name, may be empty.
    #[serde(default)]
    pub display_name: String,
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

/// A team: a group of users that can hold roles and own resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// Identifier.
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// Identifier.
    pub id: Id,
    /// Unique name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    /// Identifier.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// The revision the change produced (several events may share one).
    pub revision: Revision,
    /// Commit time.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who made the change (username, or `system`).
    pub actor: String,
    /// `create`, `update`, `delete`, `link`, `unlink`.
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
