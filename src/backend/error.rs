//! The error every [`Backend`](super::Backend) operation returns, whatever the backend: a typed
//! kind (bad input naming its field, not found, conflict, stale version with the current one,
//! forbidden, unsupported by this backend, unreachable, store failure) that maps to a CLI exit
//! code (docs/PRODUCT.md §1.2), an HTTP status and a wire code (docs/PRODUCT.md §4). Nothing
//! decides on the words of a message: callers match the kind.

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
    /// This backend does not have the feature (Mage has no teams, keys or audit log).
    #[error("invalid backend: {what} are not supported by {backend} ({why})")]
    Unsupported {
        /// What is missing, plural (`teams`).
        what: String,
        /// The backend (`Mage`).
        backend: String,
        /// What it has instead.
        why: String,
    },
    /// The backend cannot be reached.
    #[error("backend unreachable: {0}")]
    Unreachable(String),
    /// The store failed or is unreadable.
    #[error("{0}")]
    Store(String),
    /// No store file at this path: only `gatehouse init` (and the first bare `gatehouse` on
    /// the default path) creates one, so a mistyped `--db` never yields a new, empty store.
    #[error("no store at {path} (gatehouse init creates one)")]
    NoStore {
        /// The path given, as shown.
        path: String,
    },
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
            Error::Invalid { .. } | Error::Unsupported { .. } => 2,
            Error::NotFound { .. } | Error::NoStore { .. } => 3,
            Error::Conflict(_) | Error::Stale { .. } => 4,
            Error::Forbidden(_) => 5,
            Error::Unreachable(_) | Error::Store(_) => 6,
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
            Error::NoStore { .. } => "no_store",
            Error::Conflict(_) => "conflict",
            Error::Stale { .. } => "stale",
            Error::Forbidden(_) => "forbidden",
            Error::Unsupported { .. } => "unsupported",
            Error::Unreachable(_) => "unavailable",
            Error::Store(_) => "store",
        }
    }
}

/// Result alias for backend operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A change that does not apply to a state (a dry run's copy, a plan) is refused as the store
/// would refuse it: the same kinds as a store's errors of the same names.
impl From<crate::policy::ApplyError> for Error {
    fn from(e: crate::policy::ApplyError) -> Error {
        use crate::policy::ApplyError as A;
        match e {
            A::NotFound { kind, id } => Error::not_found(kind.as_str(), id),
            A::Conflict { actual, .. } => Error::Stale {
                message: e.to_string(),
                current_version: Some(actual),
            },
            A::Duplicate { .. } | A::InUse { .. } => Error::Conflict(e.to_string()),
            A::NoEnd { .. } => Error::Invalid {
                field: "expires_at".into(),
                message: e.to_string(),
            },
        }
    }
}
