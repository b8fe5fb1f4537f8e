//! Conformance cases about links and cascading deletes.

use super::cases::{both, dup, nf};
use super::*;

pub async fn delete_role_in_use_and_cascade(s: &dyn Store) {
    let mut reference = State::default();
    let (r, u, u2, t, p) = (role("r"), user("u"), user("u2"), team("t"), perm("e"));
    let t_default = Team {
        default_role: Some(r.id),
        ..team("t2")
    };
    let setup = vec![
        c(r.clone()),
        c(u.clone()),
        c(u2.clone()),
        c(t.clone()),
        c(t_default.clone()),
        c(p.clone()),
        Change::Link(Link::RolePermission {
            role: r.id,
            permission: p.id,
        }),
        Change::Link(Link::UserRole {
            user: u.id,
            role: r.id,
        }),
        Change::Link(Link::TeamRole {
            team: t.id,
            role: r.id,
        }),
        Change::Link(Link::Member {
            team: t.id,
            user: u.id,
            role: Some(r.id),
        }),
        Change::Link(Link::Member {
            team: t.id,
            user: u2.id,
            role: None,
        }),
    ];
    both(s, &mut reference, setup).await;
    let before = snapshot(s).await;
    let in_use = StoreError::InUse {
        kind: ObjectKind::Role,
        id: r.id.to_string(),
        links: 5,
    };
    assert_eq!(
        s.commit("t", &[delete(ObjectKind::Role, r.id, false)])
            .await,
        Err(in_use)
    );
    assert_eq!(snapshot(s).await, before);
    both(
        s,
        &mut reference,
        vec![delete(ObjectKind::Role, r.id, true)],
    )
    .await;
    let loaded = s.load().await.expect("load");
    assert_eq!(loaded, reference);
    assert!(loaded.roles.is_empty());
    assert!(loaded.role_permissions.is_empty() && loaded.user_roles.is_empty());
    assert!(loaded.team_roles.is_empty());
    assert_eq!(loaded.members.get(&(t.id, u.id)), Some(&None));
    assert_eq!(loaded.teams[&t_default.id].default_role, None);
    assert_eq!(loaded.teams[&t_default.id].version, 2);
    let events = audit_all(s).await;
    let last: Vec<(&str, ObjectKind)> = events
        .iter()
        .filter(|e| e.0 == 2)
        .rev()
        .map(|e| (e.2.as_str(), e.3))
        .collect();
    assert_eq!(
        last,
        vec![
            ("unlink", ObjectKind::RolePermission),
            ("unlink", ObjectKind::UserRole),
            ("unlink", ObjectKind::TeamRole),
            ("unlink", ObjectKind::TeamMember),
            ("link", ObjectKind::TeamMember),
            ("update", ObjectKind::Team),
            ("delete", ObjectKind::Role),
        ]
    );
}

pub async fn delete_user_permission_team_cascade(s: &dyn Store) {
    let mut reference = State::default();
    let (u, t, p) = (user("u"), team("t"), perm("e"));
    let setup = vec![
        c(u.clone()),
        c(t.clone()),
        c(p.clone()),
        c(key(u.id, "k1")),
        c(key(u.id, "k2")),
        Change::Link(Link::Member {
            team: t.id,
            user: u.id,
            role: None,
        }),
        Change::Link(Link::Grant {
            principal: Principal::User(u.id),
            permission: p.id,
        }),
        Change::Link(Link::Grant {
            principal: Principal::Team(t.id),
            permission: p.id,
        }),
    ];
    both(s, &mut reference, setup).await;
    for (kind, id, links) in [
        (ObjectKind::User, u.id, 4),
        (ObjectKind::Permission, p.id, 2),
        (ObjectKind::Team, t.id, 2),
    ] {
        let err = StoreError::InUse {
            kind,
            id: id.to_string(),
            links,
        };
        assert_eq!(s.commit("t", &[delete(kind, id, false)]).await, Err(err));
    }
    both(
        s,
        &mut reference,
        vec![delete(ObjectKind::Permission, p.id, true)],
    )
    .await;
    both(
        s,
        &mut reference,
        vec![delete(ObjectKind::User, u.id, true)],
    )
    .await;
    both(
        s,
        &mut reference,
        vec![delete(ObjectKind::Team, t.id, false)],
    )
    .await;
    let loaded = s.load().await.expect("load");
    assert_eq!(loaded, reference);
    assert_eq!(loaded, {
        let mut e = State::default();
        e.revision = 4;
        e
    });
}

pub async fn link_missing_object_not_found(s: &dyn Store) {
    let (u, r) = (user("u"), role("r"));
    s.commit("t", &[c(u.clone()), c(r.clone())])
        .await
        .expect("setup");
    let ghost = new_id();
    let cases = [
        (
            Link::UserRole {
                user: u.id,
                role: ghost,
            },
            nf(ObjectKind::Role, ghost),
        ),
        (
            Link::UserRole {
                user: ghost,
                role: ghost,
            },
            nf(ObjectKind::User, ghost),
        ),
        (
            Link::RolePermission {
                role: r.id,
                permission: ghost,
            },
            nf(ObjectKind::Permission, ghost),
        ),
        (
            Link::TeamRole {
                team: ghost,
                role: r.id,
            },
            nf(ObjectKind::Team, ghost),
        ),
        (
            Link::Member {
                team: ghost,
                user: u.id,
                role: None,
            },
            nf(ObjectKind::Team, ghost),
        ),
        (
            Link::Grant {
                principal: Principal::Team(u.id),
                permission: ghost,
            },
            nf(ObjectKind::Team, u.id),
        ),
        (
            Link::Grant {
                principal: Principal::User(u.id),
                permission: ghost,
            },
            nf(ObjectKind::Permission, ghost),
        ),
    ];
    for (link, err) in cases {
        assert_eq!(s.commit("t", &[Change::Link(link)]).await, Err(err));
    }
    let t = team("t");
    s.commit("t", &[c(t.clone())]).await.expect("team");
    let member = Link::Member {
        team: t.id,
        user: u.id,
        role: Some(ghost),
    };
    assert_eq!(
        s.commit("t", &[Change::Link(member)]).await,
        Err(nf(ObjectKind::Role, ghost))
    );
    assert_eq!(s.revision().await, Ok(2));
}

pub async fn duplicate_link(s: &dyn Store) {
    let (u, r, p, t) = (user("u"), role("r"), perm("p"), team("t"));
    let links = [
        Link::UserRole {
            user: u.id,
            role: r.id,
        },
        Link::RolePermission {
            role: r.id,
            permission: p.id,
        },
        Link::TeamRole {
            team: t.id,
            role: r.id,
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
    let mut setup = vec![c(u), c(r), c(p), c(t)];
    setup.extend(links.iter().map(|l| Change::Link(*l)));
    s.commit("t", &setup).await.expect("setup");
    for link in links {
        assert_eq!(
            s.commit("t", &[Change::Link(link)]).await,
            Err(dup(link.kind(), "link", link.object_id()))
        );
    }
    assert_eq!(s.revision().await, Ok(1));
}

pub async fn relink_member_replaces_role(s: &dyn Store) {
    let mut reference = State::default();
    let (u, t, r) = (user("u"), team("t"), role("r"));
    let m = |role| {
        Change::Link(Link::Member {
            team: t.id,
            user: u.id,
            role,
        })
    };
    both(
        s,
        &mut reference,
        vec![c(u.clone()), c(t.clone()), c(r.clone()), m(None)],
    )
    .await;
    both(s, &mut reference, vec![m(Some(r.id))]).await;
    both(s, &mut reference, vec![m(Some(r.id))]).await;
    assert_eq!(
        s.load().await.expect("load").members[&(t.id, u.id)],
        Some(r.id)
    );
    both(s, &mut reference, vec![m(None)]).await;
    assert_eq!(s.load().await.expect("load"), reference);
    let events = audit_all(s).await;
    let before = Link::Member {
        team: t.id,
        user: u.id,
        role: Some(r.id),
    }
    .to_json();
    assert_eq!(events[0].2, "link");
    assert_eq!(events[0].5, before);
    assert_eq!(
        events[0].6,
        Link::Member {
            team: t.id,
            user: u.id,
            role: None
        }
        .to_json()
    );
}

pub async fn unlink_missing_link_not_found(s: &dyn Store) {
    let (u, r, t) = (user("u"), role("r"), team("t"));
    s.commit("t", &[c(u.clone()), c(r.clone()), c(t.clone())])
        .await
        .expect("setup");
    let links = [
        Link::UserRole {
            user: u.id,
            role: r.id,
        },
        Link::Member {
            team: t.id,
            user: u.id,
            role: None,
        },
        Link::Grant {
            principal: Principal::Team(t.id),
            permission: new_id(),
        },
    ];
    for link in links {
        assert_eq!(
            s.commit("t", &[Change::Unlink(link)]).await,
            Err(nf(link.kind(), link.object_id()))
        );
    }
    assert_eq!(s.revision().await, Ok(1));
}

pub async fn unlink_member_reports_stored_role(s: &dyn Store) {
    let mut reference = State::default();
    let (u, r, t) = (user("u"), role("r"), team("t"));
    let stored = Link::Member {
        team: t.id,
        user: u.id,
        role: Some(r.id),
    };
    both(
        s,
        &mut reference,
        vec![c(u.clone()), c(r), c(t.clone()), Change::Link(stored)],
    )
    .await;
    let asked = Link::Member {
        team: t.id,
        user: u.id,
        role: None,
    };
    both(s, &mut reference, vec![Change::Unlink(asked)]).await;
    let events = audit_all(s).await;
    assert_eq!(
        (events[0].2.as_str(), &events[0].5),
        ("unlink", &stored.to_json())
    );
    assert_eq!(s.load().await.expect("load"), reference);
}

/// Long runs of links in one commit (an import): all added, or — with one duplicate or one
/// missing end anywhere in the run — the exact error of the reference and nothing written.
pub async fn many_links_in_one_commit(s: &dyn Store) {
    let mut reference = State::default();
    let (r, r2) = (role("r"), role("r2"));
    let perms: Vec<Permission> = (0..150).map(|i| perm(&format!("E{i}"))).collect();
    let mut setup = vec![c(r.clone()), c(r2.clone())];
    setup.extend(perms.iter().map(|p| c(p.clone())));
    setup.extend(perms.iter().map(|p| {
        Change::Link(Link::RolePermission {
            role: r.id,
            permission: p.id,
        })
    }));
    setup.push(Change::Link(Link::RolePermission {
        role: r2.id,
        permission: perms[5].id,
    }));
    both(s, &mut reference, setup).await;
    let run = |skip: usize| -> Vec<Change> {
        perms
            .iter()
            .skip(skip)
            .take(100)
            .map(|p| {
                Change::Link(Link::RolePermission {
                    role: r2.id,
                    permission: p.id,
                })
            })
            .collect()
    };
    // perms[5] is already linked to r2: the run from 0 holds a duplicate at its sixth link.
    let with_dup = run(0);
    both(s, &mut reference, with_dup).await;
    // A missing permission in the middle of an otherwise fine run.
    let mut with_missing = run(10);
    with_missing[70] = Change::Link(Link::RolePermission {
        role: r2.id,
        permission: perm("nowhere").id,
    });
    both(s, &mut reference, with_missing).await;
    // The run without problems goes in whole.
    both(s, &mut reference, run(10)).await;
    let stored = s.load().await.expect("load");
    assert_eq!(stored.role_permissions, reference.role_permissions);
    assert_eq!(s.revision().await, Ok(reference.revision));
    assert_eq!(
        reference.revision, 2,
        "the two failed commits wrote nothing"
    );
}
