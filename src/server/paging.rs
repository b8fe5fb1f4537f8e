//! Cursor pagination of the list routes (`?limit=&after=`, see [`crate::wire::page`]): the
//! [`Page`] extractor reads and checks the two parameters, [`Page::slice`] cuts a list sorted by
//! its key after the cursor, and [`Slice::respond`] answers the page with the next page's
//! `X-Next-Cursor` and `Link` headers.

use super::error::{ApiError, ApiResult};
use crate::backend::GrantTo;
use crate::model::Id;
use crate::wire::{API_PREFIX, MAX_PAGE, NEXT_CURSOR_HEADER};
use axum::Json;
use axum::extract::{FromRequestParts, Query};
use axum::http::header::LINK;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// `?limit=&after=` of a list route, checked: a bad `limit` is a 400 naming `limit`; the cursor
/// is checked against the list's key by [`Page::slice`] (a 400 naming `after`). On a route
/// without parameters of its own any other parameter is a 400 naming `query` (`?limt=10` must
/// not answer the whole list); [`PageOf`] leaves them to the route's own parameters.
#[derive(Debug, Clone)]
pub(super) struct Page {
    limit: Option<usize>,
    after: Option<String>,
    /// The request's path (under [`API_PREFIX`]) and its other parameters, for `Link`.
    path: String,
    others: Vec<(String, String)>,
}

/// [`Page`] on a route that has parameters of its own (read by its `Params`).
#[derive(Debug, Clone)]
pub(super) struct PageOf(pub Page);

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let page = Page::read(&parts.uri)?;
        if let Some((name, _)) = page.others.first() {
            return Err(ApiError::invalid(
                "query",
                format!("unknown parameter '{name}'; a list takes limit and after"),
            ));
        }
        Ok(page)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageOf {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Page::read(&parts.uri).map(PageOf)
    }
}

/// The key a list is sorted by, and its cursor's text.
pub(super) trait Cursor: Ord + Sized {
    /// The key a cursor names; `None` for a cursor no item could have.
    fn parse(text: &str) -> Option<Self>;
    /// The cursor naming this key.
    fn text(&self) -> String;
}

impl Cursor for Id {
    fn parse(text: &str) -> Option<Id> {
        Id::parse_str(text).ok()
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Cursor for String {
    fn parse(text: &str) -> Option<String> {
        (!text.is_empty()).then(|| text.to_string())
    }
    fn text(&self) -> String {
        self.clone()
    }
}

/// The key of a resource's grants: clients, then teams, then users, each by name (the order
/// the service lists them in). Its cursor is `client:NAME`, `team:NAME` or `user:NAME`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct GrantKey(u8, String);

impl GrantKey {
    pub(super) fn of(kind: GrantTo, name: &str) -> GrantKey {
        let order = match kind {
            GrantTo::Client => 0,
            GrantTo::Team => 1,
            GrantTo::User => 2,
        };
        GrantKey(order, name.to_string())
    }
}

impl Cursor for GrantKey {
    fn parse(text: &str) -> Option<GrantKey> {
        let (kind, name) = text.split_once(':')?;
        let kind = match kind {
            "client" => GrantTo::Client,
            "team" => GrantTo::Team,
            "user" => GrantTo::User,
            _ => return None,
        };
        (!name.is_empty()).then(|| GrantKey::of(kind, name))
    }
    fn text(&self) -> String {
        let kind = ["client", "team", "user"][usize::from(self.0.min(2))];
        format!("{kind}:{}", self.1)
    }
}

/// One page of a list, and the cursor of the next when more remain.
#[derive(Debug)]
pub(super) struct Slice<T> {
    pub(super) items: Vec<T>,
    next: Option<String>,
}

impl Page {
    fn read(uri: &Uri) -> ApiResult<Page> {
        let pairs: Vec<(String, String)> = Query::try_from_uri(uri)
            .map(|q: Query<Vec<(String, String)>>| q.0)
            .map_err(|e| ApiError::invalid("query", e.body_text()))?;
        let mut page = Page {
            limit: None,
            after: None,
            path: if uri.path().starts_with(API_PREFIX) {
                uri.path().to_string()
            } else {
                format!("{API_PREFIX}{}", uri.path())
            },
            others: Vec::new(),
        };
        for (name, value) in pairs {
            match name.as_str() {
                "limit" => page.limit = Some(limit_of(&value)?),
                "after" => page.after = Some(value),
                _ => page.others.push((name, value)),
            }
        }
        Ok(page)
    }

    /// The `limit` asked for.
    pub(super) fn limit(&self) -> Option<usize> {
        self.limit
    }

    /// The cursor as given (unchecked).
    pub(super) fn after_text(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// The key the cursor names; a cursor no item of this list could have is a 400 naming
    /// `after`.
    pub(super) fn after<K: Cursor>(&self) -> ApiResult<Option<K>> {
        match &self.after {
            None => Ok(None),
            Some(text) => K::parse(text).map(Some).ok_or_else(|| {
                ApiError::invalid(
                    "after",
                    format!(
                        "'{text}' is not a cursor of this list; pass the X-Next-Cursor of the \
                         previous page"
                    ),
                )
            }),
        }
    }

    /// The page of `items` (sorted by `key`, keys unique): those after the cursor, at most
    /// `limit` of them.
    pub(super) fn slice<T, K: Cursor>(
        &self,
        items: impl IntoIterator<Item = T>,
        key: impl Fn(&T) -> K,
    ) -> ApiResult<Slice<T>> {
        let after: Option<K> = self.after()?;
        let rest = items
            .into_iter()
            .skip_while(|t| after.as_ref().is_some_and(|a| key(t) <= *a));
        let Some(limit) = self.limit else {
            return Ok(Slice {
                items: rest.collect(),
                next: None,
            });
        };
        let mut items: Vec<T> = rest.take(limit + 1).collect();
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|t| key(t).text())
        } else {
            None
        };
        Ok(Slice { items, next })
    }

    /// The `Link` of the page after `cursor`: this request with `limit` and `after` replaced.
    fn link(&self, cursor: &str) -> String {
        let mut query = String::new();
        // The audit log's own start (`before`) is what the cursor replaces: kept, the next
        // request would name two starts and be refused.
        for (name, value) in self.others.iter().filter(|(n, _)| n != "before") {
            query.push_str(&format!("{}={}&", encode(name), encode(value)));
        }
        if let Some(limit) = self.limit {
            query.push_str(&format!("limit={limit}&"));
        }
        query.push_str(&format!("after={}", encode(cursor)));
        format!("<{}?{query}>; rel=\"next\"", self.path)
    }

    /// Adds the next page's headers to `res` when there is a next page.
    pub(super) fn headers(&self, res: &mut Response, next: Option<&str>) {
        let Some(cursor) = next else { return };
        if let Ok(v) = HeaderValue::from_bytes(cursor.as_bytes()) {
            res.headers_mut().insert(NEXT_CURSOR_HEADER, v);
        }
        if let Ok(v) = HeaderValue::from_str(&self.link(cursor)) {
            res.headers_mut().insert(LINK, v);
        }
    }
}

impl<T> Slice<T> {
    /// The page as a JSON array, each item turned into what is sent.
    pub(super) fn respond<U: Serialize>(self, page: &Page, f: impl FnMut(T) -> U) -> Response {
        let body: Vec<U> = self.items.into_iter().map(f).collect();
        let mut res = Json(body).into_response();
        page.headers(&mut res, self.next.as_deref());
        res
    }
}

/// Reads `limit`: a whole number from 1 to [`MAX_PAGE`], else a 400 naming `limit`.
fn limit_of(text: &str) -> ApiResult<usize> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid(
            "limit",
            format!("'{text}' is not a page size; give a whole number from 1 to {MAX_PAGE}"),
        )),
    }
}

/// Percent-encodes a query component (everything but RFC 3986's unreserved characters).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(q: &str) -> ApiResult<Page> {
        Page::read(&format!("/roles?{q}").parse::<Uri>().unwrap())
    }

    #[test]
    fn limits_outside_one_to_the_most_are_refused() {
        for bad in ["0", "10001", "-1", "x", ""] {
            assert!(page(&format!("limit={bad}")).is_err(), "{bad}");
        }
        assert_eq!(page("limit=10000").unwrap().limit(), Some(10_000));
    }

    #[test]
    fn a_slice_starts_after_the_cursor_and_names_the_next() {
        let p = page("limit=2&after=b").unwrap();
        let s = p
            .slice(["a", "b", "c", "d", "e"].map(String::from), Clone::clone)
            .unwrap();
        assert_eq!(
            (s.items.clone(), s.next.as_deref()),
            (vec!["c".into(), "d".into()], Some("d"))
        );
        assert_eq!(p.link("d"), "</api/v1/roles?limit=2&after=d>; rel=\"next\"");
        let last = page("limit=2&after=d").unwrap();
        let s = last.slice(["a", "b", "c", "d", "e"].map(String::from), Clone::clone);
        assert_eq!(s.unwrap().next, None);
    }

    #[test]
    fn grant_cursors_read_back_and_links_keep_other_parameters() {
        let k = GrantKey::of(GrantTo::Team, "data eng");
        assert_eq!(GrantKey::parse(&k.text()), Some(k));
        assert_eq!(GrantKey::parse("group:x"), None);
        let p = page("catalog=mage&limit=1").unwrap();
        assert_eq!(
            p.link("a b/c"),
            "</api/v1/roles?catalog=mage&limit=1&after=a%20b%2Fc>; rel=\"next\""
        );
    }
}
