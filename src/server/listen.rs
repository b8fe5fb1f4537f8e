//! The accept loop (what `axum::serve` does, with limits): each connection is served by hyper's
//! HTTP/1 with a header-read timeout — which also closes a keep-alive connection left idle for
//! that long, since the timer runs while the server waits for the next request's head — and at
//! most [`ServerConfig::max_connections`](super::ServerConfig::max_connections) connections are
//! served at once: beyond that a connection gets one `503` JSON answer and is closed. A graceful
//! shutdown stops accepting, lets every in-flight request finish and closes idle connections.
//!
//! With TLS ([`super::tls`]) each connection first completes its handshake, on its own task,
//! within the header-read timeout (a client that stalls there holds its slot no longer than
//! one that stalls sending a head); a refused connection gets its 503 over TLS the same way.
//! A shutdown also abandons handshakes still under way.

use crate::wire::{ErrorBody, ErrorWire};
use axum::body::Body;
use axum::http::header::{CONNECTION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

/// The limits of the accept loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The longest a client may take to send a request's head, and the longest a keep-alive
    /// connection may wait idle for the next one.
    pub header_read_timeout: Duration,
    /// The most connections served at once.
    pub max_connections: usize,
}

/// A connection's stream: TCP, or TLS over TCP once its handshake is done.
trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// Completes the TLS handshake of `stream` when there is an acceptor, within `within`; `None`
/// when it fails, times out, or the server stops meanwhile.
async fn handshake(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    within: Duration,
    mut stopping: watch::Receiver<bool>,
) -> Option<Box<dyn Io>> {
    let Some(acceptor) = tls else {
        return Some(Box::new(stream));
    };
    tokio::select! {
        done = tokio::time::timeout(within, acceptor.accept(stream)) => match done {
            Ok(Ok(tls)) => Some(Box::new(tls)),
            Ok(Err(e)) => {
                tracing::debug!("TLS handshake failed: {e}");
                None
            }
            Err(_) => {
                tracing::debug!("TLS handshake timed out after {within:?}");
                None
            }
        },
        _ = stopping.wait_for(|s| *s) => None,
    }
}

/// Connections refused (answered 503) at the same time at most; beyond, a connection is
/// closed without an answer. Each lives at most one header-read timeout.
const MAX_REFUSING: usize = 64;

/// How long the loop waits after an accept error (out of file descriptors …) before the next.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` within `limits` until `shutdown` completes, then lets
/// in-flight requests finish.
pub(crate) async fn serve(
    listener: TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
    tls: Option<super::tls::Tls>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let (stop_handshakes, stopping) = watch::channel(false);
    let within = limits.header_read_timeout;
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let mut refuse = hyper::server::conn::http1::Builder::new();
    refuse
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(false);
    let busy = Arc::new(busy_body(limits.max_connections));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let acceptor = tls.as_ref().map(super::tls::Tls::acceptor);
        let stopping = stopping.clone();
        match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                let http = http.clone();
                let service = TowerToHyperService::new(router.clone());
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    if let Some(io) = handshake(stream, acceptor, within, stopping).await {
                        let conn = http.serve_connection(TokioIo::new(io), service);
                        if let Err(e) = watcher.watch(conn).await {
                            tracing::debug!("connection ended: {e}");
                        }
                    }
                    drop(slot);
                });
            }
            Err(_) => {
                let Ok(turn) = refusing.clone().try_acquire_owned() else {
                    // Far over the limit: closed at once.
                    continue;
                };
                tracing::debug!(
                    max = limits.max_connections,
                    "connection refused: at the connection limit"
                );
                let busy = busy.clone();
                let answer = hyper::service::service_fn(move |_req| {
                    let busy = busy.clone();
                    async move { Ok::<_, Infallible>(busy_response(&busy)) }
                });
                let refuse = refuse.clone();
                tokio::spawn(async move {
                    if let Some(io) = handshake(stream, acceptor, within, stopping).await {
                        let _ = refuse.serve_connection(TokioIo::new(io), answer).await;
                    }
                    drop(turn);
                });
            }
        }
    }
    drop(listener);
    let _ = stop_handshakes.send(true);
    graceful.shutdown().await;
    Ok(())
}

/// The JSON error body of a refused connection.
fn busy_body(max: usize) -> String {
    let body = ErrorBody {
        error: ErrorWire::plain(
            "unavailable",
            format!(
                "the server is serving as many connections as it allows ({max}); try again in a \
                 moment, or reuse a connection (keep-alive)"
            ),
        ),
    };
    serde_json::to_string(&body).unwrap_or_default()
}

/// `503 Service Unavailable` with the JSON error, `Retry-After: 1`, and the connection closed.
fn busy_response(body: &str) -> Response<Body> {
    let mut res = Response::new(Body::from(body.to_string()));
    *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(RETRY_AFTER, HeaderValue::from_static("1"));
    h.insert(CONNECTION, HeaderValue::from_static("close"));
    res
}
