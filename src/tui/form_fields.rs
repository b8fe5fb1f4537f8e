//! The fields of each form: roles, users, teams, permissions (entity picked from the catalog,
//! the access grid sized to the entity's flags) and API keys.

use super::field::{Field, FieldKind};
use crate::backend::{PermissionSpec, RoleSpec, TeamSpec, UserSpec};
use crate::catalog::Catalogs;
use crate::policy::State;

/// The entity picker's item for a permission on every entity: an explicit choice, never what
/// an empty field means.
pub const ALL_LABEL: &str = "ALL (every entity)";

/// The key form's access choices; the first, read-only, is the safe one it starts on.
pub const KEY_ACCESS: [&str; 2] = ["read-only", "read-write"];

/// The entity picker's first item: nothing chosen yet (saving refuses it).
pub const CHOOSE_ENTITY: &str = "— choose an entity, or ALL —";

/// The key form's user picker's first item: nothing chosen yet (saving refuses it).
pub const CHOOSE_USER: &str = "— choose a user —";

pub(super) fn catalog_entities(catalogs: &Catalogs, catalog: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = vec![(String::new(), CHOOSE_ENTITY.into())];
    v.extend(
        catalogs
            .get(catalog)
            .map(|c| {
                c.entities
                    .iter()
                    .map(|e| (e.name.clone(), e.name.clone()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    );
    if catalogs
        .get(catalog)
        .is_some_and(|c| c.accepts_entity("ALL"))
    {
        v.push(("ALL".into(), ALL_LABEL.into()));
    }
    if catalogs
        .get(catalog)
        .is_some_and(|c| c.accepts_entity("ALL_EXCEPT_RESERVED"))
    {
        v.push((
            "ALL_EXCEPT_RESERVED".into(),
            "ALL_EXCEPT_RESERVED (every entity but the reserved ones)".into(),
        ));
    }
    v
}

pub(super) fn flags_of(catalogs: &Catalogs, catalog: &str, entity: &str) -> Vec<String> {
    catalogs
        .get(catalog)
        .map(|c| c.flags_for(entity).iter().map(|f| f.name.clone()).collect())
        .unwrap_or_default()
}

/// The catalog a new permission starts in: the one most used by existing non-admin
/// permissions, else `mage`, else the first.
pub(super) fn default_catalog(state: &State, catalogs: &Catalogs) -> String {
    let mut counts: std::collections::HashMap<&str, usize> = Default::default();
    for p in state.permissions.iter() {
        if p.catalog() != "gatehouse" {
            *counts.entry(p.catalog()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(name, n)| (*n, std::cmp::Reverse(*name)))
        .map(|(name, _)| name.to_string())
        .or_else(|| catalogs.get("mage").map(|c| c.name.clone()))
        .or_else(|| catalogs.all().first().map(|c| c.name.clone()))
        .unwrap_or_default()
}

pub(super) fn role_fields(spec: &RoleSpec) -> Vec<Field> {
    vec![
        Field::text("name", "name", &spec.name, "unique, e.g. Pipeline editors"),
        Field::text("description", "description", &spec.description, ""),
    ]
}

pub(super) fn user_fields(spec: &UserSpec) -> Vec<Field> {
    vec![
        Field::text(
            "username",
            "username",
            &spec.username,
            "unique, case-insensitive",
        ),
        Field::text("email", "email", &spec.email, ""),
        Field::text("display_name", "display name", &spec.display_name, ""),
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

pub(super) fn team_fields(spec: &TeamSpec, state: &State) -> Vec<Field> {
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
        *filter = super::field::text_input("");
    }
    vec![
        Field::text("key", "key", &spec.key, "unique slug, e.g. data-eng"),
        Field::text("name", "name", &spec.name, "defaults to the key"),
        Field::text("description", "description", &spec.description, ""),
        pick,
    ]
}

pub(super) fn permission_fields(spec: &PermissionSpec, catalogs: &Catalogs) -> Vec<Field> {
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
        *filter = super::field::text_input("");
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
    fields.push(Field::text(
        "description",
        "description",
        &spec.description,
        "",
    ));
    fields
}

pub(super) fn key_fields(state: &State) -> Vec<Field> {
    let mut users: Vec<(String, String)> = state
        .users
        .values()
        .filter(|u| !u.disabled)
        .map(|u| (u.id.to_string(), u.username.clone()))
        .collect();
    users.sort_by(|a, b| a.1.cmp(&b.1));
    users.insert(0, (String::new(), CHOOSE_USER.into()));
    let mut user = Field::pick("user", "user", users, "");
    user.hint = "required: the key acts as this user · type to filter · ←/→ choose".into();
    if let FieldKind::Pick { filter, .. } = &mut user.kind {
        *filter = super::field::text_input("");
    }
    vec![
        user,
        {
            let mut access = Field::cycle(
                "read_only",
                "access",
                KEY_ACCESS.iter().map(|s| s.to_string()).collect(),
                KEY_ACCESS[0],
            );
            access.hint =
                "read-only reads everything, writes nothing · Space or ←/→ changes".into();
            access
        },
        Field::text(
            "expires",
            "expires in",
            "90d",
            "e.g. 90d, 12h, 1y; empty = never",
        ),
    ]
}
