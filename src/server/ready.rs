//! The operator's endpoints: `GET /api/v1/readyz` (may this server take traffic?) and
//! `GET /metrics` (Prometheus). Neither needs a key: readiness says revisions only, and the
//! metrics hold counts by route template, never names, ids or secrets (docs/OPERATING.md).

use super::App;
use super::metrics::CONTENT_TYPE as METRICS_TYPE;
use crate::wire::{Readiness, ReadyChecks};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// The longest `/readyz` waits for the store's revision.
pub(crate) const STORE_WITHIN: Duration = Duration::from_secs(2);

/// `GET /readyz`: 200 when the store answers a revision read within [`STORE_WITHIN`] and the
/// served snapshot's index is built, else 503; the same JSON either way.
pub(super) async fn ready(State(app): State<App>) -> Response {
    let read = tokio::time::timeout(STORE_WITHIN, app.service.store_revision()).await;
    let snap = app.service.snapshot();
    let revision = snap.state.revision;
    let index = snap.index_built();
    let (store_revision, store_failure) = match read {
        Ok(Ok(r)) => (Some(r), None),
        Ok(Err(e)) => {
            // The error may name the store's host or file: logged, not answered.
            tracing::warn!("readiness: cannot read the store's revision: {e}");
            (
                None,
                Some("the store did not answer a revision read".to_string()),
            )
        }
        Err(_) => (
            None,
            Some(format!(
                "the store did not answer a revision read within {} s",
                STORE_WITHIN.as_secs()
            )),
        ),
    };
    let (failed, reason) = match (store_failure, index) {
        (Some(why), _) => (Some("store".to_string()), Some(why)),
        (None, false) => (
            Some("index".to_string()),
            Some("the decision index is not built yet".to_string()),
        ),
        (None, true) => (None, None),
    };
    let body = Readiness {
        ready: failed.is_none(),
        revision,
        store_revision,
        lag: store_revision.map(|s| s.saturating_sub(revision)),
        checks: ReadyChecks {
            store: store_revision.is_some(),
            index,
        },
        failed,
        reason,
    };
    let status = if body.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, [(CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// `GET /metrics`: the exposition, the revision gauges as of now.
pub(super) async fn metrics(State(app): State<App>) -> Response {
    let served = app.service.snapshot().state.revision;
    let text = app
        .metrics
        .render(served, app.service.store_revision_seen());
    (
        [(CONTENT_TYPE, METRICS_TYPE), (CACHE_CONTROL, "no-store")],
        text,
    )
        .into_response()
}
