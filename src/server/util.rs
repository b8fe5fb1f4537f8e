//! Helpers the handlers share: running writes to completion, resolving names and ids in path
//! parameters, versions from `If-Match`.

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use crate::backend::Error;
use crate::policy::State;
use crate::service::Access;
use axum::http::header::{ETAG, IF_MATCH};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::future::Future;

/// Runs a write on its own task and waits for it: a client that hangs up, or the request
/// timeout, never cancels a write half-way (the service publishes its snapshot after the store
/// commits; both always happen).
pub(super) async fn spawned<T, F>(write: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: Future<Output = crate::backend::Result<T>> + Send + 'static,
{
    // In the request's span: what the write logs carries the request id.
    match tokio::spawn(tracing::Instrument::in_current_span(write)).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => Err(Error::Store(format!("the write stopped before it finished: {e}")).into()),
    }
}

/// Resolves a path parameter (a name or an id) for a write, in the whole current state. A
/// caller who may not write `entity` gets that 403 rather than a 404, so a write route tells
/// nothing about what exists to someone who may not change it.
pub(super) fn resolve_write<T>(
    c: &Caller,
    entity: &str,
    find: impl FnOnce(&State) -> crate::backend::Result<T>,
) -> ApiResult<T> {
    let service = c.backend.service();
    let snap = service.snapshot();
    match find(&snap.state) {
        Ok(v) => Ok(v),
        Err(e) => {
            service.authorize(c.actor(), Access::Write, entity)?;
            Err(e.into())
        }
    }
}

/// Resolves a path parameter for a read, in what the caller may see. Something that exists but
/// is hidden from the caller answers with the 403 of the missing read permission.
pub(super) fn resolve_read<T>(
    c: &Caller,
    visible: &State,
    entity: &str,
    find: impl FnOnce(&State) -> crate::backend::Result<T>,
) -> ApiResult<T> {
    match find(visible) {
        Ok(v) => Ok(v),
        Err(e) => {
            c.backend
                .service()
                .authorize(c.actor(), Access::Read, entity)?;
            Err(e.into())
        }
    }
}

/// The version an update is based on: `version` in the body, else the `If-Match` header.
pub(super) fn version_of(headers: &HeaderMap, body: Option<u64>) -> ApiResult<u64> {
    if let Some(v) = body {
        return Ok(v);
    }
    let Some(raw) = headers.get(IF_MATCH) else {
        return Err(ApiError::invalid(
            "version",
            "send the version you read (\"version\" in the body, or an If-Match header) so a \
             concurrent change is never overwritten",
        ));
    };
    let text = raw.to_str().unwrap_or("").trim();
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse::<u64>().map_err(|_| {
        ApiError::invalid(
            "version",
            format!("If-Match must hold the object's version (a number), not '{text}'"),
        )
    })
}

/// An answer with the object's version as its `ETag`.
pub(super) fn with_etag(version: u64, body: impl IntoResponse) -> Response {
    let mut res = body.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        res.headers_mut().insert(ETAG, v);
    }
    res
}
