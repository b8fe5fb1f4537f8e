//! Whole calls from the catalog (`docs/MAGE_CALLS.md`): what `check` answers by default.

use super::tests::W;
use super::tests_mage::mage_user;
use super::*;

const LIST: u64 = 16;
const DETAIL: u64 = 32;
const OPERATION_ALL: u64 = 1024;
const READ: u64 = 8192;
const READ_ALL: u64 = 16384;

fn q(user: Id, op: &str, entity: &str, uuid: Option<&str>) -> CallQuery {
    CallQuery {
        user,
        entity: entity.into(),
        op: op.into(),
        uuid: uuid.map(Into::into),
        owner: None,
        query: None,
        write: None,
    }
}

fn with_read(w: &mut W, entity: &str, access: u64, read: &[&str]) -> Id {
    let id = w.mage(entity, None, access);
    assert!(w.s.permissions.update(&id, |p| {
        p.read_attributes = read.iter().map(|s| s.to_string()).collect();
    }));
    id
}

/// What a test says the records hold.
struct Held(Vec<(&'static str, &'static str, Vec<String>)>);

impl CallData for Held {
    fn records(&self, entity: &str) -> Option<Vec<String>> {
        self.0
            .iter()
            .find(|(e, a, _)| *e == entity && a.is_empty())
            .map(|(_, _, v)| v.clone())
    }
    fn nested(&self, entity: &str, _: Option<&str>, attribute: &str) -> Option<Vec<String>> {
        self.0
            .iter()
            .find(|(e, a, _)| *e == entity && *a == attribute)
            .map(|(_, _, v)| v.clone())
    }
}

#[test]
fn a_read_attribute_list_short_of_the_presenters_denies_the_whole_call() {
    // The case: {Pipeline, LIST|READ, read_attributes [name, uuid]}.
    let mut w = W::new();
    let p = with_read(&mut w, "Pipeline", LIST | READ, &["name", "uuid"]);
    let u = mage_user(&mut w, &[p]);
    let e = w.engine();
    let op = e.decide(&super::tests::req(u, "mage", "LIST", "Pipeline", None));
    assert!(op.allowed, "the operation alone is granted");
    let a = e.decide_call(&NoData, &q(u, "LIST", "Pipeline", None));
    assert!(a.known && !a.verdict.allowed, "{a:?}");
    let f = a.verdict.failed.as_ref().map(|f| f.check.clone());
    assert!(
        matches!(&f, Some(MageCheck::Query { attribute }) if attribute == "include_schedules"),
        "the UI's query key is checked first: {f:?}"
    );
    // Without the UI's query key the first unreadable presented attribute fails.
    let mut plain = q(u, "LIST", "Pipeline", None);
    plain.query = Some(vec![]);
    let a = e.decide_call(&NoData, &plain);
    let f = a.verdict.failed.map(|f| f.check);
    assert!(
        matches!(&f, Some(MageCheck::Read { attribute, .. }) if attribute == "blocks"),
        "{f:?}"
    );
    assert!(a.assumed.iter().any(|x| x.contains("presents a record")));
}

#[test]
fn a_role_list_checks_the_nested_permissions_under_permission() {
    // The second case: {Role, LIST|READ_ALL|QUERY_ALL}: Mage answers 403 on
    // `access` of the nested permissions.
    let mut w = W::new();
    let r = w.mage("Role", None, LIST | READ_ALL | 4096);
    let u = mage_user(&mut w, &[r]);
    let e = w.engine();
    let a = e.decide_call(&NoData, &q(u, "LIST", "Role", None));
    let f = a.verdict.failed.map(|f| f.check);
    assert!(
        matches!(&f, Some(MageCheck::Read { entity, attribute, .. })
            if entity == "Permission" && attribute == "access"),
        "{f:?}"
    );
    // No role holds a permission, none has a creator: only the roles' own attributes.
    let held = Held(vec![
        ("Role", "", vec!["3".into()]),
        ("Role", "permissions", vec![]),
        ("Role", "role_permissions", vec![]),
        ("Role", "user", vec![]),
    ]);
    let a = e.decide_call(&held, &q(u, "LIST", "Role", None));
    assert!(a.verdict.allowed, "{a:?}");
    assert!(a.assumed.is_empty(), "{:?}", a.assumed);
    // With a permission on Permission reading everything, the nested objects pass too.
    let mut w2 = W::new();
    let r = w2.mage("Role", None, LIST | READ_ALL);
    let p = w2.mage("Permission", None, LIST | READ_ALL);
    let n = w2.mage("User", None, LIST | READ_ALL);
    let u2 = mage_user(&mut w2, &[r, p, n]);
    let e2 = w2.engine();
    assert!(
        e2.decide_call(&NoData, &q(u2, "LIST", "Role", None))
            .verdict
            .allowed
    );
}

#[test]
fn an_empty_list_checks_only_the_operation() {
    let mut w = W::new();
    let r = w.mage("Role", None, LIST);
    let u = mage_user(&mut w, &[r]);
    let e = w.engine();
    let empty = Held(vec![("Role", "", vec![])]);
    let a = e.decide_call(&empty, &q(u, "LIST", "Role", None));
    assert!(a.verdict.allowed && a.call.read.is_empty(), "{a:?}");
    assert!(
        !e.decide_call(&NoData, &q(u, "LIST", "Role", None))
            .verdict
            .allowed
    );
}

#[test]
fn a_call_the_catalog_does_not_know_checks_the_operation_only_and_says_so() {
    let mut w = W::new();
    let p = w.mage("Secret", None, DETAIL);
    let u = mage_user(&mut w, &[p]);
    let e = w.engine();
    let a = e.decide_call(&NoData, &q(u, "DETAIL", "Secret", Some("4")));
    assert!(
        !a.known && a.verdict.allowed && a.call.read.is_empty(),
        "{a:?}"
    );
    assert!(!e.knows_call("Secret", "DETAIL") && e.knows_call("Secret", "LIST"));
}

#[test]
fn a_null_creator_of_a_parsed_role_is_not_checked() {
    // RoleParser drops a null `user`: a seeded role's detail needs no READ on `user`.
    let mut w = W::new();
    let attrs = [
        "created_at",
        "id",
        "name",
        "permissions",
        "role_permissions",
        "updated_at",
    ];
    let p = with_read(&mut w, "Role", DETAIL | READ, &attrs);
    let u = mage_user(&mut w, &[p]);
    let e = w.engine();
    let seeded = Held(vec![
        ("Role", "user", vec![]),
        ("Role", "permissions", vec![]),
        ("Role", "role_permissions", vec![]),
        ("Role", "users", vec![]),
    ]);
    assert!(
        e.decide_call(&seeded, &q(u, "DETAIL", "Role", Some("1")))
            .verdict
            .allowed
    );
    let made = Held(vec![
        ("Role", "user", vec!["1".into()]),
        ("Role", "permissions", vec![]),
        ("Role", "role_permissions", vec![]),
        ("Role", "users", vec![]),
    ]);
    let a = e.decide_call(&made, &q(u, "DETAIL", "Role", Some("1")));
    let f = a.verdict.failed.map(|f| f.check);
    assert!(
        matches!(&f, Some(MageCheck::Read { attribute, .. }) if attribute == "user"),
        "{f:?}"
    );
}

#[test]
fn a_create_is_not_checked_on_what_its_payload_leaves_null() {
    // PipelineScheduleParser re-checks a refused create on the readable attributes minus the
    // nulls: a trigger made with just a name is read on id, name and status only.
    let mut w = W::new();
    let p = with_read(
        &mut w,
        "PipelineSchedule",
        64 | READ | 32768,
        &["id", "name", "status"],
    );
    assert!(w.s.permissions.update(&p, |x| {
        x.write_attributes = vec!["name".into(), "description".into()];
    }));
    let u = mage_user(&mut w, &[p]);
    let e = w.engine();
    let a = e.decide_call(&NoData, &q(u, "CREATE", "PipelineSchedule", None));
    assert!(a.verdict.allowed, "{a:?}");
    let mut described = q(u, "CREATE", "PipelineSchedule", None);
    described.write = Some(vec!["name".into(), "description".into()]);
    let a = e.decide_call(&NoData, &described);
    let f = a.verdict.failed.map(|f| f.check);
    assert!(
        matches!(&f, Some(MageCheck::Read { attribute, .. }) if attribute == "description"),
        "a description sent is presented and checked: {f:?}"
    );
}

#[test]
fn the_payload_is_write_checked_and_can_be_given() {
    let mut w = W::new();
    let p = w.mage("Secret", None, OPERATION_ALL | READ_ALL | 32768);
    assert!(w.s.permissions.update(&p, |x| {
        x.write_attributes = vec!["name".into()];
    }));
    let u = mage_user(&mut w, &[p]);
    let e = w.engine();
    let a = e.decide_call(&NoData, &q(u, "CREATE", "Secret", None));
    let f = a.verdict.failed.map(|f| f.check);
    assert!(
        matches!(&f, Some(MageCheck::Write { attribute }) if attribute == "value"),
        "the UI sends name and value: {f:?}"
    );
    let mut only_name = q(u, "CREATE", "Secret", None);
    only_name.write = Some(vec!["name".into()]);
    assert!(e.decide_call(&NoData, &only_name).verdict.allowed);
}
