//! The access effect on named scenarios (the property test against deciding everything is
//! `tests/it/engine_props.rs::access_effect_is_exactly_what_moved`).

use super::effect::{Context, Side, access_effect, summary_lines};
use super::tests::W;
use super::*;
use crate::catalog::Catalogs;

fn effect_of(before: &mut W, after: &mut W) -> effect::AccessEffect {
    let cats = Catalogs::builtin().expect("catalogs");
    let (eb, ea) = (before.engine(), after.engine());
    access_effect(
        Side {
            state: &before.s,
            engine: &eb,
        },
        Side {
            state: &after.s,
            engine: &ea,
        },
        &cats,
    )
}

/// alice and bob hold role R; carol holds nothing. R gets `read` on `gatehouse:User`.
fn world() -> (W, Id, Id) {
    let mut w = W::new();
    let alice = w.user("alice");
    let bob = w.user("bob");
    w.user("carol");
    let r = w.role("R");
    w.s.user_roles.insert((alice, r));
    w.s.user_roles.insert((bob, r));
    (w, r, alice)
}

#[test]
fn a_role_losing_a_permission_names_every_holder_and_nobody_else() {
    let (mut before, r, _) = world();
    let p = before.perm("gatehouse", "User", None, &["read"], &[], &[]);
    before.s.role_permissions.insert((r, p));
    let mut after = before.clone();
    after.s.role_permissions.remove(&(r, p));
    let e = effect_of(&mut before, &mut after);
    let names: Vec<&str> = e.users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    for u in &e.users {
        assert!(u.gains.is_empty());
        assert!(
            u.losses
                .iter()
                .any(|a| a.action == "read" && a.entity == "User" && a.context == Context::Any)
        );
    }
    assert_eq!((e.gaining(), e.losing()), (0, 2));
    let lines = summary_lines(&e, 10, 3);
    assert_eq!(lines[0], "0 user(s) gain access, 2 lose access");
    assert!(lines[1].starts_with("  alice: - "), "{lines:?}");
    assert!(
        lines[1].contains("read") && lines[1].contains("on gatehouse:User"),
        "{lines:?}"
    );
}

#[test]
fn a_condition_added_is_a_loss_everywhere_but_on_the_users_own() {
    let (mut before, r, alice) = world();
    let p = before.perm("gatehouse", "User", None, &["read"], &[], &[]);
    before.s.role_permissions.insert((r, p));
    let mut after = before.clone();
    let mut changed = after.s.permissions.get(&p).expect("p");
    changed.conditions = vec!["own".into()];
    after.s.permissions.insert(&changed);
    let e = effect_of(&mut before, &mut after);
    let a = e
        .users
        .iter()
        .find(|u| u.user == alice)
        .expect("alice moved");
    assert!(
        a.losses
            .iter()
            .any(|x| x.action == "read" && x.context == Context::Any)
    );
    assert!(
        !a.losses.iter().any(|x| x.context == Context::Own),
        "her own records stay readable: {a:?}"
    );
}

#[test]
fn nothing_changed_is_said_so_and_an_owner_flag_is_one_line() {
    let (mut before, _, alice) = world();
    let mut same = before.clone();
    let e = effect_of(&mut before, &mut same);
    assert!(e.is_empty());
    assert_eq!(summary_lines(&e, 5, 5), ["no one's access changes"]);
    let mut after = before.clone();
    if let Some(u) = after.s.users.get_mut(&alice) {
        u.owner = true;
    }
    let e = effect_of(&mut before, &mut after);
    assert_eq!(e.users.len(), 1);
    assert!(
        e.users[0].gains.is_empty(),
        "the flag says it, not every action"
    );
    let lines = summary_lines(&e, 5, 5);
    assert!(lines[1].contains("alice: becomes an owner"), "{lines:?}");
}

#[test]
fn a_grant_on_every_mage_entity_is_one_line_not_ninety() {
    let (mut before, r, alice) = world();
    let mut after = before.clone();
    let p = after.mage("ALL", None, 16); // LIST on ALL
    after.s.role_permissions.insert((r, p));
    let e = effect_of(&mut before, &mut after);
    let a = e
        .users
        .iter()
        .find(|u| u.user == alice)
        .expect("alice gains");
    assert_eq!(a.gains.len(), 1, "{:?}", a.gains);
    assert_eq!(
        (a.gains[0].entity.as_str(), a.gains[0].action.as_str()),
        ("ALL", "LIST")
    );
    // Except where a deny makes one entity differ: then entity by entity.
    let mut denied = after.clone();
    let d = denied.perm("mage", "Pipeline", None, &[], &["LIST"], &[]);
    denied.s.role_permissions.insert((r, d));
    let e2 = effect_of(&mut before, &mut denied);
    let a2 = e2
        .users
        .iter()
        .find(|u| u.user == alice)
        .expect("alice gains");
    assert!(a2.gains.len() > 1, "{:?}", a2.gains);
    assert!(
        a2.gains
            .iter()
            .all(|g| g.entity != "ALL" && g.entity != "Pipeline"),
        "{:?}",
        a2.gains
            .iter()
            .filter(|g| g.entity == "ALL" || g.entity == "Pipeline")
            .collect::<Vec<_>>()
    );
    assert!(a2.gains.iter().any(|g| g.entity == "Secret"));
    let lines = summary_lines(&e, 1, 1);
    assert!(
        lines.last().is_some_and(|l| l.contains("more user")),
        "{lines:?}"
    );
}
