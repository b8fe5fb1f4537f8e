//! Roles, permissions, users and teams: list, create, read, update (at a version), delete.
//! Path parameters take an id or a name (role name, username, team key, permission short id).

use super::auth::Caller;
use super::error::{ApiResult, JsonBody, Params, PathArgs};
use super::paging::Page;
use super::util::{resolve_read, resolve_write, spawned, version_of, with_etag};
use crate::backend::Backend;
use crate::backend::{
    PermissionSpec, RoleSpec, TeamSpec, UserSpec, find_permission, find_role, find_team, find_user,
};
use crate::wire::{DeleteParams, RevisionBody, Update};
use axum::Json;
use axum::extract::Extension;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// What a `find_*` function returns, as an owned object (roles, users and teams are found by
/// reference into the state, permissions are unpacked from it).
trait Owned {
    type Object;
    fn owned(self) -> Self::Object;
}

impl<T: Clone> Owned for &T {
    type Object = T;
    fn owned(self) -> T {
        self.clone()
    }
}

impl Owned for crate::model::Permission {
    type Object = Self;
    fn owned(self) -> Self {
        self
    }
}

/// Generates the five handlers of one kind of object.
macro_rules! crud {
    (
        entity: $entity:literal, spec: $spec:ty, rows: $map:ident . $rows:ident, key: $key:expr,
        own: $own:expr, find: $find:path,
        list: $list:ident, create: $create:ident => $bcreate:ident,
        get: $get:ident, update: $update:ident => $bupdate:ident,
        delete: $delete:ident => $bdelete:ident $(,)?
    ) => {
        /// The list, in id order, a page at a time (`?limit=&after=`).
        pub(super) async fn $list(
            Extension(c): Extension<Caller>,
            page: Page,
        ) -> ApiResult<Response> {
            let s = c.backend.state().await?;
            Ok(page.slice(s.$map.$rows(), $key)?.respond(&page, $own))
        }

        pub(super) async fn $create(
            Extension(c): Extension<Caller>,
            JsonBody(spec): JsonBody<$spec>,
        ) -> ApiResult<Response> {
            let b = c.backend.clone();
            let obj = spawned(async move { b.$bcreate(spec).await }).await?;
            let version = obj.version;
            Ok(with_etag(version, (StatusCode::CREATED, Json(obj))))
        }

        pub(super) async fn $get(
            Extension(c): Extension<Caller>,
            PathArgs(id): PathArgs<String>,
        ) -> ApiResult<Response> {
            let s = c.backend.state().await?;
            let obj = resolve_read(&c, &s, $entity, |s| $find(s, &id).map(Owned::owned))?;
            let version = obj.version;
            Ok(with_etag(version, Json(obj)))
        }

        pub(super) async fn $update(
            Extension(c): Extension<Caller>,
            PathArgs(id): PathArgs<String>,
            headers: HeaderMap,
            JsonBody(body): JsonBody<Update<$spec>>,
        ) -> ApiResult<Response> {
            let id = resolve_write(&c, $entity, |s| $find(s, &id).map(|o| o.id))?;
            let version = version_of(&headers, body.version)?;
            let b = c.backend.clone();
            let obj = spawned(async move { b.$bupdate(id, body.spec, version).await }).await?;
            let version = obj.version;
            Ok(with_etag(version, Json(obj)))
        }

        pub(super) async fn $delete(
            Extension(c): Extension<Caller>,
            PathArgs(id): PathArgs<String>,
            Params(p): Params<DeleteParams>,
        ) -> ApiResult<Json<RevisionBody>> {
            let id = resolve_write(&c, $entity, |s| $find(s, &id).map(|o| o.id))?;
            let b = c.backend.clone();
            let revision = spawned(async move { b.$bdelete(id, p.force).await }).await?;
            Ok(Json(RevisionBody { revision }))
        }
    };
}

crud! {
    entity: "Role", spec: RoleSpec, rows: roles.values, key: |r| r.id, own: |r| r,
    find: find_role,
    list: list_roles, create: create_role => create_role,
    get: get_role, update: update_role => update_role,
    delete: delete_role => delete_role,
}

crud! {
    entity: "Permission", spec: PermissionSpec, rows: permissions.iter, key: |v| v.id(), own: |v| v.to_permission(),
    find: find_permission,
    list: list_permissions, create: create_permission => create_permission,
    get: get_permission, update: update_permission => update_permission,
    delete: delete_permission => delete_permission,
}

crud! {
    entity: "User", spec: UserSpec, rows: users.values, key: |u| u.id, own: |u| u,
    find: find_user,
    list: list_users, create: create_user => create_user,
    get: get_user, update: update_user => update_user,
    delete: delete_user => delete_user,
}

crud! {
    entity: "Team", spec: TeamSpec, rows: teams.values, key: |t| t.id, own: |t| t,
    find: find_team,
    list: list_teams, create: create_team => create_team,
    get: get_team, update: update_team => update_team,
    delete: delete_team => delete_team,
}
