//! Why a change does not apply to a [`State`](super::State): the object is missing, a unique
//! name is taken, the version is stale, or a delete would break links. Stores report these
//! unchanged (as [`StoreError`](crate::store::StoreError)s of the same name).

use crate::model::ObjectKind;

/// Why a [`Change`](super::Change) does not apply. Nothing is applied when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
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
    /// The relation cannot carry an end (a role's permission), or `Expired` named one that has
    /// none.
    #[error(
        "{kind} '{id}' has no end (only a user's or a team's role, a team membership or a direct grant can carry one)"
    )]
    NoEnd {
        /// Kind of relation.
        kind: ObjectKind,
        /// Its id.
        id: String,
    },
}

/// Result alias for applying changes.
pub type ApplyResult<T> = Result<T, ApplyError>;
