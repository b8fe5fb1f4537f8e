//! The transport under [`HttpBackend`]: URLs, sending with the API key, turning error
//! answers back into the [`Error`] the server's service returned, reading answers, and the
//! shapes of writes (create, update, delete; each remembers the revision it produced). And
//! the refusal to send an API key in clear text ([`PlainHttp`]).

use super::HttpBackend;
use crate::backend::{Error, Result};
use crate::catalog::Catalogs;
use crate::model::{Id, Revision};
use crate::text::redact_url_passwords;
use crate::wire::{
    API_PREFIX, CatalogSummary, DeleteParams, ErrorBody, REVISION_HEADER, RevisionBody, Update,
};
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Whether the API key may travel over plain `http://` to a host that is not loopback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlainHttp {
    /// Only to loopback (127.0.0.0/8, ::1, localhost); elsewhere https:// is needed.
    #[default]
    LoopbackOnly,
    /// Anywhere (`--insecure-http`): the key can be read by anyone on the path.
    Allowed,
}

impl PlainHttp {
    /// `--insecure-http` given or not.
    pub fn allowed_if(insecure_http: bool) -> PlainHttp {
        if insecure_http {
            PlainHttp::Allowed
        } else {
            PlainHttp::LoopbackOnly
        }
    }
}

/// The variable naming a PEM file of CA certificates the client trusts besides the built-in
/// web PKI roots (a server whose certificate a private CA issued).
pub const CA_CERT_ENV: &str = "GATEHOUSE_CA_CERT";

/// The certificates of `$GATEHOUSE_CA_CERT`, none when it is unset or empty.
pub(super) fn extra_roots() -> Result<Vec<reqwest::Certificate>> {
    let Some(path) = std::env::var_os(CA_CERT_ENV).filter(|p| !p.is_empty()) else {
        return Ok(Vec::new());
    };
    let shown =
        crate::text::sanitize(&std::path::Path::new(&path).display().to_string()).into_owned();
    let pem = std::fs::read(&path)
        .map_err(|e| Error::invalid(CA_CERT_ENV, format!("cannot read {shown}: {e}")))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        Error::invalid(CA_CERT_ENV, format!("{shown} is not PEM certificates: {e}"))
    })?;
    if certs.is_empty() {
        return Err(Error::invalid(
            CA_CERT_ENV,
            format!("{shown} holds no PEM certificate"),
        ));
    }
    Ok(certs)
}

/// True for a host whose traffic never leaves this machine: 127.0.0.0/8, ::1 (also as
/// ::ffff:127.x.y.z) and `localhost` itself. Names under `.localhost` are not trusted: a
/// resolver without a rule for them asks DNS (and the search list), which an attacker on the
/// path can answer.
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(v4) => v4.is_loopback(),
            IpAddr::V6(v6) => {
                v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
        };
    }
    let name = bare.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
}

/// The API's base URL of `url` (`/api/v1` appended when missing) and `url` as shown in
/// messages (its password masked); refuses what is not an http(s) URL with a host, and plain
/// http:// to a host that is not loopback unless `plain` allows it.
pub(super) fn parse_url(url: &str, plain: PlainHttp) -> Result<(Url, String)> {
    let trimmed = url.trim().trim_end_matches('/');
    // Every message names the URL with its password masked.
    let shown = redact_url_passwords(trimmed).into_owned();
    let mut base = Url::parse(trimmed).map_err(|e| {
        Error::invalid(
            "--remote",
            format!("'{shown}' is not a URL ({e}); e.g. http://127.0.0.1:7420"),
        )
    })?;
    if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
        return Err(Error::invalid(
            "--remote",
            format!("'{shown}' is not an http:// or https:// URL with a host"),
        ));
    }
    refuse_plain_http(&base, &shown, plain)?;
    if !base.path().trim_end_matches('/').ends_with(API_PREFIX) {
        let path = format!("{}{API_PREFIX}", base.path().trim_end_matches('/'));
        base.set_path(&path);
    }
    Ok((base, shown))
}

/// Refuses `url` (`shown` in the message, its password masked) when it would send the API key
/// in clear text to a host that is not loopback, unless `plain` allows it. Nothing is sent.
pub(super) fn refuse_plain_http(url: &Url, shown: &str, plain: PlainHttp) -> Result<()> {
    if url.scheme() != "http" || plain == PlainHttp::Allowed || is_loopback(url) {
        return Ok(());
    }
    let host = crate::text::sanitize(url.host_str().unwrap_or_default()).into_owned();
    Err(Error::invalid(
        "--remote",
        format!(
            "refusing to send the API key in clear text to '{host}' ({shown} is plain http:// \
             and not a loopback address): use https:// (`gatehouse serve --tls-cert … \
             --tls-key …`, or a TLS proxy in front), or pass --insecure-http if the network \
             between is trusted"
        ),
    ))
}

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
