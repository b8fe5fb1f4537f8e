//! Everything but objects, relations and engine questions: health, the caller, catalogs, the
//! state snapshot, API keys, okdata-style resource grants, audit, presets, import and export.

use super::App;
use super::auth::Caller;
use super::error::{ApiError, ApiResult, JsonBody, Params, PathArgs};
use super::paging::{GrantKey, Page, PageOf};
use super::util::{resolve_write, spawned};
use crate::backend::{Backend, Capabilities};
use crate::backend::{Error, ImportReport, PolicyDoc, find_user};
use crate::model::AuditQuery;
use crate::model::{AuditEvent, Revision};
use crate::service::Access;
use crate::wire::{
    ApplyBody, AuditPage, AuditParams, CatalogSummary, DEFAULT_AUDIT_PAGE, DryRunParams, GrantBody,
    Health, KeyCreate, KeyCreated, KeyWire, MAX_AUDIT_PAGE, MeWire, MyResource, RevisionBody,
    RevokeParams, StateWire, WATCH_WAIT, WatchAnswer, WatchParams,
};
use axum::Json;
use axum::extract::{Extension, State};
use axum::http::header::{ETAG, IF_NONE_MATCH, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub(super) async fn health(State(app): State<App>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        revision: app.service.snapshot().state.revision,
    })
}

pub(super) async fn me(
    State(app): State<App>,
    Extension(c): Extension<Caller>,
) -> ApiResult<Json<MeWire>> {
    let mut me = c.backend.me().await?;
    if c.read_only_key {
        me.read_only_reason = Some("the API key is read-only".into());
    }
    me.auth_disabled = app.no_auth_actor.is_some();
    Ok(Json(MeWire {
        me,
        read_only_key: c.read_only_key,
        capabilities: Capabilities::ALL,
        server_version: env!("CARGO_PKG_VERSION").into(),
    }))
}

/// The catalogs, by name.
pub(super) async fn catalogs(Extension(c): Extension<Caller>, page: Page) -> ApiResult<Response> {
    let cats = c.backend.catalogs().await?;
    let mut rows: Vec<CatalogSummary> = cats
        .all()
        .iter()
        .map(|c| CatalogSummary {
            name: c.name.clone(),
            title: c.title.clone(),
            dialect: format!("{:?}", c.dialect).to_lowercase(),
            entities: c.entities.len(),
            flags: c.flags.len(),
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(page.slice(rows, |c| c.name.clone())?.respond(&page, |c| c))
}

/// What the caller may see, as JSON; `If-None-Match` with the last `ETag` answers 304 when
/// nothing changed since.
pub(super) async fn state(
    Extension(c): Extension<Caller>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let s = c.backend.state().await?;
    let etag = format!("\"r{}\"", s.revision);
    let unchanged = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut wire = StateWire::from(&*s);
        let service = c.backend.service();
        for k in &mut wire.keys {
            k.last_used_at = service.key_last_used(&k.id).or(k.last_used_at);
        }
        Json(wire).into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(ETAG, v);
    }
    // What a caller sees depends on its key.
    res.headers_mut()
        .insert(VARY, HeaderValue::from_static("authorization"));
    Ok(res)
}

/// `GET /watch?after=&wait=`: holds the request until the published revision is past
/// `after` (the server follows its store, so writes by other processes count) or `wait`
/// seconds have passed.
pub(super) async fn watch(
    Extension(c): Extension<Caller>,
    Params(p): Params<WatchParams>,
) -> ApiResult<Json<WatchAnswer>> {
    let (default, most) = WATCH_WAIT;
    let wait = std::time::Duration::from_secs(p.wait.unwrap_or(default).min(most));
    let revision = c
        .backend
        .service()
        .wait_published(p.after.unwrap_or(0), wait)
        .await;
    Ok(Json(WatchAnswer { revision }))
}

/// API keys, in id order.
pub(super) async fn list_keys(Extension(c): Extension<Caller>, page: Page) -> ApiResult<Response> {
    let s = c.backend.state().await?;
    let service = c.backend.service();
    Ok(page.slice(s.keys.values(), |k| k.id)?.respond(&page, |k| {
        let mut w = KeyWire::from(k);
        w.last_used_at = service.key_last_used(&k.id).or(w.last_used_at);
        w
    }))
}

pub(super) async fn create_key(
    Extension(c): Extension<Caller>,
    JsonBody(body): JsonBody<KeyCreate>,
) -> ApiResult<Response> {
    let user = resolve_write(&c, "ApiKey", |s| find_user(s, &body.user).map(|u| u.id))?;
    let b = c.backend.clone();
    let created =
        spawned(async move { b.create_key(user, body.read_only, body.expires_at).await }).await?;
    let out = KeyCreated {
        key: KeyWire::from(&created.record),
        secret: created.secret,
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

pub(super) async fn revoke_key(
    Extension(c): Extension<Caller>,
    PathArgs(id): PathArgs<String>,
) -> ApiResult<Json<RevisionBody>> {
    let id = resolve_write(&c, "ApiKey", |s| {
        crate::model::Id::parse_str(&id)
            .ok()
            .filter(|k| s.keys.contains_key(k))
            .or_else(|| {
                // A unique prefix (`ghk_AbCd…`) as shown in listings.
                let mut hits = s.keys.values().filter(|k| !id.is_empty() && k.prefix == id);
                match (hits.next(), hits.next()) {
                    (Some(k), None) => Some(k.id),
                    _ => None,
                }
            })
            .ok_or_else(|| Error::not_found("API key", id.clone()))
    })?;
    let b = c.backend.clone();
    let revision = spawned(async move { b.revoke_key(id).await }).await?;
    Ok(Json(RevisionBody { revision }))
}

pub(super) async fn resource_grants(
    Extension(c): Extension<Caller>,
    PathArgs(resource): PathArgs<String>,
    page: Page,
) -> ApiResult<Response> {
    let rows = c.backend.resource_grants(&resource).await?;
    let out = page.slice(rows, |g| GrantKey::of(g.kind, &g.name))?;
    Ok(out.respond(&page, |g| g))
}

pub(super) async fn grant_resource(
    Extension(c): Extension<Caller>,
    PathArgs(resource): PathArgs<String>,
    JsonBody(body): JsonBody<GrantBody>,
) -> ApiResult<Json<RevisionBody>> {
    let b = c.backend.clone();
    let revision = spawned(async move {
        b.grant_resource_until(
            &resource,
            &body.principal,
            body.scope.as_deref(),
            body.to,
            body.expires_at,
        )
        .await
    })
    .await?;
    Ok(Json(RevisionBody { revision }))
}

pub(super) async fn revoke_resource(
    Extension(c): Extension<Caller>,
    PathArgs((resource, principal)): PathArgs<(String, String)>,
    Params(p): Params<RevokeParams>,
) -> ApiResult<Json<RevisionBody>> {
    let b = c.backend.clone();
    let revision = spawned(async move {
        b.revoke_resource(&resource, &principal, p.scope.as_deref(), p.to)
            .await
    })
    .await?;
    Ok(Json(RevisionBody { revision }))
}

/// The caller's resources, by name.
pub(super) async fn my_resources(
    Extension(c): Extension<Caller>,
    page: Page,
) -> ApiResult<Response> {
    let rows = c.backend.my_resource_grants().await?;
    let out = page.slice(rows, |(resource, _)| resource.clone())?;
    Ok(out.respond(&page, |(resource, scopes)| MyResource { resource, scopes }))
}

/// Audit events, newest first, a page at a time. A full page ends on a whole revision (its last
/// revision moves to the next page) unless one revision alone fills it. The cursor of the
/// next page (`after`, `X-Next-Cursor`, `Link`) is its `next_before`.
pub(super) async fn audit(
    Extension(c): Extension<Caller>,
    PageOf(page): PageOf,
    Params(p): Params<AuditParams>,
) -> ApiResult<Response> {
    let limit = page
        .limit()
        .unwrap_or(DEFAULT_AUDIT_PAGE)
        .min(MAX_AUDIT_PAGE);
    let before = audit_before(&page, p.before)?;
    let since = match &p.since {
        Some(t) => Some(OffsetDateTime::parse(t, &Rfc3339).map_err(|e| {
            ApiError::invalid(
                "since",
                format!("'{t}' is not an RFC 3339 time (2024-05-01T00:00:00Z): {e}"),
            )
        })?),
        None => None,
    };
    let mut events = c
        .backend
        .audit(AuditQuery {
            since,
            actor: p.actor.clone(),
            before_revision: before,
            limit,
        })
        .await?;
    let next_before = page_end(&mut events, limit);
    let mut res = Json(AuditPage {
        events,
        next_before,
    })
    .into_response();
    page.headers(&mut res, next_before.map(|r| r.to_string()).as_deref());
    Ok(res)
}

/// Where an audit page starts: `after` (a cursor: the revision the previous page's
/// `next_before` named) or `before`, which mean the same; both given must agree.
fn audit_before(page: &Page, before: Option<Revision>) -> ApiResult<Option<Revision>> {
    let Some(text) = page.after_text() else {
        return Ok(before);
    };
    match text.parse::<Revision>() {
        Ok(r) if before.is_none_or(|b| b == r) => Ok(Some(r)),
        Ok(_) => Err(ApiError::invalid(
            "after",
            "give after or before, not two different starts",
        )),
        Err(_) => Err(ApiError::invalid(
            "after",
            format!(
                "'{text}' is not a cursor of the audit log; pass the X-Next-Cursor of the previous page"
            ),
        )),
    }
}

/// Trims a full page to whole revisions and says where the next page starts.
fn page_end(events: &mut Vec<AuditEvent>, limit: usize) -> Option<Revision> {
    if events.len() < limit {
        return None;
    }
    let last = events.last()?.revision;
    let whole = events.iter().take_while(|e| e.revision != last).count();
    if whole == 0 {
        // One revision fills the page: the rest of it is skipped.
        return Some(last);
    }
    events.truncate(whole);
    Some(last + 1)
}

pub(super) async fn apply_preset(
    Extension(c): Extension<Caller>,
    PathArgs(name): PathArgs<String>,
    Params(p): Params<DryRunParams>,
) -> ApiResult<Json<ImportReport>> {
    let b = c.backend.clone();
    Ok(Json(
        spawned(async move { b.apply_preset(&name, p.dry_run).await }).await?,
    ))
}

/// The kinds an import may write: a caller who may write none of them is refused before the
/// (up to 64 MiB) body is read. The import itself then checks each kind the document uses.
const IMPORT_KINDS: [&str; 7] = [
    "User",
    "Team",
    "Role",
    "Permission",
    "RolePermission",
    "UserRole",
    "TeamMember",
];

/// Refuses an import (or preset) by a caller who may write nothing it could write, before its
/// body is read.
pub(super) async fn import_gate(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(c) = req.extensions().get::<Caller>() {
        let service = c.backend.service();
        let actor = c.actor();
        let may = IMPORT_KINDS
            .iter()
            .any(|e| service.authorize(actor, Access::Write, e).is_ok());
        if !may {
            return ApiError::from(Error::Forbidden(format!(
                "{} may write none of users, teams, roles, permissions or their links; an import needs 'write' on what it creates",
                actor.name
            )))
            .into_response();
        }
    }
    next.run(req).await
}

pub(super) async fn import(
    Extension(c): Extension<Caller>,
    Params(p): Params<DryRunParams>,
    JsonBody(doc): JsonBody<PolicyDoc>,
) -> ApiResult<Json<ImportReport>> {
    let b = c.backend.clone();
    Ok(Json(
        spawned(async move { b.import(doc, p.dry_run).await }).await?,
    ))
}

/// `POST /apply`: a plan's changes, as the caller, in one transaction.
pub(super) async fn apply(
    Extension(c): Extension<Caller>,
    JsonBody(body): JsonBody<ApplyBody>,
) -> ApiResult<Json<RevisionBody>> {
    let b = c.backend.clone();
    let changes = body.changes.into_iter().map(Into::into).collect();
    let revision = spawned(async move { b.apply_changes(changes, body.base).await }).await?;
    Ok(Json(RevisionBody { revision }))
}

pub(super) async fn export(Extension(c): Extension<Caller>) -> ApiResult<Json<PolicyDoc>> {
    Ok(Json(c.backend.export().await?))
}

#[cfg(test)]
mod tests {
    use super::page_end;
    use crate::model::{AuditEvent, ObjectKind};

    fn ev(revision: u64) -> AuditEvent {
        AuditEvent {
            revision,
            at: time::OffsetDateTime::UNIX_EPOCH,
            actor: "a".into(),
            action: "create".into(),
            object_kind: ObjectKind::Role,
            object_id: "x".into(),
            before: serde_json::Value::Null,
            after: serde_json::Value::Null,
        }
    }

    #[test]
    fn full_pages_end_on_whole_revisions() {
        let mut e = vec![ev(9), ev(8), ev(8), ev(7)];
        assert_eq!(page_end(&mut e, 5), None);
        assert_eq!(e.len(), 4);
        assert_eq!(page_end(&mut e, 4), Some(8));
        assert_eq!(e.iter().map(|e| e.revision).collect::<Vec<_>>(), [9, 8, 8]);
        let mut one = vec![ev(5), ev(5)];
        assert_eq!(page_end(&mut one, 2), Some(5));
        assert_eq!(one.len(), 2);
    }
}
