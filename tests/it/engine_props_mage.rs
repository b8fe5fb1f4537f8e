//! Property test for the Mage dialect: `decide` agrees with a transcription of Mage 0.9.80's
//! `validate_condition_with_permissions` (docs/MAGE.md §4) on random access integers with
//! attribute checks, and `explain` agrees with `decide`.

use crate::support::build;
use gatehouse::catalog::{Catalogs, access_to_flags};
use gatehouse::engine::{AttrCheck, AttrKind, Engine, Request};
use gatehouse::model::{Id, Permission, now};
use gatehouse::policy::State;
use proptest::prelude::*;
use uuid::Uuid;

fn uid(i: u8) -> Id {
    Uuid::from_u128(1000 + i as u128)
}
fn rid(i: u8) -> Id {
    Uuid::from_u128(3000 + i as u128)
}
fn pid(i: u8) -> Id {
    Uuid::from_u128(4000 + i as u128)
}

/// Access bits a generated Mage permission mixes (OWNER is generated apart, rarely).
const MAGE_BITS: [u64; 29] = [
    2, 4, 8, 16, 32, 64, 128, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144,
    524288, 1048576, 2097152, 4194304, 8388608, 16777216, 33554432, 67108864, 134217728, 268435456,
    536870912, 1073741824,
];
const MAGE_ENTITIES: [&str; 4] = ["Role", "Secret", "ALL", "ALL_EXCEPT_RESERVED"];
const MAGE_REQ_ENTITIES: [&str; 3] = ["Role", "Secret", "Workspace"];
const MAGE_OPS: [(&str, u64); 5] = [
    ("LIST", 16),
    ("DETAIL", 32),
    ("CREATE", 64),
    ("UPDATE", 128),
    ("DELETE", 512),
];
const ATTR_NAMES: [&str; 3] = ["id", "name", "__*MAGE*__"];

/// entity, entity_id, access, [query, read, write] attribute lists.
type MagePerm = (u8, Option<u8>, u64, [Vec<u8>; 3]);

fn mage_access() -> impl Strategy<Value = u64> {
    prop_oneof![
        1 => prop::sample::select(vec![1u64, 2, 4, 8]),
        6 => prop::collection::vec(prop::sample::select(MAGE_BITS.to_vec()), 0..5)
            .prop_map(|v| v.into_iter().fold(0, |a, b| a | b)),
    ]
}

fn mage_perm() -> impl Strategy<Value = MagePerm> {
    let list = || prop::collection::vec(0u8..3, 0..3);
    (
        0u8..4,
        prop::option::weighted(0.3, 0u8..2),
        mage_access(),
        [list(), list(), list()],
    )
}

/// (op, entity, uuid, attribute: (kind, name))
type MageReq = (u8, u8, Option<u8>, Option<(u8, u8)>);

fn mage_req() -> impl Strategy<Value = MageReq> {
    (
        0u8..5,
        0u8..3,
        prop::option::of(0u8..2),
        prop::option::weighted(0.8, (0u8..3, 0u8..3)),
    )
}

const KINDS: [AttrKind; 3] = [AttrKind::Query, AttrKind::Read, AttrKind::Write];

fn mage_state(perms: &[MagePerm], cats: &Catalogs) -> (State, Id) {
    let t = now();
    let mage = cats.get("mage").expect("mage");
    let mut s = State::default();
    let user = uid(0);
    s.users.insert(user, build::user(user, "m", t));
    // Two roles, so permissions combine across roles as well as inside one.
    for r in 0..2u8 {
        s.roles
            .insert(rid(r), build::role(rid(r), &format!("r{r}"), t));
        s.user_roles.insert((user, rid(r)));
    }
    let names = |v: &Vec<u8>| {
        v.iter()
            .map(|&i| ATTR_NAMES[i as usize].to_string())
            .collect()
    };
    for (i, (e, u, access, lists)) in perms.iter().enumerate() {
        let i = i as u8;
        let (grants, denies) = access_to_flags(mage, *access).expect("known bits");
        let mut p = Permission {
            entity_uuid: u.map(|u| u.to_string()),
            grants,
            denies,
            query_attributes: names(&lists[0]),
            read_attributes: names(&lists[1]),
            write_attributes: names(&lists[2]),
            ..build::permission(pid(i), "mage", MAGE_ENTITIES[*e as usize], t)
        };
        p.normalize();
        s.permissions.insert(&p);
        s.role_permissions.insert((rid(i % 2), pid(i)));
    }
    s.reindex();
    (s, user)
}

/// Mage's per-permission `__permission_grants_access` → (granted, disabled), transcribed.
fn mage_grants(
    p: &MagePerm,
    op: u64,
    entity: &str,
    resource: Option<&str>,
    attr: Option<(usize, &str)>,
) -> (bool, bool) {
    let (e, eid, access, lists) = p;
    let pe = MAGE_ENTITIES[*e as usize];
    let entity_ok =
        pe == entity || pe == "ALL" || (pe == "ALL_EXCEPT_RESERVED" && entity != "Workspace");
    if !entity_ok {
        return (false, false);
    }
    if let (Some(id), Some(res)) = (eid, resource)
        && id.to_string() != res
    {
        return (false, false);
    }
    let disable_op = match op {
        16 => 262144,
        32 => 524288,
        64 => 1048576,
        128 => 2097152,
        _ => 4194304,
    };
    if access & disable_op != 0 {
        return (false, true);
    }
    let pa = match access {
        1 => 43775,
        2 => 43774,
        4 => 43772,
        8 => 8248,
        a => *a,
    };
    if pa & 131072 != 0 {
        return (true, false);
    }
    if pa & 8388608 != 0 {
        return (false, true);
    }
    let mut valid = pa & 1024 != 0 || pa & op != 0;
    if let Some((k, name)) = attr {
        let (bit, all, dis, dis_all) = [
            (2048, 4096, 16777216, 33554432),
            (8192, 16384, 67108864, 134217728),
            (32768, 65536, 268435456, 536870912),
        ][k];
        if pa & dis_all != 0 {
            return (false, true);
        }
        let has_all = pa & all != 0;
        valid = valid && (pa & bit != 0 || has_all);
        let listed = lists[k].iter().any(|&i| ATTR_NAMES[i as usize] == name);
        if access & dis != 0 && listed {
            return (false, true);
        }
        if !has_all && valid {
            valid = listed;
        }
    }
    (valid, false)
}

fn mage_naive(perms: &[MagePerm], q: &MageReq) -> bool {
    let (op, e, uuid, attr) = q;
    if perms.iter().any(|p| p.2 & 1 != 0) {
        return true;
    }
    let (opname, op) = MAGE_OPS[*op as usize];
    let uuid = uuid.map(|u| u.to_string());
    // An operation check on LIST/CREATE has no record; an attribute check has the request's.
    let resource = if attr.is_none() && (opname == "LIST" || opname == "CREATE") {
        None
    } else {
        uuid.as_deref()
    };
    let attr = attr.map(|(k, n)| (k as usize, ATTR_NAMES[n as usize]));
    let mut authorized = false;
    for p in perms {
        let (g, d) = mage_grants(p, op, MAGE_REQ_ENTITIES[*e as usize], resource, attr);
        if d {
            return false;
        }
        authorized |= g;
    }
    authorized
}

fn mage_request(user: Id, q: &MageReq) -> Request {
    let (op, e, uuid, attr) = q;
    Request {
        at: None,
        user,
        catalog: "mage".into(),
        action: MAGE_OPS[*op as usize].0.into(),
        entity: MAGE_REQ_ENTITIES[*e as usize].into(),
        entity_uuid: uuid.map(|u| u.to_string()),
        resource_owner: None,
        resource_team: None,
        attribute: attr.map(|(k, n)| AttrCheck {
            kind: KINDS[k as usize],
            name: ATTR_NAMES[n as usize].into(),
        }),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn mage_attribute_checks_agree_with_mage_and_explain(
        perms in prop::collection::vec(mage_perm(), 0..6),
        qs in prop::collection::vec(mage_req(), 30),
    ) {
        let cats = Catalogs::builtin().expect("catalogs");
        let (s, user) = mage_state(&perms, &cats);
        let engine = Engine::build(&s, &cats);
        for q in &qs {
            let r = mage_request(user, q);
            let d = engine.decide(&r);
            prop_assert_eq!(d.allowed, mage_naive(&perms, q), "request {:?} rule {:?}", r, d.rule);
            let ex = engine.explain(&r);
            prop_assert_eq!(ex.allowed, d.allowed);
            prop_assert_eq!(ex.rule, d.rule, "explain and decide name the same rule");
        }
    }
}
