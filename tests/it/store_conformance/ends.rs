//! Conformance cases about links' ends (`Change::Expire` / `Change::Expired`): each store
//! commits what a `MemoryStore` (the reference, `State::apply`) commits, with the same results,
//! the same audit effects and the same state loaded back, ends included.

use super::cases::nf;
use super::*;
use gatehouse::model::Revision;

/// Commits `changes` to the store and to the reference store, asserting the same result.
async fn same(s: &dyn Store, reference: &MemoryStore, changes: Vec<Change>) -> Option<Revision> {
    let expected = reference.commit("tester", &changes).await;
    let got = s.commit("tester", &changes).await;
    assert_eq!(got, expected, "{changes:#?}");
    got.ok()
}

/// Asserts the store holds what the reference holds: state (ends included), revision, audit.
async fn holds_the_same(s: &dyn Store, reference: &MemoryStore) {
    let (got, want) = (snapshot(s).await, snapshot(reference).await);
    assert_eq!(got.0.expiries, want.0.expiries, "ends");
    assert_eq!(got, want);
}

fn no_end(link: &Link) -> StoreError {
    StoreError::NoEnd {
        kind: link.kind(),
        id: link.object_id(),
    }
}

fn expire(link: Link, expires_at: Option<OffsetDateTime>) -> Change {
    Change::Expire { link, expires_at }
}

/// One link of every kind between fresh objects: (role's permission, user's role, team's role,
/// membership with a role, user's grant, team's grant), and the changes creating them.
fn every_link() -> ([Link; 6], Vec<Change>) {
    let (u, t, r, p) = (user("u"), team("t"), role("r"), perm("e"));
    let links = [
        Link::RolePermission {
            role: r.id,
            permission: p.id,
        },
        Link::UserRole {
            user: u.id,
            role: r.id,
        },
        Link::TeamRole {
            team: t.id,
            role: r.id,
        },
        Link::Member {
            team: t.id,
            user: u.id,
            role: Some(r.id),
        },
        Link::Grant {
            principal: Principal::User(u.id),
            permission: p.id,
        },
        Link::Grant {
            principal: Principal::Team(t.id),
            permission: p.id,
        },
    ];
    let mut setup = vec![c(u), c(t), c(r), c(p)];
    setup.extend(links.iter().map(|l| Change::Link(*l)));
    (links, setup)
}

/// Ends set, moved and cleared on every kind that may carry one; a role's permission refused;
/// missing links not found; `Expired` refused without an end and removing a link with one.
pub async fn expire_and_expired_match_the_reference(s: &dyn Store) {
    let reference = MemoryStore::new();
    let (links, setup) = every_link();
    let [rp, ur, tr, member, ug, tg] = links;
    same(s, &reference, setup).await.expect("setup");
    // An end on each kind that may carry one (a membership named with another role is the
    // same membership), then moved, then one cleared; all in one commit too.
    let plain_member = match member {
        Link::Member { team, user, .. } => Link::Member {
            team,
            user,
            role: None,
        },
        other => other,
    };
    let set: Vec<Change> = [ur, tr, plain_member, ug, tg]
        .iter()
        .enumerate()
        .map(|(i, l)| expire(*l, Some(at(1_000_000 * (i as i64 + 1)))))
        .collect();
    same(s, &reference, set).await.expect("ends set");
    same(s, &reference, vec![expire(member, Some(at(-5)))])
        .await
        .expect("moved");
    same(s, &reference, vec![expire(ug, None)])
        .await
        .expect("cleared");
    same(s, &reference, vec![expire(ug, None)])
        .await
        .expect("cleared again: still a change");
    holds_the_same(s, &reference).await;
    assert_eq!(s.load().await.expect("load").expiries.len(), 4);

    // Refusals, each writing nothing.
    let ghost = Link::UserRole {
        user: new_id(),
        role: new_id(),
    };
    let ghost_rp = Link::RolePermission {
        role: new_id(),
        permission: new_id(),
    };
    let refused = [
        (expire(rp, Some(at(1))), no_end(&rp)),
        (expire(ghost_rp, Some(at(1))), no_end(&ghost_rp)),
        (
            expire(ghost, Some(at(1))),
            nf(ghost.kind(), ghost.object_id()),
        ),
        (Change::Expired(ug), no_end(&ug)),
        (Change::Expired(rp), no_end(&rp)),
        (Change::Expired(ghost), nf(ghost.kind(), ghost.object_id())),
        (
            Change::Expired(ghost_rp),
            nf(ghost_rp.kind(), ghost_rp.object_id()),
        ),
    ];
    for (change, err) in refused {
        // After a change that succeeds, so that the refusal must undo it.
        let changes = vec![expire(tr, Some(at(9))), change];
        assert_eq!(same(s, &reference, changes.clone()).await, None);
        assert_eq!(s.commit("t", &changes).await, Err(err));
    }
    holds_the_same(s, &reference).await;

    // The cleanup's change removes links that have an end, whatever the end is.
    let gone = vec![
        Change::Expired(ur),
        Change::Expired(plain_member),
        Change::Expired(tg),
    ];
    same(s, &reference, gone).await.expect("expired");
    holds_the_same(s, &reference).await;
    let st = s.load().await.expect("load");
    assert!(st.user_roles.is_empty() && st.members.is_empty());
    assert_eq!(st.expiries.len(), 1, "only the team role's end is left");
    let events = audit_all(s).await;
    let expired: Vec<&Ev> = events.iter().filter(|e| e.2 == "expire").collect();
    assert_eq!(expired.len(), 3);
    assert!(
        expired
            .iter()
            .all(|e| e.5.get("expires_at").is_some() && e.6.is_null())
    );
    // A membership is reported with its stored role (the change named none).
    let stored = member.to_json();
    assert!(
        expired
            .iter()
            .any(|e| e.3 == ObjectKind::TeamMember && e.5.get("role") == stored.get("role"))
    );
    // An expired link can be linked again, without an end.
    same(s, &reference, vec![Change::Link(ur)])
        .await
        .expect("relinked");
    holds_the_same(s, &reference).await;
    assert_eq!(s.load().await.expect("load").expiries.get(&ur), None);
}

/// A membership keeps its end when linked again with another role and when its role is
/// deleted; `Unlink` and cascading deletes report each removed link with its end.
pub async fn ends_kept_by_relink_and_role_delete_reported_by_unlink_and_cascades(s: &dyn Store) {
    let reference = MemoryStore::new();
    let (links, setup) = every_link();
    let [_, ur, tr, member, ug, tg] = links;
    same(s, &reference, setup).await.expect("setup");
    let Link::Member {
        team,
        user,
        role: Some(r),
    } = member
    else {
        unreachable!("every_link's membership has a role")
    };
    let ends: Vec<Change> = [ur, tr, member, ug, tg]
        .iter()
        .map(|l| expire(*l, Some(at(42))))
        .collect();
    same(s, &reference, ends).await.expect("ends");
    // Linked again without a role: same membership, same end.
    let plain = Link::Member {
        team,
        user,
        role: None,
    };
    same(s, &reference, vec![Change::Link(plain)])
        .await
        .expect("relink");
    same(s, &reference, vec![Change::Link(member)])
        .await
        .expect("relink with the role");
    holds_the_same(s, &reference).await;
    assert_eq!(
        s.load().await.expect("load").expiries.get(&plain),
        Some(at(42))
    );
    // Unlink reports the end.
    same(s, &reference, vec![Change::Unlink(ug)])
        .await
        .expect("unlink");
    // The role goes: its links are reported with their ends, the membership keeps its end.
    let del = delete(ObjectKind::Role, r, true);
    same(s, &reference, vec![del]).await.expect("role delete");
    holds_the_same(s, &reference).await;
    let st = s.load().await.expect("load");
    assert_eq!(st.members.get(&(team, user)), Some(&None));
    assert_eq!(st.expiries.get(&plain), Some(at(42)));
    // The team goes: the membership and the team's grant, each with its end.
    let del = delete(ObjectKind::Team, team, true);
    same(s, &reference, vec![del]).await.expect("team delete");
    holds_the_same(s, &reference).await;
    assert!(s.load().await.expect("load").expiries.is_empty());
    let events = audit_all(s).await;
    let unlinked_with_end = events
        .iter()
        .filter(|e| e.2 == "unlink" && e.5.get("expires_at").is_some())
        .map(|e| e.3)
        .collect::<Vec<_>>();
    // Newest first, and each commit's effects last to first: the team's delete (membership,
    // grant), the role's (user role, team role, membership), the unlink (user grant).
    assert_eq!(
        unlinked_with_end,
        [
            ObjectKind::Grant,
            ObjectKind::TeamMember,
            ObjectKind::TeamMember,
            ObjectKind::TeamRole,
            ObjectKind::UserRole,
            ObjectKind::Grant,
        ]
    );
}

/// For a store opened on a store of schema 2 holding `user`'s role `role`, `team`'s role, the
/// membership of `user` in `team` with `role`, `role`'s permission `perm` and `perm` granted to
/// both, at `revision`: every link is there without an end, and ends are kept from then on.
pub async fn migrated_links_kept_and_ends_from_now_on(
    s: &dyn Store,
    [user, role, team, perm]: [Id; 4],
    revision: Revision,
) {
    let st = s.load().await.expect("load");
    assert_eq!(st.revision, revision);
    assert!(st.role_permissions.contains(&(role, perm)));
    assert!(st.user_roles.contains(&(user, role)));
    assert!(st.team_roles.contains(&(team, role)));
    assert_eq!(st.members.get(&(team, user)), Some(&Some(role)));
    assert!(st.grants.contains(&(Principal::User(user), perm)));
    assert!(st.grants.contains(&(Principal::Team(team), perm)));
    assert!(st.expiries.is_empty());
    let member = Link::Member {
        team,
        user,
        role: None,
    };
    let grant = Link::Grant {
        principal: Principal::Team(team),
        permission: perm,
    };
    let changes = vec![expire(member, Some(at(7))), expire(grant, Some(at(8)))];
    s.commit("t", &changes).await.expect("ends");
    let st = s.load().await.expect("load");
    assert_eq!(st.expiries.get(&member), Some(at(7)));
    assert_eq!(st.expiries.get(&grant), Some(at(8)));
    assert_eq!(st.members.get(&(team, user)), Some(&Some(role)));
    s.commit("t", &[Change::Expired(member)])
        .await
        .expect("expired");
    let st = s.load().await.expect("load");
    assert!(st.members.is_empty());
    assert_eq!(st.expiries.len(), 1);
}
