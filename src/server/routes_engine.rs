//! Engine questions: `POST /check` (one or a batch, decided against one snapshot, optionally
//! once a revision is reached), `POST /explain`, `GET /who-can`, `GET /what-can/{user}`.
//! Subjects, owners and teams may be given by id or by name.

use super::App;
use super::auth::{Caller, refresh_throttled};
use super::error::{ApiError, ApiResult, JsonBody, Params, PathArgs};
use super::paging::PageOf;
use super::util::resolve_read;
use crate::backend::Backend;
use crate::backend::{Error, find_team, find_user};
use crate::engine::{AttrCheck, Engine, Explanation, Request, WhatCan, WhoCan};
use crate::model::{Id, Revision};
use crate::policy::State;
use crate::service::{Access, EngineAt, Snapshot};
use crate::wire::{
    BatchResponse, CheckAnswer, CheckRequest, CheckResponse, MAX_BATCH, WhoCanParams, parse_at,
};
use axum::Json;
use axum::extract::{Extension, State as Shared};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;
use time::OffsetDateTime;

/// The body of `POST /check` and `POST /explain`, read in one pass: either the fields of one
/// request, or `requests` (a batch).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CheckAny {
    #[serde(default)]
    requests: Option<Vec<CheckRequest>>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    catalog: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    entity: Option<String>,
    #[serde(default)]
    entity_uuid: Option<String>,
    #[serde(default)]
    resource_owner: Option<String>,
    #[serde(default)]
    resource_team: Option<String>,
    #[serde(default)]
    attribute: Option<AttrCheck>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    at: Option<OffsetDateTime>,
    #[serde(default)]
    at_least_revision: Option<Revision>,
}

impl CheckAny {
    fn single(self) -> ApiResult<CheckRequest> {
        let need = |v: Option<String>, field: &str| {
            v.ok_or_else(|| {
                ApiError::invalid(
                    field,
                    format!("missing; a check needs user, catalog, action and entity ({field} is absent)"),
                )
            })
        };
        uuid_given(&self.entity_uuid, "entity_uuid")?;
        Ok(CheckRequest {
            user: need(self.user, "user")?,
            catalog: need(self.catalog, "catalog")?,
            action: need(self.action, "action")?,
            entity: need(self.entity, "entity")?,
            entity_uuid: self.entity_uuid,
            resource_owner: self.resource_owner,
            resource_team: self.resource_team,
            attribute: self.attribute,
            at: self.at,
        })
    }
}

/// An `entity_uuid` that is present must name an entity: an empty one is refused (400 naming
/// `field`) rather than read as "no entity", so a client's blank never silently changes the
/// question it asks.
fn uuid_given(uuid: &Option<String>, field: &str) -> ApiResult<()> {
    match uuid.as_deref() {
        Some(u) if u.trim().is_empty() => Err(ApiError::invalid(
            field,
            "is empty; leave entity_uuid out to ask about the entity type, or give an entity's UUID",
        )),
        _ => Ok(()),
    }
}

/// A user by id or username; `None` when unknown.
fn user_of(s: &State, text: &str) -> Option<Id> {
    match Id::parse_str(text) {
        Ok(id) => Some(id),
        Err(_) => s.user_by_name(text).map(|u| u.id),
    }
}

/// A team by id or key; `None` when unknown.
fn team_of(s: &State, text: &str) -> Option<Id> {
    match Id::parse_str(text) {
        Ok(id) => Some(id),
        Err(_) => s.team_by_key(text).map(|t| t.id),
    }
}

/// The engine request. Unknown names become the nil id: the engine denies an unknown subject,
/// and an unknown owner or team satisfies no condition.
fn to_request(s: &State, r: CheckRequest) -> Request {
    Request {
        at: r.at,
        user: user_of(s, &r.user).unwrap_or(Id::nil()),
        resource_owner: r
            .resource_owner
            .as_deref()
            .map(|o| user_of(s, o).unwrap_or(Id::nil())),
        resource_team: r
            .resource_team
            .as_deref()
            .map(|t| team_of(s, t).unwrap_or(Id::nil())),
        catalog: r.catalog,
        action: r.action,
        entity: r.entity,
        entity_uuid: r.entity_uuid,
        attribute: r.attribute,
    }
}

/// The current snapshot, once it has reached `at_least`. When it has not, another process may
/// have written: the store's revision is read (a cheap read, shared by every request and at
/// most one per [`STALE_READ_EVERY`](super::auth::STALE_READ_EVERY), see
/// [`refresh_throttled`]) and the store reloaded only when it moved. A revision still not
/// reached is answered at once with a conflict: no waiting, and no reload per request.
async fn snapshot_at(app: &App, at_least: Option<Revision>) -> ApiResult<Arc<Snapshot>> {
    let snap = app.service.snapshot();
    let Some(wanted) = at_least else {
        return Ok(snap);
    };
    if snap.state.revision >= wanted {
        return Ok(snap);
    }
    refresh_throttled(app).await?;
    let snap = app.service.snapshot();
    if snap.state.revision >= wanted {
        Ok(snap)
    } else {
        Err(Error::Conflict(format!(
            "at_least_revision {wanted} is not reached: the server is at revision {}; ask again \
             in a moment (it follows its store about once a second)",
            snap.state.revision
        ))
        .into())
    }
}

/// A caller may always ask about themselves; about anyone else it needs read on User.
fn may_ask(c: &Caller, subjects: impl IntoIterator<Item = Id>) -> ApiResult<()> {
    let me = c.actor().user;
    if subjects.into_iter().any(|u| Some(u) != me) {
        c.backend
            .service()
            .authorize(c.actor(), Access::Read, "User")?;
    }
    Ok(())
}

fn with_revision(revision: Revision, body: impl IntoResponse) -> Response {
    let mut res = body.into_response();
    res.headers_mut()
        .insert(crate::wire::REVISION_HEADER, HeaderValue::from(revision));
    res
}

/// The most indexes one batch may have built for instants its snapshot's own does not hold
/// at: each is a whole index build, so a batch of questions at many instants is refused
/// rather than left to hold a worker.
const MAX_BATCH_INSTANTS: usize = 8;

/// The indexes a batch decides with: the snapshot's own, and one per further instant asked
/// about, each reused for every instant its window holds. Questions without an instant are
/// decided at one `now`, taken when the batch is read.
struct Engines<'a> {
    snap: &'a Snapshot,
    now: OffsetDateTime,
    held: Vec<EngineAt<'a>>,
}

impl<'a> Engines<'a> {
    fn new(snap: &'a Snapshot) -> Self {
        Engines {
            snap,
            now: crate::model::now(),
            held: Vec::new(),
        }
    }

    /// The index for request `i`, decided at `at` (`None`: now).
    fn at(&mut self, at: Option<OffsetDateTime>, i: usize) -> ApiResult<&Engine> {
        let t = at.unwrap_or(self.now);
        if let Some(k) = self.held.iter().position(|e| e.window().holds_at(t)) {
            return Ok(&*self.held[k]);
        }
        let built = self
            .held
            .iter()
            .filter(|e| matches!(e, EngineAt::Built(_)))
            .count();
        if built >= MAX_BATCH_INSTANTS {
            return Err(ApiError::invalid(
                &format!("requests[{i}].at"),
                format!(
                    "one batch may ask about at most {MAX_BATCH_INSTANTS} instants that need \
                     their own index; split it by instant"
                ),
            ));
        }
        self.held.push(self.snap.engine_at(Some(t)));
        Ok(&*self.held[self.held.len() - 1])
    }
}

pub(super) async fn check(
    Shared(app): Shared<App>,
    Extension(c): Extension<Caller>,
    JsonBody(body): JsonBody<CheckAny>,
) -> ApiResult<Response> {
    let snap = snapshot_at(&app, body.at_least_revision).await?;
    let s = &snap.state;
    let revision = s.revision;
    match body.requests {
        Some(list) => {
            if list.len() > MAX_BATCH {
                return Err(ApiError::invalid(
                    "requests",
                    format!(
                        "{} requests in one batch; at most {MAX_BATCH}: split it",
                        list.len()
                    ),
                ));
            }
            for (i, r) in list.iter().enumerate() {
                uuid_given(&r.entity_uuid, &format!("requests[{i}].entity_uuid"))?;
            }
            let reqs: Vec<Request> = list.into_iter().map(|r| to_request(s, r)).collect();
            may_ask(&c, reqs.iter().map(|r| r.user))?;
            let mut engines = Engines::new(&snap);
            let mut results = Vec::with_capacity(reqs.len());
            for (i, r) in reqs.iter().enumerate() {
                let d = engines.at(r.at, i)?.decide(r);
                results.push(CheckAnswer {
                    allowed: d.allowed,
                    rule: d.rule,
                });
            }
            let allowed = results.iter().filter(|r| r.allowed).count() as u64;
            app.metrics
                .decisions(allowed, results.len() as u64 - allowed);
            Ok(with_revision(
                revision,
                Json(BatchResponse { results, revision }),
            ))
        }
        None => {
            let req = to_request(s, body.single()?);
            may_ask(&c, [req.user])?;
            let d = snap.engine_at(req.at).decide(&req);
            app.metrics.decision(d.allowed);
            Ok(with_revision(
                revision,
                Json(CheckResponse {
                    allowed: d.allowed,
                    rule: d.rule,
                    revision,
                }),
            ))
        }
    }
}

pub(super) async fn explain(
    Shared(app): Shared<App>,
    Extension(c): Extension<Caller>,
    JsonBody(body): JsonBody<CheckAny>,
) -> ApiResult<Response> {
    if body.requests.is_some() {
        return Err(ApiError::invalid(
            "requests",
            "explain answers one request at a time; use /check for a batch",
        ));
    }
    let snap = snapshot_at(&app, body.at_least_revision).await?;
    let one = body.single()?;
    let s = &snap.state;
    let user = match Id::parse_str(&one.user) {
        Ok(id) => id,
        Err(_) => resolve_read(&c, s, "User", |s| find_user(s, &one.user).map(|u| u.id))?,
    };
    let mut req = to_request(s, one);
    req.user = user;
    let e: Explanation = c.backend.explain(req).await?;
    app.metrics.decision(e.allowed);
    Ok(with_revision(snap.state.revision, Json(e)))
}

/// `POST /decide-call`: a whole Mage call (the caller needs `read` on User to ask for
/// someone else).
pub(super) async fn decide_call(
    Shared(app): Shared<App>,
    Extension(c): Extension<Caller>,
    JsonBody(q): JsonBody<crate::engine::CallQuery>,
) -> ApiResult<Json<crate::engine::CallAnswer>> {
    let answer = c.backend.decide_call(q).await?;
    app.metrics.decision(answer.verdict.allowed);
    Ok(Json(answer))
}

/// Who may do something, by username, a page at a time.
pub(super) async fn who_can(
    Extension(c): Extension<Caller>,
    PageOf(page): PageOf,
    Params(p): Params<WhoCanParams>,
) -> ApiResult<Response> {
    uuid_given(&p.entity_uuid, "entity_uuid")?;
    let snap = c.backend.service().snapshot();
    let s = &snap.state;
    let owner = match p.resource_owner.as_deref() {
        Some(o) => Some(resolve_read(&c, s, "User", |s| {
            find_user(s, o).map(|u| u.id)
        })?),
        None => None,
    };
    let team = match p.resource_team.as_deref() {
        Some(t) => Some(resolve_read(&c, s, "Team", |s| {
            find_team(s, t).map(|t| t.id)
        })?),
        None => None,
    };
    let at = match p.at.as_deref() {
        Some(t) => Some(parse_at(t)?),
        None => None,
    };
    let req = Request {
        at,
        user: Id::nil(),
        catalog: p.catalog,
        action: p.action,
        entity: p.entity,
        entity_uuid: p.entity_uuid,
        resource_owner: owner,
        resource_team: team,
        attribute: None,
    };
    let rows: Vec<WhoCan> = c.backend.who_can(req).await?;
    Ok(page
        .slice(rows, |w| w.username.clone())?
        .respond(&page, |w| w))
}

pub(super) async fn what_can(
    Extension(c): Extension<Caller>,
    PathArgs(user): PathArgs<String>,
) -> ApiResult<Json<WhatCan>> {
    let s = c.backend.state().await?;
    let id = resolve_read(&c, &s, "User", |s| find_user(s, &user).map(|u| u.id))?;
    Ok(Json(c.backend.what_can(id).await?))
}
