//! The OpenAPI 3.1 document of the API, `GET /api/v1/openapi.json` (no key needed, like
//! `/healthz`). Its schemas are derived from the bodies' own types (`utoipa::ToSchema` on the
//! wire bodies and the objects that cross); its paths are built from the route table
//! ([`ROUTES`]), each operation described by [`doc_of`] — an exhaustive match, so a route cannot
//! be added without its description, and the document cannot list a route the server lacks.

use super::error::ApiError;
use crate::backend::Error;
use crate::backend::{GrantTo, PermissionSpec, ResourceGrant, RoleSpec, TeamSpec, UserSpec};
use crate::engine::WhoCan;
use crate::model::{AuditEvent, Permission, Role, Team, User};
use crate::wire::{
    API_PREFIX, AddPermission, AddRole, AddTeam, AddUser, AuditPage, BatchResponse, CatalogSummary,
    CheckBatch, CheckRequest, CheckResponse, ErrorBody, GrantBody, Health, KeyCreate, KeyCreated,
    KeyWire, LinkUntil, MemberWire, Method, MyResource, Op, PageParams, PruneAnswer, ROUTES,
    Readiness, ReadyChecks, RevisionBody, Route, SetExpiry, WatchAnswer,
};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{Array, ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder, Schema};
use utoipa::{IntoParams, OpenApi as _};

/// The name of the security scheme: `Authorization: Bearer <API key>`.
const BEARER: &str = "bearer";

/// The tags, in order, with what each holds.
const TAGS: [(&str, &str); 7] = [
    (
        "roles",
        "Roles and what they hold: permissions, users, teams",
    ),
    ("permissions", "Permissions"),
    ("users", "Users and the roles they hold"),
    ("teams", "Teams and their members"),
    ("relations", "Relations as they are, and relations that end"),
    (
        "engine",
        "Access questions: check, explain, who-can, what-can",
    ),
    (
        "admin",
        "Health, the caller, catalogs, state, API keys, grants, audit, import and export",
    ),
];

/// Every schema the operations name, with those they use.
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    Role,
    User,
    Team,
    Permission,
    RoleSpec,
    UserSpec,
    TeamSpec,
    PermissionSpec,
    AuditEvent,
    GrantTo,
    ResourceGrant,
    WhoCan,
    RevisionBody,
    AddPermission,
    AddUser,
    AddTeam,
    AddRole,
    MemberWire,
    GrantBody,
    MyResource,
    KeyCreate,
    KeyCreated,
    KeyWire,
    WatchAnswer,
    AuditPage,
    CheckRequest,
    CheckBatch,
    CheckResponse,
    BatchResponse,
    CatalogSummary,
    Health,
    Readiness,
    ReadyChecks,
    ErrorBody,
    LinkUntil,
    SetExpiry,
    PruneAnswer
)))]
struct Components;

/// What a request or an answer holds.
#[derive(Debug, Clone, Copy)]
enum Body {
    /// Nothing.
    None,
    /// One schema of the components.
    One(&'static str),
    /// A JSON array of one schema (a list route).
    List(&'static str),
    /// A JSON object not described further here (its Rust type named).
    Any(&'static str),
}

/// How an operation is documented.
#[derive(Debug, Clone, Copy)]
struct Doc {
    tag: &'static str,
    summary: &'static str,
    request: Body,
    answer: Body,
    /// Query parameters besides `limit`/`after`: (name, required, description).
    query: &'static [(&'static str, bool, &'static str)],
}

const fn d(tag: &'static str, summary: &'static str, request: Body, answer: Body) -> Doc {
    Doc {
        tag,
        summary,
        request,
        answer,
        query: &[],
    }
}

const FORCE: &[(&str, bool, &str)] = &[("force", false, "remove its relations with it")];
const DRY_RUN: &[(&str, bool, &str)] = &[("dry_run", false, "write nothing; report only")];

/// The description of each operation.
fn doc_of(op: Op) -> Doc {
    use Body::{Any, List, None as No, One};
    let rev = One("RevisionBody");
    match op {
        Op::Health => d("admin", "Liveness and the revision", No, One("Health")),
        Op::OpenApi => d("admin", "This document", No, Any("OpenAPI 3.1 document")),
        Op::Ready => d(
            "admin",
            "Readiness: store reachable, index built, the revision served (503 when not)",
            No,
            One("Readiness"),
        ),
        Op::Me => d("admin", "The caller and what it may do", No, Any("MeWire")),
        Op::Catalogs => d("admin", "The catalogs", No, List("CatalogSummary")),
        Op::State => d("admin", "What the caller may see", No, Any("StateWire")),
        Op::Watch => Doc {
            query: &[
                ("after", false, "the revision the caller has"),
                ("wait", false, "seconds to hold the request (at most 60)"),
            ],
            ..d(
                "admin",
                "Wait for the next revision",
                No,
                One("WatchAnswer"),
            )
        },
        Op::ListRoles => d("roles", "List roles", No, List("Role")),
        Op::CreateRole => d("roles", "Create a role", One("RoleSpec"), One("Role")),
        Op::GetRole => d("roles", "Read a role", No, One("Role")),
        Op::UpdateRole => d(
            "roles",
            "Update a role (with version)",
            One("RoleSpec"),
            One("Role"),
        ),
        Op::DeleteRole => Doc {
            query: FORCE,
            ..d("roles", "Delete a role", No, rev)
        },
        Op::RolePermissions => d("roles", "A role's permissions", No, List("Permission")),
        Op::AddRolePermission => d("roles", "Add a permission", One("AddPermission"), rev),
        Op::RemoveRolePermission => d("roles", "Remove a permission", No, rev),
        Op::RoleUsers => d("roles", "A role's users", No, List("User")),
        Op::AddRoleUser => d("roles", "Add a user", One("AddUser"), rev),
        Op::RemoveRoleUser => d("roles", "Remove a user", No, rev),
        Op::RoleTeams => d("roles", "A role's teams", No, List("Team")),
        Op::AddRoleTeam => d("roles", "Add a team", One("AddTeam"), rev),
        Op::RemoveRoleTeam => d("roles", "Remove a team", No, rev),
        Op::ListPermissions => d("permissions", "List permissions", No, List("Permission")),
        Op::CreatePermission => d(
            "permissions",
            "Create a permission",
            One("PermissionSpec"),
            One("Permission"),
        ),
        Op::GetPermission => d("permissions", "Read a permission", No, One("Permission")),
        Op::UpdatePermission => d(
            "permissions",
            "Update a permission (with version)",
            One("PermissionSpec"),
            One("Permission"),
        ),
        Op::DeletePermission => Doc {
            query: FORCE,
            ..d("permissions", "Delete a permission", No, rev)
        },
        Op::ListUsers => d("users", "List users", No, List("User")),
        Op::CreateUser => d("users", "Create a user", One("UserSpec"), One("User")),
        Op::GetUser => d("users", "Read a user", No, One("User")),
        Op::UpdateUser => d(
            "users",
            "Update a user (with version)",
            One("UserSpec"),
            One("User"),
        ),
        Op::DeleteUser => Doc {
            query: FORCE,
            ..d("users", "Delete a user", No, rev)
        },
        Op::UserRoles => d("users", "A user's roles", No, List("Role")),
        Op::AddUserRole => d("users", "Give a role", One("AddRole"), rev),
        Op::RemoveUserRole => d("users", "Take a role", No, rev),
        Op::ListTeams => d("teams", "List teams", No, List("Team")),
        Op::CreateTeam => d("teams", "Create a team", One("TeamSpec"), One("Team")),
        Op::GetTeam => d("teams", "Read a team", No, One("Team")),
        Op::UpdateTeam => d(
            "teams",
            "Update a team (with version)",
            One("TeamSpec"),
            One("Team"),
        ),
        Op::DeleteTeam => Doc {
            query: FORCE,
            ..d("teams", "Delete a team", No, rev)
        },
        Op::TeamMembers => d("teams", "A team's members", No, List("MemberWire")),
        Op::AddTeamMember => d("teams", "Add a member", One("AddUser"), rev),
        Op::RemoveTeamMember => d("teams", "Remove a member", No, rev),
        Op::Link => d("relations", "Add a relation", Any("Link"), rev),
        Op::Unlink => d("relations", "Remove a relation", Any("Link"), rev),
        Op::LinkUntil => d(
            "relations",
            "Add a relation that ends",
            One("LinkUntil"),
            rev,
        ),
        Op::SetExpiry => d(
            "relations",
            "Set or clear a relation's end",
            One("SetExpiry"),
            rev,
        ),
        Op::PruneExpired => d(
            "relations",
            "Remove ended relations",
            No,
            One("PruneAnswer"),
        ),
        Op::ResourceGrants => d("admin", "Who holds a resource", No, List("ResourceGrant")),
        Op::GrantResource => d("admin", "Grant a resource", One("GrantBody"), rev),
        Op::RevokeResource => Doc {
            query: &[
                ("scope", false, "one scope; every scope when absent"),
                ("to", false, "user, team or client"),
            ],
            ..d("admin", "Revoke a resource", No, rev)
        },
        Op::MyResources => d("admin", "The caller's resources", No, List("MyResource")),
        Op::ListKeys => d("admin", "List API keys", No, List("KeyWire")),
        Op::CreateKey => d(
            "admin",
            "Create an API key",
            One("KeyCreate"),
            One("KeyCreated"),
        ),
        Op::RevokeKey => d("admin", "Revoke an API key", No, rev),
        Op::Audit => Doc {
            query: &[
                ("before", false, "only events below this revision"),
                (
                    "since",
                    false,
                    "only events at or after this time (RFC 3339)",
                ),
                ("actor", false, "only events by this actor"),
            ],
            ..d("admin", "Audit events, newest first", No, One("AuditPage"))
        },
        Op::ApplyPreset => Doc {
            query: DRY_RUN,
            ..d("admin", "Apply a preset", No, Any("ImportReport"))
        },
        Op::Import => Doc {
            query: DRY_RUN,
            ..d(
                "admin",
                "Import a document",
                Any("PolicyDoc"),
                Any("ImportReport"),
            )
        },
        Op::Export => d("admin", "Export the store", No, Any("PolicyDoc")),
        Op::Apply => d("admin", "Apply a plan's changes", Any("ApplyBody"), rev),
        Op::Check => d(
            "engine",
            "Decide one or a batch",
            One("CheckRequest"),
            One("CheckResponse"),
        ),
        Op::Explain => d(
            "engine",
            "Explain a decision",
            One("CheckRequest"),
            Any("Explanation"),
        ),
        Op::DecideCall => d(
            "engine",
            "Decide a Mage call",
            Any("CallQuery"),
            Any("CallAnswer"),
        ),
        Op::WhoCan => Doc {
            query: &[
                ("catalog", true, "the catalog"),
                ("action", true, "the action"),
                ("entity", true, "the entity type"),
                ("entity_uuid", false, "one entity"),
                ("resource_owner", false, "the resource's owner"),
                ("resource_team", false, "the resource's team"),
                ("at", false, "as of this instant (RFC 3339)"),
            ],
            ..d("engine", "Who may do something", No, List("WhoCan"))
        },
        Op::WhatCan => d("engine", "What a user may do", No, Any("WhatCan")),
    }
}

fn schema_of(body: Body) -> Option<RefOr<Schema>> {
    let reference = |name: &str| RefOr::Ref(Ref::from_schema_name(name));
    match body {
        Body::None => None,
        Body::One(name) => Some(reference(name)),
        Body::List(name) => Some(RefOr::T(Schema::Array(Array::new(reference(name))))),
        Body::Any(what) => Some(RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some(format!("gatehouse's `{what}`")))
                .build(),
        ))),
    }
}

fn json(schema: Option<RefOr<Schema>>) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(schema).build()
}

fn text_param(name: &str, at: ParameterIn, required: bool, what: &str) -> Parameter {
    let text = Schema::Object(ObjectBuilder::new().schema_type(Type::String).build());
    ParameterBuilder::new()
        .name(name)
        .parameter_in(at)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .description(Some(what))
        .schema(Some(RefOr::T(text)))
        .build()
}

/// The operation of one route.
fn operation(route: &Route) -> Operation {
    let doc = doc_of(route.op);
    let mut op = OperationBuilder::new()
        .tag(doc.tag)
        .summary(Some(doc.summary))
        .operation_id(Some(format!("{:?}", route.op)));
    for segment in route.path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            op = op.parameter(text_param(name, ParameterIn::Path, true, "an id or a name"));
        }
    }
    if route.op.paged() {
        op = op.parameters(Some(PageParams::into_params(|| Some(ParameterIn::Query))));
    }
    for (name, required, what) in doc.query {
        op = op.parameter(text_param(name, ParameterIn::Query, *required, what));
    }
    if let Some(schema) = schema_of(doc.request) {
        let body = RequestBodyBuilder::new()
            .required(Some(Required::True))
            .content("application/json", json(Some(schema)))
            .build();
        op = op.request_body(Some(body));
    }
    let created = matches!(
        route.op,
        Op::CreateRole | Op::CreatePermission | Op::CreateUser | Op::CreateTeam | Op::CreateKey
    );
    let ok = ResponseBuilder::new()
        .description(if route.op.paged() {
            "The answer; a list page carries X-Next-Cursor and Link (rel=\"next\") when more remain"
        } else {
            "The answer"
        })
        .content("application/json", json(schema_of(doc.answer)))
        .build();
    op = op.response(if created { "201" } else { "200" }, ok);
    let error = || {
        ResponseBuilder::new()
            .description("An error: {\"error\": {code, message, field, …}}")
            .content("application/json", json(schema_of(Body::One("ErrorBody"))))
            .build()
    };
    op = op.response("4XX", error()).response("5XX", error());
    if route.auth {
        op = op.security(SecurityRequirement::new(BEARER, Vec::<String>::new()));
    }
    op.build()
}

fn method_of(m: Method) -> HttpMethod {
    match m {
        Method::Get => HttpMethod::Get,
        Method::Post => HttpMethod::Post,
        Method::Put => HttpMethod::Put,
        Method::Delete => HttpMethod::Delete,
    }
}

/// The whole document: every route of [`ROUTES`] under [`API_PREFIX`].
pub fn document() -> OpenApi {
    let mut api = Components::openapi();
    api.info.title = "gatehouse".into();
    api.info.version = env!("CARGO_PKG_VERSION").into();
    api.info.description = Some(
        "The HTTP API of `gatehouse serve`: roles, permissions, users and teams, and access \
         questions. Every route but /healthz and /openapi.json needs an API key \
         (Authorization: Bearer KEY)."
            .into(),
    );
    for route in ROUTES {
        let path = format!("{API_PREFIX}{}", route.path);
        api.paths
            .add_path_operation(path, vec![method_of(route.method)], operation(route));
    }
    if let Some(c) = api.components.as_mut() {
        c.add_security_scheme(
            BEARER,
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
    api.tags = Some(
        TAGS.iter()
            .map(|(name, what)| {
                TagBuilder::new()
                    .name(*name)
                    .description(Some(*what))
                    .build()
            })
            .collect(),
    );
    api
}

/// `GET /openapi.json`: the document, built once.
pub(super) async fn serve() -> Response {
    static TEXT: OnceLock<Result<String, String>> = OnceLock::new();
    match TEXT.get_or_init(|| document().to_json().map_err(|e| e.to_string())) {
        Ok(text) => ([(CONTENT_TYPE, "application/json")], text.clone()).into_response(),
        Err(e) => ApiError::from(Error::Store(format!("cannot write the API document: {e}")))
            .into_response(),
    }
}
