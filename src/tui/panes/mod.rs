//! The panes, one module each, and their registry. A pane module holds everything that is
//! particular to its pane: the list's columns and rows, the detail page of a row, the create
//! and edit form of its objects, and the keys only it answers. The app, the list, the detail
//! page and the form reach a pane through [`def`]; they hold no per-pane code.
//!
//! Adding a read-only pane: a [`Pane`] variant (and its place in `Pane::ALL`), a module here
//! with its [`PaneDef`] (and its `mod` line), and its line in [`PANES`]; the `:` command, its
//! completion and its "unknown command" text follow the registry. An editable pane also needs its
//! `form::Save` variant, its backend calls in `tui/mod.rs` (`save_msg`, the delete in
//! `perform`) and the pane `Msg::Saved` selects.

mod api_keys;
pub mod audit;
pub mod check;
mod permissions;
mod roles;
mod teams;
mod users;

use super::app::{App, Effect};
use super::detail::DLine;
use super::field::Field;
use super::form::{Form, Save};
use super::rows::Rows;
use super::view::{Column, Pane};
use crate::backend::Capabilities;
use crate::catalog::Catalogs;
use crate::model::{AuditEvent, Id, ObjectKind};
use crate::policy::State;
use crossterm::event::KeyEvent;
use std::sync::Arc;
use time::OffsetDateTime;

pub use users::effective_lines;

/// Builds the detail page of a row (its id) from the state and catalogs.
pub type PageFn = fn(&str, &State, Option<&Catalogs>) -> Option<Page>;

/// A key on a pane's list: `None` leaves it to the list.
pub type KeysFn = fn(&mut App, KeyEvent) -> Option<Vec<Effect>>;

/// The version, title and fields of the edit form of object `id` (`None`: it is gone).
pub type EditFn = fn(Id, &State, &Catalogs) -> Option<(u64, String, Vec<Field>)>;

/// Draws a pane into an area.
pub type DrawFn = fn(&App, &mut ratatui::Frame<'_>, ratatui::layout::Rect);

/// What a pane provides.
pub struct PaneDef {
    /// The pane.
    pub pane: Pane,
    /// Its name in the navigation column.
    pub title: &'static str,
    /// Its name on narrow tab bars.
    pub short: &'static str,
    /// Its `:` command.
    pub command: &'static str,
    /// Other `:` words for it.
    pub aliases: &'static [&'static str],
    /// The list's columns (none: the pane has no list).
    pub columns: &'static [Column],
    /// The list's rows, from a load made at the instant given (relations that end are said
    /// as of it).
    pub rows: fn(&Arc<State>, &[AuditEvent], &Arc<Catalogs>, OffsetDateTime) -> Rows,
    /// Why a backend cannot show the pane, if it cannot.
    pub unsupported: fn(&Capabilities) -> Option<&'static str>,
    /// What a backend without the pane lacks, as a sentence begins: `Teams are`.
    pub lacking: &'static str,
    /// Whether the list holds only the newest of its rows (older ones load past the last).
    pub partial: Option<fn(&App) -> bool>,
    /// The kind of object it lists, when `n` creates one there.
    pub kind: Option<ObjectKind>,
    /// The object a row shows, by the row's id.
    pub object_of_row: fn(&State, &str) -> Option<Id>,
    /// The row id of an object (Enter on a related row opens its page).
    pub row_of_object: fn(&State, Id) -> Option<String>,
    /// The detail page of a row (Enter), if its rows have one.
    pub page: Option<PageFn>,
    /// What `D` on a row asks, if its rows can be deleted or revoked.
    pub delete: Option<fn(&State, &str) -> Option<Delete>>,
    /// The create and edit form of its objects, if they have one.
    pub form: Option<FormDef>,
    /// The keys only this pane answers on its list: `None` leaves the key to the list.
    pub keys: Option<KeysFn>,
    /// Where text pasted on the pane goes (by default nowhere).
    pub paste: Option<fn(&mut App, &str)>,
    /// What `:command args` does beyond showing the pane (by default the args filter the
    /// list).
    pub command_args: Option<fn(&mut App, &[&str])>,
    /// Draws the pane in place of a list (a pane without one).
    pub draw: Option<DrawFn>,
    /// Whether `c` ("create default roles and permissions") is offered on the pane.
    pub offers_defaults: bool,
}

/// A detail page's content, built by its pane.
pub struct Page {
    /// Breadcrumb: `Roles › Pipeline editors`.
    pub title: String,
    /// The object shown.
    pub object: (ObjectKind, Id),
    /// Its lines.
    pub lines: Vec<DLine>,
    /// The user whose effective permissions the page waits for, if any.
    pub awaiting: Option<Id>,
}

/// What deleting a row asks.
pub enum Delete {
    /// Delete an object.
    Object {
        /// Its kind.
        kind: ObjectKind,
        /// Its id.
        id: Id,
        /// Its name (typed to confirm when `type_name`).
        name: String,
        /// How many links go with it.
        links: usize,
        /// The name must be typed to confirm (it has members or holders).
        type_name: bool,
    },
    /// Revoke an API key.
    RevokeKey {
        /// Its id.
        id: Id,
        /// Its prefix.
        name: String,
    },
    /// Nothing is done: this is said instead.
    Refuse(&'static str),
}

/// A form's pane-particular parts.
#[derive(Clone, Copy)]
pub struct FormDef {
    /// The new object's form: title and fields.
    pub create: fn(&State, &Catalogs) -> (String, Vec<Field>),
    /// The edit form of an object.
    pub edit: Editing,
    /// The save request from the fields, or the outcome that refuses it.
    pub save: fn(&mut Form) -> Result<Save, super::form::Outcome>,
}

/// How `e` edits an object of a pane.
#[derive(Clone, Copy)]
pub enum Editing {
    /// In a form: the version, title and fields of object `id` (`None`: it is gone).
    Form(EditFn),
    /// Never: this is said instead.
    Refused(&'static str),
}

/// Every pane, in navigation order.
pub static PANES: [&PaneDef; 7] = [
    &roles::DEF,
    &permissions::DEF,
    &users::DEF,
    &teams::DEF,
    &api_keys::DEF,
    &audit::DEF,
    &check::DEF,
];

/// The definition of a pane.
pub fn def(pane: Pane) -> &'static PaneDef {
    PANES
        .iter()
        .find(|d| d.pane == pane)
        .copied()
        .unwrap_or(&roles::DEF)
}

/// The pane listing objects of `kind`, if any.
pub fn of_kind(kind: ObjectKind) -> Option<&'static PaneDef> {
    PANES.iter().find(|d| d.kind == Some(kind)).copied()
}

/// What `e` on a pane says instead of opening a form, if its objects are never edited.
pub fn edit_refused(pane: Pane) -> Option<&'static str> {
    match def(pane).form?.edit {
        Editing::Refused(why) => Some(why),
        Editing::Form(_) => None,
    }
}

/// Whether a list key does something on `pane`, so the footer offers it: `n` needs a form,
/// `e` an edit form, `D` a delete, Enter a detail page or the pane's own keys (Audit opens an
/// event).
pub fn applies(action: super::keys::Action, pane: Pane) -> bool {
    use super::keys::Action;
    let d = def(pane);
    match action {
        Action::New => d.form.is_some(),
        Action::Edit => matches!(d.form.map(|f| f.edit), Some(Editing::Form(_))),
        Action::Delete => d.delete.is_some(),
        Action::Open => d.page.is_some() || d.keys.is_some(),
        _ => true,
    }
}

/// Rows named by their object's id.
fn id_of_row(_: &State, row: &str) -> Option<Id> {
    Id::parse_str(row).ok()
}

/// Rows named by their object's id.
fn row_of_id(_: &State, id: Id) -> Option<String> {
    Some(id.to_string())
}

/// Every backend has it.
fn always(_: &Capabilities) -> Option<&'static str> {
    None
}

/// No list.
fn no_rows(_: &Arc<State>, _: &[AuditEvent], _: &Arc<Catalogs>, _: OffsetDateTime) -> Rows {
    Rows::default()
}

/// A detail page's section: a blank line, the heading with its count, then its items
/// (or `—`); `add` is what `a` adds to it.
pub(super) fn section(
    out: &mut Vec<DLine>,
    title: &str,
    add: Option<super::picker::AddTo>,
    items: Vec<(String, Option<crate::policy::Link>)>,
) {
    out.push(DLine::plain(""));
    out.push(DLine {
        text: format!("{title} ({})", items.len()),
        add,
        heading: true,
        ..Default::default()
    });
    if items.is_empty() {
        out.push(DLine {
            text: "  —".into(),
            add,
            ..Default::default()
        });
    }
    out.extend(items.into_iter().map(|(text, link)| DLine {
        text: format!("  {text}"),
        link,
        add,
        ..Default::default()
    }));
}

/// Grants then `!denies`, space-separated.
pub(super) fn access(grants: &[String], denies: &[String]) -> String {
    let mut v: Vec<String> = grants.to_vec();
    v.extend(denies.iter().map(|d| format!("!{d}")));
    v.join(" ")
}

/// The items joined, or `—`.
/// The "created" and "last updated" lines of a detail page, in UTC; `by` is given for the
/// kinds that record their creator (`-` when it is not known).
pub(super) fn stamps(
    s: &crate::policy::State,
    created: time::OffsetDateTime,
    updated: time::OffsetDateTime,
    by: Option<Option<crate::model::Id>>,
) -> [DLine; 2] {
    let utc = |t: time::OffsetDateTime| super::view::date(t.to_offset(time::UtcOffset::UTC));
    let by = by.map_or_else(String::new, |id| {
        format!(" by {}", crate::present::created_by(s, id.as_ref()))
    });
    [
        DLine::plain(format!("created      {} UTC{by}", utc(created))),
        DLine::plain(format!("last updated {} UTC", utc(updated))),
    ]
}

pub(super) fn dash(v: &[String], sep: &str) -> String {
    if v.is_empty() {
        "—".into()
    } else {
        v.join(sep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pane_is_registered_once_in_navigation_order() {
        let registered: Vec<Pane> = PANES.iter().map(|d| d.pane).collect();
        assert_eq!(registered, Pane::ALL);
        for p in Pane::ALL {
            assert_eq!(def(p).pane, p);
        }
    }
}
