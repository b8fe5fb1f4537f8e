//! Property tests: the indexed engine agrees with a deliberately naive evaluator written here
//! from docs/PRODUCT.md §2.3, `explain` agrees with `decide`, and `who_can`/`what_can` agree with `decide`.

use crate::support::build;
use gatehouse::catalog::{Catalog, Catalogs};
use gatehouse::engine::{Engine, Request};
use gatehouse::model::{Id, Permission, Principal, Team, User, now};
use gatehouse::policy::State;
use proptest::prelude::*;
use uuid::Uuid;

pub(super) fn catalogs() -> Catalogs {
    Catalogs::from_list(vec![build::test_catalog()])
}

fn id(n: u128) -> Id {
    Uuid::from_u128(n)
}

/// A generated permission: entity, uuid, grants, denies, conditions (indexes into the tables).
type GenPerm = (u8, Option<u8>, Vec<u8>, Vec<u8>, Vec<u8>);

/// A generated world, small enough that collisions (shared roles, same uuid) are common.
#[derive(Debug, Clone)]
pub(super) struct World {
    users: Vec<(bool, bool)>, // (owner, disabled)
    teams: Vec<bool>,         // is admin team
    perms: Vec<GenPerm>,
    role_perms: Vec<(u8, u8)>,
    user_roles: Vec<(u8, u8)>,
    team_roles: Vec<(u8, u8)>,
    members: Vec<(u8, u8, Option<u8>)>,
    grants: Vec<(bool, u8, u8)>, // (to team?, principal, perm)
}

impl World {
    /// One user (not owner, not disabled) granted directly one permission granting `a` on `X`.
    pub(super) fn one_grant() -> World {
        World {
            users: vec![(false, false)],
            teams: vec![],
            perms: vec![(0, None, vec![0], vec![], vec![])],
            role_perms: vec![],
            user_roles: vec![],
            team_roles: vec![],
            members: vec![],
            grants: vec![(false, 0, 0)],
        }
    }
}

const FLAGS: [&str; 4] = ["a", "b", "c", "ab"];
const ENTITIES: [&str; 3] = ["X", "Y", "ALL"];
const CONDS: [&str; 2] = ["own", "team"];
const NU: u8 = 6;
const NT: u8 = 3;
const NR: u8 = 5;
const NP: u8 = 12;

pub(super) fn world() -> impl Strategy<Value = World> {
    world_of(NP, 2, 0.4, 0..20)
}

/// A world with holders large enough for the engine's per-entity directory: many permissions
/// over many uuids, on a few roles.
fn big_world() -> impl Strategy<Value = World> {
    world_of(BIG_NP, BIG_UUIDS, 0.8, 300..600)
}

const BIG_NP: u8 = 250;
const BIG_UUIDS: u8 = 30;

fn world_of(
    np: u8,
    uuids: u8,
    scoped: f64,
    role_perms: std::ops::Range<usize>,
) -> impl Strategy<Value = World> {
    let flags = || prop::collection::vec(0u8..4, 0..3);
    (
        prop::collection::vec(
            (prop::bool::weighted(0.1), prop::bool::weighted(0.1)),
            NU as usize,
        ),
        prop::collection::vec(prop::bool::weighted(0.3), NT as usize),
        prop::collection::vec(
            (
                0u8..3,
                prop::option::weighted(scoped, 0u8..uuids),
                flags(),
                prop::collection::vec(0u8..4, 0..2),
                prop::collection::vec(0u8..2, 0..2),
            ),
            np as usize,
        ),
        prop::collection::vec((0..NR, 0..np), role_perms),
        prop::collection::vec((0..NU, 0..NR), 0..10),
        prop::collection::vec((0..NT, 0..NR), 0..5),
        prop::collection::vec((0..NT, 0..NU, prop::option::of(0..NR)), 0..10),
        prop::collection::vec((any::<bool>(), 0u8..6, 0..np), 0..6),
    )
        .prop_map(
            |(users, teams, perms, role_perms, user_roles, team_roles, members, grants)| World {
                users,
                teams,
                perms,
                role_perms,
                user_roles,
                team_roles,
                members,
                grants,
            },
        )
}

pub(super) fn uid(i: u8) -> Id {
    id(1000 + i as u128)
}
pub(super) fn tid(i: u8) -> Id {
    id(2000 + i as u128)
}
pub(super) fn rid(i: u8) -> Id {
    id(3000 + i as u128)
}
pub(super) fn pid(i: u8) -> Id {
    id(4000 + i as u128)
}
fn uuid_name(i: u8) -> String {
    format!("e{i}")
}

pub(super) fn state(w: &World) -> State {
    let t = now();
    let mut s = State::default();
    for (i, &(owner, disabled)) in w.users.iter().enumerate() {
        let i = i as u8;
        s.users.insert(
            uid(i),
            User {
                disabled,
                owner,
                ..build::user(uid(i), &format!("u{i}"), t)
            },
        );
    }
    for (i, &admin) in w.teams.iter().enumerate() {
        let i = i as u8;
        let key = if admin && !s.teams.values().any(|t: &Team| t.key == "admin") {
            "admin".to_string()
        } else {
            format!("t{i}")
        };
        s.teams
            .insert(tid(i), build::team(tid(i), &key, &format!("T{i}"), t));
    }
    for i in 0..NR {
        s.roles
            .insert(rid(i), build::role(rid(i), &format!("r{i}"), t));
    }
    for (i, (e, u, g, d, c)) in w.perms.iter().enumerate() {
        let i = i as u8;
        let mut p = Permission {
            entity_uuid: u.map(uuid_name),
            grants: g.iter().map(|&f| FLAGS[f as usize].to_string()).collect(),
            denies: d.iter().map(|&f| FLAGS[f as usize].to_string()).collect(),
            conditions: c.iter().map(|&f| CONDS[f as usize].to_string()).collect(),
            ..build::permission(pid(i), "t", ENTITIES[*e as usize], t)
        };
        p.normalize();
        s.permissions.insert(&p);
    }
    for &(r, p) in &w.role_perms {
        s.role_permissions.insert((rid(r), pid(p)));
    }
    for &(u, r) in &w.user_roles {
        s.user_roles.insert((uid(u), rid(r)));
    }
    for &(t, r) in &w.team_roles {
        s.team_roles.insert((tid(t), rid(r)));
    }
    for &(t, u, r) in &w.members {
        s.members.insert((tid(t), uid(u)), r.map(rid));
    }
    for &(team, who, p) in &w.grants {
        let pr = if team {
            Principal::Team(tid(who % NT))
        } else {
            Principal::User(uid(who))
        };
        s.grants.insert((pr, pid(p)));
    }
    s.reindex();
    s
}

/// The naive reference: docs/PRODUCT.md §2.3 read literally, scanning everything.
pub(super) fn naive(s: &State, c: &Catalog, r: &Request) -> bool {
    let Some(u) = s.users.get(&r.user) else {
        return false;
    };
    if u.disabled {
        return false;
    }
    if u.owner {
        return true;
    }
    let my_teams: Vec<Id> = s
        .members
        .keys()
        .filter(|(_, m)| *m == u.id)
        .map(|(t, _)| *t)
        .collect();
    let mut candidates: Vec<Id> = Vec::new();
    let add_role = |role: Id, out: &mut Vec<Id>| {
        out.extend(
            s.role_permissions
                .iter()
                .filter(|(rr, _)| *rr == role)
                .map(|(_, p)| *p),
        );
    };
    candidates.extend(
        s.grants
            .iter()
            .filter(|(pr, _)| *pr == Principal::User(u.id))
            .map(|(_, p)| *p),
    );
    for &(uu, role) in &s.user_roles {
        if uu == u.id {
            add_role(role, &mut candidates);
        }
    }
    for &t in &my_teams {
        candidates.extend(
            s.grants
                .iter()
                .filter(|(pr, _)| *pr == Principal::Team(t))
                .map(|(_, p)| *p),
        );
        for &(tt, role) in &s.team_roles {
            if tt == t {
                add_role(role, &mut candidates);
            }
        }
        if let Some(Some(role)) = s.members.get(&(t, u.id)) {
            let is_admin = s.teams.get(&t).is_some_and(|x| x.key == "admin");
            if is_admin || r.resource_team == Some(t) {
                add_role(*role, &mut candidates);
            }
        }
    }
    let covers = |names: &[String]| -> bool {
        names
            .iter()
            .any(|n| n == &r.action || c.flag(n).is_some_and(|f| f.implies.contains(&r.action)))
    };
    let mut grant = false;
    for p in candidates.iter().filter_map(|id| s.permissions.get(id)) {
        let entity_ok = p.entity == r.entity || p.entity == "ALL";
        let uuid_ok = p.entity_uuid.is_none() || p.entity_uuid == r.entity_uuid;
        let cond_ok = p.conditions.iter().all(|cond| match cond.as_str() {
            "own" => r.resource_owner == Some(u.id),
            "team" => r.resource_team.is_some_and(|t| my_teams.contains(&t)),
            _ => false,
        });
        if !(entity_ok && uuid_ok && cond_ok) {
            continue;
        }
        if covers(&p.denies) {
            return false;
        }
        if covers(&p.grants) {
            grant = true;
        }
    }
    grant
}

/// A generated request: user, flag, entity, uuid, resource owner, resource team.
pub(super) type Req = (u8, u8, u8, Option<u8>, Option<u8>, Option<u8>);

pub(super) fn request() -> impl Strategy<Value = Req> {
    request_of(3)
}

fn request_of(uuids: u8) -> impl Strategy<Value = Req> {
    (
        0..NU + 1,
        0u8..4,
        0u8..3,
        prop::option::of(0u8..uuids),
        prop::option::of(0..NU),
        prop::option::of(0..NT + 1),
    )
}

pub(super) fn make(q: Req) -> Request {
    let (u, f, e, uu, owner, team) = q;
    Request {
        at: None,
        user: uid(u),
        catalog: "t".into(),
        action: FLAGS[f as usize].into(),
        entity: ENTITIES[e as usize].into(),
        entity_uuid: uu.map(uuid_name),
        resource_owner: owner.map(uid),
        resource_team: team.map(tid),
        attribute: None,
    }
}

/// `decide` answers as the naive reference, and `explain` names the same rule, for each request.
fn agrees_with_naive_and_explain(w: &World, qs: Vec<Req>) -> Result<(), TestCaseError> {
    let cats = catalogs();
    let s = state(w);
    let engine = Engine::build(&s, &cats);
    let c = &cats.all()[0];
    for q in qs {
        let r = make(q);
        let fast = engine.decide(&r);
        prop_assert_eq!(
            fast.allowed,
            naive(&s, c, &r),
            "request {:?} rule {:?}",
            r,
            fast.rule
        );
        let ex = engine.explain(&r);
        prop_assert_eq!(ex.allowed, fast.allowed);
        prop_assert_eq!(ex.rule, fast.rule, "explain and decide name the same rule");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_naive_reference(w in world(), qs in prop::collection::vec(request(), 40)) {
        agrees_with_naive_and_explain(&w, qs)?;
    }

    #[test]
    fn engine_agrees_with_naive_reference_on_large_holders(
        w in big_world(),
        qs in prop::collection::vec(request_of(BIG_UUIDS + 1), 60),
    ) {
        agrees_with_naive_and_explain(&w, qs)?;
    }

    #[test]
    fn who_can_is_exactly_the_users_decide_allows(w in world(), q in request()) {
        let cats = catalogs();
        let s = state(&w);
        let engine = Engine::build(&s, &cats);
        let template = make(q);
        let who: Vec<Id> = engine.who_can(&template).into_iter().map(|x| x.user).collect();
        for &user in s.users.keys() {
            let mut r = template.clone();
            r.user = user;
            prop_assert_eq!(who.contains(&user), engine.decide(&r).allowed, "user {}", user);
        }
    }

    #[test]
    fn what_can_agrees_with_decide(w in world(), q in request()) {
        let cats = catalogs();
        let s = state(&w);
        let engine = Engine::build(&s, &cats);
        let r = make(q);
        let what = engine.what_can(r.user);
        if !s.users.contains_key(&r.user) {
            prop_assert!(what.is_none());
            return Ok(());
        }
        let what = what.expect("known user");
        // Every entry's "allowed" flags are allowed by decide in that entry's plain context.
        for e in &what.entries {
            let perm = s.permissions.view(&e.permission).expect("an entry names a stored permission");
            if !perm.conditions().is_empty() || e.scope != gatehouse::engine::Scope::Everywhere { continue; }
            for flag in &e.allowed {
                let rr = Request { at: None, user: r.user, catalog: "t".into(), action: flag.clone(), entity: e.entity.clone(),
                    entity_uuid: e.entity_uuid.clone(), resource_owner: Some(r.user), resource_team: None, attribute: None };
                prop_assert!(engine.decide(&rr).allowed, "{:?}", rr);
            }
        }
        // Anything decide allows (for a non-owner) is granted by some reachable entry.
        let d = engine.decide(&r);
        if d.allowed && !what.owner {
            let found = what.entries.iter().any(|e| {
                (e.entity == r.entity || e.entity == "ALL")
                    && (e.entity_uuid.is_none() || e.entity_uuid == r.entity_uuid)
                    && e.grants.contains(&r.action)
            });
            prop_assert!(found, "allowed {:?} but what_can lists no grant", r);
        }
    }
}

/// Every (user, entity, uuid, atomic action, context) whose answer moved between two states,
/// found by deciding everything for everyone.
fn moved_everywhere(
    before: &State,
    after: &State,
) -> std::collections::BTreeSet<(Id, String, Option<String>, String, u8)> {
    let cats = catalogs();
    let (eb, ea) = (Engine::build(before, &cats), Engine::build(after, &cats));
    let users: std::collections::BTreeSet<Id> = before
        .users
        .keys()
        .chain(after.users.keys())
        .copied()
        .collect();
    let mut out = std::collections::BTreeSet::new();
    for &u in &users {
        for entity in ["X", "Y"] {
            for uuid in [None, Some(uuid_name(0)), Some(uuid_name(1))] {
                for action in ["a", "b", "c"] {
                    // Contexts: plain, own, each team.
                    let mut ctxs: Vec<(u8, Option<Id>, Option<Id>)> =
                        vec![(0, None, None), (1, Some(u), None)];
                    ctxs.extend((0..NT).map(|t| (2 + t, None, Some(tid(t)))));
                    for (c, owner, team) in ctxs {
                        let r = Request {
                            at: None,
                            user: u,
                            catalog: "t".into(),
                            action: action.into(),
                            entity: entity.into(),
                            entity_uuid: uuid.clone(),
                            resource_owner: owner,
                            resource_team: team,
                            attribute: None,
                        };
                        if eb.decide(&r).allowed != ea.decide(&r).allowed {
                            out.insert((
                                u,
                                entity.to_string(),
                                uuid.clone(),
                                action.to_string(),
                                c,
                            ));
                        }
                    }
                }
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The access effect of a change names exactly the users whose answers moved (none left
    /// out, none made up), and every gain and loss it reports is one `decide` confirms.
    #[test]
    fn access_effect_is_exactly_what_moved(wb in world(), other in world(), edit in 0u8..8, at in any::<prop::sample::Index>()) {
        use gatehouse::engine::effect::{Context, Side};
        // After: another world altogether, or this one with one small edit (the what-if case).
        let mut wa = wb.clone();
        let pick = |n: usize| at.index(n.max(1));
        match edit {
            0 => wa = other,
            1 if !wa.perms.is_empty() => { let i = pick(wa.perms.len()); wa.perms[i].4 = if wa.perms[i].4.is_empty() { vec![0] } else { vec![] }; }
            2 if !wa.perms.is_empty() => { let i = pick(wa.perms.len()); wa.perms[i].3.push(2); }
            3 if !wa.perms.is_empty() => { let i = pick(wa.perms.len()); wa.perms[i].2 = vec![1]; }
            4 if !wa.role_perms.is_empty() => { wa.role_perms.remove(pick(wa.role_perms.len())); }
            5 if !wa.user_roles.is_empty() => { wa.user_roles.remove(pick(wa.user_roles.len())); }
            6 if !wa.members.is_empty() => { wa.members.remove(pick(wa.members.len())); }
            7 if !wa.perms.is_empty() => { let i = pick(wa.perms.len()); wa.perms[i].1 = Some(1); }
            _ => {}
        }
        let cats = catalogs();
        let (before, after) = (state(&wb), state(&wa));
        let (eb, ea) = (Engine::build(&before, &cats), Engine::build(&after, &cats));
        let effect = gatehouse::engine::access_effect(
            Side { state: &before, engine: &eb },
            Side { state: &after, engine: &ea },
            &cats,
        );
        let moved = moved_everywhere(&before, &after);
        let flagged = |u: &Id| {
            let f = |s: &State| s.users.get(u).map(|x| (x.owner, x.disabled));
            f(&before).unwrap_or((false, false)) != f(&after).unwrap_or((false, false))
        };
        for u in before.users.keys().chain(after.users.keys()) {
            if flagged(u) { continue; }
            let reported = effect.users.iter().any(|e| e.user == *u && (!e.gains.is_empty() || !e.losses.is_empty()));
            let real = moved.iter().any(|m| m.0 == *u);
            prop_assert_eq!(reported, real, "user {}", u);
        }
        for e in &effect.users {
            for (list, gained) in [(&e.gains, true), (&e.losses, false)] {
                for a in list {
                    let entities: Vec<&str> = if a.entity == "ALL" { vec!["X", "Y"] } else { vec![a.entity.as_str()] };
                    for entity in entities {
                        let (owner, team) = match a.context {
                            Context::Any => (None, None),
                            Context::Own => (Some(e.user), None),
                            Context::Team(t) => (None, Some(t)),
                        };
                        let r = Request { at: None, user: e.user, catalog: a.catalog.clone(), action: a.action.clone(),
                            entity: entity.into(), entity_uuid: a.entity_uuid.clone(), resource_owner: owner,
                            resource_team: team, attribute: None };
                        prop_assert_eq!(eb.decide(&r).allowed, !gained, "{:?}", r);
                        prop_assert_eq!(ea.decide(&r).allowed, gained, "{:?}", r);
                    }
                }
            }
        }
    }
}
