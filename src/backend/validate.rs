//! Input validation (docs/PRODUCT.md §6): names 1–128 characters without control characters, entity UUIDs
//! up to 255, permissions checked against their catalog.

use super::error::{Error, Result};
use crate::catalog::Catalogs;
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
