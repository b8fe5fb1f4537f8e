//! What a failed Mage answer means: its error object (`{"error": {"code", "message", "type",
//! "errors"?, "exception"?}}`, in an HTTP 200 — `docs/MAGE.md` §5.1) mapped to gatehouse's
//! error kinds by code and type, and 0.9.80's `from_self` failure told apart.

use crate::backend::Error;
use serde::Deserialize;
use serde_json::Value;

/// Mage's error object (`{"error": {"code", "message", "type", "errors"?, "exception"?}}`).
#[derive(Debug, Deserialize)]
pub(super) struct MageError {
    #[serde(default)]
    pub(super) code: Option<i64>,
    #[serde(default)]
    pub(super) message: Option<String>,
    #[serde(rename = "type", default)]
    pub(super) kind: Option<String>,
    #[serde(default)]
    pub(super) errors: Option<Value>,
    #[serde(default)]
    pub(super) exception: Option<String>,
}

/// Why a call failed, as Mage's answer says: its 0.9.80 `Query.from_self()` failure (raised
/// while presenting a user or a permission after the write itself succeeded, docs/MAGE.md
/// §5.4) is told apart by kind, so a write can read its object back instead.
#[derive(Debug)]
pub(super) enum Failed {
    /// The `from_self` failure: the write was saved, its answer could not be presented.
    FromSelf(Error),
    /// Any other failure.
    Other(Error),
}

impl From<Error> for Failed {
    fn from(e: Error) -> Failed {
        Failed::Other(e)
    }
}

impl From<Failed> for Error {
    fn from(f: Failed) -> Error {
        match f {
            Failed::FromSelf(e) | Failed::Other(e) => e,
        }
    }
}

pub(super) fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    crate::text::sanitize(&line.chars().take(200).collect::<String>()).into_owned()
}

/// Maps Mage's error object to gatehouse's error kinds.
pub(super) fn map_error(e: &MageError) -> Failed {
    let message = e.message.clone().unwrap_or_default();
    let detail = match &e.errors {
        Some(Value::Null) | None => String::new(),
        Some(v) => format!(" ({})", first_line(&v.to_string())),
    };
    let exception = e.exception.clone().unwrap_or_default();
    let text = format!("{message}{detail}");
    if exception.contains("from_self") || message.contains("from_self") {
        // Mage 0.9.80's SQLAlchemy 2 incompatibility (docs/MAGE.md §5.4), read from Mage's
        // own exception text: the one place its words are all there is to go by.
        return Failed::FromSelf(Error::Store(format!(
            "Mage 0.9.80 from_self failure: {text}"
        )));
    }
    Failed::Other(match (e.code, e.kind.as_deref()) {
        (_, Some("record_invalid")) | (Some(400), _) => Error::invalid("mage", text),
        (Some(401 | 403), _) => Error::Forbidden(format!("Mage refused: {text}")),
        (Some(404), _) => Error::not_found("Mage object", text),
        (Some(500), _) if exception.contains("UNIQUE") || exception.contains("IntegrityError") => {
            Error::Conflict(format!(
                "Mage refused a duplicate: {}",
                first_line(&exception)
            ))
        }
        _ => Error::Store(format!(
            "Mage error {}: {text}{}",
            e.code.map(|c| c.to_string()).unwrap_or_default(),
            if exception.is_empty() {
                String::new()
            } else {
                format!(" [{}]", first_line(&exception))
            }
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_by_code_and_type() {
        let e = |code, kind: &str, exc: &str| MageError {
            code: Some(code),
            message: Some("m".into()),
            kind: Some(kind.into()),
            errors: None,
            exception: Some(exc.into()),
        };
        assert!(matches!(
            Error::from(map_error(&e(200, "record_invalid", ""))),
            Error::Invalid { .. }
        ));
        assert!(matches!(
            Error::from(map_error(&e(403, "x", ""))),
            Error::Forbidden(_)
        ));
        assert!(matches!(
            Error::from(map_error(&e(404, "x", ""))),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            Error::from(map_error(&e(
                500,
                "x",
                "IntegrityError UNIQUE constraint failed: role.name"
            ))),
            Error::Conflict(_)
        ));
        assert!(matches!(
            map_error(&e(
                500,
                "x",
                "'CachingQuery' object has no attribute 'from_self'"
            )),
            Failed::FromSelf(Error::Store(_))
        ));
        let worded = e(500, "x", "");
        let worded = MageError {
            message: Some("from_self in the message only".into()),
            ..worded
        };
        assert!(
            matches!(map_error(&worded), Failed::FromSelf(_)),
            "Mage's own message names it too"
        );
    }
}
