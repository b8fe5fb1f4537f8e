//! A permission as one row of a listing (a role's permissions, a principal's direct grants),
//! with the end of the grant when the row is one.

use super::output::{self, list};
use crate::model::{Id, Permission};
use crate::policy::State;
use serde::Serialize;

/// A permission as one row of a listing.
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
    /// Description.
    pub description: String,
    /// Mage's entity type.
    pub entity_type: Option<String>,
    /// Mage's scope (its `entity` column).
    pub scope: Option<String>,
    /// The creator's id, when known.
    pub created_by: Option<Id>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    /// Last update time.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: time::OffsetDateTime,
    /// A direct grant's end (RFC 3339), when it has one; absent on a role's permissions.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub expires_at: Option<time::OffsetDateTime>,
}

impl PermRow {
    /// The row of a permission.
    pub fn of(p: &Permission) -> PermRow {
        PermRow {
            id: p.id,
            catalog: p.catalog.clone(),
            entity: p.entity.clone(),
            entity_uuid: p.entity_uuid.clone(),
            grants: p.grants.clone(),
            denies: p.denies.clone(),
            conditions: p.conditions.clone(),
            description: p.description.clone(),
            entity_type: p.entity_type.clone(),
            scope: p.scope.clone(),
            created_by: p.created_by,
            created_at: p.created_at,
            updated_at: p.updated_at,
            expires_at: None,
        }
    }

    /// The row of a permission held directly, with the grant's end.
    pub fn granted(p: &Permission, expires_at: Option<time::OffsetDateTime>) -> PermRow {
        PermRow {
            expires_at,
            ..PermRow::of(p)
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
pub fn grant_cells(s: &State, rows: &[PermRow], now: time::OffsetDateTime) -> Vec<Vec<String>> {
    rows.iter()
        .map(|p| {
            let mut c = p.cells(s);
            c.push(super::ends::cell(p.expires_at, now));
            c
        })
        .collect()
}
