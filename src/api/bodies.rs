//! Request and response bodies (and query strings) of the HTTP API. Objects themselves
//! ([`User`](crate::model::User), [`Role`](crate::model::Role), …), specs
//! ([`RoleSpec`](crate::service::RoleSpec), …), [`Link`](crate::store::Link),
//! [`PolicyDoc`](crate::service::PolicyDoc), [`ImportReport`](crate::service::ImportReport) and
//! the engine's answers travel as they are.

use super::state::KeyWire;
use crate::backend::{Capabilities, Me};
use crate::engine::{AttrCheck, Request, Rule};
use crate::model::{AuditEvent, Id, Revision};
use crate::service::GrantTo;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// `PUT /roles/{id}` (and users, teams, permissions): the object's editable fields and the
/// version the caller read. The version may come in an `If-Match` header instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Update<T> {
    /// The new editable fields.
    #[serde(flatten)]
    pub spec: T,
    /// The version the caller read: a stale one is refused with 409, nothing written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

/// The answer of a write that creates no object (delete, link, revoke …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionBody {
    /// The revision after the write.
    pub revision: Revision,
}

/// `DELETE /roles/{id}?force=true`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteParams {
    /// Remove the object's relations (and a user's keys) with it.
    #[serde(default)]
    pub force: bool,
}

/// `?dry_run=true` on preset application and import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRunParams {
    /// Write nothing; the report says what would happen.
    #[serde(default)]
    pub dry_run: bool,
}

/// `POST /roles/{id}/permissions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddPermission {
    /// Permission id (or a unique short id).
    pub permission: String,
}

/// `POST /roles/{id}/users` and `POST /teams/{id}/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddUser {
    /// Username or id.
    pub user: String,
    /// Members only: the role held inside the team (name or id); the team's default role when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// `POST /roles/{id}/teams`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddTeam {
    /// Team key or id.
    pub team: String,
}

/// `POST /users/{id}/roles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddRole {
    /// Role name or id.
    pub role: String,
}

/// One member of a team (`GET /teams/{id}/members`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberWire {
    /// The member.
    pub user: Id,
    /// The role held inside the team.
    pub role: Option<Id>,
}

/// `POST /resources/{resource}/grants` (okdata style).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantBody {
    /// Username or team key.
    pub principal: String,
    /// One scope (`okdata:dataset:read`); every scope of the resource when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// What the principal is.
    #[serde(default = "default_grant_to")]
    pub to: GrantTo,
}

/// `DELETE /resources/{resource}/grants/{principal}?scope=&to=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeParams {
    /// One scope; every scope when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// What the principal is.
    #[serde(default = "default_grant_to")]
    pub to: GrantTo,
}

fn default_grant_to() -> GrantTo {
    GrantTo::User
}

/// One row of `GET /me/resources`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyResource {
    /// The resource (`okdata:dataset:x`).
    pub resource: String,
    /// Scopes held, sorted.
    pub scopes: Vec<String>,
}

/// `POST /keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyCreate {
    /// Username or id of the key's user.
    pub user: String,
    /// A read-only key can never write.
    #[serde(default)]
    pub read_only: bool,
    /// Expiry (RFC 3339).
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub expires_at: Option<OffsetDateTime>,
}

/// The answer of `POST /keys`: the secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyCreated {
    /// The record.
    pub key: KeyWire,
    /// The full secret.
    pub secret: String,
}

/// `GET /audit?limit=&before=&since=&actor=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditParams {
    /// At most this many events (default 100, at most 10,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Only events with a revision strictly below this one (paging backwards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Revision>,
    /// Only events at or after this time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Only events by this actor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// The answer of `GET /audit`, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    /// The events.
    pub events: Vec<AuditEvent>,
    /// When the page is full: pass as `before` for the next page. The last revision of a full
    /// page may continue on the next one, so a pager drops it and asks again from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<Revision>,
}

/// One access question on the wire: users, owners and teams by id or name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRequest {
    /// The subject: user id or username.
    pub user: String,
    /// The catalog (`mage`, `okdata`, `gatehouse` …).
    pub catalog: String,
    /// A flag of the catalog.
    pub action: String,
    /// An entity type of the catalog.
    pub entity: String,
    /// One entity, or none for the type as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_uuid: Option<String>,
    /// The resource's owner (user id or username), for `own` conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_owner: Option<String>,
    /// The resource's team (team id or key), for `team` conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_team: Option<String>,
    /// Mage dialect: the attribute queried, read or written by the operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<AttrCheck>,
}

impl From<&Request> for CheckRequest {
    fn from(r: &Request) -> CheckRequest {
        CheckRequest {
            user: r.user.to_string(),
            catalog: r.catalog.clone(),
            action: r.action.clone(),
            entity: r.entity.clone(),
            entity_uuid: r.entity_uuid.clone(),
            resource_owner: r.resource_owner.map(|u| u.to_string()),
            resource_team: r.resource_team.map(|t| t.to_string()),
            attribute: r.attribute.clone(),
        }
    }
}

/// `POST /check` (one question) and `POST /explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOne {
    /// The question.
    #[serde(flatten)]
    pub request: CheckRequest,
    /// Answer only once the server has reached this revision (read your own writes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least_revision: Option<Revision>,
}

/// `POST /check` with `requests`: up to [`MAX_BATCH`](super::MAX_BATCH) questions answered
/// against one snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckBatch {
    /// The questions.
    pub requests: Vec<CheckRequest>,
    /// Answer only once the server has reached this revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least_revision: Option<Revision>,
}

/// One decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckAnswer {
    /// ALLOW or DENY.
    pub allowed: bool,
    /// The deciding rule.
    pub rule: Rule,
}

/// The answer of a single `POST /check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResponse {
    /// ALLOW or DENY.
    pub allowed: bool,
    /// The deciding rule.
    pub rule: Rule,
    /// The revision it was decided at.
    pub revision: Revision,
}

/// The answer of a batch `POST /check`, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResponse {
    /// One decision per request.
    pub results: Vec<CheckAnswer>,
    /// The revision they were decided at.
    pub revision: Revision,
}

/// `GET /who-can?catalog=&action=&entity=&entity_uuid=&resource_owner=&resource_team=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoCanParams {
    /// The catalog.
    pub catalog: String,
    /// The action.
    pub action: String,
    /// The entity type.
    pub entity: String,
    /// One entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_uuid: Option<String>,
    /// The resource's owner (id or username).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_owner: Option<String>,
    /// The resource's team (id or key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_team: Option<String>,
}

impl From<&Request> for WhoCanParams {
    fn from(r: &Request) -> WhoCanParams {
        WhoCanParams {
            catalog: r.catalog.clone(),
            action: r.action.clone(),
            entity: r.entity.clone(),
            entity_uuid: r.entity_uuid.clone(),
            resource_owner: r.resource_owner.map(|u| u.to_string()),
            resource_team: r.resource_team.map(|t| t.to_string()),
        }
    }
}

/// One catalog in `GET /catalogs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogSummary {
    /// Short name.
    pub name: String,
    /// Title.
    pub title: String,
    /// `standard` or `mage`.
    pub dialect: String,
    /// Number of entity types.
    pub entities: usize,
    /// Number of access flags.
    pub flags: usize,
}

/// The answer of `GET /me`: the principal and what it may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeWire {
    /// The principal.
    #[serde(flatten)]
    pub me: Me,
    /// Whether the key is read-only.
    pub read_only_key: bool,
    /// What the server supports.
    pub capabilities: Capabilities,
    /// The server's gatehouse version.
    pub server_version: String,
}

/// The answer of `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    /// The current revision.
    pub revision: Revision,
}
