//! The Roles pane: roles with their counts of permissions, users and teams; a role's page
//! lists its permissions, users, teams and where it is a team membership role.

use super::{Delete, Editing, FormDef, Page, PaneDef, access, always, section};
use crate::backend::RoleSpec;
use crate::catalog::Catalogs;
use crate::model::{AuditEvent, Id, ObjectKind, short_id};
use crate::policy::{Link, State};
use crate::present::{target, team_key, user_name};
use crate::tui::detail::DLine;
use crate::tui::field::Field;
use crate::tui::form::{Form, Outcome, Save};
use crate::tui::picker::AddTo;
use crate::tui::rows::Rows;
use crate::tui::view::{Column, Pane, Row, col};
use rustc_hash::FxHashMap;
use std::sync::Arc;
use time::OffsetDateTime;

pub(super) const DEF: PaneDef = PaneDef {
    pane: Pane::Roles,
    title: "Roles",
    short: "Roles",
    command: "roles",
    aliases: &["role"],
    columns: COLUMNS,
    rows,
    unsupported: always,
    lacking: "",
    partial: None,
    kind: Some(ObjectKind::Role),
    object_of_row: super::id_of_row,
    row_of_object: super::row_of_id,
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
    offers_defaults: true,
};

const COLUMNS: &[Column] = &[
    col("NAME", 14, 3, false, 0),
    col("PERMS", 5, 0, true, 0),
    col("USERS", 5, 0, true, 0),
    col("TEAMS", 5, 0, true, 90),
    col("DESCRIPTION", 10, 4, false, 100),
    col("UPDATED", 16, 0, false, 100),
    col("CREATOR", 8, 1, false, 100),
    col("CREATED", 16, 0, false, 130),
];

fn rows(s: &Arc<State>, _: &[AuditEvent], _: &Arc<Catalogs>, _: OffsetDateTime) -> Rows {
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
    Rows::Built(
        s.roles
            .values()
            .map(|r| {
                let n = |m: &FxHashMap<Id, usize>| m.get(&r.id).copied().unwrap_or(0).to_string();
                Row::new(
                    r.id.to_string(),
                    vec![
                        r.name.clone(),
                        n(&perms),
                        n(&users),
                        n(&teams),
                        r.description.replace('\n', " "),
                        utc(r.updated_at),
                        crate::present::created_by(s, r.created_by.as_ref()),
                        utc(r.created_at),
                    ],
                )
            })
            .collect(),
    )
}

/// A time for a list cell, in UTC.
fn utc(t: time::OffsetDateTime) -> String {
    crate::tui::view::date(t.to_offset(time::UtcOffset::UTC))
}

fn page(row_id: &str, s: &State, _: Option<&Catalogs>) -> Option<Page> {
    let r = s.roles.get(&Id::parse_str(row_id).ok()?)?;
    let mut lines = vec![
        DLine::plain(format!("name         {}", r.name)),
        DLine::plain(format!("description  {}", r.description.replace('\n', " "))),
        DLine::plain(format!("id           {}   version {}", r.id, r.version)),
    ];
    lines.extend(super::stamps(
        s,
        r.created_at,
        r.updated_at,
        Some(r.created_by),
    ));
    section(
        &mut lines,
        "Permissions",
        Some(AddTo::RolePermissions(r.id)),
        permissions(s, r.id),
    );
    let users = s
        .user_roles
        .iter()
        .filter(|(_, x)| *x == r.id)
        .map(|(u, _)| {
            let link = Link::UserRole {
                user: *u,
                role: r.id,
            };
            (user_name(s, u), Some(link))
        })
        .collect();
    section(&mut lines, "Users", Some(AddTo::RoleUsers(r.id)), users);
    let teams = s
        .team_roles
        .iter()
        .filter(|(_, x)| *x == r.id)
        .map(|(t, _)| {
            let link = Link::TeamRole {
                team: *t,
                role: r.id,
            };
            (team_key(s, t), Some(link))
        })
        .collect();
    section(
        &mut lines,
        "Teams (every member)",
        Some(AddTo::RoleTeams(r.id)),
        teams,
    );
    let held = s
        .members
        .iter()
        .filter(|(_, x)| **x == Some(r.id))
        .map(|((t, u), _)| {
            let text = format!("{} in team {}", user_name(s, u), team_key(s, t));
            (text, None)
        })
        .collect();
    section(&mut lines, "Held as a team membership role", None, held);
    Some(Page {
        title: format!("Roles › {}", r.name),
        object: (ObjectKind::Role, r.id),
        lines,
        awaiting: None,
    })
}

/// A role page's permissions: id, target and access, each removable.
fn permissions(s: &State, role: Id) -> Vec<(String, Option<Link>)> {
    s.role_permissions
        .iter()
        .filter(|(x, _)| *x == role)
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
                    role,
                    permission: p.id,
                }),
            )
        })
        .collect()
}

fn delete(s: &State, row_id: &str) -> Option<Delete> {
    let r = s.roles.get(&Id::parse_str(row_id).ok()?)?;
    let users = s.user_roles.iter().filter(|(_, x)| *x == r.id).count()
        + s.members.values().filter(|x| **x == Some(r.id)).count();
    Some(Delete::Object {
        kind: ObjectKind::Role,
        id: r.id,
        name: r.name.clone(),
        links: s.dependents(ObjectKind::Role, r.id).count(),
        type_name: users > 0,
    })
}

fn fields(spec: &RoleSpec) -> Vec<Field> {
    vec![
        Field::text("name", "name", &spec.name, "unique, e.g. Pipeline editors"),
        Field::text("description", "description", &spec.description, ""),
    ]
}

fn create(_: &State, _: &Catalogs) -> (String, Vec<Field>) {
    (
        format!("New {}", ObjectKind::Role),
        fields(&RoleSpec::default()),
    )
}

fn edit(id: Id, s: &State, _: &Catalogs) -> Option<(u64, String, Vec<Field>)> {
    let r = s.roles.get(&id)?;
    let spec = RoleSpec {
        name: r.name.clone(),
        description: r.description.clone(),
    };
    Some((r.version, format!("Edit role '{}'", r.name), fields(&spec)))
}

fn save(form: &mut Form) -> Result<Save, Outcome> {
    Ok(Save::Role(
        form.target,
        RoleSpec {
            name: form.text("name"),
            description: form.text("description"),
        },
    ))
}
