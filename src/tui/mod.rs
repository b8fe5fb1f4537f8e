//! The console (docs/PRODUCT.md §1.1): a full-screen terminal UI over the [`Backend`] trait.
//!
//! One task owns the [`App`] state; backend calls run on tokio tasks and come back as
//! messages; a frame is drawn only when something changed, into a large buffer so a frame is
//! one write. The terminal is restored on quit, Ctrl-C, SIGTERM, SIGHUP and panic.

pub mod access_cell;
pub mod app;
pub mod command;
pub mod confirm;
pub mod defaults;
pub mod detail;
pub mod detail_draw;
pub mod detail_nav;
pub mod draw;
pub mod edit;
pub mod encode;
pub mod ends;
pub mod field;
pub mod fit;
pub mod form;
pub mod form_draw;
pub mod form_fields;
pub mod frame;
pub mod header;
pub mod jobs;
pub mod keys;
pub mod line_edit;
pub mod list;
mod list_keys;
pub mod log;
pub mod modal;
pub mod msg;
mod msgs;
pub mod nav;
pub mod panes;
pub mod picker;
pub mod prompts;
pub mod rows;
pub mod save_check;
pub mod scroll;
pub mod secret;
pub mod signals;
pub mod status;
pub mod theme;
pub mod view;

// The Audit and Access check panes keep their paths.
pub use panes::{audit, check};

use crate::backend::Backend;
use crate::model::AuditQuery;
use app::{App, Data, Effect, Msg};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, EventStream};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use futures_util::StreamExt;
use msg::{FIRST_LOAD, Job, JobId};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{BufWriter, Write};
use std::sync::Arc;
use tokio::sync::mpsc;

use audit::AUDIT_PAGE;

/// Puts the terminal back the way it was. Safe to call more than once.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let mut out = std::io::stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
}

struct Restore;

/// Stops a task when the console stops.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Loads everything a refresh shows.
pub async fn load(backend: &dyn Backend) -> crate::backend::Result<Data> {
    let info = backend.info();
    let me = backend.me().await?;
    let state = backend.state().await?;
    let catalogs = backend.catalogs().await?;
    let audit = if info.capabilities.audit {
        backend
            .audit(AuditQuery {
                limit: AUDIT_PAGE,
                ..Default::default()
            })
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(Data {
        state,
        audit,
        me,
        info,
        catalogs,
    })
}

/// A whole Mage REST call (`docs/MAGE_CALLS.md`), as `check` answers it on the CLI.
async fn check_call(
    backend: &dyn Backend,
    state: &crate::policy::State,
    catalogs: &crate::catalog::Catalogs,
    subject: &crate::model::User,
    req: &crate::engine::Request,
    t: &crate::backend::Target,
) -> crate::backend::Result<check::CheckResult> {
    use crate::present::call::{FAILED_CALL_HINTS, call_reason, check_words, plan_lines};
    let q = crate::engine::CallQuery {
        user: subject.id,
        entity: t.entity.clone(),
        op: req.action.clone(),
        uuid: t.uuid.clone(),
        owner: req.resource_owner,
        query: None,
        write: None,
    };
    let a = backend.decide_call(q).await?;
    let mut lines = plan_lines(&a);
    // A denial explains the check that fails; an allowed call, the operation's path.
    let (head, request, hints) = match &a.verdict.failed {
        Some(f) => (
            format!(
                "the check that fails: {}",
                check_words(&f.request.entity, &f.check)
            ),
            f.request.clone(),
            FAILED_CALL_HINTS,
        ),
        None => (
            "the operation is granted:".to_string(),
            req.clone(),
            "would allow it:",
        ),
    };
    let e = backend.explain(request).await?;
    lines.push(String::new());
    lines.push(head);
    lines.extend(crate::present::explain_lines_headed(
        state,
        catalogs,
        &subject.username,
        &e,
        hints,
    ));
    Ok(check::CheckResult {
        allowed: a.verdict.allowed,
        summary: format!(
            "{} may{} {} {} — {}",
            subject.username,
            if a.verdict.allowed { "" } else { " not" },
            req.action,
            t.display(),
            call_reason(state, &a)
        ),
        lines,
    })
}

/// Resolves names, asks the backend to explain, and renders the answer.
pub async fn check(
    backend: &dyn Backend,
    user: &str,
    action: &str,
    target: &str,
    owner: Option<&str>,
    team: Option<&str>,
    attribute: Option<&str>,
) -> crate::backend::Result<check::CheckResult> {
    let attribute = attribute
        .map(crate::engine::AttrCheck::parse)
        .transpose()
        .map_err(|m| crate::backend::Error::invalid("attribute", m))?;
    let state = backend.state().await?;
    let catalogs = backend.catalogs().await?;
    let subject = crate::backend::find_user(&state, user)?;
    let (mut req, t) = crate::backend::build_request(
        &catalogs, &state, subject.id, action, target, None, owner, team,
    )?;
    let what = match &attribute {
        Some(a) => format!(" ({} {})", a.kind.word(), a.name),
        None => String::new(),
    };
    let whole_call = attribute.is_none()
        && crate::catalog::CALL_OPERATIONS.contains(&req.action.as_str())
        && catalogs
            .get(&t.catalog)
            .is_some_and(|c| c.dialect == crate::catalog::Dialect::Mage);
    if whole_call {
        return check_call(backend, &state, &catalogs, subject, &req, &t).await;
    }
    req.attribute = attribute;
    let e = backend.explain(req).await?;
    Ok(check::CheckResult {
        allowed: e.allowed,
        summary: format!(
            "{} may{} {action} {}{what} — {}",
            subject.username,
            if e.allowed { "" } else { " not" },
            t.display(),
            crate::present::rule_text(&state, &e.rule)
        ),
        lines: crate::present::explain_lines(&state, &catalogs, &subject.username, &e),
    })
}

/// Carries out one effect against the backend and returns the message for the app (`None`
/// for `Quit`). The runner calls it on a task; tests call it directly.
pub async fn perform(backend: &dyn Backend, effect: Effect) -> Option<Msg> {
    perform_with(backend, effect, Arc::new(|_| {})).await
}

/// What `change` would do to access, as the console's confirm dialog shows it: worked out on
/// the backend's current state (not the screen's copy), off the async runtime (building two
/// engines over a large store takes a while).
async fn what_if_lines(
    backend: &dyn Backend,
    changes: Vec<crate::policy::Change>,
) -> crate::backend::Result<Vec<String>> {
    use crate::engine::effect::{summary_lines, what_if};
    let state = backend.state().await?;
    let catalogs = backend.catalogs().await?;
    tokio::task::spawn_blocking(move || {
        let effect = what_if(&state, &changes, &catalogs)?;
        Ok(summary_lines(
            &effect,
            confirm::WHAT_IF_USERS,
            confirm::WHAT_IF_ACCESSES,
        ))
    })
    .await
    .map_err(|e| crate::backend::Error::Store(format!("the what-if did not finish: {e}")))?
}

/// [`perform`], telling `progress` how a long preset application goes.
async fn perform_with(
    backend: &dyn Backend,
    effect: Effect,
    progress: crate::backend::ProgressSink,
) -> Option<Msg> {
    Some(match effect {
        Effect::Load => match load(backend).await {
            Ok(d) => Msg::Loaded(Box::new(d)),
            Err(e) => Msg::LoadFailed(e, 0),
        },
        Effect::RetryLoad(attempt) => {
            tokio::time::sleep(app::retry_delay(attempt)).await;
            match load(backend).await {
                Ok(d) => Msg::Loaded(Box::new(d)),
                Err(e) => Msg::LoadFailed(e, attempt),
            }
        }
        Effect::Delete {
            kind,
            id,
            name,
            force,
        } => {
            use crate::model::ObjectKind;
            let r = match kind {
                ObjectKind::Role => backend.delete_role(id, force).await,
                ObjectKind::User => backend.delete_user(id, force).await,
                ObjectKind::Team => backend.delete_team(id, force).await,
                ObjectKind::Permission => backend.delete_permission(id, force).await,
                other => Err(crate::backend::Error::invalid(
                    "kind",
                    format!("cannot delete a {other} here"),
                )),
            };
            match r {
                Ok(rev) => Msg::Done(format!("deleted {kind} '{name}' (revision {rev})")),
                Err(e) => Msg::Failed(e.to_string()),
            }
        }
        Effect::Check {
            user,
            action,
            target,
            owner,
            team,
            attribute,
        } => Msg::Checked(
            check(
                backend,
                &user,
                &action,
                &target,
                owner.as_deref(),
                team.as_deref(),
                attribute.as_deref(),
            )
            .await
            .map_err(|e| e.to_string()),
        ),
        Effect::WhatCan(user) => Msg::Effective(
            user,
            backend.what_can(user).await.map_err(|e| e.to_string()),
        ),
        Effect::WhatIf(changes) => {
            let lines = what_if_lines(backend, changes.clone()).await;
            Msg::WhatIf(changes, lines.map_err(|e| e.to_string()))
        }
        Effect::PresetDryRun(name) => match backend.apply_preset(&name, true).await {
            Ok(r) => Msg::PresetPreview(name, r),
            Err(e) => Msg::Failed(e.to_string()),
        },
        Effect::PresetApply(name) => {
            match backend.apply_preset_progress(&name, false, progress).await {
                Ok(r) => Msg::PresetApplied(r),
                Err(e) => Msg::Failed(e.to_string()),
            }
        }
        Effect::MageSeed => match backend.apply_mage_seed(false, progress).await {
            Ok(r) => Msg::PresetApplied(r),
            Err(e) => Msg::Failed(e.to_string()),
        },
        Effect::Save(save) => save_msg(backend, *save).await,
        Effect::CheckSave(save) => save_check::check_save(backend, *save).await,
        Effect::Link(links) => ends::link_msg(backend, links, None).await,
        Effect::LinkUntil(links, end) => ends::link_msg(backend, links, Some(end)).await,
        Effect::SetExpiry {
            link,
            expires_at,
            what,
        } => ends::set_expiry_msg(backend, link, expires_at, &what).await,
        Effect::Unlink(link, what) => match backend.unlink(link).await {
            Ok(rev) => Msg::Done(format!("removed '{what}' (revision {rev})")),
            Err(e) => Msg::Failed(e.to_string()),
        },
        Effect::OlderAudit { before, limit } => Msg::AuditPage {
            before,
            events: backend
                .audit(AuditQuery {
                    before_revision: Some(before),
                    limit,
                    ..Default::default()
                })
                .await
                .map_err(|e| e.to_string()),
        },
        Effect::RevokeKey { id, name } => match backend.revoke_key(id).await {
            Ok(rev) => Msg::Done(format!("revoked API key {name} (revision {rev})")),
            Err(e) => Msg::Failed(e.to_string()),
        },
        Effect::Quit => return None,
    })
}

/// Creates or updates the object of a form.
pub(super) async fn save_msg(backend: &dyn Backend, save: form::Save) -> Msg {
    use form::Save;
    use view::Pane;
    let verb = |target: &Option<(crate::model::Id, u64)>| {
        if target.is_some() { "saved" } else { "created" }
    };
    let result = match save {
        Save::Key {
            user,
            read_only,
            expires_at,
        } => {
            return match backend.create_key(user, read_only, expires_at).await {
                Ok(k) => Msg::KeyCreated(Box::new(k)),
                Err(e) => Msg::SaveFailed(e),
            };
        }
        Save::Role(target, spec) => {
            let r = match target {
                Some((id, v)) => backend.update_role(id, spec, v).await,
                None => backend.create_role(spec).await,
            };
            r.map(|r| {
                let text = format!("{} role '{}'", verb(&target), r.name);
                (Pane::Roles, r.id.to_string(), text)
            })
        }
        Save::User(target, spec) => {
            let r = match target {
                Some((id, v)) => backend.update_user(id, spec, v).await,
                None => backend.create_user(spec).await,
            };
            r.map(|u| {
                let text = format!("{} user '{}'", verb(&target), u.username);
                (Pane::Users, u.username, text)
            })
        }
        Save::Team(target, spec) => {
            let r = match target {
                Some((id, v)) => backend.update_team(id, spec, v).await,
                None => backend.create_team(spec).await,
            };
            r.map(|t| {
                let text = format!("{} team '{}'", verb(&target), t.key);
                (Pane::Teams, t.key, text)
            })
        }
        Save::Permission(target, spec) => {
            let warning = backend.catalogs().await.ok().and_then(|c| {
                c.permission_warnings(
                    &spec.catalog,
                    &spec.grants,
                    &spec.conditions,
                    &spec.read_attributes,
                )
                .into_iter()
                .next()
            });
            let r = match target {
                Some((id, v)) => backend.update_permission(id, spec, v).await,
                None => backend.create_permission(spec).await,
            };
            r.map(|p| {
                let mut text = format!(
                    "{} permission {} on {}",
                    verb(&target),
                    crate::model::short_id(&p.id),
                    crate::present::target(&p.catalog, &p.entity, p.entity_uuid.as_deref())
                );
                if let Some(w) = warning {
                    text.push_str(" — warning: ");
                    text.push_str(&w);
                }
                (Pane::Permissions, p.id.to_string(), text)
            })
        }
    };
    match result {
        Ok((pane, row_id, text)) => Msg::Saved { pane, row_id, text },
        Err(e) => Msg::SaveFailed(e),
    }
}

/// A message as the runner delivers it: the job it ends, if it is the final message of one.
type Delivery = (Option<JobId>, Msg);

async fn carry_out(backend: Arc<dyn Backend>, job: Job, tx: mpsc::UnboundedSender<Delivery>) {
    // A preset application reports its progress as it goes (Mage's seed takes minutes): those
    // reports end no job.
    let sink_tx = tx.clone();
    let progress: crate::backend::ProgressSink = Arc::new(move |p| {
        let _ = sink_tx.send((None, Msg::PresetProgress(p)));
    });
    if let Some(msg) = perform_with(backend.as_ref(), job.effect, progress).await {
        let _ = tx.send((Some(job.id), msg));
    }
}

/// How long one wait of the live view lasts before it asks again (a server long-poll holds
/// its request this long).
const FOLLOW_WAIT: std::time::Duration = std::time::Duration::from_secs(25);
/// The pause after a failed wait (the backend unreachable: loads report that themselves).
const FOLLOW_PAUSE: std::time::Duration = std::time::Duration::from_secs(5);

/// The live view: follows the backend's revision and tells the app each time it moves, until
/// the app is gone.
async fn follow(backend: Arc<dyn Backend>, tx: mpsc::UnboundedSender<Delivery>) {
    let mut seen = 0;
    while !tx.is_closed() {
        match backend.wait_for_change(seen, FOLLOW_WAIT).await {
            Ok(revision) if revision != seen => {
                seen = revision;
                if tx.send((None, Msg::Moved(revision))).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::debug!("the live view cannot follow the backend: {e}");
                tokio::time::sleep(FOLLOW_PAUSE).await;
            }
        }
    }
}

/// Runs the console until the user quits. `read_only` comes from `--read-only`. Returns the
/// exit status: 0, or 128 + N after signal N (see `signals.rs`).
pub async fn run(backend: Arc<dyn Backend>, read_only: bool) -> std::io::Result<i32> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
    enable_raw_mode()?;
    let _restore = Restore;
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout());
    execute!(
        out,
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    let mut terminal = Terminal::new(CrosstermBackend::new(out))?;
    let size = terminal.size()?;
    let mut app = App::new(
        theme::Theme::from_env(),
        (size.width, size.height),
        read_only,
    );
    let (tx, mut rx) = mpsc::unbounded_channel::<Delivery>();
    let first = Job {
        id: FIRST_LOAD,
        effect: Effect::Load,
    };
    tokio::spawn(carry_out(backend.clone(), first, tx.clone()));
    let follower = tokio::spawn(follow(backend.clone(), tx.clone()));
    let _stop_follower = AbortOnDrop(follower);
    let mut events = EventStream::new();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut dirty = true;
    let mut painter = frame::Painter::new();
    let mut first_shown = false;
    loop {
        if dirty {
            painter.draw(&mut terminal, &app)?;
            dirty = false;
            if !first_shown && app.data.is_some() {
                first_shown = true;
                backend.first_frame_shown();
            }
        }
        let jobs = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) if signals::is_suspend(&ev) => {
                    signals::suspend(&mut terminal, &mut painter, &mut app)?;
                    dirty = true;
                    Vec::new()
                }
                Some(Ok(ev)) => { dirty = true; app.event_jobs(&ev) }
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            },
            msg = rx.recv() => match msg {
                Some((job, m)) => { dirty = true; app.msg_jobs(job, m) }
                None => Vec::new(),
            },
            _ = term.recv() => return Ok(signals::exit_status(signals::SIGTERM)),
            _ = hup.recv() => return Ok(signals::exit_status(signals::SIGHUP)),
        };
        for job in jobs {
            if job.effect == Effect::Quit {
                return Ok(0);
            }
            tokio::spawn(carry_out(backend.clone(), job, tx.clone()));
        }
    }
}
