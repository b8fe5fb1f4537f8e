//! `check` on the `mage` catalog: the whole REST call, as Mage 0.9.80 decides it
//! (`docs/MAGE_CALLS.md`). `--operation-only` keeps the narrower question in `check.rs`.

use super::Ctx;
use super::check::CheckArgs;
use super::output::print_json;
use crate::backend::{Result, Target};
use crate::engine::{CallAnswer, CallQuery, MageCheck, MageFailure, Request};
use crate::model::User;
use crate::policy::State;
use crate::present::{explain_lines, rule_text};
use crate::text::sanitize;
use serde::Serialize;

#[derive(Serialize)]
struct CallJson<'a> {
    allowed: bool,
    decision: &'static str,
    user: &'a str,
    action: &'a str,
    catalog: &'a str,
    entity: &'a str,
    entity_uuid: Option<&'a str>,
    /// `call`: the whole REST call was decided; `operation`: its attribute lists are not known.
    scope: &'static str,
    reason: String,
    call: &'a CallAnswer,
}

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
        Some(f) => format!(
            "Mage answers 403 at {}: {}",
            check_words(&a.call.entity, &f.check),
            rule_text(s, &f.decision.rule)
        ),
        None if a.known => format!(
            "every check of the call passes ({} checks)",
            a.verdict.checks
        ),
        None => "the operation passes; what Mage presents for this call is not known, so its \
                 attributes were not checked (--explain)"
            .to_string(),
    }
}

/// `check` of a whole Mage call: exit 0 on ALLOW, 1 on DENY.
pub async fn check_call(
    ctx: &Ctx,
    s: &State,
    a: &CheckArgs,
    u: &User,
    req: &Request,
    t: &Target,
) -> Result<i32> {
    let q = CallQuery {
        user: u.id,
        entity: t.entity.clone(),
        op: req.action.clone(),
        uuid: t.uuid.clone(),
        owner: req.resource_owner,
        query: a.query_keys.clone(),
        write: a.payload.clone(),
    };
    let answer = ctx.backend.decide_call(q).await?;
    let allowed = answer.verdict.allowed;
    let decision = if allowed { "ALLOW" } else { "DENY" };
    let reason = call_reason(s, &answer);
    if ctx.json() {
        print_json(&CallJson {
            allowed,
            decision,
            user: &u.username,
            action: &req.action,
            catalog: &t.catalog,
            entity: &t.entity,
            entity_uuid: t.uuid.as_deref(),
            scope: if answer.known { "call" } else { "operation" },
            reason,
            call: &answer,
        })?;
        return Ok(if allowed { 0 } else { 1 });
    }
    let line = format!(
        "{decision:<5}  {} may{} {} {} — {reason}",
        u.username,
        if allowed { "" } else { " not" },
        req.action,
        t.display()
    );
    outln!("{}", sanitize(&line));
    if a.explain {
        outln!();
        for l in plan_lines(&answer) {
            outln!("{}", sanitize(&l));
        }
        if let Some(f) = &answer.verdict.failed {
            print_failure(ctx, s, &u.username, f).await?;
        }
    }
    Ok(if allowed { 0 } else { 1 })
}

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

async fn print_failure(ctx: &Ctx, s: &State, username: &str, f: &MageFailure) -> Result<()> {
    outln!();
    outln!(
        "{}",
        sanitize(&format!(
            "the check that fails: {}",
            check_words(&f.request.entity, &f.check)
        ))
    );
    let e = ctx.backend.explain(f.request.clone()).await?;
    let catalogs = ctx.backend.catalogs().await?;
    for line in explain_lines(s, &catalogs, username, &e) {
        outln!("{}", sanitize(&line));
    }
    Ok(())
}
