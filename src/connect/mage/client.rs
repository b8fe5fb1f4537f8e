//! [`MageClient`]: Mage's REST API conventions (`docs/MAGE.md` §5) in one place — the fixed
//! `X-API-KEY` on every call, login through `POST /api/sessions` with the inner token sent as
//! `Authorization: Bearer`, bodies wrapped by resource name, paging with `_limit`/`_offset`,
//! errors read from the body (Mage answers HTTP 200 with an `error` object), and a second login
//! when the token has expired.

use crate::backend::{Error, Result};
use base64::Engine as _;
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::Mutex;

/// Mage's fixed OAuth client id (`OAUTH2_APPLICATION_CLIENT_ID`), the same on every install.
pub const MAGE_API_KEY: &str = "zkWlN0PkIKSN0C11CfUHUj84OT5XOJ6tDZ6bDRO2";

/// Page size for lists (Mage's default is 40; its UI asks for 1000).
pub const PAGE: usize = 1000;

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
    logins: std::sync::atomic::AtomicU64,
}

/// Mage's error object (`{"error": {"code", "message", "type", "errors"?, "exception"?}}`).
#[derive(Debug, Deserialize)]
struct MageError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    errors: Option<Value>,
    #[serde(default)]
    exception: Option<String>,
}

/// Why a call failed, as Mage's answer says: its 0.9.80 `Query.from_self()` failure (raised
/// while presenting a user or a permission after the write itself succeeded, docs/MAGE.md
/// §5.4) is told apart by kind, so a write can read its object back instead.
#[derive(Debug)]
enum Failed {
    /// The `from_self` failure: the write was saved, its answer could not be presented.
    FromSelf(Error),
    /// Any other failure.
    Other(Error),
}

impl From<Error> for Failed {
    fn from(e: Error) -> Failed {
        Failed::Other(e)
    }
}

impl From<Failed> for Error {
    fn from(f: Failed) -> Error {
        match f {
            Failed::FromSelf(e) | Failed::Other(e) => e,
        }
    }
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
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::Unreachable(format!("cannot build an HTTP client: {e}")))?;
        Ok(MageClient {
            base,
            url: shown,
            http,
            login,
            session: Mutex::new(None),
            logins: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The server's URL as given (without `/api`), its password masked.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many times this client logged in (once, plus once per expired token).
    pub fn logins(&self) -> u64 {
        self.logins.load(std::sync::atomic::Ordering::Relaxed)
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
        let token = inner_token(jwt)?;
        let user = value
            .pointer("/session/user")
            .cloned()
            .unwrap_or(Value::Null);
        self.logins
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Session { token, user })
    }

    /// The user Mage returned at login (logging in when not yet done).
    pub async fn me(&self) -> Result<Value> {
        {
            let s = self.session.lock().await;
            if let Some(s) = s.as_ref() {
                return Ok(s.user.clone());
            }
        }
        self.login().await
    }

    async fn token(&self) -> Result<String> {
        let mut session = self.session.lock().await;
        if let Some(s) = session.as_ref() {
            return Ok(s.token.clone());
        }
        let s = self.do_login().await?;
        let t = s.token.clone();
        *session = Some(s);
        Ok(t)
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

    /// GET of a whole collection, page by page. `query` is added to every page's URL.
    pub async fn list<T: DeserializeOwned>(&self, resource: &str, query: &str) -> Result<Vec<T>> {
        let mut out: Vec<T> = Vec::new();
        let mut offset = 0usize;
        loop {
            let sep = if query.is_empty() { "" } else { "&" };
            let path = format!("{resource}?_limit={PAGE}&_offset={offset}{sep}{query}");
            let v = self.call(Method::GET, &path, None).await?;
            let items = v.get(resource).and_then(Value::as_array).ok_or_else(|| {
                Error::Store(format!(
                    "Mage's answer to GET /api/{resource} has no '{resource}'"
                ))
            })?;
            let n = items.len();
            for item in items {
                out.push(serde_json::from_value(item.clone()).map_err(|e| {
                    Error::Store(format!("unexpected {resource} item from Mage: {e}"))
                })?);
            }
            let next = v
                .pointer("/metadata/next")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if !next || n == 0 {
                return Ok(out);
            }
            offset += n;
        }
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

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    crate::text::sanitize(&line.chars().take(200).collect::<String>()).into_owned()
}

/// Maps Mage's error object to gatehouse's error kinds.
fn map_error(e: &MageError) -> Failed {
    let message = e.message.clone().unwrap_or_default();
    let detail = match &e.errors {
        Some(Value::Null) | None => String::new(),
        Some(v) => format!(" ({})", first_line(&v.to_string())),
    };
    let exception = e.exception.clone().unwrap_or_default();
    let text = format!("{message}{detail}");
    if exception.contains("from_self") || message.contains("from_self") {
        // Mage 0.9.80's SQLAlchemy 2 incompatibility (docs/MAGE.md §5.4), read from Mage's
        // own exception text: the one place its words are all there is to go by.
        return Failed::FromSelf(Error::Store(format!(
            "Mage 0.9.80 from_self failure: {text}"
        )));
    }
    Failed::Other(match (e.code, e.kind.as_deref()) {
        (_, Some("record_invalid")) | (Some(400), _) => Error::invalid("mage", text),
        (Some(401 | 403), _) => Error::Forbidden(format!("Mage refused: {text}")),
        (Some(404), _) => Error::not_found("Mage object", text),
        (Some(500), _) if exception.contains("UNIQUE") || exception.contains("IntegrityError") => {
            Error::Conflict(format!(
                "Mage refused a duplicate: {}",
                first_line(&exception)
            ))
        }
        _ => Error::Store(format!(
            "Mage error {}: {text}{}",
            e.code.map(|c| c.to_string()).unwrap_or_default(),
            if exception.is_empty() {
                String::new()
            } else {
                format!(" [{}]", first_line(&exception))
            }
        )),
    })
}

/// The raw token inside Mage's JWT payload (`{"expires", "token"}`), read without checking
/// the signature (the server checks it; docs/MAGE.md §5.2).
fn inner_token(jwt: &str) -> Result<String> {
    let payload = jwt
        .split('.')
        .nth(1)
        .ok_or_else(|| Error::Store("Mage's session token is not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| Error::Store(format!("Mage's JWT payload is not base64 ({e})")))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Store(format!("Mage's JWT payload is not JSON ({e})")))?;
    v.get("token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| Error::Store("Mage's JWT payload has no token".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inner_token_is_read_from_the_jwt_payload() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHBpcmVzIjoxNzk4NjAyMzMxLjQ4MDIyMSwidG9rZW4iOiJBTTNqU01EM1cwY08tUlY5emRQc3l5SGFQMGN1QzNxb2Y5UGVUVTJSY1RrIn0.rtw8aZL67pRl8pf9k8VqdbZqoNN50AU8xDPezHHC4oo";
        assert_eq!(
            inner_token(jwt).unwrap(),
            "AM3jSMD3W0cO-RV9zdPsyyHaP0cuC3qof9PeTU2RcTk"
        );
        assert!(inner_token("nope").is_err());
    }

    #[test]
    fn errors_map_by_code_and_type() {
        let e = |code, kind: &str, exc: &str| MageError {
            code: Some(code),
            message: Some("m".into()),
            kind: Some(kind.into()),
            errors: None,
            exception: Some(exc.into()),
        };
        assert!(matches!(
            Error::from(map_error(&e(200, "record_invalid", ""))),
            Error::Invalid { .. }
        ));
        assert!(matches!(
            Error::from(map_error(&e(403, "x", ""))),
            Error::Forbidden(_)
        ));
        assert!(matches!(
            Error::from(map_error(&e(404, "x", ""))),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            Error::from(map_error(&e(
                500,
                "x",
                "IntegrityError UNIQUE constraint failed: role.name"
            ))),
            Error::Conflict(_)
        ));
        assert!(matches!(
            map_error(&e(
                500,
                "x",
                "'CachingQuery' object has no attribute 'from_self'"
            )),
            Failed::FromSelf(Error::Store(_))
        ));
        let worded = e(500, "x", "");
        let worded = MageError {
            message: Some("from_self in the message only".into()),
            ..worded
        };
        assert!(
            matches!(map_error(&worded), Failed::FromSelf(_)),
            "Mage's own message names it too"
        );
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
