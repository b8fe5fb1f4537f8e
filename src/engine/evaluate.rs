//! The one evaluation function behind `decide` and `explain` (docs/PRODUCT.md §2.3), for both dialects.

use super::explain::{FailedCondition, Outcome};
use super::holder::Holder;
use super::index::{
    COND_NEVER, COND_OWN, COND_TEAM, CatalogRec, Engine, Entry, HolderIdx, UserRec,
};
use super::{AttrKind, Decision, PathTo, Request, Rule, Via};
use crate::catalog::Dialect;

/// Observes an evaluation. `decide` uses [`NoTrace`] (compiled away); `explain` records.
pub(crate) trait Tracer {
    /// When false, evaluation may stop at the first deny and skip near-miss scans.
    const RECORDS: bool;
    /// A holder reached from the subject; `applies` is false for a membership role whose
    /// team is not the resource's team.
    fn holder(&mut self, _via: Via, _applies: bool) {}
    /// A permission (as filed under the holder) considered, and what it did.
    fn candidate(&mut self, _via: Via, _perm: &Entry, _outcome: Outcome) {}
}

/// The tracer that records nothing.
pub(crate) struct NoTrace;

impl Tracer for NoTrace {
    const RECORDS: bool = false;
}

/// A Mage attribute check resolved against the catalog.
pub(crate) struct ResolvedAttr<'a> {
    pub(crate) kind: AttrKind,
    pub(crate) name: &'a str,
    /// The flag for listed attributes (`READ`) and the flag for all (`READ_ALL`).
    pub(crate) bit: u64,
    pub(crate) all_bit: u64,
}

/// What the request resolved to inside the index.
pub(crate) struct Resolved<'e> {
    pub(crate) user: &'e UserRec,
    pub(crate) crec: &'e CatalogRec,
    pub(crate) action: u64,
    /// Entity keys that reach the request's entity: itself, ALL, ALL_EXCEPT_RESERVED.
    pub(crate) keys: [u32; 3],
    pub(crate) nkeys: usize,
    /// Interned uuid of the request (0: none; u32::MAX: a uuid no permission names).
    pub(crate) uuid: u32,
    /// Index of the resource team, when it is a known team.
    pub(crate) team: Option<u32>,
    /// Mage dialect: the attribute check, if the request carries one.
    pub(crate) attr: Option<ResolvedAttr<'e>>,
}

impl Engine {
    /// Answers a request. Pure; allocates nothing.
    pub fn decide(&self, req: &Request) -> Decision {
        self.evaluate(req, &mut NoTrace)
    }

    pub(crate) fn evaluate<T: Tracer>(&self, req: &Request, t: &mut T) -> Decision {
        let r = match self.resolve(req) {
            Ok(r) => r,
            Err(d) => return d,
        };
        let crec = r.crec;
        match crec.catalog.dialect {
            Dialect::Standard => self.run(req, &r, t, false),
            Dialect::Mage => {
                // Mage: an OWNER bit in any permission the user reaches allows everything.
                let mut owner_hit = None;
                self.reach(&r, &mut NoTrace, |via, h, _| {
                    if owner_hit.is_none()
                        && let Some(id) = self.holders[h as usize].owner_bit_perm
                    {
                        owner_hit = Some(PathTo {
                            via,
                            permission: id,
                        });
                    }
                    owner_hit.is_none()
                });
                if let Some(by) = owner_hit {
                    return Decision::allow(Rule::MageOwnerBit { by });
                }
                self.run(req, &r, t, true)
            }
        }
    }

    /// Resolves a request against the index, or the decision that ends it early (unknown or
    /// disabled subject, owner flag, unknown action, inapplicable attribute check).
    pub(crate) fn resolve<'e>(&'e self, req: &'e Request) -> Result<Resolved<'e>, Decision> {
        let Some(&ui) = self.user_by_id.get(&req.user) else {
            return Err(Decision::deny(Rule::UnknownSubject));
        };
        let user = &self.users[ui as usize];
        if user.disabled {
            return Err(Decision::deny(Rule::Disabled));
        }
        if user.owner {
            return Err(Decision::allow(Rule::Owner));
        }
        let Some((_, crec)) = self.catalog(&req.catalog) else {
            return Err(Decision::deny(Rule::UnknownAction));
        };
        let (Some(bit), Some(&entity)) = (
            crec.catalog.flag_bit(&req.action),
            crec.entities.get(&req.entity),
        ) else {
            return Err(Decision::deny(Rule::UnknownAction));
        };
        let action = 1u64 << bit;
        let attr = match &req.attribute {
            None => None,
            Some(a) => {
                if crec.catalog.dialect != Dialect::Mage {
                    return Err(Decision::deny(Rule::AttributeNotInDialect));
                }
                if crec.operations & action == 0 {
                    return Err(Decision::deny(Rule::AttributeNeedsOperation));
                }
                let (bit, all_bit) = crec.attr_bits[a.kind as usize];
                Some(ResolvedAttr {
                    kind: a.kind,
                    name: &a.name,
                    bit,
                    all_bit,
                })
            }
        };
        let mut keys = [entity, crec.all_key, 0];
        let mut nkeys = 2;
        if !crec.reserved.is_empty() && !crec.reserved.contains(&entity) {
            keys[2] = crec.all_except_reserved_key;
            nkeys = 3;
        }
        if entity == crec.all_key {
            nkeys = 1;
        }
        let uuid = match &req.entity_uuid {
            None => 0,
            Some(u) => self.uuids.get(u).unwrap_or(u32::MAX),
        };
        let team = req
            .resource_team
            .and_then(|id| self.team_by_id.get(&id).copied());
        Ok(Resolved {
            user,
            crec,
            action,
            keys,
            nkeys,
            uuid,
            team,
            attr,
        })
    }

    /// Calls `f` for every holder the subject reaches that applies to the request, until `f`
    /// returns false; the tracer is told about every holder, applying or not.
    fn reach<T: Tracer, F: FnMut(Via, HolderIdx, &mut T) -> bool>(
        &self,
        r: &Resolved<'_>,
        t: &mut T,
        mut f: F,
    ) {
        let u = r.user;
        if let Some(h) = u.direct {
            t.holder(Via::Direct, true);
            if !f(Via::Direct, h, t) {
                return;
            }
        }
        for &ri in &u.roles {
            let role = &self.roles[ri as usize];
            let via = Via::Role { role: role.id };
            t.holder(via, true);
            if !f(via, role.holder, t) {
                return;
            }
        }
        for &(ti, member_role) in &u.teams {
            let team = &self.teams[ti as usize];
            if let Some(h) = team.direct {
                let via = Via::Team { team: team.id };
                t.holder(via, true);
                if !f(via, h, t) {
                    return;
                }
            }
            for &ri in &team.roles {
                let role = &self.roles[ri as usize];
                let via = Via::TeamRole {
                    team: team.id,
                    role: role.id,
                };
                t.holder(via, true);
                if !f(via, role.holder, t) {
                    return;
                }
            }
            if let Some(ri) = member_role {
                let role = &self.roles[ri as usize];
                let via = Via::MemberRole {
                    team: team.id,
                    role: role.id,
                };
                let applies = team.is_admin || r.team == Some(ti);
                t.holder(via, applies);
                if applies && !f(via, role.holder, t) {
                    return;
                }
            }
        }
    }

    fn conditions_hold(&self, req: &Request, r: &Resolved<'_>, p: &Entry) -> Result<(), Outcome> {
        if p.cond & COND_NEVER != 0 {
            return Err(Outcome::ConditionFailed {
                condition: FailedCondition::Never,
            });
        }
        if p.cond & COND_OWN != 0 && req.resource_owner != Some(r.user.id) {
            return Err(Outcome::ConditionFailed {
                condition: FailedCondition::Own,
            });
        }
        if p.cond & COND_TEAM != 0 {
            let in_team = r
                .team
                .is_some_and(|ti| r.user.teams.iter().any(|&(t, _)| t == ti));
            if !in_team {
                return Err(Outcome::ConditionFailed {
                    condition: FailedCondition::Team,
                });
            }
        }
        Ok(())
    }

    /// Evaluates one permission against the request: grants, denies, or why it does not match.
    pub(crate) fn judge(&self, req: &Request, r: &Resolved<'_>, p: &Entry, mage: bool) -> Outcome {
        if !mage {
            if let Err(o) = self.conditions_hold(req, r, p) {
                return o;
            }
            if p.denies & r.action != 0 {
                return Outcome::Denies;
            }
            if p.grants & r.action != 0 {
                return Outcome::Grants;
            }
            return Outcome::NoAccess;
        }
        // Mage 0.9.80 (`docs/MAGE.md` §4, per permission; `user_permissions.py`).
        let c = r.crec;
        if p.denies & r.action != 0 {
            return Outcome::Denies;
        }
        let mut grants = p.grants;
        if p.denies == 0 && grants.count_ones() == 1 && grants & c.group_mask != 0 {
            grants = c.catalog.expand(grants);
        }
        // ALL returns at once: before DISABLE_OPERATION_ALL, the attribute checks and the
        // DISABLE_UNLESS_CONDITIONS gate.
        if grants & c.all_bit != 0 {
            return Outcome::Grants;
        }
        let is_operation = c.operations & r.action != 0;
        if p.denies & c.operation_all_bit != 0 && is_operation {
            return Outcome::Denies;
        }
        let op_ok = grants & c.operation_all_bit != 0 && is_operation || grants & r.action != 0;
        let Some(a) = &r.attr else {
            if !op_ok {
                return Outcome::NoAccess;
            }
            return self.mage_gate(req, r, p, Outcome::Grants);
        };
        // Step 8: the attribute, in the same permission as the operation.
        let kind = a.kind;
        if p.denies & a.all_bit != 0 {
            return Outcome::AttributeDenied { kind, all: true };
        }
        let list = self.attrs(p.pi, kind as usize);
        let listed = list.iter().any(|x| x == a.name);
        if p.denies & a.bit != 0 && listed {
            return Outcome::AttributeDenied { kind, all: false };
        }
        let has_bit = grants & (a.bit | a.all_bit) != 0;
        // Mage skips the list for an empty attribute name (`and resource_attribute`).
        let in_list = grants & a.all_bit != 0 || a.name.is_empty() || listed;
        match (op_ok, has_bit && in_list) {
            (true, true) => self.mage_gate(req, r, p, Outcome::Grants),
            (false, true) => Outcome::AttributeWithoutOperation { kind },
            (false, false) => Outcome::NoAccess,
            (true, false) if !has_bit => Outcome::NoAttributeAccess { kind },
            (true, false) => Outcome::AttributeNotListed { kind },
        }
    }

    /// Mage checks conditions only under DISABLE_UNLESS_CONDITIONS.
    fn mage_gate(&self, req: &Request, r: &Resolved<'_>, p: &Entry, ok: Outcome) -> Outcome {
        if p.grants & r.crec.unless_conditions_bit != 0
            && let Err(o) = self.conditions_hold(req, r, p)
        {
            return o;
        }
        ok
    }

    fn run<T: Tracer>(&self, req: &Request, r: &Resolved<'_>, t: &mut T, mage: bool) -> Decision {
        if !T::RECORDS && r.attr.is_none() {
            return self.run_summarized(req, r, mage);
        }
        let mut grant: Option<PathTo> = None;
        let mut deny: Option<PathTo> = None;
        // Mage applies record-scoped permissions to collection operations (list, create): there
        // is no record. An attribute check reads or writes the request's record, if any.
        let any_uuid =
            mage && (r.uuid == 0 || r.attr.is_none() && r.action & r.crec.collection_ops != 0);
        /// Above this many entries for one entity, find the uuid by binary search.
        const SCAN: usize = 16;
        let mut visit = |via: Via, h: HolderIdx, t: &mut T| -> bool {
            let holder = &self.holders[h as usize];
            let nkeys = if holder.has_pseudo { r.nkeys } else { 1 };
            for &key in &r.keys[..nkeys] {
                let all = holder.lookup_entity(key);
                let exact: [&[Entry]; 2] = if any_uuid || all.len() <= SCAN {
                    [all, &[]]
                } else if r.uuid == 0 {
                    [holder.lookup(key, 0), &[]]
                } else {
                    [holder.lookup(key, 0), holder.lookup(key, r.uuid)]
                };
                for slice in exact {
                    for e in slice {
                        let uuid = self.perms[e.pi as usize].uuid;
                        if !(any_uuid || uuid == 0 || uuid == r.uuid) {
                            if T::RECORDS {
                                t.candidate(via, e, Outcome::UuidMismatch);
                            }
                            continue;
                        }
                        let outcome = self.judge(req, r, e, mage);
                        match outcome {
                            Outcome::Denies | Outcome::AttributeDenied { .. } => {
                                if deny.is_none() {
                                    deny = Some(PathTo {
                                        via,
                                        permission: e.id,
                                    });
                                }
                                t.candidate(via, e, outcome);
                                if !T::RECORDS {
                                    return false;
                                }
                            }
                            Outcome::Grants => {
                                if grant.is_none() {
                                    grant = Some(PathTo {
                                        via,
                                        permission: e.id,
                                    });
                                }
                                t.candidate(via, e, outcome);
                            }
                            _ => t.candidate(via, e, outcome),
                        }
                    }
                }
                if T::RECORDS && !any_uuid && all.len() > SCAN {
                    for e in all {
                        let uuid = self.perms[e.pi as usize].uuid;
                        if uuid != 0 && uuid != r.uuid {
                            t.candidate(via, e, Outcome::UuidMismatch);
                        }
                    }
                }
            }
            true
        };
        self.reach(r, t, &mut visit);
        if let Some(by) = deny {
            return Decision::deny(Rule::Denied { by });
        }
        if let Some(by) = grant {
            return Decision::allow(Rule::Granted { by });
        }
        Decision::deny(Rule::NoGrant)
    }

    /// `decide` for a check without an attribute: reads each holder's directory entry for the
    /// entity, judges entries only in the groups whose summary says they may deny the action or
    /// depend on the request, skips the groups that neither grant nor deny it, and looks for the
    /// granting permission only once, at the end. Answers exactly as `run` with a recording
    /// tracer (same rule, same permission).
    fn run_summarized(&self, req: &Request, r: &Resolved<'_>, mage: bool) -> Decision {
        let any_uuid = mage && (r.uuid == 0 || r.action & r.crec.collection_ops != 0);
        let scoped_uuid = r.uuid != 0 && r.uuid != u32::MAX;
        let action = r.action;
        let mut f = Found::default();
        // Judges a group's entries if it may deny; else notes it if it grants. False: denied.
        // Judges the entries `from..to` of a group summarized by (`scan`, `grant`) if it may
        // deny; else notes them if they grant. False: denied.
        let judge_range = |f: &mut Found,
                           via: Via,
                           h: HolderIdx,
                           holder: &Holder,
                           (scan, grant): (u64, u64),
                           (from, to): (u32, u32)|
         -> bool {
            if scan & action != 0 {
                for e in &holder.entries[from as usize..to as usize] {
                    // A group's entries that deny something come first, and an entry that denies
                    // nothing never judges `Denies`: past them, once a grant is known, the rest
                    // cannot change the answer.
                    if e.denies == 0 && !f.none_granted() {
                        break;
                    }
                    match self.judge(req, r, e, mage) {
                        Outcome::Denies | Outcome::AttributeDenied { .. } => {
                            f.deny = Some(PathTo {
                                via,
                                permission: e.id,
                            });
                            return false;
                        }
                        Outcome::Grants if f.none_granted() => {
                            f.grant = Some(PathTo {
                                via,
                                permission: e.id,
                            });
                        }
                        _ => {}
                    }
                }
            } else if grant & action != 0 {
                f.note_pending(via, h, from, to);
            }
            true
        };
        let visit = |f: &mut Found, via: Via, h: HolderIdx, holder: &Holder, gi: u32| -> bool {
            let g = &holder.groups[gi as usize];
            let range = (g.start, holder.group_end(gi));
            judge_range(f, via, h, holder, (g.scan, g.grant), range)
        };
        self.reach(r, &mut NoTrace, |via, h, _| {
            let holder = &self.holders[h as usize];
            let nkeys = if holder.has_pseudo { r.nkeys } else { 1 };
            for &key in &r.keys[..nkeys] {
                let d = holder.dir_ent(key);
                if any_uuid {
                    if d.scan_all & action != 0 {
                        for gi in d.lo..d.hi {
                            if !visit(&mut f, via, h, holder, gi) {
                                return false;
                            }
                        }
                    } else if d.grant_all & action != 0 {
                        f.note_pending(via, h, d.first_entry, d.end);
                    }
                    continue;
                }
                // The uuid-0 group starts the entity's entries, and the directory entry holds
                // its summary and range: no need to read the group.
                if !judge_range(
                    &mut f,
                    via,
                    h,
                    holder,
                    (d.scan0, d.grant0),
                    (d.first_entry, d.end0),
                ) {
                    return false;
                }
                if scoped_uuid
                    && d.may_hold(r.uuid)
                    && let Some(gi) = holder.find_group(&d, r.uuid)
                    && !visit(&mut f, via, h, holder, gi)
                {
                    return false;
                }
            }
            true
        });
        if let Some(by) = f.deny {
            return Decision::deny(Rule::Denied { by });
        }
        if let Some(by) = f.grant {
            return Decision::allow(Rule::Granted { by });
        }
        if let Some(p) = f.pending {
            // A summary said an entry from `p.from` on grants: find the first one.
            let first = self.holders[p.holder as usize].entries[p.from as usize..p.to as usize]
                .iter()
                .find(|e| self.judge(req, r, e, mage) == Outcome::Grants);
            if let Some(e) = first {
                return Decision::allow(Rule::Granted {
                    by: PathTo {
                        via: p.via,
                        permission: e.id,
                    },
                });
            }
        }
        Decision::deny(Rule::NoGrant)
    }
}

/// What `run_summarized` found so far.
#[derive(Default)]
struct Found {
    deny: Option<PathTo>,
    /// A grant found by judging an entry.
    grant: Option<PathTo>,
    /// Where an entry that grants outright lies, found before any grant.
    pending: Option<Pending>,
}

/// Entries `from..to` of one holder (a group, or an entity's groups), among which one grants
/// the action outright.
struct Pending {
    via: Via,
    holder: HolderIdx,
    from: u32,
    to: u32,
}

impl Found {
    fn none_granted(&self) -> bool {
        self.grant.is_none() && self.pending.is_none()
    }

    /// Notes where an outright grant lies, unless a grant was found before.
    fn note_pending(&mut self, via: Via, holder: HolderIdx, from: u32, to: u32) {
        if self.none_granted() {
            self.pending = Some(Pending {
                via,
                holder,
                from,
                to,
            });
        }
    }
}
