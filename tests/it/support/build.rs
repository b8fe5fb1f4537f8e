//! Builders shared by the test modules, so a test spells out only what it is about.
//!
//! - Records, for the store, engine and console tests that build a [`State`] or a commit by
//!   hand: every field at its plain value (empty text and lists, no links, version 1, created
//!   and updated at `t`); a test changes what matters with struct update syntax, e.g.
//!   `Permission { grants: flags(&["read"]), ..permission(id, "mage", "Pipeline", t) }`.
//! - Objects made through a [`Backend`] (`add_user`, `add_role`, `add_permission`, `give`) or
//!   through the [`Service`] as an actor (`create_user`, `create_role`, `add_to_role`, `assign`).
//!
//! [`State`]: gatehouse::policy::State
#![allow(dead_code)]

use gatehouse::backend::Backend;
use gatehouse::backend::{PermissionSpec, RoleSpec, UserSpec};
use gatehouse::catalog::Catalog;
use gatehouse::engine::Request;
use gatehouse::model::{ApiKey, Id, Permission, Role, Team, User, UserKind, new_id, now};
use gatehouse::policy::Link;
use gatehouse::service::{Actor, Service};
use time::OffsetDateTime;

/// The small catalog `t` of the engine and escalation property tests: flags `a`, `b`, `c` and
/// `ab` (implying `a` and `b`) on entities `X` and `Y`.
pub fn test_catalog() -> Catalog {
    Catalog::from_toml(
        "t.toml",
        r#"
name = "t"
title = "Test"
[[flags]]
name = "a"
[[flags]]
name = "b"
[[flags]]
name = "c"
[[flags]]
name = "ab"
implies = ["a", "b"]
[[entities]]
name = "X"
[[entities]]
name = "Y"
"#,
    )
    .expect("test catalog")
}

/// Owned strings of `v` (grants, denies, conditions, attributes).
pub fn flags(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// A person: no email or display name, enabled, not an owner.
pub fn user(id: Id, username: &str, t: OffsetDateTime) -> User {
    User {
        id,
        username: username.into(),
        email: String::new(),
        display_name: String::new(),
        kind: UserKind::Person,
        disabled: false,
        owner: false,
        created_at: t,
        updated_at: t,
        version: 1,
        first_name: String::new(),
        last_name: String::new(),
    }
}

/// A role with no description.
pub fn role(id: Id, name: &str, t: OffsetDateTime) -> Role {
    Role {
        id,
        name: name.into(),
        description: String::new(),
        created_at: t,
        updated_at: t,
        version: 1,
        created_by: None,
    }
}

/// A team with no description and no default role.
pub fn team(id: Id, key: &str, name: &str, t: OffsetDateTime) -> Team {
    Team {
        id,
        key: key.into(),
        name: name.into(),
        description: String::new(),
        default_role: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

/// A permission on `entity` of `catalog` (every entity UUID) that grants and denies nothing.
pub fn permission(id: Id, catalog: &str, entity: &str, t: OffsetDateTime) -> Permission {
    Permission {
        id,
        catalog: catalog.into(),
        entity: entity.into(),
        entity_uuid: None,
        grants: vec![],
        denies: vec![],
        conditions: vec![],
        query_attributes: vec![],
        read_attributes: vec![],
        write_attributes: vec![],
        description: String::new(),
        created_at: t,
        updated_at: t,
        version: 1,
        created_by: None,
        entity_type: None,
        scope: None,
    }
}

/// A full (not read-only) key of `user` that never expires, was never used nor revoked.
pub fn api_key(id: Id, user: Id, prefix: &str, hash: &str, t: OffsetDateTime) -> ApiKey {
    ApiKey {
        id,
        prefix: prefix.into(),
        hash: hash.into(),
        user_id: user,
        read_only: false,
        expires_at: None,
        created_at: t,
        last_used_at: None,
        revoked_at: None,
        version: 1,
    }
}

/// The `i`th permission of the store timing runs and bulk tests: a fresh id, now, on one of 50
/// entities of `mage`, every third on one entity UUID.
pub fn numbered_permission(i: usize) -> Permission {
    Permission {
        entity_uuid: i.is_multiple_of(3).then(|| format!("uuid-{i}")),
        grants: flags(&["read", "write"]),
        conditions: flags(&["own"]),
        read_attributes: flags(&["name"]),
        description: format!("permission {i}"),
        ..permission(new_id(), "mage", &format!("entity{}", i % 50), now())
    }
}

/// A role with a fresh id, made now.
pub fn new_role(name: &str) -> Role {
    role(new_id(), name, now())
}

/// A user with a fresh id, made now.
pub fn new_user(name: &str) -> User {
    user(new_id(), name, now())
}

/// A question: may `user` do `action` on `entity` of `catalog` (any entity UUID, no resource
/// owner or team, no attribute)?
pub fn request(
    user: Id,
    catalog: impl Into<String>,
    action: impl Into<String>,
    entity: impl Into<String>,
) -> Request {
    Request {
        at: None,
        user,
        catalog: catalog.into(),
        action: action.into(),
        entity: entity.into(),
        entity_uuid: None,
        resource_owner: None,
        resource_team: None,
        attribute: None,
    }
}

/// Creates the user `name` through `b`.
pub async fn add_user(b: &dyn Backend, name: &str) -> User {
    b.create_user(UserSpec {
        username: name.into(),
        ..Default::default()
    })
    .await
    .expect("user")
}

/// Creates the role `name` (no description) through `b`.
pub async fn add_role(b: &dyn Backend, name: &str) -> Role {
    b.create_role(RoleSpec {
        name: name.into(),
        description: String::new(),
    })
    .await
    .expect("role")
}

/// Creates, through `b`, a permission of `catalog` on `entity` granting `grants`.
pub async fn add_permission(
    b: &dyn Backend,
    catalog: &str,
    entity: &str,
    grants: &[&str],
) -> Permission {
    b.create_permission(PermissionSpec {
        catalog: catalog.into(),
        entity: entity.into(),
        grants: flags(grants),
        ..Default::default()
    })
    .await
    .expect("permission")
}

/// Through `b`: `permission` into `role`, and `role` assigned to `user`.
pub async fn give(b: &dyn Backend, user: Id, role: Id, permission: Id) {
    b.link(Link::RolePermission { role, permission })
        .await
        .expect("role ← permission");
    b.link(Link::UserRole { user, role })
        .await
        .expect("user ← role");
}

/// Creates the user `name` through the service, as `actor`.
pub async fn create_user(service: &Service, actor: &Actor, name: &str) -> User {
    service
        .create_user(
            actor,
            UserSpec {
                username: name.into(),
                ..Default::default()
            },
        )
        .await
        .expect("user")
}

/// Creates the role `name` (no description) through the service, as `actor`.
pub async fn create_role(service: &Service, actor: &Actor, name: &str) -> Role {
    service
        .create_role(
            actor,
            RoleSpec {
                name: name.into(),
                description: String::new(),
            },
        )
        .await
        .expect("role")
}

/// Through the service, as `actor`: `permission` into `role`.
pub async fn add_to_role(service: &Service, actor: &Actor, role: Id, permission: Id) {
    service
        .link(actor, Link::RolePermission { role, permission })
        .await
        .expect("role ← permission");
}

/// Through the service, as `actor`: `role` assigned to `user`.
pub async fn assign(service: &Service, actor: &Actor, user: Id, role: Id) {
    service
        .link(actor, Link::UserRole { user, role })
        .await
        .expect("user ← role");
}
