//! How a store's error becomes the [`Error`] a backend operation returns: a stale version keeps
//! its kind and the current version, duplicates and links in the way are conflicts, a damaged or
//! failing database is a store error.

use crate::backend::Error;
use crate::store::StoreError;

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
            StoreError::NoEnd { .. } => Error::Invalid {
                field: "expires_at".into(),
                message: e.to_string(),
            },
            StoreError::Corrupt(_) | StoreError::Database(_) => Error::Store(e.to_string()),
        }
    }
}

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
