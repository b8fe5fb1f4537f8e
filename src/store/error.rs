//! Errors every store implementation reports, with the same meaning everywhere.

use crate::model::ObjectKind;

/// Why a store operation failed. No variant leaves a partial write behind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The object does not exist.
    #[error("{kind} '{id}' not found")]
    NotFound {
        /// Kind of object.
        kind: ObjectKind,
        /// Its id or name.
        id: String,
    },
    /// A unique field already holds that value.
    #[error("{kind} with {field} '{value}' already exists")]
    Duplicate {
        /// Kind of object.
        kind: ObjectKind,
        /// The unique field.
        field: &'static str,
        /// The value that is taken.
        value: String,
    },
    /// The store moved past the revision a write was checked against (another process wrote
    /// meanwhile): nothing was written; read the store again and check the write again.
    #[error(
        "the store moved on (the write was checked at revision {base}, it is at {actual}); reload and try again"
    )]
    Moved {
        /// The revision the write was checked against.
        base: u64,
        /// The store's revision.
        actual: u64,
    },
    /// The update named a version that is no longer current.
    #[error(
        "{kind} '{id}' was changed by someone else (you had version {expected}, it is now {actual}); reload and try again"
    )]
    Conflict {
        /// Kind of object.
        kind: ObjectKind,
        /// Its id.
        id: String,
        /// The version the caller had.
        expected: u64,
        /// The stored version.
        actual: u64,
    },
    /// Deleting would break links; pass `cascade` (CLI `--force`) to remove them too.
    #[error("{kind} '{id}' is still used by {links} link(s); use --force to remove them as well")]
    InUse {
        /// Kind of object.
        kind: ObjectKind,
        /// Its id.
        id: String,
        /// How many links would go.
        links: u64,
    },
    /// The relation cannot carry an end, or has none to expire.
    #[error(
        "{kind} '{id}' has no end (only a user's or a team's role, a team membership or a direct grant can carry one)"
    )]
    NoEnd {
        /// Kind of relation.
        kind: ObjectKind,
        /// Its id.
        id: String,
    },
    /// The stored data could not be read (wrong schema, damaged file, bad JSON in a column).
    #[error("the store is unreadable: {0}")]
    Corrupt(String),
    /// The database itself failed (I/O, locked, connection lost).
    #[error("database error: {0}")]
    Database(String),
}

/// Result alias for store operations.
pub type StoreResult<T> = Result<T, StoreError>;

impl From<crate::policy::ApplyError> for StoreError {
    fn from(e: crate::policy::ApplyError) -> Self {
        use crate::policy::ApplyError as A;
        match e {
            A::NotFound { kind, id } => StoreError::NotFound { kind, id },
            A::Duplicate { kind, field, value } => StoreError::Duplicate { kind, field, value },
            A::Conflict {
                kind,
                id,
                expected,
                actual,
            } => StoreError::Conflict {
                kind,
                id,
                expected,
                actual,
            },
            A::InUse { kind, id, links } => StoreError::InUse { kind, id, links },
            A::NoEnd { kind, id } => StoreError::NoEnd { kind, id },
        }
    }
}
