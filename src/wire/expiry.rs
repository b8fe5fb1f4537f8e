//! Bodies of the routes for relations that end (`docs/PRODUCT.md`, "Temporary access"):
//! `POST /links/until` adds a relation with an end, `POST /links/expiry` sets or clears the
//! end of one that exists, `POST /expired/prune` removes those whose end has passed. Ends are
//! RFC 3339 instants. `POST /links` keeps its body (a bare [`Link`]), so older clients are
//! unaffected.

use crate::model::Revision;
use crate::policy::Link;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// `POST /links/until`: a relation and when it ends. `expires_at` must be given; `null` adds
/// the relation for good (as `POST /links` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkUntil {
    /// The relation (tagged as in `POST /links`).
    #[schema(value_type = Object)]
    pub link: Link,
    /// When it ends (RFC 3339, in the future), or `null` for never.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

/// `POST /links/expiry`: the new end of a relation that exists. `expires_at` must be given;
/// `null` clears the end (the relation then lasts until removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetExpiry {
    /// The relation (a membership is named whatever its role).
    #[schema(value_type = Object)]
    pub link: Link,
    /// Its new end (RFC 3339, in the future), or `null` for never.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

/// The answer of `POST /expired/prune`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PruneAnswer {
    /// How many ended relations were removed (each recorded as an `expire` audit event).
    pub removed: usize,
    /// The revision after (the current one when nothing had ended).
    pub revision: Revision,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::new_id;
    use time::macros::datetime;

    fn read<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn an_end_must_be_given_may_be_null_and_nothing_else_is_accepted() {
        let (u, r) = (new_id(), new_id());
        let link = format!(r#"{{"link": "user_role", "user": "{u}", "role": "{r}"}}"#);
        let body: LinkUntil = read(&format!(
            r#"{{"link": {link}, "expires_at": "2030-01-02T03:04:05Z"}}"#
        ))
        .unwrap();
        assert_eq!(body.link, Link::UserRole { user: u, role: r });
        assert_eq!(body.expires_at, Some(datetime!(2030-01-02 03:04:05 UTC)));
        let clear: SetExpiry = read(&format!(r#"{{"link": {link}, "expires_at": null}}"#)).unwrap();
        assert_eq!(clear.expires_at, None);
        let e = read::<SetExpiry>(&format!(r#"{{"link": {link}}}"#)).unwrap_err();
        assert!(e.contains("missing field `expires_at`"), "{e}");
        let e = read::<LinkUntil>(&format!(
            r#"{{"link": {link}, "expires_at": null, "expire_at": null}}"#
        ))
        .unwrap_err();
        assert!(e.contains("unknown field `expire_at`"), "{e}");
        let e = read::<LinkUntil>(&format!(r#"{{"link": {link}, "expires_at": "tomorrow"}}"#))
            .unwrap_err();
        assert!(!e.is_empty());
        // What the client sends reads back as it was.
        let text = serde_json::to_string(&body).unwrap();
        assert_eq!(read::<LinkUntil>(&text).unwrap(), body);
    }
}
