//! `gatehouse test FILE…`: assertion files (`alice may UPDATE Pipeline/x`, see
//! [`super::assertions`]) checked against the selected backend, or against a policy document
//! loaded into a throwaway in-memory store (`--policy DOC`). Each line gets the answer
//! `gatehouse check` gives (the same [`decide`]).

use super::Ctx;
use super::assertions::{self, Assertion};
use super::decide::{Question, decide};
use super::import_file::{parse_size, read_doc, read_text};
use super::output::{Format, print_json};
use crate::backend::{Backend, Error, ImportOptions, Result};
use crate::catalog::Catalogs;
use crate::connect::LocalBackend;
use crate::policy::State;
use crate::text::sanitize;
use clap::Args;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// `test` arguments.
#[derive(Debug, Args)]
#[command(after_long_help = HELP)]
pub struct TestArgs {
    /// Assertion files (`-` for stdin).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Check against this policy document (TOML, or JSON by its `.json` extension, as
    /// `export` writes) loaded into a throwaway in-memory store; the selected store, server
    /// or Mage is not opened.
    #[arg(long, value_name = "DOC")]
    pub policy: Option<PathBuf>,
    /// List the assertions that hold too (as the global -v/--verbose does).
    #[arg(long)]
    pub all: bool,
    /// Refuse a file (or document) larger than this (bytes, or with a KiB/MiB/GiB suffix).
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub max_size: u64,
    /// The files, parsed by [`prepare`] before any backend is opened.
    #[arg(skip)]
    parsed: Vec<Parsed>,
}

const HELP: &str = "\
An assertion file holds one expected decision a line:

  # comments and blank lines are skipped
  alice may UPDATE Pipeline/x
  bob may not DELETE mage:Secret
  carol may read okdata:dataset:ds1 --owner dave
  \"Ann Lee\" may LIST Pipeline --operation-only

USER may [not] ACTION TARGET [OPTIONS]: TARGET is what `check` takes (Entity, Entity/uuid,
catalog:Entity[/uuid], okdata ns:type:id); OPTIONS are check's --catalog, --owner, --team,
--read, --write, --query, --operation-only, --payload and --query-keys. A word with spaces is
written in double quotes (\\\" and \\\\ inside). Each line gets the answer `check` gives: on the
mage catalog, the whole REST call unless --operation-only.

Exit codes: 0 every assertion holds; 1 one or more fail (each is listed as FILE:LINE with the
decision and its reason; an unknown user, entity or action fails its line); 2 a malformed file
(each bad line is listed as FILE:LINE:COLUMN; nothing is checked) or a file with no
assertions; 3 a file not found; 6 the backend unreachable.";

/// The outcome of one assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
enum Got {
    Allow,
    Deny,
    /// The question could not be asked (unknown user, entity, action…).
    Error,
}

impl Got {
    fn word(self) -> &'static str {
        match self {
            Got::Allow => "ALLOW",
            Got::Deny => "DENY",
            Got::Error => "ERROR",
        }
    }
}

#[derive(Serialize)]
struct Row {
    file: String,
    line: usize,
    /// The user as the assertion names it (it may name no user).
    username: String,
    action: String,
    target: String,
    expected: Got,
    got: Got,
    passed: bool,
    reason: String,
    /// The line as written.
    #[serde(skip)]
    text: String,
}

#[derive(Serialize)]
struct Report {
    assertions: Vec<Row>,
    passed_count: usize,
    failed_count: usize,
}

/// One parsed file.
#[derive(Debug, Default)]
struct Parsed {
    name: String,
    lines: Vec<String>,
    found: Vec<(usize, Assertion)>,
}

/// Reads and parses the files before any backend is opened (a malformed file is reported
/// without connecting anywhere): false after printing their syntax errors (exit 2). With
/// `json`, malformed files are instead an `invalid` error (field `test file`) carrying every
/// diagnostic, so `-o json` prints one error document.
pub fn prepare(a: &mut TestArgs, json: bool) -> Result<bool> {
    if a.policy.as_deref().is_some_and(|d| d.as_os_str() == "-")
        && a.files.iter().any(|f| f.as_os_str() == "-")
    {
        return Err(Error::invalid(
            "--policy",
            "the document and an assertion file cannot both be stdin ('-')",
        ));
    }
    match parse_files(a, json)? {
        Some(files) => {
            a.parsed = files;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// `test --policy DOC FILE…` (after [`prepare`]): the document imported into an in-memory
/// store, then the files checked against it.
pub async fn run_on_policy(a: &mut TestArgs, doc: &Path, format: Format) -> Result<i32> {
    let doc_text = read_doc(doc, None, a.max_size, "policy document")?;
    let location = format!("policy document {}", doc.display());
    let local = LocalBackend::in_memory(location).await?;
    local
        .import_with(doc_text, false, ImportOptions::default())
        .await?;
    let ctx = Ctx {
        backend: Box::new(local),
        format,
        path: doc.to_path_buf(),
    };
    run(&ctx, a).await
}

/// `test FILE…` (after [`prepare`]) against the backend of `ctx`.
pub async fn run(ctx: &Ctx, a: &mut TestArgs) -> Result<i32> {
    let files = std::mem::take(&mut a.parsed);
    check_files(ctx, a.all, files).await
}

/// Reads and parses every file; `None` after printing the syntax errors of malformed ones
/// (with `json`, an `invalid` error holding them instead).
fn parse_files(a: &TestArgs, json: bool) -> Result<Option<Vec<Parsed>>> {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for path in &a.files {
        let text = read_text(path, a.max_size, "test file")?;
        let name = if path.as_os_str() == "-" {
            "<stdin>".to_string()
        } else {
            path.display().to_string()
        };
        match assertions::parse(&text) {
            Ok(found) => files.push(Parsed {
                name,
                lines: text.lines().map(str::to_string).collect(),
                found,
            }),
            Err(errors) => {
                for e in &errors {
                    let d = format!("{name}:{}:{}: {}", e.line, e.column, e.message);
                    // Table output: each as soon as its file is read, as before.
                    if !json {
                        eprintln!("{}", sanitize(&d));
                    }
                    diagnostics.push(d);
                }
            }
        }
    }
    if !diagnostics.is_empty() {
        let bad = diagnostics.len();
        let s = if bad == 1 { "" } else { "s" };
        let summary = format!("{bad} malformed line{s}; nothing was checked");
        if json {
            return Err(Error::invalid(
                "test file",
                format!("{summary}: {}", diagnostics.join("; ")),
            ));
        }
        eprintln!("error: {summary}");
        return Ok(None);
    }
    if files.iter().all(|f| f.found.is_empty()) {
        return Err(Error::invalid(
            "test file",
            format!(
                "no assertions in {}; write lines such as `alice may UPDATE Pipeline/x`",
                files
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(Some(files))
}

/// Decides every assertion, prints the report and returns the exit code.
async fn check_files(ctx: &Ctx, verbose: bool, files: Vec<Parsed>) -> Result<i32> {
    let s = ctx.backend.state().await?;
    let cats = ctx.backend.catalogs().await?;
    let mut rows = Vec::new();
    for f in files {
        for (line, assertion) in f.found {
            let text = f
                .lines
                .get(line - 1)
                .map(|l| l.trim().to_string())
                .unwrap_or_default();
            let (got, reason) = outcome(ctx, &s, &cats, &assertion).await?;
            let expected = if assertion.allowed {
                Got::Allow
            } else {
                Got::Deny
            };
            rows.push(Row {
                file: f.name.clone(),
                line,
                username: assertion.user,
                action: assertion.action,
                target: assertion.target,
                expected,
                got,
                passed: got == expected,
                reason,
                text,
            });
        }
    }
    let failed = rows.iter().filter(|r| !r.passed).count();
    let report = Report {
        passed_count: rows.len() - failed,
        failed_count: failed,
        assertions: rows,
    };
    if ctx.json() {
        print_json(&report)?;
    } else {
        print_report(&report, verbose);
    }
    Ok(if failed == 0 { 0 } else { 1 })
}

/// The decision on one assertion and its reason; a question that cannot be asked (unknown
/// user, entity or action, bad options) is an `ERROR` with the error as the reason. A backend
/// that fails (unreachable, refusing) ends the run.
async fn outcome(ctx: &Ctx, s: &State, cats: &Catalogs, a: &Assertion) -> Result<(Got, String)> {
    let q = Question {
        user: &a.user,
        action: &a.action,
        entity: &a.target,
        context: &a.context,
        options: &a.options,
        at: None,
    };
    match decide(ctx.backend.as_ref(), s, cats, &q).await {
        Ok(d) if d.allowed => Ok((Got::Allow, d.reason)),
        Ok(d) => Ok((Got::Deny, d.reason)),
        Err(e @ (Error::Invalid { .. } | Error::NotFound { .. } | Error::Unsupported { .. })) => {
            Ok((Got::Error, e.to_string()))
        }
        Err(e) => Err(e),
    }
}

fn print_report(r: &Report, verbose: bool) {
    for row in &r.assertions {
        let head = if row.passed {
            if !verbose {
                continue;
            }
            format!("{}:{}: {} as expected", row.file, row.line, row.got.word())
        } else {
            format!(
                "{}:{}: expected {}, got {}",
                row.file,
                row.line,
                row.expected.word(),
                row.got.word()
            )
        };
        outln!("{}", sanitize(&format!("{head} — {}", row.reason)));
        outln!("    {}", sanitize(&row.text));
    }
    let total = r.assertions.len();
    let s = if total == 1 { "" } else { "s" };
    outln!("{total} assertion{s}, {} failed", r.failed_count);
}
