//! What "Create default roles and permissions" still has to write on a Mage server, given
//! what the server holds. Pure: the dry run, the REST seed (which plans before and after its
//! creations), the wait on Mage's own seed and the unit tests all plan with [`plan`].
//!
//! Matching follows Mage's seed (`docs/MAGE.md` §3), made exact: a server permission stands
//! for a seed row when its entity name and access integer are equal, its scope is GLOBAL, it has
//! no entity UUID and no entity type, and its conditions and query / read / write attribute
//! lists are equal **as sets** (Mage's own seed orders attribute lists differently from one
//! server process to the next). The legacy startup permissions (no entity name) never match.
//! Roles match by exact name; a role's link to a row is present when the role holds any
//! permission matching that row.

use super::super::wire::{MagePermission, MageRole};
use crate::backend::document::Count;
use crate::backend::{Error, ImportReport, PolicyDoc, Result};
use crate::catalog::{Catalog, flags_to_access};
use rustc_hash::FxHashMap as HashMap;
use std::collections::{BTreeMap, BTreeSet};

/// One permission row of Mage's seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedRow {
    /// Entity name (`Pipeline`, `User`, …).
    pub entity_name: String,
    /// Mage's access integer.
    pub access: i64,
    /// `options.conditions`.
    pub conditions: Vec<String>,
    /// `options.query_attributes`.
    pub query_attributes: Vec<String>,
    /// `options.read_attributes`.
    pub read_attributes: Vec<String>,
    /// `options.write_attributes`.
    pub write_attributes: Vec<String>,
}

/// One role of the seed and the rows it links (indexes into [`Seed::rows`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedRole {
    /// The role's exact name.
    pub name: String,
    /// Its rows.
    pub rows: Vec<usize>,
}

/// Mage's seed (or part of it) as rows and roles.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Seed {
    /// Every distinct permission row.
    pub rows: Vec<SeedRow>,
    /// The roles, in document order.
    pub roles: Vec<SeedRole>,
}

impl Seed {
    /// The seed a preset document describes (`presets::document("mage")`, perhaps limited).
    pub fn from_doc(doc: &PolicyDoc, catalog: &Catalog) -> Result<Seed> {
        let mut seed = Seed::default();
        let mut index: HashMap<&str, usize> = HashMap::default();
        for p in &doc.permissions {
            let access = flags_to_access(catalog, &p.grants, &p.denies)
                .map_err(|m| Error::Store(format!("the mage preset's {}: {m}", p.key)))?;
            index.insert(p.key.as_str(), seed.rows.len());
            seed.rows.push(SeedRow {
                entity_name: p.entity.clone(),
                access: i64::try_from(access)
                    .map_err(|_| Error::Store(format!("the mage preset's {}: access", p.key)))?,
                conditions: p.conditions.clone(),
                query_attributes: p.query_attributes.clone(),
                read_attributes: p.read_attributes.clone(),
                write_attributes: p.write_attributes.clone(),
            });
        }
        for r in &doc.roles {
            let rows = r
                .permissions
                .iter()
                .map(|k| {
                    index.get(k.as_str()).copied().ok_or_else(|| {
                        Error::Store(format!("the mage preset's role '{}' names {k}", r.name))
                    })
                })
                .collect::<Result<Vec<usize>>>()?;
            seed.roles.push(SeedRole {
                name: r.name.clone(),
                rows,
            });
        }
        Ok(seed)
    }

    /// Every role–row link of the seed.
    pub fn link_count(&self) -> usize {
        self.roles.iter().map(|r| r.rows.len()).sum()
    }
}

/// What a permission is matched by: entity name, access, and the four lists as sets.
type Key<'a> = (&'a str, i64, [BTreeSet<&'a str>; 4]);

fn set(v: &[String]) -> BTreeSet<&str> {
    v.iter().map(String::as_str).collect()
}

fn row_key(r: &SeedRow) -> Key<'_> {
    (
        r.entity_name.as_str(),
        r.access,
        [
            set(&r.conditions),
            set(&r.query_attributes),
            set(&r.read_attributes),
            set(&r.write_attributes),
        ],
    )
}

fn opt_set(v: &Option<Vec<String>>) -> BTreeSet<&str> {
    v.as_deref().map(set).unwrap_or_default()
}

fn blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|s| s.trim().is_empty())
}

/// The key of a server permission that may stand for a seed row (`None`: it never does —
/// legacy, scoped, or naming one entity).
fn held_key(p: &MagePermission) -> Option<Key<'_>> {
    let name = p.entity_name.as_deref().filter(|n| !n.is_empty())?;
    let global = p
        .entity
        .as_deref()
        .is_none_or(|e| e.eq_ignore_ascii_case("global"));
    if !global || p.entity_uuid().is_some() || !blank(&p.entity_type) {
        return None;
    }
    Some((
        name,
        p.access?,
        [
            opt_set(&p.conditions),
            opt_set(&p.query_attributes),
            opt_set(&p.read_attributes),
            opt_set(&p.write_attributes),
        ],
    ))
}

/// The role links one role lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleLinks {
    /// The role's name.
    pub role: String,
    /// Its id, when it exists.
    pub role_id: Option<i64>,
    /// Per missing row: the row and the server permission to link (the lowest id matching
    /// it), when one exists.
    pub rows: Vec<(usize, Option<i64>)>,
}

/// What is left to write.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Roles to create (names, seed order).
    pub roles: Vec<String>,
    /// Rows to create permissions for.
    pub permissions: Vec<usize>,
    /// Per role lacking links, what it lacks.
    pub links: Vec<RoleLinks>,
    /// (present, total) of roles, permissions and links.
    pub counts: [(usize, usize); 3],
}

impl Plan {
    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.roles.is_empty() && self.permissions.is_empty() && self.links.is_empty()
    }

    /// Links missing in all.
    pub fn missing_links(&self) -> usize {
        self.links.iter().map(|l| l.rows.len()).sum()
    }

    /// The links as ids, once every role and permission exists: (role, permissions to add).
    pub fn link_ids(&self) -> Result<Vec<(i64, Vec<i64>)>> {
        self.links
            .iter()
            .map(|l| {
                let missing = || {
                    Error::Store(format!(
                        "the Mage server does not show every object the seed links to role '{}'",
                        l.role
                    ))
                };
                let role = l.role_id.ok_or_else(missing)?;
                let perms = l
                    .rows
                    .iter()
                    .map(|(_, p)| p.ok_or_else(missing))
                    .collect::<Result<Vec<i64>>>()?;
                Ok((role, perms))
            })
            .collect()
    }

    /// The report of this plan: what exists, and what it creates.
    pub fn report(&self, seed: &Seed) -> ImportReport {
        let count = |(present, total): (usize, usize)| Count {
            created: total.saturating_sub(present),
            present,
        };
        ImportReport {
            roles: count(self.counts[0]),
            permissions: count(self.counts[1]),
            links: count(self.counts[2]),
            created_roles: seed
                .roles
                .iter()
                .filter(|r| self.roles.contains(&r.name))
                .map(|r| r.name.clone())
                .collect(),
            ..ImportReport::default()
        }
    }
}

/// What of `seed` is missing from a server holding `roles` and `permissions`.
pub fn plan(seed: &Seed, roles: &[MageRole], permissions: &[MagePermission]) -> Plan {
    let mut matches: HashMap<Key<'_>, BTreeSet<i64>> = HashMap::default();
    for p in permissions {
        if let Some(k) = held_key(p) {
            matches.entry(k).or_default().insert(p.id);
        }
    }
    let row_ids: Vec<Option<&BTreeSet<i64>>> =
        seed.rows.iter().map(|r| matches.get(&row_key(r))).collect();
    let by_name: BTreeMap<&str, &MageRole> = roles
        .iter()
        .map(|r| (r.name.as_str(), r))
        .rev() // the first of equal names wins, as Mage's `roles[0]`
        .collect();
    let mut p = Plan::default();
    let mut linked = 0;
    for r in &seed.roles {
        let role = by_name.get(r.name.as_str());
        if role.is_none() {
            p.roles.push(r.name.clone());
        }
        let has: BTreeSet<i64> = role
            .map(|x| x.permission_ids().into_iter().collect())
            .unwrap_or_default();
        let mut lacks = Vec::new();
        for &row in &r.rows {
            let ids = row_ids.get(row).copied().flatten();
            if ids.is_some_and(|ids| ids.iter().any(|id| has.contains(id))) {
                linked += 1;
            } else {
                lacks.push((row, ids.and_then(|ids| ids.first().copied())));
            }
        }
        if !lacks.is_empty() {
            p.links.push(RoleLinks {
                role: r.name.clone(),
                role_id: role.map(|x| x.id),
                rows: lacks,
            });
        }
    }
    p.permissions = (0..seed.rows.len())
        .filter(|&i| row_ids[i].is_none())
        .collect();
    p.counts = [
        (seed.roles.len() - p.roles.len(), seed.roles.len()),
        (seed.rows.len() - p.permissions.len(), seed.rows.len()),
        (linked, seed.link_count()),
    ];
    p
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
