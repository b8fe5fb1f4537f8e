//! The escalation rule, proved by property (README "Security model"): random stores with random
//! delegated admins — each holding random `gatehouse` rights at random scopes through roles,
//! teams and direct grants — run random sequences of admin operations through the service.
//! After every step, whether it was refused or not:
//! - every user's effective rights ⊆ their rights before ∪ the acting principal's rights
//!   before, where a user's effective rights are what the engine allows them over a universe of
//!   requests (admin rights and rights on a test catalog with conditions, UUIDs, teams and
//!   owners), plus the rights of every user whose valid API key they created (a key is the
//!   power to act as its user);
//! - the store has an enabled owner.
//!
//! `PROPTEST_CASES` sets the number of cases (2,000 by default; half that for the Mage one).

use crate::support::build;
use gatehouse::backend::{PermissionSpec, RoleSpec, TeamSpec, UserSpec};
use gatehouse::catalog::{Catalog, Catalogs};
use gatehouse::engine::Request;
use gatehouse::model::{Id, Principal};
use gatehouse::policy::{Link, State};
use gatehouse::service::{Actor, Service};
use gatehouse::store::MemoryStore;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock};
use time::{Duration, OffsetDateTime};

/// When the run started: ends are half-hours from it.
static START: LazyLock<OffsetDateTime> = LazyLock::new(gatehouse::model::now);

/// The end `n` half-hours (1 to 8) after the start.
fn end_of(n: u8) -> OffsetDateTime {
    *START + Duration::minutes(30 * (1 + i64::from(n % 8)))
}

/// The instants rights are measured at: now, inside the ends, and for good.
fn instants() -> [Option<OffsetDateTime>; 3] {
    [
        None,
        Some(*START + Duration::minutes(100)),
        Some(time::macros::datetime!(9000-01-01 0:00 UTC)),
    ]
}

const ADMIN_ENTITIES: [&str; 10] = [
    "Role",
    "Permission",
    "User",
    "Team",
    "RolePermission",
    "UserRole",
    "TeamMember",
    "ApiKey",
    "Audit",
    "ALL",
];
const ADMIN_FLAGS: [&str; 3] = ["read", "write", "escalate"];
const T_ENTITIES: [&str; 3] = ["X", "Y", "ALL"];
const T_FLAGS: [&str; 4] = ["a", "b", "c", "ab"];
const UUIDS: [&str; 2] = ["u1", "u2"];
const CONDS: [&str; 2] = ["own", "team"];
/// Delegated admins (users 1..=N; user 0 is the owner `root`).
const NU: usize = 4;

fn catalogs() -> Arc<Catalogs> {
    let builtin = Catalogs::builtin().expect("catalogs");
    let mut list: Vec<Catalog> = builtin.all().to_vec();
    list.push(build::test_catalog());
    Arc::new(Catalogs::from_list(list))
}

/// A generated permission (indexes into the tables above; bit sets for flags and conditions).
#[derive(Debug, Clone)]
struct GenPerm {
    admin: bool,
    entity: u8,
    uuid: Option<u8>,
    grants: u8,
    denies: u8,
    conds: u8,
}

fn bits(mask: u8, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, n)| n.to_string())
        .collect()
}

impl GenPerm {
    fn spec(&self) -> PermissionSpec {
        let (catalog, entities, flags): (&str, &[&str], &[&str]) = if self.admin {
            ("gatehouse", &ADMIN_ENTITIES, &ADMIN_FLAGS)
        } else {
            ("t", &T_ENTITIES, &T_FLAGS)
        };
        let mut entity = entities[self.entity as usize % entities.len()].to_string();
        // Audit takes `read` only; keep every generated permission valid.
        if entity == "Audit" {
            entity = "ALL".into();
        }
        PermissionSpec {
            catalog: catalog.into(),
            entity,
            entity_uuid: self
                .uuid
                .map(|u| UUIDS[u as usize % UUIDS.len()].to_string()),
            grants: bits(self.grants, flags),
            denies: bits(self.denies, flags),
            conditions: if self.admin {
                vec![]
            } else {
                bits(self.conds, &CONDS)
            },
            ..Default::default()
        }
    }
}

fn gen_perm() -> impl Strategy<Value = GenPerm> {
    (
        any::<bool>(),
        0u8..10,
        prop::option::weighted(0.25, 0u8..2),
        // Mostly read/write; `escalate` (bit 2) now and then.
        prop_oneof![12 => 1u8..4, 1 => 4u8..8],
        prop_oneof![3 => Just(0u8), 1 => 1u8..16],
        prop_oneof![2 => Just(0u8), 1 => 1u8..4],
    )
        .prop_map(|(admin, entity, uuid, grants, denies, conds)| GenPerm {
            admin,
            entity,
            uuid,
            grants,
            denies: if admin { denies & 7 } else { denies },
            conds,
        })
}

/// A generated link (indexes taken modulo what exists when it runs).
#[derive(Debug, Clone)]
enum GenLink {
    RolePerm(u8, u8),
    UserRole(u8, u8),
    TeamRole(u8, u8),
    Member(u8, u8, Option<u8>),
    Grant(bool, u8, u8),
}

fn gen_link() -> impl Strategy<Value = GenLink> {
    prop_oneof![
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| GenLink::RolePerm(a, b)),
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| GenLink::UserRole(a, b)),
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| GenLink::TeamRole(a, b)),
        (any::<u8>(), any::<u8>(), prop::option::of(any::<u8>()))
            .prop_map(|(a, b, c)| GenLink::Member(a, b, c)),
        (any::<bool>(), any::<u8>(), any::<u8>()).prop_map(|(a, b, c)| GenLink::Grant(a, b, c)),
    ]
}

/// One admin operation, by one user.
#[derive(Debug, Clone)]
enum Op {
    CreatePerm(GenPerm),
    UpdatePerm(u8, GenPerm),
    DeletePerm(u8, bool),
    Link(GenLink),
    Unlink(GenLink),
    /// Adds a relation ending `n` half-hours from the start ([`end_of`]).
    LinkUntil(GenLink, u8),
    /// Moves a relation's end (`None`: clears it).
    SetExpiry(GenLink, Option<u8>),
    CreateRole,
    UpdateRole(u8),
    DeleteRole(u8, bool),
    CreateTeam(Option<u8>),
    UpdateTeam(u8, Option<u8>),
    DeleteTeam(u8, bool),
    CreateUser(bool),
    UpdateUser(u8, bool, bool),
    DeleteUser(u8, bool),
    CreateKey(u8),
    RevokeKey(u8),
}

fn gen_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => gen_perm().prop_map(Op::CreatePerm),
        2 => (any::<u8>(), gen_perm()).prop_map(|(i, p)| Op::UpdatePerm(i, p)),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(i, f)| Op::DeletePerm(i, f)),
        6 => gen_link().prop_map(Op::Link),
        3 => gen_link().prop_map(Op::Unlink),
        3 => (gen_link(), any::<u8>()).prop_map(|(l, n)| Op::LinkUntil(l, n)),
        3 => (gen_link(), prop::option::of(any::<u8>())).prop_map(|(l, n)| Op::SetExpiry(l, n)),
        1 => Just(Op::CreateRole),
        1 => any::<u8>().prop_map(Op::UpdateRole),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(i, f)| Op::DeleteRole(i, f)),
        1 => prop::option::of(any::<u8>()).prop_map(Op::CreateTeam),
        1 => (any::<u8>(), prop::option::of(any::<u8>())).prop_map(|(i, r)| Op::UpdateTeam(i, r)),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(i, f)| Op::DeleteTeam(i, f)),
        1 => any::<bool>().prop_map(Op::CreateUser),
        2 => (any::<u8>(), any::<bool>(), any::<bool>()).prop_map(|(i, o, d)| Op::UpdateUser(i, o, d)),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(i, f)| Op::DeleteUser(i, f)),
        2 => any::<u8>().prop_map(Op::CreateKey),
        1 => any::<u8>().prop_map(Op::RevokeKey),
    ]
}

/// The starting store: permissions, roles and links made by the owner.
#[derive(Debug, Clone)]
struct World {
    perms: Vec<GenPerm>,
    links: Vec<GenLink>,
}

fn gen_world() -> impl Strategy<Value = World> {
    (
        prop::collection::vec(gen_perm(), 2..8),
        prop::collection::vec(gen_link(), 4..16),
    )
        .prop_map(|(perms, links)| World { perms, links })
}

fn nth<T: Copy>(items: &[T], i: u8) -> Option<T> {
    (!items.is_empty()).then(|| items[i as usize % items.len()])
}

/// Ids as they are now, in creation order (ids are time-ordered).
struct Ids {
    users: Vec<Id>,
    roles: Vec<Id>,
    teams: Vec<Id>,
    perms: Vec<Id>,
    keys: Vec<Id>,
}

impl Ids {
    fn of(s: &State) -> Ids {
        Ids {
            users: s.users.keys().copied().collect(),
            roles: s.roles.keys().copied().collect(),
            teams: s.teams.keys().copied().collect(),
            perms: s.permissions.keys().copied().collect(),
            keys: s.keys.keys().copied().collect(),
        }
    }

    fn link(&self, g: &GenLink) -> Option<Link> {
        Some(match *g {
            GenLink::RolePerm(r, p) => Link::RolePermission {
                role: nth(&self.roles, r)?,
                permission: nth(&self.perms, p)?,
            },
            GenLink::UserRole(u, r) => Link::UserRole {
                user: nth(&self.users, u)?,
                role: nth(&self.roles, r)?,
            },
            GenLink::TeamRole(t, r) => Link::TeamRole {
                team: nth(&self.teams, t)?,
                role: nth(&self.roles, r)?,
            },
            GenLink::Member(t, u, r) => Link::Member {
                team: nth(&self.teams, t)?,
                user: nth(&self.users, u)?,
                role: match r {
                    Some(r) => Some(nth(&self.roles, r)?),
                    None => None,
                },
            },
            GenLink::Grant(team, who, p) => Link::Grant {
                principal: if team {
                    Principal::Team(nth(&self.teams, who)?)
                } else {
                    Principal::User(nth(&self.users, who)?)
                },
                permission: nth(&self.perms, p)?,
            },
        })
    }
}

/// The requests rights are measured on (the subject left out).
fn universe(s: &State) -> Vec<Request> {
    let mut out = Vec::new();
    let blank = |catalog: &str, action: &str, entity: &str| {
        build::request(Id::nil(), catalog, action, entity)
    };
    for e in ADMIN_ENTITIES {
        for f in ADMIN_FLAGS {
            for u in [None, Some("u1")] {
                out.push(Request {
                    entity_uuid: u.map(Into::into),
                    ..blank("gatehouse", f, e)
                });
            }
        }
    }
    let owners: Vec<Option<Id>> = std::iter::once(None)
        .chain(s.users.keys().take(3).copied().map(Some))
        .collect();
    let teams: Vec<Option<Id>> = std::iter::once(None)
        .chain(s.teams.keys().take(2).copied().map(Some))
        .collect();
    for e in T_ENTITIES {
        for f in T_FLAGS {
            for u in [None, Some("u1"), Some("zz")] {
                for &o in &owners {
                    for &t in &teams {
                        out.push(Request {
                            entity_uuid: u.map(Into::into),
                            resource_owner: o,
                            resource_team: t,
                            ..blank("t", f, e)
                        });
                    }
                }
            }
        }
    }
    out
}

/// What a user may do: everything (an enabled owner), or the requests allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Rights {
    owner: bool,
    allowed: BTreeSet<usize>,
}

impl Rights {
    fn union(&mut self, other: &Rights) {
        self.owner |= other.owner;
        self.allowed.extend(other.allowed.iter().copied());
    }
}

/// Every user's effective rights: their own, plus those of every user whose valid key they
/// created.
fn effective(
    svc: &Service,
    universe: &[Request],
    known: &BTreeMap<Id, Id>,
    at: Option<OffsetDateTime>,
) -> BTreeMap<Id, Rights> {
    let snap = svc.snapshot();
    let s = &snap.state;
    let engine = snap.engine_at(at);
    let mut own: BTreeMap<Id, Rights> = BTreeMap::new();
    for u in s.users.values() {
        let mut r = Rights::default();
        if !u.disabled {
            if u.owner {
                r.owner = true;
            } else {
                for (i, q) in universe.iter().enumerate() {
                    let q = Request {
                        user: u.id,
                        ..q.clone()
                    };
                    if engine.decide(&q).allowed {
                        r.allowed.insert(i);
                    }
                }
            }
        }
        own.insert(u.id, r);
    }
    let mut eff = own.clone();
    for (key, creator) in known {
        let Some(k) = s.keys.get(key) else { continue };
        if k.revoked_at.is_some() {
            continue;
        }
        let (Some(target), Some(e)) = (own.get(&k.user_id), eff.get_mut(creator)) else {
            continue;
        };
        e.union(target);
    }
    eff
}

fn describe(universe: &[Request], i: usize) -> String {
    let q = &universe[i];
    format!(
        "{} {}:{} uuid={:?} owner={:?} team={:?}",
        q.action, q.catalog, q.entity, q.entity_uuid, q.resource_owner, q.resource_team
    )
}

async fn setup(world: &World) -> (Service, Actor) {
    let svc = Service::open(Arc::new(MemoryStore::new()), catalogs())
        .await
        .expect("open");
    svc.init("root").await.expect("init");
    let root = svc
        .snapshot()
        .state
        .user_by_name("root")
        .cloned()
        .expect("root");
    let root = Actor::user(&root, false);
    for i in 0..NU {
        build::create_user(&svc, &root, &format!("admin{i}")).await;
    }
    for i in 0..3 {
        build::create_role(&svc, &root, &format!("role{i}")).await;
    }
    for i in 0..2 {
        svc.create_team(
            &root,
            TeamSpec {
                key: format!("team{i}"),
                ..Default::default()
            },
        )
        .await
        .expect("team");
    }
    for p in &world.perms {
        svc.create_permission(&root, p.spec()).await.expect("perm");
    }
    let ids = Ids::of(&svc.snapshot().state);
    for (i, l) in world.links.iter().enumerate() {
        if let Some(link) = ids.link(l) {
            // Some of the access the admins start with ends (a role-permission link cannot
            // end: refused, then given for good). Duplicates are refused; that is fine.
            let end = (i % 3 == 0).then(|| end_of(i as u8));
            if svc.link_until(&root, link, end).await.is_err() {
                let _ = svc.link(&root, link).await;
            }
        }
    }
    (svc, root)
}

/// Runs one operation as `actor`; returns the id of a key it created.
async fn run(svc: &Service, actor: &Actor, op: &Op) -> Option<Id> {
    let ids = Ids::of(&svc.snapshot().state);
    let s = svc.snapshot();
    let state = &s.state;
    match op {
        Op::CreatePerm(p) => {
            let _ = svc.create_permission(actor, p.spec()).await;
        }
        Op::UpdatePerm(i, p) => {
            let id = nth(&ids.perms, *i)?;
            let v = state.permissions.view(&id)?.version();
            let _ = svc.update_permission(actor, id, p.spec(), v).await;
        }
        Op::DeletePerm(i, force) => {
            let _ = svc
                .delete_permission(actor, nth(&ids.perms, *i)?, *force)
                .await;
        }
        Op::Link(l) => {
            let _ = svc.link(actor, ids.link(l)?).await;
        }
        Op::Unlink(l) => {
            let _ = svc.unlink(actor, ids.link(l)?).await;
        }
        Op::LinkUntil(l, n) => {
            let _ = svc.link_until(actor, ids.link(l)?, Some(end_of(*n))).await;
        }
        Op::SetExpiry(l, n) => {
            let _ = svc.set_expiry(actor, ids.link(l)?, n.map(end_of)).await;
        }
        Op::CreateRole => {
            let n = state.roles.len();
            let spec = RoleSpec {
                name: format!("new{n}"),
                description: String::new(),
            };
            let _ = svc.create_role(actor, spec).await;
        }
        Op::UpdateRole(i) => {
            let r = state.roles.get(&nth(&ids.roles, *i)?)?;
            let spec = RoleSpec {
                name: format!("{}x", r.name),
                description: String::new(),
            };
            let _ = svc.update_role(actor, r.id, spec, r.version).await;
        }
        Op::DeleteRole(i, force) => {
            let _ = svc.delete_role(actor, nth(&ids.roles, *i)?, *force).await;
        }
        Op::CreateTeam(r) => {
            let spec = TeamSpec {
                key: format!("new{}", state.teams.len()),
                default_role: r.and_then(|r| nth(&ids.roles, r)),
                ..Default::default()
            };
            let _ = svc.create_team(actor, spec).await;
        }
        Op::UpdateTeam(i, r) => {
            let t = state.teams.get(&nth(&ids.teams, *i)?)?;
            let mut spec = TeamSpec::of(t);
            spec.default_role = r.and_then(|r| nth(&ids.roles, r));
            let _ = svc.update_team(actor, t.id, spec, t.version).await;
        }
        Op::DeleteTeam(i, force) => {
            let _ = svc.delete_team(actor, nth(&ids.teams, *i)?, *force).await;
        }
        Op::CreateUser(owner) => {
            let spec = UserSpec {
                username: format!("new{}", state.users.len()),
                owner: *owner,
                ..Default::default()
            };
            let _ = svc.create_user(actor, spec).await;
        }
        Op::UpdateUser(i, owner, disabled) => {
            let u = state.users.get(&nth(&ids.users, *i)?)?;
            let mut spec = UserSpec::of(u);
            spec.owner = *owner;
            spec.disabled = *disabled;
            let _ = svc.update_user(actor, u.id, spec, u.version).await;
        }
        Op::DeleteUser(i, force) => {
            let _ = svc.delete_user(actor, nth(&ids.users, *i)?, *force).await;
        }
        Op::CreateKey(i) => {
            let user = nth(&ids.users, *i)?;
            return svc
                .create_key(actor, user, false, None)
                .await
                .ok()
                .map(|k| k.record.id);
        }
        Op::RevokeKey(i) => {
            let _ = svc.revoke_key(actor, nth(&ids.keys, *i)?).await;
        }
    }
    None
}

/// The admin entity whose `escalate` lifts the rule for an operation (`None`: nothing does).
fn guarded_by(op: &Op) -> Option<&'static str> {
    Some(match op {
        Op::CreatePerm(_) | Op::UpdatePerm(..) | Op::DeletePerm(..) => "Permission",
        Op::Link(l) | Op::Unlink(l) | Op::LinkUntil(l, _) | Op::SetExpiry(l, _) => match l {
            GenLink::RolePerm(..) => "RolePermission",
            GenLink::UserRole(..) => "UserRole",
            GenLink::TeamRole(..) | GenLink::Member(..) => "TeamMember",
            GenLink::Grant(..) => "Permission",
        },
        Op::UpdateRole(_) | Op::DeleteRole(..) => "Role",
        Op::CreateTeam(_) | Op::UpdateTeam(..) | Op::DeleteTeam(..) => "Team",
        Op::CreateRole
        | Op::CreateUser(_)
        | Op::UpdateUser(..)
        | Op::DeleteUser(..)
        | Op::CreateKey(_)
        | Op::RevokeKey(_) => return None,
    })
}

trait AdminRequest {
    fn admin(action: &str, entity: &str) -> Request;
}

impl AdminRequest for Request {
    /// A request on the admin catalog (subject left nil).
    fn admin(action: &str, entity: &str) -> Request {
        build::request(Id::nil(), "gatehouse", action, entity)
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn no_admin_write_lets_anyone_rise_above_their_rights_and_an_owner_remains(
        world in gen_world(),
        steps in prop::collection::vec((0u8..8, gen_op()), 1..10),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let (svc, _root) = setup(&world).await;
            let universe = universe(&svc.snapshot().state);
            // Key id → the user who created it (and so knows its secret).
            let mut known: BTreeMap<Id, Id> = BTreeMap::new();
            let mut before: Vec<_> = instants().iter().map(|&at| effective(&svc, &universe, &known, at)).collect();
            for (who, op) in &steps {
                let state_before = svc.snapshot();
                let state = state_before.state.clone();
                // Mostly the delegated admins (users 1..); the owner now and then.
                let users: Vec<Id> = state.users.keys().copied().collect();
                let actor_id = users[(*who as usize) % users.len()];
                let Some(actor_user) = state.users.get(&actor_id) else { continue };
                if actor_user.disabled {
                    continue;
                }
                let actor = Actor::user(actor_user, false);
                if let Some(key) = run(&svc, &actor, op).await {
                    known.insert(key, actor_id);
                }
                let after: Vec<_> = instants().iter().map(|&at| effective(&svc, &universe, &known, at)).collect();
                let none = Rights::default();
                // `escalate` on the entity guarding the operation lifts the rule, by design.
                let lifted = guarded_by(op).is_some_and(|e| {
                    state_before.engine().decide(&Request {
                        user: actor_id,
                        ..Request::admin("escalate", e)
                    }).allowed
                });
                for (k, at) in instants().iter().enumerate() {
                    let (before_k, after_k) = (&before[k], &after[k]);
                    // What the actor held at that instant, before the write.
                    let mine = before_k.get(&actor_id).unwrap_or(&none).clone();
                    for (user, now) in after_k {
                        let mut allowed = before_k.get(user).cloned().unwrap_or_default();
                        allowed.union(&mine);
                        if allowed.owner {
                            continue;
                        }
                        let name = svc
                            .snapshot()
                            .state
                            .users
                            .get(user)
                            .map(|u| u.username.clone())
                            .unwrap_or_default();
                        prop_assert!(
                            !now.owner,
                            "{op:?} by {} made {name} an owner (at {:?})", actor.name, at
                        );
                        let had = before_k.get(user).cloned().unwrap_or_default();
                        let escalates: Vec<String> = now
                            .allowed
                            .difference(&had.allowed)
                            .filter(|&&i| universe[i].action == "escalate")
                            .map(|&i| describe(&universe, i))
                            .collect();
                        prop_assert!(
                            escalates.is_empty(),
                            "{op:?} by {} (not an owner) gave {name} {escalates:?} (at {:?})",
                            actor.name, at
                        );
                        if lifted {
                            continue;
                        }
                        let gained: Vec<String> = now
                            .allowed
                            .difference(&allowed.allowed)
                            .take(3)
                            .map(|&i| describe(&universe, i))
                            .collect();
                        prop_assert!(
                            gained.is_empty(),
                            "{op:?} by {} gave {name} rights neither held: {gained:?} (at {:?})",
                            actor.name, at
                        );
                    }
                }
                prop_assert!(
                    svc.snapshot()
                        .state
                        .users
                        .values()
                        .any(|u| u.owner && !u.disabled),
                    "{op:?} by {} left no enabled owner", actor.name
                );
                before = after;
            }
            Ok(())
        })?;
    }
}

/// Mage: the dialect's own rules (groups, OWNER bits, ALL against DISABLE_OPERATION_ALL,
/// record-scoped permissions applied to list and create, attribute checks, conditions under
/// DISABLE_UNLESS_CONDITIONS) decide what a permission conveys; the rule must follow them.
mod mage {
    use super::*;

    const FLAGS: [&str; 18] = [
        "OWNER",
        "ADMIN",
        "EDITOR",
        "VIEWER",
        "LIST",
        "DETAIL",
        "CREATE",
        "UPDATE",
        "DELETE",
        "OPERATION_ALL",
        "QUERY",
        "QUERY_ALL",
        "READ",
        "READ_ALL",
        "WRITE",
        "WRITE_ALL",
        "ALL",
        "DISABLE_UNLESS_CONDITIONS",
    ];
    /// The flags with a DISABLE_ bit.
    const DENIABLE: [&str; 11] = [
        "LIST",
        "DETAIL",
        "CREATE",
        "UPDATE",
        "DELETE",
        "OPERATION_ALL",
        "QUERY",
        "QUERY_ALL",
        "READ",
        "READ_ALL",
        "WRITE",
    ];
    const ENTITIES: [&str; 5] = ["Pipeline", "Block", "ALL", "ALL_EXCEPT_RESERVED", "Oauth"];
    const ATTRS: [&str; 3] = ["name", "uuid", "secret"];

    /// A generated Mage permission.
    #[derive(Debug, Clone)]
    pub(super) struct MagePerm {
        entity: u8,
        uuid: bool,
        grants: u32,
        denies: u16,
        attrs: [u8; 3],
        own: bool,
    }

    impl MagePerm {
        pub(super) fn spec(&self) -> PermissionSpec {
            let pick = |mask: u8| -> Vec<String> {
                ATTRS
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, a)| a.to_string())
                    .collect()
            };
            PermissionSpec {
                catalog: "mage".into(),
                entity: ENTITIES[self.entity as usize % ENTITIES.len()].into(),
                entity_uuid: self.uuid.then(|| "u1".to_string()),
                grants: FLAGS
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| self.grants & (1 << i) != 0)
                    .map(|(_, f)| f.to_string())
                    .collect(),
                denies: DENIABLE
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| self.denies & (1 << i) != 0)
                    .map(|(_, f)| f.to_string())
                    .collect(),
                conditions: if self.own {
                    vec!["USER_OWNS_ENTITY".into()]
                } else {
                    vec![]
                },
                query_attributes: pick(self.attrs[0]),
                read_attributes: pick(self.attrs[1]),
                write_attributes: pick(self.attrs[2]),
                ..Default::default()
            }
        }
    }

    pub(super) fn gen_mage_perm() -> impl Strategy<Value = MagePerm> {
        (
            0u8..5,
            prop::bool::weighted(0.3),
            // A single flag often (groups expand only alone), else a few; OWNER rarely.
            prop_oneof![
                3 => (1u32..18).prop_map(|b| 1u32 << b),
                3 => any::<u32>().prop_map(|m| m & 0x3fffe & (m >> 7)),
                1 => Just(1u32),
            ],
            prop_oneof![3 => Just(0u16), 1 => any::<u16>().prop_map(|m| m & 0x7ff & (m >> 5))],
            [0u8..8, 0u8..8, 0u8..8],
            prop::bool::weighted(0.2),
        )
            .prop_map(|(entity, uuid, grants, denies, attrs, own)| MagePerm {
                entity,
                uuid,
                grants: grants.max(1 << 4),
                denies,
                attrs,
                own,
            })
    }

    pub(super) fn universe(users: &[Id]) -> Vec<Request> {
        let mut out = Vec::new();
        let attrs: [Option<gatehouse::engine::AttrCheck>; 6] = [
            None,
            Some(attr("read:name")),
            Some(attr("read:zz")),
            Some(attr("write:secret")),
            Some(attr("query:uuid")),
            // Mage skips the attribute list for an empty name.
            Some(gatehouse::engine::AttrCheck {
                kind: gatehouse::engine::AttrKind::Write,
                name: String::new(),
            }),
        ];
        for e in ["Pipeline", "Block", "Oauth"] {
            for f in FLAGS {
                for u in [None, Some("u1"), Some("zz")] {
                    for a in &attrs {
                        for o in std::iter::once(None).chain(users.iter().copied().map(Some)) {
                            out.push(Request {
                                at: None,
                                user: Id::nil(),
                                catalog: "mage".into(),
                                action: f.into(),
                                entity: e.into(),
                                entity_uuid: u.map(Into::into),
                                resource_owner: o,
                                resource_team: None,
                                attribute: a.clone(),
                            });
                        }
                    }
                }
            }
        }
        out
    }

    fn attr(text: &str) -> gatehouse::engine::AttrCheck {
        gatehouse::engine::AttrCheck::parse(text).expect("attribute")
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases() / 2))]

    /// A delegated admin holding random Mage permissions links a new permission to another
    /// user's role (or unlinks one from it): that user gains nothing the admin does not hold.
    #[test]
    fn mage_permissions_convey_nothing_their_linker_does_not_hold(
        mine in prop::collection::vec(mage::gen_mage_perm(), 1..4),
        theirs in prop::collection::vec(mage::gen_mage_perm(), 0..3),
        new in mage::gen_mage_perm(),
        unlink in any::<bool>(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let svc = Service::open(Arc::new(MemoryStore::new()), catalogs())
                .await
                .expect("open");
            svc.init("root").await.expect("init");
            let root = svc.snapshot().state.user_by_name("root").cloned().expect("root");
            let root = Actor::user(&root, false);
            let mut ids = Vec::new();
            for (name, perms) in [("admin", &mine), ("victim", &theirs)] {
                let user = build::create_user(&svc, &root, name).await;
                let role = svc
                    .create_role(&root, RoleSpec { name: name.into(), description: String::new() })
                    .await
                    .expect("role");
                svc.link(&root, Link::UserRole { user: user.id, role: role.id })
                    .await
                    .expect("assign");
                for p in perms {
                    // Mage's own validation may refuse a combination; skip those.
                    if let Ok(p) = svc.create_permission(&root, p.spec()).await {
                        let _ = svc
                            .link(&root, Link::RolePermission { role: role.id, permission: p.id })
                            .await;
                    }
                }
                ids.push((user, role));
            }
            // The admin may write role permissions.
            let admin_write = svc
                .create_permission(&root, PermissionSpec {
                    catalog: "gatehouse".into(),
                    entity: "RolePermission".into(),
                    grants: vec!["write".into()],
                    ..Default::default()
                })
                .await
                .expect("admin perm");
            svc.link(&root, Link::RolePermission { role: ids[0].1.id, permission: admin_write.id })
                .await
                .expect("link");
            let (admin, victim, victim_role) = (&ids[0].0, &ids[1].0, ids[1].1.id);
            let universe = mage::universe(&[admin.id, victim.id]);
            let rights = |svc: &Service, user: Id| -> BTreeSet<usize> {
                let snap = svc.snapshot();
                universe
                    .iter()
                    .enumerate()
                    .filter(|(_, q)| snap.engine().decide(&Request { user, ..(*q).clone() }).allowed)
                    .map(|(i, _)| i)
                    .collect()
            };
            let admin_before = rights(&svc, admin.id);
            let victim_before = rights(&svc, victim.id);
            let actor = Actor::user(admin, false);
            let link = if unlink {
                let theirs: Vec<Id> = svc
                    .snapshot()
                    .state
                    .role_permissions
                    .iter()
                    .filter(|(r, _)| *r == victim_role)
                    .map(|&(_, p)| p)
                    .collect();
                let Some(&p) = theirs.first() else { return Ok(()) };
                let _ = svc
                    .unlink(&actor, Link::RolePermission { role: victim_role, permission: p })
                    .await;
                p
            } else {
                let Ok(p) = svc.create_permission(&root, new.spec()).await else { return Ok(()) };
                let _ = svc
                    .link(&actor, Link::RolePermission { role: victim_role, permission: p.id })
                    .await;
                p.id
            };
            let gained: Vec<String> = rights(&svc, victim.id)
                .difference(&victim_before)
                .filter(|i| !admin_before.contains(i))
                .take(3)
                .map(|&i| describe(&universe, i) + &format!(" {:?}", universe[i].attribute))
                .collect();
            prop_assert!(
                gained.is_empty(),
                "{} permission {link} gave the victim {gained:?}",
                if unlink { "unlinking" } else { "linking" }
            );
            Ok(())
        })?;
    }
}
