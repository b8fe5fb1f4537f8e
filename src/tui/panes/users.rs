//! The Users pane: users with their roles, teams and flags (rows built by `view/users.rs`,
//! the list that reaches 100k rows); a user's page lists roles, teams, direct grants, API keys
//! and the effective permissions with the path of each (loaded when the page opens).

use super::{Delete, Editing, FormDef, Page, PaneDef, access, always, dash, section};
use crate::backend::UserSpec;
use crate::catalog::Catalogs;
use crate::engine::{Scope, WhatCan};
use crate::model::{AuditEvent, Id, ObjectKind, Principal, UserKind};
use crate::policy::{Link, State};
use crate::present::{role_name, target, team_key, via};
use crate::tui::app::{App, Mode};
use crate::tui::detail::DLine;
use crate::tui::field::Field;
use crate::tui::form::{Form, Outcome, Save};
use crate::tui::picker::AddTo;
use crate::tui::rows::Rows;
use crate::tui::view::{Column, Pane, col, user_rows};
use std::sync::Arc;
use time::OffsetDateTime;

pub(super) const DEF: PaneDef = PaneDef {
    pane: Pane::Users,
    title: "Users",
    short: "Users",
    command: "users",
    aliases: &["user"],
    columns: COLUMNS,
    rows,
    unsupported: always,
    lacking: "",
    partial: None,
    kind: Some(ObjectKind::User),
    object_of_row: |s, row| Some(s.user_by_name(row)?.id),
    row_of_object: |s, id| Some(s.users.get(&id)?.username.clone()),
    page: Some(page),
    delete: Some(delete),
    form: Some(FormDef {
        create,
        edit: Editing::Form(edit),
        save,
    }),
    keys: None,
    paste: None,
    command_args: None,
    draw: None,
    offers_defaults: false,
};

const COLUMNS: &[Column] = &[
    col("USERNAME", 10, 2, false, 0),
    col("EMAIL", 10, 2, false, 90),
    col("KIND", 7, 0, false, 100),
    col("ROLES", 8, 3, false, 0),
    col("TEAMS", 6, 2, false, 0),
    col("FLAGS", 6, 0, false, 0),
    col("CREATED", 16, 0, false, 110),
    col("UPDATED", 16, 0, false, 130),
];

fn rows(s: &Arc<State>, _: &[AuditEvent], _: &Arc<Catalogs>, now: OffsetDateTime) -> Rows {
    Rows::Built(user_rows(s, now))
}

fn page(row_id: &str, s: &State, _: Option<&Catalogs>) -> Option<Page> {
    let u = s.user_by_name(row_id)?;
    let mut lines = vec![
        DLine::plain(format!("username     {}", u.username)),
        DLine::plain(format!("email        {}", u.email)),
    ];
    if !u.display_name.is_empty() {
        lines.push(DLine::plain(format!("display name {}", u.display_name)));
    }
    for (label, v) in [("first name", &u.first_name), ("last name", &u.last_name)] {
        if !v.is_empty() {
            lines.push(DLine::plain(format!("{label:<12} {v}")));
        }
    }
    lines.push(DLine::plain(format!("kind         {}", u.kind.as_str())));
    let mut flags = Vec::new();
    if u.owner {
        flags.push("owner (allowed everything)".to_string());
    }
    if u.disabled {
        flags.push("disabled (denied everything)".to_string());
    }
    lines.push(DLine::plain(format!("flags        {}", dash(&flags, ", "))));
    lines.extend(super::stamps(s, u.created_at, u.updated_at, None));
    relations(&mut lines, s, u.id);
    lines.push(DLine::plain(""));
    lines.push(DLine {
        awaited: true,
        ..DLine::plain("Effective permissions: loading…")
    });
    Some(Page {
        title: format!("Users › {}", u.username),
        object: (ObjectKind::User, u.id),
        lines,
        awaiting: Some(u.id),
    })
}

/// A user page's sections: roles, teams, direct grants, API keys.
fn relations(lines: &mut Vec<DLine>, s: &State, user: Id) {
    let roles = s
        .user_roles
        .iter()
        .filter(|(x, _)| *x == user)
        .map(|(_, r)| (role_name(s, r), Some(Link::UserRole { user, role: *r })))
        .collect();
    section(lines, "Roles", Some(AddTo::UserRoles(user)), roles);
    let teams = s
        .members
        .iter()
        .filter(|((_, x), _)| *x == user)
        .map(|((t, _), r)| {
            let text = match r {
                Some(r) => format!("{} (member role {})", team_key(s, t), role_name(s, r)),
                None => team_key(s, t),
            };
            let link = Link::Member {
                team: *t,
                user,
                role: *r,
            };
            (text, Some(link))
        })
        .collect();
    section(lines, "Teams", Some(AddTo::UserTeams(user)), teams);
    let direct = s
        .grants
        .iter()
        .filter(|(pr, _)| *pr == Principal::User(user))
        .filter_map(|(pr, p)| s.permissions.get(p).map(|p| (pr, p)))
        .map(|(pr, p)| {
            let text = format!(
                "{} {}",
                target(&p.catalog, &p.entity, p.entity_uuid.as_deref()),
                access(&p.grants, &p.denies)
            );
            let link = Link::Grant {
                principal: *pr,
                permission: p.id,
            };
            (text, Some(link))
        })
        .collect();
    section(
        lines,
        "Direct grants",
        Some(AddTo::UserGrants(user)),
        direct,
    );
    let keys = s
        .keys
        .values()
        .filter(|k| k.user_id == user)
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
    section(lines, "API keys", None, keys);
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

impl App {
    /// A user's effective permissions arrived: they end the page waiting for them.
    pub(crate) fn on_effective(&mut self, user: Id, result: Result<WhatCan, String>) {
        let (Mode::Detail(d), Some(data)) = (&mut self.mode, &self.data) else {
            return;
        };
        if d.awaiting != Some(user) {
            return;
        }
        d.awaiting = None;
        if let Some(pos) = d.lines.iter().position(|l| l.awaited) {
            d.lines.truncate(pos);
        }
        let at = d.lines.len();
        match result {
            Ok(what) => d.lines.extend(effective_lines(&data.state, &what)),
            Err(e) => d
                .lines
                .push(DLine::plain(format!("Effective permissions: {e}"))),
        }
        // The section stays the page's awaited part: asked again (`r`), it is replaced.
        if let Some(first) = d.lines.get_mut(at) {
            first.awaited = true;
        }
    }
}

fn delete(s: &State, row_id: &str) -> Option<Delete> {
    let u = s.user_by_name(row_id)?;
    Some(Delete::Object {
        kind: ObjectKind::User,
        id: u.id,
        name: u.username.clone(),
        links: s.dependents(ObjectKind::User, u.id).count(),
        type_name: false,
    })
}

fn fields(spec: &UserSpec) -> Vec<Field> {
    vec![
        Field::text(
            "username",
            "username",
            &spec.username,
            "unique, case-insensitive",
        ),
        Field::text("email", "email", &spec.email, ""),
        Field::text("first_name", "first name", &spec.first_name, ""),
        Field::text("last_name", "last name", &spec.last_name, "kept as written"),
        Field::text(
            "display_name",
            "display name",
            &spec.display_name,
            "follows first + last name when either is set",
        ),
        Field::cycle(
            "kind",
            "kind",
            vec!["person".into(), "service".into()],
            spec.kind.as_str(),
        ),
        Field::toggle("disabled", "disabled", spec.disabled, "denied everything"),
        Field::toggle("owner", "owner", spec.owner, "allowed everything"),
    ]
}

fn create(_: &State, _: &Catalogs) -> (String, Vec<Field>) {
    (
        format!("New {}", ObjectKind::User),
        fields(&UserSpec::default()),
    )
}

fn edit(id: Id, s: &State, _: &Catalogs) -> Option<(u64, String, Vec<Field>)> {
    let u = s.users.get(&id)?;
    let title = format!("Edit user '{}'", u.username);
    Some((u.version, title, fields(&UserSpec::of(u))))
}

fn save(form: &mut Form) -> Result<Save, Outcome> {
    Ok(Save::User(
        form.target,
        UserSpec {
            password: Some(form.text("password"))
                .filter(|p| !p.is_empty())
                .map(crate::backend::Password),
            username: form.text("username"),
            email: form.text("email"),
            display_name: form.text("display_name"),
            kind: match form.field("kind").and_then(Field::choice) {
                Some("service") => UserKind::Service,
                _ => UserKind::Person,
            },
            disabled: form.field("disabled").is_some_and(Field::on),
            owner: form.field("owner").is_some_and(Field::on),
            first_name: form.text("first_name"),
            last_name: form.text("last_name"),
        },
    ))
}
