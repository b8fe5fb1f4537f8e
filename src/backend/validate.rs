//! Input validation (docs/PRODUCT.md §6): names 1–128 characters without control characters, entity UUIDs
//! up to 255, permissions checked against their catalog.

use super::error::{Error, Result};
use crate::catalog::{Catalog, Catalogs, Dialect, MAGE_ENTITY_TYPES, MAGE_SCOPES};
use crate::model::Permission;

/// Longest name (username, role name, team key/name) accepted.
pub const MAX_NAME: usize = 128;
/// Longest entity UUID accepted.
pub const MAX_UUID: usize = 255;
/// Longest free text (descriptions, emails) accepted.
pub const MAX_TEXT: usize = 4096;

/// True for characters that must never appear in a name: control characters, bidi overrides
/// and isolates, zero-width characters.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}' | '\u{180E}')
}

/// Checks a name field.
pub fn name(field: &str, value: &str) -> Result<()> {
    let n = value.chars().count();
    if n == 0 || value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if n > MAX_NAME {
        return Err(Error::invalid(
            field,
            format!("is {n} characters long; at most {MAX_NAME} are allowed"),
        ));
    }
    if value.trim() != value {
        return Err(Error::invalid(field, "must not start or end with spaces"));
    }
    if let Some(c) = value.chars().find(|&c| is_forbidden_char(c)) {
        return Err(Error::invalid(
            field,
            format!(
                "contains the invisible or control character U+{:04X}; remove it",
                c as u32
            ),
        ));
    }
    Ok(())
}

/// Checks a free-text field (may be empty; newlines allowed in descriptions).
pub fn text(field: &str, value: &str) -> Result<()> {
    let n = value.chars().count();
    if n > MAX_TEXT {
        return Err(Error::invalid(
            field,
            format!("is {n} characters long; at most {MAX_TEXT} are allowed"),
        ));
    }
    if let Some(c) = value.chars().find(|&c| c != '\n' && is_forbidden_char(c)) {
        return Err(Error::invalid(
            field,
            format!(
                "contains the invisible or control character U+{:04X}; remove it",
                c as u32
            ),
        ));
    }
    Ok(())
}

/// Checks a team key: a slug of lowercase letters, digits, `-` and `_`.
pub fn team_key(value: &str) -> Result<()> {
    name("key", value)?;
    if !value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(Error::invalid(
            "key",
            format!("'{value}' is not a slug; use lowercase letters, digits, '-' and '_'"),
        ));
    }
    Ok(())
}

/// Checks a permission against its catalog and normalizes its lists.
pub fn permission(catalogs: &Catalogs, p: &mut Permission) -> Result<()> {
    let catalog = catalogs.get(&p.catalog).ok_or_else(|| {
        Error::invalid(
            "catalog",
            format!(
                "unknown catalog '{}'; known: {}",
                p.catalog,
                catalogs.names().join(", ")
            ),
        )
    })?;
    if !catalog.accepts_entity(&p.entity) {
        let resolved = catalogs.resolve(Some(&p.catalog), &p.entity);
        return Err(Error::invalid(
            "entity",
            resolved
                .err()
                .unwrap_or_else(|| format!("unknown entity '{}'", p.entity)),
        ));
    }
    if let Some(u) = &p.entity_uuid {
        let n = u.chars().count();
        if n == 0 {
            return Err(Error::invalid(
                "entity_uuid",
                "must not be empty; leave it out to cover every entity",
            ));
        }
        if n > MAX_UUID {
            return Err(Error::invalid(
                "entity_uuid",
                format!("is {n} characters long; at most {MAX_UUID} are allowed"),
            ));
        }
        if let Some(c) = u.chars().find(|&c| is_forbidden_char(c)) {
            return Err(Error::invalid(
                "entity_uuid",
                format!(
                    "contains the invisible or control character U+{:04X}; remove it",
                    c as u32
                ),
            ));
        }
    }
    mage_fields(catalog, p)?;
    p.normalize();
    if p.grants.is_empty() && p.denies.is_empty() {
        return Err(Error::invalid(
            "grants",
            "a permission must grant or deny at least one flag",
        ));
    }
    let allowed: Vec<&str> = catalog
        .flags_for(&p.entity)
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    for (field, list) in [("grants", &p.grants), ("denies", &p.denies)] {
        for f in list {
            if !allowed.contains(&f.as_str()) {
                let close = crate::catalog::suggest(f, allowed.iter().copied());
                let hint = if close.is_empty() {
                    String::new()
                } else {
                    format!(" (did you mean {}?)", close.join(", "))
                };
                return Err(Error::invalid(
                    field,
                    format!(
                        "unknown access flag '{f}' for {}/{}{hint}; valid flags: {}",
                        catalog.name,
                        p.entity,
                        allowed.join(", ")
                    ),
                ));
            }
        }
    }
    for d in &p.denies {
        if let Some(flag) = catalog.flag(d)
            && (flag.modifier || (flag.value.is_some() && flag.deny_value.is_none()))
        {
            return Err(Error::invalid(
                "denies",
                format!("flag '{d}' cannot be denied in catalog {}", catalog.name),
            ));
        }
    }
    for c in &p.conditions {
        if !catalog.accepts_condition(c) {
            let mut known = vec!["own".to_string(), "team".to_string()];
            known.extend(catalog.conditions.iter().map(|c| c.name.clone()));
            return Err(Error::invalid(
                "conditions",
                format!("unknown condition '{c}'; valid: {}", known.join(", ")),
            ));
        }
    }
    for (field, list) in [
        ("query_attributes", &p.query_attributes),
        ("read_attributes", &p.read_attributes),
        ("write_attributes", &p.write_attributes),
    ] {
        for a in list {
            name(field, a)?;
        }
    }
    text("description", &p.description)
}

/// Checks Mage's `entity_type` and scope (`entity`) of a permission and writes them as Mage
/// spells them (lowercase; an empty one is unset). Only a catalog of the Mage dialect has them.
pub fn mage_fields(catalog: &Catalog, p: &mut Permission) -> Result<()> {
    let fields: [(&str, &str, &mut Option<String>, &[&str]); 2] = [
        (
            "entity_type",
            "entity type",
            &mut p.entity_type,
            &MAGE_ENTITY_TYPES,
        ),
        ("scope", "scope", &mut p.scope, &MAGE_SCOPES),
    ];
    for (field, what, value, known) in fields {
        let Some(v) = value.as_mut() else {
            continue;
        };
        let lower = v.trim().to_ascii_lowercase();
        if lower.is_empty() {
            *value = None;
            continue;
        }
        if catalog.dialect != Dialect::Mage {
            return Err(Error::invalid(
                field,
                format!(
                    "a {what} is Mage's; catalog {} is not a Mage catalog, leave it out",
                    catalog.name
                ),
            ));
        }
        if !known.contains(&lower.as_str()) {
            return Err(Error::invalid(
                field,
                format!("unknown {what} '{v}'; Mage's values: {}", known.join(", ")),
            ));
        }
        *v = lower;
    }
    Ok(())
}

/// Checks a user's first and last name (free text up to [`MAX_NAME`] characters, no control
/// or invisible characters; may be empty).
pub fn person_names(first: &str, last: &str) -> Result<()> {
    for (field, value) in [("first_name", first), ("last_name", last)] {
        let n = value.chars().count();
        if n > MAX_NAME {
            return Err(Error::invalid(
                field,
                format!("is {n} characters long; at most {MAX_NAME} are allowed"),
            ));
        }
        if let Some(c) = value.chars().find(|&c| is_forbidden_char(c)) {
            return Err(Error::invalid(
                field,
                format!(
                    "contains the invisible or control character U+{:04X}; remove it",
                    c as u32
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Id, now};

    fn perm(catalog: &str, entity_type: Option<&str>, scope: Option<&str>) -> Permission {
        let t = now();
        Permission {
            id: Id::nil(),
            catalog: catalog.into(),
            entity: "ALL".into(),
            entity_uuid: None,
            grants: vec![],
            denies: vec![],
            conditions: vec![],
            query_attributes: vec![],
            read_attributes: vec![],
            write_attributes: vec![],
            description: String::new(),
            entity_type: entity_type.map(Into::into),
            scope: scope.map(Into::into),
            created_by: None,
            created_at: t,
            updated_at: t,
            version: 1,
        }
    }

    #[test]
    fn mage_scope_and_entity_type_are_checked_and_spelled_as_mage_does() {
        let cats = Catalogs::builtin().unwrap();
        let mage = cats.get("mage").unwrap();
        let mut p = perm("mage", Some(" Python "), Some("PROJECT"));
        mage_fields(mage, &mut p).unwrap();
        assert_eq!(
            (p.entity_type.as_deref(), p.scope.as_deref()),
            (Some("python"), Some("project"))
        );
        let mut blank = perm("mage", Some(""), Some(" "));
        mage_fields(mage, &mut blank).unwrap();
        assert_eq!(
            (blank.entity_type, blank.scope),
            (None, None),
            "empty is unset"
        );
        for (bad, field, listed) in [
            (
                perm("mage", None, Some("any")),
                "scope",
                "global, project, pipeline",
            ),
            (
                perm("mage", Some("notebook"), None),
                "entity_type",
                "data_loader",
            ),
        ] {
            let mut bad = bad;
            match mage_fields(mage, &mut bad) {
                Err(Error::Invalid { field: f, message }) => {
                    assert_eq!(f, field);
                    assert!(message.contains(listed), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn other_catalogs_refuse_mage_fields() {
        let cats = Catalogs::builtin().unwrap();
        let okdata = cats.get("okdata").unwrap();
        for (mut p, field) in [
            (perm("okdata", None, Some("global")), "scope"),
            (perm("okdata", Some("python"), None), "entity_type"),
        ] {
            match mage_fields(okdata, &mut p) {
                Err(Error::Invalid { field: f, message }) => {
                    assert_eq!(f, field);
                    assert!(message.contains("not a Mage catalog"), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
        let mut none = perm("okdata", None, None);
        assert!(mage_fields(okdata, &mut none).is_ok());
    }

    #[test]
    fn person_names_take_spaces_but_not_control_characters() {
        assert!(person_names("Ada", "King Lovelace").is_ok());
        assert!(person_names("", "").is_ok());
        assert!(matches!(
            person_names("A\u{200B}da", ""),
            Err(Error::Invalid { field, .. }) if field == "first_name"
        ));
        assert!(matches!(
            person_names("", &"x".repeat(MAX_NAME + 1)),
            Err(Error::Invalid { field, .. }) if field == "last_name"
        ));
    }
}
