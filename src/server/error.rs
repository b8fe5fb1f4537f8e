//! Errors as HTTP answers, and the extractors that turn bad input into the same JSON error body
//! (`{"error": {"code": "invalid", "field": "body", …}}`) instead of axum's plain text.

use crate::backend::Error;
use crate::wire::{ErrorBody, ErrorWire, INVALID_KEY, UNSUPPORTED_MEDIA_TYPE};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// An error answer: the wire error and its status.
#[derive(Debug, Clone)]
pub struct ApiError(pub Box<ErrorWire>);

impl ApiError {
    /// An answer with this wire error.
    pub fn wire(w: ErrorWire) -> ApiError {
        ApiError(Box::new(w))
    }

    /// 401 `Invalid API key`.
    pub fn unauthorized() -> ApiError {
        ApiError::wire(ErrorWire::plain("unauthorized", INVALID_KEY))
    }

    /// 413 with the limit in the message.
    pub fn too_large(limit: usize) -> ApiError {
        let mut w = ErrorWire::plain(
            "too_large",
            format!(
                "the request body is larger than the server accepts ({} KiB)",
                limit / 1024
            ),
        );
        w.field = Some("body".into());
        ApiError::wire(w)
    }

    /// 408 after the server's request timeout.
    pub fn timeout(secs: u64) -> ApiError {
        ApiError::wire(ErrorWire::plain(
            "timeout",
            format!(
                "the request took longer than the server allows ({secs} s); a write it carried \
                 may still complete, so look before sending it again"
            ),
        ))
    }

    /// 404 for a path the API does not have.
    pub fn no_route(method: &str, path: &str) -> ApiError {
        let mut w = ErrorWire::plain(
            "not_found",
            format!("no route {method} {path}; the API is under /api/v1"),
        );
        w.kind = Some("route".into());
        w.name = Some(format!("{method} {path}"));
        w.hint = Some("; the API is under /api/v1".into());
        ApiError::wire(w)
    }

    /// Invalid input in `field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::from(Error::invalid(field, message))
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        ApiError::wire(ErrorWire::from(&e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(ErrorBody { error: *self.0 })).into_response()
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

/// A JSON request body, limited by the route's body limit. It must be sent as
/// `Content-Type: application/json` (415 otherwise); bad JSON is a 400 naming `body`, and JSON
/// of the wrong shape (an unknown field, a wrong type, a missing field) a 400 naming where it
/// is wrong (`disabld`, `permissions[3].entity_uuid`; `body` for the whole).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        check_json_content_type(req.headers())?;
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                let mut w = ErrorWire::plain("too_large", e.body_text());
                w.field = Some("body".into());
                ApiError::wire(w)
            } else {
                ApiError::invalid("body", e.body_text())
            }
        })?;
        if bytes.is_empty() {
            return Err(ApiError::invalid(
                "body",
                "the request needs a JSON body (Content-Type: application/json)",
            ));
        }
        parse_json(&bytes).map(JsonBody)
    }
}

/// The media type every JSON body is sent as.
const JSON_TYPE: &str = "application/json";

/// Refuses a body that is not declared as JSON: `application/json` (with any parameters, such
/// as `charset=utf-8`) or a `+json` type. A form or plain text posted by mistake (`curl -d`
/// sends `application/x-www-form-urlencoded`) is a 415 saying which header to send.
fn check_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let declared = headers
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not text)").trim());
    let essence = declared
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let is_json = essence == JSON_TYPE
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"));
    if is_json {
        return Ok(());
    }
    let found = match declared {
        None => "none was sent".to_string(),
        Some(v) => format!("'{v}' was sent"),
    };
    let mut w = ErrorWire::plain(
        UNSUPPORTED_MEDIA_TYPE,
        format!(
            "the request body must be JSON sent with the header Content-Type: {JSON_TYPE}; \
             {found}"
        ),
    );
    w.field = Some("content-type".into());
    Err(ApiError::wire(w))
}

/// Parses a JSON body, locating a shape error at its path in the document.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = path_text(e.path());
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data if !field.is_empty() => {
                ApiError::invalid(&field, inner.to_string())
            }
            serde_json::error::Category::Data => {
                ApiError::invalid("body", format!("not the expected JSON: {inner}"))
            }
            _ => ApiError::invalid("body", format!("not valid JSON: {inner}")),
        }
    })?;
    de.end()
        .map_err(|e| ApiError::invalid("body", format!("not valid JSON: {e}")))?;
    Ok(value)
}

/// `permissions[3].entity_uuid`: where in the document an error is; empty for the whole.
fn path_text(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Enum { .. } => {}
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    out
}

/// Query-string parameters; bad ones (an unknown one included: `?dryrun=true` must not import
/// for real) are a 400 naming `query`.
#[derive(Debug)]
pub struct Params<T>(pub T);

impl<S, T> FromRequestParts<S> for Params<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Params(q.0))
            .map_err(|e| ApiError::invalid("query", e.body_text()))
    }
}

/// Path parameters; undecodable ones are a 400 naming `path`.
#[derive(Debug)]
pub struct PathArgs<T>(pub T);

impl<S, T> FromRequestParts<S> for PathArgs<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathArgs(p.0))
            .map_err(|e| ApiError::invalid("path", e.body_text()))
    }
}
