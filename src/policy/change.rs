//! The unit of write: a list of [`Change`]s is committed in one transaction.

use crate::model::{ApiKey, Id, ObjectKind, Permission, Principal, Role, Team, User};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A whole stored object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Object {
    /// A user.
    User(User),
    /// A team.
    Team(Team),
    /// A role.
    Role(Role),
    /// A permission.
    Permission(Permission),
    /// An API key record.
    ApiKey(ApiKey),
}

impl Object {
    /// The object's kind.
    pub fn kind(&self) -> ObjectKind {
        match self {
            Object::User(_) => ObjectKind::User,
            Object::Team(_) => ObjectKind::Team,
            Object::Role(_) => ObjectKind::Role,
            Object::Permission(_) => ObjectKind::Permission,
            Object::ApiKey(_) => ObjectKind::ApiKey,
        }
    }

    /// The object's id.
    pub fn id(&self) -> Id {
        match self {
            Object::User(x) => x.id,
            Object::Team(x) => x.id,
            Object::Role(x) => x.id,
            Object::Permission(x) => x.id,
            Object::ApiKey(x) => x.id,
        }
    }

    /// The object's version.
    pub fn version(&self) -> u64 {
        match self {
            Object::User(x) => x.version,
            Object::Team(x) => x.version,
            Object::Role(x) => x.version,
            Object::Permission(x) => x.version,
            Object::ApiKey(x) => x.version,
        }
    }

    /// The object as JSON, for audit records.
    pub fn to_json(&self) -> serde_json::Value {
        let v = match self {
            Object::User(x) => serde_json::to_value(x),
            Object::Team(x) => serde_json::to_value(x),
            Object::Role(x) => serde_json::to_value(x),
            Object::Permission(x) => serde_json::to_value(x),
            Object::ApiKey(x) => return key_audit_json(x),
        };
        // Serializing these plain structs cannot fail: no maps with non-string keys, no floats.
        v.unwrap_or(serde_json::Value::Null)
    }
}

/// An API key as audit records hold it: every field but the hash of its secret, which no
/// audit reader may see (it would let one test guessed secrets offline).
pub(crate) fn key_audit_json(k: &crate::model::ApiKey) -> serde_json::Value {
    let mut v = serde_json::to_value(k).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Object(m) = &mut v {
        m.remove(crate::model::API_KEY_HASH_FIELD);
    }
    v
}

/// A relation between two objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "link", rename_all = "snake_case")]
#[serde(deny_unknown_fields)]
pub enum Link {
    /// The role holds the permission.
    RolePermission {
        /// Role id.
        role: Id,
        /// Permission id.
        permission: Id,
    },
    /// The user holds the role directly.
    UserRole {
        /// User id.
        user: Id,
        /// Role id.
        role: Id,
    },
    /// Every member of the team holds the role.
    TeamRole {
        /// Team id.
        team: Id,
        /// Role id.
        role: Id,
    },
    /// The user is a member of the team, optionally with a role inside it. Linking an existing
    /// membership again replaces its role.
    Member {
        /// Team id.
        team: Id,
        /// User id.
        user: Id,
        /// Role held inside the team.
        role: Option<Id>,
    },
    /// The permission is granted directly to a user or team (okdata style).
    Grant {
        /// The grantee.
        principal: Principal,
        /// Permission id.
        permission: Id,
    },
}

impl Link {
    /// The kind of relation.
    pub fn kind(&self) -> ObjectKind {
        match self {
            Link::RolePermission { .. } => ObjectKind::RolePermission,
            Link::UserRole { .. } => ObjectKind::UserRole,
            Link::TeamRole { .. } => ObjectKind::TeamRole,
            Link::Member { .. } => ObjectKind::TeamMember,
            Link::Grant { .. } => ObjectKind::Grant,
        }
    }

    /// A stable id for audit records: `left/right`.
    pub fn object_id(&self) -> String {
        match self {
            Link::RolePermission { role, permission } => format!("{role}/{permission}"),
            Link::UserRole { user, role } => format!("{user}/{role}"),
            Link::TeamRole { team, role } => format!("{team}/{role}"),
            Link::Member { team, user, .. } => format!("{team}/{user}"),
            Link::Grant {
                principal,
                permission,
            } => match principal {
                Principal::User(u) => format!("user:{u}/{permission}"),
                Principal::Team(t) => format!("team:{t}/{permission}"),
            },
        }
    }

    /// The link as JSON, for audit records.
    pub fn to_json(&self) -> serde_json::Value {
        // A plain enum of ids: serialization cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// One write. A commit applies a list of them atomically, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    /// Insert a new object; its id and unique fields must be free.
    Create(Object),
    /// Replace an object whose stored version equals `expected_version`; the object carries
    /// its new version (normally `expected_version + 1`).
    Update {
        /// The new content.
        object: Object,
        /// The version the caller read.
        expected_version: u64,
    },
    /// Delete an object. With links still pointing at it, fails with `InUse` unless `cascade`.
    Delete {
        /// Kind of object.
        kind: ObjectKind,
        /// Its id.
        id: Id,
        /// When set, the stored version must equal it.
        expected_version: Option<u64>,
        /// Remove the links too.
        cascade: bool,
    },
    /// Add a relation (both ends must exist; adding an existing one is a `Duplicate`, except
    /// `Member`, which replaces the membership role).
    Link(Link),
    /// Remove a relation (it must exist).
    Unlink(Link),
    /// Set when a relation that exists ends (`None`: never). Only relations that
    /// [`Link::may_expire`]; the service refuses an end already past.
    Expire {
        /// The relation (a membership is named whatever its role).
        link: Link,
        /// Its new end.
        #[serde(with = "time::serde::rfc3339::option", default)]
        expires_at: Option<OffsetDateTime>,
    },
    /// Remove a relation whose end has passed: the cleanup's change, recorded as an `expire`
    /// event. It must exist and carry an end (the service removes only ends already past).
    Expired(Link),
}
