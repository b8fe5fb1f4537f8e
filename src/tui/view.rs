//! The panes' names and list columns, and the rows of a pane (each pane's module in
//! `panes/` says what they are). Rows are built once per data load (sanitized, with a
//! lowercased search key), never per frame; filtering and sorting work on index vectors.

use crate::backend::Capabilities;
use crate::catalog::Catalogs;
use crate::model::{AuditEvent, Principal};
use crate::policy::State;
use crate::text::sanitize;
use crate::tui::panes::def;
use crate::tui::rows::Rows;
use std::sync::Arc;

mod perm_rows;
mod row;
mod users;

pub use super::panes::audit::change_summary;
pub use perm_rows::PermRows;
pub use row::Row;
pub(crate) use users::user_rows;

/// A pane in the navigation column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    /// Roles.
    Roles,
    /// Permissions.
    Permissions,
    /// Users.
    Users,
    /// Teams.
    Teams,
    /// API keys.
    Keys,
    /// Audit log.
    Audit,
    /// Access check.
    Check,
}

impl Pane {
    /// Every pane, in navigation order (the order of `panes::PANES`).
    pub const ALL: [Pane; 7] = [
        Pane::Roles,
        Pane::Permissions,
        Pane::Users,
        Pane::Teams,
        Pane::Keys,
        Pane::Audit,
        Pane::Check,
    ];

    /// Title in the navigation column.
    pub fn title(self) -> &'static str {
        def(self).title
    }

    /// The name used by the `:` command line.
    pub fn command(self) -> &'static str {
        def(self).command
    }

    /// Why the backend cannot show this pane, if it cannot.
    pub fn unsupported(self, caps: &Capabilities) -> Option<&'static str> {
        (def(self).unsupported)(caps)
    }
}

/// A column of a list.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Header.
    pub title: &'static str,
    /// Minimum width.
    pub min: u16,
    /// Share of the spare width.
    pub grow: u16,
    /// Compare as numbers when sorting.
    pub numeric: bool,
    /// Hidden below this terminal width.
    pub hide_below: u16,
}

pub(crate) const fn col(
    title: &'static str,
    min: u16,
    grow: u16,
    numeric: bool,
    hide_below: u16,
) -> Column {
    Column {
        title,
        min,
        grow,
        numeric,
        hide_below,
    }
}

/// `sanitize` into a new string.
fn clean(s: &str) -> String {
    sanitize(s).into_owned()
}

/// The columns of a pane.
pub fn columns(pane: Pane) -> &'static [Column] {
    def(pane).columns
}

/// The columns of a pane drawn in a list `width` cells wide (indexes into [`columns`]).
pub fn shown_columns(pane: Pane, width: u16) -> Vec<usize> {
    columns(pane)
        .iter()
        .enumerate()
        .filter(|(_, c)| width >= c.hide_below)
        .map(|(i, _)| i)
        .collect()
}

/// The sort after `s` (`reverse`: `S`): the next column drawn at `width`, from the first; `S`
/// reverses the current one (or sorts the first drawn column in reverse).
pub fn next_sort(
    pane: Pane,
    width: u16,
    sort: Option<(usize, bool)>,
    reverse: bool,
) -> Option<(usize, bool)> {
    let shown = shown_columns(pane, width);
    let first = *shown.first()?;
    let at = sort.and_then(|(c, rev)| Some((shown.iter().position(|x| *x == c)?, rev)));
    Some(match (at, reverse) {
        (Some((i, rev)), true) => (shown[i], !rev),
        (None, true) => (first, true),
        (Some((i, _)), false) => (shown[(i + 1) % shown.len()], false),
        (None, false) => (first, false),
    })
}

pub(crate) fn date(t: time::OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// The rows of a list pane from a state and audit events: built, except the Permissions
/// pane's, made from the state when read ([`PermRows`]); relations that end are marked as of
/// the clock ([`rows_at`]).
pub fn rows(pane: Pane, s: &Arc<State>, audit: &[AuditEvent], catalogs: &Arc<Catalogs>) -> Rows {
    rows_at(pane, s, audit, catalogs, crate::model::now())
}

/// [`rows`], `now` being now: the Users pane marks a role or team whose relation ends
/// `(ends)`, or `(ended)` when its end is at or before `now`.
pub fn rows_at(
    pane: Pane,
    s: &Arc<State>,
    audit: &[AuditEvent],
    catalogs: &Arc<Catalogs>,
    now: time::OffsetDateTime,
) -> Rows {
    (def(pane).rows)(s, audit, catalogs, now)
}

/// Who the principal of a direct grant is, for display.
pub fn principal_label(s: &State, p: &Principal) -> String {
    match p {
        Principal::User(u) => s
            .users
            .get(u)
            .map(|u| format!("user:{}", u.username))
            .unwrap_or_default(),
        Principal::Team(t) => s
            .teams
            .get(t)
            .map(|t| format!("team:{}", t.key))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests;
