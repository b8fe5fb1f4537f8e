//! The router, built from [`ROUTES`]: each route's method and path come from the table, its
//! handler from [`handler`] (an exhaustive match, so every operation has exactly one), and its
//! layers from its flags: authentication unless it is `/healthz`, the read-only gate on write
//! routes, and the body limit (import's is larger).

use super::App;
use super::ServerConfig;
use super::auth::{authenticate, finish, write_gate};
use super::error::ApiError;
use super::{routes_admin as admin, routes_engine as engine};
use super::{routes_objects as objects, routes_relations as rel};
use crate::wire::{API_PREFIX, Method, Op, ROUTES};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, MethodRouter, on};

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

/// The whole router: the API under [`API_PREFIX`], a JSON 404 elsewhere, and the layer that
/// finishes every answer.
pub(super) fn build(app: App, config: &ServerConfig) -> Router {
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
    Router::new()
        .nest(API_PREFIX, api)
        .fallback(no_route)
        .layer(from_fn_with_state(app.clone(), finish))
        .with_state(app)
}
