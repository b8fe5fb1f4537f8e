//! The error body: `{"error": {"code", "message", ...details}}`. The details make the trip
//! lossless: an invalid input carries `field` (the console shows the message under that field),
//! a missing object carries `kind`, `name` and `hint`, every other error its `detail`. The client
//! rebuilds the exact [`Error`] the server's service returned.

use crate::backend::Error;
use serde::{Deserialize, Serialize};

/// The code of a 415 answer: a request body sent without `Content-Type: application/json`.
pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";

/// The whole error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorWire,
}

/// One error on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorWire {
    /// Stable machine-readable code: `invalid`, `unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `stale`, `too_large`, `unsupported_media_type`, `timeout`, `method_not_allowed`,
    /// `unavailable`, `store`.
    pub code: String,
    /// The whole human message (what the CLI would print).
    pub message: String,
    /// `invalid`: the offending field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `not_found`: the kind of object; `unsupported`: what the backend lacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `not_found`: the name or id given; `unsupported`: the backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `not_found`: extra advice (starts with "; " when present); `unsupported`: what the
    /// backend has instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// `stale`: the object's version now, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
    /// The message without its prefix (`invalid FIELD: `, `Insufficient permissions: `, …),
    /// when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ErrorWire {
    /// An error with only a code and a message.
    pub fn plain(code: &str, message: impl Into<String>) -> ErrorWire {
        ErrorWire {
            code: code.into(),
            detail: None,
            message: message.into(),
            field: None,
            kind: None,
            name: None,
            hint: None,
            current_version: None,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        status_of_code(&self.code)
    }

    /// Rebuilds the service error. `status` is used when the code is unknown (a newer server).
    pub fn to_error(&self, status: u16) -> Error {
        let detail = self.detail.clone().unwrap_or_else(|| self.message.clone());
        match self.code.as_str() {
            "invalid" => Error::Invalid {
                field: self.field.clone().unwrap_or_else(|| "request".into()),
                message: detail,
            },
            "too_large" => Error::Invalid {
                field: self.field.clone().unwrap_or_else(|| "body".into()),
                message: detail,
            },
            UNSUPPORTED_MEDIA_TYPE => Error::Invalid {
                field: self.field.clone().unwrap_or_else(|| "content-type".into()),
                message: detail,
            },
            "not_found" => Error::NotFound {
                kind: self.kind.clone().unwrap_or_else(|| "object".into()),
                name: self.name.clone().unwrap_or_default(),
                hint: self.hint.clone().unwrap_or_default(),
            },
            "conflict" => Error::Conflict(detail),
            "stale" => Error::Stale {
                message: detail,
                current_version: self.current_version,
            },
            "unsupported" => Error::Unsupported {
                what: self.kind.clone().unwrap_or_else(|| "these".into()),
                backend: self.name.clone().unwrap_or_else(|| "this backend".into()),
                why: self.hint.clone().unwrap_or(detail),
            },
            "forbidden" | "unauthorized" => Error::Forbidden(detail),
            "unavailable" | "timeout" => Error::Unreachable(detail),
            "store" => Error::Store(detail),
            "no_store" => Error::NoStore {
                path: self.name.clone().unwrap_or_default(),
            },
            _ => match status {
                400 | 405 | 411 | 415 | 422 => Error::invalid("request", self.message.clone()),
                401 | 403 => Error::Forbidden(self.message.clone()),
                404 => Error::not_found("route", self.message.clone()),
                409 => Error::Conflict(self.message.clone()),
                413 => Error::invalid("body", self.message.clone()),
                408 | 502..=504 => Error::Unreachable(self.message.clone()),
                _ => Error::Store(self.message.clone()),
            },
        }
    }
}

impl From<&Error> for ErrorWire {
    fn from(e: &Error) -> ErrorWire {
        let mut w = ErrorWire::plain(e.code(), e.to_string());
        match e {
            Error::Invalid { field, message } => {
                w.field = Some(field.clone());
                w.detail = Some(message.clone());
            }
            Error::NotFound { kind, name, hint } => {
                w.kind = Some(kind.clone());
                w.name = Some(name.clone());
                w.hint = Some(hint.clone());
            }
            Error::NoStore { path } => {
                w.kind = Some("store".into());
                w.name = Some(path.clone());
            }
            Error::Unsupported { what, backend, why } => {
                w.kind = Some(what.clone());
                w.name = Some(backend.clone());
                w.hint = Some(why.clone());
            }
            Error::Stale {
                message,
                current_version,
            } => {
                w.current_version = *current_version;
                if *message != w.message {
                    w.detail = Some(message.clone());
                }
            }
            Error::Conflict(m) | Error::Forbidden(m) | Error::Unreachable(m) | Error::Store(m) => {
                if *m != w.message {
                    w.detail = Some(m.clone());
                }
            }
        }
        w
    }
}

impl From<&Error> for ErrorBody {
    fn from(e: &Error) -> ErrorBody {
        ErrorBody { error: e.into() }
    }
}

/// The HTTP status of an error code (500 for an unknown one).
pub fn status_of_code(code: &str) -> u16 {
    match code {
        "invalid" => 400,
        "unauthorized" => 401,
        "forbidden" => 403,
        "not_found" => 404,
        "method_not_allowed" => 405,
        "timeout" => 408,
        "conflict" | "stale" => 409,
        "too_large" => 413,
        UNSUPPORTED_MEDIA_TYPE => 415,
        "unsupported" => 501,
        "unavailable" | "no_store" => 503,
        _ => 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trip(e: Error) {
        let body = ErrorBody::from(&e);
        let json = serde_json::to_string(&body).unwrap_or_default();
        let back: ErrorBody = serde_json::from_str(&json).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(back.error.to_error(back.error.status()), e, "{json}");
        assert_eq!(back.error.message, e.to_string());
    }

    #[test]
    fn every_error_survives_the_trip() {
        trip(Error::invalid("name", "must not be empty"));
        trip(Error::NotFound {
            kind: "role".into(),
            name: "x".into(),
            hint: "; list roles with `gatehouse roles ls`".into(),
        });
        trip(Error::not_found("user", "bob"));
        trip(Error::Conflict("stale version".into()));
        trip(Error::Forbidden("alice may not write Role".into()));
        trip(Error::Unreachable("down".into()));
        trip(Error::Unsupported {
            what: "teams".into(),
            backend: "Mage".into(),
            why: "it has roles, permissions and users only".into(),
        });
        trip(Error::Store("disk full".into()));
        trip(Error::NoStore {
            path: "/srv/gh.db".into(),
        });
    }

    #[test]
    fn statuses() {
        assert_eq!(ErrorWire::from(&Error::invalid("a", "b")).status(), 400);
        assert_eq!(ErrorWire::from(&Error::not_found("a", "b")).status(), 404);
        assert_eq!(ErrorWire::from(&Error::Conflict("c".into())).status(), 409);
        assert_eq!(ErrorWire::from(&Error::Forbidden("c".into())).status(), 403);
        assert_eq!(status_of_code("unauthorized"), 401);
        assert_eq!(status_of_code("too_large"), 413);
        assert_eq!(status_of_code(UNSUPPORTED_MEDIA_TYPE), 415);
    }

    #[test]
    fn unknown_codes_fall_back_on_the_status() {
        let w = ErrorWire::plain("teapot", "short and stout");
        assert_eq!(w.to_error(409), Error::Conflict("short and stout".into()));
        assert!(matches!(w.to_error(418), Error::Store(_)));
    }
}
