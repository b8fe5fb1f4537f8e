//! The route table: every route of the API in one place. The server builds its router from it
//! (each [`Op`] has exactly one handler), refuses read-only keys on every route marked `write`
//! before reading the body, and the tests enumerate it (every write route answers 401 without a
//! valid key and 403 to a viewer, writing nothing).

/// An HTTP method the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// What a route does: one variant per route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `GET /healthz`
    Health,
    /// `GET /openapi.json` (the OpenAPI 3.1 document of the API)
    OpenApi,
    /// `GET /readyz` (store reachable, index loaded; the revision served)
    Ready,
    /// `GET /me`
    Me,
    /// `GET /catalogs`
    Catalogs,
    /// `GET /state`
    State,
    /// `GET /watch` (long-poll for the next revision)
    Watch,
    /// `GET /roles`
    ListRoles,
    /// `POST /roles`
    CreateRole,
    /// `GET /roles/{id}`
    GetRole,
    /// `PUT /roles/{id}`
    UpdateRole,
    /// `DELETE /roles/{id}`
    DeleteRole,
    /// `GET /roles/{id}/permissions`
    RolePermissions,
    /// `POST /roles/{id}/permissions`
    AddRolePermission,
    /// `DELETE /roles/{id}/permissions/{pid}`
    RemoveRolePermission,
    /// `GET /roles/{id}/users`
    RoleUsers,
    /// `POST /roles/{id}/users`
    AddRoleUser,
    /// `DELETE /roles/{id}/users/{uid}`
    RemoveRoleUser,
    /// `GET /roles/{id}/teams`
    RoleTeams,
    /// `POST /roles/{id}/teams`
    AddRoleTeam,
    /// `DELETE /roles/{id}/teams/{tid}`
    RemoveRoleTeam,
    /// `GET /permissions`
    ListPermissions,
    /// `POST /permissions`
    CreatePermission,
    /// `GET /permissions/{id}`
    GetPermission,
    /// `PUT /permissions/{id}`
    UpdatePermission,
    /// `DELETE /permissions/{id}`
    DeletePermission,
    /// `GET /users`
    ListUsers,
    /// `POST /users`
    CreateUser,
    /// `GET /users/{id}`
    GetUser,
    /// `PUT /users/{id}`
    UpdateUser,
    /// `DELETE /users/{id}`
    DeleteUser,
    /// `GET /users/{id}/roles`
    UserRoles,
    /// `POST /users/{id}/roles`
    AddUserRole,
    /// `DELETE /users/{id}/roles/{rid}`
    RemoveUserRole,
    /// `GET /teams`
    ListTeams,
    /// `POST /teams`
    CreateTeam,
    /// `GET /teams/{id}`
    GetTeam,
    /// `PUT /teams/{id}`
    UpdateTeam,
    /// `DELETE /teams/{id}`
    DeleteTeam,
    /// `GET /teams/{id}/members`
    TeamMembers,
    /// `POST /teams/{id}/members`
    AddTeamMember,
    /// `DELETE /teams/{id}/members/{uid}`
    RemoveTeamMember,
    /// `POST /links`
    Link,
    /// `POST /links/delete`
    Unlink,
    /// `POST /links/until` (a relation with an end)
    LinkUntil,
    /// `POST /links/expiry` (set or clear a relation's end)
    SetExpiry,
    /// `POST /expired/prune` (remove the relations whose end has passed)
    PruneExpired,
    /// `GET /resources/{resource}/grants`
    ResourceGrants,
    /// `POST /resources/{resource}/grants`
    GrantResource,
    /// `DELETE /resources/{resource}/grants/{principal}`
    RevokeResource,
    /// `GET /me/resources`
    MyResources,
    /// `GET /keys`
    ListKeys,
    /// `POST /keys`
    CreateKey,
    /// `DELETE /keys/{id}`
    RevokeKey,
    /// `GET /audit`
    Audit,
    /// `POST /presets/{name}/apply`
    ApplyPreset,
    /// `POST /import`
    Import,
    /// `GET /export`
    Export,
    /// `POST /apply` (a plan's changes, in one transaction)
    Apply,
    /// `POST /check`
    Check,
    /// `POST /explain`
    Explain,
    /// `POST /decide-call`
    DecideCall,
    /// `GET /who-can`
    WhoCan,
    /// `GET /what-can/{user}`
    WhatCan,
}

impl Op {
    /// True for the routes that answer a list (a JSON array, or audit's page of events): they
    /// take `?limit=&after=` ([`super::page`]).
    pub fn paged(self) -> bool {
        matches!(
            self,
            Op::Catalogs
                | Op::ListRoles
                | Op::RolePermissions
                | Op::RoleUsers
                | Op::RoleTeams
                | Op::ListPermissions
                | Op::ListUsers
                | Op::UserRoles
                | Op::ListTeams
                | Op::TeamMembers
                | Op::ResourceGrants
                | Op::MyResources
                | Op::ListKeys
                | Op::Audit
                | Op::WhoCan
        )
    }
}

/// One route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// What it does.
    pub op: Op,
    /// Its method.
    pub method: Method,
    /// Its path under [`API_PREFIX`](super::API_PREFIX), `{name}` for a parameter.
    pub path: &'static str,
    /// True when it may change the store: refused to read-only keys and audited.
    pub write: bool,
    /// False only for `/healthz`, `/readyz` and `/openapi.json`.
    pub auth: bool,
}

const fn r(op: Op, method: Method, path: &'static str, write: bool) -> Route {
    Route {
        op,
        method,
        path,
        write,
        auth: true,
    }
}

use Method::{Delete, Get, Post, Put};

/// Every route of the API.
pub const ROUTES: &[Route] = &[
    Route {
        op: Op::Health,
        method: Get,
        path: "/healthz",
        write: false,
        auth: false,
    },
    Route {
        op: Op::OpenApi,
        method: Get,
        path: "/openapi.json",
        write: false,
        auth: false,
    },
    Route {
        op: Op::Ready,
        method: Get,
        path: "/readyz",
        write: false,
        auth: false,
    },
    r(Op::Me, Get, "/me", false),
    r(Op::Catalogs, Get, "/catalogs", false),
    r(Op::State, Get, "/state", false),
    r(Op::Watch, Get, "/watch", false),
    r(Op::ListRoles, Get, "/roles", false),
    r(Op::CreateRole, Post, "/roles", true),
    r(Op::GetRole, Get, "/roles/{id}", false),
    r(Op::UpdateRole, Put, "/roles/{id}", true),
    r(Op::DeleteRole, Delete, "/roles/{id}", true),
    r(Op::RolePermissions, Get, "/roles/{id}/permissions", false),
    r(Op::AddRolePermission, Post, "/roles/{id}/permissions", true),
    r(
        Op::RemoveRolePermission,
        Delete,
        "/roles/{id}/permissions/{pid}",
        true,
    ),
    r(Op::RoleUsers, Get, "/roles/{id}/users", false),
    r(Op::AddRoleUser, Post, "/roles/{id}/users", true),
    r(Op::RemoveRoleUser, Delete, "/roles/{id}/users/{uid}", true),
    r(Op::RoleTeams, Get, "/roles/{id}/teams", false),
    r(Op::AddRoleTeam, Post, "/roles/{id}/teams", true),
    r(Op::RemoveRoleTeam, Delete, "/roles/{id}/teams/{tid}", true),
    r(Op::ListPermissions, Get, "/permissions", false),
    r(Op::CreatePermission, Post, "/permissions", true),
    r(Op::GetPermission, Get, "/permissions/{id}", false),
    r(Op::UpdatePermission, Put, "/permissions/{id}", true),
    r(Op::DeletePermission, Delete, "/permissions/{id}", true),
    r(Op::ListUsers, Get, "/users", false),
    r(Op::CreateUser, Post, "/users", true),
    r(Op::GetUser, Get, "/users/{id}", false),
    r(Op::UpdateUser, Put, "/users/{id}", true),
    r(Op::DeleteUser, Delete, "/users/{id}", true),
    r(Op::UserRoles, Get, "/users/{id}/roles", false),
    r(Op::AddUserRole, Post, "/users/{id}/roles", true),
    r(Op::RemoveUserRole, Delete, "/users/{id}/roles/{rid}", true),
    r(Op::ListTeams, Get, "/teams", false),
    r(Op::CreateTeam, Post, "/teams", true),
    r(Op::GetTeam, Get, "/teams/{id}", false),
    r(Op::UpdateTeam, Put, "/teams/{id}", true),
    r(Op::DeleteTeam, Delete, "/teams/{id}", true),
    r(Op::TeamMembers, Get, "/teams/{id}/members", false),
    r(Op::AddTeamMember, Post, "/teams/{id}/members", true),
    r(
        Op::RemoveTeamMember,
        Delete,
        "/teams/{id}/members/{uid}",
        true,
    ),
    r(Op::Link, Post, "/links", true),
    r(Op::Unlink, Post, "/links/delete", true),
    r(Op::LinkUntil, Post, "/links/until", true),
    r(Op::SetExpiry, Post, "/links/expiry", true),
    r(Op::PruneExpired, Post, "/expired/prune", true),
    r(
        Op::ResourceGrants,
        Get,
        "/resources/{resource}/grants",
        false,
    ),
    r(
        Op::GrantResource,
        Post,
        "/resources/{resource}/grants",
        true,
    ),
    r(
        Op::RevokeResource,
        Delete,
        "/resources/{resource}/grants/{principal}",
        true,
    ),
    r(Op::MyResources, Get, "/me/resources", false),
    r(Op::ListKeys, Get, "/keys", false),
    r(Op::CreateKey, Post, "/keys", true),
    r(Op::RevokeKey, Delete, "/keys/{id}", true),
    r(Op::Audit, Get, "/audit", false),
    r(Op::ApplyPreset, Post, "/presets/{name}/apply", true),
    r(Op::Import, Post, "/import", true),
    r(Op::Export, Get, "/export", false),
    r(Op::Apply, Post, "/apply", true),
    r(Op::Check, Post, "/check", false),
    r(Op::Explain, Post, "/explain", false),
    r(Op::DecideCall, Post, "/decide-call", false),
    r(Op::WhoCan, Get, "/who-can", false),
    r(Op::WhatCan, Get, "/what-can/{user}", false),
];

/// The route of an operation.
pub fn route(op: Op) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.op == op)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn each_op_and_each_method_path_pair_appears_once() {
        let ops: HashSet<Op> = ROUTES.iter().map(|r| r.op).collect();
        assert_eq!(ops.len(), ROUTES.len());
        let pairs: HashSet<(Method, &str)> = ROUTES.iter().map(|r| (r.method, r.path)).collect();
        assert_eq!(pairs.len(), ROUTES.len());
    }

    #[test]
    fn only_the_probes_go_without_a_key_and_gets_never_write() {
        for r in ROUTES {
            assert_eq!(
                r.auth,
                !matches!(r.op, Op::Health | Op::Ready | Op::OpenApi),
                "{r:?}"
            );
            if r.method == Method::Get {
                assert!(!r.write, "{r:?}");
            }
            if matches!(r.method, Method::Put | Method::Delete) {
                assert!(r.write, "{r:?}");
            }
        }
    }
}
