//! The console summary, `init`, `status`, `catalogs`, `defaults`, `audit`, `export`, `import`
//! and `keys`.

use super::output::{Format, list, print_fields, print_json, print_table, section};
use super::refs::ActorRef;
use super::{Ctx, Opened};
use crate::backend::Backend;
use crate::backend::{Error, ImportReport, Result};
use crate::connect::LocalBackend;
use crate::policy::State;
use crate::presets::PRESETS;
use crate::text::sanitize;
use clap::Subcommand;
use serde::Serialize;
use std::path::Path;

/// `defaults` commands.
#[derive(Debug, Subcommand)]
pub enum DefaultsCmd {
    /// The presets.
    Ls,
    /// Create a preset's roles and permissions (idempotent).
    Apply {
        /// mage, adaptive, fetchml or okdata.
        name: String,
        /// Show what would be created, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// On a Mage server: start Mage's own seed (`POST /api/seeds`, 18–36 minutes) and
        /// wait for it, instead of writing the rows through Mage's REST API (under a minute).
        #[arg(long)]
        mage_seed: bool,
    },
}

#[derive(Serialize)]
struct Counts {
    user_count: usize,
    team_count: usize,
    role_count: usize,
    permission_count: usize,
    api_key_count: usize,
}

fn counts(s: &State) -> Counts {
    Counts {
        user_count: s.users.len(),
        team_count: s.teams.len(),
        role_count: s.roles.len(),
        permission_count: s.permissions.len(),
        api_key_count: s.keys.len(),
    }
}

#[derive(Serialize)]
struct Summary {
    store: String,
    revision: u64,
    /// The acting user (`null` id: the local system on an uninitialized store).
    acting_as: ActorRef,
    can_write: bool,
    read_only_reason: Option<String>,
    initialized: bool,
    created_now: bool,
    counts: Counts,
    next_steps: Vec<String>,
}

async fn summary(b: &dyn Backend, path: &Path, created_now: bool) -> Result<Summary> {
    let s = b.state().await?;
    let me = b.me().await?;
    Ok(Summary {
        store: path.display().to_string(),
        revision: s.revision,
        acting_as: ActorRef {
            id: me.user,
            username: me.username,
        },
        can_write: me.can_write,
        read_only_reason: me.read_only_reason,
        initialized: s.users.values().any(|u| u.owner),
        created_now,
        counts: counts(&s),
        next_steps: vec![
            "gatehouse defaults apply mage        # create Mage's default roles and permissions"
                .into(),
            "gatehouse users create alice --email alice@example.com".into(),
            "gatehouse check alice read okdata:dataset:my-dataset --explain".into(),
        ],
    })
}

fn print_summary(sm: &Summary) {
    print_fields(&[
        ("store", sm.store.clone()),
        ("revision", sm.revision.to_string()),
        (
            "acting as",
            match &sm.read_only_reason {
                Some(r) => format!("{} (read-only: {r})", sm.acting_as.username),
                None => sm.acting_as.username.clone(),
            },
        ),
        ("users", sm.counts.user_count.to_string()),
        ("teams", sm.counts.team_count.to_string()),
        ("roles", sm.counts.role_count.to_string()),
        ("permissions", sm.counts.permission_count.to_string()),
        ("api keys", sm.counts.api_key_count.to_string()),
    ]);
}

/// True when `gatehouse` (or `gatehouse tui`) opens the console rather than printing a
/// summary: table output to a terminal.
pub fn opens_console(format: Format) -> bool {
    format == Format::Table && std::io::IsTerminal::is_terminal(&std::io::stdout())
}

/// `gatehouse` with no subcommand (or `tui`): bootstrap a local store on first run, then the
/// console when stdout is a terminal, or a summary when it is not (pipes, scripts, `-o json`).
pub async fn console_summary(opened: Opened, format: Format, admin: String) -> Result<i32> {
    let path = opened.location();
    let mut created = false;
    let mut note = None;
    let (b, read_only): (std::sync::Arc<dyn Backend>, bool) = match opened {
        Opened::Local(mut b, _) => {
            let s = b.state().await?;
            if !s.users.values().any(|u| u.owner) {
                match b.init_and_adopt(&admin).await {
                    Ok(out) => created = out.created,
                    Err(Error::Forbidden(m)) => note = Some(m),
                    Err(e) => return Err(e),
                }
            }
            let read_only = b.actor().read_only;
            (std::sync::Arc::new(b), read_only)
        }
        Opened::Remote(h) => {
            let read_only = h.is_read_only();
            (std::sync::Arc::new(h), read_only)
        }
        Opened::Mage(m) => {
            let read_only = m.is_read_only();
            (std::sync::Arc::new(m), read_only)
        }
    };
    if opens_console(format) {
        // 0, or 128 + N when signal N ended the console.
        return crate::tui::run(b, read_only)
            .await
            .map_err(|e| Error::Unreachable(format!("the terminal failed: {e}")));
    }
    let b = b.as_ref();
    let path = path.as_path();
    let sm = summary(b, path, created).await?;
    if format == Format::Json {
        print_json(&sm)?;
        return Ok(0);
    }
    outln!("gatehouse — stdout is not a terminal, so here is the store instead of the console.");
    if created {
        outln!(
            "created and initialized a new store; owner: {}",
            sanitize(&sm.acting_as.username)
        );
    }
    if let Some(n) = note {
        outln!("not initialized: {}", sanitize(&n));
    }
    outln!();
    print_summary(&sm);
    outln!();
    outln!("next steps:");
    for s in &sm.next_steps {
        outln!("  {s}");
    }
    Ok(0)
}

/// `init`.
pub async fn init(b: &mut LocalBackend, path: &Path, format: Format, admin: &str) -> Result<i32> {
    let out = b.init_and_adopt(admin).await?;
    if format == Format::Json {
        let s = b.state().await?;
        print_json(&InitJson {
            created_now: out.created,
            admin: ActorRef::of(&s, &out.admin),
            revision: out.revision,
        })?;
    } else if out.created {
        outln!(
            "initialized {} — owner: {} (revision {})",
            sanitize(&path.display().to_string()),
            sanitize(&out.admin),
            out.revision
        );
    } else {
        outln!(
            "already initialized (owner: {}); nothing changed",
            sanitize(&out.admin)
        );
    }
    Ok(0)
}

/// `status`.
pub async fn status(ctx: &Ctx) -> Result<i32> {
    let sm = summary(ctx.backend.as_ref(), &ctx.path, false).await?;
    if ctx.json() {
        print_json(&sm)?;
    } else {
        print_summary(&sm);
        if !sm.initialized {
            outln!();
            outln!("not initialized: run `gatehouse init`");
        }
    }
    Ok(0)
}

#[derive(Serialize)]
struct CatalogRow {
    name: String,
    title: String,
    dialect: String,
    entity_count: usize,
    flag_count: usize,
    description: String,
}

/// `catalogs [NAME]`.
pub async fn catalogs(ctx: &Ctx, name: Option<&str>) -> Result<i32> {
    let cats = ctx.backend.catalogs().await?;
    let Some(name) = name else {
        let rows: Vec<CatalogRow> = cats
            .all()
            .iter()
            .map(|c| CatalogRow {
                name: c.name.clone(),
                title: c.title.clone(),
                dialect: format!("{:?}", c.dialect).to_lowercase(),
                entity_count: c.entities.len(),
                flag_count: c.flags.len(),
                description: c.description.clone(),
            })
            .collect();
        if ctx.json() {
            return print_json(&rows).map(|_| 0);
        }
        print_table(
            &["NAME", "TITLE", "DIALECT", "ENTITIES", "FLAGS"],
            rows.iter()
                .map(|r| {
                    vec![
                        r.name.clone(),
                        r.title.clone(),
                        r.dialect.clone(),
                        r.entity_count.to_string(),
                        r.flag_count.to_string(),
                    ]
                })
                .collect(),
            "no catalogs",
        );
        return Ok(0);
    };
    let c = cats.get(name).ok_or_else(|| Error::NotFound {
        kind: "catalog".into(),
        name: name.into(),
        hint: format!("; known catalogs: {}", cats.names().join(", ")),
    })?;
    if ctx.json() {
        let v = serde_json::json!({
            "name": c.name,
            "title": c.title,
            "dialect": format!("{:?}", c.dialect).to_lowercase(),
            "description": c.description,
            "guarded_flag": c.guarded_flag,
            "entities": c.entities.iter().map(|e| serde_json::json!({
                "name": e.name, "flags": e.flags, "description": e.description,
            })).collect::<Vec<_>>(),
            "flags": c.flags.iter().map(|f| serde_json::json!({
                "name": f.name, "value": f.value, "deny_value": f.deny_value,
                "group": f.group, "modifier": f.modifier, "implies": f.implies,
                "description": f.description,
            })).collect::<Vec<_>>(),
            "conditions": c.conditions.iter().map(|d| serde_json::json!({
                "name": d.name, "description": d.description,
            })).collect::<Vec<_>>(),
        });
        return print_json(&v).map(|_| 0);
    }
    print_fields(&[
        ("name", c.name.clone()),
        ("title", c.title.clone()),
        ("dialect", format!("{:?}", c.dialect).to_lowercase()),
        ("description", c.description.clone()),
    ]);
    section(&format!("Entities ({})", c.entities.len()));
    print_table(
        &["ENTITY", "FLAGS"],
        c.entities
            .iter()
            .map(|e| {
                vec![
                    e.name.clone(),
                    if e.flags.is_empty() {
                        "all".into()
                    } else {
                        e.flags.join(", ")
                    },
                ]
            })
            .collect(),
        "none",
    );
    section(&format!("Access flags ({})", c.flags.len()));
    let opt = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
    print_table(
        &["FLAG", "VALUE", "DENY VALUE", "IMPLIES", "DESCRIPTION"],
        c.flags
            .iter()
            .map(|f| {
                vec![
                    f.name.clone(),
                    opt(f.value),
                    opt(f.deny_value),
                    list(&f.implies),
                    f.description.clone(),
                ]
            })
            .collect(),
        "none",
    );
    if !c.conditions.is_empty() {
        section("Conditions (besides own and team)");
        print_table(
            &["CONDITION", "DESCRIPTION"],
            c.conditions
                .iter()
                .map(|d| vec![d.name.clone(), d.description.clone()])
                .collect(),
            "none",
        );
    }
    Ok(0)
}

/// Counts of an import or a preset, by kind (docs/json.md, `import-report`).
#[derive(Serialize)]
pub(super) struct KindCounts {
    user_count: usize,
    team_count: usize,
    role_count: usize,
    permission_count: usize,
    link_count: usize,
}

/// What an import or a preset did (or would do), as the CLI's JSON shows it.
#[derive(Serialize)]
pub(super) struct ImportJson {
    dry_run: bool,
    /// Created (or, in a dry run, to create).
    created: KindCounts,
    /// Already there, left as they were.
    present: KindCounts,
    /// The names of the roles created, in document order.
    created_roles: Vec<String>,
    revision: u64,
    notes: Vec<String>,
}

impl ImportJson {
    pub(super) fn of(r: &ImportReport) -> ImportJson {
        let by = |f: fn(&crate::backend::document::Count) -> usize| KindCounts {
            user_count: f(&r.users),
            team_count: f(&r.teams),
            role_count: f(&r.roles),
            permission_count: f(&r.permissions),
            link_count: f(&r.links),
        };
        ImportJson {
            dry_run: r.dry_run,
            created: by(|c| c.created),
            present: by(|c| c.present),
            created_roles: r.created_roles.clone(),
            revision: r.revision,
            notes: r.notes.clone(),
        }
    }
}

/// What `init` did: the owner as a user reference.
#[derive(Serialize)]
struct InitJson {
    /// True when this `init` created and initialized the store (as `status`'s `created_now`).
    created_now: bool,
    admin: ActorRef,
    revision: u64,
}

pub(super) fn print_report(what: &str, r: &ImportReport) {
    let rows: Vec<Vec<String>> = [
        ("users", r.users),
        ("teams", r.teams),
        ("roles", r.roles),
        ("permissions", r.permissions),
        ("links", r.links),
    ]
    .iter()
    .map(|(k, c)| vec![k.to_string(), c.created.to_string(), c.present.to_string()])
    .collect();
    if r.dry_run {
        outln!("{} (dry run: nothing was written)", sanitize(what));
    } else {
        outln!("{} (revision {})", sanitize(what), r.revision);
    }
    let header: &[&str] = if r.dry_run {
        &["KIND", "WOULD CREATE", "ALREADY PRESENT"]
    } else {
        &["KIND", "CREATED", "ALREADY PRESENT"]
    };
    print_table(header, rows, "");
    if !r.created_roles.is_empty() {
        outln!(
            "roles {}: {}",
            if r.dry_run { "to create" } else { "created" },
            sanitize(&r.created_roles.join(", "))
        );
    }
    for note in &r.notes {
        outln!("note: {}", sanitize(note));
    }
}

#[derive(Serialize)]
struct PresetRow {
    name: &'static str,
    title: &'static str,
    /// What the preset creates (the table's CREATES column).
    description: &'static str,
}

/// `defaults ls | apply`.
pub async fn defaults(ctx: &Ctx, cmd: DefaultsCmd) -> Result<i32> {
    match cmd {
        DefaultsCmd::Ls => {
            let rows: Vec<PresetRow> = PRESETS
                .iter()
                .map(|p| PresetRow {
                    name: p.name,
                    title: p.title,
                    description: p.summary,
                })
                .collect();
            if ctx.json() {
                return print_json(&rows).map(|_| 0);
            }
            print_table(
                &["NAME", "TITLE", "CREATES"],
                rows.iter()
                    .map(|p| vec![p.name, p.title, p.description])
                    .collect(),
                "no presets",
            );
        }
        DefaultsCmd::Apply {
            name,
            dry_run,
            mage_seed,
        } => {
            if !PRESETS.iter().any(|p| p.name == name) {
                return Err(Error::invalid(
                    "preset",
                    format!(
                        "unknown preset '{name}'; choose one of {}",
                        PRESETS
                            .iter()
                            .map(|p| p.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            if mage_seed && name != "mage" {
                return Err(Error::invalid(
                    "--mage-seed",
                    format!("Mage's own seed makes the 'mage' preset, not '{name}'"),
                ));
            }
            let sink = progress_on_stderr();
            let r = if mage_seed {
                ctx.backend.apply_mage_seed(dry_run, sink).await?
            } else {
                ctx.backend
                    .apply_preset_progress(&name, dry_run, sink)
                    .await?
            };
            if ctx.json() {
                return print_json(&ImportJson::of(&r)).map(|_| 0);
            }
            print_report(&format!("preset {name}"), &r);
        }
    }
    Ok(0)
}

/// Says how a long preset application goes, on stderr: each new message, at most one a
/// second, and always the first and the last.
fn progress_on_stderr() -> crate::backend::ProgressSink {
    use std::time::{Duration, Instant};
    let last = std::sync::Mutex::new((String::new(), None::<Instant>));
    std::sync::Arc::new(move |p| {
        if let Ok(mut l) = last.lock() {
            let due = l.1.is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
            if l.0 != p.message && (due || p.done == 0 || p.done >= p.total) {
                eprintln!("{}", sanitize(&p.message));
                *l = (p.message, Some(Instant::now()));
            }
        }
    })
}

pub(super) fn doc_format(s: &str) -> Result<bool> {
    match s.to_ascii_lowercase().as_str() {
        "toml" => Ok(false),
        "json" => Ok(true),
        _ => Err(Error::invalid(
            "--format",
            format!("unknown format '{s}'; use toml or json"),
        )),
    }
}

/// `export`.
pub async fn export(ctx: &Ctx, format: &str) -> Result<i32> {
    let json = doc_format(format)?;
    let doc = ctx.backend.export().await?;
    if json {
        print_json(&doc)?;
    } else {
        out!("{}", doc.to_toml()?);
    }
    Ok(0)
}
