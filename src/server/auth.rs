//! Who is calling: `Authorization: Bearer ghk_…` is checked against the current snapshot on
//! every request (so a revoked key is refused from the very next request), and becomes a
//! per-request [`LocalBackend`] acting as the key's user — read-only for a read-only key — so
//! the server behaves exactly like the local backend. Also: the write gate, and the layer that
//! finishes every answer (revision and warning headers, JSON error bodies, the timeout).

use super::App;
use super::auth_log::{AuthFailure, KeyNote, ReadOnlyRefusal, prefix_of};
use super::error::ApiError;
use crate::backend::Error;
use crate::connect::LocalBackend;
use crate::service::Actor;
use crate::wire::{NO_AUTH_WARNING, REVISION_HEADER, WARNING_HEADER};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WARNING};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// The caller of one request, as the handlers see it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The service acting as the caller.
    pub backend: LocalBackend,
    /// The key is read-only.
    pub read_only_key: bool,
}

impl Caller {
    /// The acting principal.
    pub fn actor(&self) -> &Actor {
        self.backend.actor()
    }
}

/// The secret of a `Bearer` authorization header.
fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Authenticates the request (or, with `--no-auth`, acts as the owner) and hands the handlers a
/// [`Caller`]. Every failure is the same 401 "Invalid API key". Every answer carries a
/// [`KeyNote`] naming the key (its public prefix and id, never the secret) for the access log.
pub async fn authenticate(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let (caller, note) = match &app.no_auth_actor {
        Some(actor) => (
            Caller {
                backend: LocalBackend::new(
                    app.service.clone(),
                    actor.clone(),
                    app.location.clone(),
                ),
                read_only_key: false,
            },
            KeyNote {
                key: "(no-auth)".into(),
                key_id: None,
                refused: None,
            },
        ),
        None => match known_key(&app, bearer(&req).map(str::to_owned)).await {
            Ok(found) => found,
            Err(note) => {
                let mut res = ApiError::unauthorized().into_response();
                res.extensions_mut().insert(note);
                return res;
            }
        },
    };
    req.extensions_mut().insert(caller);
    let mut res = next.run(req).await;
    res.extensions_mut().insert(note);
    res
}

/// The caller of a request's `Bearer` key, or the note of why it was refused.
async fn known_key(app: &App, secret: Option<String>) -> Result<(Caller, KeyNote), KeyNote> {
    let Some(secret) = secret.as_deref() else {
        return Err(KeyNote {
            key: prefix_of(None),
            key_id: None,
            refused: Some(AuthFailure::MissingKey),
        });
    };
    let mut found = app.service.authenticate(secret);
    if found.is_err() {
        // Cheap: the lookup is in memory; waiters on another request's read see its
        // result here.
        key_miss_refresh(app).await;
        found = app.service.authenticate(secret);
    }
    let Ok((user, key)) = found else {
        return Err(KeyNote {
            key: prefix_of(Some(secret)),
            key_id: None,
            refused: Some(AuthFailure::InvalidKey),
        });
    };
    let note = KeyNote {
        key: key.prefix.clone(),
        key_id: Some(key.id),
        refused: None,
    };
    if let Some(at) = app.service.note_key_use(key.id) {
        let service = app.service.clone();
        tokio::spawn(
            async move {
                if let Err(e) = service.touch_key(key.id, at).await {
                    tracing::warn!("cannot record the use of key {}: {e}", key.prefix);
                }
            }
            .in_current_span(),
        );
    }
    let caller = Caller {
        backend: LocalBackend::new(
            app.service.clone(),
            Actor::user(&user, key.read_only),
            app.location.clone(),
        ),
        read_only_key: key.read_only,
    };
    Ok((caller, note))
}

/// The shortest time between two store revision reads caused by requests (unknown keys, an
/// `at_least_revision` ahead of the snapshot).
pub(crate) const STALE_READ_EVERY: Duration = Duration::from_millis(100);

/// A key this server does not know may have been created a moment ago by another process (the
/// CLI on the same store, another replica) whose write has not reached this snapshot yet: read
/// the store's revision and reload when it moved, so a new key works at once on every
/// replica. See [`refresh_throttled`]: a flood of bad keys cannot flood the store.
async fn key_miss_refresh(app: &App) {
    if let Err(e) = refresh_throttled(app).await {
        tracing::warn!("cannot read the store's revision for an unknown key: {e}");
    }
}

/// Reads the store's revision and reloads when it moved, for a request that suspects this
/// snapshot is behind. Single-flight: requests that arrive while a read is running wait for
/// it and see its result; and such reads happen at most once per [`STALE_READ_EVERY`] for all
/// requests together — within that time a request gets the snapshot as it is (so callers
/// flooding the server with unknown keys or far-ahead revisions cost one cheap read per
/// interval, never a reload each).
pub(crate) async fn refresh_throttled(app: &App) -> crate::backend::Result<()> {
    let mut last = app.stale_read.lock().await;
    if last.is_some_and(|t| t.elapsed() < STALE_READ_EVERY) {
        return Ok(());
    }
    *last = Some(Instant::now());
    app.service.refresh_if_stale().await.map(|_| ())
}

/// On a write route: refuses a read-only key before the body is read.
pub async fn write_gate(req: Request, next: Next) -> Response {
    let read_only = req
        .extensions()
        .get::<Caller>()
        .is_none_or(|c| c.actor().read_only);
    if read_only {
        let mut res = ApiError::from(Error::Forbidden(
            "this API key is read-only; it can never write".into(),
        ))
        .into_response();
        res.extensions_mut().insert(ReadOnlyRefusal);
        return res;
    }
    next.run(req).await
}

/// The largest plain-text error body turned into a JSON error.
const PLAIN_ERROR_LIMIT: usize = 64 * 1024;

/// Runs the request within the server's timeout, turns any plain-text error (a framework
/// rejection) into the JSON error body, and adds the revision header (and the `--no-auth`
/// warning). The request's span and access line are [`observe`](super::observe)'s.
pub async fn finish(State(app): State<App>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut res = match tokio::time::timeout(app.timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => ApiError::timeout(app.timeout.as_secs()).into_response(),
    };
    let status = res.status();
    if (status.is_client_error() || status.is_server_error()) && !is_json(&res) {
        res = json_error(res, method.as_str(), &path).await;
    }
    let headers = res.headers_mut();
    if !headers.contains_key(REVISION_HEADER) {
        let rev = app.service.snapshot().state.revision;
        headers.insert(REVISION_HEADER, HeaderValue::from(rev));
    }
    if app.no_auth_actor.is_some() {
        headers.insert(WARNING_HEADER, HeaderValue::from_static(NO_AUTH_WARNING));
        headers.insert(
            WARNING,
            HeaderValue::from_static(
                "299 gatehouse \"authentication is disabled (serve --no-auth): every caller acts as the store's owner\"",
            ),
        );
    }
    res
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Replaces a plain-text error answer by the JSON error body with the same status.
async fn json_error(res: Response, method: &str, path: &str) -> Response {
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, PLAIN_ERROR_LIMIT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let err = match parts.status {
        StatusCode::NOT_FOUND => ApiError::no_route(method, path),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::wire(crate::wire::ErrorWire::plain(
            "method_not_allowed",
            format!("{path} does not answer {method}"),
        )),
        StatusCode::PAYLOAD_TOO_LARGE => {
            let mut w = crate::wire::ErrorWire::plain("too_large", text);
            w.field = Some("body".into());
            ApiError::wire(w)
        }
        s if s.is_client_error() => ApiError::invalid("request", text),
        _ => ApiError::wire(crate::wire::ErrorWire::plain(
            "store",
            if text.is_empty() {
                "the server failed to answer".to_string()
            } else {
                text
            },
        )),
    };
    let mut out = err.into_response();
    *out.status_mut() = parts.status;
    // What the layers inside noted for the access log (the key, a read-only refusal).
    out.extensions_mut().extend(parts.extensions);
    for (name, value) in parts.headers.iter() {
        if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}
