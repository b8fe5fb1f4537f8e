//! The guard's view of a list of changes in its order (a second review: R1, R2): an end set and
//! then lost to an unlink and a link again is no end; a membership given anew gets the team's
//! default role. Each test failed before its fix.

use super::tests::service;
use super::tests_expiry::{reads_audit, role_with, user};
use super::*;
use crate::backend::TeamSpec;
use crate::model::now;
use crate::policy::Link;
use std::time::Duration as StdDuration;
use time::Duration;

/// R1: `change_until` takes the last `Expire` naming a relation anywhere in the list, not the
/// end the relation has once the list is applied. `Expire(l, soon), Unlink(l), Link(l)` leaves
/// `l` with no end (Unlink drops the end, Link adds none) but its need is held only until
/// `soon`: a temporary admin gives for good what it holds for an hour.
#[tokio::test]
async fn r1_expire_then_unlink_relink_gives_for_good_what_is_held_for_an_hour() {
    let (svc, root) = service().await;
    let linker = role_with(
        &svc,
        &root,
        "linker",
        &[
            ("UserRole", &["read", "write"]),
            ("User", &["read"]),
            ("Role", &["read"]),
            ("Audit", &["read"]),
        ],
    )
    .await;
    let auditor = role_with(&svc, &root, "auditor", &[("Audit", &["read"])]).await;
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
    let actor = Actor::user(&temp, false);
    let gift = Link::UserRole {
        user: carol.id,
        role: auditor.id,
    };
    // Control: giving it for good outright is refused (F2/F6 fix).
    let plain = svc.link(&actor, gift).await;
    assert!(
        matches!(plain, Err(Error::Forbidden(_))),
        "control: {plain:?}"
    );
    // The same gift, spelled so that the last Expire is not the end it keeps.
    let r = svc
        .apply_changes(
            &actor,
            vec![
                Change::Link(gift),
                Change::Expire {
                    link: gift,
                    expires_at: Some(now() + Duration::minutes(30)),
                },
                Change::Unlink(gift),
                Change::Link(gift),
            ],
            None,
        )
        .await;
    let tomorrow = Some(now() + Duration::days(1));
    assert!(
        matches!(r, Err(Error::Forbidden(_))),
        "temp (access ends in 1h) gave carol auditor for good: {r:?}; carol's end {:?}; \
         tomorrow carol reads audit: {}, temp: {}",
        svc.snapshot().state.expiries.get(&gift),
        svc.check(&root, &reads_audit(carol.id, tomorrow))
            .unwrap()
            .allowed,
        svc.check(&root, &reads_audit(temp.id, tomorrow))
            .unwrap()
            .allowed,
    );
}

/// R1b: the same on a relation that exists with an end (a temporary membership made
/// permanent by the temporary member itself: F1 again, through the list order).
#[tokio::test]
async fn r1b_temporary_member_makes_its_membership_permanent_via_list_order() {
    let (svc, root) = service().await;
    let admins = role_with(
        &svc,
        &root,
        "member-admins",
        &[
            ("TeamMember", &["read", "write"]),
            ("Team", &["read"]),
            ("User", &["read"]),
        ],
    )
    .await;
    let auditor = role_with(&svc, &root, "auditor", &[("Audit", &["read"])]).await;
    let ops = svc
        .create_team(
            &root,
            TeamSpec {
                key: "ops".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for role in [admins.id, auditor.id] {
        svc.link(&root, Link::TeamRole { team: ops.id, role })
            .await
            .unwrap();
    }
    let temp = user(&svc, &root, "temp").await;
    let m = Link::Member {
        team: ops.id,
        user: temp.id,
        role: None,
    };
    let hour = now() + Duration::hours(1);
    svc.link_until(&root, m, Some(hour)).await.unwrap();
    let actor = Actor::user(&temp, false);
    let r = svc
        .apply_changes(
            &actor,
            vec![
                Change::Expire {
                    link: m,
                    expires_at: Some(hour - Duration::minutes(1)),
                },
                Change::Unlink(m),
                Change::Link(m),
            ],
            None,
        )
        .await;
    assert!(
        matches!(r, Err(Error::Forbidden(_))),
        "membership made permanent by its temporary member: {r:?}; end now {:?}",
        svc.snapshot().state.expiries.get(&m)
    );
}

/// R2: linking again a membership past its end (the new re-give path) drops the team's
/// default role: `with_default_role` sees the ended membership as existing and leaves
/// `role: None`, which the re-given membership then keeps.
#[tokio::test]
async fn r2_regiven_membership_gets_the_default_role_like_a_new_one() {
    let (svc, root) = service().await;
    let auditor = role_with(&svc, &root, "auditor", &[("Audit", &["read"])]).await;
    let ops = svc
        .create_team(
            &root,
            TeamSpec {
                key: "ops".into(),
                default_role: Some(auditor.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let bob = user(&svc, &root, "bob").await;
    let m = Link::Member {
        team: ops.id,
        user: bob.id,
        role: None,
    };
    svc.link_until(&root, m, Some(now() + Duration::milliseconds(200)))
        .await
        .unwrap();
    assert_eq!(
        svc.snapshot().state.members.get(&(ops.id, bob.id)),
        Some(&Some(auditor.id))
    );
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    svc.link_until(&root, m, None).await.expect("given anew");
    assert_eq!(
        svc.snapshot().state.members.get(&(ops.id, bob.id)),
        Some(&Some(auditor.id)),
        "re-given membership lost the team's default role"
    );
}
