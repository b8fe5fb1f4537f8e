//! The wire format of `gatehouse serve` (docs/PRODUCT.md §4), shared by the server ([`crate::server`]) and
//! its client ([`crate::connect::HttpBackend`]): the route table, request and response bodies,
//! the JSON state snapshot and the error body. Plain data and conversions: no I/O.
//!
//! Every answer carries the store revision it reflects in [`REVISION_HEADER`]; a write answers
//! with a revision that includes the write.

pub mod apply;
pub mod bodies;
pub mod error;
pub mod expiry;
pub mod page;
pub mod probe;
pub mod routes;
pub mod state;

pub use apply::ApplyBody;
pub use bodies::*;
pub use error::{ErrorBody, ErrorWire, UNSUPPORTED_MEDIA_TYPE, status_of_code};
pub use expiry::{LinkUntil, PruneAnswer, SetExpiry};
pub use page::{MAX_PAGE, NEXT_CURSOR_HEADER, PageParams};
pub use probe::{METRICS_PATH, REQUEST_ID_HEADER, Readiness, ReadyChecks, sane_request_id};
pub use routes::{Method, Op, ROUTES, Route};
pub use state::{KeyWire, StateWire};

/// Every route is under this prefix (except nothing: `/healthz` is under it too).
pub const API_PREFIX: &str = "/api/v1";

/// Response header: the store revision the answer reflects (a write's answer includes the write).
pub const REVISION_HEADER: &str = "x-gatehouse-revision";

/// Response header present on every answer of a server running with `--no-auth`.
pub const WARNING_HEADER: &str = "x-gatehouse-warning";

/// The text of [`WARNING_HEADER`] (and of the standard `Warning` header).
pub const NO_AUTH_WARNING: &str =
    "authentication is disabled (serve --no-auth): every caller acts as the store's owner";

/// The message of every authentication failure (missing, malformed, unknown, expired or revoked
/// key): one text, so a caller learns nothing about which it was.
pub const INVALID_KEY: &str = "Invalid API key";

/// The largest request body accepted by every route but import (1 MiB).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The largest import body accepted (64 MiB).
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The most requests one batch check may hold.
pub const MAX_BATCH: usize = 1000;

/// The most audit events one `GET /audit` answers with.
pub const MAX_AUDIT_PAGE: usize = 10_000;

/// The audit page size when the request names none.
pub const DEFAULT_AUDIT_PAGE: usize = 100;

/// The default address of `gatehouse serve`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7420";
