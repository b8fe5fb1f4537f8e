//! The Teams pane (on backends with teams): teams with their member count and default role; a
//! team's page lists its members with their membership role and its team roles.

use super::{Delete, Editing, FormDef, Page, PaneDef, section};
use crate::backend::Capabilities;
use crate::backend::TeamSpec;
use crate::catalog::Catalogs;
use crate::model::{AuditEvent, Id, ObjectKind};
use crate::policy::{Link, State};
use crate::present::{role_name, user_name};
use crate::tui::detail::DLine;
use crate::tui::field::{Field, FieldKind};
use crate::tui::form::{Form, Outcome, Save};
use crate::tui::picker::AddTo;
use crate::tui::rows::Rows;
use crate::tui::view::{Column, Pane, Row, col};
use rustc_hash::FxHashMap;
use std::sync::Arc;
use time::OffsetDateTime;

pub(super) const DEF: PaneDef = PaneDef {
    pane: Pane::Teams,
    title: "Teams",
    short: "Teams",
    command: "teams",
    aliases: &["team"],
    columns: COLUMNS,
    rows,
    unsupported,
    lacking: "Teams are",
    partial: None,
    kind: Some(ObjectKind::Team),
    object_of_row: |s, row| Some(s.team_by_key(row)?.id),
    row_of_object: |s, id| Some(s.teams.get(&id)?.key.clone()),
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
    col("KEY", 8, 1, false, 0),
    col("NAME", 10, 2, false, 0),
    col("MEMBERS", 7, 0, true, 0),
    col("DEFAULT ROLE", 10, 2, false, 0),
];

fn unsupported(caps: &Capabilities) -> Option<&'static str> {
    (!caps.teams).then_some("this backend has no teams")
}

fn rows(s: &Arc<State>, _: &[AuditEvent], _: &Arc<Catalogs>, _: OffsetDateTime) -> Rows {
    let mut members: FxHashMap<Id, usize> = FxHashMap::default();
    for (t, _) in s.members.keys() {
        *members.entry(*t).or_default() += 1;
    }
    Rows::Built(
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
            .collect(),
    )
}

fn page(row_id: &str, s: &State, _: Option<&Catalogs>) -> Option<Page> {
    let t = s.team_by_key(row_id)?;
    let default = t
        .default_role
        .map(|r| role_name(s, &r))
        .unwrap_or_else(|| "—".into());
    let mut lines = vec![
        DLine::plain(format!("key          {}", t.key)),
        DLine::plain(format!("name         {}", t.name)),
        DLine::plain(format!("description  {}", t.description.replace('\n', " "))),
        DLine::plain(format!("default role {default}")),
    ];
    let members = s
        .members
        .iter()
        .filter(|((x, _), _)| *x == t.id)
        .map(|((_, u), r)| {
            let text = match r {
                Some(r) => format!("{} (role {})", user_name(s, u), role_name(s, r)),
                None => user_name(s, u),
            };
            let link = Link::Member {
                team: t.id,
                user: *u,
                role: *r,
            };
            (text, Some(link))
        })
        .collect();
    section(
        &mut lines,
        "Members",
        Some(AddTo::TeamMembers(t.id)),
        members,
    );
    let roles = s
        .team_roles
        .iter()
        .filter(|(x, _)| *x == t.id)
        .map(|(_, r)| {
            let link = Link::TeamRole {
                team: t.id,
                role: *r,
            };
            (role_name(s, r), Some(link))
        })
        .collect();
    section(
        &mut lines,
        "Team roles (every member)",
        Some(AddTo::TeamRoles(t.id)),
        roles,
    );
    Some(Page {
        title: format!("Teams › {}", t.key),
        object: (ObjectKind::Team, t.id),
        lines,
        awaiting: None,
    })
}

fn delete(s: &State, row_id: &str) -> Option<Delete> {
    let t = s.team_by_key(row_id)?;
    let members = s.members.keys().filter(|(x, _)| *x == t.id).count();
    Some(Delete::Object {
        kind: ObjectKind::Team,
        id: t.id,
        name: t.key.clone(),
        links: s.dependents(ObjectKind::Team, t.id).count(),
        type_name: members > 0,
    })
}

fn fields(spec: &TeamSpec, state: &State) -> Vec<Field> {
    let mut roles: Vec<(String, String)> = vec![(String::new(), "— none —".into())];
    let mut named: Vec<(String, String)> = state
        .roles
        .values()
        .map(|r| (r.id.to_string(), r.name.clone()))
        .collect();
    named.sort_by(|a, b| a.1.cmp(&b.1));
    roles.extend(named);
    let value = spec.default_role.map(|r| r.to_string()).unwrap_or_default();
    let mut pick = Field::pick("default_role", "default role", roles, &value);
    if value.is_empty()
        && let FieldKind::Pick { filter, .. } = &mut pick.kind
    {
        *filter = crate::tui::field::text_input("");
    }
    vec![
        Field::text("key", "key", &spec.key, "unique slug, e.g. data-eng"),
        Field::text("name", "name", &spec.name, "defaults to the key"),
        Field::text("description", "description", &spec.description, ""),
        pick,
    ]
}

fn create(s: &State, _: &Catalogs) -> (String, Vec<Field>) {
    (
        format!("New {}", ObjectKind::Team),
        fields(&TeamSpec::default(), s),
    )
}

fn edit(id: Id, s: &State, _: &Catalogs) -> Option<(u64, String, Vec<Field>)> {
    let t = s.teams.get(&id)?;
    let title = format!("Edit team '{}'", t.key);
    Some((t.version, title, fields(&TeamSpec::of(t), s)))
}

fn save(form: &mut Form) -> Result<Save, Outcome> {
    let Some((role, _)) = form.field("default_role").and_then(Field::picked) else {
        return Err(form.refuse("default_role", "no role matches; clear the filter for none"));
    };
    let default_role = if role.is_empty() {
        None
    } else {
        Id::parse_str(&role).ok()
    };
    Ok(Save::Team(
        form.target,
        TeamSpec {
            key: form.text("key"),
            name: form.text("name"),
            description: form.text("description"),
            default_role,
        },
    ))
}
