//! Detail pages (Enter on a row): the object's fields and its relations — Role → permissions,
//! users, teams; Permission → entity, UUID, access, conditions, roles and holders; User →
//! roles, teams, direct grants, keys and effective permissions (with the path of each);
//! Team → members with their role, default role, team roles. Read-only for now.

use super::view::Pane;
use crate::engine::{Scope, WhatCan};
use crate::model::{Id, Principal, short_id};
use crate::present::{perm_label, role_name, target, team_key, user_name, via};
use crate::store::State;

/// An open detail page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    /// Breadcrumb: `Roles › Pipeline editors`.
    pub title: String,
    /// Lines (not sanitized; drawing sanitizes).
    pub lines: Vec<String>,
    /// First line shown.
    pub scroll: usize,
    /// The user whose effective permissions are awaited, if any.
    pub awaiting: Option<Id>,
}

fn section(out: &mut Vec<String>, title: &str, items: Vec<String>) {
    out.push(String::new());
    out.push(format!("{title} ({})", items.len()));
    if items.is_empty() {
        out.push("  —".into());
    }
    out.extend(items.into_iter().map(|i| format!("  {i}")));
}

fn access(grants: &[String], denies: &[String]) -> String {
    let mut v: Vec<String> = grants.to_vec();
    v.extend(denies.iter().map(|d| format!("!{d}")));
    v.join(" ")
}

/// Builds the page for the row `row_id` of `pane`, or `None` when there is nothing to show.
pub fn build(pane: Pane, row_id: &str, s: &State) -> Option<Detail> {
    let id = Id::parse_str(row_id).ok();
    let mut lines = Vec::new();
    let (title, awaiting) = match pane {
        Pane::Roles => {
            let r = s.roles.get(&id?)?;
            lines.push(format!("name         {}", r.name));
            lines.push(format!("description  {}", r.description.replace('\n', " ")));
            lines.push(format!("id           {}   version {}", r.id, r.version));
            let perms = s
                .role_permissions
                .iter()
                .filter(|(x, _)| *x == r.id)
                .filter_map(|(_, p)| s.permissions.get(p))
                .map(|p| {
                    format!(
                        "{:<12} {:<40} {}",
                        short_id(&p.id),
                        target(&p.catalog, &p.entity, p.entity_uuid.as_deref()),
                        access(&p.grants, &p.denies)
                    )
                })
                .collect();
            section(&mut lines, "Permissions", perms);
            section(
                &mut lines,
                "Users",
                s.user_roles
                    .iter()
                    .filter(|(_, x)| *x == r.id)
                    .map(|(u, _)| user_name(s, u))
                    .collect(),
            );
            section(
                &mut lines,
                "Teams (every member)",
                s.team_roles
                    .iter()
                    .filter(|(_, x)| *x == r.id)
                    .map(|(t, _)| team_key(s, t))
                    .collect(),
            );
            section(
                &mut lines,
                "Held as a team membership role",
                s.members
                    .iter()
                    .filter(|(_, x)| **x == Some(r.id))
                    .map(|((t, u), _)| format!("{} in team {}", user_name(s, u), team_key(s, t)))
                    .collect(),
            );
            (format!("Roles › {}", r.name), None)
        }
        Pane::Permissions => {
            let p = s.permissions.get(&id?)?;
            lines.push(format!("id           {}", p.id));
            lines.push(format!("catalog      {}", p.catalog));
            lines.push(format!("entity       {}", p.entity));
            lines.push(format!(
                "entity UUID  {}",
                p.entity_uuid
                    .as_deref()
                    .unwrap_or("all (every entity of this type)")
            ));
            lines.push(format!(
                "grants       {}",
                if p.grants.is_empty() {
                    "—".into()
                } else {
                    p.grants.join(" ")
                }
            ));
            lines.push(format!(
                "denies       {}",
                if p.denies.is_empty() {
                    "—".into()
                } else {
                    p.denies.join(" ")
                }
            ));
            lines.push(format!(
                "conditions   {}",
                if p.conditions.is_empty() {
                    "—".into()
                } else {
                    p.conditions.join(", ")
                }
            ));
            for (label, list) in [
                ("query attrs", &p.query_attributes),
                ("read attrs", &p.read_attributes),
                ("write attrs", &p.write_attributes),
            ] {
                if !list.is_empty() {
                    lines.push(format!("{label:<12} {}", list.join(", ")));
                }
            }
            if !p.description.is_empty() {
                lines.push(format!("description  {}", p.description.replace('\n', " ")));
            }
            section(
                &mut lines,
                "Roles using it",
                s.role_permissions
                    .iter()
                    .filter(|(_, x)| *x == p.id)
                    .map(|(r, _)| role_name(s, r))
                    .collect(),
            );
            let holders = s
                .grants
                .iter()
                .filter(|(_, x)| *x == p.id)
                .map(|(pr, _)| match pr {
                    Principal::User(u) => format!("user {}", user_name(s, u)),
                    Principal::Team(t) => format!("team {}", team_key(s, t)),
                })
                .collect();
            section(&mut lines, "Granted directly to", holders);
            (format!("Permissions › {}", perm_label(s, &p.id)), None)
        }
        Pane::Users => {
            let u = s.user_by_name(row_id)?;
            lines.push(format!("username     {}", u.username));
            lines.push(format!("email        {}", u.email));
            lines.push(format!("kind         {}", u.kind.as_str()));
            let mut flags = Vec::new();
            if u.owner {
                flags.push("owner (allowed everything)");
            }
            if u.disabled {
                flags.push("disabled (denied everything)");
            }
            lines.push(format!(
                "flags        {}",
                if flags.is_empty() {
                    "—".into()
                } else {
                    flags.join(", ")
                }
            ));
            section(
                &mut lines,
                "Roles",
                s.user_roles
                    .iter()
                    .filter(|(x, _)| *x == u.id)
                    .map(|(_, r)| role_name(s, r))
                    .collect(),
            );
            section(
                &mut lines,
                "Teams",
                s.members
                    .iter()
                    .filter(|((_, x), _)| *x == u.id)
                    .map(|((t, _), r)| match r {
                        Some(r) => format!("{} (member role {})", team_key(s, t), role_name(s, r)),
                        None => team_key(s, t),
                    })
                    .collect(),
            );
            let direct = s
                .grants
                .iter()
                .filter(|(pr, _)| *pr == Principal::User(u.id))
                .filter_map(|(_, p)| s.permissions.get(p))
                .map(|p| {
                    format!(
                        "{} {}",
                        target(&p.catalog, &p.entity, p.entity_uuid.as_deref()),
                        access(&p.grants, &p.denies)
                    )
                })
                .collect();
            section(&mut lines, "Direct grants", direct);
            let keys = s
                .keys
                .values()
                .filter(|k| k.user_id == u.id)
                .map(|k| {
                    format!(
                        "{} {}{}",
                        k.prefix,
                        if k.read_only {
                            "read-only"
                        } else {
                            "read-write"
                        },
                        if k.revoked_at.is_some() {
                            " (revoked)"
                        } else {
                            ""
                        }
                    )
                })
                .collect();
            section(&mut lines, "API keys", keys);
            lines.push(String::new());
            lines.push("Effective permissions: loading…".into());
            (format!("Users › {}", u.username), Some(u.id))
        }
        Pane::Teams => {
            let t = s.team_by_key(row_id)?;
            lines.push(format!("key          {}", t.key));
            lines.push(format!("name         {}", t.name));
            lines.push(format!("description  {}", t.description.replace('\n', " ")));
            lines.push(format!(
                "default role {}",
                t.default_role
                    .map(|r| role_name(s, &r))
                    .unwrap_or_else(|| "—".into())
            ));
            section(
                &mut lines,
                "Members",
                s.members
                    .iter()
                    .filter(|((x, _), _)| *x == t.id)
                    .map(|((_, u), r)| match r {
                        Some(r) => format!("{} (role {})", user_name(s, u), role_name(s, r)),
                        None => user_name(s, u),
                    })
                    .collect(),
            );
            section(
                &mut lines,
                "Team roles (every member)",
                s.team_roles
                    .iter()
                    .filter(|(x, _)| *x == t.id)
                    .map(|(_, r)| role_name(s, r))
                    .collect(),
            );
            (format!("Teams › {}", t.key), None)
        }
        Pane::Keys | Pane::Audit | Pane::Check => return None,
    };
    Some(Detail {
        title,
        lines,
        scroll: 0,
        awaiting,
    })
}

/// The effective-permissions section of a user page (what-can, with the path of each).
pub fn effective_lines(s: &State, what: &WhatCan) -> Vec<String> {
    let mut out = vec![format!("Effective permissions ({})", what.entries.len())];
    if what.owner {
        out.push("  owner: every action on every entity is allowed".into());
    }
    if what.disabled {
        out.push("  disabled: every request is denied".into());
    }
    for e in &what.entries {
        let scope = match e.scope {
            Scope::Everywhere => String::new(),
            Scope::TeamOnly(t) => format!(" (team {} resources only)", team_key(s, &t)),
        };
        let allowed = if e.allowed.is_empty() {
            "nothing (denied or conditional)".to_string()
        } else {
            e.allowed.join(" ")
        };
        out.push(format!(
            "  {:<40} {allowed}  ← {}{scope}",
            target(&e.catalog, &e.entity, e.entity_uuid.as_deref()),
            via(s, &e.via)
        ));
    }
    if what.entries.is_empty() && !what.owner {
        out.push("  —".into());
    }
    out
}
