//! Relations that end, through the service on the in-memory store: a relation counts until its
//! end with no write in between, `check --at`, refused ends, the cleanup and its audit events,
//! and the rule that an actor holds what it gives for as long as it gives it.

use super::tests::{perm, service};
use super::*;
use crate::backend::{RoleSpec, UserSpec};
use crate::model::{AuditQuery, Role, User, now};
use crate::policy::Link;
use std::time::Duration as StdDuration;
use time::Duration;

pub(super) async fn role_with(
    svc: &Service,
    root: &Actor,
    name: &str,
    perms: &[(&str, &[&str])],
) -> Role {
    let role = svc
        .create_role(
            root,
            RoleSpec {
                name: name.into(),
                description: String::new(),
            },
        )
        .await
        .expect("role");
    for (entity, flags) in perms {
        let p = svc
            .create_permission(root, perm("gatehouse", entity, None, flags))
            .await
            .expect("perm");
        svc.link(
            root,
            Link::RolePermission {
                role: role.id,
                permission: p.id,
            },
        )
        .await
        .expect("link");
    }
    role
}

pub(super) async fn user(svc: &Service, root: &Actor, name: &str) -> User {
    svc.create_user(
        root,
        UserSpec {
            username: name.into(),
            ..Default::default()
        },
    )
    .await
    .expect("user")
}

pub(super) fn reads_audit(user: Id, at: Option<time::OffsetDateTime>) -> Request {
    Request {
        at,
        user,
        catalog: "gatehouse".into(),
        action: "read".into(),
        entity: "Audit".into(),
        entity_uuid: None,
        resource_owner: None,
        resource_team: None,
        attribute: None,
    }
}

#[tokio::test]
async fn a_relation_counts_until_its_end_with_no_write_in_between() {
    let (svc, root) = service().await;
    let role = role_with(&svc, &root, "auditor", &[("Audit", &["read"])]).await;
    let bob = user(&svc, &root, "bob").await;
    let link = Link::UserRole {
        user: bob.id,
        role: role.id,
    };
    let end = now() + Duration::milliseconds(400);
    svc.link_until(&root, link, Some(end)).await.expect("given");
    let rev = svc.snapshot().state.revision;
    assert_eq!(svc.snapshot().state.expiries.get(&link), Some(end));
    assert!(
        svc.check(&root, &reads_audit(bob.id, None))
            .expect("check")
            .allowed
    );
    let later = end + Duration::hours(1);
    assert!(
        !svc.check(&root, &reads_audit(bob.id, Some(later)))
            .expect("check")
            .allowed,
        "decided at an instant after the end"
    );
    tokio::time::sleep(StdDuration::from_millis(600)).await;
    let ex = svc.check(&root, &reads_audit(bob.id, None)).expect("check");
    assert!(
        !ex.allowed,
        "the end passed: no access, with no write since"
    );
    assert_eq!(svc.snapshot().state.revision, rev, "nothing was written");
    assert!(svc.snapshot().state.link_exists(&link), "not yet pruned");
}

#[tokio::test]
async fn an_end_in_the_past_or_on_a_roles_permission_is_refused_and_nothing_written() {
    let (svc, root) = service().await;
    let role = role_with(&svc, &root, "auditor", &[("Audit", &["read"])]).await;
    let bob = user(&svc, &root, "bob").await;
    let rev = svc.snapshot().state.revision;
    let link = Link::UserRole {
        user: bob.id,
        role: role.id,
    };
    let e = svc
        .link_until(&root, link, Some(now() - Duration::minutes(1)))
        .await
        .expect_err("past");
    assert!(
        matches!(e, Error::Invalid { ref field, .. } if field == "expires_at"),
        "{e:?}"
    );
    assert_eq!(svc.snapshot().state.revision, rev);
    assert!(!svc.snapshot().state.link_exists(&link));
    let rp = svc
        .snapshot()
        .state
        .role_permissions
        .iter()
        .next()
        .copied()
        .expect("a role permission");
    let e = svc
        .set_expiry(
            &root,
            Link::RolePermission {
                role: rp.0,
                permission: rp.1,
            },
            Some(now() + Duration::hours(1)),
        )
        .await
        .expect_err("role permission");
    assert!(
        matches!(e, Error::Invalid { ref field, .. } if field == "expires_at"),
        "{e:?}"
    );
    let e = svc
        .set_expiry(&root, link, Some(now() + Duration::hours(1)))
        .await
        .expect_err("no such relation");
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
}

#[tokio::test]
async fn the_cleanup_removes_ended_relations_and_records_each_as_an_expire_event() {
    let (svc, root) = service().await;
    let role = role_with(&svc, &root, "auditor", &[("Audit", &["read"])]).await;
    let bob = user(&svc, &root, "bob").await;
    let carol = user(&svc, &root, "carol").await;
    let ending = Link::UserRole {
        user: bob.id,
        role: role.id,
    };
    let lasting = Link::UserRole {
        user: carol.id,
        role: role.id,
    };
    svc.link_until(&root, ending, Some(now() + Duration::milliseconds(300)))
        .await
        .expect("bob");
    svc.link_until(&root, lasting, Some(now() + Duration::hours(1)))
        .await
        .expect("carol");
    assert_eq!(svc.prune_expired(&root).await.expect("prune").0, 0);
    tokio::time::sleep(StdDuration::from_millis(450)).await;
    let (n, _) = svc.prune_expired(&root).await.expect("prune");
    assert_eq!(n, 1);
    let s = svc.snapshot();
    assert!(!s.state.link_exists(&ending));
    assert_eq!(s.state.expiries.get(&ending), None);
    assert!(s.state.link_exists(&lasting));
    let events = svc
        .audit(&root, &AuditQuery::default())
        .await
        .expect("audit");
    let expired: Vec<_> = events.iter().filter(|e| e.action == "expire").collect();
    assert_eq!(expired.len(), 1, "{events:?}");
    assert_eq!(expired[0].object_id, ending.object_id());
    assert!(expired[0].before.get("expires_at").is_some());
}

#[tokio::test]
async fn moving_an_end_later_or_clearing_it_is_recorded_and_extends_access() {
    let (svc, root) = service().await;
    let role = role_with(&svc, &root, "auditor", &[("Audit", &["read"])]).await;
    let bob = user(&svc, &root, "bob").await;
    let link = Link::UserRole {
        user: bob.id,
        role: role.id,
    };
    let soon = now() + Duration::minutes(10);
    svc.link_until(&root, link, Some(soon))
        .await
        .expect("given");
    let at = Some(soon + Duration::minutes(5));
    assert!(
        !svc.check(&root, &reads_audit(bob.id, at))
            .expect("c")
            .allowed
    );
    svc.set_expiry(&root, link, Some(soon + Duration::hours(1)))
        .await
        .expect("later");
    assert!(
        svc.check(&root, &reads_audit(bob.id, at))
            .expect("c")
            .allowed
    );
    svc.set_expiry(&root, link, None).await.expect("never");
    assert_eq!(svc.snapshot().state.expiries.get(&link), None);
    let events = svc
        .audit(&root, &AuditQuery::default())
        .await
        .expect("audit");
    assert_eq!(
        events.iter().filter(|e| e.action == "set_expiry").count(),
        3,
        "the first end, the later one and its clearing"
    );
}

#[tokio::test]
async fn a_temporary_admin_cannot_make_access_outlast_its_own() {
    let (svc, root) = service().await;
    let admins = role_with(
        &svc,
        &root,
        "user-admins",
        &[
            ("UserRole", &["read", "write"]),
            ("User", &["read"]),
            ("Role", &["read"]),
        ],
    )
    .await;
    let app = role_with(&svc, &root, "auditor", &[("Audit", &["read"])]).await;
    let temp = user(&svc, &root, "temp").await;
    let carol = user(&svc, &root, "carol").await;
    let hour = now() + Duration::hours(1);
    for role in [admins.id, app.id] {
        svc.link_until(
            &root,
            Link::UserRole {
                user: temp.id,
                role,
            },
            Some(hour),
        )
        .await
        .expect("temp access");
    }
    let actor = Actor::user(&temp, false);
    let to_carol = Link::UserRole {
        user: carol.id,
        role: app.id,
    };
    let rev = svc.snapshot().state.revision;
    let e = svc.link(&actor, to_carol).await.expect_err("for good");
    assert!(matches!(e, Error::Forbidden(_)), "{e:?}");
    let e = svc
        .link_until(&actor, to_carol, Some(hour + Duration::hours(1)))
        .await
        .expect_err("past its own end");
    assert!(matches!(e, Error::Forbidden(_)), "{e:?}");
    assert_eq!(svc.snapshot().state.revision, rev, "nothing written");
    svc.link_until(&actor, to_carol, Some(now() + Duration::minutes(30)))
        .await
        .expect("within its own time");
    // Its own access, made to last.
    let own = Link::UserRole {
        user: temp.id,
        role: app.id,
    };
    let e = svc
        .set_expiry(&actor, own, None)
        .await
        .expect_err("own, for good");
    assert!(matches!(e, Error::Forbidden(_)), "{e:?}");
    let e = svc
        .set_expiry(&actor, own, Some(hour + Duration::hours(5)))
        .await
        .expect_err("own, later");
    assert!(matches!(e, Error::Forbidden(_)), "{e:?}");
    // Shortening what it may manage is fine.
    svc.set_expiry(&actor, to_carol, Some(now() + Duration::minutes(5)))
        .await
        .expect("shorter");
}
