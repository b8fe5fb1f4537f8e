//! `gatehouse check`, `who-can`, `what-can`.

use super::Ctx;
pub use super::decide::RequestContext;
use super::decide::{CheckOptions, How, Question, decide};
use super::ends::parse_at;
use super::output::{print_json, print_table};
use super::refs::UserRef;
use super::users::{effective_rows, print_effective};
use crate::backend::{Result, find_user};
use crate::backend::{Target, build_request};
use crate::catalog::{CALL_OPERATIONS, Dialect};
use crate::engine::{AttrCheck, CallQuery, Explanation, Request};
use crate::model::Id;
use crate::policy::State;
use crate::present::{explain_lines_at, rule_text};
use crate::text::sanitize;
use clap::Args;
use serde::Serialize;

/// `check` arguments.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Username or id.
    pub user: String,
    /// A flag of the entity's catalog (`read`, `LIST`, …).
    pub action: String,
    /// `Entity`, `Entity/uuid`, `catalog:Entity` or okdata `ns:type:id`.
    pub entity: String,
    #[command(flatten)]
    pub context: RequestContext,
    #[command(flatten)]
    pub options: CheckOptions,
    /// Show every path and candidate permission (and when each path ends), and what would
    /// allow a denial.
    #[arg(long)]
    pub explain: bool,
    /// Decide at another instant: 2026-12-31T18:00Z, or +8h from now. A role, membership or
    /// grant ended by then counts as absent.
    #[arg(long, value_name = "INSTANT|+DURATION")]
    pub at: Option<String>,
}

/// `who-can` arguments.
#[derive(Debug, Args)]
pub struct WhoCanArgs {
    /// A flag of the entity's catalog.
    pub action: String,
    /// `Entity`, `Entity/uuid`, `catalog:Entity` or okdata `ns:type:id`.
    pub entity: String,
    #[command(flatten)]
    pub context: RequestContext,
    /// Mage: those granted the operation alone, not the whole REST call.
    #[arg(long)]
    pub operation_only: bool,
    /// Who can at another instant: 2026-12-31T18:00Z, or +8h from now.
    #[arg(long, value_name = "INSTANT|+DURATION")]
    pub at: Option<String>,
}

async fn build(
    ctx: &Ctx,
    s: &State,
    user: Id,
    action: &str,
    entity: &str,
    rc: &RequestContext,
) -> Result<(Request, Target)> {
    let cats = ctx.backend.catalogs().await?;
    build_request(
        &cats,
        s,
        user,
        action,
        entity,
        rc.catalog.as_deref(),
        rc.owner.as_deref(),
        rc.team.as_deref(),
    )
}

#[derive(Serialize)]
struct CheckJson<'a> {
    allowed: bool,
    decision: &'static str,
    user: UserRef,
    action: &'a str,
    catalog: &'a str,
    entity: &'a str,
    entity_uuid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attribute: Option<&'a AttrCheck>,
    reason: String,
    /// The instant decided at, when `--at` named one.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    at: Option<time::OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    explanation: Option<&'a Explanation>,
}

/// `check`: exit 0 on ALLOW, 1 on DENY.
pub async fn check(ctx: &Ctx, a: CheckArgs) -> Result<i32> {
    let at = a.at.as_deref().map(parse_at).transpose()?;
    let s = ctx.backend.state().await?;
    let cats = ctx.backend.catalogs().await?;
    let q = Question {
        user: &a.user,
        action: &a.action,
        entity: &a.entity,
        context: &a.context,
        options: &a.options,
        at,
    };
    let d = decide(ctx.backend.as_ref(), &s, &cats, &q).await?;
    let e = match &d.how {
        How::Call(answer) => {
            return super::check_call::print_call(ctx, &s, a.explain, &d, answer).await;
        }
        How::Operation(e) => e,
    };
    let decision = if d.allowed { "ALLOW" } else { "DENY" };
    let t = &d.target;
    if ctx.json() {
        print_json(&CheckJson {
            allowed: d.allowed,
            decision,
            user: UserRef {
                id: d.user.id,
                username: d.user.username.clone(),
            },
            action: &a.action,
            catalog: &t.catalog,
            entity: &t.entity,
            entity_uuid: t.uuid.as_deref(),
            attribute: d.attribute.as_ref(),
            reason: d.reason.clone(),
            at,
            explanation: a.explain.then_some(e),
        })?;
    } else {
        let attr = d
            .attribute
            .as_ref()
            .map(|at| format!(" ({} {})", at.kind.word(), at.name))
            .unwrap_or_default();
        let when = at
            .map(|t| format!(" at {}", crate::present::instant(t)))
            .unwrap_or_default();
        let line = format!(
            "{decision:<5}  {} may{} {} {}{attr}{when} — {}",
            d.user.username,
            if d.allowed { "" } else { " not" },
            a.action,
            t.display(),
            d.reason
        );
        outln!("{}", sanitize(&line));
        if a.explain {
            outln!();
            for line in explain_lines_at(&s, &cats, &d.user.username, e, d.req.instant()) {
                outln!("{}", sanitize(&line));
            }
        }
    }
    Ok(if d.allowed { 0 } else { 1 })
}

#[derive(Serialize)]
struct WhoRow {
    user: UserRef,
    path: String,
}

/// `who-can`: on the `mage` catalog, those for whom the whole REST call passes (unless
/// `--operation-only`), as `check` answers.
pub async fn who_can(ctx: &Ctx, a: WhoCanArgs) -> Result<i32> {
    let at = a.at.as_deref().map(parse_at).transpose()?;
    let s = ctx.backend.state().await?;
    let (mut req, t) = build(ctx, &s, Id::nil(), &a.action, &a.entity, &a.context).await?;
    req.at = at;
    let cats = ctx.backend.catalogs().await?;
    let whole_call = !a.operation_only
        && CALL_OPERATIONS.contains(&req.action.as_str())
        && cats
            .get(&t.catalog)
            .is_some_and(|c| c.dialect == Dialect::Mage);
    if whole_call && at.is_some() {
        return Err(super::decide::no_call_at());
    }
    if whole_call && matches!(req.action.as_str(), "LIST" | "CREATE") {
        // Mage checks the operation of a list or create on no record: a permission scoped
        // to a record passes it, so the candidates are those of the whole entity.
        req.entity_uuid = None;
    }
    let mut holders = ctx.backend.who_can(req.clone()).await?;
    if whole_call {
        let mut kept = Vec::new();
        for w in holders {
            let q = CallQuery {
                user: w.user,
                entity: t.entity.clone(),
                op: req.action.clone(),
                uuid: t.uuid.clone(),
                owner: req.resource_owner,
                query: None,
                write: None,
            };
            if ctx.backend.decide_call(q).await?.verdict.allowed {
                kept.push(w);
            }
        }
        holders = kept;
    }
    let rows: Vec<WhoRow> = holders
        .into_iter()
        .map(|w| WhoRow {
            user: UserRef {
                id: w.user,
                username: w.username,
            },
            path: rule_text(&s, &w.rule),
        })
        .collect();
    if ctx.json() {
        return print_json(&rows).map(|_| 0);
    }
    print_table(
        &["USERNAME", "WHY"],
        rows.iter()
            .map(|r| vec![r.user.username.clone(), r.path.clone()])
            .collect(),
        "nobody",
    );
    Ok(0)
}

#[derive(Serialize)]
struct WhatJson {
    user: UserRef,
    owner: bool,
    disabled: bool,
    entries: Vec<super::users::EffectiveRow>,
    /// Mage: whether each REST call the catalog knows passes as a whole (on no particular
    /// record), as `check` answers it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mage_calls: Vec<CallRow>,
}

#[derive(Serialize)]
struct CallRow {
    entity: String,
    op: String,
    allowed: bool,
}

/// The whole-call answers for `user` on every call the mage catalog knows, when the user
/// reaches a mage permission.
async fn mage_calls(ctx: &Ctx, user: Id, w: &crate::engine::WhatCan) -> Result<Vec<CallRow>> {
    let cats = ctx.backend.catalogs().await?;
    let Some(mage) = cats.all().iter().find(|c| c.dialect == Dialect::Mage) else {
        return Ok(Vec::new());
    };
    if !w.owner && !w.entries.iter().any(|e| e.catalog == mage.name) {
        return Ok(Vec::new());
    }
    let mut rows = Vec::new();
    for c in &mage.calls {
        let q = CallQuery {
            user,
            entity: c.entity.clone(),
            op: c.op.clone(),
            uuid: None,
            owner: None,
            query: None,
            write: None,
        };
        rows.push(CallRow {
            entity: c.entity.clone(),
            op: c.op.clone(),
            allowed: ctx.backend.decide_call(q).await?.verdict.allowed,
        });
    }
    Ok(rows)
}

fn print_calls(rows: &[CallRow]) {
    if rows.is_empty() {
        return;
    }
    outln!();
    outln!("Mage REST calls, each as a whole (as `check` answers; on no particular record):");
    let mut entities: Vec<&str> = rows.iter().map(|r| r.entity.as_str()).collect();
    entities.dedup();
    let cell = |e: &str, op: &str| match rows.iter().find(|r| r.entity == e && r.op == op) {
        Some(r) if r.allowed => "yes".to_string(),
        Some(_) => "403".to_string(),
        None => "-".to_string(),
    };
    print_table(
        &["ENTITY", "LIST", "DETAIL", "CREATE", "UPDATE", "DELETE"],
        entities
            .iter()
            .map(|e| {
                let mut row = vec![format!("mage:{e}")];
                row.extend(CALL_OPERATIONS.iter().map(|op| cell(e, op)));
                row
            })
            .collect(),
        "none",
    );
}

/// `what-can`.
pub async fn what_can(ctx: &Ctx, user: &str) -> Result<i32> {
    let s = ctx.backend.state().await?;
    let u = find_user(&s, user)?;
    let w = ctx.backend.what_can(u.id).await?;
    let rows = effective_rows(&s, &w);
    let calls = mage_calls(ctx, u.id, &w).await?;
    if ctx.json() {
        return print_json(&WhatJson {
            user: UserRef {
                id: u.id,
                username: u.username.clone(),
            },
            owner: w.owner,
            disabled: w.disabled,
            entries: rows,
            mage_calls: calls,
        })
        .map(|_| 0);
    }
    print_effective(&w, &rows);
    print_calls(&calls);
    Ok(0)
}
