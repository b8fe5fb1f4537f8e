//! The body of `POST /apply`: a plan's changes. [`Change`]'s own serde form (tagged `op`,
//! objects tagged `kind`) collides with a user's `kind` field, so the wire spells changes
//! externally tagged (`{"create": {"user": {…}}}`, `{"link": {"link": "user_role", …}}`),
//! and carries no API-key objects (a plan never holds them).

use crate::backend::{Error, Result};
use crate::model::{Id, ObjectKind, Permission, Revision, Role, Team, User};
use crate::policy::{Change, Link, Object};
use serde::{Deserialize, Serialize};

/// `POST /apply`: the changes, committed in one transaction at `base` (any revision when
/// `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplyBody {
    /// The changes, in the plan's order.
    pub changes: Vec<ChangeWire>,
    /// The revision the plan was computed from.
    #[serde(default)]
    pub base: Option<Revision>,
}

/// An object a plan creates or updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectWire {
    /// A user.
    User(User),
    /// A team.
    Team(Team),
    /// A role.
    Role(Role),
    /// A permission.
    Permission(Permission),
}

/// One change of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeWire {
    /// [`Change::Create`]
    Create(ObjectWire),
    /// [`Change::Update`]
    Update {
        /// The new content.
        object: ObjectWire,
        /// The version the plan read.
        expected_version: u64,
    },
    /// [`Change::Delete`]
    Delete {
        /// Kind of object.
        kind: ObjectKind,
        /// Its id.
        id: Id,
        /// When set, the stored version must equal it.
        #[serde(default)]
        expected_version: Option<u64>,
        /// Remove its links too.
        #[serde(default)]
        cascade: bool,
    },
    /// [`Change::Link`]
    Link(Link),
    /// [`Change::Unlink`]
    Unlink(Link),
    /// [`Change::Expire`]
    Expire {
        /// The relation.
        link: Link,
        /// Its new end (`null`: never).
        #[serde(with = "time::serde::rfc3339::option", default)]
        expires_at: Option<time::OffsetDateTime>,
    },
    /// [`Change::Expired`]
    Expired(Link),
}

fn object_wire(o: Object) -> Result<ObjectWire> {
    Ok(match o {
        Object::User(u) => ObjectWire::User(u),
        Object::Team(t) => ObjectWire::Team(t),
        Object::Role(r) => ObjectWire::Role(r),
        Object::Permission(p) => ObjectWire::Permission(p),
        Object::ApiKey(_) => {
            return Err(Error::invalid(
                "changes",
                "apply does not write API keys; a plan never holds them",
            ));
        }
    })
}

impl From<ObjectWire> for Object {
    fn from(o: ObjectWire) -> Object {
        match o {
            ObjectWire::User(u) => Object::User(u),
            ObjectWire::Team(t) => Object::Team(t),
            ObjectWire::Role(r) => Object::Role(r),
            ObjectWire::Permission(p) => Object::Permission(p),
        }
    }
}

impl ChangeWire {
    /// The wire form of a change (API-key objects are refused).
    pub fn of(c: Change) -> Result<ChangeWire> {
        Ok(match c {
            Change::Create(o) => ChangeWire::Create(object_wire(o)?),
            Change::Update {
                object,
                expected_version,
            } => ChangeWire::Update {
                object: object_wire(object)?,
                expected_version,
            },
            Change::Delete {
                kind,
                id,
                expected_version,
                cascade,
            } => ChangeWire::Delete {
                kind,
                id,
                expected_version,
                cascade,
            },
            Change::Link(l) => ChangeWire::Link(l),
            Change::Unlink(l) => ChangeWire::Unlink(l),
            Change::Expire { link, expires_at } => ChangeWire::Expire { link, expires_at },
            Change::Expired(l) => ChangeWire::Expired(l),
        })
    }
}

impl From<ChangeWire> for Change {
    fn from(c: ChangeWire) -> Change {
        match c {
            ChangeWire::Create(o) => Change::Create(o.into()),
            ChangeWire::Update {
                object,
                expected_version,
            } => Change::Update {
                object: object.into(),
                expected_version,
            },
            ChangeWire::Delete {
                kind,
                id,
                expected_version,
                cascade,
            } => Change::Delete {
                kind,
                id,
                expected_version,
                cascade,
            },
            ChangeWire::Link(l) => Change::Link(l),
            ChangeWire::Unlink(l) => Change::Unlink(l),
            ChangeWire::Expire { link, expires_at } => Change::Expire { link, expires_at },
            ChangeWire::Expired(l) => Change::Expired(l),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{UserKind, new_id, now};

    #[test]
    fn a_user_change_round_trips_through_json() {
        let t = now();
        let u = User {
            id: new_id(),
            username: "alice".into(),
            email: String::new(),
            display_name: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            kind: UserKind::Service,
            disabled: false,
            owner: false,
            created_at: t,
            updated_at: t,
            version: 1,
        };
        let c = Change::Create(Object::User(u));
        let body = ApplyBody {
            changes: vec![ChangeWire::of(c.clone()).unwrap()],
            base: Some(3),
        };
        let text = serde_json::to_string(&body).unwrap();
        let back: ApplyBody = serde_json::from_str(&text).unwrap();
        assert_eq!(back.base, Some(3));
        let back: Vec<Change> = back.changes.into_iter().map(Change::from).collect();
        assert_eq!(back, vec![c]);
    }
}
