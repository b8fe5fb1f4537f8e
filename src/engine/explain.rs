//! Explanations (docs/PRODUCT.md §2.4): the decision plus every candidate considered, produced by the
//! same evaluation as `decide` with a recording tracer.

use super::evaluate::Tracer;
use super::index::{Engine, Entry, HolderOwner};
use super::{AttrCheck, AttrKind, Decision, Request, Rule, Via};
use crate::model::Id;
use serde::{Deserialize, Serialize};

/// What one candidate permission did for the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// It grants the action.
    Grants,
    /// It denies the action (a deny always wins).
    Denies,
    /// Right entity and uuid, but the action is not among its flags.
    NoAccess,
    /// A condition does not hold for this request.
    ConditionFailed {
        /// Which kind of condition failed.
        condition: FailedCondition,
    },
    /// Right entity, but it is scoped to another entity UUID.
    UuidMismatch,
    /// Mage attribute check: it disables the attribute, by `DISABLE_<X>_ALL` (`all`) or by
    /// `DISABLE_<X>` with the attribute in its `<x>_attributes` list. Counts as a deny.
    AttributeDenied {
        /// Query, read or write.
        kind: AttrKind,
        /// `DISABLE_<X>_ALL` rather than `DISABLE_<X>` on the listed attribute.
        all: bool,
    },
    /// Mage attribute check: it grants the operation but neither `<X>` nor `<X>_ALL`.
    NoAttributeAccess {
        /// Query, read or write.
        kind: AttrKind,
    },
    /// Mage attribute check: it grants the operation and `<X>`, but the attribute is not in
    /// its `<x>_attributes` list (and it lacks `<X>_ALL`).
    AttributeNotListed {
        /// Query, read or write.
        kind: AttrKind,
    },
    /// Mage attribute check: it grants the attribute but not the operation. Mage needs both
    /// in one single permission, so another permission's operation does not combine with it.
    AttributeWithoutOperation {
        /// Query, read or write.
        kind: AttrKind,
    },
}

/// The kind of condition that did not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailedCondition {
    /// The resource owner is not the subject.
    Own,
    /// The resource's team is not one of the subject's teams.
    Team,
    /// A condition that never holds (unknown to the catalog).
    Never,
}

/// One permission considered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// How it was reached.
    pub via: Via,
    /// The permission.
    pub permission: Id,
    /// What it did.
    pub outcome: Outcome,
    /// When the path to it ends (the earliest end of its links), if it does.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub ends: Option<time::OffsetDateTime>,
}

/// Something that would have allowed a denied request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "hint", rename_all = "snake_case")]
pub enum Hint {
    /// Assigning this role would grant it.
    AssignRole {
        /// The role.
        role: Id,
        /// Its granting permission.
        permission: Id,
    },
    /// Adding the user to this team would grant it (a direct team grant).
    JoinTeam {
        /// The team.
        team: Id,
        /// Its granting permission.
        permission: Id,
    },
    /// Removing or narrowing this deny would let the existing grant through.
    RemoveDeny {
        /// The deciding deny.
        permission: Id,
    },
    /// Mage: this reached permission grants the operation and `<X>`; adding the attribute to
    /// its `<x>_attributes` list would grant the attribute check.
    AddAttribute {
        /// The permission.
        permission: Id,
        /// Which list.
        kind: AttrKind,
    },
}

/// A decision with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// The decision (identical to `decide`).
    pub allowed: bool,
    /// The deciding rule.
    pub rule: Rule,
    /// Every holder reached: (path, whether it applies to this request).
    pub reached: Vec<(Via, bool)>,
    /// Every permission considered.
    pub candidates: Vec<Candidate>,
    /// For a DENY: what would have allowed it.
    pub hints: Vec<Hint>,
    /// The request's attribute check (Mage), echoed so the explanation reads on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<AttrCheck>,
}

#[derive(Default)]
struct Recorder {
    reached: Vec<(Via, bool)>,
    /// (via, permission id, outcome)
    candidates: Vec<(Via, Id, Outcome)>,
}

impl Tracer for Recorder {
    const RECORDS: bool = true;

    fn holder(&mut self, via: Via, applies: bool) {
        self.reached.push((via, applies));
    }

    fn candidate(&mut self, via: Via, perm: &Entry, outcome: Outcome) {
        self.candidates.push((via, perm.id, outcome));
    }
}

/// How many hints an explanation lists at most.
const MAX_HINTS: usize = 5;

impl Engine {
    /// Decides and explains. `explain(r).allowed == decide(r).allowed` always holds: both run
    /// the same evaluation.
    pub fn explain(&self, req: &Request) -> Explanation {
        let mut rec = Recorder::default();
        let Decision { allowed, rule } = self.evaluate(req, &mut rec);
        let hints = match rule {
            Rule::NoGrant if req.attribute.is_some() => self.attribute_hints(req, &rec),
            Rule::NoGrant => self.grant_hints(req),
            Rule::Denied { by } => vec![Hint::RemoveDeny {
                permission: by.permission,
            }],
            _ => Vec::new(),
        };
        Explanation {
            allowed,
            rule,
            reached: rec.reached,
            candidates: rec
                .candidates
                .into_iter()
                .map(|(via, permission, outcome)| Candidate {
                    via,
                    permission,
                    outcome,
                    ends: self.path_ends(req.user, via, permission),
                })
                .collect(),
            hints,
            attribute: req.attribute.clone(),
        }
    }

    /// Mage attribute requests: reached permissions that only lack the attribute in their list,
    /// then roles and teams holding one permission that alone grants the whole check.
    fn attribute_hints(&self, req: &Request, rec: &Recorder) -> Vec<Hint> {
        let mut hints = Vec::new();
        for &(_, permission, outcome) in &rec.candidates {
            if let Outcome::AttributeNotListed { kind } = outcome {
                let hint = Hint::AddAttribute { permission, kind };
                if !hints.contains(&hint) && hints.len() < MAX_HINTS {
                    hints.push(hint);
                }
            }
        }
        let Ok(r) = self.resolve(req) else {
            return hints;
        };
        for &key in &r.keys[..r.nkeys] {
            for &pi in self.perms_by_entity.get(&key).map_or(&[][..], |v| v) {
                let p = &self.perms[pi as usize];
                if p.cond != 0 || !(p.uuid == 0 || r.uuid == 0 || p.uuid == r.uuid) {
                    continue;
                }
                // A permission no holder has gives no hint.
                let Some(entry) = self.entry_of(pi) else {
                    continue;
                };
                if self.judge(req, &r, entry, true) == Outcome::Grants
                    && self.holder_hints(pi, &mut hints)
                {
                    return hints;
                }
            }
        }
        hints
    }

    /// Adds a hint per role or team holding permission `pi`; true once the list is full.
    fn holder_hints(&self, pi: u32, hints: &mut Vec<Hint>) -> bool {
        // Without an id, no holder has it: there is nothing to hint.
        let Some(id) = self.perm_id(pi) else {
            return false;
        };
        for &h in self.perm_holders.of(pi) {
            let hint = match self.holder_owner[h as usize] {
                HolderOwner::Role(ri) => Hint::AssignRole {
                    role: self.roles[ri as usize].id,
                    permission: id,
                },
                HolderOwner::Team(ti) => Hint::JoinTeam {
                    team: self.teams[ti as usize].id,
                    permission: id,
                },
                HolderOwner::User(_) => continue,
            };
            if !hints.contains(&hint) {
                hints.push(hint);
            }
            if hints.len() >= MAX_HINTS {
                return true;
            }
        }
        false
    }

    /// Roles and teams holding a plain grant (no conditions) of the action on the entity.
    fn grant_hints(&self, req: &Request) -> Vec<Hint> {
        let Some((ci, crec)) = self.catalog(&req.catalog) else {
            return Vec::new();
        };
        let (Some(bit), Some(&entity)) = (
            crec.catalog.flag_bit(&req.action),
            crec.entities.get(&req.entity),
        ) else {
            return Vec::new();
        };
        let action = 1u64 << bit;
        let uuid = req
            .entity_uuid
            .as_deref()
            .map_or(0, |u| self.uuids.get(u).unwrap_or(u32::MAX));
        let mut hints = Vec::new();
        for key in [entity, crec.all_key] {
            let Some(list) = self.perms_by_entity.get(&key) else {
                continue;
            };
            for &pi in list {
                let p = &self.perms[pi as usize];
                if p.catalog != ci {
                    continue;
                }
                let Some(e) = self.entry_of(pi) else {
                    continue;
                };
                // Grants expanded in either dialect; denies as a check tests them (as filed).
                let grants = crec.catalog.expand(e.grants);
                let denies = e.denies;
                if grants & action == 0
                    || denies & action != 0
                    || p.cond != 0
                    || !(p.uuid == 0 || p.uuid == uuid)
                {
                    continue;
                }
                if self.holder_hints(pi, &mut hints) {
                    return hints;
                }
            }
        }
        hints
    }
}
