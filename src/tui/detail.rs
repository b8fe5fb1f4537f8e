//! Detail pages (Enter on a row): the object's fields and its relations, as its pane module
//! builds them (`panes/roles.rs`, `permissions.rs`, `users.rs`, `teams.rs`). Relation rows are
//! selectable:
//! `a` adds to the section under the cursor (multi-select picker), `x` removes the selected
//! relation, `E` changes when it ends (`ends.rs`), `e` edits the object; Enter opens the related object and `/` filters the section
//! (see `detail_nav.rs`).

use super::picker::AddTo;
use super::view::Pane;
use crate::catalog::Catalogs;
use crate::model::{Id, ObjectKind};
use crate::policy::{Link, State};

pub use super::panes::effective_lines;

/// One line of a detail page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DLine {
    /// The text (not sanitized; drawing sanitizes).
    pub text: String,
    /// The relation this line shows (`x` removes it).
    pub link: Option<Link>,
    /// When that relation ends, if it does (a badge beside it says in how long; `E` moves it).
    pub ends: Option<time::OffsetDateTime>,
    /// The section this line belongs to (`a` adds to it).
    pub add: Option<AddTo>,
    /// A section heading.
    pub heading: bool,
    /// Cells laid out after `text` in as many columns as fit the width (the access toggles);
    /// drawing wraps them, so none is cut.
    pub cells: Vec<String>,
    /// The placeholder of what the page awaits (a user's effective permissions): the answer
    /// replaces it and everything after it.
    pub awaited: bool,
}

impl DLine {
    /// A line of text.
    pub fn plain(text: impl Into<String>) -> DLine {
        DLine {
            text: text.into(),
            ..Default::default()
        }
    }
}

/// An open detail page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    /// The pane it was opened from.
    pub pane: Pane,
    /// The row it was opened on (rebuilt from it after a reload).
    pub row_id: String,
    /// The object shown.
    pub object: (ObjectKind, Id),
    /// Breadcrumb: `Roles › Pipeline editors`.
    pub title: String,
    /// Lines.
    pub lines: Vec<DLine>,
    /// The selected line.
    pub cursor: usize,
    /// First line shown.
    pub scroll: usize,
    /// The user whose effective permissions are awaited, if any.
    pub awaiting: Option<Id>,
    /// The page Esc returns to (Enter on a related row opened this one).
    pub parent: Option<Box<Detail>>,
    /// The filter over one section (`/`), if any.
    pub filter: Option<super::detail_nav::SectionFilter>,
}

impl Detail {
    /// The section `a` adds to: the one under the cursor, else the page's first.
    pub fn add_target(&self) -> Option<AddTo> {
        self.lines
            .get(self.cursor)
            .and_then(|l| l.add)
            .or_else(|| self.lines.iter().find_map(|l| l.add))
    }

    /// Whether the cursor is on a relation that can carry an end (not a role's permission).
    pub fn on_ending_kind(&self) -> bool {
        self.lines
            .get(self.cursor)
            .and_then(|l| l.link)
            .is_some_and(|k| k.may_expire())
    }

    /// The relation under the cursor.
    pub fn selected_link(&self) -> Option<(Link, String)> {
        let l = self.lines.get(self.cursor)?;
        l.link.map(|k| (k, l.text.trim().to_string()))
    }
}

/// Builds the page for the row `row_id` of `pane` (its pane module says what is on it), or
/// `None` when there is nothing to show.
pub fn build(pane: Pane, row_id: &str, s: &State, catalogs: Option<&Catalogs>) -> Option<Detail> {
    let mut page = (super::panes::def(pane).page?)(row_id, s, catalogs)?;
    if !s.expiries.is_empty() {
        for l in &mut page.lines {
            l.ends = l.link.and_then(|k| s.expiries.get(&k));
        }
    }
    Some(Detail {
        pane,
        row_id: row_id.to_string(),
        object: page.object,
        title: page.title,
        lines: page.lines,
        cursor: 0,
        scroll: 0,
        awaiting: page.awaiting,
        parent: None,
        filter: None,
    })
}
