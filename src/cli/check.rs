//! `gatehouse check`, `who-can`, `what-can`.

use super::Ctx;
use super::output::{self, print_json, print_table, short};
use super::permissions::{Target, parse_target};
use super::users::{effective_rows, print_effective};
use crate::engine::{Candidate, Explanation, FailedCondition, Hint, Outcome, Request, Rule, Via};
use crate::model::Id;
use crate::service::{Error, Result, find_team, find_user};
use crate::store::State;
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
    /// Show every path and candidate permission, and what would allow a denial.
    #[arg(long)]
    pub explain: bool,
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
}

/// Catalog and resource context of a request.
#[derive(Debug, Args)]
pub struct RequestContext {
    /// Catalog, when the entity name is ambiguous.
    #[arg(long)]
    pub catalog: Option<String>,
    /// The resource's owner (for `own` conditions).
    #[arg(long, value_name = "USER")]
    pub owner: Option<String>,
    /// The resource's team (for `team` conditions and membership roles).
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,
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
    let t = parse_target(&cats, rc.catalog.as_deref(), entity)?;
    if let Some(c) = cats.get(&t.catalog)
        && c.flag(action).is_none()
    {
        let valid: Vec<&str> = c
            .flags_for(&t.entity)
            .iter()
            .filter(|f| !f.modifier)
            .map(|f| f.name.as_str())
            .collect();
        return Err(Error::invalid(
            "action",
            format!(
                "unknown action '{action}' in catalog '{}'; valid: {}",
                c.name,
                valid.join(", ")
            ),
        ));
    }
    let owner = rc
        .owner
        .as_deref()
        .map(|o| find_user(s, o).map(|u| u.id))
        .transpose()?;
    let team = rc
        .team
        .as_deref()
        .map(|o| find_team(s, o).map(|t| t.id))
        .transpose()?;
    Ok((
        Request {
            user,
            catalog: t.catalog.clone(),
            action: action.to_string(),
            entity: t.entity.clone(),
            entity_uuid: t.uuid.clone(),
            resource_owner: owner,
            resource_team: team,
        },
        t,
    ))
}

fn perm_label(s: &State, id: &Id) -> String {
    match s.permissions.get(id) {
        Some(p) => super::permissions::brief(s, p),
        None => short(id),
    }
}

/// One line on the deciding rule.
pub fn rule_text(s: &State, rule: &Rule) -> String {
    match rule {
        Rule::UnknownSubject => "the user does not exist".into(),
        Rule::Disabled => "the user is disabled".into(),
        Rule::Owner => "the user has the owner flag".into(),
        Rule::UnknownAction => "the catalog does not define this action on this entity".into(),
        Rule::Denied { by } => format!(
            "denied by permission {} via {} (a deny always wins)",
            perm_label(s, &by.permission),
            output::via(s, &by.via)
        ),
        Rule::Granted { by } => format!(
            "granted by permission {} via {}",
            perm_label(s, &by.permission),
            output::via(s, &by.via)
        ),
        Rule::NoGrant => "no permission grants it".into(),
        Rule::MageOwnerBit { by } => format!(
            "OWNER bit in permission {} via {} (Mage: allows everything)",
            perm_label(s, &by.permission),
            output::via(s, &by.via)
        ),
    }
}

fn outcome_text(o: &Outcome) -> &'static str {
    match o {
        Outcome::Grants => "grants",
        Outcome::Denies => "DENIES",
        Outcome::NoAccess => "no access (action not among its flags)",
        Outcome::ConditionFailed {
            condition: FailedCondition::Own,
        } => "condition own failed (not the resource owner)",
        Outcome::ConditionFailed {
            condition: FailedCondition::Team,
        } => "condition team failed (resource not in one of the user's teams)",
        Outcome::ConditionFailed {
            condition: FailedCondition::Never,
        } => "condition never holds",
        Outcome::UuidMismatch => "uuid mismatch (scoped to another entity)",
    }
}

fn hint_text(s: &State, h: &Hint, user: &str) -> String {
    match h {
        Hint::AssignRole { role, permission } => format!(
            "assign role {}: `gatehouse roles assign {} {user}` (permission {})",
            output::role_name(s, role),
            output::role_name(s, role),
            output::short_perm(s, permission)
        ),
        Hint::JoinTeam { team, permission } => format!(
            "add to team {}: `gatehouse teams add-member {} {user}` (permission {})",
            output::team_key(s, team),
            output::team_key(s, team),
            output::short_perm(s, permission)
        ),
        Hint::RemoveDeny { permission } => format!(
            "remove or narrow the deny in permission {}",
            perm_label(s, permission)
        ),
    }
}

fn print_tree(s: &State, username: &str, e: &Explanation) {
    println!("{}", sanitize(username));
    let mut shown: Vec<Via> = Vec::new();
    let mut vias: Vec<(Via, Option<bool>)> =
        e.reached.iter().map(|(v, a)| (*v, Some(*a))).collect();
    for c in &e.candidates {
        if !vias.iter().any(|(v, _)| *v == c.via) {
            vias.push((c.via, None));
        }
    }
    if vias.is_empty() {
        println!("└─ (no role, team or direct grant reached)");
    }
    let n = vias.len();
    for (i, (v, applies)) in vias.iter().enumerate() {
        if shown.contains(v) {
            continue;
        }
        shown.push(*v);
        let last = i + 1 == n;
        let note = match applies {
            Some(false) => " (does not apply to this resource)",
            _ => "",
        };
        println!(
            "{} {}{note}",
            if last { "└─" } else { "├─" },
            sanitize(&output::via(s, v))
        );
        let cands: Vec<&Candidate> = e.candidates.iter().filter(|c| c.via == *v).collect();
        let bar = if last { "   " } else { "│  " };
        if cands.is_empty() {
            println!("{bar}└─ no permission on this entity");
        }
        for (j, c) in cands.iter().enumerate() {
            let l = if j + 1 == cands.len() {
                "└─"
            } else {
                "├─"
            };
            println!(
                "{bar}{l} permission {}: {}",
                sanitize(&perm_label(s, &c.permission)),
                outcome_text(&c.outcome)
            );
        }
    }
    println!(
        "rule: any matching deny → DENY; otherwise any matching grant → ALLOW; otherwise DENY"
    );
    if !e.hints.is_empty() {
        println!("would allow it:");
        for h in &e.hints {
            println!("  - {}", sanitize(&hint_text(s, h, username)));
        }
    }
}

#[derive(Serialize)]
struct CheckJson<'a> {
    allowed: bool,
    decision: &'static str,
    user: &'a str,
    action: &'a str,
    catalog: &'a str,
    entity: &'a str,
    entity_uuid: Option<&'a str>,
    reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    explanation: Option<&'a Explanation>,
}

/// `check`: exit 0 on ALLOW, 1 on DENY.
pub async fn check(ctx: &Ctx, a: CheckArgs) -> Result<i32> {
    let s = ctx.backend.state().await?;
    let u = find_user(&s, &a.user)?;
    let (req, t) = build(ctx, &s, u.id, &a.action, &a.entity, &a.context).await?;
    let e = ctx.backend.explain(req).await?;
    let reason = rule_text(&s, &e.rule);
    let decision = if e.allowed { "ALLOW" } else { "DENY" };
    if ctx.json() {
        print_json(&CheckJson {
            allowed: e.allowed,
            decision,
            user: &u.username,
            action: &a.action,
            catalog: &t.catalog,
            entity: &t.entity,
            entity_uuid: t.uuid.as_deref(),
            reason,
            explanation: a.explain.then_some(&e),
        })?;
    } else {
        let line = format!(
            "{decision:<5}  {} may{} {} {} — {reason}",
            u.username,
            if e.allowed { "" } else { " not" },
            a.action,
            t.display()
        );
        println!("{}", sanitize(&line));
        if a.explain {
            println!();
            print_tree(&s, &u.username, &e);
        }
    }
    Ok(if e.allowed { 0 } else { 1 })
}

#[derive(Serialize)]
struct WhoRow {
    user: Id,
    username: String,
    path: String,
}

/// `who-can`.
pub async fn who_can(ctx: &Ctx, a: WhoCanArgs) -> Result<i32> {
    let s = ctx.backend.state().await?;
    let (req, _) = build(ctx, &s, Id::nil(), &a.action, &a.entity, &a.context).await?;
    let rows: Vec<WhoRow> = ctx
        .backend
        .who_can(req)
        .await?
        .into_iter()
        .map(|w| WhoRow {
            user: w.user,
            username: w.username,
            path: rule_text(&s, &w.rule),
        })
        .collect();
    if ctx.json() {
        return print_json(&rows).map(|_| 0);
    }
    print_table(
        &["USERNAME", "WHY"],
        rows.iter()
            .map(|r| vec![r.username.clone(), r.path.clone()])
            .collect(),
        "nobody",
    );
    Ok(0)
}

#[derive(Serialize)]
struct WhatJson {
    user: String,
    owner: bool,
    disabled: bool,
    entries: Vec<super::users::EffectiveRow>,
}

/// `what-can`.
pub async fn what_can(ctx: &Ctx, user: &str) -> Result<i32> {
    let s = ctx.backend.state().await?;
    let u = find_user(&s, user)?;
    let w = ctx.backend.what_can(u.id).await?;
    let rows = effective_rows(&s, &w);
    if ctx.json() {
        return print_json(&WhatJson {
            user: u.username.clone(),
            owner: w.owner,
            disabled: w.disabled,
            entries: rows,
        })
        .map(|_| 0);
    }
    print_effective(&w, &rows);
    Ok(0)
}
