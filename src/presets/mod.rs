//! Presets (docs/PRODUCT.md §2.5, "Create default roles and permissions"): policy documents applied with
//! the idempotent import. `mage` is built from Mage's own seed (the JSON dumped from a live
//! server, shipped as an asset) through the `mage` catalog's bit values.

use crate::backend::document::{DocPermission, DocRole};
use crate::backend::{Error, PolicyDoc, Result};
use crate::catalog::{Catalogs, access_to_flags};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Mage's default seed: role name → permissions, as Mage 0.9.80 created them.
pub const MAGE_SEED_JSON: &str =
    include_str!("../../assets/presets/mage_default_roles_permissions.json");

/// A preset gatehouse ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// Name on the command line.
    pub name: &'static str,
    /// Title in the console.
    pub title: &'static str,
    /// One line on what it creates.
    pub summary: &'static str,
}

/// Every preset, in the order the console lists them.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "mage",
        title: "Mage default",
        summary: "Mage's 6 default roles with its 623 permissions (625 links)",
    },
    Preset {
        name: "adaptive",
        title: "Adaptive Engine",
        summary: "admin, platform_admin, power_user, read-only, inference, annotator; the admin team",
    },
    Preset {
        name: "fetchml",
        title: "Fetch ML",
        summary: "admin (every job), researcher and analyst (own jobs only)",
    },
    Preset {
        name: "okdata",
        title: "okdata",
        summary: "no roles: scopes are granted per dataset with `permissions add`",
    },
];

/// One permission of Mage's seed, as dumped.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MageSeedPermission {
    /// Mage's permission id on the server it was dumped from.
    pub id: u64,
    /// The access integer.
    pub access: u64,
    /// Entity name.
    pub entity_name: String,
    /// Conditions.
    #[serde(default)]
    pub conditions: Vec<String>,
    /// Query attributes.
    #[serde(default)]
    pub query_attributes: Vec<String>,
    /// Read attributes.
    #[serde(default)]
    pub read_attributes: Vec<String>,
    /// Write attributes.
    #[serde(default)]
    pub write_attributes: Vec<String>,
}

/// Parses Mage's seed file.
pub fn mage_seed() -> Result<BTreeMap<String, Vec<MageSeedPermission>>> {
    serde_json::from_str(MAGE_SEED_JSON)
        .map_err(|e| Error::Store(format!("built-in Mage seed is unreadable: {e}")))
}

fn mage_document(catalogs: &Catalogs) -> Result<PolicyDoc> {
    let catalog = catalogs
        .get("mage")
        .ok_or_else(|| Error::Store("the mage catalog is missing".into()))?;
    let seed = mage_seed()?;
    let mut doc = PolicyDoc::default();
    let mut seen = std::collections::HashSet::new();
    for (role, perms) in &seed {
        let mut keys = Vec::new();
        for p in perms {
            let key = format!("mage-{}", p.id);
            keys.push(key.clone());
            if !seen.insert(p.id) {
                continue;
            }
            let (grants, denies) = access_to_flags(catalog, p.access)
                .map_err(|e| Error::Store(format!("Mage seed permission {}: {e}", p.id)))?;
            doc.permissions.push(DocPermission {
                key,
                catalog: "mage".into(),
                entity: p.entity_name.clone(),
                entity_uuid: None,
                grants,
                denies,
                conditions: p.conditions.clone(),
                query_attributes: p.query_attributes.clone(),
                read_attributes: p.read_attributes.clone(),
                write_attributes: p.write_attributes.clone(),
                description: String::new(),
                entity_type: None,
                scope: None,
            });
        }
        doc.roles.push(DocRole {
            id: None,
            name: role.clone(),
            description: format!("Mage default role ({} permissions), as Mage's \"Create default roles and permissions\" makes it.", perms.len()),
            permissions: keys,
        });
    }
    Ok(doc)
}

/// The document of a preset.
pub fn document(name: &str, catalogs: &Catalogs) -> Result<PolicyDoc> {
    match name {
        "mage" => mage_document(catalogs),
        "adaptive" => PolicyDoc::from_toml(include_str!("../../assets/presets/adaptive.toml")),
        "fetchml" => PolicyDoc::from_toml(include_str!("../../assets/presets/fetchml.toml")),
        "okdata" => PolicyDoc::from_toml(include_str!("../../assets/presets/okdata.toml")),
        other => Err(Error::invalid(
            "preset",
            format!(
                "unknown preset '{other}'; choose one of: {}",
                PRESETS
                    .iter()
                    .map(|p| p.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}
