//! Service errors: each says what is wrong and what to do, and maps to a CLI exit code
//! (docs/PRODUCT.md §1.2) and an HTTP status (docs/PRODUCT.md §4).

use crate::store::StoreError;

/// Why a service operation failed. A failed operation changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Bad input: names the field and the fix.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The offending field or argument.
        field: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The named object does not exist.
    #[error("{kind} '{name}' not found{hint}")]
    NotFound {
        /// Kind of object.
        kind: String,
        /// The name or id given.
        name: String,
        /// Extra advice (starts with "; ").
        hint: String,
    },
    /// A duplicate, links in the way, or a store that kept moving.
    #[error("{0}")]
    Conflict(String),
    /// The object changed since it was read: the version the write named is no longer
    /// current. Nothing was written; reload it, or write again over `current_version`.
    #[error("{message}")]
    Stale {
        /// What changed, in words.
        message: String,
        /// The object's version now, when known.
        current_version: Option<u64>,
    },
    /// The acting principal may not do this.
    #[error("Insufficient permissions: {0}")]
    Forbidden(String),
    /// The backend cannot be reached.
    #[error("backend unreachable: {0}")]
    Unavailable(String),
    /// The store failed or is unreadable.
    #[error("{0}")]
    Store(String),
}

impl Error {
    /// An `Invalid` error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A `NotFound` error.
    pub fn not_found(kind: impl Into<String>, name: impl Into<String>) -> Error {
        Error::NotFound {
            kind: kind.into(),
            name: name.into(),
            hint: String::new(),
        }
    }

    /// The process exit code of docs/PRODUCT.md §1.2: 2 usage, 3 not found, 4 conflict, 5 insufficient
    /// permissions, 6 backend unreachable (store failures count as unreachable).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid { .. } => 2,
            Error::NotFound { .. } => 3,
            Error::Conflict(_) | Error::Stale { .. } => 4,
            Error::Forbidden(_) => 5,
            Error::Unavailable(_) | Error::Store(_) => 6,
        }
    }

    /// True for a conflict caused by a stale `version`: someone else changed the object since
    /// it was read (the remedy is to reload, or to overwrite on purpose).
    pub fn is_stale(&self) -> bool {
        matches!(self, Error::Stale { .. })
    }

    /// The object's current version, for a stale write that knows it.
    pub fn current_version(&self) -> Option<u64> {
        match self {
            Error::Stale {
                current_version, ..
            } => *current_version,
            _ => None,
        }
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "invalid",
            Error::NotFound { .. } => "not_found",
            Error::Conflict(_) => "conflict",
            Error::Stale { .. } => "stale",
            Error::Forbidden(_) => "forbidden",
            Error::Unavailable(_) => "unavailable",
            Error::Store(_) => "store",
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        match e {
            StoreError::NotFound { kind, id } => Error::not_found(kind.as_str(), id),
            StoreError::Conflict { actual, .. } => Error::Stale {
                message: e.to_string(),
                current_version: Some(actual),
            },
            StoreError::Duplicate { .. } | StoreError::InUse { .. } | StoreError::Moved { .. } => {
                Error::Conflict(e.to_string())
            }
            StoreError::Corrupt(_) | StoreError::Database(_) => Error::Store(e.to_string()),
        }
    }
}

/// Result alias for service operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod stale_tests {
    use super::*;
    use crate::model::ObjectKind;

    #[test]
    fn stale_is_a_kind_not_a_phrase() {
        let worded = Error::Conflict("role 'x' was changed by someone else".into());
        assert!(!worded.is_stale(), "no behaviour hangs on the words");
        let e = Error::from(StoreError::Conflict {
            kind: ObjectKind::Role,
            id: "x".into(),
            expected: 1,
            actual: 3,
        });
        assert!(e.is_stale());
        assert_eq!(e.current_version(), Some(3));
        assert_eq!(e.code(), "stale");
        assert_eq!(e.exit_code(), 4);
        let wire = crate::wire::ErrorWire::from(&e);
        assert_eq!(wire.status(), 409);
        assert_eq!(
            wire.to_error(409),
            e,
            "the kind and the version cross the wire"
        );
    }
}
