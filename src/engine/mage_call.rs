//! A whole Mage REST call decided the way Mage 0.9.80 does (`docs/MAGE.md` §4 "Where the
//! check runs", §8): the operation, then each query key, then each written attribute, then each
//! attribute of every presented object, each one an engine [`Request`] on the `mage`-dialect
//! catalog. The first check that fails decides (Mage answers 403 with that message).
//!
//! Two of Mage's quirks are reproduced on purpose:
//! - LIST and CREATE have no record when the operation, query and write checks run, so a
//!   record-scoped permission passes them; the READ checks of the listed or created records do
//!   have the record ([`ReadCheck::uuid`]).
//! - Mage caches each answer for the request keyed by (entity, operation, attribute check) and
//!   not by record, so only the first object presented under an entity decides each of its
//!   attributes: a list is allowed when its first record matches a record-scoped permission.

use super::index::Engine;
use super::{AttrCheck, AttrKind, Decision, Request, Rule};
use crate::catalog::Dialect;
use crate::model::Id;
use serde::{Deserialize, Serialize};

/// The five Mage operations; LIST and CREATE act on the collection (no record).
const OPERATIONS: [&str; 5] = ["LIST", "DETAIL", "CREATE", "UPDATE", "DELETE"];

/// One Mage REST call, as the permission checks see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MageCall {
    /// The caller.
    pub user: Id,
    /// The entity name of the endpoint's policy (`Role` for `/api/roles`).
    pub entity: String,
    /// `LIST`, `DETAIL`, `CREATE`, `UPDATE` or `DELETE`.
    pub op: String,
    /// The record of a DETAIL, UPDATE or DELETE (ignored for LIST and CREATE).
    #[serde(default)]
    pub uuid: Option<String>,
    /// The owner of the call's record, for `USER_OWNS_ENTITY` (nested objects: not known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Id>,
    /// Query keys; those starting with `_` and `api_key` are not checked.
    #[serde(default)]
    pub query: Vec<String>,
    /// Payload keys, checked on CREATE and UPDATE.
    #[serde(default)]
    pub write: Vec<String>,
    /// The presented objects, in response order: the main object(s) under the call's entity,
    /// nested objects under their own entity, each read with the call's operation.
    #[serde(default)]
    pub read: Vec<ReadCheck>,
}

/// One presented object whose attributes Mage read-checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadCheck {
    /// Its entity name (`Permission` for a role's nested `role_permissions`).
    pub entity: String,
    /// Its record id (matched against `entity_id`); `None` for an object without one.
    #[serde(default)]
    pub uuid: Option<String>,
    /// The attributes presented.
    pub attributes: Vec<String>,
}

/// One check of a [`MageCall`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum MageCheck {
    /// `authorize_action(op)` on the call's entity.
    Action,
    /// `authorize_query` for one query key.
    Query {
        /// The key.
        attribute: String,
    },
    /// `authorize_attributes(WRITE)` for one payload key.
    Write {
        /// The key.
        attribute: String,
    },
    /// `authorize_attributes(READ)` for one attribute of one presented object.
    Read {
        /// The object's entity.
        entity: String,
        /// The object's record.
        uuid: Option<String>,
        /// The attribute.
        attribute: String,
    },
}

/// The check that failed, with the engine request it ran and the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MageFailure {
    /// Which check.
    pub check: MageCheck,
    /// The request it ran (pass it to [`Engine::explain`] for the reasons).
    pub request: Request,
    /// Its decision (a DENY).
    pub decision: Decision,
}

/// The answer to a [`MageCall`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MageVerdict {
    /// Whether Mage would answer the call (rather than 403).
    pub allowed: bool,
    /// The first failing check, for a DENY.
    pub failed: Option<MageFailure>,
    /// How many checks were evaluated (answers reused from the per-call cache not counted).
    pub checks: usize,
}

/// Runs the checks of one call with Mage's per-request cache.
struct Run<'e> {
    engine: &'e Engine,
    user: Id,
    catalog: String,
    op: String,
    /// The call's entity and its record's owner (conditions of other entities get none).
    owner: Option<(String, Id)>,
    /// (entity, attribute check) of the checks already allowed.
    cache: Vec<(String, Option<AttrCheck>)>,
    checks: usize,
}

impl Run<'_> {
    fn check(
        &mut self,
        check: MageCheck,
        entity: &str,
        uuid: Option<&str>,
        attribute: Option<AttrCheck>,
    ) -> Result<(), Box<MageFailure>> {
        if self
            .cache
            .iter()
            .any(|(e, a)| e == entity && *a == attribute)
        {
            return Ok(());
        }
        let request = Request {
            at: None,
            user: self.user,
            catalog: self.catalog.clone(),
            action: self.op.clone(),
            entity: entity.to_string(),
            entity_uuid: uuid.map(str::to_string),
            resource_owner: self
                .owner
                .as_ref()
                .filter(|(e, _)| e == entity)
                .map(|(_, o)| *o),
            resource_team: None,
            attribute,
        };
        let decision = self.engine.decide(&request);
        self.checks += 1;
        if !decision.allowed {
            return Err(Box::new(MageFailure {
                check,
                request,
                decision,
            }));
        }
        self.cache.push((request.entity, request.attribute));
        Ok(())
    }
}

impl Engine {
    /// Decides a whole Mage call in Mage's order: the operation, each query key, each written
    /// attribute (CREATE, UPDATE), each attribute of each presented object; the first failing
    /// check decides. Conditions see the owner of the call's record (`owner`) on the checks of
    /// the call's entity, and no team.
    pub fn decide_mage_call(&self, call: &MageCall) -> MageVerdict {
        let catalog = self
            .catalogs
            .iter()
            .find(|c| c.catalog.dialect == Dialect::Mage)
            .map_or_else(|| "mage".to_string(), |c| c.catalog.name.clone());
        let mut run = Run {
            engine: self,
            user: call.user,
            catalog,
            op: call.op.clone(),
            owner: call.owner.map(|o| (call.entity.clone(), o)),
            cache: Vec::new(),
            checks: 0,
        };
        if !OPERATIONS.contains(&call.op.as_str()) {
            let request = Request {
                at: None,
                user: call.user,
                catalog: run.catalog,
                action: call.op.clone(),
                entity: call.entity.clone(),
                entity_uuid: call.uuid.clone(),
                resource_owner: call.owner,
                resource_team: None,
                attribute: None,
            };
            return MageVerdict {
                allowed: false,
                failed: Some(MageFailure {
                    check: MageCheck::Action,
                    request,
                    decision: Decision::deny(Rule::UnknownAction),
                }),
                checks: 0,
            };
        }
        let failed = Self::run_call(&mut run, call).err().map(|b| *b);
        MageVerdict {
            allowed: failed.is_none(),
            failed,
            checks: run.checks,
        }
    }

    fn run_call(run: &mut Run<'_>, call: &MageCall) -> Result<(), Box<MageFailure>> {
        let collection = matches!(call.op.as_str(), "LIST" | "CREATE");
        let record = if collection {
            None
        } else {
            call.uuid.as_deref()
        };
        run.check(MageCheck::Action, &call.entity, record, None)?;
        for key in &call.query {
            if key.starts_with('_') || key == "api_key" {
                continue;
            }
            let attr = AttrCheck {
                kind: AttrKind::Query,
                name: key.clone(),
            };
            let check = MageCheck::Query {
                attribute: key.clone(),
            };
            run.check(check, &call.entity, record, Some(attr))?;
        }
        if matches!(call.op.as_str(), "CREATE" | "UPDATE") {
            for key in &call.write {
                let attr = AttrCheck {
                    kind: AttrKind::Write,
                    name: key.clone(),
                };
                let check = MageCheck::Write {
                    attribute: key.clone(),
                };
                run.check(check, &call.entity, record, Some(attr))?;
            }
        }
        for obj in &call.read {
            for a in &obj.attributes {
                let attr = AttrCheck {
                    kind: AttrKind::Read,
                    name: a.clone(),
                };
                let check = MageCheck::Read {
                    entity: obj.entity.clone(),
                    uuid: obj.uuid.clone(),
                    attribute: a.clone(),
                };
                run.check(check, &obj.entity, obj.uuid.as_deref(), Some(attr))?;
            }
        }
        Ok(())
    }
}
