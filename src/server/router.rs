//! The router, built from [`ROUTES`]: each route's method and path come from the table, its
//! handler from [`handler`] (an exhaustive match, so every operation has exactly one), and its
//! layers from its flags: authentication unless it is a probe (`/healthz`, `/readyz`), the
//! read-only gate on write routes, and the body limit (import's is larger). `/metrics` sits
//! outside the API. Around everything, from the outside in: the request id (a client's sane one
//! kept, else a new UUID; copied onto the answer), the request's span, access line and metrics
//! ([`observe`](super::observe)), CORS when origins are given, and [`finish`].

use super::App;
use super::ServerConfig;
use super::auth::{authenticate, finish, write_gate};
use super::error::ApiError;
use super::observe::{drop_odd_request_id, observe, request_id_header};
use super::ready;
use super::{routes_admin as admin, routes_engine as engine};
use super::{routes_objects as objects, routes_relations as rel};
use crate::backend::{Error, Result};
use crate::wire::{API_PREFIX, METRICS_PATH, Method, Op, REVISION_HEADER, ROUTES};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, ETAG, IF_MATCH, IF_NONE_MATCH, LINK};
use axum::http::{HeaderName, HeaderValue, Uri};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, MethodRouter, get, on};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

fn filter(m: Method) -> MethodFilter {
    match m {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
        Method::Put => MethodFilter::PUT,
        Method::Delete => MethodFilter::DELETE,
    }
}

/// The handler of an operation, answering the route's method.
fn handler(op: Op, f: MethodFilter) -> MethodRouter<App> {
    match op {
        Op::Health => on(f, admin::health),
        Op::OpenApi => on(f, super::openapi::serve),
        Op::Ready => on(f, ready::ready),
        Op::Me => on(f, admin::me),
        Op::Catalogs => on(f, admin::catalogs),
        Op::State => on(f, admin::state),
        Op::Watch => on(f, admin::watch),
        Op::ListRoles => on(f, objects::list_roles),
        Op::CreateRole => on(f, objects::create_role),
        Op::GetRole => on(f, objects::get_role),
        Op::UpdateRole => on(f, objects::update_role),
        Op::DeleteRole => on(f, objects::delete_role),
        Op::RolePermissions => on(f, rel::role_permissions),
        Op::AddRolePermission => on(f, rel::add_role_permission),
        Op::RemoveRolePermission => on(f, rel::remove_role_permission),
        Op::RoleUsers => on(f, rel::role_users),
        Op::AddRoleUser => on(f, rel::add_role_user),
        Op::RemoveRoleUser => on(f, rel::remove_role_user),
        Op::RoleTeams => on(f, rel::role_teams),
        Op::AddRoleTeam => on(f, rel::add_role_team),
        Op::RemoveRoleTeam => on(f, rel::remove_role_team),
        Op::ListPermissions => on(f, objects::list_permissions),
        Op::CreatePermission => on(f, objects::create_permission),
        Op::GetPermission => on(f, objects::get_permission),
        Op::UpdatePermission => on(f, objects::update_permission),
        Op::DeletePermission => on(f, objects::delete_permission),
        Op::ListUsers => on(f, objects::list_users),
        Op::CreateUser => on(f, objects::create_user),
        Op::GetUser => on(f, objects::get_user),
        Op::UpdateUser => on(f, objects::update_user),
        Op::DeleteUser => on(f, objects::delete_user),
        Op::UserRoles => on(f, rel::user_roles),
        Op::AddUserRole => on(f, rel::add_user_role),
        Op::RemoveUserRole => on(f, rel::remove_user_role),
        Op::ListTeams => on(f, objects::list_teams),
        Op::CreateTeam => on(f, objects::create_team),
        Op::GetTeam => on(f, objects::get_team),
        Op::UpdateTeam => on(f, objects::update_team),
        Op::DeleteTeam => on(f, objects::delete_team),
        Op::TeamMembers => on(f, rel::team_members),
        Op::AddTeamMember => on(f, rel::add_team_member),
        Op::RemoveTeamMember => on(f, rel::remove_team_member),
        Op::Link => on(f, rel::link),
        Op::Unlink => on(f, rel::unlink),
        Op::LinkUntil => on(f, rel::link_until),
        Op::SetExpiry => on(f, rel::set_expiry),
        Op::PruneExpired => on(f, rel::prune_expired),
        Op::ResourceGrants => on(f, admin::resource_grants),
        Op::GrantResource => on(f, admin::grant_resource),
        Op::RevokeResource => on(f, admin::revoke_resource),
        Op::MyResources => on(f, admin::my_resources),
        Op::ListKeys => on(f, admin::list_keys),
        Op::CreateKey => on(f, admin::create_key),
        Op::RevokeKey => on(f, admin::revoke_key),
        Op::Audit => on(f, admin::audit),
        Op::ApplyPreset => on(f, admin::apply_preset),
        Op::Import => on(f, admin::import),
        Op::Export => on(f, admin::export),
        Op::Apply => on(f, admin::apply),
        Op::Check => on(f, engine::check),
        Op::Explain => on(f, engine::explain),
        Op::DecideCall => on(f, engine::decide_call),
        Op::WhoCan => on(f, engine::who_can),
        Op::WhatCan => on(f, engine::what_can),
    }
}

async fn no_route(method: axum::http::Method, uri: Uri) -> impl IntoResponse {
    ApiError::no_route(method.as_str(), uri.path())
}

/// How long a browser may keep a preflight's answer.
const CORS_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// An origin as browsers send it: `http` or `https`, a host, an optional port; no path.
fn origin_value(origin: &str) -> Result<HeaderValue> {
    let bad = |why: &str| {
        Error::invalid(
            "--cors-origin",
            format!(
                "'{}' is not an origin ({why}); give scheme://host[:port], e.g. https://admin.example.com",
                crate::text::sanitize(origin)
            ),
        )
    };
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| bad("it must start with http:// or https://"))?;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if rest.is_empty() || !rest.chars().all(plain) {
        return Err(bad("only a host and a port may follow the scheme"));
    }
    HeaderValue::from_str(origin).map_err(|_| bad("not a header value"))
}

/// The CORS layer of `origins` (none: no layer, so no answer carries CORS headers): exactly
/// those origins, the API's methods, the `Authorization`, `Content-Type` and `X-Request-Id`
/// request headers; `X-Request-Id` and the revision header readable by the page.
fn cors(origins: &[String]) -> Result<Option<CorsLayer>> {
    if origins.is_empty() {
        return Ok(None);
    }
    let list = origins
        .iter()
        .map(|o| origin_value(o))
        .collect::<Result<Vec<_>>>()?;
    use axum::http::Method as M;
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(list))
            .allow_methods([M::GET, M::POST, M::PUT, M::DELETE])
            .allow_headers([
                AUTHORIZATION,
                CONTENT_TYPE,
                IF_MATCH,
                IF_NONE_MATCH,
                request_id_header(),
            ])
            // What a browser page needs to read: the request id, the revision, the next
            // page of a list and the version for a conditional update.
            .expose_headers([
                request_id_header(),
                HeaderName::from_static(REVISION_HEADER),
                HeaderName::from_static(crate::wire::NEXT_CURSOR_HEADER),
                LINK,
                ETAG,
            ])
            .max_age(CORS_MAX_AGE),
    ))
}

/// The whole router: the API under [`API_PREFIX`], `/metrics`, a JSON 404 elsewhere, and the
/// layers every answer goes through (see the module's documentation). Fails on an origin that
/// is not one.
pub(super) fn build(app: App, config: &ServerConfig) -> Result<Router> {
    let cors = cors(&config.cors_origins)?;
    let mut api: Router<App> = Router::new();
    for route in ROUTES {
        let limit = if route.op == Op::Import || route.op == Op::Apply {
            config.import_limit
        } else {
            config.body_limit
        };
        let mut mr = handler(route.op, filter(route.method)).layer(DefaultBodyLimit::max(limit));
        if matches!(route.op, Op::Import | Op::ApplyPreset | Op::Apply) {
            mr = mr.route_layer(from_fn(admin::import_gate));
        }
        if route.write {
            mr = mr.route_layer(from_fn(write_gate));
        }
        if route.auth {
            mr = mr.route_layer(from_fn_with_state(app.clone(), authenticate));
        }
        api = api.route(route.path, mr);
    }
    let mut router = Router::new()
        .nest(API_PREFIX, api)
        .route(METRICS_PATH, get(ready::metrics))
        .fallback(no_route)
        .layer(from_fn_with_state(app.clone(), finish));
    if let Some(cors) = cors {
        router = router.layer(cors);
    }
    Ok(router
        .layer(from_fn_with_state(app.clone(), observe))
        .layer(PropagateRequestIdLayer::new(request_id_header()))
        .layer(SetRequestIdLayer::new(request_id_header(), MakeRequestUuid))
        .layer(from_fn(drop_odd_request_id))
        .with_state(app))
}

#[cfg(test)]
mod tests {
    use super::origin_value;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        for ok in [
            "https://admin.example.com",
            "http://localhost:5173",
            "http://[::1]:8080",
        ] {
            assert!(origin_value(ok).is_ok(), "{ok}");
        }
        for bad in [
            "*",
            "null",
            "admin.example.com",
            "https://",
            "https://admin.example.com/",
            "https://a.example.com/path",
            "ftp://a.example.com",
            "https://a b",
        ] {
            assert!(origin_value(bad).is_err(), "{bad}");
        }
    }
}
