//! What the forms' fields share: the entity picker's items and the flags of an entity from the
//! catalogs, the catalog a new permission starts in, and the placeholder items. Each pane's
//! fields are in its module (`panes/`).

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
