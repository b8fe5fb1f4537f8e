//! Mage attribute checks (`docs/MAGE.md` §4 step 8, §8) and whole-call decisions.

use super::tests::{W, req};
use super::tests_mage::mage_user;
use super::*;

// Mage access bits (docs/MAGE.md §1.2).
const OWNER: u64 = 1;
const VIEWER: u64 = 8;
const LIST: u64 = 16;
const DETAIL: u64 = 32;
const CREATE: u64 = 64;
const QUERY: u64 = 2048;
const QUERY_ALL: u64 = 4096;
const READ: u64 = 8192;
const READ_ALL: u64 = 16384;
const WRITE_ALL: u64 = 65536;
const ALL: u64 = 131072;
const DISABLE_OPERATION_ALL: u64 = 8388608;
const DISABLE_READ: u64 = 67108864;
const DISABLE_READ_ALL: u64 = 134217728;
const DISABLE_UNLESS_CONDITIONS: u64 = 1073741824;

/// A Mage permission with option lists.
fn mage_opts(
    w: &mut W,
    entity: &str,
    uuid: Option<&str>,
    access: u64,
    query: &[&str],
    read: &[&str],
) -> Id {
    let id = w.mage(entity, uuid, access);
    assert!(w.s.permissions.update(&id, |p| {
        p.query_attributes = query.iter().map(|s| s.to_string()).collect();
        p.read_attributes = read.iter().map(|s| s.to_string()).collect();
    }));
    id
}

fn attr_req(
    user: Id,
    op: &str,
    entity: &str,
    uuid: Option<&str>,
    kind: AttrKind,
    name: &str,
) -> Request {
    let mut r = req(user, "mage", op, entity, uuid);
    r.attribute = Some(AttrCheck {
        kind,
        name: name.into(),
    });
    r
}

fn read(user: Id, op: &str, entity: &str, name: &str) -> Request {
    attr_req(user, op, entity, None, AttrKind::Read, name)
}

/// Decide and explain agree, and the explanation lists `perm` with `outcome`.
fn explained(e: &Engine, r: &Request, perm: Id, outcome: Outcome) -> Decision {
    let d = e.decide(r);
    let ex = e.explain(r);
    assert_eq!((ex.allowed, ex.rule), (d.allowed, d.rule), "{r:?}");
    assert!(
        ex.candidates
            .iter()
            .any(|c| c.permission == perm && c.outcome == outcome),
        "{outcome:?} for {perm} in {:?}",
        ex.candidates
    );
    d
}

#[test]
fn viewer_group_still_needs_read_attributes() {
    // [run] access 8 with no read_attributes: 403 "Unauthorized read access for created_at".
    let mut w = W::new();
    let p = w.mage("Role", None, VIEWER);
    let u = mage_user(&mut w, &[p]);
    let e = w.engine();
    assert!(e.decide(&req(u, "mage", "LIST", "Role", None)).allowed);
    let r = read(u, "LIST", "Role", "created_at");
    let d = explained(
        &e,
        &r,
        p,
        Outcome::AttributeNotListed {
            kind: AttrKind::Read,
        },
    );
    assert_eq!(d.rule, Rule::NoGrant);
    assert_eq!(
        e.explain(&r).hints,
        vec![Hint::AddAttribute {
            permission: p,
            kind: AttrKind::Read
        }]
    );
    assert!(
        w.s.permissions
            .update(&p, |p| p.read_attributes = vec!["created_at".into()])
    );
    let e = w.engine();
    assert!(e.decide(&r).allowed);
    assert!(!e.decide(&read(u, "LIST", "Role", "name")).allowed);
    assert!(
        !e.decide(&read(u, "CREATE", "Role", "created_at")).allowed,
        "VIEWER has no CREATE"
    );
}

#[test]
fn operation_and_read_must_come_from_one_permission() {
    // [run] {Secret, LIST} + {ALL, READ_ALL|QUERY_ALL|WRITE_ALL}: 403 "Unauthorized read access
    // for name on secrets for list operation".
    let mut w = W::new();
    let op = w.mage("Secret", None, LIST);
    let attrs = w.mage("ALL", None, READ_ALL | QUERY_ALL | WRITE_ALL);
    let u = mage_user(&mut w, &[op, attrs]);
    let e = w.engine();
    assert!(e.decide(&req(u, "mage", "LIST", "Secret", None)).allowed);
    let r = read(u, "LIST", "Secret", "name");
    explained(
        &e,
        &r,
        op,
        Outcome::NoAttributeAccess {
            kind: AttrKind::Read,
        },
    );
    let d = explained(
        &e,
        &r,
        attrs,
        Outcome::AttributeWithoutOperation {
            kind: AttrKind::Read,
        },
    );
    assert!(!d.allowed);
    let lines = crate::present::explain_lines(
        &w.s,
        &crate::catalog::Catalogs::builtin().expect("catalogs"),
        "m",
        &e.explain(&r),
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Mage needs both in one permission")),
        "{lines:?}"
    );
    let call = MageCall {
        user: u,
        entity: "Secret".into(),
        op: "LIST".into(),
        uuid: None,
        owner: None,
        query: vec!["_limit".into()],
        write: vec![],
        read: vec![ReadCheck {
            entity: "Secret".into(),
            uuid: Some("1".into()),
            attributes: vec!["name".into()],
        }],
    };
    let v = e.decide_mage_call(&call);
    assert!(!v.allowed);
    let f = v.failed.expect("failure");
    assert_eq!(
        f.check,
        MageCheck::Read {
            entity: "Secret".into(),
            uuid: Some("1".into()),
            attribute: "name".into()
        }
    );
    assert_eq!(f.decision.rule, Rule::NoGrant);
}

#[test]
fn disable_read_on_a_listed_attribute_and_disable_read_all_deny() {
    let mut w = W::new();
    let grant = w.mage("Role", None, LIST | READ_ALL);
    let dis = mage_opts(&mut w, "Role", None, DISABLE_READ, &[], &["name"]);
    let u = mage_user(&mut w, &[grant, dis]);
    let e = w.engine();
    let d = explained(
        &e,
        &read(u, "LIST", "Role", "name"),
        dis,
        Outcome::AttributeDenied {
            kind: AttrKind::Read,
            all: false,
        },
    );
    assert_eq!(
        d.rule,
        Rule::Denied {
            by: PathTo {
                via: d_via(&d),
                permission: dis
            }
        }
    );
    assert!(
        e.decide(&read(u, "LIST", "Role", "id")).allowed,
        "not listed"
    );

    let mut w = W::new();
    let grant = w.mage("Role", None, LIST | READ_ALL);
    let dis = w.mage("Role", None, DISABLE_READ_ALL);
    let u = mage_user(&mut w, &[grant, dis]);
    let e = w.engine();
    let d = explained(
        &e,
        &read(u, "LIST", "Role", "id"),
        dis,
        Outcome::AttributeDenied {
            kind: AttrKind::Read,
            all: true,
        },
    );
    assert!(!d.allowed);
    assert!(
        e.decide(&req(u, "mage", "LIST", "Role", None)).allowed,
        "operations unaffected"
    );
}

fn d_via(d: &Decision) -> Via {
    match d.rule {
        Rule::Denied { by } | Rule::Granted { by } => by.via,
        _ => Via::Direct,
    }
}

#[test]
fn read_all_grants_any_attribute_and_read_only_the_listed_ones() {
    let mut w = W::new();
    let all = w.mage("Role", None, LIST | READ_ALL);
    let u = mage_user(&mut w, &[all]);
    let e = w.engine();
    for a in ["id", "name", "anything", ""] {
        assert!(e.decide(&read(u, "LIST", "Role", a)).allowed, "{a}");
    }
    assert!(
        !e.decide(&read(u, "DETAIL", "Role", "id")).allowed,
        "the operation must be in the same permission"
    );
    let mut w = W::new();
    let some = mage_opts(&mut w, "Role", None, DETAIL | READ, &[], &["id"]);
    let u = mage_user(&mut w, &[some]);
    let e = w.engine();
    assert!(
        e.decide(&attr_req(
            u,
            "DETAIL",
            "Role",
            Some("3"),
            AttrKind::Read,
            "id"
        ))
        .allowed
    );
    assert!(
        !e.decide(&attr_req(
            u,
            "DETAIL",
            "Role",
            Some("3"),
            AttrKind::Read,
            "name"
        ))
        .allowed
    );
    assert!(
        !e.decide(&attr_req(u, "DETAIL", "Role", None, AttrKind::Write, "id"))
            .allowed,
        "READ says nothing about writes"
    );
}

#[test]
fn query_sentinel_is_not_a_wildcard() {
    let mut w = W::new();
    let p = mage_opts(&mut w, "Pipeline", None, LIST | QUERY, &["__*MAGE*__"], &[]);
    let u = mage_user(&mut w, &[p]);
    let e = w.engine();
    let q = |name: &str| attr_req(u, "LIST", "Pipeline", None, AttrKind::Query, name);
    explained(
        &e,
        &q("status"),
        p,
        Outcome::AttributeNotListed {
            kind: AttrKind::Query,
        },
    );
    assert!(!e.decide(&q("status")).allowed);
    assert!(e.decide(&q("__*MAGE*__")).allowed, "only the literal key");
}

#[test]
fn owner_bit_overrides_attribute_checks() {
    let mut w = W::new();
    let dis = w.mage("Role", None, LIST | DISABLE_READ_ALL);
    let owner = w.mage("Secret", None, OWNER);
    let u = mage_user(&mut w, &[dis, owner]);
    let e = w.engine();
    let d = e.decide(&read(u, "LIST", "Role", "name"));
    assert!(matches!(d.rule, Rule::MageOwnerBit { .. }), "{d:?}");
}

#[test]
fn all_returns_before_disable_operation_all_attributes_and_conditions() {
    let mut w = W::new();
    let p = w.mage("Role", None, ALL | DISABLE_OPERATION_ALL);
    let u = mage_user(&mut w, &[p]);
    let e = w.engine();
    assert!(e.decide(&read(u, "LIST", "Role", "name")).allowed);
    assert!(
        e.decide(&attr_req(
            u,
            "CREATE",
            "Role",
            None,
            AttrKind::Write,
            "name"
        ))
        .allowed
    );
    // ALL and DISABLE_READ_ALL in one permission: ALL returns first.
    let mut w = W::new();
    let p = w.mage("Role", None, ALL | DISABLE_READ_ALL);
    let u = mage_user(&mut w, &[p]);
    assert!(w.engine().decide(&read(u, "LIST", "Role", "name")).allowed);
    // ALL in one permission, DISABLE_OPERATION_ALL in another: denied.
    let mut w = W::new();
    let all = w.mage("Role", None, ALL);
    let dis = w.mage("Role", None, DISABLE_OPERATION_ALL);
    let u = mage_user(&mut w, &[all, dis]);
    assert!(!w.engine().decide(&read(u, "LIST", "Role", "name")).allowed);
    // ALL ignores the DISABLE_UNLESS_CONDITIONS gate.
    let mut w = W::new();
    let p = w.mage("User", None, ALL | DISABLE_UNLESS_CONDITIONS);
    assert!(
        w.s.permissions
            .update(&p, |p| p.conditions = vec!["USER_OWNS_ENTITY".into()])
    );
    let u = mage_user(&mut w, &[p]);
    assert!(
        w.engine()
            .decide(&req(u, "mage", "DETAIL", "User", Some("9")))
            .allowed
    );
}

#[test]
fn disable_unless_conditions_gates_attribute_checks() {
    let mut w = W::new();
    let p = w.mage("User", None, DETAIL | READ_ALL | DISABLE_UNLESS_CONDITIONS);
    assert!(
        w.s.permissions
            .update(&p, |p| p.conditions = vec!["USER_OWNS_ENTITY".into()])
    );
    let u = mage_user(&mut w, &[p]);
    let e = w.engine();
    let mut r = attr_req(u, "DETAIL", "User", Some("2"), AttrKind::Read, "email");
    let d = explained(
        &e,
        &r,
        p,
        Outcome::ConditionFailed {
            condition: FailedCondition::Own,
        },
    );
    assert!(!d.allowed);
    r.resource_owner = Some(u);
    assert!(e.decide(&r).allowed);
}

#[test]
fn attribute_checks_outside_mage_or_without_an_operation_are_denied() {
    let mut w = W::new();
    let p = w.perm("fetchml", "jobs", None, &["read"], &[], &[]);
    let u = mage_user(&mut w, &[p]);
    let m = w.mage("Role", None, ALL);
    let r = w.role("all");
    w.s.role_permissions.insert((r, m));
    w.s.user_roles.insert((u, r));
    let e = w.engine();
    let mut fr = req(u, "fetchml", "read", "jobs", None);
    assert!(e.decide(&fr).allowed);
    fr.attribute = Some(AttrCheck {
        kind: AttrKind::Read,
        name: "x".into(),
    });
    assert_eq!(e.decide(&fr).rule, Rule::AttributeNotInDialect);
    assert_eq!(e.explain(&fr).rule, Rule::AttributeNotInDialect);
    let d = e.decide(&read(u, "READ", "Role", "name"));
    assert_eq!(d.rule, Rule::AttributeNeedsOperation);
}

#[test]
fn attr_check_serializes_with_a_lowercase_kind() {
    let a = AttrCheck {
        kind: AttrKind::Write,
        name: "name".into(),
    };
    let v = serde_json::to_value(&a).expect("json");
    assert_eq!(v, serde_json::json!({"kind": "write", "name": "name"}));
    let r: Request = serde_json::from_value(serde_json::json!({
        "user": uuid::Uuid::nil(), "catalog": "mage", "action": "LIST", "entity": "Role"
    }))
    .expect("request without attribute");
    assert_eq!(r.attribute, None);
}

fn call(
    user: Id,
    op: &str,
    uuid: Option<&str>,
    reads: &[(&str, Option<&str>, &[&str])],
) -> MageCall {
    MageCall {
        user,
        entity: "Role".into(),
        op: op.into(),
        uuid: uuid.map(Into::into),
        owner: None,
        query: vec![],
        write: vec![],
        read: reads
            .iter()
            .map(|(e, u, a)| ReadCheck {
                entity: e.to_string(),
                uuid: u.map(Into::into),
                attributes: a.iter().map(|s| s.to_string()).collect(),
            })
            .collect(),
    }
}

#[test]
fn record_scoped_list_is_decided_by_the_first_record() {
    // [run] the per-request cache is not keyed by record: the first listed record decides.
    let mut w = W::new();
    let p = w.mage("Role", Some("5"), LIST | READ_ALL);
    let u = mage_user(&mut w, &[p]);
    let e = w.engine();
    let attrs: &[&str] = &["id", "name"];
    let ok = e.decide_mage_call(&call(
        u,
        "LIST",
        None,
        &[("Role", Some("5"), attrs), ("Role", Some("6"), attrs)],
    ));
    assert!(ok.allowed, "{ok:?}");
    assert_eq!(
        ok.checks, 3,
        "action + id + name; record 6 reuses the answers"
    );
    let bad = e.decide_mage_call(&call(
        u,
        "LIST",
        None,
        &[("Role", Some("6"), attrs), ("Role", Some("5"), attrs)],
    ));
    let f = bad.failed.expect("denied");
    assert_eq!(
        f.check,
        MageCheck::Read {
            entity: "Role".into(),
            uuid: Some("6".into()),
            attribute: "id".into()
        }
    );
    let ex = e.explain(&f.request);
    assert!(
        ex.candidates
            .iter()
            .any(|c| c.outcome == Outcome::UuidMismatch)
    );
    assert!(
        e.decide_mage_call(&call(u, "LIST", None, &[])).allowed,
        "empty list"
    );
    // An unscoped grant makes every record readable.
    let q = w.mage("Role", None, LIST | READ_ALL);
    w.s.role_permissions
        .insert((w.s.roles.keys().copied().next().expect("role"), q));
    let e = w.engine();
    assert!(
        e.decide_mage_call(&call(u, "LIST", None, &[("Role", Some("6"), attrs)]))
            .allowed
    );
}

#[test]
fn record_scoped_create_is_denied_at_read_back() {
    let mut w = W::new();
    let p = w.mage("Role", Some("5"), CREATE | WRITE_ALL | READ_ALL);
    let u = mage_user(&mut w, &[p]);
    let e = w.engine();
    let mut c = call(u, "CREATE", None, &[("Role", Some("7"), &["id", "name"])]);
    c.write = vec!["name".into()];
    let v = e.decide_mage_call(&c);
    let f = v.failed.expect("denied");
    assert!(matches!(f.check, MageCheck::Read { .. }), "{f:?}");
    assert_eq!(v.checks, 3, "action and write passed");
    c.read[0].uuid = Some("5".into());
    assert!(e.decide_mage_call(&c).allowed);
}

#[test]
fn mage_call_order_and_skipped_keys() {
    let mut w = W::new();
    let p = mage_opts(
        &mut w,
        "Role",
        None,
        DETAIL | QUERY | READ_ALL,
        &["include"],
        &[],
    );
    let u = mage_user(&mut w, &[p]);
    let e = w.engine();
    let mut c = call(
        u,
        "DETAIL",
        Some("3"),
        &[
            ("Role", Some("3"), &["id"]),
            ("User", Some("1"), &["email"]),
        ],
    );
    c.query = vec!["_format".into(), "api_key".into(), "include".into()];
    c.write = vec!["ignored_on_detail".into()];
    let v = e.decide_mage_call(&c);
    let f = v.failed.expect("the nested user is not readable");
    assert_eq!(
        f.check,
        MageCheck::Read {
            entity: "User".into(),
            uuid: Some("1".into()),
            attribute: "email".into()
        }
    );
    assert_eq!(v.checks, 4);
    c.query.push("other".into());
    let f = e.decide_mage_call(&c).failed.expect("query");
    assert_eq!(
        f.check,
        MageCheck::Query {
            attribute: "other".into()
        }
    );
    c.op = "DELETE".into();
    let f = e.decide_mage_call(&c).failed.expect("action");
    assert_eq!(f.check, MageCheck::Action);
    c.op = "FLY".into();
    assert_eq!(
        e.decide_mage_call(&c).failed.expect("op").decision.rule,
        Rule::UnknownAction
    );
}

#[test]
fn attribute_checks_parse_from_the_console_syntax() {
    use crate::engine::{AttrCheck, AttrKind};
    let a = AttrCheck::parse(" READ:name ").unwrap();
    assert_eq!((a.kind, a.name.as_str()), (AttrKind::Read, "name"));
    assert_eq!(
        AttrCheck::parse("write value").unwrap().kind,
        AttrKind::Write
    );
    assert_eq!(
        AttrCheck::parse("query:type").unwrap().kind,
        AttrKind::Query
    );
    assert!(AttrCheck::parse("name").unwrap_err().contains("read:ATTR"));
    assert!(
        AttrCheck::parse("delete:x")
            .unwrap_err()
            .contains("not read, write or query")
    );
    assert!(AttrCheck::parse("read:").unwrap_err().contains("empty"));
}
