//! Mage dialect tests: behaviour observed on a live 0.9.80 server (`docs/MAGE.md` §4, §8).

use super::tests::{W, req};
use super::*;
use crate::catalog::Catalogs;

pub(super) fn mage_user(w: &mut W, perms: &[Id]) -> Id {
    let u = w.user("m");
    let r = w.role("r");
    for &p in perms {
        w.s.role_permissions.insert((r, p));
    }
    w.s.user_roles.insert((u, r));
    u
}

#[test]
fn mage_owner_bit_anywhere_overrides_a_deny() {
    let mut w = W::new();
    let deny = w.mage("Role", None, 262144 | 16 | 16384); // DISABLE_LIST + LIST + READ_ALL
    let owner = w.mage("Secret", None, 1);
    let u = mage_user(&mut w, &[deny]);
    let e = w.engine();
    assert!(
        !e.decide(&req(u, "mage", "LIST", "Role", None)).allowed,
        "DISABLE_LIST with LIST in one role: 403"
    );
    let r = w.role("owner-elsewhere");
    w.s.role_permissions.insert((r, owner));
    w.s.user_roles.insert((u, r));
    let e = w.engine();
    assert!(matches!(
        e.decide(&req(u, "mage", "LIST", "Role", None)).rule,
        Rule::MageOwnerBit { .. }
    ));
}

#[test]
fn mage_all_beats_disable_operation_all_only_inside_one_permission() {
    let mut w = W::new();
    let both = w.mage("Pipeline", None, 131072 | 8388608);
    let u = mage_user(&mut w, &[both]);
    let e = w.engine();
    assert!(e.decide(&req(u, "mage", "LIST", "Pipeline", None)).allowed);
    let mut w = W::new();
    let all = w.mage("Pipeline", None, 131072);
    let dis = w.mage("Pipeline", None, 8388608);
    let u = mage_user(&mut w, &[all, dis]);
    let e = w.engine();
    assert!(!e.decide(&req(u, "mage", "LIST", "Pipeline", None)).allowed);
    let mut w = W::new();
    let p = w.mage("Pipeline", None, 131072 | 262144);
    let u = mage_user(&mut w, &[p]);
    let e = w.engine();
    assert!(
        !e.decide(&req(u, "mage", "LIST", "Pipeline", None)).allowed,
        "the op's DISABLE bit is checked before ALL"
    );
    assert!(
        e.decide(&req(u, "mage", "DETAIL", "Pipeline", Some("x")))
            .allowed
    );
}

#[test]
fn mage_record_scoped_permissions_apply_to_list_and_create() {
    let mut w = W::new();
    let p = w.mage("Role", Some("5"), 32 | 16 | 64);
    let u = mage_user(&mut w, &[p]);
    let e = w.engine();
    assert!(
        e.decide(&req(u, "mage", "DETAIL", "Role", Some("5")))
            .allowed
    );
    assert!(
        !e.decide(&req(u, "mage", "DETAIL", "Role", Some("6")))
            .allowed
    );
    assert!(e.decide(&req(u, "mage", "LIST", "Role", None)).allowed);
    assert!(e.decide(&req(u, "mage", "CREATE", "Role", None)).allowed);
}

#[test]
fn mage_groups_expand_only_when_they_are_the_whole_access() {
    let mut w = W::new();
    let viewer = w.mage("Pipeline", None, 8);
    let u = mage_user(&mut w, &[viewer]);
    let e = w.engine();
    assert!(e.decide(&req(u, "mage", "LIST", "Pipeline", None)).allowed);
    assert!(
        !e.decide(&req(u, "mage", "CREATE", "Pipeline", None))
            .allowed
    );
    let mut w = W::new();
    let mixed = w.mage("Pipeline", None, 8 | 64);
    let u = mage_user(&mut w, &[mixed]);
    let e = w.engine();
    assert!(
        !e.decide(&req(u, "mage", "LIST", "Pipeline", None)).allowed,
        "8|64 is not exactly 8: no expansion"
    );
    assert!(
        e.decide(&req(u, "mage", "CREATE", "Pipeline", None))
            .allowed
    );
}

#[test]
fn mage_all_except_reserved_never_reaches_reserved_entities() {
    let mut w = W::new();
    let p = w.mage("ALL_EXCEPT_RESERVED", None, 1024);
    let u = mage_user(&mut w, &[p]);
    let e = w.engine();
    assert!(
        e.decide(&req(u, "mage", "DELETE", "Pipeline", Some("a")))
            .allowed
    );
    assert!(!e.decide(&req(u, "mage", "LIST", "Workspace", None)).allowed);
    assert!(!e.decide(&req(u, "mage", "LIST", "Oauth", None)).allowed);
}

/// The catalog's word on inert conditions (`Catalog::inert_conditions`, shown in lists, pages
/// and explanations) agrees with what the engine decides: inert ones let a non-owner in.
#[test]
fn inert_conditions_are_the_ones_the_engine_ignores() {
    let cats = Catalogs::builtin().expect("catalogs");
    for (access, inert) in [(32u64 | 16384, true), (32 | 16384 | 1073741824, false)] {
        let mut w = W::new();
        let p = w.mage("Pipeline", None, access);
        assert!(
            w.s.permissions
                .update(&p, |p| p.conditions = vec!["USER_OWNS_ENTITY".into()])
        );
        let perm = w.s.permissions.get(&p).expect("perm");
        let said = cats.inert_conditions(&perm.catalog, &perm.grants, &perm.conditions);
        assert_eq!(said.is_some(), inert, "{:?}", perm.grants);
        let u = mage_user(&mut w, &[p]);
        let e = w.engine();
        let mut r = req(u, "mage", "DETAIL", "Pipeline", Some("p1"));
        r.resource_owner = Some(Id::from_u128(99));
        assert_eq!(
            e.decide(&r).allowed,
            inert,
            "someone else's pipeline: allowed only when the conditions are ignored"
        );
        r.resource_owner = Some(u);
        assert!(
            e.decide(&r).allowed,
            "their own pipeline: allowed either way"
        );
    }
}

#[test]
fn mage_conditions_only_count_under_disable_unless_conditions() {
    let mut w = W::new();
    let plain = w.mage("User", Some("1"), 32);
    assert!(
        w.s.permissions
            .update(&plain, |p| p.conditions = vec!["USER_OWNS_ENTITY".into()])
    );
    let u = mage_user(&mut w, &[plain]);
    let e = w.engine();
    assert!(
        e.decide(&req(u, "mage", "DETAIL", "User", Some("1")))
            .allowed,
        "conditions ignored without the gate bit"
    );
    let mut w = W::new();
    let gated = w.mage("User", None, 32 | 1073741824);
    assert!(
        w.s.permissions
            .update(&gated, |p| p.conditions = vec!["USER_OWNS_ENTITY".into()])
    );
    let u = mage_user(&mut w, &[gated]);
    let e = w.engine();
    let mut r = req(u, "mage", "DETAIL", "User", Some("1"));
    assert!(!e.decide(&r).allowed);
    r.resource_owner = Some(u);
    assert!(e.decide(&r).allowed);
}
