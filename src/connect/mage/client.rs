//! [`MageClient`]: Mage's REST API conventions (`docs/MAGE.md` §5) in one place — the fixed
//! `X-API-KEY` on every call, login through `POST /api/sessions` with the inner token sent as
//! `Authorization: Bearer`, bodies wrapped by resource name, paging with `_limit`/`_offset`,
//! errors read from the body (Mage answers HTTP 200 with an `error` object), and a second login
//! when the token has expired.

use super::answer::{Failed, MageError, first_line, map_error};
use super::tokens::{Saved, TokenCache};
use crate::backend::{Error, Result};
use base64::Engine as _;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Mutex;

/// Mage's fixed OAuth client id (`OAUTH2_APPLICATION_CLIENT_ID`), the same on every install.
pub const MAGE_API_KEY: &str = "zkWlN0PkIKSN0C11CfUHUj84OT5XOJ6tDZ6bDRO2";

/// Page size for lists (Mage's default is 40; its UI asks for 1000).
pub const PAGE: usize = 1000;

/// How many later pages of a collection are read at once.
pub const PAGES_AT_ONCE: usize = 4;

/// At most this many later pages are asked for on the first page's count alone (a count
/// beyond them is read on page by page).
const MAX_PLANNED_PAGES: usize = 1000;

/// One page of a collection.
struct Page<T> {
    items: Vec<T>,
    /// Mage says there is more after it.
    next: bool,
    /// The whole collection's size, as Mage counted it (0 when not said).
    count: usize,
}

/// How to log in: email or username, and the password.
#[derive(Clone)]
pub struct Login {
    /// An email (contains `@`) or a username.
    pub user: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The logged-in session.
#[derive(Debug, Clone)]
struct Session {
    /// The raw token inside the JWT (what `Bearer` takes).
    token: String,
    /// The user Mage returned at login.
    user: Value,
    /// When the token expires (Unix seconds, from the JWT payload).
    expires: f64,
}

/// A logged-in client of one Mage server.
#[derive(Debug)]
pub struct MageClient {
    base: Url,
    url: String,
    http: reqwest::Client,
    login: Login,
    session: Mutex<Option<Session>>,
    /// Successful logins so far (the first, and one per expired token).
    logins: AtomicU64,
    /// Where tokens are kept between runs (none: every run logs in).
    cache: Option<TokenCache>,
    /// The cache was read (it is read once: after a refused token, only a login helps).
    cache_read: AtomicBool,
    /// Items asked for per page ([`PAGE`]).
    page_size: usize,
}

/// The answer to a write.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    /// Mage's answer.
    Answer(Value),
    /// Saved, but Mage 0.9.80 failed presenting the object (`from_self`): read it back.
    NotPresented,
}

impl MageClient {
    /// A client of the server at `url` (`http://127.0.0.1:6789`, with or without `/api`).
    pub fn new(url: &str, login: Login) -> Result<MageClient> {
        let trimmed = url.trim().trim_end_matches('/');
        let trimmed = trimmed.strip_suffix("/api").unwrap_or(trimmed);
        // Every message names the URL with its password masked.
        let shown = crate::text::redact_url_passwords(trimmed).into_owned();
        let base = Url::parse(&format!("{trimmed}/")).map_err(|e| {
            Error::invalid(
                "--mage",
                format!("'{shown}' is not a URL ({e}); e.g. http://127.0.0.1:6789"),
            )
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(Error::invalid(
                "--mage",
                format!("'{shown}' is not an http(s) URL; e.g. http://127.0.0.1:6789"),
            ));
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60));
        // Plain http never goes through a proxy ($http_proxy): it would read the password
        // and the session token in clear text.
        if base.scheme() == "http" {
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| Error::Unreachable(format!("cannot build an HTTP client: {e}")))?;
        Ok(MageClient {
            base,
            url: shown,
            http,
            login,
            session: Mutex::new(None),
            logins: AtomicU64::new(0),
            cache: None,
            cache_read: AtomicBool::new(false),
            page_size: PAGE,
        })
    }

    /// Keeps the session token in `cache` between runs: the first call uses a saved,
    /// unexpired token instead of logging in, and every login saves its token.
    pub fn with_token_cache(mut self, cache: Option<TokenCache>) -> MageClient {
        self.cache = cache;
        self
    }

    /// Asks for `n` items per page instead of [`PAGE`] (tests read many pages this way).
    pub fn with_page_size(mut self, n: usize) -> MageClient {
        self.page_size = n.max(1);
        self
    }

    /// The token cache in use, if any.
    pub fn token_cache(&self) -> Option<&TokenCache> {
        self.cache.as_ref()
    }

    /// The server's URL as given (without `/api`), its password masked.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many times this client logged in (once, plus once per expired token).
    pub fn logins(&self) -> u64 {
        self.logins.load(Ordering::Relaxed)
    }

    /// The username or email used to log in.
    pub fn login_name(&self) -> &str {
        &self.login.user
    }

    fn endpoint(&self, path: &str) -> Result<Url> {
        self.base
            .join(&format!("api/{}", path.trim_start_matches('/')))
            .map_err(|e| Error::invalid("path", format!("bad Mage API path '{path}': {e}")))
    }

    fn unreachable(&self, e: &reqwest::Error) -> Error {
        let mut text = e.to_string();
        let mut cur = std::error::Error::source(e);
        while let Some(s) = cur {
            let t = s.to_string();
            if !text.contains(&t) {
                text.push_str(": ");
                text.push_str(&t);
            }
            cur = s.source();
        }
        // reqwest's text names the URL it tried, password included.
        let text = crate::text::redact_url_passwords(&text);
        Error::Unreachable(format!(
            "Mage server {} did not answer ({text}); is it running? (`scripts/mage-server.sh status`)",
            self.url
        ))
    }

    /// `GET /api/status` without authentication: `require_user_authentication` and
    /// `require_user_permissions`, or an error when the server is not a Mage server.
    pub async fn status(&self) -> Result<Value> {
        let resp = self
            .http
            .get(self.endpoint("status")?)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let body: Value = resp.json().await.map_err(|e| {
            Error::Unreachable(format!(
                "{} answered /api/status with something that is not Mage's JSON ({e})",
                self.url
            ))
        })?;
        body.get("statuses")
            .and_then(|s| s.get(0))
            .cloned()
            .ok_or_else(|| {
                Error::Unreachable(format!(
                    "{} is not a Mage server (no `statuses` in /api/status)",
                    self.url
                ))
            })
    }

    /// Logs in (again), keeping the new token.
    pub async fn login(&self) -> Result<Value> {
        let mut session = self.session.lock().await;
        let s = self.do_login().await?;
        let user = s.user.clone();
        *session = Some(s);
        Ok(user)
    }

    async fn do_login(&self) -> Result<Session> {
        let field = if self.login.user.contains('@') {
            "email"
        } else {
            "username"
        };
        let body = json!({"session": {field: self.login.user, "password": self.login.password}});
        let resp = self
            .http
            .post(self.endpoint("sessions")?)
            .header("X-API-KEY", MAGE_API_KEY)
            .json(&body)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let value = self.read(resp).await.map_err(|e| match Error::from(e) {
            Error::NotFound { .. } | Error::Forbidden(_) => Error::Forbidden(format!(
                "Mage refused the login of '{}' at {}: email/username or password invalid",
                self.login.user, self.url
            )),
            other => other,
        })?;
        let jwt = value
            .pointer("/session/token")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Store("Mage's login answer has no session.token".into()))?;
        let (token, expires) = inner_token(jwt)?;
        let user = value
            .pointer("/session/user")
            .cloned()
            .unwrap_or(Value::Null);
        self.logins.fetch_add(1, Ordering::Relaxed);
        // From now on the saved token is this one or older: never read it back.
        self.cache_read.store(true, Ordering::SeqCst);
        if let Some(cache) = &self.cache {
            cache.save(&Saved {
                url: self.url.clone(),
                user: self.login.user.clone(),
                token: token.clone(),
                expires,
                login_user: user.clone(),
            });
        }
        Ok(Session {
            token,
            user,
            expires,
        })
    }

    /// The session saved by an earlier run, read once per client.
    fn saved_session(&self) -> Option<Session> {
        let cache = self.cache.as_ref()?;
        if self.cache_read.swap(true, Ordering::SeqCst) {
            return None;
        }
        let saved = cache.load(&self.url, &self.login.user)?;
        tracing::debug!(url = %self.url, "using the saved Mage token");
        Some(Session {
            token: saved.token,
            user: saved.login_user,
            expires: saved.expires,
        })
    }

    /// The current session: the one held, else a saved one, else a new login.
    async fn session(&self) -> Result<Session> {
        let mut session = self.session.lock().await;
        if let Some(s) = session.as_ref() {
            return Ok(s.clone());
        }
        let s = match self.saved_session() {
            Some(s) => s,
            None => self.do_login().await?,
        };
        *session = Some(s.clone());
        Ok(s)
    }

    /// Makes sure there is a session — a token saved by an earlier run when there is a
    /// usable one, else a login — without sending anything else.
    pub async fn resume(&self) -> Result<()> {
        self.session().await.map(|_| ())
    }

    /// When the current token expires (Unix seconds), once there is a session.
    pub async fn expires(&self) -> Option<f64> {
        self.session.lock().await.as_ref().map(|s| s.expires)
    }

    /// The user Mage returned at login (logging in when not yet done).
    pub async fn me(&self) -> Result<Value> {
        Ok(self.session().await?.user)
    }

    async fn token(&self) -> Result<String> {
        Ok(self.session().await?.token)
    }

    /// Drops the saved token and ends the session on the server (Mage then refuses the
    /// token). True when there was a saved token to drop.
    pub async fn logout(&self) -> Result<bool> {
        let held = self.session.lock().await.take();
        let session = held.or_else(|| self.saved_session());
        let dropped = self
            .cache
            .as_ref()
            .is_some_and(|c| c.forget(&self.url, &self.login.user));
        if let Some(s) = session {
            let resp = self
                .http
                .put(self.endpoint("sessions/logout")?)
                .header("X-API-KEY", MAGE_API_KEY)
                .bearer_auth(&s.token)
                .json(&json!({"session": {}}))
                .send()
                .await
                .map_err(|e| self.unreachable(&e))?;
            // A token the server refuses is logged out already.
            if resp.status() != StatusCode::UNAUTHORIZED {
                self.read(resp).await?;
            }
        }
        Ok(dropped)
    }

    /// Sends one call and returns the JSON body; a 401 (expired or revoked token) logs in once
    /// more and retries.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value> {
        Ok(self.send(method, path, body).await?)
    }

    /// Like [`MageClient::call`] for a write: Mage 0.9.80's failure to present what it saved
    /// (docs/MAGE.md §5.4) is [`Written::NotPresented`], not an error.
    pub async fn write(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Written> {
        match self.send(method, path, body).await {
            Ok(v) => Ok(Written::Answer(v)),
            Err(Failed::FromSelf(_)) => Ok(Written::NotPresented),
            Err(Failed::Other(e)) => Err(e),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> std::result::Result<Value, Failed> {
        let mut relogged = false;
        loop {
            let token = self.token().await?;
            let mut req = self
                .http
                .request(method.clone(), self.endpoint(path)?)
                .header("X-API-KEY", MAGE_API_KEY)
                .bearer_auth(&token);
            if let Some(b) = body {
                req = req.json(b);
            }
            let resp = req.send().await.map_err(|e| self.unreachable(&e))?;
            if resp.status() == StatusCode::UNAUTHORIZED && !relogged {
                tracing::info!(url = %self.url, "Mage token refused; logging in again");
                relogged = true;
                let mut session = self.session.lock().await;
                if session.as_ref().is_some_and(|s| s.token == token) {
                    *session = None;
                }
                continue;
            }
            return self.read(resp).await;
        }
    }

    /// GET of a whole collection. `query` is added to every page's URL. The first page says
    /// how many items there are (`metadata.count`); the later pages are then read together,
    /// [`PAGES_AT_ONCE`] at a time, and the pages after them one by one while Mage says there
    /// are more (the collection grew meanwhile).
    pub async fn list<T: DeserializeOwned>(&self, resource: &str, query: &str) -> Result<Vec<T>> {
        use futures_util::stream::{StreamExt as _, TryStreamExt as _};
        let first = self.page::<T>(resource, query, 0).await?;
        let mut out = first.items;
        let step = out.len();
        if !first.next || step == 0 {
            return Ok(out);
        }
        let mut offset = step;
        if first.count > offset {
            let offsets: Vec<usize> = (offset..first.count)
                .step_by(step)
                .take(MAX_PLANNED_PAGES)
                .collect();
            let pages: Vec<Page<T>> = futures_util::stream::iter(offsets)
                .map(|o| self.page::<T>(resource, query, o))
                .buffered(PAGES_AT_ONCE)
                .try_collect()
                .await?;
            let mut more = true;
            for p in pages {
                offset += p.items.len();
                more = p.next && !p.items.is_empty();
                out.extend(p.items);
                if !more {
                    break;
                }
            }
            if !more {
                return Ok(out);
            }
        }
        loop {
            let p = self.page::<T>(resource, query, offset).await?;
            let n = p.items.len();
            out.extend(p.items);
            if !p.next || n == 0 {
                return Ok(out);
            }
            offset += n;
        }
    }

    /// One page of a collection from `offset`.
    async fn page<T: DeserializeOwned>(
        &self,
        resource: &str,
        query: &str,
        offset: usize,
    ) -> Result<Page<T>> {
        let sep = if query.is_empty() { "" } else { "&" };
        let limit = self.page_size;
        let path = format!("{resource}?_limit={limit}&_offset={offset}{sep}{query}");
        let v = self.call(Method::GET, &path, None).await?;
        let items = v.get(resource).and_then(Value::as_array).ok_or_else(|| {
            Error::Store(format!(
                "Mage's answer to GET /api/{resource} has no '{resource}'"
            ))
        })?;
        let items = items
            .iter()
            .map(|item| {
                serde_json::from_value(item.clone())
                    .map_err(|e| Error::Store(format!("unexpected {resource} item from Mage: {e}")))
            })
            .collect::<Result<Vec<T>>>()?;
        let next = v
            .pointer("/metadata/next")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let count = v
            .pointer("/metadata/count")
            .and_then(Value::as_u64)
            .map_or(0, |c| usize::try_from(c).unwrap_or(usize::MAX));
        Ok(Page { items, next, count })
    }

    /// Reads a Mage answer: a 401 is an authentication error, an `error` object in the body is
    /// mapped by its `code` and `type` (never by its message, which 0.9.80 sometimes mixes up).
    async fn read(&self, resp: reqwest::Response) -> std::result::Result<Value, Failed> {
        let status = resp.status();
        let text = resp.text().await.map_err(|e| self.unreachable(&e))?;
        if status == StatusCode::UNAUTHORIZED {
            return Err(Failed::Other(Error::Forbidden(format!(
                "Mage at {} refused the API key or token: {}",
                self.url,
                first_line(&text)
            ))));
        }
        let value: Value = serde_json::from_str(&text).map_err(|_| {
            Error::Unreachable(format!(
                "{} answered HTTP {status} with something that is not JSON: {}",
                self.url,
                first_line(&text)
            ))
        })?;
        if let Some(err) = value.get("error") {
            let e: MageError = serde_json::from_value(err.clone()).unwrap_or(MageError {
                code: None,
                message: Some(err.to_string()),
                kind: None,
                errors: None,
                exception: None,
            });
            return Err(map_error(&e));
        }
        if !status.is_success() {
            return Err(Failed::Other(Error::Store(format!(
                "Mage answered HTTP {status}: {}",
                first_line(&text)
            ))));
        }
        Ok(value)
    }
}

/// The raw token inside Mage's JWT payload (`{"expires", "token"}`) and its expiry (Unix
/// seconds; 0 when absent, so such a token is never reused), read without checking the signature (the server
/// checks it; docs/MAGE.md §5.2).
fn inner_token(jwt: &str) -> Result<(String, f64)> {
    let payload = jwt
        .split('.')
        .nth(1)
        .ok_or_else(|| Error::Store("Mage's session token is not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| Error::Store(format!("Mage's JWT payload is not base64 ({e})")))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Store(format!("Mage's JWT payload is not JSON ({e})")))?;
    let token = v
        .get("token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| Error::Store("Mage's JWT payload has no token".into()))?;
    let expires = v.get("expires").and_then(Value::as_f64).unwrap_or(0.0);
    Ok((token, expires))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inner_token_is_read_from_the_jwt_payload() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHBpcmVzIjoxNzk4NjAyMzMxLjQ4MDIyMSwidG9rZW4iOiJBTTNqU01EM1cwY08tUlY5emRQc3l5SGFQMGN1QzNxb2Y5UGVUVTJSY1RrIn0.rtw8aZL67pRl8pf9k8VqdbZqoNN50AU8xDPezHHC4oo";
        let (token, expires) = inner_token(jwt).unwrap();
        assert_eq!(token, "AM3jSMD3W0cO-RV9zdPsyyHaP0cuC3qof9PeTU2RcTk");
        assert_eq!(expires, 1798602331.480221);
        assert!(inner_token("nope").is_err());
    }

    #[test]
    fn urls_are_checked() {
        let l = Login {
            user: "admin".into(),
            password: "x".into(),
        };
        assert!(MageClient::new("not a url", l.clone()).is_err());
        assert!(MageClient::new("ftp://h", l.clone()).is_err());
        let c = MageClient::new("http://127.0.0.1:6789/api/", l).unwrap();
        assert_eq!(c.url(), "http://127.0.0.1:6789");
        assert_eq!(
            c.endpoint("roles?_limit=1").unwrap().as_str(),
            "http://127.0.0.1:6789/api/roles?_limit=1"
        );
        assert!(!format!("{:?}", c.login).contains("\"x\""));
    }
}
