//! A permission as the CLI shows it (a listing's row, a role's permissions, a principal's
//! direct grants with the grant's end), the one `permission` shape of docs/json.md.

use super::output::{self, list};
use super::refs::{self, UserRef};
use crate::model::{Id, Permission};
use crate::policy::State;
use serde::Serialize;

/// A permission as the CLI's JSON shows it everywhere (docs/json.md, `permission`).
#[derive(Debug, Clone, Serialize)]
pub struct PermRow {
    /// Full id.
    pub id: Id,
    /// Catalog.
    pub catalog: String,
    /// Entity.
    pub entity: String,
    /// Entity UUID (`null`: every entity).
    pub entity_uuid: Option<String>,
    /// Granted flags.
    pub grants: Vec<String>,
    /// Denied flags.
    pub denies: Vec<String>,
    /// Conditions.
    pub conditions: Vec<String>,
    /// Mage query attributes.
    pub query_attributes: Vec<String>,
    /// Mage read attributes.
    pub read_attributes: Vec<String>,
    /// Mage write attributes.
    pub write_attributes: Vec<String>,
    /// Description.
    pub description: String,
    /// Mage's entity type.
    pub entity_type: Option<String>,
    /// Mage's scope (its `entity` column).
    pub scope: Option<String>,
    /// Optimistic-concurrency version.
    pub version: u64,
    /// The creator, when known.
    pub created_by: Option<UserRef>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    /// Last update time.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: time::OffsetDateTime,
}

/// A permission held directly, with the grant's end (`null`: for good).
#[derive(Debug, Clone, Serialize)]
pub struct GrantRow {
    /// The permission.
    #[serde(flatten)]
    pub perm: PermRow,
    /// When the grant ends (RFC 3339), or null.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<time::OffsetDateTime>,
}

impl PermRow {
    /// The row of a permission.
    pub fn of(s: &State, p: &Permission) -> PermRow {
        PermRow {
            id: p.id,
            catalog: p.catalog.clone(),
            entity: p.entity.clone(),
            entity_uuid: p.entity_uuid.clone(),
            grants: p.grants.clone(),
            denies: p.denies.clone(),
            conditions: p.conditions.clone(),
            query_attributes: p.query_attributes.clone(),
            read_attributes: p.read_attributes.clone(),
            write_attributes: p.write_attributes.clone(),
            description: p.description.clone(),
            entity_type: p.entity_type.clone(),
            scope: p.scope.clone(),
            version: p.version,
            created_by: refs::created_by(s, p.created_by.as_ref()),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }

    /// The row of a permission held directly, with the grant's end.
    pub fn granted(
        s: &State,
        p: &Permission,
        expires_at: Option<time::OffsetDateTime>,
    ) -> GrantRow {
        GrantRow {
            perm: PermRow::of(s, p),
            expires_at,
        }
    }

    /// The table cells: id, catalog, entity, uuid, grants, denies.
    pub fn cells(&self, s: &State) -> Vec<String> {
        vec![
            output::short_perm(s, &self.id),
            self.catalog.clone(),
            self.entity.clone(),
            self.entity_uuid.clone().unwrap_or_else(|| "all".into()),
            list(&self.grants),
            list(&self.denies),
        ]
    }
}

/// Column names matching [`PermRow::cells`].
pub const PERM_HEADER: &[&str] = &["ID", "CATALOG", "ENTITY", "UUID", "GRANTS", "DENIES"];

/// Column names of a direct grants table: [`PERM_HEADER`] and when the grant ends.
pub const GRANT_HEADER: &[&str] = &[
    "ID", "CATALOG", "ENTITY", "UUID", "GRANTS", "DENIES", "EXPIRES",
];

/// A direct grants table's rows ([`GRANT_HEADER`]).
pub fn grant_cells(s: &State, rows: &[GrantRow], now: time::OffsetDateTime) -> Vec<Vec<String>> {
    rows.iter()
        .map(|p| {
            let mut c = p.perm.cells(s);
            c.push(super::ends::cell(p.expires_at, now));
            c
        })
        .collect()
}
