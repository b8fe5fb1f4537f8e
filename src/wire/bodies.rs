//! Request and response bodies (and query strings) of the HTTP API. Objects themselves
//! ([`User`](crate::model::User), [`Role`](crate::model::Role), …), specs
//! ([`RoleSpec`](crate::backend::RoleSpec), …), [`Link`](crate::policy::Link),
//! [`PolicyDoc`](crate::backend::PolicyDoc), [`ImportReport`](crate::backend::ImportReport) and
//! the engine's answers travel as they are.

use super::state::KeyWire;
use crate::backend::GrantTo;
use crate::backend::{Capabilities, Me};
use crate::engine::{AttrCheck, Request, Rule};
use crate::model::{AuditEvent, Id, Revision};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::marker::PhantomData;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `PUT /roles/{id}` (and users, teams, permissions): the object's editable fields and the
/// version the caller read. The version may come in an `If-Match` header instead.
///
/// On the wire the spec's fields and `version` sit side by side in one object. It is read
/// without `#[serde(flatten)]` (which hides unknown fields from the spec), so the spec's
/// `deny_unknown_fields` holds: `{"disabld": true}` is refused, naming `disabld`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Update<T> {
    /// The new editable fields.
    #[serde(flatten)]
    pub spec: T,
    /// The version the caller read: a stale one is refused with 409, nothing written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Update<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(UpdateVisitor(PhantomData))
    }
}

struct UpdateVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for UpdateVisitor<T> {
    type Value = Update<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with the fields to change and the version read")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Update<T>, A::Error> {
        let mut version = None;
        let spec = T::deserialize(de::value::MapAccessDeserializer::new(WithoutVersion {
            map,
            version: &mut version,
        }))?;
        Ok(Update {
            spec,
            version: version.flatten(),
        })
    }
}

/// The entries of an update's object but `version`, which it takes aside: the spec reads
/// every other key itself (and refuses the ones it does not know).
struct WithoutVersion<'a, A> {
    map: A,
    /// `Some` once `version` was read (`Some(None)` for `"version": null`).
    version: &'a mut Option<Option<u64>>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for WithoutVersion<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let mut seed = Some(seed);
        loop {
            match self.map.next_key_seed(KeyOrVersion(&mut seed))? {
                None => return Ok(None),
                Some(Some(key)) => return Ok(Some(key)),
                Some(None) => {
                    if self.version.is_some() {
                        return Err(de::Error::duplicate_field("version"));
                    }
                    *self.version = Some(self.map.next_value()?);
                }
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// Reads one key: `None` for `version`, else the spec's own reading of it (inside the outer
/// map's key, so an unknown key's error is located at that key).
struct KeyOrVersion<'s, K>(&'s mut Option<K>);

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for KeyOrVersion<'_, K> {
    type Value = Option<K::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let key = String::deserialize(d)?;
        if key == "version" {
            return Ok(None);
        }
        let seed = self.0.take().ok_or_else(|| {
            <D::Error as de::Error>::custom("a key was read twice for one entry of the object")
        })?;
        seed.deserialize(de::value::StringDeserializer::<D::Error>::new(key))
            .map(Some)
    }
}

/// The answer of a write that creates no object (delete, link, revoke …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RevisionBody {
    /// The revision after the write.
    pub revision: Revision,
}

/// `DELETE /roles/{id}?force=true`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteParams {
    /// Remove the object's relations (and a user's keys) with it.
    #[serde(default)]
    pub force: bool,
}

/// `?dry_run=true` on preset application and import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DryRunParams {
    /// Write nothing; the report says what would happen.
    #[serde(default)]
    pub dry_run: bool,
}

/// `POST /roles/{id}/permissions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPermission {
    /// Permission id (or a unique short id).
    pub permission: String,
}

/// `POST /roles/{id}/users` and `POST /teams/{id}/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddUser {
    /// Username or id.
    pub user: String,
    /// Members only: the role held inside the team (name or id); the team's default role when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// `POST /roles/{id}/teams`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddTeam {
    /// Team key or id.
    pub team: String,
}

/// `POST /users/{id}/roles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddRole {
    /// Role name or id.
    pub role: String,
}

/// One member of a team (`GET /teams/{id}/members`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberWire {
    /// The member.
    #[schema(value_type = uuid::Uuid)]
    pub user: Id,
    /// The role held inside the team.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub role: Option<Id>,
}

/// `POST /resources/{resource}/grants` (okdata style).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    /// Username or team key.
    pub principal: String,
    /// One scope (`okdata:dataset:read`); every scope of the resource when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// What the principal is.
    #[serde(default = "default_grant_to")]
    pub to: GrantTo,
    /// When the grant ends (RFC 3339, in the future); for good when absent. A grant held
    /// already keeps the later of its end and this one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub expires_at: Option<OffsetDateTime>,
}

/// `DELETE /resources/{resource}/grants/{principal}?scope=&to=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MyResource {
    /// The resource (`okdata:dataset:x`).
    pub resource: String,
    /// Scopes held, sorted.
    pub scopes: Vec<String>,
}

/// `POST /keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KeyCreated {
    /// The record.
    pub key: KeyWire,
    /// The full secret.
    pub secret: String,
}

/// `GET /watch?after=&wait=`: answers once the server's revision is past `after`, or after
/// `wait` seconds (default 25, at most 60) with the revision as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchParams {
    /// The revision the caller has (default 0: answers at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Revision>,
    /// How long to hold the request open, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<u64>,
}

/// How long `GET /watch` holds a request open by default, and at most (seconds).
pub const WATCH_WAIT: (u64, u64) = (25, 60);

/// The answer of `GET /watch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchAnswer {
    /// The server's revision when it answered.
    pub revision: Revision,
}

/// `GET /audit?limit=&before=&since=&actor=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// At most this many events (default 100, at most 10,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Only events with a revision strictly below this one (paging backwards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Revision>,
    /// The cursor of the list routes ([`PageParams`](super::PageParams)): the previous page's
    /// `X-Next-Cursor` (its `next_before`); the same as `before`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Only events at or after this time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Only events by this actor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// The answer of `GET /audit`, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// The events.
    pub events: Vec<AuditEvent>,
    /// When the page is full: pass as `before` for the next page. The last revision of a full
    /// page may continue on the next one, so a pager drops it and asks again from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<Revision>,
}

/// One access question on the wire: users, owners and teams by id or name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
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
    #[schema(value_type = Option<Object>)]
    pub attribute: Option<AttrCheck>,
    /// Decide at this instant (RFC 3339) instead of now: a relation whose end is at or before
    /// it counts as absent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub at: Option<OffsetDateTime>,
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
            at: r.at,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBatch {
    /// The questions.
    pub requests: Vec<CheckRequest>,
    /// Answer only once the server has reached this revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least_revision: Option<Revision>,
}

/// One decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckAnswer {
    /// ALLOW or DENY.
    pub allowed: bool,
    /// The deciding rule.
    #[schema(value_type = Object)]
    pub rule: Rule,
}

/// The answer of a single `POST /check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckResponse {
    /// ALLOW or DENY.
    pub allowed: bool,
    /// The deciding rule.
    #[schema(value_type = Object)]
    pub rule: Rule,
    /// The revision it was decided at.
    pub revision: Revision,
}

/// The answer of a batch `POST /check`, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchResponse {
    /// One decision per request.
    pub results: Vec<CheckAnswer>,
    /// The revision they were decided at.
    pub revision: Revision,
}

/// `GET /who-can?catalog=&action=&entity=&entity_uuid=&resource_owner=&resource_team=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// Answer as of this instant (RFC 3339) instead of now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// At most this many users ([`PageParams`](super::PageParams)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Only the users after this cursor (a username).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

impl TryFrom<&Request> for WhoCanParams {
    type Error = crate::backend::Error;

    /// The parameters of `req` (its `user` is not one); refused only for an instant RFC 3339
    /// cannot write (a year past 9999).
    fn try_from(r: &Request) -> Result<WhoCanParams, Self::Error> {
        let at = match r.at {
            Some(t) => Some(t.format(&Rfc3339).map_err(|e| {
                crate::backend::Error::invalid("at", format!("cannot be sent as RFC 3339: {e}"))
            })?),
            None => None,
        };
        Ok(WhoCanParams {
            catalog: r.catalog.clone(),
            action: r.action.clone(),
            entity: r.entity.clone(),
            entity_uuid: r.entity_uuid.clone(),
            resource_owner: r.resource_owner.map(|u| u.to_string()),
            resource_team: r.resource_team.map(|t| t.to_string()),
            at,
            limit: None,
            after: None,
        })
    }
}

/// Reads the `at` of a question (RFC 3339), refusing anything else as an invalid `at`.
pub fn parse_at(text: &str) -> Result<OffsetDateTime, crate::backend::Error> {
    OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|e| {
        crate::backend::Error::invalid(
            "at",
            format!("'{text}' is not an RFC 3339 instant ({e}); write e.g. 2026-12-31T18:00:00Z"),
        )
    })
}

/// One catalog in `GET /catalogs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    /// The current revision.
    pub revision: Revision,
}

#[cfg(test)]
mod tests {
    use super::Update;
    use crate::backend::{RoleSpec, UserSpec};

    fn read<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn an_update_takes_its_version_aside_and_refuses_unknown_fields() {
        let u: Update<RoleSpec> = read(r#"{"version": 3, "name": "r"}"#).unwrap();
        assert_eq!((u.spec.name.as_str(), u.version), ("r", Some(3)));
        let u: Update<RoleSpec> = read(r#"{"name": "r", "description": "d"}"#).unwrap();
        assert_eq!((u.spec.description.as_str(), u.version), ("d", None));
        let u: Update<RoleSpec> = read(r#"{"name": "r", "version": null}"#).unwrap();
        assert_eq!(u.version, None);
        let e = read::<Update<UserSpec>>(r#"{"username": "a", "disabld": true, "version": 1}"#)
            .unwrap_err();
        assert!(e.contains("unknown field `disabld`"), "{e}");
        let e =
            read::<Update<RoleSpec>>(r#"{"name": "r", "version": 1, "version": 2}"#).unwrap_err();
        assert!(e.contains("duplicate field `version`"), "{e}");
        let e = read::<Update<RoleSpec>>(r#"{"name": "r", "version": "1"}"#).unwrap_err();
        assert!(e.contains("invalid type"), "{e}");
        let e = read::<Update<RoleSpec>>(r#"{"version": 1}"#).unwrap_err();
        assert!(e.contains("missing field `name`"), "{e}");
        // What the client sends reads back as it was.
        let sent = Update {
            spec: RoleSpec {
                name: "r".into(),
                description: "d".into(),
            },
            version: Some(7),
        };
        let text = serde_json::to_string(&sent).unwrap();
        assert_eq!(read::<Update<RoleSpec>>(&text).unwrap(), sent);
    }
}
