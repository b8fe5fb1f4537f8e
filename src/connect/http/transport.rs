//! The transport under [`HttpBackend`]: URLs, sending with the API key, turning error
//! answers back into the [`Error`] the server's service returned, reading answers, and the
//! shapes of writes (create, update, delete; each remembers the revision it produced).

use super::HttpBackend;
use crate::backend::{Error, Result};
use crate::catalog::Catalogs;
use crate::model::{Id, Revision};
use crate::text::redact_url_passwords;
use crate::wire::{CatalogSummary, DeleteParams, ErrorBody, REVISION_HEADER, RevisionBody, Update};
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The text of an error and of every error under it.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        cur = s.source();
    }
    out
}

impl HttpBackend {
    pub(super) fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    pub(super) fn request(&self, method: Method, segments: &[&str]) -> RequestBuilder {
        self.client
            .request(method, self.endpoint(segments))
            .bearer_auth(&self.api_key)
    }

    pub(super) fn refuse_write(&self) -> Result<()> {
        if self.read_only {
            return Err(Error::Forbidden(
                "read-only mode (--read-only): writes are disabled".into(),
            ));
        }
        Ok(())
    }

    pub(super) fn unreachable(&self, e: &reqwest::Error) -> Error {
        // reqwest's text names the URL it tried, password included.
        let why = chain(e);
        let why = redact_url_passwords(&why);
        if e.is_timeout() {
            Error::Unreachable(format!(
                "the gatehouse server at {} did not answer in time: {why}",
                self.url,
            ))
        } else {
            Error::Unreachable(format!(
                "cannot reach the gatehouse server at {}: {why}; is `gatehouse serve` running there?",
                self.url,
            ))
        }
    }

    /// Sends and returns the raw answer after turning error answers into errors.
    pub(super) async fn exchange(&self, rb: RequestBuilder) -> Result<reqwest::Response> {
        let res = rb.send().await.map_err(|e| self.unreachable(&e))?;
        let status = res.status();
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Ok(res);
        }
        let bytes = res.bytes().await.map_err(|e| self.unreachable(&e))?;
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(body.error.to_error(status.as_u16())),
            Err(_) => {
                let text: String = String::from_utf8_lossy(&bytes).chars().take(200).collect();
                let msg = format!(
                    "the server at {} answered {status} without a gatehouse error: {}",
                    self.url,
                    text.trim()
                );
                Err(match status.as_u16() {
                    401 | 403 => Error::Forbidden(msg),
                    404 => Error::Unreachable(format!(
                        "{msg}; is {} a gatehouse server (`gatehouse serve`)?",
                        self.url
                    )),
                    408 | 502..=504 => Error::Unreachable(msg),
                    _ => Error::Store(msg),
                })
            }
        }
    }

    pub(super) async fn parse<T: DeserializeOwned>(&self, res: reqwest::Response) -> Result<T> {
        let bytes = res.bytes().await.map_err(|e| self.unreachable(&e))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::Store(format!(
                "the server at {} answered something this gatehouse cannot read ({e}); use the \
                 same gatehouse version on both ends",
                self.url
            ))
        })
    }

    pub(super) async fn get<T: DeserializeOwned>(&self, rb: RequestBuilder) -> Result<T> {
        let res = self.exchange(rb).await?;
        self.parse(res).await
    }

    /// Sends a write (refused first in read-only mode) and remembers its revision.
    pub(super) async fn write<T: DeserializeOwned>(&self, rb: RequestBuilder) -> Result<T> {
        self.refuse_write()?;
        let res = self.exchange(rb).await?;
        if let Some(rev) = res
            .headers()
            .get(REVISION_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
        {
            self.written.fetch_max(rev, Ordering::Relaxed);
        }
        self.parse(res).await
    }

    pub(super) async fn write_revision(&self, rb: RequestBuilder) -> Result<Revision> {
        self.write::<RevisionBody>(rb).await.map(|r| r.revision)
    }

    pub(super) async fn create<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        kind: &str,
        spec: &B,
    ) -> Result<T> {
        self.write(self.request(Method::POST, &[kind]).json(spec))
            .await
    }

    pub(super) async fn update<S: Serialize, T: DeserializeOwned>(
        &self,
        kind: &str,
        id: Id,
        spec: S,
        version: u64,
    ) -> Result<T> {
        let body = Update {
            spec,
            version: Some(version),
        };
        let id = id.to_string();
        self.write(self.request(Method::PUT, &[kind, &id]).json(&body))
            .await
    }

    pub(super) async fn delete(&self, kind: &str, id: Id, force: bool) -> Result<Revision> {
        let id = id.to_string();
        let rb = self
            .request(Method::DELETE, &[kind, &id])
            .query(&DeleteParams { force });
        self.write_revision(rb).await
    }

    pub(super) async fn load_catalogs(&self) -> Result<Arc<Catalogs>> {
        let remote: Vec<CatalogSummary> = self.list_all(&["catalogs"], &()).await?;
        let local = Catalogs::builtin().map_err(|e| Error::Store(e.to_string()))?;
        let mut theirs: Vec<&str> = remote.iter().map(|c| c.name.as_str()).collect();
        let mut ours = local.names();
        theirs.sort_unstable();
        ours.sort_unstable();
        if theirs != ours {
            return Err(Error::Store(format!(
                "the server at {} has the catalogs [{}] but this gatehouse has [{}]; use the \
                 same gatehouse version on both ends",
                self.url,
                theirs.join(", "),
                ours.join(", ")
            )));
        }
        Ok(Arc::new(local))
    }
}

impl HttpBackend {
    /// A write to a route for relations that end: a server from before them has no such route
    /// (a 404 naming a route), which is said as what it is.
    pub(super) async fn ends_write<T: DeserializeOwned>(&self, rb: RequestBuilder) -> Result<T> {
        match self.write(rb).await {
            Err(Error::NotFound { kind, .. }) if kind == "route" => Err(Error::Unsupported {
                what: "relations that end (--expires, --for)".into(),
                backend: format!("the server at {}", self.url),
                why: "it is older than this gatehouse; upgrade it".into(),
            }),
            other => other,
        }
    }
}
