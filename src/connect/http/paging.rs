//! Reading a list route a page at a time (`?limit=&after=`, see [`crate::wire::page`]): each
//! answer is bounded, and the pages are followed through `X-Next-Cursor` until the last.

use super::HttpBackend;
use crate::backend::{Error, Result};
use crate::wire::{NEXT_CURSOR_HEADER, PageParams};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How many items [`HttpBackend`] asks for in one answer of a list route.
pub const PAGE_SIZE: usize = 5000;

impl HttpBackend {
    /// Every item of the list route at `segments` (with the route's own `query`), read
    /// [`HttpBackend::page_size`] items at a time. A server from before pagination answers the
    /// whole list at once (no next cursor), or refuses the unknown parameters: then the list is
    /// asked for once without them.
    pub(super) async fn list_all<T: DeserializeOwned, Q: Serialize + ?Sized>(
        &self,
        segments: &[&str],
        query: &Q,
    ) -> Result<Vec<T>> {
        let mut out: Vec<T> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = PageParams {
                limit: Some(self.page_size),
                after: after.clone(),
            };
            let rb = self
                .request(Method::GET, segments)
                .query(query)
                .query(&page);
            let res = match self.exchange(rb).await {
                Err(Error::Invalid { field, .. }) if field == "query" && after.is_none() => {
                    return self
                        .get(self.request(Method::GET, segments).query(query))
                        .await;
                }
                other => other?,
            };
            let next = res
                .headers()
                .get(NEXT_CURSOR_HEADER)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let items: Vec<T> = self.parse(res).await?;
            let empty = items.is_empty();
            out.extend(items);
            match next {
                // A cursor that does not move would ask for the same page forever.
                Some(n) if !empty && after.as_deref() != Some(n.as_str()) => after = Some(n),
                _ => return Ok(out),
            }
        }
    }
}
