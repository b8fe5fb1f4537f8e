//! Words for a whole Mage call's answer (`docs/MAGE_CALLS.md`): the failing check, the one-line
//! reason and the checks in Mage's order, shared by `check` and the console's Access check.

use super::rule_text;
use crate::engine::{CallAnswer, MageCheck, Rule};
use crate::policy::State;

/// What one check is, in words.
pub fn check_words(call_entity: &str, check: &MageCheck) -> String {
    match check {
        MageCheck::Action => format!("the operation on {call_entity}"),
        MageCheck::Query { attribute } => format!("the query key `{attribute}`"),
        MageCheck::Write { attribute } => format!("writing `{attribute}`"),
        MageCheck::Read {
            entity,
            uuid,
            attribute,
        } => {
            let of = match uuid {
                Some(u) => format!("{entity}/{u}"),
                None => entity.clone(),
            };
            let nested = if entity == call_entity {
                ""
            } else {
                " (nested)"
            };
            format!("reading `{attribute}` of {of}{nested}")
        }
    }
}

/// Why the call is allowed or denied, in one line.
pub fn call_reason(s: &State, a: &CallAnswer) -> String {
    match &a.verdict.failed {
        Some(f) => {
            let at = check_words(&a.call.entity, &f.check);
            match (&f.check, &f.decision.rule) {
                (MageCheck::Action, rule) => {
                    format!("{} — Mage answers 403 at {at}", rule_text(s, rule))
                }
                (_, Rule::NoGrant) => format!(
                    "Mage answers 403 at {at}: no one permission grants both {} and that",
                    a.call.op
                ),
                (_, rule) => format!("Mage answers 403 at {at}: {}", rule_text(s, rule)),
            }
        }
        None if a.known => format!(
            "every check of the call passes ({} checks)",
            a.verdict.checks
        ),
        None => "the operation passes; what Mage presents for this call is not known, so its \
                 attributes were not checked (--explain)"
            .to_string(),
    }
}

/// The heading over the changes listed under a whole call's failing check: they pass that
/// check, and the call's later checks (attributes, nested objects) may still refuse.
pub const FAILED_CALL_HINTS: &str = "would pass this check (the call's later checks may still refuse; check again after the change):";

/// The checks of the call, grouped as Mage makes them, and what was assumed.
pub fn plan_lines(a: &CallAnswer) -> Vec<String> {
    let c = &a.call;
    let mut out = vec![format!(
        "the call {} {} checks, in Mage's order (docs/MAGE_CALLS.md):",
        c.op, c.entity
    )];
    out.push(format!("  operation {} on {}", c.op, c.entity));
    let keys = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    out.push(format!("  query keys: {}", keys(&c.query)));
    if matches!(c.op.as_str(), "CREATE" | "UPDATE") {
        out.push(format!("  payload keys: {}", keys(&c.write)));
    }
    if !a.known {
        out.push(format!(
            "  presented attributes: not known for {} {} — the catalog has no list for this call, \
             so none were checked",
            c.op, c.entity
        ));
    }
    for r in &c.read {
        let of = match &r.uuid {
            Some(u) => format!("{}/{u}", r.entity),
            None => r.entity.clone(),
        };
        let nested = if r.entity == c.entity {
            ""
        } else {
            " (nested)"
        };
        out.push(format!("  read {of}{nested}: {}", r.attributes.join(", ")));
    }
    for x in &a.assumed {
        out.push(format!("  assumed (not known): {x}"));
    }
    if let Some(b) = &a.broken {
        out.push(format!(
            "  note: Mage 0.9.80 fails this call whatever the permissions: {b}"
        ));
    }
    if !a.source.is_empty() {
        out.push(format!("  source (in mage_ai/api/): {}", a.source));
    }
    out
}
