//! What an operator sees of each request: its id (`X-Request-Id`, kept from the client when
//! sane, else a new UUID; on every answer), a tracing span (`request_id`, `method`, `route`)
//! around everything logged while it is served, one access line at its end (status, time,
//! key), and its metrics. The route is the route table's template (`/api/v1/roles/{id}`),
//! never the raw path, so logs and metrics stay bounded; a path outside the table is
//! `unmatched`.

use super::App;
use super::auth_log::{AuthFailure, KeyNote, ReadOnlyRefusal};
use crate::wire::{API_PREFIX, METRICS_PATH, Op, REQUEST_ID_HEADER, ROUTES, sane_request_id};
use axum::extract::{Request, State};
use axum::http::{HeaderName, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::LazyLock;
use std::time::Instant;
use tracing::Instrument;

/// The route label of a path outside the table.
pub(crate) const UNMATCHED: &str = "unmatched";

/// `"/api/v1" + path` of every route, in [`ROUTES`]' order.
static ROUTE_LABELS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ROUTES
        .iter()
        .map(|r| format!("{API_PREFIX}{}", r.path))
        .collect()
});

/// Which route a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RouteTag {
    /// The operation, when the path and method are in the table.
    pub op: Option<Op>,
    /// The route's template under [`API_PREFIX`] (also for a method the path does not answer),
    /// [`METRICS_PATH`], or [`UNMATCHED`].
    pub label: &'static str,
}

/// Whether `path`'s segments fit `template`'s (`{name}` fits any one segment); how many of
/// them are literal, when they fit (a literal segment wins over a parameter, as in axum).
fn fits(template: &str, path: &str) -> Option<usize> {
    let mut t = template.split('/');
    let mut p = path.split('/');
    let mut literal = 0;
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(literal),
            (Some(ts), Some(ps)) if ts.starts_with('{') && ts.ends_with('}') => {
                if ps.is_empty() {
                    return None;
                }
            }
            (Some(ts), Some(ps)) if ts == ps => literal += 1,
            _ => return None,
        }
    }
}

/// The route of a request: the table's template that fits its path best (the one answering its
/// method on a tie).
pub(crate) fn route_of(method: &Method, path: &str) -> RouteTag {
    if path == METRICS_PATH {
        return RouteTag {
            op: None,
            label: METRICS_PATH,
        };
    }
    let unmatched = RouteTag {
        op: None,
        label: UNMATCHED,
    };
    let Some(rest) = path.strip_prefix(API_PREFIX) else {
        return unmatched;
    };
    let mut best: Option<(usize, bool, usize)> = None;
    for (i, r) in ROUTES.iter().enumerate() {
        let Some(literal) = fits(r.path, rest) else {
            continue;
        };
        let answers = r.method.as_str() == method.as_str();
        if best.is_none_or(|(l, a, _)| (literal, answers) > (l, a)) {
            best = Some((literal, answers, i));
        }
    }
    match best {
        Some((_, answers, i)) => RouteTag {
            op: answers.then_some(ROUTES[i].op),
            label: ROUTE_LABELS[i].as_str(),
        },
        None => unmatched,
    }
}

/// The method label: the API's methods (and the preflight's `OPTIONS`, `HEAD`) by name, any
/// other as `other`.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::HEAD => "HEAD",
        _ => "other",
    }
}

/// The engine questions whose latency is measured.
fn is_question(op: Op) -> bool {
    matches!(
        op,
        Op::Check | Op::Explain | Op::DecideCall | Op::WhoCan | Op::WhatCan
    )
}

/// The request id header's name.
pub(crate) fn request_id_header() -> HeaderName {
    HeaderName::from_static(REQUEST_ID_HEADER)
}

/// Drops a client-sent request id that is not sane (too long, odd characters, or given twice),
/// so the next layer makes a new one.
pub(crate) async fn drop_odd_request_id(mut req: Request, next: Next) -> Response {
    let name = request_id_header();
    let mut given = req.headers().get_all(&name).iter();
    let keep = match (given.next(), given.next()) {
        (Some(v), None) => sane_request_id(v.as_bytes()),
        (None, _) => true,
        _ => false,
    };
    if !keep {
        req.headers_mut().remove(&name);
    }
    next.run(req).await
}

/// Why a 401 or 403 answer refused the request.
fn refusal(res: &Response) -> Option<AuthFailure> {
    match res.status() {
        StatusCode::UNAUTHORIZED => Some(
            res.extensions()
                .get::<KeyNote>()
                .and_then(|n| n.refused)
                .unwrap_or(AuthFailure::InvalidKey),
        ),
        StatusCode::FORBIDDEN if res.extensions().get::<ReadOnlyRefusal>().is_some() => {
            Some(AuthFailure::ReadOnly)
        }
        StatusCode::FORBIDDEN => Some(AuthFailure::Forbidden),
        _ => None,
    }
}

/// Serves the request inside its span, then counts it and writes its access line: at `info`
/// for a 401 or 403 (with the route and the key's prefix and id, never the secret), `warn` for
/// a server error, `debug` otherwise (target `gatehouse::access`).
pub(crate) async fn observe(State(app): State<App>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let tag = route_of(&method, req.uri().path());
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        route = tag.label
    );
    let res = next.run(req).instrument(span.clone()).await;
    let elapsed = start.elapsed();
    let status = res.status();
    let m = &app.metrics;
    m.request(method_label(&method), tag.label, status.as_u16());
    if tag.op.is_some_and(is_question) {
        m.check_latency(tag.label, elapsed.as_secs_f64());
    }
    let refused = refusal(&res);
    if let Some(why) = refused {
        m.auth_failure(why);
    }
    // Milliseconds, to the microsecond.
    let ms = (elapsed.as_secs_f64() * 1e6).round() / 1e3;
    let note = res.extensions().get::<KeyNote>();
    let key = note.map(|n| n.key.as_str());
    let key_id = note.and_then(|n| n.key_id).map(|i| i.to_string());
    let status = status.as_u16();
    span.in_scope(|| match refused {
        Some(why) => tracing::info!(
            target: "gatehouse::access",
            status, ms, key, key_id = key_id.as_deref(), reason = why.as_str(),
            "request refused"
        ),
        None if status >= 500 => tracing::warn!(
            target: "gatehouse::access",
            status, ms, key, key_id = key_id.as_deref(),
            "request failed"
        ),
        None => tracing::debug!(
            target: "gatehouse::access",
            status, ms, key, key_id = key_id.as_deref(),
            "request"
        ),
    });
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_found_by_its_own_path_and_others_are_unmatched() {
        for (i, r) in ROUTES.iter().enumerate() {
            let path = format!(
                "{API_PREFIX}{}",
                r.path
                    .split('/')
                    .map(|s| if s.starts_with('{') { "x1" } else { s })
                    .collect::<Vec<_>>()
                    .join("/")
            );
            let m = Method::from_bytes(r.method.as_str().as_bytes()).unwrap();
            let tag = route_of(&m, &path);
            assert_eq!(tag.op, Some(r.op), "{path}");
            assert_eq!(tag.label, ROUTE_LABELS[i], "{path}");
        }
        // A literal segment wins over a parameter; a path the method does not answer keeps
        // its template without an operation.
        assert_eq!(
            route_of(&Method::GET, "/api/v1/me/resources").op,
            Some(Op::MyResources)
        );
        let t = route_of(&Method::PATCH, "/api/v1/roles/abc");
        assert_eq!((t.op, t.label), (None, "/api/v1/roles/{id}"));
        for odd in [
            "/api/v1/roles/",
            "/api/v1/roles/a/b/c/d",
            "/api/v2/roles",
            "/",
            "/api/v1",
            "/api/v1/nope",
        ] {
            assert_eq!(route_of(&Method::GET, odd).label, UNMATCHED, "{odd}");
        }
        assert_eq!(route_of(&Method::GET, "/metrics").label, METRICS_PATH);
    }
}
