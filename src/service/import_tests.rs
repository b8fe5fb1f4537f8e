//! Import and export of relations that end, and plan/apply of an end, on the in-memory store.

use super::super::tests::service;
use super::*;
use crate::backend::plan::{Op, plan};
use crate::catalog::Catalogs;
use crate::store::MemoryStore;
use std::sync::Arc;
use time::macros::datetime;

const DOC: &str = r#"
[[users]]
username = "alice"
roles = ["readers", "writers"]
role_ends = { writers = "2999-12-31T18:00:00Z" }

[[users]]
username = "bob"

[[teams]]
key = "ops"
roles = ["readers"]
role_ends = { readers = 2999-06-30T12:00:00Z }

[[roles]]
name = "readers"
permissions = ["read-users"]

[[roles]]
name = "writers"
permissions = ["write-users"]

[[permissions]]
key = "read-users"
catalog = "gatehouse"
entity = "User"
grants = ["read"]

[[permissions]]
key = "write-users"
catalog = "gatehouse"
entity = "User"
grants = ["write"]

[[members]]
team = "ops"
user = "bob"
expires_at = "2999-01-01T00:00:00Z"

[[grants]]
permission = "read-users"
user = "bob"
expires_at = "2999-02-01T00:00:00+01:00"
"#;

const END: OffsetDateTime = datetime!(2999-12-31 18:00 UTC);

fn alice_writers(s: &State) -> Link {
    Link::UserRole {
        user: s.user_by_name("alice").expect("alice").id,
        role: s.role_by_name("writers").expect("writers").id,
    }
}

#[tokio::test]
async fn an_export_with_ends_imports_into_a_fresh_store_and_exports_the_same() {
    let (svc, root) = service().await;
    let doc = PolicyDoc::from_toml(DOC).expect("doc");
    svc.import(&root, &doc, false).await.expect("import");
    let s = svc.snapshot().state.clone();
    assert_eq!(s.expiries.len(), 4, "every end the document gives is kept");
    assert_eq!(s.expiries.get(&alice_writers(&s)), Some(END));
    let first = svc.export(&root).expect("export");
    let alice = first.users.iter().find(|u| u.username == "alice");
    assert_eq!(
        alice.map(|u| u.role_ends.clone()),
        Some([("writers".to_string(), END)].into())
    );
    let bob = first.members.iter().find(|m| m.user == "bob");
    assert_eq!(
        bob.map(|m| m.expires_at),
        Some(Some(datetime!(2999-01-01 00:00 UTC)))
    );
    let bob = first
        .grants
        .iter()
        .find(|g| g.user.as_deref() == Some("bob"));
    assert_eq!(
        bob.map(|g| g.expires_at),
        Some(Some(datetime!(2999-01-31 23:00 UTC)))
    );

    // Into a store with nothing in it, through the text an export writes.
    let text = first.to_toml().expect("toml");
    let cats = Arc::new(Catalogs::builtin().expect("catalogs"));
    let fresh = Service::open(Arc::new(MemoryStore::new()), cats)
        .await
        .expect("open");
    let sys = Actor::system();
    let back = PolicyDoc::from_toml(&text).expect("read back");
    fresh.import(&sys, &back, false).await.expect("import");
    // The relations and their ends in one commit.
    assert_eq!(fresh.snapshot().state.revision, 1);
    assert_eq!(fresh.export(&sys).expect("export"), first);
}

#[tokio::test]
async fn an_end_already_past_is_refused_by_entry_and_nothing_is_written() {
    let (svc, root) = service().await;
    let rev = svc.snapshot().state.revision;
    let past = now() - time::Duration::minutes(1);
    let mut doc = PolicyDoc::from_toml(DOC).expect("doc");
    doc.grants[0].expires_at = Some(past);
    for dry_run in [true, false] {
        let e = svc.import(&root, &doc, dry_run).await.expect_err("past");
        assert!(
            matches!(&e, Error::Invalid { field, .. } if field == "grants[0].expires_at"),
            "{e:?}"
        );
    }
    let mut doc = PolicyDoc::from_toml(DOC).expect("doc");
    doc.users[0].role_ends.insert("admins".into(), END);
    let e = svc.import(&root, &doc, false).await.expect_err("not held");
    assert!(
        matches!(&e, Error::Invalid { field, .. } if field == "users[0].role_ends.admins"),
        "{e:?}"
    );
    assert_eq!(svc.snapshot().state.revision, rev);
    assert!(svc.snapshot().state.user_by_name("alice").is_none());
}

#[tokio::test]
async fn an_existing_relation_keeps_its_end_and_the_report_says_so() {
    let (svc, root) = service().await;
    let mut doc = PolicyDoc::from_toml(DOC).expect("doc");
    doc.users[0].role_ends.clear();
    svc.import(&root, &doc, false).await.expect("import");
    let rev = svc.snapshot().state.revision;
    let doc = PolicyDoc::from_toml(DOC).expect("doc");
    let report = svc.import(&root, &doc, false).await.expect("again");
    assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    assert!(
        report.notes[0].starts_with(
            "users[0].role_ends.writers: alice → writers already exists, ending never;"
        ),
        "{:?}",
        report.notes
    );
    let s = svc.snapshot().state.clone();
    assert_eq!(s.revision, rev, "nothing written");
    assert_eq!(s.expiries.get(&alice_writers(&s)), None);
}

#[tokio::test]
async fn plan_and_apply_move_an_end_on_the_memory_store() {
    let (svc, root) = service().await;
    svc.import(&root, &PolicyDoc::from_toml(DOC).expect("doc"), false)
        .await
        .expect("import");
    let later = datetime!(3000-01-01 00:00 UTC);
    for end in [Some(later), None] {
        let s = svc.snapshot().state.clone();
        let mut doc = PolicyDoc::of_state(&s);
        let alice = doc
            .users
            .iter_mut()
            .find(|u| u.username == "alice")
            .expect("alice");
        alice.role_ends = end
            .map(|t| ("writers".to_string(), t))
            .into_iter()
            .collect();
        let p = plan(&s, &doc, &svc.catalogs, true).expect("plan");
        assert_eq!(p.items.len(), 1, "{:?}", p.items);
        assert_eq!(p.items[0].op, Op::Update);
        svc.apply_changes(&root, p.changes, Some(s.revision))
            .await
            .expect("apply");
        let after = svc.snapshot().state.clone();
        assert_eq!(after.expiries.get(&alice_writers(&after)), end);
        assert!(
            plan(&after, &doc, &svc.catalogs, true)
                .expect("again")
                .is_empty()
        );
    }
}
