//! Relations: a role's permissions, users and teams; a user's roles; a team's members; the
//! generic `POST /links` / `POST /links/delete` that take a [`Link`] as it is; and relations
//! that end: `POST /links/until`, `POST /links/expiry`, `POST /expired/prune`.

use super::auth::Caller;
use super::error::{ApiResult, JsonBody, PathArgs};
use super::paging::Page;
use super::util::{resolve_read, resolve_write, spawned};
use crate::backend::Backend;
use crate::backend::{find_permission, find_role, find_team, find_user};
use crate::model::Id;
use crate::policy::{Link, State};
use crate::wire::{AddPermission, AddRole, AddTeam, AddUser, MemberWire, RevisionBody};
use crate::wire::{LinkUntil, PruneAnswer, SetExpiry};
use axum::Json;
use axum::extract::Extension;
use axum::response::Response;

/// Adds or removes a link as the caller, on its own task.
async fn write_link(c: &Caller, link: Link, add: bool) -> ApiResult<Json<RevisionBody>> {
    let b = c.backend.clone();
    let revision = spawned(async move {
        if add {
            b.link(link).await
        } else {
            b.unlink(link).await
        }
    })
    .await?;
    Ok(Json(RevisionBody { revision }))
}

/// Pairs `(a, b)` of a set whose first element is `a`.
/// The right sides of the links whose left side is `a`, given the links from `(a, nil)` on.
fn seconds<'a>(
    from_a: impl Iterator<Item = &'a (Id, Id)> + 'a,
    a: Id,
) -> impl Iterator<Item = Id> + 'a {
    from_a.take_while(move |(x, _)| *x == a).map(|(_, y)| *y)
}

fn role_id(s: &State, name: &str) -> crate::backend::Result<Id> {
    find_role(s, name).map(|r| r.id)
}
fn user_id(s: &State, name: &str) -> crate::backend::Result<Id> {
    find_user(s, name).map(|u| u.id)
}
fn team_id(s: &State, key: &str) -> crate::backend::Result<Id> {
    find_team(s, key).map(|t| t.id)
}
fn permission_id(s: &State, id: &str) -> crate::backend::Result<Id> {
    find_permission(s, id).map(|p| p.id)
}

pub(super) async fn role_permissions(
    Extension(c): Extension<Caller>,
    PathArgs(id): PathArgs<String>,
    page: Page,
) -> ApiResult<Response> {
    let s = c.backend.state().await?;
    let role = resolve_read(&c, &s, "Role", |s| role_id(s, &id))?;
    let from = (role, page.after::<Id>()?.unwrap_or(Id::nil()));
    let perms =
        seconds(s.role_permissions.range(from..), role).filter_map(|p| s.permissions.view(&p));
    let out = page.slice(perms, |v| v.id())?;
    Ok(out.respond(&page, |v| v.to_permission()))
}

pub(super) async fn add_role_permission(
    Extension(c): Extension<Caller>,
    PathArgs(id): PathArgs<String>,
    JsonBody(body): JsonBody<AddPermission>,
) -> ApiResult<Json<RevisionBody>> {
    let role = resolve_write(&c, "RolePermission", |s| role_id(s, &id))?;
    let permission = resolve_write(&c, "RolePermission", |s| permission_id(s, &body.permission))?;
    write_link(&c, Link::RolePermission { role, permission }, true).await
}

pub(super) async fn remove_role_permission(
    Extension(c): Extension<Caller>,
    PathArgs((id, pid)): PathArgs<(String, String)>,
) -> ApiResult<Json<RevisionBody>> {
    let role = resolve_write(&c, "RolePermission", |s| role_id(s, &id))?;
    let permission = resolve_write(&c, "RolePermission", |s| permission_id(s, &pid))?;
    write_link(&c, Link::RolePermission { role, permission }, false).await
}

pub(super) async fn role_users(
    Extension(c): Extension<Caller>,
    PathArgs(id): PathArgs<String>,
    page: Page,
) -> ApiResult<Response> {
    let s = c.backend.state().await?;
    let role = resolve_read(&c, &s, "Role", |s| role_id(s, &id))?;
    let users = s
        .user_roles
        .iter()
        .filter(|(_, r)| *r == role)
        .filter_map(|(u, _)| s.users.get(u));
    Ok(page.slice(users, |u| u.id)?.respond(&page, |u| u))
}

pub(super) async fn add_role_user(
    Extension(c): Extension<Caller>,
    PathArgs(id): PathArgs<String>,
    JsonBody(body): JsonBody<AddUser>,
) -> ApiResult<Json<RevisionBody>> {
    let role = resolve_write(&c, "UserRole", |s| role_id(s, &id))?;
    let user = resolve_write(&c, "UserRole", |s| user_id(s, &body.user))?;
    write_link(&c, Link::UserRole { user, role }, true).await
}

pub(super) async fn remove_role_user(
    Extension(c): Extension<Caller>,
    PathArgs((id, uid)): PathArgs<(String, String)>,
) -> ApiResult<Json<RevisionBody>> {
    let role = resolve_write(&c, "UserRole", |s| role_id(s, &id))?;
    let user = resolve_write(&c, "UserRole", |s| user_id(s, &uid))?;
    write_link(&c, Link::UserRole { user, role }, false).await
}

pub(super) async fn role_teams(
    Extension(c): Extension<Caller>,
    PathArgs(id): PathArgs<String>,
    page: Page,
) -> ApiResult<Response> {
    let s = c.backend.state().await?;
    let role = resolve_read(&c, &s, "Role", |s| role_id(s, &id))?;
    let teams = s
        .team_roles
        .iter()
        .filter(|(_, r)| *r == role)
        .filter_map(|(t, _)| s.teams.get(t));
    Ok(page.slice(teams, |t| t.id)?.respond(&page, |t| t))
}

pub(super) async fn add_role_team(
    Extension(c): Extension<Caller>,
    PathArgs(id): PathArgs<String>,
    JsonBody(body): JsonBody<AddTeam>,
) -> ApiResult<Json<RevisionBody>> {
    let role = resolve_write(&c, "TeamMember", |s| role_id(s, &id))?;
    let team = resolve_write(&c, "TeamMember", |s| team_id(s, &body.team))?;
    write_link(&c, Link::TeamRole { team, role }, true).await
}

pub(super) async fn remove_role_team(
    Extension(c): Extension<Caller>,
    PathArgs((id, tid)): PathArgs<(String, String)>,
) -> ApiResult<Json<RevisionBody>> {
    let role = resolve_write(&c, "TeamMember", |s| role_id(s, &id))?;
    let team = resolve_write(&c, "TeamMember", |s| team_id(s, &tid))?;
    write_link(&c, Link::TeamRole { team, role }, false).await
}

pub(super) async fn user_roles(
    Extension(c): Extension<Caller>,
    PathArgs(id): PathArgs<String>,
    page: Page,
) -> ApiResult<Response> {
    let s = c.backend.state().await?;
    let user = resolve_read(&c, &s, "User", |s| user_id(s, &id))?;
    let from = (user, page.after::<Id>()?.unwrap_or(Id::nil()));
    let roles = seconds(s.user_roles.range(from..), user).filter_map(|r| s.roles.get(&r));
    Ok(page.slice(roles, |r| r.id)?.respond(&page, |r| r))
}

pub(super) async fn add_user_role(
    Extension(c): Extension<Caller>,
    PathArgs(id): PathArgs<String>,
    JsonBody(body): JsonBody<AddRole>,
) -> ApiResult<Json<RevisionBody>> {
    let user = resolve_write(&c, "UserRole", |s| user_id(s, &id))?;
    let role = resolve_write(&c, "UserRole", |s| role_id(s, &body.role))?;
    write_link(&c, Link::UserRole { user, role }, true).await
}

pub(super) async fn remove_user_role(
    Extension(c): Extension<Caller>,
    PathArgs((id, rid)): PathArgs<(String, String)>,
) -> ApiResult<Json<RevisionBody>> {
    let user = resolve_write(&c, "UserRole", |s| user_id(s, &id))?;
    let role = resolve_write(&c, "UserRole", |s| role_id(s, &rid))?;
    write_link(&c, Link::UserRole { user, role }, false).await
}

pub(super) async fn team_members(
    Extension(c): Extension<Caller>,
    PathArgs(id): PathArgs<String>,
    page: Page,
) -> ApiResult<Response> {
    let s = c.backend.state().await?;
    let team = resolve_read(&c, &s, "Team", |s| team_id(s, &id))?;
    let from = (team, page.after::<Id>()?.unwrap_or(Id::nil()));
    let members = s
        .members
        .range(from..)
        .take_while(|((t, _), _)| *t == team)
        .map(|(&(_, user), &role)| MemberWire { user, role });
    Ok(page.slice(members, |m| m.user)?.respond(&page, |m| m))
}

pub(super) async fn add_team_member(
    Extension(c): Extension<Caller>,
    PathArgs(id): PathArgs<String>,
    JsonBody(body): JsonBody<AddUser>,
) -> ApiResult<Json<RevisionBody>> {
    let team = resolve_write(&c, "TeamMember", |s| team_id(s, &id))?;
    let user = resolve_write(&c, "TeamMember", |s| user_id(s, &body.user))?;
    let role = match &body.role {
        Some(r) => Some(resolve_write(&c, "TeamMember", |s| role_id(s, r))?),
        None => None,
    };
    write_link(&c, Link::Member { team, user, role }, true).await
}

pub(super) async fn remove_team_member(
    Extension(c): Extension<Caller>,
    PathArgs((id, uid)): PathArgs<(String, String)>,
) -> ApiResult<Json<RevisionBody>> {
    let team = resolve_write(&c, "TeamMember", |s| team_id(s, &id))?;
    let user = resolve_write(&c, "TeamMember", |s| user_id(s, &uid))?;
    let link = Link::Member {
        team,
        user,
        role: None,
    };
    write_link(&c, link, false).await
}

pub(super) async fn link(
    Extension(c): Extension<Caller>,
    JsonBody(link): JsonBody<Link>,
) -> ApiResult<Json<RevisionBody>> {
    write_link(&c, link, true).await
}

pub(super) async fn unlink(
    Extension(c): Extension<Caller>,
    JsonBody(link): JsonBody<Link>,
) -> ApiResult<Json<RevisionBody>> {
    write_link(&c, link, false).await
}

pub(super) async fn link_until(
    Extension(c): Extension<Caller>,
    JsonBody(body): JsonBody<LinkUntil>,
) -> ApiResult<Json<RevisionBody>> {
    let b = c.backend.clone();
    let revision = spawned(async move { b.link_until(body.link, body.expires_at).await }).await?;
    Ok(Json(RevisionBody { revision }))
}

pub(super) async fn set_expiry(
    Extension(c): Extension<Caller>,
    JsonBody(body): JsonBody<SetExpiry>,
) -> ApiResult<Json<RevisionBody>> {
    let b = c.backend.clone();
    let revision = spawned(async move { b.set_expiry(body.link, body.expires_at).await }).await?;
    Ok(Json(RevisionBody { revision }))
}

pub(super) async fn prune_expired(Extension(c): Extension<Caller>) -> ApiResult<Json<PruneAnswer>> {
    // The service asks for write on every kind of relation that can end, up front.
    let b = c.backend.clone();
    let (removed, revision) = spawned(async move { b.prune_expired().await }).await?;
    Ok(Json(PruneAnswer { removed, revision }))
}
