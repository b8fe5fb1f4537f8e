//! Detail pages (Enter on a row): the object's fields and its relations — Role → permissions,
//! users, teams; Permission → entity, UUID, access toggles, conditions, roles and holders;
//! User → roles, teams, direct grants, keys and effective permissions (with the path of each);
//! Team → members with their role, default role, team roles. Relation rows are selectable:
//! `a` adds to the section under the cursor (multi-select picker), `x` removes the selected
//! relation, `e` edits the object; Enter opens the related object and `/` filters the section
//! (see `detail_nav.rs`).

use super::picker::AddTo;
use super::view::Pane;
use crate::catalog::Catalogs;
use crate::engine::{Scope, WhatCan};
use crate::model::{Id, ObjectKind, Principal, short_id};
use crate::policy::{Link, State};
use crate::present::{perm_label, role_name, target, team_key, user_name, via};

/// One line of a detail page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DLine {
    /// The text (not sanitized; drawing sanitizes).
    pub text: String,
    /// The relation this line shows (`x` removes it).
    pub link: Option<Link>,
    /// The section this line belongs to (`a` adds to it).
    pub add: Option<AddTo>,
    /// A section heading.
    pub heading: bool,
    /// Cells laid out after `text` in as many columns as fit the width (the access toggles);
    /// drawing wraps them, so none is cut.
    pub cells: Vec<String>,
}

impl DLine {
    fn plain(text: impl Into<String>) -> DLine {
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

    /// The relation under the cursor.
    pub fn selected_link(&self) -> Option<(Link, String)> {
        let l = self.lines.get(self.cursor)?;
        l.link.map(|k| (k, l.text.trim().to_string()))
    }
}

fn section(
    out: &mut Vec<DLine>,
    title: &str,
    add: Option<AddTo>,
    items: Vec<(String, Option<Link>)>,
) {
    out.push(DLine::plain(""));
    out.push(DLine {
        text: format!("{title} ({})", items.len()),
        link: None,
        add,
        heading: true,
        ..Default::default()
    });
    if items.is_empty() {
        out.push(DLine {
            text: "  —".into(),
            link: None,
            add,
            heading: false,
            ..Default::default()
        });
    }
    out.extend(items.into_iter().map(|(text, link)| DLine {
        text: format!("  {text}"),
        link,
        add,
        heading: false,
        ..Default::default()
    }));
}

fn access(grants: &[String], denies: &[String]) -> String {
    let mut v: Vec<String> = grants.to_vec();
    v.extend(denies.iter().map(|d| format!("!{d}")));
    v.join(" ")
}

/// The three-state access toggles of a permission: one line whose cells drawing lays out in
/// as many columns as fit.
fn access_grid(catalogs: Option<&Catalogs>, p: &crate::model::Permission) -> DLine {
    let flags: Vec<String> = catalogs
        .and_then(|c| c.get(&p.catalog))
        .map(|c| {
            c.flags_for(&p.entity)
                .iter()
                .map(|f| f.name.clone())
                .collect()
        })
        .unwrap_or_else(|| p.grants.iter().chain(&p.denies).cloned().collect());
    let mut cells: Vec<String> = flags
        .iter()
        .map(|f| {
            let tri = if p.denies.contains(f) {
                super::field::Tri::Deny
            } else if p.grants.contains(f) {
                super::field::Tri::Grant
            } else {
                super::field::Tri::Off
            };
            format!("{} {f}", tri.mark())
        })
        .collect();
    // A grant or deny of a flag the catalog does not list is still shown.
    for (list, tri) in [
        (&p.grants, super::field::Tri::Grant),
        (&p.denies, super::field::Tri::Deny),
    ] {
        for f in list.iter().filter(|f| !flags.contains(f)) {
            cells.push(format!("{} {f}", tri.mark()));
        }
    }
    if cells.is_empty() {
        return DLine::plain("access       —");
    }
    DLine {
        text: "access".into(),
        cells,
        ..Default::default()
    }
}

fn dash(v: &[String], sep: &str) -> String {
    if v.is_empty() {
        "—".into()
    } else {
        v.join(sep)
    }
}

/// Builds the page for the row `row_id` of `pane`, or `None` when there is nothing to show.
pub fn build(pane: Pane, row_id: &str, s: &State, catalogs: Option<&Catalogs>) -> Option<Detail> {
    let id = Id::parse_str(row_id).ok();
    let mut lines: Vec<DLine> = Vec::new();
    let push = |lines: &mut Vec<DLine>, t: String| lines.push(DLine::plain(t));
    let (title, object, awaiting) = match pane {
        Pane::Roles => {
            let r = s.roles.get(&id?)?;
            push(&mut lines, format!("name         {}", r.name));
            push(
                &mut lines,
                format!("description  {}", r.description.replace('\n', " ")),
            );
            push(
                &mut lines,
                format!("id           {}   version {}", r.id, r.version),
            );
            let perms = s
                .role_permissions
                .iter()
                .filter(|(x, _)| *x == r.id)
                .filter_map(|(_, p)| s.permissions.get(p))
                .map(|p| {
                    (
                        format!(
                            "{:<12} {:<40} {}",
                            short_id(&p.id),
                            target(&p.catalog, &p.entity, p.entity_uuid.as_deref()),
                            access(&p.grants, &p.denies)
                        ),
                        Some(Link::RolePermission {
                            role: r.id,
                            permission: p.id,
                        }),
                    )
                })
                .collect();
            section(
                &mut lines,
                "Permissions",
                Some(AddTo::RolePermissions(r.id)),
                perms,
            );
            section(
                &mut lines,
                "Users",
                Some(AddTo::RoleUsers(r.id)),
                s.user_roles
                    .iter()
                    .filter(|(_, x)| *x == r.id)
                    .map(|(u, _)| {
                        (
                            user_name(s, u),
                            Some(Link::UserRole {
                                user: *u,
                                role: r.id,
                            }),
                        )
                    })
                    .collect(),
            );
            section(
                &mut lines,
                "Teams (every member)",
                Some(AddTo::RoleTeams(r.id)),
                s.team_roles
                    .iter()
                    .filter(|(_, x)| *x == r.id)
                    .map(|(t, _)| {
                        (
                            team_key(s, t),
                            Some(Link::TeamRole {
                                team: *t,
                                role: r.id,
                            }),
                        )
                    })
                    .collect(),
            );
            section(
                &mut lines,
                "Held as a team membership role",
                None,
                s.members
                    .iter()
                    .filter(|(_, x)| **x == Some(r.id))
                    .map(|((t, u), _)| {
                        (
                            format!("{} in team {}", user_name(s, u), team_key(s, t)),
                            None,
                        )
                    })
                    .collect(),
            );
            (
                format!("Roles › {}", r.name),
                (ObjectKind::Role, r.id),
                None,
            )
        }
        Pane::Permissions => {
            let p = s.permissions.get(&id?)?;
            push(
                &mut lines,
                format!("id           {}   version {}", p.id, p.version),
            );
            push(&mut lines, format!("catalog      {}", p.catalog));
            push(&mut lines, format!("entity       {}", p.entity));
            push(
                &mut lines,
                format!(
                    "entity UUID  {}",
                    p.entity_uuid
                        .as_deref()
                        .unwrap_or("all (every entity of this type)")
                ),
            );
            lines.push(access_grid(catalogs, &p));
            push(
                &mut lines,
                format!("conditions   {}", dash(&p.conditions, ", ")),
            );
            for (label, list) in [
                ("query attrs", &p.query_attributes),
                ("read attrs", &p.read_attributes),
                ("write attrs", &p.write_attributes),
            ] {
                if !list.is_empty() {
                    push(&mut lines, format!("{label:<12} {}", list.join(", ")));
                }
            }
            if !p.description.is_empty() {
                push(
                    &mut lines,
                    format!("description  {}", p.description.replace('\n', " ")),
                );
            }
            section(
                &mut lines,
                "Roles using it",
                Some(AddTo::PermissionRoles(p.id)),
                s.role_permissions
                    .iter()
                    .filter(|(_, x)| *x == p.id)
                    .map(|(r, _)| {
                        (
                            role_name(s, r),
                            Some(Link::RolePermission {
                                role: *r,
                                permission: p.id,
                            }),
                        )
                    })
                    .collect(),
            );
            let holders = s
                .grants
                .iter()
                .filter(|(_, x)| *x == p.id)
                .map(|(pr, _)| {
                    let text = match pr {
                        Principal::User(u) => format!("user {}", user_name(s, u)),
                        Principal::Team(t) => format!("team {}", team_key(s, t)),
                    };
                    (
                        text,
                        Some(Link::Grant {
                            principal: *pr,
                            permission: p.id,
                        }),
                    )
                })
                .collect();
            section(
                &mut lines,
                "Granted directly to",
                Some(AddTo::PermissionGrantees(p.id)),
                holders,
            );
            (
                format!("Permissions › {}", perm_label(s, &p.id)),
                (ObjectKind::Permission, p.id),
                None,
            )
        }
        Pane::Users => {
            let u = s.user_by_name(row_id)?;
            push(&mut lines, format!("username     {}", u.username));
            push(&mut lines, format!("email        {}", u.email));
            if !u.display_name.is_empty() {
                push(&mut lines, format!("display name {}", u.display_name));
            }
            push(&mut lines, format!("kind         {}", u.kind.as_str()));
            let mut flags = Vec::new();
            if u.owner {
                flags.push("owner (allowed everything)".to_string());
            }
            if u.disabled {
                flags.push("disabled (denied everything)".to_string());
            }
            push(&mut lines, format!("flags        {}", dash(&flags, ", ")));
            section(
                &mut lines,
                "Roles",
                Some(AddTo::UserRoles(u.id)),
                s.user_roles
                    .iter()
                    .filter(|(x, _)| *x == u.id)
                    .map(|(_, r)| {
                        (
                            role_name(s, r),
                            Some(Link::UserRole {
                                user: u.id,
                                role: *r,
                            }),
                        )
                    })
                    .collect(),
            );
            section(
                &mut lines,
                "Teams",
                Some(AddTo::UserTeams(u.id)),
                s.members
                    .iter()
                    .filter(|((_, x), _)| *x == u.id)
                    .map(|((t, _), r)| {
                        let text = match r {
                            Some(r) => {
                                format!("{} (member role {})", team_key(s, t), role_name(s, r))
                            }
                            None => team_key(s, t),
                        };
                        (
                            text,
                            Some(Link::Member {
                                team: *t,
                                user: u.id,
                                role: *r,
                            }),
                        )
                    })
                    .collect(),
            );
            let direct = s
                .grants
                .iter()
                .filter(|(pr, _)| *pr == Principal::User(u.id))
                .filter_map(|(pr, p)| s.permissions.get(p).map(|p| (pr, p)))
                .map(|(pr, p)| {
                    (
                        format!(
                            "{} {}",
                            target(&p.catalog, &p.entity, p.entity_uuid.as_deref()),
                            access(&p.grants, &p.denies)
                        ),
                        Some(Link::Grant {
                            principal: *pr,
                            permission: p.id,
                        }),
                    )
                })
                .collect();
            section(
                &mut lines,
                "Direct grants",
                Some(AddTo::UserGrants(u.id)),
                direct,
            );
            let keys = s
                .keys
                .values()
                .filter(|k| k.user_id == u.id)
                .map(|k| {
                    let mode = if k.read_only {
                        "read-only"
                    } else {
                        "read-write"
                    };
                    let revoked = if k.revoked_at.is_some() {
                        " (revoked)"
                    } else {
                        ""
                    };
                    (format!("{} {mode}{revoked}", k.prefix), None)
                })
                .collect();
            section(&mut lines, "API keys", None, keys);
            push(&mut lines, String::new());
            push(&mut lines, "Effective permissions: loading…".into());
            (
                format!("Users › {}", u.username),
                (ObjectKind::User, u.id),
                Some(u.id),
            )
        }
        Pane::Teams => {
            let t = s.team_by_key(row_id)?;
            push(&mut lines, format!("key          {}", t.key));
            push(&mut lines, format!("name         {}", t.name));
            push(
                &mut lines,
                format!("description  {}", t.description.replace('\n', " ")),
            );
            push(
                &mut lines,
                format!(
                    "default role {}",
                    t.default_role
                        .map(|r| role_name(s, &r))
                        .unwrap_or_else(|| "—".into())
                ),
            );
            section(
                &mut lines,
                "Members",
                Some(AddTo::TeamMembers(t.id)),
                s.members
                    .iter()
                    .filter(|((x, _), _)| *x == t.id)
                    .map(|((_, u), r)| {
                        let text = match r {
                            Some(r) => format!("{} (role {})", user_name(s, u), role_name(s, r)),
                            None => user_name(s, u),
                        };
                        (
                            text,
                            Some(Link::Member {
                                team: t.id,
                                user: *u,
                                role: *r,
                            }),
                        )
                    })
                    .collect(),
            );
            section(
                &mut lines,
                "Team roles (every member)",
                Some(AddTo::TeamRoles(t.id)),
                s.team_roles
                    .iter()
                    .filter(|(x, _)| *x == t.id)
                    .map(|(_, r)| {
                        (
                            role_name(s, r),
                            Some(Link::TeamRole {
                                team: t.id,
                                role: *r,
                            }),
                        )
                    })
                    .collect(),
            );
            (format!("Teams › {}", t.key), (ObjectKind::Team, t.id), None)
        }
        Pane::Keys | Pane::Audit | Pane::Check => return None,
    };
    Some(Detail {
        pane,
        row_id: row_id.to_string(),
        object,
        title,
        lines,
        cursor: 0,
        scroll: 0,
        awaiting,
        parent: None,
        filter: None,
    })
}

/// The effective-permissions section of a user page (what-can, with the path of each).
pub fn effective_lines(s: &State, what: &WhatCan) -> Vec<DLine> {
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
        let mut allowed = if e.allowed.is_empty() {
            "nothing (denied or conditional)".to_string()
        } else {
            e.allowed.join(" ")
        };
        // What it denies counts as much as what it allows (as `users show` says it).
        if !e.denies.is_empty() {
            allowed.push_str(&format!("  denies: {}", e.denies.join(" ")));
        }
        out.push(format!(
            "  {:<40} {allowed}  ← {}{scope}",
            target(&e.catalog, &e.entity, e.entity_uuid.as_deref()),
            via(s, &e.via)
        ));
    }
    if what.entries.is_empty() && !what.owner {
        out.push("  —".into());
    }
    let mut lines: Vec<DLine> = out.into_iter().map(DLine::plain).collect();
    if let Some(first) = lines.first_mut() {
        first.heading = true;
    }
    lines
}
