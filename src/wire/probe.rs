//! The operator's probes: the answer of `GET /readyz`, and the headers and path of the
//! operations surface (request ids, `/metrics`). See docs/OPERATING.md.

use crate::model::Revision;
use serde::{Deserialize, Serialize};

/// The answer of `GET /readyz`: `200` when `ready`, else `503` with the same shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Readiness {
    /// Every check passed: the store answered and the decision index is loaded.
    pub ready: bool,
    /// The revision this server answers from (its snapshot's).
    pub revision: Revision,
    /// The store's revision, read for this answer; `null` when the store did not answer.
    pub store_revision: Option<Revision>,
    /// How many revisions the store is ahead of this server (`store_revision - revision`, 0
    /// when not behind): a replica picks up other replicas' writes within about a second.
    /// `null` when the store did not answer.
    pub lag: Option<u64>,
    /// Each check's outcome.
    pub checks: ReadyChecks,
    /// The first check that failed (`store` or `index`); absent when ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// Why, in words (never the store's address or credentials); absent when ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The checks of `GET /readyz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReadyChecks {
    /// The store answered a revision read in time.
    pub store: bool,
    /// The decision index of the served snapshot is built.
    pub index: bool,
}

/// The request id header: kept from the client when sane ([`sane_request_id`]), else made
/// (a UUID); on every answer, and in every log line of the request.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest client-sent request id kept.
pub const MAX_REQUEST_ID: usize = 128;

/// Whether a client-sent request id is kept: 1 to [`MAX_REQUEST_ID`] characters of ASCII
/// letters, digits and `-_.:` (UUIDs, hex trace ids, `svc:1234`); anything else is replaced,
/// so a log line never carries arbitrary client text.
pub fn sane_request_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Where a server answers Prometheus scrapes (outside [`API_PREFIX`](super::API_PREFIX), where
/// Prometheus looks by default; no key: it holds counts only).
pub const METRICS_PATH: &str = "/metrics";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_kept_only_when_short_and_plain() {
        assert!(sane_request_id(b"0190c2f4-7e1a-7b3c-9d2e-1f0a2b3c4d5e"));
        assert!(sane_request_id(b"svc:1234_a.b"));
        assert!(!sane_request_id(b""));
        assert!(!sane_request_id(b"a b"));
        assert!(!sane_request_id(b"\x1b[2J"));
        assert!(!sane_request_id("é".as_bytes()));
        assert!(sane_request_id(&[b'a'; MAX_REQUEST_ID]));
        assert!(!sane_request_id(&[b'a'; MAX_REQUEST_ID + 1]));
    }
}
