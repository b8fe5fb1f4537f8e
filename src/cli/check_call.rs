//! `check` on the `mage` catalog: the whole REST call, as Mage 0.9.80 decides it
//! (`docs/MAGE_CALLS.md`). `--operation-only` keeps the narrower question in `check.rs`.

use super::Ctx;
use super::decide::Decision;
use super::output::print_json;
use super::refs::UserRef;
use crate::backend::Result;
use crate::engine::{CallAnswer, MageFailure};
use crate::policy::State;
use crate::present::call::{FAILED_CALL_HINTS, check_words, plan_lines};
use crate::present::{explain_lines, explain_lines_headed};
use crate::text::sanitize;
use serde::Serialize;

#[derive(Serialize)]
struct CallJson<'a> {
    allowed: bool,
    decision: &'static str,
    user: UserRef,
    action: &'a str,
    catalog: &'a str,
    entity: &'a str,
    entity_uuid: Option<&'a str>,
    /// `call`: the whole REST call was decided; `operation`: its attribute lists are not known.
    scope: &'static str,
    reason: String,
    call: &'a CallAnswer,
}

/// Prints `check`'s answer `d` on a whole Mage call (its `answer`): exit 0 on ALLOW, 1 on
/// DENY.
pub async fn print_call(
    ctx: &Ctx,
    s: &State,
    explain: bool,
    d: &Decision,
    answer: &CallAnswer,
) -> Result<i32> {
    let (u, req, t) = (&d.user, &d.req, &d.target);
    let allowed = d.allowed;
    let decision = if allowed { "ALLOW" } else { "DENY" };
    let reason = d.reason.clone();
    if ctx.json() {
        print_json(&CallJson {
            allowed,
            decision,
            user: UserRef {
                id: u.id,
                username: u.username.clone(),
            },
            action: &req.action,
            catalog: &t.catalog,
            entity: &t.entity,
            entity_uuid: t.uuid.as_deref(),
            scope: if answer.known { "call" } else { "operation" },
            reason,
            call: answer,
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
    if explain {
        outln!();
        for l in plan_lines(answer) {
            outln!("{}", sanitize(&l));
        }
        match &answer.verdict.failed {
            Some(f) => print_failure(ctx, s, &u.username, f).await?,
            None => {
                outln!();
                outln!("the operation is granted:");
                let e = ctx.backend.explain(req.clone()).await?;
                let catalogs = ctx.backend.catalogs().await?;
                for line in explain_lines(s, &catalogs, &u.username, &e) {
                    outln!("{}", sanitize(&line));
                }
            }
        }
    }
    Ok(if allowed { 0 } else { 1 })
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
    for line in explain_lines_headed(s, &catalogs, username, &e, FAILED_CALL_HINTS) {
        outln!("{}", sanitize(&line));
    }
    Ok(())
}
