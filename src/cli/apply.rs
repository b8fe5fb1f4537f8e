//! `gatehouse apply FILE`: computes the plan exactly as `plan FILE` does, shows it, asks
//! (unless `--yes`), then applies its changes at the revision the plan was computed from
//! ([`crate::backend::Backend::apply_changes`]): one transaction on a store, one request to a
//! server, step by step on Mage.

use super::Ctx;
use super::output::print_json;
use super::plan::{PlanArgs, PlanJson, check_capabilities, read, text_lines};
use crate::backend::plan::plan_keeping;
use crate::backend::{Error, Result};
use crate::engine::effect::what_if;
use crate::model::Revision;
use crate::text::sanitize;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;

/// `apply` arguments.
#[derive(Debug, Args)]
#[command(after_long_help = HELP)]
pub struct ApplyArgs {
    /// The policy document (`-` for stdin), as `export` writes it.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Also delete the objects and links the document leaves out (as `plan --prune`).
    #[arg(long)]
    pub prune: bool,
    /// Apply without asking (needed when stdin is not a terminal, and with --json).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Apply even if the backend changed since the plan was computed.
    #[arg(long)]
    pub force: bool,
    /// toml or json (default: a `.json`/`.toml` extension, else detected from the text).
    #[arg(long)]
    pub format: Option<String>,
    /// Refuse a document larger than this (bytes, or with a KiB/MiB/GiB suffix).
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = super::import_file::parse_size)]
    pub max_size: u64,
}

const HELP: &str = "\
Shows the plan (as `plan FILE` does), asks, then applies exactly those changes: on a local
store (SQLite, PostgreSQL) as one transaction, nothing half applied; on a server (--remote)
in one request; on Mage (--mage) step by step, stopping at the first error and saying which
steps were applied. Every write is checked by the escalation guard and the owner rules.
If the backend changed since the plan was computed, nothing is written unless --force.

Exit codes: 0 applied, or nothing to do, or declined at the prompt; 2 a malformed document,
or no --yes when stdin is not a terminal; 3 the file not found; 4 the backend moved since the
plan (or a conflict); 5 insufficient permissions; 6 the backend unreachable.";

#[derive(Serialize)]
struct ApplyJson<'a> {
    plan: PlanJson<'a>,
    applied_count: usize,
    revision: Revision,
}

/// Asks on the terminal; without one, refuses (the plan is already printed).
fn confirm(ctx: &Ctx) -> Result<bool> {
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(Error::invalid(
            "--yes",
            "nothing written: stdin is not a terminal to ask; pass --yes to apply this plan",
        ));
    }
    eprint!("apply this plan to {}? [y/N] ", ctx.path.display());
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Error::invalid("answer", e.to_string()))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// `apply FILE`.
pub async fn run(ctx: &Ctx, a: &ApplyArgs) -> Result<i32> {
    let pa = PlanArgs {
        file: a.file.clone(),
        prune: a.prune,
        format: a.format.clone(),
        max_size: a.max_size,
    };
    let doc = read(&pa)?;
    check_capabilities(ctx, &doc)?;
    let state = ctx.backend.state().await?;
    let catalogs = ctx.backend.catalogs().await?;
    // A Mage server keeps no descriptions of roles and permissions.
    let descriptions = ctx.backend.info().kind != crate::backend::BackendKind::Mage;
    let p = plan_keeping(&state, &doc, &catalogs, a.prune, descriptions)?;
    let effect = what_if(&state, &p.changes, &catalogs)?;
    let plan_json = || PlanJson {
        changes: &p.items,
        effect: super::what_if::EffectJson::of(&effect),
        summary: super::plan::SummaryJson::of(p.counts()),
    };
    if p.is_empty() {
        if ctx.json() {
            print_json(&ApplyJson {
                plan: plan_json(),
                applied_count: 0,
                revision: state.revision,
            })?;
        } else {
            outln!("No changes: the store matches the document.");
        }
        return Ok(0);
    }
    if ctx.json() && !a.yes {
        return Err(Error::invalid("--yes", "with --json, pass --yes to apply"));
    }
    if !ctx.json() {
        for line in text_lines(&p, &effect) {
            outln!("{}", sanitize(&line));
        }
    }
    if !a.yes && !confirm(ctx)? {
        outln!("nothing written");
        return Ok(0);
    }
    let applied = p.changes.len();
    let base = (!a.force).then_some(state.revision);
    let revision = ctx.backend.apply_changes(p.changes.clone(), base).await?;
    if ctx.json() {
        print_json(&ApplyJson {
            plan: plan_json(),
            applied_count: applied,
            revision,
        })?;
    } else {
        outln!("Applied {applied} change(s) (revision {revision}).");
    }
    Ok(0)
}
