//! Cursor pagination of the list routes ([`Op::paged`](super::Op::paged)): `?limit=N&after=CURSOR`.
//!
//! The answer stays a JSON array. Without `limit` it holds the whole list (after `after`, when
//! given); with `limit=N` (1 to [`MAX_PAGE`]) at most N items, in the list's stable order (by
//! id, or by the list's own unique key), starting strictly after the cursor. When more remain,
//! the answer carries [`NEXT_CURSOR_HEADER`] and a `Link: <…?limit=N&after=CURSOR>; rel="next"`
//! header. A cursor is the last item's key (a UUID for objects): an item added or removed between
//! two pages moves no other item from one page to another.

use serde::{Deserialize, Serialize};

/// The largest `limit` a list route accepts.
pub const MAX_PAGE: usize = 10_000;

/// Response header: the cursor of the next page, when there is one.
pub const NEXT_CURSOR_HEADER: &str = "x-next-cursor";

/// `?limit=&after=` on a list route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// At most this many items (1 to 10000); the whole list when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<usize>,
    /// Only the items after this cursor: the `X-Next-Cursor` of the previous page (the key of
    /// its last item).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}
