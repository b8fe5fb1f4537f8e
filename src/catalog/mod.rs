//! Entity catalogs (docs/PRODUCT.md §2.2): which entity types a permission can target and which access
//! flags each understands, with composites (`implies`), groups, deny bits and conditions.
//! Built-in catalogs are TOML files in `assets/catalogs/`, embedded in the binary.

mod calls;
mod gate;
mod mage_access;
pub use calls::{CALL_OPERATIONS, CallSpec, NestedSpec};

pub use mage_access::{
    MAGE_ENTITY_TYPES, MAGE_SCOPES, MageAccessError, access_to_flags, flags_to_access,
    mage_warnings,
};

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The pseudo-entity that matches every entity of its catalog.
pub const ALL_ENTITY: &str = "ALL";
/// The pseudo-entity that matches every entity but the catalog's reserved ones (Mage).
pub const ALL_EXCEPT_RESERVED: &str = "ALL_EXCEPT_RESERVED";
/// The name of the built-in admin catalog.
pub const ADMIN_CATALOG: &str = "gatehouse";

/// The most flags one catalog may define (the engine keeps a flag set in one `u64`).
pub const MAX_FLAGS: usize = 64;

/// How the system a catalog models decides (docs/PRODUCT.md §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Gatehouse's rule: deny wins, then grant, else deny; composites always expand.
    #[default]
    Standard,
    /// Mage 0.9.80's evaluation (`docs/MAGE.md` §4).
    Mage,
}

/// One access flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flag {
    /// Name as written in permissions (`LIST`, `read`, `manage_roles`).
    pub name: String,
    /// The native integer bit of the grant (Mage), if the system has one.
    #[serde(default)]
    pub value: Option<u64>,
    /// The native integer bit of the deny (Mage's `DISABLE_*`), if any.
    #[serde(default)]
    pub deny_value: Option<u64>,
    /// A group (Mage VIEWER/EDITOR/ADMIN/OWNER): in the Mage dialect it expands only when it
    /// is the whole access.
    #[serde(default)]
    pub group: bool,
    /// A modifier, not an access (Mage's DISABLE_UNLESS_CONDITIONS).
    #[serde(default)]
    pub modifier: bool,
    /// Flags this one stands for (composites and groups).
    #[serde(default)]
    pub implies: Vec<String>,
    /// Human description.
    #[serde(default)]
    pub description: String,
}

/// One entity type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// Name (`Pipeline`, `okdata:dataset`, `jobs`).
    pub name: String,
    /// Flags that make sense on it; empty means every flag of the catalog.
    #[serde(default)]
    pub flags: Vec<String>,
    /// Human description.
    #[serde(default)]
    pub description: String,
}

/// What a catalog condition means to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConditionMeaning {
    /// Holds when the resource owner is the subject.
    Own,
    /// Holds when the resource's team is one of the subject's teams.
    Team,
    /// Always holds (a server setting that is on by default).
    Always,
    /// Never holds.
    Never,
}

/// A named condition a permission may carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionDef {
    /// Name as written in permissions.
    pub name: String,
    /// How the engine evaluates it.
    pub means: ConditionMeaning,
    /// Human description.
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    name: String,
    title: String,
    #[serde(default)]
    dialect: Dialect,
    #[serde(default)]
    description: String,
    #[serde(default)]
    reserved_entities: Vec<String>,
    #[serde(default)]
    guarded_flag: Option<String>,
    #[serde(default)]
    flags: Vec<Flag>,
    #[serde(default)]
    entities: Vec<Entity>,
    #[serde(default)]
    conditions: Vec<ConditionDef>,
    #[serde(default)]
    errors: BTreeMap<String, String>,
    #[serde(default)]
    calls: Vec<CallSpec>,
}

/// A loaded, validated catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Short name (`mage`).
    pub name: String,
    /// Display title (`Mage`).
    pub title: String,
    /// How decisions are made for its permissions.
    pub dialect: Dialect,
    /// Human description.
    pub description: String,
    /// Entities `ALL_EXCEPT_RESERVED` does not reach.
    pub reserved_entities: Vec<String>,
    /// A flag whose last holder on a resource cannot be removed (okdata's `admin`).
    pub guarded_flag: Option<String>,
    /// Flags, in bit order: flag `i` is bit `1 << i` in the engine's masks.
    pub flags: Vec<Flag>,
    /// Entity types.
    pub entities: Vec<Entity>,
    /// Catalog-specific conditions (besides the universal `own` and `team`).
    pub conditions: Vec<ConditionDef>,
    /// The system's own error texts (Fetch ML).
    pub errors: BTreeMap<String, String>,
    /// Mage: what each REST call checks (empty when not known).
    pub calls: Vec<CallSpec>,
    flag_index: HashMap<String, usize>,
    entity_index: HashMap<String, usize>,
    closure: Vec<u64>,
}

/// A catalog file that does not make sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("catalog {file}: {message}")]
pub struct CatalogError {
    /// Which file or catalog.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

impl Catalog {
    /// Parses and validates a catalog from TOML text; `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Catalog, CatalogError> {
        let err = |message: String| CatalogError {
            file: file.to_string(),
            message,
        };
        let raw: CatalogFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        if raw.flags.len() > MAX_FLAGS {
            return Err(err(format!(
                "{} flags, at most {MAX_FLAGS} are supported",
                raw.flags.len()
            )));
        }
        let mut flag_index = HashMap::new();
        for (i, f) in raw.flags.iter().enumerate() {
            if flag_index.insert(f.name.clone(), i).is_some() {
                return Err(err(format!("flag '{}' defined twice", f.name)));
            }
        }
        let mut entity_index = HashMap::new();
        for (i, e) in raw.entities.iter().enumerate() {
            if entity_index.insert(e.name.clone(), i).is_some() {
                return Err(err(format!("entity '{}' defined twice", e.name)));
            }
            for f in &e.flags {
                if !flag_index.contains_key(f) {
                    return Err(err(format!("entity '{}' names unknown flag '{f}'", e.name)));
                }
            }
        }
        // Direct implication masks, then the transitive closure (each flag implies itself).
        let mut closure: Vec<u64> = (0..raw.flags.len()).map(|i| 1u64 << i).collect();
        for (i, f) in raw.flags.iter().enumerate() {
            for imp in &f.implies {
                let j = *flag_index.get(imp).ok_or_else(|| {
                    err(format!("flag '{}' implies unknown flag '{imp}'", f.name))
                })?;
                closure[i] |= 1u64 << j;
            }
        }
        loop {
            let mut changed = false;
            for i in 0..closure.len() {
                let mut m = closure[i];
                for (j, cj) in closure.iter().enumerate() {
                    if m & (1u64 << j) != 0 {
                        m |= cj;
                    }
                }
                if m != closure[i] {
                    closure[i] = m;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for c in &raw.conditions {
            if c.name == "own" || c.name == "team" {
                return Err(err(format!("condition '{}' is built in", c.name)));
            }
        }
        if let Some(g) = &raw.guarded_flag
            && !flag_index.contains_key(g)
        {
            return Err(err(format!("guarded_flag '{g}' is not a flag")));
        }
        if !raw.calls.is_empty() && raw.dialect != Dialect::Mage {
            return Err(err("only a mage-dialect catalog has calls".into()));
        }
        calls::validate(&raw.calls, |e| entity_index.contains_key(e)).map_err(err)?;
        Ok(Catalog {
            name: raw.name,
            title: raw.title,
            dialect: raw.dialect,
            description: raw.description,
            reserved_entities: raw.reserved_entities,
            guarded_flag: raw.guarded_flag,
            flags: raw.flags,
            entities: raw.entities,
            conditions: raw.conditions,
            errors: raw.errors,
            calls: raw.calls,
            flag_index,
            entity_index,
            closure,
        })
    }

    /// The bit position of a flag.
    pub fn flag_bit(&self, name: &str) -> Option<usize> {
        self.flag_index.get(name).copied()
    }

    /// The flag with this name.
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flag_bit(name).map(|i| &self.flags[i])
    }

    /// The entity with this name (not the `ALL` pseudo-entities).
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entity_index.get(name).map(|&i| &self.entities[i])
    }

    /// True for a real entity or one of the pseudo-entities a permission may target.
    pub fn accepts_entity(&self, name: &str) -> bool {
        name == ALL_ENTITY
            || (name == ALL_EXCEPT_RESERVED && !self.reserved_entities.is_empty())
            || self.entity_index.contains_key(name)
    }

    /// The mask of a set of flag names, or the first unknown name.
    pub fn mask<'a>(&self, names: impl IntoIterator<Item = &'a String>) -> Result<u64, String> {
        let mut m = 0;
        for n in names {
            m |= 1u64 << self.flag_bit(n).ok_or_else(|| n.clone())?;
        }
        Ok(m)
    }

    /// The mask with every composite expanded (transitively).
    pub fn expand(&self, mask: u64) -> u64 {
        let mut out = mask;
        let mut rest = mask;
        while rest != 0 {
            let i = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            if let Some(c) = self.closure.get(i) {
                out |= c;
            }
        }
        out
    }

    /// The flag names of a mask, in bit order.
    pub fn names(&self, mask: u64) -> Vec<String> {
        self.flags
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1u64 << i) != 0)
            .map(|(_, f)| f.name.clone())
            .collect()
    }

    /// The flags that make sense on an entity (every flag for `ALL` or an unrestricted one).
    pub fn flags_for(&self, entity: &str) -> Vec<&Flag> {
        match self.entity(entity) {
            Some(e) if !e.flags.is_empty() => e.flags.iter().filter_map(|n| self.flag(n)).collect(),
            _ => self.flags.iter().collect(),
        }
    }

    /// What the REST call `op` on `entity` checks, when the catalog knows it.
    pub fn call(&self, entity: &str, op: &str) -> Option<&CallSpec> {
        self.calls.iter().find(|c| c.entity == entity && c.op == op)
    }

    /// The definition of a catalog-specific condition.
    pub fn condition(&self, name: &str) -> Option<&ConditionDef> {
        self.conditions.iter().find(|c| c.name == name)
    }

    /// True when `name` is a condition permissions of this catalog may carry.
    pub fn accepts_condition(&self, name: &str) -> bool {
        name == "own" || name == "team" || self.condition(name).is_some()
    }

    /// Whether `entity` is reached by a permission on `target` (`ALL`, `ALL_EXCEPT_RESERVED`).
    pub fn entity_matches(&self, target: &str, entity: &str) -> bool {
        target == entity
            || target == ALL_ENTITY
            || (target == ALL_EXCEPT_RESERVED
                && !self.reserved_entities.iter().any(|r| r == entity))
    }
}

const BUILTIN: &[(&str, &str)] = &[
    (
        "gatehouse.toml",
        include_str!("../../assets/catalogs/gatehouse.toml"),
    ),
    (
        "mage.toml",
        concat!(
            include_str!("../../assets/catalogs/mage.toml"),
            "\n",
            include_str!("../../assets/catalogs/mage_calls.toml")
        ),
    ),
    (
        "adaptive.toml",
        include_str!("../../assets/catalogs/adaptive.toml"),
    ),
    (
        "fetchml.toml",
        include_str!("../../assets/catalogs/fetchml.toml"),
    ),
    (
        "okdata.toml",
        include_str!("../../assets/catalogs/okdata.toml"),
    ),
];

/// Every catalog gatehouse knows, by name.
#[derive(Debug, Clone)]
pub struct Catalogs {
    list: Vec<Catalog>,
}

/// An entity named on the command line or in a request, resolved to its catalog.
#[derive(Debug, Clone, Copy)]
pub struct ResolvedEntity<'a> {
    /// The catalog.
    pub catalog: &'a Catalog,
    /// The entity name (may be `ALL`).
    pub entity: &'a str,
}

impl Catalogs {
    /// What a permission of `catalog` with these flags will not do although it looks as if
    /// it would: conditions it ignores ([`Catalogs::inert_conditions_warning`]) first, then
    /// [`mage_warnings`] for a Mage-dialect catalog; nothing for the others.
    pub fn permission_warnings(
        &self,
        catalog: &str,
        grants: &[String],
        conditions: &[String],
        read_attributes: &[String],
    ) -> Vec<String> {
        let mut out: Vec<String> = self
            .inert_conditions_warning(catalog, grants, conditions)
            .into_iter()
            .collect();
        if let Some(c) = self.get(catalog)
            && c.dialect == Dialect::Mage
        {
            out.extend(mage_warnings(grants, read_attributes));
        }
        out
    }

    /// The built-in catalogs embedded from `assets/catalogs/`.
    pub fn builtin() -> Result<Catalogs, CatalogError> {
        let list = BUILTIN
            .iter()
            .map(|(file, text)| Catalog::from_toml(file, text))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Catalogs { list })
    }

    /// A set made of the given catalogs (tests, custom catalogs).
    pub fn from_list(list: Vec<Catalog>) -> Catalogs {
        Catalogs { list }
    }

    /// Every catalog, the admin catalog first.
    pub fn all(&self) -> &[Catalog] {
        &self.list
    }

    /// The catalog with this name.
    pub fn get(&self, name: &str) -> Option<&Catalog> {
        self.list.iter().find(|c| c.name == name)
    }

    /// Finds an entity by name. `catalog` narrows the search; without it the name must be
    /// unique across catalogs (a `catalog:Entity` prefix is also accepted).
    pub fn resolve<'a>(
        &'a self,
        catalog: Option<&str>,
        entity: &'a str,
    ) -> Result<ResolvedEntity<'a>, String> {
        if let Some(cname) = catalog {
            let c = self.get(cname).ok_or_else(|| {
                format!(
                    "unknown catalog '{cname}'; known catalogs: {}",
                    self.names().join(", ")
                )
            })?;
            return if c.accepts_entity(entity) {
                Ok(ResolvedEntity { catalog: c, entity })
            } else {
                Err(unknown_entity(c, entity))
            };
        }
        let hits: Vec<&Catalog> = self
            .list
            .iter()
            .filter(|c| c.entity(entity).is_some())
            .collect();
        match hits.as_slice() {
            [one] => Ok(ResolvedEntity {
                catalog: one,
                entity,
            }),
            [] if entity == ALL_ENTITY || entity == ALL_EXCEPT_RESERVED => Err(format!(
                "'{entity}' exists in every catalog; name one with --catalog (e.g. --catalog gatehouse) or write gatehouse:{entity}"
            )),
            [] => {
                if let Some((cname, rest)) = entity.split_once(':')
                    && let Some(c) = self.get(cname)
                    && c.accepts_entity(rest)
                {
                    return Ok(ResolvedEntity {
                        catalog: c,
                        entity: rest,
                    });
                }
                Err(format!(
                    "unknown entity '{entity}'; see `gatehouse catalogs` for the entity names, or name the catalog with --catalog"
                ))
            }
            many => Err(format!(
                "entity '{entity}' exists in several catalogs ({}); name one with --catalog",
                many.iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The catalog names.
    pub fn names(&self) -> Vec<&str> {
        self.list.iter().map(|c| c.name.as_str()).collect()
    }
}

fn unknown_entity(c: &Catalog, entity: &str) -> String {
    let close = suggest(entity, c.entities.iter().map(|e| e.name.as_str()));
    if close.is_empty() {
        format!(
            "unknown entity '{entity}' in catalog '{}'; see `gatehouse catalogs {}`",
            c.name, c.name
        )
    } else {
        format!(
            "unknown entity '{entity}' in catalog '{}'; did you mean {}?",
            c.name,
            close.join(", ")
        )
    }
}

/// Up to three names close to `wanted` (case-insensitive equality, or a small edit distance),
/// best first: for "did you mean" hints.
pub fn suggest<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let w = wanted.to_lowercase();
    let mut scored: Vec<(usize, &str)> = names
        .filter_map(|n| {
            let d = strsim::levenshtein(&w, &n.to_lowercase());
            let limit = (wanted.chars().count() / 4).clamp(1, 3);
            (d <= limit).then_some((d, n))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

#[cfg(test)]
mod tests;
