//! The policy engine (docs/PRODUCT.md §2.3–2.4): pure, no I/O, no async. It decides from an immutable
//! in-memory [`Engine`] index built from a [`State`](crate::policy::State): each permission is
//! filed under every holder (role, team, user) that reaches it, keyed by (entity, uuid), and each
//! holder's (entity, uuid) groups carry a summary of the actions they grant or may deny, so a
//! check reads about one directory entry per holder reached whether the store holds a thousand
//! permissions or a million.
//!
//! [`Engine::decide`] and [`Engine::explain`] run the same function: `decide` with a tracer that
//! records nothing, `explain` with one that records every candidate.

mod call_plan;
pub mod effect;
mod evaluate;
mod explain;
mod filing;
mod heap;
mod holder;
mod index;
mod mage_call;
mod reverse;
mod uuids;
mod window;

pub use call_plan::{CallAnswer, CallData, CallQuery, NoData};
pub use effect::{AccessEffect, access_effect};
pub use explain::{Candidate, Explanation, FailedCondition, Hint, Outcome};
pub use index::Engine;
pub use mage_call::{MageCall, MageCheck, MageFailure, MageVerdict, ReadCheck};
pub use reverse::{Effective, Scope, WhatCan, WhoCan};
pub use window::Window;

use crate::model::Id;
use serde::{Deserialize, Serialize};

/// One access question: may `user` do `action` on `entity` (optionally one `entity_uuid`)?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The subject.
    pub user: Id,
    /// The catalog that defines the entity and the action.
    pub catalog: String,
    /// A flag of the catalog (`LIST`, `read`, `create`).
    pub action: String,
    /// An entity type of the catalog.
    pub entity: String,
    /// One entity, or `None` for the entity type as a whole.
    #[serde(default)]
    pub entity_uuid: Option<String>,
    /// The resource's owner, for `own` conditions.
    #[serde(default)]
    pub resource_owner: Option<Id>,
    /// The resource's team, for `team` conditions and membership roles.
    #[serde(default)]
    pub resource_team: Option<Id>,
    /// Mage dialect only: an attribute the operation queries, reads or writes. The operation
    /// and the attribute must then be granted by one single permission (`docs/MAGE.md` §4
    /// step 8, §8), and `entity_uuid` is the record read or written (`None`: no record), even
    /// for LIST and CREATE. Other dialects deny such a request
    /// ([`Rule::AttributeNotInDialect`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<AttrCheck>,
    /// The instant to decide at (`None`: now): a relation whose end is at or before it counts
    /// as absent. The engine decides as its index was built ([`Engine::window`]); whoever
    /// holds the state builds an index for this instant when the one it has does not hold
    /// at it ([`Request::instant`]).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub at: Option<time::OffsetDateTime>,
}

impl Request {
    /// The instant the request is decided at: its own, else now.
    pub fn instant(&self) -> time::OffsetDateTime {
        self.at.unwrap_or_else(crate::model::now)
    }
}

/// What an attribute check does with the attribute (Mage's `AttributeOperationType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttrKind {
    /// A query parameter (`QUERY`, `QUERY_ALL`, `query_attributes`).
    Query,
    /// An attribute of a presented object (`READ`, `READ_ALL`, `read_attributes`).
    Read,
    /// An attribute of the payload (`WRITE`, `WRITE_ALL`, `write_attributes`).
    Write,
}

impl AttrKind {
    /// The lowercase word: `query`, `read`, `write`.
    pub fn word(self) -> &'static str {
        match self {
            AttrKind::Query => "query",
            AttrKind::Read => "read",
            AttrKind::Write => "write",
        }
    }

    /// The catalog flag granting it for listed attributes: `QUERY`, `READ`, `WRITE`.
    pub fn flag(self) -> &'static str {
        match self {
            AttrKind::Query => "QUERY",
            AttrKind::Read => "READ",
            AttrKind::Write => "WRITE",
        }
    }

    /// The catalog flag granting it for every attribute: `QUERY_ALL`, `READ_ALL`, `WRITE_ALL`.
    pub fn all_flag(self) -> &'static str {
        match self {
            AttrKind::Query => "QUERY_ALL",
            AttrKind::Read => "READ_ALL",
            AttrKind::Write => "WRITE_ALL",
        }
    }
}

/// An attribute check carried by a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttrCheck {
    /// Query, read or write.
    pub kind: AttrKind,
    /// The attribute (or query key).
    pub name: String,
}

impl AttrCheck {
    /// Parses `read:name`, `write:name` or `query:key` (a space works as well as `:`; the
    /// kind in any case), as the console's Access check takes it.
    pub fn parse(text: &str) -> Result<AttrCheck, String> {
        let text = text.trim();
        let (kind, name) = text
            .split_once(':')
            .or_else(|| text.split_once(' '))
            .ok_or_else(|| {
                format!(
                    "'{text}' is not an attribute check; write read:ATTR, write:ATTR or query:KEY"
                )
            })?;
        let kind = match kind.trim().to_ascii_lowercase().as_str() {
            "read" => AttrKind::Read,
            "write" => AttrKind::Write,
            "query" => AttrKind::Query,
            other => {
                return Err(format!(
                    "'{other}' is not read, write or query; write read:ATTR, write:ATTR or query:KEY"
                ));
            }
        };
        let name = name.trim();
        if name.is_empty() {
            return Err("the attribute name is empty; write e.g. read:name".into());
        }
        Ok(AttrCheck {
            kind,
            name: name.to_string(),
        })
    }
}

/// How a holder of permissions is reached from the subject: the path user → team → role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum Via {
    /// Granted to the user directly.
    Direct,
    /// A role assigned to the user.
    Role {
        /// Role id.
        role: Id,
    },
    /// Granted directly to a team the user is in.
    Team {
        /// Team id.
        team: Id,
    },
    /// A role assigned to a team the user is in.
    TeamRole {
        /// Team id.
        team: Id,
        /// Role id.
        role: Id,
    },
    /// The role the user holds as a member of a team; it applies to that team's resources
    /// only (everywhere in the reserved `admin` team).
    MemberRole {
        /// Team id.
        team: Id,
        /// Role id.
        role: Id,
    },
}

/// A permission reached through a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PathTo {
    /// How the holder was reached.
    pub via: Via,
    /// The permission.
    pub permission: Id,
}

/// The rule that decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// The subject does not exist.
    UnknownSubject,
    /// The subject is disabled.
    Disabled,
    /// The subject has the owner flag.
    Owner,
    /// The catalog does not know the action (or entity): nothing can match.
    UnknownAction,
    /// A matching permission denies the action: a deny always wins.
    Denied {
        /// The deciding deny.
        by: PathTo,
    },
    /// A matching permission grants the action and nothing denies it.
    Granted {
        /// The first matching grant.
        by: PathTo,
    },
    /// Nothing grants the action.
    NoGrant,
    /// Mage dialect: an OWNER bit in a permission the user reaches allows everything.
    MageOwnerBit {
        /// The permission with the bit.
        by: PathTo,
    },
    /// The request checks an attribute, but attribute checks are a Mage-dialect feature and
    /// the catalog is of another dialect: DENY.
    AttributeNotInDialect,
    /// The request checks an attribute with an action that is not one of the five Mage
    /// operations (LIST, DETAIL, CREATE, UPDATE, DELETE): DENY.
    AttributeNeedsOperation,
}

/// The answer to a [`Request`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// ALLOW or DENY.
    pub allowed: bool,
    /// Why.
    pub rule: Rule,
}

impl Decision {
    fn allow(rule: Rule) -> Decision {
        Decision {
            allowed: true,
            rule,
        }
    }

    fn deny(rule: Rule) -> Decision {
        Decision {
            allowed: false,
            rule,
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_attr;
#[cfg(test)]
mod tests_call;
#[cfg(test)]
mod tests_effect;
#[cfg(test)]
mod tests_mage;
