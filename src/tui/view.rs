//! The panes and their rows. Rows are built once per data load (sanitized, with a lowercased
//! search key), never per frame; filtering and sorting work on index vectors.

use crate::backend::Capabilities;
use crate::model::{AuditEvent, Id, Principal, short_id};
use crate::policy::State;
use crate::text::sanitize;
use crate::tui::rows::Rows;
use rustc_hash::FxHashMap;
use std::sync::Arc;

mod perm_rows;
mod row;
mod users;

pub use perm_rows::PermRows;
pub use row::Row;

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
    /// Every pane, in navigation order.
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
        match self {
            Pane::Roles => "Roles",
            Pane::Permissions => "Permissions",
            Pane::Users => "Users",
            Pane::Teams => "Teams",
            Pane::Keys => "API keys",
            Pane::Audit => "Audit",
            Pane::Check => "Access check",
        }
    }

    /// The name used by the `:` command line.
    pub fn command(self) -> &'static str {
        match self {
            Pane::Roles => "roles",
            Pane::Permissions => "permissions",
            Pane::Users => "users",
            Pane::Teams => "teams",
            Pane::Keys => "keys",
            Pane::Audit => "audit",
            Pane::Check => "check",
        }
    }

    /// Finds a pane by command name or unambiguous prefix (`:perm`, `:u`).
    pub fn by_command(name: &str) -> Option<Pane> {
        let name = name.to_lowercase();
        let hits: Vec<Pane> = Pane::ALL
            .into_iter()
            .filter(|p| p.command().starts_with(&name) || (name == "apikeys" && *p == Pane::Keys))
            .collect();
        match hits.as_slice() {
            [one] => Some(*one),
            _ => Pane::ALL.into_iter().find(|p| p.command() == name),
        }
    }

    /// Why the backend cannot show this pane, if it cannot.
    pub fn unsupported(self, caps: &Capabilities) -> Option<&'static str> {
        match self {
            Pane::Teams if !caps.teams => Some("this backend has no teams"),
            Pane::Keys if !caps.keys => Some("this backend has no API keys"),
            Pane::Audit if !caps.audit => Some("this backend has no audit log"),
            _ => None,
        }
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

const fn col(title: &'static str, min: u16, grow: u16, numeric: bool, hide_below: u16) -> Column {
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

const ROLES_COLUMNS: &[Column] = &[
    col("NAME", 14, 3, false, 0),
    col("PERMS", 5, 0, true, 0),
    col("USERS", 5, 0, true, 0),
    col("TEAMS", 5, 0, true, 90),
    col("DESCRIPTION", 10, 4, false, 100),
];
const PERMISSIONS_COLUMNS: &[Column] = &[
    col("ID", 12, 0, false, 0),
    col("ENTITY", 16, 2, false, 0),
    col("ENTITY UUID", 8, 2, false, 0),
    col("ACCESS", 10, 4, false, 0),
    col("EFFECT", 6, 0, false, 90),
    col("ROLES", 5, 0, true, 0),
    col("CATALOG", 7, 0, false, 110),
];
const USERS_COLUMNS: &[Column] = &[
    col("USERNAME", 10, 2, false, 0),
    col("EMAIL", 10, 2, false, 90),
    col("KIND", 7, 0, false, 100),
    col("ROLES", 8, 3, false, 0),
    col("TEAMS", 6, 2, false, 0),
    col("FLAGS", 6, 0, false, 0),
];
const TEAMS_COLUMNS: &[Column] = &[
    col("KEY", 8, 1, false, 0),
    col("NAME", 10, 2, false, 0),
    col("MEMBERS", 7, 0, true, 0),
    col("DEFAULT ROLE", 10, 2, false, 0),
];
const KEYS_COLUMNS: &[Column] = &[
    col("PREFIX", 12, 0, false, 0),
    col("USER", 8, 2, false, 0),
    col("MODE", 9, 0, false, 0),
    col("EXPIRES", 10, 1, false, 0),
    col("LAST USED", 10, 1, false, 90),
    col("STATUS", 7, 0, false, 0),
];
const AUDIT_COLUMNS: &[Column] = &[
    col("REV", 4, 0, true, 0),
    col("TIME", 16, 0, false, 0),
    col("ACTOR", 8, 1, false, 0),
    col("ACTION", 6, 0, false, 0),
    col("OBJECT", 10, 2, false, 0),
    col("CHANGE", 10, 4, false, 90),
];
const CHECK_COLUMNS: &[Column] = &[];

/// The columns of a pane.
pub fn columns(pane: Pane) -> &'static [Column] {
    match pane {
        Pane::Roles => ROLES_COLUMNS,
        Pane::Permissions => PERMISSIONS_COLUMNS,
        Pane::Users => USERS_COLUMNS,
        Pane::Teams => TEAMS_COLUMNS,
        Pane::Keys => KEYS_COLUMNS,
        Pane::Audit => AUDIT_COLUMNS,
        Pane::Check => CHECK_COLUMNS,
    }
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

fn date(t: time::OffsetDateTime) -> String {
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
/// pane's, made from the state when read ([`PermRows`]).
pub fn rows(pane: Pane, s: &Arc<State>, audit: &[AuditEvent]) -> Rows {
    let built: Vec<Row> = match pane {
        Pane::Roles => {
            let mut perms: FxHashMap<Id, usize> = FxHashMap::default();
            for (r, _) in &s.role_permissions {
                *perms.entry(*r).or_default() += 1;
            }
            let mut users: FxHashMap<Id, usize> = FxHashMap::default();
            for (_, r) in &s.user_roles {
                *users.entry(*r).or_default() += 1;
            }
            let mut teams: FxHashMap<Id, usize> = FxHashMap::default();
            for (_, r) in &s.team_roles {
                *teams.entry(*r).or_default() += 1;
            }
            s.roles
                .values()
                .map(|r| {
                    let n =
                        |m: &FxHashMap<Id, usize>| m.get(&r.id).copied().unwrap_or(0).to_string();
                    Row::new(
                        r.id.to_string(),
                        vec![
                            r.name.clone(),
                            n(&perms),
                            n(&users),
                            n(&teams),
                            r.description.replace('\n', " "),
                        ],
                    )
                })
                .collect()
        }
        Pane::Permissions => return Rows::Permissions(PermRows::new(Arc::clone(s))),
        Pane::Users => users::user_rows(s),
        Pane::Teams => {
            let mut members: FxHashMap<Id, usize> = FxHashMap::default();
            for (t, _) in s.members.keys() {
                *members.entry(*t).or_default() += 1;
            }
            s.teams
                .values()
                .map(|t| {
                    let default = t
                        .default_role
                        .and_then(|r| s.roles.get(&r))
                        .map(|r| r.name.clone())
                        .unwrap_or_else(|| "—".into());
                    Row::new(
                        t.key.clone(),
                        vec![
                            t.key.clone(),
                            t.name.clone(),
                            members.get(&t.id).copied().unwrap_or(0).to_string(),
                            default,
                        ],
                    )
                })
                .collect()
        }
        Pane::Keys => s
            .keys
            .values()
            .map(|k| {
                let user = s
                    .users
                    .get(&k.user_id)
                    .map(|u| u.username.clone())
                    .unwrap_or_else(|| short_id(&k.user_id));
                let status = if k.revoked_at.is_some() {
                    "revoked"
                } else if k
                    .expires_at
                    .is_some_and(|e| e <= time::OffsetDateTime::now_utc())
                {
                    "expired"
                } else {
                    "active"
                };
                Row::new(
                    k.id.to_string(),
                    vec![
                        k.prefix.clone(),
                        user,
                        if k.read_only {
                            "read-only"
                        } else {
                            "read-write"
                        }
                        .into(),
                        k.expires_at.map(date).unwrap_or_else(|| "never".into()),
                        k.last_used_at.map(date).unwrap_or_else(|| "never".into()),
                        status.into(),
                    ],
                )
            })
            .collect(),
        Pane::Audit => audit
            .iter()
            .map(|e| {
                Row::new(
                    format!("{}:{}", e.revision, e.object_id),
                    vec![
                        e.revision.to_string(),
                        date(e.at),
                        e.actor.clone(),
                        e.action.clone(),
                        format!("{} {}", e.object_kind, object_label(s, e)),
                        change_summary(e),
                    ],
                )
            })
            .collect(),
        Pane::Check => Vec::new(),
    };
    Rows::Built(built)
}

pub(super) fn object_label(s: &State, e: &AuditEvent) -> String {
    let name = |v: &serde_json::Value| {
        ["name", "username", "key", "prefix", "entity"]
            .iter()
            .find_map(|k| v.get(k).and_then(|x| x.as_str()).map(str::to_string))
    };
    name(&e.after)
        .or_else(|| name(&e.before))
        .unwrap_or_else(|| match Id::parse_str(&e.object_id) {
            Ok(id) => s
                .users
                .get(&id)
                .map(|u| u.username.clone())
                .unwrap_or_else(|| short_id(&id)),
            Err(_) => e.object_id.clone(),
        })
}

/// A one-line "field: before → after" summary of what an audit event changed.
pub fn change_summary(e: &AuditEvent) -> String {
    use serde_json::Value;
    match (&e.before, &e.after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut parts = Vec::new();
            for (k, av) in a {
                if matches!(k.as_str(), "updated_at" | "version") {
                    continue;
                }
                if b.get(k) != Some(av) {
                    parts.push(format!(
                        "{k}: {} → {}",
                        b.get(k).map(compact).unwrap_or_default(),
                        compact(av)
                    ));
                }
            }
            parts.join("; ")
        }
        (Value::Null, a) => format!("+ {}", compact_obj(a)),
        (b, Value::Null) => format!("− {}", compact_obj(b)),
        _ => String::new(),
    }
}

fn compact(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn compact_obj(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) => m
            .iter()
            .filter(|(k, v)| {
                !matches!(
                    k.as_str(),
                    "created_at" | "updated_at" | "version" | "id" | "hash"
                ) && !v.is_null()
            })
            .map(|(k, v)| format!("{k}={}", compact(v)))
            .collect::<Vec<_>>()
            .join(" "),
        other => compact(other),
    }
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
