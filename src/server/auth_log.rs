//! What the log and the metrics say about a request's key: the key's public prefix and id
//! (never the secret), and why a request was refused. [`authenticate`](super::auth::authenticate)
//! puts a [`KeyNote`] on every answer it lets through or refuses; the request's access line
//! ([`observe`](super::observe)) logs every 401 and 403 at `info` with it, and counts the
//! refusal by [`AuthFailure`] reason.

use crate::model::Id;
use crate::service::KEY_PREFIX;

/// How many characters of a presented key name it in the log (`ghk_` and 8 more, as key
/// listings show them: not enough to use it).
const PREFIX_CHARS: usize = 12;

/// Why a request was refused (401 or 403): the `reason` label of
/// `gatehouse_auth_failures_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum AuthFailure {
    /// 401: no `Authorization: Bearer` key.
    MissingKey,
    /// 401: a key that is unknown, revoked, expired or malformed.
    InvalidKey,
    /// 403: a read-only key on a write route.
    ReadOnly,
    /// 403: the key's user may not do this.
    Forbidden,
}

impl AuthFailure {
    /// The label value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AuthFailure::MissingKey => "missing_key",
            AuthFailure::InvalidKey => "invalid_key",
            AuthFailure::ReadOnly => "read_only",
            AuthFailure::Forbidden => "forbidden",
        }
    }
}

/// The key a request came with, as the log names it; a response extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyNote {
    /// The key's public prefix (`ghk_AbCdEfGh`), or `(none)`, `(malformed)`, `(foreign)`,
    /// `(no-auth)`: see [`prefix_of`].
    pub key: String,
    /// The key's id, when the key is known.
    pub key_id: Option<Id>,
    /// Why authentication refused the request, if it did.
    pub refused: Option<AuthFailure>,
}

/// A response extension set by the write gate: the 403 is a read-only key's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadOnlyRefusal;

/// What names a presented key in the log: its first characters when it looks like a gatehouse
/// key, `(none)` without one, `(foreign)` for a token that is not a gatehouse key (a password
/// or another system's token sent by mistake is never logged, even in part), `(malformed)`
/// otherwise (never arbitrary client text).
pub(crate) fn prefix_of(secret: Option<&str>) -> String {
    let Some(secret) = secret else {
        return "(none)".into();
    };
    let shown: String = secret.chars().take(PREFIX_CHARS).collect();
    if !shown
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        "(malformed)".into()
    } else if !shown.starts_with(KEY_PREFIX) {
        "(foreign)".into()
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_name_keys_without_echoing_client_text() {
        assert_eq!(prefix_of(None), "(none)");
        assert_eq!(prefix_of(Some("ghk_AbCdEfGh1234567890")), "ghk_AbCdEfGh");
        assert_eq!(prefix_of(Some("ghk_x")), "ghk_x");
        assert_eq!(prefix_of(Some("ghk_\u{1b}[2J")), "(malformed)");
        assert_eq!(prefix_of(Some("hunter2hunter2")), "(foreign)");
    }
}
