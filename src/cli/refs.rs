//! References to objects in the CLI's JSON (docs/json.md): a user is `{id, username}`, a role
//! `{id, name}`, a team `{id, key}`, wherever one appears inside another object's output.

use super::output;
use crate::model::Id;
use crate::policy::State;
use serde::Serialize;

/// A user: `{"id", "username"}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct UserRef {
    /// The user's id.
    pub id: Id,
    /// The username (the id's text when the user is gone).
    pub username: String,
}

/// A role: `{"id", "name"}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RoleRef {
    /// The role's id.
    pub id: Id,
    /// Its name.
    pub name: String,
}

/// A team: `{"id", "key"}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TeamRef {
    /// The team's id.
    pub id: Id,
    /// Its key.
    pub key: String,
}

impl UserRef {
    /// The user `id` of `s`.
    pub fn of(s: &State, id: &Id) -> UserRef {
        UserRef {
            id: *id,
            username: output::user_name(s, id),
        }
    }
}

impl RoleRef {
    /// The role `id` of `s`.
    pub fn of(s: &State, id: &Id) -> RoleRef {
        RoleRef {
            id: *id,
            name: output::role_name(s, id),
        }
    }
}

impl TeamRef {
    /// The team `id` of `s`.
    pub fn of(s: &State, id: &Id) -> TeamRef {
        TeamRef {
            id: *id,
            key: output::team_key(s, id),
        }
    }
}

/// The user who created an object, when known.
pub fn created_by(s: &State, id: Option<&Id>) -> Option<UserRef> {
    id.map(|id| UserRef::of(s, id))
}

/// An audit actor: the user of that name, with its id when it still exists (`null` else).
#[derive(Debug, Clone, Serialize)]
pub struct ActorRef {
    /// The user's id, or null (the system, or a user since deleted).
    pub id: Option<Id>,
    /// The name the audit log holds.
    pub username: String,
}

impl ActorRef {
    /// The actor named `name` in the audit log.
    pub fn of(s: &State, name: &str) -> ActorRef {
        ActorRef {
            id: s.user_by_name(name).map(|u| u.id),
            username: name.to_string(),
        }
    }
}
