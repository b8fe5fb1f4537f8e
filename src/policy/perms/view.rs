//! Borrowed reads of a [`Permissions`] table: [`PermRef`] (one permission in the table) and
//! [`PermFields`] (a permission's fields, from a table, a [`Permission`] or a decoder).

use super::{Packed, Permissions};
use crate::model::{Id, Permission};
use time::OffsetDateTime;

/// A borrowed view of one permission in a [`Permissions`] table.
#[derive(Clone, Copy)]
pub struct PermRef<'a> {
    pub(super) id: Id,
    pub(super) p: &'a Packed,
    pub(super) t: &'a Permissions,
}

impl<'a> PermRef<'a> {
    /// Identifier.
    pub fn id(&self) -> Id {
        self.id
    }
    /// Catalog name.
    pub fn catalog(&self) -> &'a str {
        &self.t.heads.get(self.p.head).catalog
    }
    /// Mage's entity type, if any.
    pub fn entity_type(&self) -> Option<&'a str> {
        self.t.heads.get(self.p.head).entity_type.as_deref()
    }
    /// Mage's scope (its `entity` column), if any.
    pub fn scope(&self) -> Option<&'a str> {
        self.t.heads.get(self.p.head).scope.as_deref()
    }
    /// Who created it, when known.
    pub fn created_by(&self) -> Option<Id> {
        self.t.heads.get(self.p.head).created_by
    }
    /// Entity type.
    pub fn entity(&self) -> &'a str {
        self.t.strings.get(self.p.entity)
    }
    /// The one entity UUID, if any.
    pub fn entity_uuid(&self) -> Option<&'a str> {
        self.p.entity_uuid.as_deref()
    }
    /// Flags granted.
    pub fn grants(&self) -> &'a [String] {
        self.t.lists.get(self.p.lists[0])
    }
    /// Flags denied.
    pub fn denies(&self) -> &'a [String] {
        self.t.lists.get(self.p.lists[1])
    }
    /// Conditions.
    pub fn conditions(&self) -> &'a [String] {
        self.t.lists.get(self.p.lists[2])
    }
    /// Query, read and write attributes.
    pub fn attributes(&self) -> [&'a [String]; 3] {
        match &self.p.rare {
            Some(r) => [&r.attributes[0], &r.attributes[1], &r.attributes[2]],
            None => [&[], &[], &[]],
        }
    }
    /// Free text.
    pub fn description(&self) -> &'a str {
        self.p.rare.as_deref().map_or("", |r| &r.description)
    }
    /// Creation time.
    pub fn created_at(&self) -> OffsetDateTime {
        self.p.created_at()
    }
    /// Last update time.
    pub fn updated_at(&self) -> OffsetDateTime {
        self.p
            .rare
            .as_deref()
            .and_then(|r| r.updated_at)
            .unwrap_or_else(|| self.p.created_at())
    }
    /// Optimistic-concurrency version.
    pub fn version(&self) -> u64 {
        match self.p.rare.as_deref().and_then(|r| r.version) {
            Some(v) => v,
            None => u64::from(self.p.version),
        }
    }
    /// Its fields, borrowed.
    pub fn fields(&self) -> PermFields<'a> {
        let [q, r, w] = self.attributes();
        PermFields {
            id: self.id,
            catalog: self.catalog(),
            entity: self.entity(),
            entity_uuid: self.entity_uuid(),
            lists: [self.grants(), self.denies(), self.conditions(), q, r, w],
            description: self.description(),
            entity_type: self.entity_type(),
            scope: self.scope(),
            created_by: self.created_by(),
            created_at: self.p.created_at(),
            updated_at: self.updated_at(),
            version: self.version(),
        }
    }

    /// The permission as an owned value.
    pub fn to_permission(&self) -> Permission {
        self.fields().to_permission()
    }
}

impl std::fmt::Debug for PermRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.to_permission().fmt(f)
    }
}

/// A permission's fields, borrowed: what [`PermissionsBuilder::push`] packs (a decoder can
/// hand them over without building a [`Permission`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermFields<'a> {
    /// Identifier.
    pub id: Id,
    /// Catalog name.
    pub catalog: &'a str,
    /// Entity type.
    pub entity: &'a str,
    /// One entity UUID, if any.
    pub entity_uuid: Option<&'a str>,
    /// grants, denies, conditions, query, read and write attributes.
    pub lists: [&'a [String]; 6],
    /// Free text.
    pub description: &'a str,
    /// Mage's entity type.
    pub entity_type: Option<&'a str>,
    /// Mage's scope.
    pub scope: Option<&'a str>,
    /// The creator.
    pub created_by: Option<Id>,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last update time.
    pub updated_at: OffsetDateTime,
    /// Version.
    pub version: u64,
}

impl<'a> PermFields<'a> {
    /// The fields of `p`.
    pub fn of(p: &'a Permission) -> Self {
        PermFields {
            id: p.id,
            catalog: &p.catalog,
            entity: &p.entity,
            entity_uuid: p.entity_uuid.as_deref(),
            lists: [
                &p.grants,
                &p.denies,
                &p.conditions,
                &p.query_attributes,
                &p.read_attributes,
                &p.write_attributes,
            ],
            description: &p.description,
            entity_type: p.entity_type.as_deref(),
            scope: p.scope.as_deref(),
            created_by: p.created_by,
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

impl PermFields<'_> {
    /// The permission these fields describe, as an owned value.
    pub fn to_permission(&self) -> Permission {
        let [grants, denies, conditions, query, read, write] = self.lists;
        Permission {
            id: self.id,
            catalog: self.catalog.to_owned(),
            entity: self.entity.to_owned(),
            entity_uuid: self.entity_uuid.map(str::to_owned),
            grants: grants.to_vec(),
            denies: denies.to_vec(),
            conditions: conditions.to_vec(),
            query_attributes: query.to_vec(),
            read_attributes: read.to_vec(),
            write_attributes: write.to_vec(),
            description: self.description.to_owned(),
            entity_type: self.entity_type.map(str::to_owned),
            scope: self.scope.map(str::to_owned),
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}
