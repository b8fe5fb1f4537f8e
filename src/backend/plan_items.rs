//! What a plan is, as data: its changes and its items (`+`/`~`/`-`, field by field), with
//! their counts; the planning itself is in `plan.rs`.

use crate::model::ObjectKind;
use crate::policy::Change;
use serde::Serialize;
use time::OffsetDateTime;

/// What a plan item does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// `+`: a new object or link.
    Create,
    /// `~`: an object's fields (or a membership's role) change.
    Update,
    /// `-`: an object or link goes (only with prune).
    Delete,
}

impl Op {
    /// `+`, `~` or `-`.
    pub fn sign(self) -> char {
        match self {
            Op::Create => '+',
            Op::Update => '~',
            Op::Delete => '-',
        }
    }
}

/// One field of an update: old → new, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The document's name of the field.
    pub field: String,
    /// Stored value.
    pub old: String,
    /// Document value.
    pub new: String,
}

/// One line of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanItem {
    /// Create, update or delete.
    pub op: Op,
    /// What kind of object or link.
    pub kind: ObjectKind,
    /// Which one, by name (`alice`, `editor → mage:Pipeline`).
    pub name: String,
    /// For an update, the fields that change; for a new permission, what it holds (`old` is
    /// the empty value).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// For a delete, how many links and keys go with it.
    #[serde(skip_serializing_if = "is_zero")]
    pub cascades: usize,
    /// For a new relation that ends, or one whose end moves: its end before and after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends: Option<EndChange>,
}

/// A relation's end before and after a plan (`None`: never; JSON: RFC 3339 or `null`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EndChange {
    /// The stored end (none for a new relation).
    #[serde(with = "time::serde::rfc3339::option")]
    pub old: Option<OffsetDateTime>,
    /// The document's end.
    #[serde(with = "time::serde::rfc3339::option")]
    pub new: Option<OffsetDateTime>,
}

/// An end as plans show it: `2026-12-31 18:00 UTC`, or `never`.
pub fn shown_end(t: Option<OffsetDateTime>) -> String {
    t.map_or_else(|| "never".to_string(), crate::present::instant)
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl PlanItem {
    /// The item as text: `+ role editor`, `~ user alice` and one indented line per field; a
    /// new relation that ends says so (`+ user_role alice → admin (ends 2026-12-31 18:00
    /// UTC)`), a moved end is a field (`    ends: 2026-12-31 18:00 UTC → never`).
    pub fn lines(&self) -> Vec<String> {
        let mut head = format!("{} {} {}", self.op.sign(), self.kind, self.name);
        if self.cascades > 0 {
            head.push_str(&format!(" (and {} link(s) or key(s) of it)", self.cascades));
        }
        if let (Op::Create, Some(e)) = (self.op, self.ends) {
            head.push_str(&format!(" (ends {})", shown_end(e.new)));
        }
        let mut out = vec![head];
        for f in &self.fields {
            out.push(match self.op {
                Op::Update => format!("    {}: {} → {}", f.field, f.old, f.new),
                _ => format!("    {}: {}", f.field, f.new),
            });
        }
        if let (Op::Update, Some(e)) = (self.op, self.ends) {
            out.push(format!(
                "    ends: {} → {}",
                shown_end(e.old),
                shown_end(e.new)
            ));
        }
        out
    }
}

/// How many items of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlanCounts {
    /// `+` items.
    pub create: usize,
    /// `~` items.
    pub update: usize,
    /// `-` items.
    pub delete: usize,
}

/// A plan: the changes, in an order that applies cleanly (creates, updates, unlinks, links,
/// deletes), and what they are in words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The changes to commit, in order.
    pub changes: Vec<Change>,
    /// One item per created, updated or deleted object or link.
    pub items: Vec<PlanItem>,
}

impl Plan {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Items per operation.
    pub fn counts(&self) -> PlanCounts {
        let mut c = PlanCounts::default();
        for i in &self.items {
            match i.op {
                Op::Create => c.create += 1,
                Op::Update => c.update += 1,
                Op::Delete => c.delete += 1,
            }
        }
        c
    }
}
