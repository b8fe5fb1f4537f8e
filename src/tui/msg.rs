//! The messages between the console's state and its runner: [`Effect`]s the app asks for,
//! [`Msg`]s that come back, and the [`Data`] a load brings.

use super::check::CheckResult;
use super::form::Save;
use super::view::Pane;
use crate::backend::{BackendInfo, Me};
use crate::catalog::Catalogs;
use crate::model::{AuditEvent, Id, ObjectKind};
use crate::policy::{Link, State};
use std::sync::Arc;

/// Everything loaded from the backend for one refresh.
#[derive(Debug, Clone)]
pub struct Data {
    /// Objects and links the acting user may see.
    pub state: Arc<State>,
    /// Recent audit events, newest first.
    pub audit: Vec<AuditEvent>,
    /// The acting principal.
    pub me: Me,
    /// Backend kind, location, capabilities.
    pub info: BackendInfo,
    /// The entity catalogs (forms pick entities and flags from them).
    pub catalogs: Arc<Catalogs>,
}

/// Work for the runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Leave the console.
    Quit,
    /// Load (or reload) the data.
    Load,
    /// Delete an object (`force` removes its links).
    Delete {
        /// Kind.
        kind: ObjectKind,
        /// Id.
        id: Id,
        /// Name for messages.
        name: String,
        /// Remove links too.
        force: bool,
    },
    /// Explain an access check given by names.
    Check {
        /// Username.
        user: String,
        /// Action (a flag of the catalog).
        action: String,
        /// `Entity`, `Entity/uuid`, `ns:type:id`.
        target: String,
        /// Resource owner (username).
        owner: Option<String>,
        /// Resource team (key).
        team: Option<String>,
        /// Mage attribute check (`read:name`, `write:x`, `query:y`).
        attribute: Option<String>,
    },
    /// Load a user's effective permissions (what-can).
    WhatCan(Id),
    /// Dry run of a preset.
    PresetDryRun(String),
    /// Apply a preset.
    PresetApply(String),
    /// Run Mage's own seed instead of gatehouse's REST seed (a Mage server only).
    MageSeed,
    /// Load again after `retry_delay(n)` (the backend was unreachable `n` times).
    RetryLoad(u32),
    /// Create or update an object from a form.
    Save(Box<Save>),
    /// Save a form that may change access: at once when nobody's access moves, else come
    /// back with the what-if ([`Msg::SaveWhatIf`]) for the confirm dialog.
    CheckSave(Box<Save>),
    /// Add relations (from the picker).
    Link(Vec<Link>),
    /// Add relations (from the picker) that end at an instant (`Backend::link_until`).
    LinkUntil(Vec<Link>, time::OffsetDateTime),
    /// Move (`None`: clear) the end of a relation (`Backend::set_expiry`).
    SetExpiry {
        /// The relation.
        link: Link,
        /// Its new end.
        expires_at: Option<time::OffsetDateTime>,
        /// Its name in messages.
        what: String,
    },
    /// Remove a relation; the text names it in messages.
    Unlink(Link, String),
    /// Load the audit events older than revision `before` (the Audit pane pages back).
    OlderAudit {
        /// Only events with a revision strictly below this.
        before: crate::model::Revision,
        /// At most this many.
        limit: usize,
    },
    /// Work out what changes waiting for confirmation would do to access.
    WhatIf(Vec<crate::policy::Change>),
    /// Revoke an API key.
    RevokeKey {
        /// Key id.
        id: Id,
        /// Its display prefix.
        name: String,
    },
}

/// Names one effect the app issued, from when it is issued until its final message is back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub u64);

/// The job of the load the runner starts with (the app counts it in flight from the start).
pub const FIRST_LOAD: JobId = JobId(0);

/// What a job in flight is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// A load or reload (a retry included).
    Load,
    /// A write: a save, a delete, a relation added or removed, a key revoked.
    Write,
    /// A question: an access check, a user's effective permissions.
    Question,
    /// A preset's dry run or application.
    Preset,
    /// Older audit events.
    AuditPage,
}

impl JobKind {
    /// The kind of job an effect starts; `None` for `Quit`, which is no job.
    pub fn of(effect: &Effect) -> Option<JobKind> {
        Some(match effect {
            Effect::Quit => return None,
            Effect::Load | Effect::RetryLoad(_) => JobKind::Load,
            Effect::Delete { .. }
            | Effect::Save(_)
            | Effect::CheckSave(_)
            | Effect::Link(_)
            | Effect::LinkUntil(..)
            | Effect::SetExpiry { .. }
            | Effect::Unlink(..)
            | Effect::RevokeKey { .. } => JobKind::Write,
            Effect::Check { .. } | Effect::WhatCan(_) | Effect::WhatIf(_) => JobKind::Question,
            Effect::PresetDryRun(_) | Effect::PresetApply(_) | Effect::MageSeed => JobKind::Preset,
            Effect::OlderAudit { .. } => JobKind::AuditPage,
        })
    }
}

/// An effect with the job id the app recorded it under: the runner carries it out and tags
/// its final message with the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The id.
    pub id: JobId,
    /// The work.
    pub effect: Effect,
}

/// Results coming back from the runner.
#[derive(Debug)]
pub enum Msg {
    /// Data loaded.
    Loaded(Box<Data>),
    /// A write finished: a message for the status line.
    Done(String),
    /// Something failed: the error text.
    Failed(String),
    /// The answer to an access check.
    Checked(Result<CheckResult, String>),
    /// What a change waiting for confirmation would do to access (the summary's lines), or
    /// why it could not be worked out.
    WhatIf(Vec<crate::policy::Change>, Result<Vec<String>, String>),
    /// A user's effective permissions, or why they could not be loaded.
    Effective(Id, Result<crate::engine::WhatCan, String>),
    /// What a preset would create.
    PresetPreview(String, crate::backend::ImportReport),
    /// What a preset created.
    PresetApplied(crate::backend::ImportReport),
    /// How a long preset application goes (Mage seeds in the background).
    PresetProgress(crate::backend::PresetProgress),
    /// A form was saved: the pane and row to select, and a message.
    Saved {
        /// Pane listing the object.
        pane: Pane,
        /// Its row id.
        row_id: String,
        /// For the status line.
        text: String,
    },
    /// A form's save would change access: what it would do (the summary's lines, or why it
    /// could not be worked out), for the confirm dialog that asks before it is made.
    SaveWhatIf {
        /// The save, as the form asked for it.
        save: Box<Save>,
        /// The change it makes.
        changes: Vec<crate::policy::Change>,
        /// The what-if.
        lines: Result<Vec<String>, String>,
    },
    /// A form's save failed (the form stays as typed).
    SaveFailed(crate::backend::Error),
    /// A load failed, on the given retry attempt (0 = first try).
    LoadFailed(crate::backend::Error, u32),
    /// An API key was created: its secret, shown once.
    KeyCreated(Box<crate::backend::CreatedKey>),
    /// The backend's revision moved (the live view's follower saw it): not the answer to
    /// any effect.
    Moved(crate::model::Revision),
    /// Older audit events (newest first), or why they could not be read.
    AuditPage {
        /// The cursor they were read before.
        before: crate::model::Revision,
        /// The events.
        events: Result<Vec<AuditEvent>, String>,
    },
}

impl Msg {
    /// Whether this message ends the job that sent it. Progress reports and the live view's
    /// announcements do not (a preset application reports its progress, then its result).
    pub fn is_final(&self) -> bool {
        !matches!(self, Msg::PresetProgress(_) | Msg::Moved(_))
    }
}
