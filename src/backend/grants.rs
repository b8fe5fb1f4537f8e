//! okdata-style direct grants as they cross the [`Backend`](super::Backend): who a grant goes to
//! and one row of `permissions ls RESOURCE`.

use serde::{Deserialize, Serialize};

/// Who a resource grant goes to (okdata's user types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GrantTo {
    /// A person.
    User,
    /// A team.
    Team,
    /// A machine client (a service user).
    Client,
}

/// One row of `permissions ls RESOURCE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResourceGrant {
    /// Username or team key.
    pub name: String,
    /// User, team or client.
    pub kind: GrantTo,
    /// Scopes held, sorted.
    pub scopes: Vec<String>,
    /// When the holder's access to the resource ends, if every scope it holds ends: the
    /// latest of `scope_ends`. `None`: some scope is held for good.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub expires_at: Option<time::OffsetDateTime>,
    /// The scopes that end, each with its end, in scope order (one held for good is absent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope_ends: Vec<ScopeEnd>,
}

/// When one scope of a [`ResourceGrant`] ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScopeEnd {
    /// The scope.
    pub scope: String,
    /// Its end.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: time::OffsetDateTime,
}

impl ResourceGrant {
    /// Fills `scopes` (sorted, once each), `scope_ends` and `expires_at` from the scopes held,
    /// each with the end of the grant that gives it (`None`: for good). A scope given twice
    /// lasts as long as the longer of its grants.
    pub fn set_scopes(
        &mut self,
        held: impl IntoIterator<Item = (String, Option<time::OffsetDateTime>)>,
    ) {
        let mut by: std::collections::BTreeMap<String, Option<time::OffsetDateTime>> =
            Default::default();
        for (scope, end) in held {
            let e = by.entry(scope).or_insert(end);
            *e = match (*e, end) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
        }
        self.scopes = by.keys().cloned().collect();
        self.scope_ends = by
            .iter()
            .filter_map(|(s, e)| {
                e.map(|t| ScopeEnd {
                    scope: s.clone(),
                    expires_at: t,
                })
            })
            .collect();
        self.expires_at = if by.is_empty() || self.scope_ends.len() < by.len() {
            None
        } else {
            self.scope_ends.iter().map(|e| e.expires_at).max()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_row_ends_when_its_last_scope_does_and_a_scope_held_for_good_never_ends() {
        let (a, b) = (
            datetime!(2026-12-08 0:00 UTC),
            datetime!(2026-12-09 0:00 UTC),
        );
        let mut r = ResourceGrant {
            name: "alice".into(),
            kind: GrantTo::User,
            scopes: vec![],
            expires_at: None,
            scope_ends: vec![],
        };
        r.set_scopes([
            ("w".into(), Some(b)),
            ("r".into(), Some(a)),
            ("r".into(), Some(b)),
        ]);
        assert_eq!(r.scopes, ["r", "w"]);
        assert_eq!(r.expires_at, Some(b));
        assert_eq!(r.scope_ends.len(), 2);
        r.set_scopes([
            ("r".into(), Some(a)),
            ("r".into(), None),
            ("w".into(), Some(a)),
        ]);
        assert_eq!(r.expires_at, None, "r is held for good");
        assert_eq!(r.scope_ends.len(), 1);
        assert_eq!(r.scope_ends[0].scope, "w");
    }
}
