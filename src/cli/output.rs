//! Output helpers: plain tables (every cell sanitized) and JSON.

use crate::backend::{Error, Result};
use crate::model::Id;
use crate::policy::State;
pub use crate::present::{created_by, entity, role_name, target, team_key, user_name, via};
use crate::text::sanitize;
use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

/// Table or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable tables.
    Table,
    /// JSON documents with stable field names.
    Json,
}

impl Format {
    /// Parses `--output`.
    pub fn parse(s: &str) -> Result<Format> {
        match s.to_ascii_lowercase().as_str() {
            "table" | "text" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            _ => Err(Error::invalid(
                "--output",
                format!("unknown format '{s}'; use table or json"),
            )),
        }
    }
}

/// Prints a value as pretty JSON, streamed to standard output (a listing of 50k permissions is
/// 30 MB: never built whole in memory first).
pub fn print_json<T: Serialize + ?Sized>(v: &T) -> Result<()> {
    super::stdout::write_json(v).map_err(|e| Error::Store(format!("cannot write JSON: {e}")))
}

/// Builds a plain table with a header row; every cell is sanitized.
pub fn table<S: AsRef<str>>(header: &[&str], rows: impl IntoIterator<Item = Vec<S>>) -> String {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().map(|h| h.to_string()));
    for row in rows {
        t.add_row(row.iter().map(|c| sanitize(c.as_ref()).into_owned()));
    }
    // comfy-table pads the last column; trailing spaces help nobody.
    t.to_string()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Prints a table (or a note when it has no rows).
pub fn print_table<S: AsRef<str>>(header: &[&str], rows: Vec<Vec<S>>, empty: &str) {
    if rows.is_empty() {
        outln!("{empty}");
    } else {
        outln!("{}", table(header, rows));
    }
}

/// Prints `label: value` lines, values sanitized.
pub fn print_fields(fields: &[(&str, String)]) {
    let w = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in fields {
        outln!("{k:<w$}  {}", sanitize(v));
    }
}

/// Prints a section title.
pub fn section(title: &str) {
    outln!();
    outln!("{}", sanitize(title));
}

/// The short form of an id (its last 12 hex digits, see `model::short_id`).
pub fn short(id: &Id) -> String {
    crate::model::short_id(id)
}

/// The short form of a permission id shown in tables (its last 12 hex digits); every command
/// that takes a permission id accepts it.
pub fn short_perm(_s: &State, id: &Id) -> String {
    crate::model::short_id(id)
}

/// `a, b, c` or `-`.
pub fn list(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_string()
    } else {
        items.join(", ")
    }
}

/// A time as RFC 3339 (or `-`).
pub fn time(t: Option<time::OffsetDateTime>) -> String {
    t.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .unwrap_or_else(|| "-".to_string())
}

/// A time for tables: `2025-01-31 12:00:00` (UTC), or `-`.
pub fn time_short(t: Option<time::OffsetDateTime>) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    t.and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&fmt).ok())
        .unwrap_or_else(|| "-".to_string())
}

/// A date for list columns: `2025-01-31` (UTC).
pub fn date(t: time::OffsetDateTime) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_else(|_| "-".to_string())
}

/// An audit object id with names for the ids it holds (`role:Editor/perm:0192abcd…`).
pub fn object_label(s: &State, id: &str) -> String {
    id.split('/')
        .map(|part| {
            let (prefix, raw) = match part.split_once(':') {
                Some((p, r)) => (Some(p), r),
                None => (None, part),
            };
            let Ok(uuid) = Id::parse_str(raw) else {
                return part.to_string();
            };
            if let Some(u) = s.users.get(&uuid) {
                format!("user:{}", u.username)
            } else if let Some(t) = s.teams.get(&uuid) {
                format!("team:{}", t.key)
            } else if let Some(r) = s.roles.get(&uuid) {
                format!("role:{}", r.name)
            } else if s.permissions.contains_key(&uuid) {
                format!("permission:{}", short_perm(s, &uuid))
            } else if let Some(k) = s.keys.get(&uuid) {
                format!("key:{}", k.prefix)
            } else {
                match prefix {
                    Some(p) => format!("{p}:{uuid}"),
                    None => uuid.to_string(),
                }
            }
        })
        .collect::<Vec<_>>()
        .join(" / ")
}
