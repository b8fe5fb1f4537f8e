//! The hand-written conformance cases.

pub use super::ends::{
    ends_kept_by_relink_and_role_delete_reported_by_unlink_and_cascades,
    expire_and_expired_match_the_reference,
};
pub use super::links::*;
pub use super::random::differential_random;
use super::*;

pub fn dup(kind: ObjectKind, field: &'static str, value: impl Into<String>) -> StoreError {
    StoreError::Duplicate {
        kind,
        field,
        value: value.into(),
    }
}

pub fn nf(kind: ObjectKind, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        kind,
        id: id.to_string(),
    }
}

/// Commits `changes` to the store and to a reference `State`, asserting the same result.
pub async fn both(s: &dyn Store, reference: &mut State, changes: Vec<Change>) {
    let expected = reference
        .apply_all(&changes)
        .map(|_| reference.revision)
        .map_err(StoreError::from);
    assert_eq!(s.commit("tester", &changes).await, expected);
}

pub async fn round_trip_every_kind(s: &dyn Store) {
    let mut reference = State::default();
    let r = Role {
        description: "Rôle — 役割 🦀".into(),
        version: 4,
        ..role("Ædmin «röle»")
    };
    let u = User {
        username: "Ærøskøbing_Ünï".into(),
        email: "zoë@exämple.org".into(),
        display_name: "Zoë 🦀 Ünïcode".into(),
        first_name: "Zoë".into(),
        last_name: "van der Ünïcode 🦀".into(),
        kind: UserKind::Service,
        disabled: true,
        owner: true,
        created_at: gatehouse::model::now(),
        version: 7,
        ..user("x")
    };
    let plain = User {
        email: String::new(),
        ..user("plain")
    };
    let r = Role {
        created_by: Some(u.id),
        ..r
    };
    let t = Team {
        description: "équipe\nmulti-line\t\"quoted\"".into(),
        default_role: Some(r.id),
        ..team("ops-ünï")
    };
    let t2 = team("empty");
    let p = Permission {
        catalog: "okdata".into(),
        entity: "dataset".into(),
        entity_uuid: Some("0190f3c2-0000-7000-8000-000000000001".into()),
        grants: vec!["read".into(), "write".into(), "ünï".into()],
        denies: vec!["delete".into()],
        conditions: vec!["own".into(), "team".into()],
        query_attributes: vec!["a".into(), "b".into()],
        read_attributes: vec!["c".into()],
        write_attributes: vec!["d".into(), "e".into(), "f".into()],
        description: "every field".into(),
        entity_type: Some("python".into()),
        scope: Some("project".into()),
        created_by: Some(u.id),
        ..perm("dataset")
    };
    let p2 = perm("ALL");
    let k = ApiKey {
        read_only: true,
        expires_at: Some(at(1_000_000)),
        last_used_at: Some(at(-5)),
        revoked_at: Some(at(42)),
        ..key(u.id, "hash-1")
    };
    let k2 = key(plain.id, "hash-2");
    let changes = vec![
        c(r.clone()),
        c(u.clone()),
        c(plain.clone()),
        c(t.clone()),
        c(t2.clone()),
        c(p.clone()),
        c(p2.clone()),
        c(k.clone()),
        c(k2.clone()),
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
            user: plain.id,
            role: None,
        }),
        Change::Link(Link::Grant {
            principal: Principal::User(u.id),
            permission: p2.id,
        }),
        Change::Link(Link::Grant {
            principal: Principal::Team(t2.id),
            permission: p.id,
        }),
    ];
    both(s, &mut reference, changes).await;
    let loaded = s.load().await.expect("load");
    assert_eq!(loaded, reference);
    assert_eq!(loaded.users[&u.id], u);
    assert_eq!(loaded.users[&plain.id], plain);
    assert_eq!(loaded.teams[&t.id], t);
    assert_eq!(loaded.roles[&r.id], r);
    assert_eq!(loaded.permissions.get(&p.id), Some(p));
    assert_eq!(loaded.permissions.get(&p2.id), Some(p2));
    assert_eq!(loaded.keys[&k.id], k);
    assert_eq!(loaded.keys[&k2.id], k2);
    assert_eq!(
        loaded.user_by_name("æRØSKØBING_üNÏ").map(|x| x.id),
        Some(u.id)
    );
    assert_eq!(loaded.key_by_hash("hash-2").map(|x| x.id), Some(k2.id));
    assert_eq!(loaded.members.len(), 2);
    assert_eq!(loaded.grants.len(), 2);
    let events = s.audit(&AuditQuery::default()).await.expect("audit");
    assert_eq!(events.len(), 16);
    assert_eq!(
        events.last().map(|e| e.after.clone()),
        Some(Object::Role(r).to_json())
    );
}

pub async fn usernames_unique_case_insensitive(s: &dyn Store) {
    let mut reference = State::default();
    let alice = user("Alice");
    both(s, &mut reference, vec![c(alice.clone())]).await;
    let err = s.commit("t", &[c(user("aLICE"))]).await;
    assert_eq!(err, Err(dup(ObjectKind::User, "username", "alice")));
    both(s, &mut reference, vec![c(user("ÜNÏ"))]).await;
    let err = s.commit("t", &[c(user("ünï"))]).await;
    assert_eq!(err, Err(dup(ObjectKind::User, "username", "ünï")));
    // Renaming onto a taken name fails; renaming one's own case is fine.
    let bob = user("bob");
    both(s, &mut reference, vec![c(bob.clone())]).await;
    let renamed = User {
        username: "ALICE".into(),
        version: 2,
        ..bob.clone()
    };
    let err = s.commit("t", &[update(renamed, 1)]).await;
    assert_eq!(err, Err(dup(ObjectKind::User, "username", "alice")));
    let recased = User {
        username: "BOB".into(),
        version: 2,
        ..bob
    };
    both(s, &mut reference, vec![update(recased, 1)]).await;
    assert_eq!(s.load().await.expect("load"), reference);
}

pub async fn role_names_team_keys_hashes_ids_unique(s: &dyn Store) {
    let mut reference = State::default();
    let (r, t, u) = (role("admin"), team("ops"), user("u"));
    let k = key(u.id, "h");
    both(
        s,
        &mut reference,
        vec![c(r.clone()), c(t.clone()), c(u.clone()), c(k)],
    )
    .await;
    let cases = [
        (c(role("admin")), dup(ObjectKind::Role, "name", "admin")),
        (c(team("ops")), dup(ObjectKind::Team, "key", "ops")),
        (c(key(u.id, "h")), dup(ObjectKind::ApiKey, "hash", "h")),
        (
            c(Role {
                name: "other".into(),
                ..r.clone()
            }),
            dup(ObjectKind::Role, "id", r.id.to_string()),
        ),
        (
            c(Team {
                key: "other".into(),
                ..t.clone()
            }),
            dup(ObjectKind::Team, "id", t.id.to_string()),
        ),
    ];
    for (change, expected) in cases {
        assert_eq!(s.commit("t", &[change]).await, Err(expected));
    }
    // Role names are case-sensitive.
    both(s, &mut reference, vec![c(role("Admin"))]).await;
    assert_eq!(s.load().await.expect("load"), reference);
}

pub async fn stale_version_conflicts_and_writes_nothing(s: &dyn Store) {
    let mut reference = State::default();
    let r = role("r");
    both(s, &mut reference, vec![c(r.clone())]).await;
    let v2 = Role {
        description: "v2".into(),
        version: 2,
        ..r.clone()
    };
    both(s, &mut reference, vec![update(v2.clone(), 1)]).await;
    let before = snapshot(s).await;
    let stale = Role {
        description: "stale".into(),
        version: 2,
        ..r.clone()
    };
    let conflict = StoreError::Conflict {
        kind: ObjectKind::Role,
        id: r.id.to_string(),
        expected: 1,
        actual: 2,
    };
    assert_eq!(
        s.commit("t", &[update(stale, 1)]).await,
        Err(conflict.clone())
    );
    let del = Change::Delete {
        kind: ObjectKind::Role,
        id: r.id,
        expected_version: Some(1),
        cascade: true,
    };
    assert_eq!(s.commit("t", &[del]).await, Err(conflict));
    assert_eq!(snapshot(s).await, before);
    assert_eq!(before.0, reference);
}

pub async fn commit_is_atomic(s: &dyn Store) {
    let mut reference = State::default();
    let r = role("r");
    both(s, &mut reference, vec![c(r.clone())]).await;
    let before = snapshot(s).await;
    let u = user("u");
    let changes = vec![
        c(u.clone()),
        Change::Link(Link::UserRole {
            user: u.id,
            role: r.id,
        }),
        delete(ObjectKind::Role, r.id, true),
        c(role("r2")),
        c(role("r2")),
    ];
    assert_eq!(
        s.commit("t", &changes).await,
        Err(dup(ObjectKind::Role, "name", "r2"))
    );
    assert_eq!(snapshot(s).await, before);
    // The store still works after the rollback.
    both(s, &mut reference, vec![c(u)]).await;
    assert_eq!(s.load().await.expect("load"), reference);
}

pub async fn update_and_delete_missing_not_found(s: &dyn Store) {
    let p = perm("x");
    assert_eq!(
        s.commit("t", &[update(p.clone(), 1)]).await,
        Err(nf(ObjectKind::Permission, p.id))
    );
    assert_eq!(
        s.commit("t", &[delete(ObjectKind::User, p.id, true)]).await,
        Err(nf(ObjectKind::User, p.id))
    );
    // Ids are per kind: a permission id is not a role.
    s.commit("t", &[c(p.clone())]).await.expect("create");
    assert_eq!(
        s.commit("t", &[delete(ObjectKind::Role, p.id, false)])
            .await,
        Err(nf(ObjectKind::Role, p.id))
    );
    // Link kinds cannot be deleted as objects.
    assert_eq!(
        s.commit("t", &[delete(ObjectKind::Grant, p.id, false)])
            .await,
        Err(nf(ObjectKind::Grant, p.id))
    );
    assert_eq!(s.revision().await, Ok(1));
}

pub async fn missing_references_not_found(s: &dyn Store) {
    let ghost = new_id();
    let t = Team {
        default_role: Some(ghost),
        ..team("t")
    };
    assert_eq!(
        s.commit("t", &[c(t)]).await,
        Err(nf(ObjectKind::Role, ghost))
    );
    assert_eq!(
        s.commit("t", &[c(key(ghost, "h"))]).await,
        Err(nf(ObjectKind::User, ghost))
    );
    // Duplicate checks come before reference checks.
    let t = team("t");
    s.commit("t", &[c(t.clone())]).await.expect("create");
    let clash = Team {
        id: new_id(),
        default_role: Some(ghost),
        ..t.clone()
    };
    assert_eq!(
        s.commit("t", &[c(clash)]).await,
        Err(dup(ObjectKind::Team, "key", "t"))
    );
    let moved = Team {
        default_role: Some(ghost),
        version: 2,
        ..t
    };
    assert_eq!(
        s.commit("t", &[update(moved, 1)]).await,
        Err(nf(ObjectKind::Role, ghost))
    );
    assert_eq!(s.revision().await, Ok(1));
}

pub async fn revision_counting(s: &dyn Store) {
    assert_eq!(s.revision().await, Ok(0));
    assert_eq!(s.commit("t", &[]).await, Ok(0));
    assert_eq!(s.commit("t", &[c(role("a")), c(role("b"))]).await, Ok(1));
    assert_eq!(s.commit("t", &[]).await, Ok(1));
    assert!(s.commit("t", &[c(role("a"))]).await.is_err());
    assert_eq!(s.revision().await, Ok(1));
    assert_eq!(s.commit("t", &[c(role("c"))]).await, Ok(2));
    assert_eq!(s.load().await.expect("load").revision, 2);
    assert_eq!(audit_all(s).await.len(), 3);
}

/// `commit_at` writes only on the revision it names: on another, nothing is written and the
/// error says which revision the store is at.
pub async fn commit_at_refuses_a_moved_store(s: &dyn Store) {
    assert_eq!(s.commit_at("t", &[c(role("a"))], 0).await, Ok(1));
    assert_eq!(
        s.commit_at("t", &[c(role("b"))], 0).await,
        Err(StoreError::Moved { base: 0, actual: 1 })
    );
    assert_eq!(s.revision().await, Ok(1));
    assert!(s.load().await.expect("load").role_by_name("b").is_none());
    assert_eq!(
        audit_all(s).await.len(),
        1,
        "no audit event for a refused commit"
    );
    assert_eq!(s.commit_at("t", &[c(role("b"))], 1).await, Ok(2));
}

pub async fn audit_order_and_filters(s: &dyn Store) {
    let (a, b, x) = (role("a"), role("b"), role("x"));
    s.commit("alice", &[c(a.clone()), c(b.clone())])
        .await
        .expect("1");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mid = gatehouse::model::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    s.commit("bob", &[c(x.clone())]).await.expect("2");
    s.commit("alice", &[delete(ObjectKind::Role, a.id, false)])
        .await
        .expect("3");
    let q = |f: fn(&mut AuditQuery)| {
        let mut q = AuditQuery::default();
        f(&mut q);
        q
    };
    let ids = async |query: AuditQuery| -> Vec<(u64, String, String)> {
        s.audit(&query)
            .await
            .expect("audit")
            .into_iter()
            .map(|e| (e.revision, e.action, e.object_id))
            .collect()
    };
    let (ai, bi, xi) = (a.id.to_string(), b.id.to_string(), x.id.to_string());
    let all = vec![
        (3, "delete".to_string(), ai.clone()),
        (2, "create".to_string(), xi.clone()),
        (1, "create".to_string(), bi.clone()),
        (1, "create".to_string(), ai.clone()),
    ];
    assert_eq!(ids(AuditQuery::default()).await, all);
    assert_eq!(ids(q(|q| q.limit = 2)).await, all[..2].to_vec());
    assert_eq!(
        ids(q(|q| q.before_revision = Some(2))).await,
        all[2..].to_vec()
    );
    let by_alice = q(|q| q.actor = Some("alice".into()));
    assert_eq!(
        ids(by_alice).await,
        vec![all[0].clone(), all[2].clone(), all[3].clone()]
    );
    assert_eq!(ids(q(|q| q.actor = Some("ALICE".into()))).await, vec![]);
    let since = AuditQuery {
        since: Some(mid),
        ..AuditQuery::default()
    };
    assert_eq!(ids(since).await, all[..2].to_vec());
    let combined = AuditQuery {
        actor: Some("alice".into()),
        before_revision: Some(3),
        limit: 1,
        ..AuditQuery::default()
    };
    assert_eq!(ids(combined).await, vec![all[2].clone()]);
    let events = s.audit(&AuditQuery::default()).await.expect("audit");
    assert!(events.windows(2).all(|w| w[0].at >= w[1].at));
    assert_eq!(events[3].actor, "alice");
    assert_eq!(events[3].before, serde_json::Value::Null);
    assert_eq!(events[0].after, serde_json::Value::Null);
    assert_eq!(events[0].before, Object::Role(a).to_json());
}

pub async fn touch_key(s: &dyn Store) {
    let u = user("u");
    let k = key(u.id, "h");
    s.commit("t", &[c(u), c(k.clone())]).await.expect("setup");
    let when = at(123_456_789);
    s.touch_key(k.id, when).await.expect("touch");
    let loaded = s.load().await.expect("load");
    assert_eq!(loaded.keys[&k.id].last_used_at, Some(when));
    assert_eq!(loaded.keys[&k.id].version, 1);
    assert_eq!(s.revision().await, Ok(1));
    assert_eq!(audit_all(s).await.len(), 2);
    let ghost = new_id();
    assert_eq!(
        s.touch_key(ghost, when).await,
        Err(nf(ObjectKind::ApiKey, ghost))
    );
}

/// Long runs of creates (a store may insert them in batches) behave like one-by-one creates.
pub async fn bulk_creates(s: &dyn Store) {
    let mut reference = State::default();
    let roles: Vec<Role> = (0..150).map(|i| role(&format!("role-{i}"))).collect();
    let mut bad: Vec<Change> = roles.iter().cloned().map(c).collect();
    bad[100] = c(role("role-10"));
    let expected = reference
        .clone()
        .apply_all(&bad)
        .map(|_| 1)
        .map_err(StoreError::from);
    assert_eq!(expected, Err(dup(ObjectKind::Role, "name", "role-10")));
    assert_eq!(s.commit("t", &bad).await, expected);
    let mut bad: Vec<Change> = roles.iter().cloned().map(c).collect();
    bad[70] = c(roles[3].clone());
    assert_eq!(
        s.commit("t", &bad).await,
        Err(dup(ObjectKind::Role, "id", roles[3].id.to_string()))
    );
    assert_eq!(snapshot(s).await, (State::default(), 0, vec![]));
    let u = user("owner");
    let mut good: Vec<Change> = vec![c(u.clone())];
    good.extend(roles.iter().cloned().map(c));
    good.extend((0..130).map(|i| c(key(u.id, &format!("hash-{i}")))));
    good.extend((0..200).map(|i| c(perm(&format!("e{i}")))));
    both(s, &mut reference, good).await;
    assert_eq!(s.load().await.expect("load"), reference);
    let events = audit_all(s).await;
    assert_eq!(events.len(), 481);
    assert_eq!(events.last().map(|e| e.4.clone()), Some(u.id.to_string()));
    assert_eq!(events[0].3, ObjectKind::Permission);
    let mut bad: Vec<Change> = (0..100)
        .map(|i| c(key(new_id(), &format!("k{i}"))))
        .collect();
    bad.insert(0, c(key(u.id, "fine")));
    let ghost = match &bad[1] {
        Change::Create(Object::ApiKey(k)) => k.user_id,
        _ => unreachable!(),
    };
    assert_eq!(s.commit("t", &bad).await, Err(nf(ObjectKind::User, ghost)));
    assert_eq!(s.revision().await, Ok(1));
}
