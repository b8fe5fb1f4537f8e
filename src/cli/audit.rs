//! `gatehouse audit`: the audit log, newest first, with a compact before → after.

use super::Ctx;
use super::output::{print_json, print_table};
use super::refs::ActorRef;
use crate::backend::{Error, Result};
use crate::model::AuditQuery;
use crate::model::{AuditEvent, now};
use clap::Args;
use serde::Serialize;
use time::OffsetDateTime;

/// `audit` arguments.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only changes since T: RFC 3339 (`2025-01-31T12:00:00Z`) or a duration ago (`2h`, `7d`).
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// Only changes by this user.
    #[arg(long, value_name = "USER")]
    pub actor: Option<String>,
    /// At most N events (0: all).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
}

/// Parses `--since`: RFC 3339, or a duration meaning "that long ago".
pub fn parse_since(s: &str) -> Result<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok(t);
    }
    let d = humantime::parse_duration(s).map_err(|e| {
        Error::invalid(
            "--since",
            format!(
                "'{s}' is neither RFC 3339 (2025-01-31T12:00:00Z) nor a duration (2h, 7d): {e}"
            ),
        )
    })?;
    let d = time::Duration::try_from(d)
        .map_err(|_| Error::invalid("--since", format!("'{s}' is too long ago")))?;
    now()
        .checked_sub(d)
        .ok_or_else(|| Error::invalid("--since", format!("'{s}' is too long ago")))
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => format!("{s:?}"),
        other => {
            let t = other.to_string();
            if t.chars().count() > 40 {
                format!("{}…", t.chars().take(40).collect::<String>())
            } else {
                t
            }
        }
    }
}

/// A compact before → after of the fields that changed.
pub fn diff(e: &AuditEvent) -> String {
    use serde_json::Value;
    if e.action == "link" || e.action == "unlink" {
        return match e.after.get("role").or_else(|| e.before.get("role")) {
            Some(r) if !r.is_null() && e.object_kind.as_str() == "team_member" => {
                format!("member role {}", scalar(r))
            }
            _ => String::new(),
        };
    }
    match (&e.before, &e.after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut out = Vec::new();
            for (k, av) in a {
                if k == "updated_at" || k == "version" {
                    continue;
                }
                match b.get(k) {
                    Some(bv) if bv == av => {}
                    Some(bv) => out.push(format!("{k}: {} → {}", scalar(bv), scalar(av))),
                    None => out.push(format!("{k}: → {}", scalar(av))),
                }
            }
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{k}: removed"));
            }
            out.join("; ")
        }
        (Value::Null, Value::Object(a)) => {
            let name = ["username", "name", "key", "entity", "prefix"]
                .iter()
                .find_map(|k| a.get(*k).and_then(|v| v.as_str()));
            match name {
                Some(n) => format!("created {n:?}"),
                None => "created".into(),
            }
        }
        (Value::Object(b), Value::Null) => {
            let name = ["username", "name", "key", "entity", "prefix"]
                .iter()
                .find_map(|k| b.get(*k).and_then(|v| v.as_str()));
            match name {
                Some(n) => format!("deleted {n:?}"),
                None => "deleted".into(),
            }
        }
        _ => String::new(),
    }
}

/// An audit event as the CLI's JSON shows it (docs/json.md, `audit-list`).
#[derive(Serialize)]
struct AuditRow<'a> {
    revision: u64,
    #[serde(with = "time::serde::rfc3339")]
    at: time::OffsetDateTime,
    actor: ActorRef,
    action: &'a str,
    object_kind: crate::model::ObjectKind,
    object_id: &'a str,
    before: &'a serde_json::Value,
    after: &'a serde_json::Value,
    diff: String,
    #[serde(skip)]
    event: &'a AuditEvent,
}

/// `audit`.
pub async fn audit(ctx: &Ctx, a: AuditArgs) -> Result<i32> {
    let since = a.since.as_deref().map(parse_since).transpose()?;
    let events = ctx
        .backend
        .audit(AuditQuery {
            since,
            actor: a.actor,
            before_revision: None,
            limit: a.limit,
        })
        .await?;
    let s = ctx.backend.state().await?;
    let rows: Vec<AuditRow> = events
        .iter()
        .map(|e| AuditRow {
            revision: e.revision,
            at: e.at,
            actor: ActorRef::of(&s, &e.actor),
            action: &e.action,
            object_kind: e.object_kind,
            object_id: &e.object_id,
            before: &e.before,
            after: &e.after,
            diff: diff(e),
            event: e,
        })
        .collect();
    if ctx.json() {
        return print_json(&rows).map(|_| 0);
    }
    print_table(
        &["REV", "TIME", "ACTOR", "ACTION", "KIND", "OBJECT", "CHANGE"],
        rows.iter()
            .map(|r| {
                let e = r.event;
                vec![
                    e.revision.to_string(),
                    super::output::time_short(Some(e.at)),
                    e.actor.clone(),
                    e.action.clone(),
                    e.object_kind.to_string(),
                    super::output::object_label(&s, &e.object_id),
                    r.diff.clone(),
                ]
            })
            .collect(),
        "no audit events",
    );
    Ok(0)
}
