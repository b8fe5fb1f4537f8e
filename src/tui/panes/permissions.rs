//! The Permissions pane: permissions with their entity, access and the number of roles using
//! them (rows made when read: see `view/perm_rows.rs`); a permission's page shows its access
//! toggles, conditions and attributes, the roles using it and whom it is granted to; its form
//! picks the entity from the catalog and sizes the access grid to the entity's flags.

use super::{Delete, Editing, FormDef, Page, PaneDef, always, dash, section};
use crate::backend::PermissionSpec;
use crate::catalog::Catalogs;
use crate::model::{AuditEvent, Id, ObjectKind, Principal};
use crate::policy::{Link, State};
use crate::present::{perm_label, role_name, team_key, user_name};
use crate::tui::detail::DLine;
use crate::tui::field::{Field, FieldKind, Tri, list};
use crate::tui::form::{Form, Outcome, Save};
use crate::tui::form_fields::{catalog_entities, default_catalog, flags_of};
use crate::tui::picker::AddTo;
use crate::tui::rows::Rows;
use crate::tui::view::{Column, Pane, PermRows, col};
use std::sync::Arc;
use time::OffsetDateTime;

pub(super) const DEF: PaneDef = PaneDef {
    pane: Pane::Permissions,
    title: "Permissions",
    short: "Perms",
    command: "permissions",
    aliases: &["perms", "perm"],
    columns: COLUMNS,
    rows,
    unsupported: always,
    lacking: "",
    partial: None,
    kind: Some(ObjectKind::Permission),
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
    col("ID", 12, 0, false, 0),
    col("ENTITY", 16, 2, false, 0),
    col("ENTITY UUID", 8, 2, false, 0),
    col("ACCESS", 10, 4, false, 0),
    col("EFFECT", 6, 0, false, 90),
    col("ROLES", 5, 0, true, 0),
    col("CATALOG", 7, 0, false, 110),
    col("UPDATED", 16, 0, false, 100),
    col("CREATOR", 8, 1, false, 100),
];

fn rows(s: &Arc<State>, _: &[AuditEvent], catalogs: &Arc<Catalogs>, _: OffsetDateTime) -> Rows {
    Rows::Permissions(PermRows::new(Arc::clone(s), Arc::clone(catalogs)))
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
                Tri::Deny
            } else if p.grants.contains(f) {
                Tri::Grant
            } else {
                Tri::Off
            };
            format!("{} {f}", tri.mark())
        })
        .collect();
    // A grant or deny of a flag the catalog does not list is still shown.
    for (list, tri) in [(&p.grants, Tri::Grant), (&p.denies, Tri::Deny)] {
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

fn page(row_id: &str, s: &State, catalogs: Option<&Catalogs>) -> Option<Page> {
    let p = s.permissions.get(&Id::parse_str(row_id).ok()?)?;
    let uuid = p
        .entity_uuid
        .as_deref()
        .unwrap_or("all (every entity of this type)");
    let mut lines = vec![
        DLine::plain(format!("id           {}   version {}", p.id, p.version)),
        DLine::plain(format!("catalog      {}", p.catalog)),
        DLine::plain(format!("entity       {}", p.entity)),
        DLine::plain(format!("entity UUID  {uuid}")),
    ];
    // Above the access grid, which can take the rest of a small page: it says what the
    // grid and the conditions line do not.
    if let Some(w) =
        catalogs.and_then(|c| c.inert_conditions_warning(&p.catalog, &p.grants, &p.conditions))
    {
        lines.push(DLine::plain(format!("⚠ warning    {w}")));
    }
    lines.extend([
        access_grid(catalogs, &p),
        DLine::plain(format!("conditions   {}", dash(&p.conditions, ", "))),
    ]);
    for (label, list) in [
        ("query attrs", &p.query_attributes),
        ("read attrs", &p.read_attributes),
        ("write attrs", &p.write_attributes),
    ] {
        if !list.is_empty() {
            lines.push(DLine::plain(format!("{label:<12} {}", list.join(", "))));
        }
    }
    if !p.description.is_empty() {
        lines.push(DLine::plain(format!(
            "description  {}",
            p.description.replace('\n', " ")
        )));
    }
    // Below what decides access: Mage's entity type and scope, then when and by whom.
    let mage = catalogs
        .and_then(|c| c.get(&p.catalog))
        .is_some_and(|c| c.dialect == crate::catalog::Dialect::Mage);
    if mage || p.entity_type.is_some() || p.scope.is_some() {
        lines.push(DLine::plain(format!(
            "entity type  {}",
            p.entity_type.as_deref().unwrap_or("—")
        )));
        lines.push(DLine::plain(format!(
            "scope        {}",
            crate::model::scope_or_default(p.scope.as_deref())
        )));
    }
    lines.extend(super::stamps(
        s,
        p.created_at,
        p.updated_at,
        Some(p.created_by),
    ));
    let roles = s
        .role_permissions
        .iter()
        .filter(|(_, x)| *x == p.id)
        .map(|(r, _)| {
            let link = Link::RolePermission {
                role: *r,
                permission: p.id,
            };
            (role_name(s, r), Some(link))
        })
        .collect();
    section(
        &mut lines,
        "Roles using it",
        Some(AddTo::PermissionRoles(p.id)),
        roles,
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
            let link = Link::Grant {
                principal: *pr,
                permission: p.id,
            };
            (text, Some(link))
        })
        .collect();
    section(
        &mut lines,
        "Granted directly to",
        Some(AddTo::PermissionGrantees(p.id)),
        holders,
    );
    // Who holds it through a role (edited on the role or the user: no link of its own here).
    let through = crate::present::users_through_roles(s, &p.id)
        .into_iter()
        .map(|(user, role)| (format!("{user} ← role {role}"), None))
        .collect();
    section(&mut lines, "Users through roles", None, through);
    Some(Page {
        title: format!("Permissions › {}", perm_label(s, &p.id)),
        object: (ObjectKind::Permission, p.id),
        lines,
        awaiting: None,
    })
}

fn delete(s: &State, row_id: &str) -> Option<Delete> {
    let p = s.permissions.get(&Id::parse_str(row_id).ok()?)?;
    Some(Delete::Object {
        kind: ObjectKind::Permission,
        id: p.id,
        name: format!("{} permission {}", p.entity, crate::model::short_id(&p.id)),
        links: s.dependents(ObjectKind::Permission, p.id).count(),
        type_name: false,
    })
}

fn fields(spec: &PermissionSpec, catalogs: &Catalogs) -> Vec<Field> {
    let names: Vec<String> = catalogs.all().iter().map(|c| c.name.clone()).collect();
    let mut entity = Field::pick(
        "entity",
        "entity",
        catalog_entities(catalogs, &spec.catalog),
        &spec.entity,
    );
    entity.hint = "type to filter · ←/→ choose".into();
    if spec.entity.is_empty()
        && let FieldKind::Pick { filter, .. } = &mut entity.kind
    {
        *filter = crate::tui::field::text_input("");
    }
    let flags = flags_of(catalogs, &spec.catalog, &spec.entity);
    let mut fields = vec![
        Field::cycle("catalog", "catalog", names, &spec.catalog),
        entity,
        Field::text(
            "entity_uuid",
            "entity UUID",
            spec.entity_uuid.as_deref().unwrap_or(""),
            "empty = every entity of this type",
        ),
        Field::access(flags, &spec.grants, &spec.denies),
        Field::text(
            "conditions",
            "conditions",
            &spec.conditions.join(", "),
            "comma-separated, e.g. own, team",
        ),
    ];
    let mage = catalogs
        .get(&spec.catalog)
        .is_some_and(|c| c.dialect == crate::catalog::Dialect::Mage);
    if mage
        || !spec.query_attributes.is_empty()
        || !spec.read_attributes.is_empty()
        || !spec.write_attributes.is_empty()
    {
        for (key, label, v) in [
            ("query_attributes", "query attrs", &spec.query_attributes),
            ("read_attributes", "read attrs", &spec.read_attributes),
            ("write_attributes", "write attrs", &spec.write_attributes),
        ] {
            fields.push(Field::text(key, label, &v.join(", "), "comma-separated"));
        }
    }
    if mage || spec.entity_type.is_some() || spec.scope.is_some() {
        let scopes = crate::catalog::MAGE_SCOPES.map(String::from).to_vec();
        let scope = crate::model::scope_or_default(spec.scope.as_deref());
        fields.push(Field::cycle("scope", "scope", scopes, scope));
        fields.push(Field::text(
            "entity_type",
            "entity type",
            spec.entity_type.as_deref().unwrap_or(""),
            "Mage block/pipeline type: python, dbt, streaming…; empty = none",
        ));
    }
    fields.push(Field::text(
        "description",
        "description",
        &spec.description,
        "",
    ));
    fields
}

fn create(s: &State, catalogs: &Catalogs) -> (String, Vec<Field>) {
    let spec = PermissionSpec {
        catalog: default_catalog(s, catalogs),
        ..Default::default()
    };
    (
        format!("New {}", ObjectKind::Permission),
        fields(&spec, catalogs),
    )
}

fn edit(id: Id, s: &State, catalogs: &Catalogs) -> Option<(u64, String, Vec<Field>)> {
    let p = s.permissions.get(&id)?;
    let spec = PermissionSpec::of(&p);
    let title = format!(
        "Edit permission {} on {}",
        crate::model::short_id(&p.id),
        p.entity
    );
    Some((p.version, title, fields(&spec, catalogs)))
}

fn save(form: &mut Form) -> Result<Save, Outcome> {
    let catalog = form
        .field("catalog")
        .and_then(Field::choice)
        .unwrap_or_default()
        .to_string();
    let Some((entity, _)) = form.field("entity").and_then(Field::picked) else {
        let typed = form.text("entity");
        return Err(form.refuse(
            "entity",
            &format!(
                "no entity of catalog '{catalog}' matches '{typed}'; \
                 type part of a name and pick with ←/→"
            ),
        ));
    };
    if entity.is_empty() {
        // Never ALL by default: every entity is an explicit choice.
        return Err(form.refuse("entity", "choose an entity, or ALL for every entity"));
    }
    let (grants, denies) = form
        .field("access")
        .map(Field::grants_denies)
        .unwrap_or_default();
    let uuid = form.text("entity_uuid").trim().to_string();
    Ok(Save::Permission(
        form.target,
        PermissionSpec {
            catalog,
            entity,
            entity_uuid: (!uuid.is_empty()).then_some(uuid),
            grants,
            denies,
            conditions: list(&form.text("conditions")),
            query_attributes: list(&form.text("query_attributes")),
            read_attributes: list(&form.text("read_attributes")),
            write_attributes: list(&form.text("write_attributes")),
            description: form.text("description"),
            entity_type: Some(form.text("entity_type").trim().to_string())
                .filter(|t| !t.is_empty()),
            // Global is Mage's default: sent as none, which every catalog takes.
            scope: form
                .field("scope")
                .and_then(Field::choice)
                .filter(|sc| *sc != crate::model::DEFAULT_SCOPE)
                .map(str::to_string),
        },
    ))
}
