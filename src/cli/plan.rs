//! `gatehouse plan FILE`: what a policy document would change in the selected backend — the
//! object diff ([`crate::backend::plan`]) and, under it, what the change does to access
//! ([`crate::engine::effect::what_if`] on the state before and after). Nothing is written.

use super::Ctx;
use super::import_file::{parse_size, read_text};
use super::misc::doc_format;
use super::output::print_json;
use crate::backend::plan::{Plan, PlanCounts, PlanItem, plan_keeping};
use crate::backend::{BackendKind, Error, PolicyDoc, Result};
use crate::engine::effect::{AccessEffect, summary_lines, what_if};
use crate::text::sanitize;
use clap::Args;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Users shown in full in the access effect; the rest are counted.
const USERS_SHOWN: usize = 20;
/// Accesses shown per user; the rest are counted.
const ACCESSES_SHOWN: usize = 6;
/// The exit code of a plan with changes to make.
pub const CHANGES_PLANNED: i32 = 10;

/// `plan` arguments.
#[derive(Debug, Args)]
#[command(after_long_help = HELP)]
pub struct PlanArgs {
    /// The policy document (`-` for stdin), as `export` writes it.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Also delete the objects and links the document leaves out (otherwise left alone).
    #[arg(long)]
    pub prune: bool,
    /// toml or json (default: a `.json`/`.toml` extension, else detected from the text).
    #[arg(long)]
    pub format: Option<String>,
    /// Refuse a document larger than this (bytes, or with a KiB/MiB/GiB suffix).
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = parse_size)]
    pub max_size: u64,
}

const HELP: &str = "\
Compares the document with the store (or server, or Mage) and prints what would change:
`+` create, `~` update (field by field, old → new), `-` delete (only with --prune), for
users, teams, roles, permissions, memberships and every link; then the access effect (which
users gain and which lose which action on which entity) and a count. Nothing is written.
Objects match as import matches them: users by username, teams by key, roles by name,
permissions by their key when it is a stored id, else by identical content.

Exit codes: 0 nothing to do; 10 changes planned; 2 a malformed document or an entry that
names something unknown; 3 the file not found; 6 the backend unreachable.";

#[derive(Serialize)]
pub(super) struct PlanJson<'a> {
    pub(super) changes: &'a [PlanItem],
    pub(super) effect: super::what_if::EffectJson<'a>,
    pub(super) summary: SummaryJson,
}

/// How many items of each kind a plan holds, as the CLI's JSON names counts (`*_count`).
#[derive(Serialize)]
pub(super) struct SummaryJson {
    create_count: usize,
    update_count: usize,
    delete_count: usize,
}

impl SummaryJson {
    pub(super) fn of(c: PlanCounts) -> SummaryJson {
        SummaryJson {
            create_count: c.create,
            update_count: c.update,
            delete_count: c.delete,
        }
    }
}

/// Whether `text` is JSON: by `--format`, else by the file's extension, else by its first
/// character (`{`).
fn is_json(file: &Path, format: Option<&str>, text: &str) -> Result<bool> {
    if let Some(f) = format {
        return doc_format(f);
    }
    match file.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("json") => Ok(true),
        Some(e) if e.eq_ignore_ascii_case("toml") => Ok(false),
        _ => Ok(text.trim_start().starts_with('{')),
    }
}

/// Reads the document (TOML or JSON, `-` for stdin).
pub(super) fn read(a: &PlanArgs) -> Result<PolicyDoc> {
    let text = read_text(&a.file, a.max_size, "policy document")?;
    if is_json(&a.file, a.format.as_deref(), &text)? {
        PolicyDoc::from_json(&text)
    } else {
        PolicyDoc::from_toml(&text)
    }
}

/// Refuses what the backend cannot hold (Mage: no teams, no direct grants, no ends).
pub(super) fn check_capabilities(ctx: &Ctx, doc: &PolicyDoc) -> Result<()> {
    let info = ctx.backend.info();
    let backend = if info.kind == BackendKind::Mage {
        "Mage"
    } else {
        "this backend"
    }
    .to_string();
    if !info.capabilities.teams && (!doc.teams.is_empty() || !doc.members.is_empty()) {
        return Err(Error::Unsupported {
            what: "teams".into(),
            backend,
            why: "remove the document's teams and members".into(),
        });
    }
    if !info.capabilities.grants && !doc.grants.is_empty() {
        return Err(Error::Unsupported {
            what: "direct grants".into(),
            backend,
            why: "grant permissions through roles instead".into(),
        });
    }
    if !info.capabilities.expiry && doc.has_ends() {
        return Err(Error::Unsupported {
            what: "relations that end (role_ends, expires_at)".into(),
            backend,
            why: "it keeps no ends, so the access would never end; remove the ends".into(),
        });
    }
    Ok(())
}

/// `plan FILE`: exit 0 with nothing to do, 10 with changes planned.
pub async fn run(ctx: &Ctx, a: &PlanArgs) -> Result<i32> {
    let doc = read(a)?;
    check_capabilities(ctx, &doc)?;
    let state = ctx.backend.state().await?;
    let catalogs = ctx.backend.catalogs().await?;
    // A Mage server keeps no descriptions of roles and permissions.
    let descriptions = ctx.backend.info().kind != crate::backend::BackendKind::Mage;
    let p = plan_keeping(&state, &doc, &catalogs, a.prune, descriptions)?;
    let effect = what_if(&state, &p.changes, &catalogs)?;
    let code = if p.is_empty() { 0 } else { CHANGES_PLANNED };
    if ctx.json() {
        print_json(&PlanJson {
            changes: &p.items,
            effect: super::what_if::EffectJson::of(&effect),
            summary: SummaryJson::of(p.counts()),
        })?;
        return Ok(code);
    }
    for line in text_lines(&p, &effect) {
        outln!("{}", sanitize(&line));
    }
    Ok(code)
}

/// The plan as text: the items, the access effect, the counts.
pub fn text_lines(p: &Plan, effect: &AccessEffect) -> Vec<String> {
    if p.is_empty() {
        return vec!["No changes: the store matches the document.".to_string()];
    }
    let mut out: Vec<String> = p.items.iter().flat_map(PlanItem::lines).collect();
    out.push(String::new());
    out.push("Access effect:".to_string());
    out.extend(
        summary_lines(effect, USERS_SHOWN, ACCESSES_SHOWN)
            .into_iter()
            .map(|l| format!("  {l}")),
    );
    out.push(String::new());
    let c = p.counts();
    out.push(format!(
        "Plan: {} to create, {} to change, {} to delete.",
        c.create, c.update, c.delete
    ));
    out
}
