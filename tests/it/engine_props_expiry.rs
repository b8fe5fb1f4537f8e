//! Property tests for relations that end: at random instants, the engine decides as the naive
//! reference run on the state with every ended relation removed, whether its index was built
//! for that instant or for an earlier one whose window still holds there (as the service uses
//! it); and no deciding path it names has ended.

use super::engine_props::{Req, World, catalogs, make, naive, request, state, world};
use gatehouse::engine::{Engine, Rule};
use gatehouse::model::Principal;
use gatehouse::policy::{Link, State};
use proptest::prelude::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const BASE: OffsetDateTime = datetime!(2026-12-07 12:00 UTC);

/// Every relation of `s` that may carry an end, in a fixed order.
fn relations(s: &State) -> Vec<Link> {
    let mut out = Vec::new();
    out.extend(
        s.user_roles
            .iter()
            .map(|&(user, role)| Link::UserRole { user, role }),
    );
    out.extend(
        s.team_roles
            .iter()
            .map(|&(team, role)| Link::TeamRole { team, role }),
    );
    out.extend(
        s.members
            .iter()
            .map(|(&(team, user), &role)| Link::Member { team, user, role }),
    );
    out.extend(s.grants.iter().map(|&(principal, permission)| Link::Grant {
        principal,
        permission,
    }));
    out
}

/// The state as a decision at `at` sees it, read literally: every relation whose end is at or
/// before `at` removed.
fn live_at(s: &State, at: OffsetDateTime) -> State {
    let mut live = s.clone();
    for l in relations(s) {
        if s.expiries.ended(&l, at) {
            match l {
                Link::UserRole { user, role } => {
                    live.user_roles.remove(&(user, role));
                }
                Link::TeamRole { team, role } => {
                    live.team_roles.remove(&(team, role));
                }
                Link::Member { team, user, .. } => {
                    live.members.remove(&(team, user));
                }
                Link::Grant {
                    principal,
                    permission,
                } => {
                    live.grants.remove(&(principal, permission));
                }
                Link::RolePermission { .. } => {}
            }
        }
    }
    live
}

/// The instant of step `k`: half-hours from [`BASE`], so instants fall on ends and between.
fn instant(k: u8) -> OffsetDateTime {
    BASE + Duration::minutes(30 * i64::from(k))
}

fn with_ends(w: &World, ends: &[Option<u8>]) -> State {
    let mut s = state(w);
    for (i, l) in relations(&s).into_iter().enumerate() {
        if let Some(Some(k)) = ends.get(i % ends.len().max(1)) {
            s.expiries.set(&l, Some(instant(*k)));
        }
    }
    s
}

fn agrees_at_instants(
    w: &World,
    ends: &[Option<u8>],
    qs: &[Req],
    instants: &[u8],
) -> Result<(), TestCaseError> {
    let cats = catalogs();
    let c = &cats.all()[0];
    let s = with_ends(w, ends);
    // As the service keeps it: built once, at the first instant, reused while it holds.
    let kept = Engine::build_at(&s, &cats, instant(0));
    for &k in instants {
        let at = instant(k);
        let reference = live_at(&s, at);
        let fresh = Engine::build_at(&s, &cats, at);
        prop_assert!(
            fresh.window().holds_at(at),
            "an index holds at its own instant"
        );
        let reused = kept.window().holds_at(at).then_some(&kept);
        for &q in qs {
            let r = make(q);
            let want = naive(&reference, c, &r);
            let got = fresh.decide(&r);
            prop_assert_eq!(
                got.allowed,
                want,
                "at {} request {:?} rule {:?}",
                at,
                r,
                got.rule
            );
            if let Some(e) = reused {
                prop_assert_eq!(
                    e.decide(&r).allowed,
                    want,
                    "an index reused inside its window, at {}",
                    at
                );
            }
            let ex = fresh.explain(&r);
            if let Rule::Granted { by } | Rule::Denied { by } = ex.rule {
                let ends = fresh.path_ends(r.user, by.via, by.permission);
                prop_assert!(
                    ends.is_none_or(|t| t > at),
                    "the deciding path ends at {:?}, before {}",
                    ends,
                    at
                );
            }
            for cand in &ex.candidates {
                prop_assert!(
                    cand.ends.is_none_or(|t| t > at),
                    "an ended path was considered"
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn engine_with_ending_relations_agrees_with_naive_at_random_instants(
        w in world(),
        ends in prop::collection::vec(prop::option::weighted(0.5, 0u8..12), 1..40),
        qs in prop::collection::vec(request(), 20),
        instants in prop::collection::vec(0u8..14, 1..6),
    ) {
        agrees_at_instants(&w, &ends, &qs, &instants)?;
    }
}

#[test]
fn a_grant_is_live_until_its_end_and_absent_from_it() {
    // A plain example beside the property: the boundary instant belongs to "ended".
    let cats = catalogs();
    let w = World::one_grant();
    let mut s = state(&w);
    let link = Link::Grant {
        principal: Principal::User(super::engine_props::uid(0)),
        permission: super::engine_props::pid(0),
    };
    s.expiries.set(&link, Some(instant(2)));
    let r = make((0, 0, 0, None, None, None));
    let before = Engine::build_at(&s, &cats, instant(1));
    assert!(before.decide(&r).allowed);
    assert_eq!(before.window().until, Some(instant(2)));
    assert!(!before.window().holds_at(instant(2)));
    let at_end = Engine::build_at(&s, &cats, instant(2));
    assert!(!at_end.decide(&r).allowed);
    assert_eq!(at_end.window().from, Some(instant(2)));
    let ex = before.explain(&r);
    assert_eq!(ex.candidates.first().and_then(|c| c.ends), Some(instant(2)));
}
