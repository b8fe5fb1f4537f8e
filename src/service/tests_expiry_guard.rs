//! The guard and the cleanup against relations that end: each test reproduces a hole an
//! independent review found (F1–F8), and fails without its fix.

use super::tests::{perm, service};
use super::tests_expiry::{reads_audit, user};
use super::*;
use crate::backend::{GrantTo, RoleSpec, TeamSpec};
use crate::model::{AuditQuery, Role, now};
use crate::policy::Link;
use std::time::Duration as StdDuration;
use time::Duration;

async fn role_with(
    svc: &Service,
    root: &Actor,
    name: &str,
    perms: &[(&str, &[&str], &[&str])],
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
    for (entity, grants, denies) in perms {
        let mut spec = perm("gatehouse", entity, None, grants);
        spec.denies = denies.iter().map(|s| s.to_string()).collect();
        let p = svc.create_permission(root, spec).await.expect("perm");
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

/// F1: extending a membership's end (Expire, later or never) pushes no need: the guard's
/// `member(.., Side::Grants)` sees the membership as existing and skips the team's grants and
/// roles. A temporary member makes its own (delegated-admin) membership permanent.
#[tokio::test]
async fn f1_a_temporary_member_makes_its_own_membership_permanent() {
    let (svc, root) = service().await;
    let admins = role_with(
        &svc,
        &root,
        "member-admins",
        &[
            ("TeamMember", &["read", "write"], &[]),
            ("Team", &["read"], &[]),
            ("User", &["read"], &[]),
        ],
    )
    .await;
    let auditor = role_with(&svc, &root, "auditor", &[("Audit", &["read"], &[])]).await;
    let ops = svc
        .create_team(
            &root,
            TeamSpec {
                key: "ops".into(),
                ..Default::default()
            },
        )
        .await
        .expect("team");
    for role in [admins.id, auditor.id] {
        svc.link(&root, Link::TeamRole { team: ops.id, role })
            .await
            .expect("team role");
    }
    let temp = user(&svc, &root, "temp").await;
    let membership = Link::Member {
        team: ops.id,
        user: temp.id,
        role: None,
    };
    let hour = now() + Duration::hours(1);
    svc.link_until(&root, membership, Some(hour))
        .await
        .expect("temp member");
    let actor = Actor::user(&temp, false);
    let later = Some(hour + Duration::hours(24));
    assert!(
        !svc.check(&root, &reads_audit(temp.id, later))
            .unwrap()
            .allowed
    );

    let r = svc.set_expiry(&actor, membership, None).await;
    assert!(
        matches!(r, Err(Error::Forbidden(_))),
        "a member whose membership ends made it permanent: {r:?}; audit tomorrow: {}",
        svc.check(&root, &reads_audit(temp.id, later))
            .unwrap()
            .allowed
    );
}

/// F2: the guard checks what the actor holds only at `held_until` (FOR_GOOD for a lasting
/// gift), never now: a temporary deny on the actor is ignored.
#[tokio::test]
async fn f2_a_suspended_admin_gives_for_good_what_it_is_denied_now() {
    let (svc, root) = service().await;
    let linker = role_with(
        &svc,
        &root,
        "linker",
        &[
            ("UserRole", &["read", "write"], &[]),
            ("User", &["read"], &[]),
            ("Role", &["read"], &[]),
            ("Audit", &["read"], &[]),
        ],
    )
    .await;
    let suspended = role_with(&svc, &root, "suspended", &[("Audit", &[], &["read"])]).await;
    let auditor = role_with(&svc, &root, "auditor", &[("Audit", &["read"], &[])]).await;
    let temp = user(&svc, &root, "temp").await;
    let carol = user(&svc, &root, "carol").await;
    svc.link(
        &root,
        Link::UserRole {
            user: temp.id,
            role: linker.id,
        },
    )
    .await
    .unwrap();
    svc.link_until(
        &root,
        Link::UserRole {
            user: temp.id,
            role: suspended.id,
        },
        Some(now() + Duration::days(7)),
    )
    .await
    .unwrap();
    assert!(
        !svc.check(&root, &reads_audit(temp.id, None))
            .unwrap()
            .allowed,
        "temp is denied now"
    );
    let actor = Actor::user(&temp, false);
    let r = svc
        .link(
            &actor,
            Link::UserRole {
                user: carol.id,
                role: auditor.id,
            },
        )
        .await;
    assert!(
        matches!(r, Err(Error::Forbidden(_))),
        "temp gave carol, for good, what it is denied now: {r:?}; carol now: {}",
        svc.check(&root, &reads_audit(carol.id, None))
            .unwrap()
            .allowed
    );
}

/// F3: setting (or moving earlier) an end on a relation that carries a deny lifts the deny
/// for good from that end on, but `held_until` checks it only at end-1µs; unlinking the same
/// relation is checked for good and refused.
#[tokio::test]
async fn f3_shortening_a_deny_relation_outlasts_the_actor() {
    let (svc, root) = service().await;
    let linker = role_with(
        &svc,
        &root,
        "linker",
        &[
            ("UserRole", &["read", "write"], &[]),
            ("User", &["read"], &[]),
            ("Role", &["read"], &[]),
            ("Audit", &["read"], &[]),
        ],
    )
    .await;
    let no_audit = role_with(&svc, &root, "no-audit", &[("Audit", &[], &["read"])]).await;
    let auditor = role_with(&svc, &root, "auditor", &[("Audit", &["read"], &[])]).await;
    let temp = user(&svc, &root, "temp").await;
    let carol = user(&svc, &root, "carol").await;
    let hour = now() + Duration::hours(1);
    svc.link_until(
        &root,
        Link::UserRole {
            user: temp.id,
            role: linker.id,
        },
        Some(hour),
    )
    .await
    .unwrap();
    svc.link(
        &root,
        Link::UserRole {
            user: carol.id,
            role: auditor.id,
        },
    )
    .await
    .unwrap();
    let deny = Link::UserRole {
        user: carol.id,
        role: no_audit.id,
    };
    svc.link(&root, deny).await.unwrap();
    let actor = Actor::user(&temp, false);
    let e = svc
        .unlink(&actor, deny)
        .await
        .expect_err("unlink is checked for good");
    assert!(matches!(e, Error::Forbidden(_)), "{e:?}");
    let r = svc
        .set_expiry(&actor, deny, Some(now() + Duration::minutes(30)))
        .await;
    let tomorrow = Some(now() + Duration::days(1));
    assert!(
        matches!(r, Err(Error::Forbidden(_))),
        "the deny ends in 30 min: {r:?}; tomorrow carol reads audit: {}, temp: {}",
        svc.check(&root, &reads_audit(carol.id, tomorrow))
            .unwrap()
            .allowed,
        svc.check(&root, &reads_audit(temp.id, tomorrow))
            .unwrap()
            .allowed,
    );
}

/// F4: `Expired` over apply removes a relation that has not ended, audited as `expire`.
#[tokio::test]
async fn f4_expired_removes_a_live_relation_audited_as_expire() {
    let (svc, root) = service().await;
    let auditor = role_with(&svc, &root, "auditor", &[("Audit", &["read"], &[])]).await;
    let bob = user(&svc, &root, "bob").await;
    let link = Link::UserRole {
        user: bob.id,
        role: auditor.id,
    };
    svc.link_until(&root, link, Some(now() + Duration::days(30)))
        .await
        .unwrap();
    let r = svc
        .apply_changes(&root, vec![Change::Expired(link)], None)
        .await;
    let events = svc.audit(&root, &AuditQuery::default()).await.unwrap();
    assert!(
        r.is_err(),
        "a live relation was removed as `expire`: {r:?}, events {:?}",
        events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>()
    );
}

/// F5: granting a resource for good over a grant that has an end leaves the end; over a grant
/// whose end has passed (not pruned yet) it succeeds and gives nothing.
#[tokio::test]
async fn f5_grant_resource_again_keeps_an_end_or_an_ended_grant() {
    let (svc, root) = service().await;
    let alice = user(&svc, &root, "alice").await;
    let _ = alice;
    svc.grant_resource_until(
        &root,
        "okdata:dataset:ds1",
        "alice",
        Some("okdata:dataset:read"),
        GrantTo::User,
        Some(now() + Duration::milliseconds(300)),
    )
    .await
    .unwrap();
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    svc.grant_resource(
        &root,
        "okdata:dataset:ds1",
        "alice",
        Some("okdata:dataset:read"),
        GrantTo::User,
    )
    .await
    .expect("granted again, for good");
    let rows = svc.resource_grants(&root, "okdata:dataset:ds1").unwrap();
    let s = svc.snapshot();
    let ends: Vec<_> = s.state.expiries.iter().map(|(_, t)| t).collect();
    assert!(
        ends.is_empty(),
        "the grant given for good still ends (already ended): {ends:?}; rows {rows:?}"
    );
}

/// F1b: the same through POST /apply's changes: unlink then link the membership again (no
/// end); `member(.., Grants)` reads the old membership from the state and asks nothing.
#[tokio::test]
async fn f1b_unlink_and_relink_a_temporary_membership_over_apply() {
    let (svc, root) = service().await;
    let admins = role_with(
        &svc,
        &root,
        "member-admins",
        &[
            ("TeamMember", &["read", "write"], &[]),
            ("Team", &["read"], &[]),
            ("User", &["read"], &[]),
        ],
    )
    .await;
    let auditor = role_with(&svc, &root, "auditor", &[("Audit", &["read"], &[])]).await;
    let ops = svc
        .create_team(
            &root,
            TeamSpec {
                key: "ops".into(),
                ..Default::default()
            },
        )
        .await
        .expect("team");
    for role in [admins.id, auditor.id] {
        svc.link(&root, Link::TeamRole { team: ops.id, role })
            .await
            .expect("team role");
    }
    let temp = user(&svc, &root, "temp").await;
    let membership = Link::Member {
        team: ops.id,
        user: temp.id,
        role: None,
    };
    svc.link_until(&root, membership, Some(now() + Duration::hours(1)))
        .await
        .expect("temp member");
    let actor = Actor::user(&temp, false);
    let r = svc
        .apply_changes(
            &actor,
            vec![Change::Unlink(membership), Change::Link(membership)],
            None,
        )
        .await;
    assert!(
        matches!(r, Err(Error::Forbidden(_))),
        "membership made permanent over apply: {r:?}; end now {:?}",
        svc.snapshot().state.expiries.get(&membership)
    );
}

/// F6: `escalate` is asked at now only; a temporary `escalate` holder gives for good.
#[tokio::test]
async fn f6_temporary_escalate_gives_for_good() {
    let (svc, root) = service().await;
    let esc = role_with(
        &svc,
        &root,
        "esc",
        &[
            ("UserRole", &["read", "write", "escalate"], &[]),
            ("User", &["read"], &[]),
            ("Role", &["read"], &[]),
        ],
    )
    .await;
    let auditor = role_with(&svc, &root, "auditor", &[("Audit", &["read"], &[])]).await;
    let temp = user(&svc, &root, "temp").await;
    svc.link_until(
        &root,
        Link::UserRole {
            user: temp.id,
            role: esc.id,
        },
        Some(now() + Duration::hours(1)),
    )
    .await
    .unwrap();
    let actor = Actor::user(&temp, false);
    let r = svc
        .link(
            &actor,
            Link::UserRole {
                user: temp.id,
                role: auditor.id,
            },
        )
        .await;
    assert!(
        matches!(r, Err(Error::Forbidden(_))),
        "temporary escalate gave for good: {r:?}"
    );
}

/// F7: the cleanup's change removes a relation whose end was moved later between planning the
/// cleanup and its commit (the guard re-checks on a fresh state, but the system actor skips it
/// and `State::apply` only asks that an end exists).
#[tokio::test]
async fn f7_expired_planned_then_extended_still_removes() {
    let (svc, root) = service().await;
    let auditor = role_with(&svc, &root, "auditor", &[("Audit", &["read"], &[])]).await;
    let bob = user(&svc, &root, "bob").await;
    let link = Link::UserRole {
        user: bob.id,
        role: auditor.id,
    };
    svc.link_until(&root, link, Some(now() + Duration::milliseconds(200)))
        .await
        .unwrap();
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    let planned = svc.ended_by(now()); // what prune_expired computes before committing
    // Meanwhile, an admin revives it (a later end) ...
    svc.set_expiry(&root, link, Some(now() + Duration::days(1)))
        .await
        .unwrap();
    // ... and the cleanup's commit lands after.
    let r = svc.commit(&Actor::system(), planned).await;
    assert!(
        svc.snapshot().state.link_exists(&link),
        "a live relation (end moved to tomorrow) was pruned: {r:?}"
    );
}

/// F8: `GET /me/resources` (`my_resource_grants`) counts a direct grant (and a membership)
/// whose end has passed until the cleanup runs.
#[tokio::test]
async fn f8_my_resources_lists_an_ended_grant() {
    let (svc, root) = service().await;
    let alice = user(&svc, &root, "alice").await;
    svc.grant_resource_until(
        &root,
        "okdata:dataset:ds1",
        "alice",
        Some("okdata:dataset:read"),
        GrantTo::User,
        Some(now() + Duration::milliseconds(200)),
    )
    .await
    .unwrap();
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    let mine = svc.my_resource_grants(alice.id);
    assert!(
        mine.is_empty(),
        "an ended grant is still listed as held: {mine:?}"
    );
}
