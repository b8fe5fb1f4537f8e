//! API keys as they cross the [`Backend`](super::Backend): a freshly created key, and the
//! `--expires` duration a key is created with.

use super::error::{Error, Result};
use crate::model::{ApiKey, now};

/// A freshly created key: the secret is returned this once and never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedKey {
    /// The stored record.
    pub record: ApiKey,
    /// The full secret.
    pub secret: String,
}

/// Parses `--expires`: a duration from now.
pub fn parse_expires(s: &str) -> Result<time::OffsetDateTime> {
    let d = humantime::parse_duration(s).map_err(|e| {
        Error::invalid(
            "--expires",
            format!("'{s}' is not a duration ({e}); write e.g. 90d, 12h or 1y"),
        )
    })?;
    if d.is_zero() {
        return Err(Error::invalid(
            "--expires",
            "the duration must be more than 0",
        ));
    }
    let d = time::Duration::try_from(d)
        .map_err(|_| Error::invalid("--expires", format!("'{s}' is too long")))?;
    now()
        .checked_add(d)
        .filter(|t| t.year() <= 9999)
        .ok_or_else(|| {
            Error::invalid(
                "--expires",
                format!("'{s}' is too long; at most a few thousand years"),
            )
        })
}
