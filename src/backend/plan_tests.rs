//! Tests of the pure plan: round trips, field-by-field updates, prune, errors, and the
//! property that a plan applied and planned again is empty.

use super::{Op, Plan, plan};
use crate::backend::Error;
use crate::backend::document::PolicyDoc;
use crate::backend::document::{DocGrant, DocMember, DocPermission, DocRole, DocTeam, DocUser};
use crate::catalog::Catalogs;
use crate::model::{ObjectKind, UserKind, now};
use crate::policy::{Change, State};
use proptest::prelude::*;
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

pub(super) fn cats() -> Catalogs {
    Catalogs::builtin().expect("builtin catalogs")
}

pub(super) fn perm(key: &str, entity: &str, grants: &[&str]) -> DocPermission {
    DocPermission {
        key: key.into(),
        catalog: "gatehouse".into(),
        entity: entity.into(),
        entity_uuid: None,
        grants: grants.iter().map(|g| g.to_string()).collect(),
        denies: vec![],
        conditions: vec![],
        query_attributes: vec![],
        read_attributes: vec![],
        write_attributes: vec![],
        description: String::new(),
        entity_type: None,
        scope: None,
    }
}

pub(super) fn user(name: &str, roles: &[&str]) -> DocUser {
    DocUser {
        id: None,
        username: name.into(),
        email: format!("{name}@example.com"),
        display_name: String::new(),
        first_name: String::new(),
        last_name: String::new(),
        kind: UserKind::default(),
        disabled: false,
        owner: false,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        role_ends: BTreeMap::new(),
    }
}

pub(super) fn role(name: &str, perms: &[&str]) -> DocRole {
    DocRole {
        id: None,
        name: name.into(),
        description: String::new(),
        permissions: perms.iter().map(|p| p.to_string()).collect(),
    }
}

pub(super) fn team(key: &str, roles: &[&str]) -> DocTeam {
    DocTeam {
        id: None,
        key: key.into(),
        name: String::new(),
        description: String::new(),
        default_role: None,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        role_ends: BTreeMap::new(),
    }
}

pub(super) fn sample() -> PolicyDoc {
    PolicyDoc {
        users: vec![user("alice", &["viewer"]), user("bob", &[])],
        teams: vec![team("ops", &["editor"])],
        roles: vec![
            role("viewer", &["read-users"]),
            role("editor", &["write-users"]),
        ],
        permissions: vec![
            perm("read-users", "User", &["read"]),
            perm("write-users", "User", &["write", "read"]),
        ],
        members: vec![DocMember {
            team: "ops".into(),
            user: "bob".into(),
            role: None,
            expires_at: None,
        }],
        grants: vec![DocGrant {
            permission: "read-users".into(),
            user: None,
            team: Some("ops".into()),
            expires_at: None,
        }],
    }
}

/// The state after a plan's changes, committed as a store commits them (all or nothing).
pub(super) fn applied(s: &State, p: &Plan) -> State {
    let mut out = s.clone();
    out.apply_all(&p.changes).expect("the plan applies");
    out.reindex();
    out
}

pub(super) fn signs(p: &Plan) -> Vec<String> {
    p.items
        .iter()
        .map(|i| format!("{} {} {}", i.op.sign(), i.kind, i.name))
        .collect()
}

#[test]
fn a_document_on_an_empty_store_creates_everything_then_plans_nothing() {
    let doc = sample();
    let p = plan(&State::default(), &doc, &cats(), false).expect("plan");
    let c = p.counts();
    // 2 perms, 2 roles, 2 users, 1 team; links: 2 role-perm, 1 user-role, 1 team-role,
    // 1 member, 1 grant.
    assert_eq!(
        (c.create, c.update, c.delete),
        (13, 0, 0),
        "{:#?}",
        signs(&p)
    );
    let kinds: Vec<ObjectKind> = p.items.iter().map(|i| i.kind).collect();
    let first_link = kinds
        .iter()
        .position(|k| matches!(k, ObjectKind::RolePermission | ObjectKind::UserRole));
    assert_eq!(first_link, Some(7), "objects come before links: {kinds:?}");
    let s = applied(&State::default(), &p);
    assert!(plan(&s, &doc, &cats(), false).expect("again").is_empty());
    assert!(plan(&s, &doc, &cats(), true).expect("pruned").is_empty());
    let export = PolicyDoc::of_state(&s);
    let again = plan(&s, &export, &cats(), true).expect("export");
    assert!(again.is_empty(), "{:#?}", signs(&again));
}

#[test]
fn changed_fields_are_updates_with_the_stored_version() {
    let s = applied(
        &State::default(),
        &plan(&State::default(), &sample(), &cats(), false).expect("plan"),
    );
    let mut doc = PolicyDoc::of_state(&s);
    doc.users[0].email = "alice@new.example".into();
    doc.roles[0].description = "edits users".into();
    let write_key = doc
        .permissions
        .iter()
        .position(|p| p.grants.contains(&"write".to_string()))
        .expect("write perm");
    doc.permissions[write_key].grants = vec!["read".into()];
    doc.members[0].role = Some("viewer".into());
    let p = plan(&s, &doc, &cats(), false).expect("plan");
    let c = p.counts();
    assert_eq!(
        (c.create, c.update, c.delete),
        (0, 4, 0),
        "{:#?}",
        signs(&p)
    );
    let alice = p
        .items
        .iter()
        .find(|i| i.kind == ObjectKind::User)
        .expect("user item");
    assert_eq!(alice.name, "alice");
    assert_eq!(alice.fields.len(), 1);
    assert_eq!(alice.fields[0].field, "email");
    assert_eq!(alice.fields[0].old, "\"alice@example.com\"");
    assert_eq!(alice.fields[0].new, "\"alice@new.example\"");
    let member = p
        .items
        .iter()
        .find(|i| i.kind == ObjectKind::TeamMember)
        .expect("member item");
    assert_eq!(
        (member.op, member.fields[0].old.as_str()),
        (Op::Update, "(none)")
    );
    for c in &p.changes {
        if let Change::Update {
            object,
            expected_version,
        } = c
        {
            assert_eq!(object.version(), expected_version + 1);
        }
    }
    let after = applied(&s, &p);
    assert!(
        plan(&after, &doc, &cats(), false)
            .expect("again")
            .is_empty()
    );
    // A store that moved since the plan refuses its updates.
    let mut moved = s.clone();
    let user_update = p
        .changes
        .iter()
        .find(|c| matches!(c, Change::Update { object, .. } if object.kind() == ObjectKind::User))
        .expect("update")
        .clone();
    moved.apply(&user_update).expect("first apply");
    assert!(moved.apply(&user_update).is_err(), "stale version refused");
}

#[test]
fn objects_left_out_stay_unless_pruned() {
    let s = applied(
        &State::default(),
        &plan(&State::default(), &sample(), &cats(), false).expect("plan"),
    );
    let mut doc = PolicyDoc::of_state(&s);
    doc.users.retain(|u| u.username != "bob");
    doc.members.clear();
    doc.users[0].roles.clear();
    let kept = plan(&s, &doc, &cats(), false).expect("plan");
    assert!(kept.is_empty(), "{:#?}", signs(&kept));
    let p = plan(&s, &doc, &cats(), true).expect("prune");
    assert_eq!(signs(&p), ["- user_role alice → viewer", "- user bob"]);
    let bob = p.items.iter().find(|i| i.name == "bob").expect("bob");
    assert_eq!(bob.cascades, 1, "bob's membership goes with him");
    assert!(matches!(
        p.changes.last(),
        Some(Change::Delete {
            cascade: true,
            expected_version: Some(_),
            ..
        })
    ));
    let after = applied(&s, &p);
    assert!(after.user_by_name("bob").is_none());
    assert!(plan(&after, &doc, &cats(), true).expect("again").is_empty());
}

#[test]
fn bad_entries_are_named() {
    let mut doc = sample();
    doc.permissions[1].grants = vec!["fly".into()];
    let e = plan(&State::default(), &doc, &cats(), false).expect_err("bad flag");
    assert!(
        matches!(&e, Error::Invalid { field, .. } if field == "permissions[1].grants"),
        "{e:?}"
    );
    let mut doc = sample();
    doc.users[0].roles = vec!["nobody".into()];
    let e = plan(&State::default(), &doc, &cats(), false).expect_err("unknown role");
    assert!(
        matches!(&e, Error::Invalid { field, .. } if field == "users[0].roles"),
        "{e:?}"
    );
    let mut doc = sample();
    doc.roles.push(role("viewer", &[]));
    let e = plan(&State::default(), &doc, &cats(), false).expect_err("twice");
    assert!(
        matches!(&e, Error::Invalid { field, .. } if field == "roles[2].name"),
        "{e:?}"
    );
}

#[test]
fn with_prune_a_reference_to_a_stored_object_outside_the_file_is_refused() {
    let s = applied(
        &State::default(),
        &plan(&State::default(), &sample(), &cats(), false).expect("plan"),
    );
    let doc = PolicyDoc {
        users: vec![user("carol", &["viewer"])],
        ..PolicyDoc::default()
    };
    let without = plan(&s, &doc, &cats(), false).expect("without prune: the store's role");
    assert_eq!(
        signs(&without),
        ["+ user carol", "+ user_role carol → viewer"]
    );
    let e = plan(&s, &doc, &cats(), true).expect_err("with prune");
    assert!(
        matches!(&e, Error::Invalid { field, .. } if field == "users[0].roles"),
        "{e:?}"
    );
}

/// A random document over a small vocabulary of names, so two of them overlap.
fn arb_doc() -> impl Strategy<Value = PolicyDoc> {
    let flags = prop::sample::subsequence(vec!["read", "write"], 1..=2);
    let perms = prop::collection::vec(
        (prop::sample::select(vec!["User", "Role", "Team"]), flags),
        0..4,
    );
    let names = || prop::sample::subsequence(vec!["a", "b", "c"], 0..=3);
    (
        perms,
        names(),
        names(),
        names(),
        any::<u64>(),
        any::<bool>(),
        any::<u32>(),
    )
        .prop_map(|(perms, roles, users, teams, seed, owner, ends)| {
            // About half the relations that may end do, 1 to 96 hours from now.
            let t0 = now();
            let end = |k: u32| {
                let bits = ends.rotate_left(k * 5);
                (bits & 1 == 1).then(|| t0 + Duration::hours(1 + i64::from(bits >> 1) % 96))
            };
            let role_ends = |salt: u32, held: &[&str]| -> BTreeMap<String, OffsetDateTime> {
                held.iter()
                    .enumerate()
                    .filter_map(|(i, r)| Some((r.to_string(), end(salt + i as u32)?)))
                    .collect()
            };
            let permissions: Vec<DocPermission> = perms
                .iter()
                .enumerate()
                .map(|(i, (e, f))| perm(&format!("p{i}"), e, f))
                .collect();
            let pick = |n: usize, salt: u64| (seed.rotate_left(salt as u32) as usize) % n.max(1);
            let role_names: Vec<String> = roles.iter().map(|r| format!("role-{r}")).collect();
            let doc_roles = role_names
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let keys: Vec<String> = permissions
                        .iter()
                        .filter(|_| pick(2, i as u64 * 7) == 0)
                        .map(|p| p.key.clone())
                        .collect();
                    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                    role(r, &keys)
                })
                .collect();
            let held: Vec<&str> = role_names
                .iter()
                .take(pick(role_names.len() + 1, 3))
                .map(String::as_str)
                .collect();
            let mut doc_users: Vec<DocUser> = users
                .iter()
                .enumerate()
                .map(|(i, u)| DocUser {
                    role_ends: role_ends(i as u32 * 3, &held),
                    ..user(u, &held)
                })
                .collect();
            if let Some(u) = doc_users.first_mut() {
                u.owner = owner;
                u.email = format!("{seed}@example.com");
            }
            let doc_teams: Vec<DocTeam> = teams
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let mut tm = team(&format!("team-{t}"), &held);
                    tm.default_role = role_names.first().cloned();
                    tm.role_ends = role_ends(10 + i as u32 * 3, &held);
                    tm
                })
                .collect();
            let members = doc_teams
                .iter()
                .zip(&doc_users)
                .enumerate()
                .map(|(i, (t, u))| DocMember {
                    team: t.key.clone(),
                    user: u.username.clone(),
                    role: role_names.get(pick(role_names.len() + 1, 11)).cloned(),
                    expires_at: end(20 + i as u32),
                })
                .collect();
            let grants = permissions
                .iter()
                .zip(&doc_users)
                .enumerate()
                .map(|(i, (p, u))| DocGrant {
                    permission: p.key.clone(),
                    user: Some(u.username.clone()),
                    team: None,
                    expires_at: end(25 + i as u32),
                })
                .collect();
            PolicyDoc {
                users: doc_users,
                teams: doc_teams,
                roles: doc_roles,
                permissions,
                members,
                grants,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// plan(s, export(s)) is empty; plan(s, doc) applied to s and planned again is empty,
    /// with and without prune; the documents' relations carry random ends, which the export
    /// writes and the second plan moves.
    #[test]
    fn a_plan_applied_leaves_nothing_to_plan(first in arb_doc(), second in arb_doc(), prune: bool) {
        let cats = cats();
        let s = applied(&State::default(), &plan(&State::default(), &first, &cats, false).expect("first"));
        prop_assert!(plan(&s, &PolicyDoc::of_state(&s), &cats, true).expect("export").is_empty());
        let p = plan(&s, &second, &cats, prune).expect("second");
        let after = applied(&s, &p);
        let again = plan(&after, &second, &cats, prune).expect("again");
        prop_assert!(again.is_empty(), "{:#?}", signs(&again));
        // Every end the document gives is the relation's end now, as the export writes it.
        let out = PolicyDoc::of_state(&after);
        for u in &second.users {
            let o = out.users.iter().find(|o| o.username == u.username).expect("user");
            for (r, t) in &u.role_ends {
                prop_assert_eq!(o.role_ends.get(r), Some(t));
            }
        }
        for m in &second.members {
            let o = out.members.iter().find(|o| (&o.team, &o.user) == (&m.team, &m.user));
            prop_assert_eq!(o.map(|o| o.expires_at), Some(m.expires_at));
        }
        if prune {
            prop_assert_eq!(after.users.len(), second.users.len());
            prop_assert_eq!(after.roles.len(), second.roles.len());
        }
    }
}

/// A backend without descriptions (Mage): a document's descriptions of roles and permissions
/// are neither compared nor changed, so what was applied once plans nothing; the other fields
/// still are.
#[test]
fn without_descriptions_only_the_other_fields_are_planned() {
    let s = applied(
        &State::default(),
        &plan(&State::default(), &sample(), &cats(), false).expect("plan"),
    );
    let mut doc = PolicyDoc::of_state(&s);
    doc.roles[0].description = "edits users".into();
    doc.permissions[0].description = "a note".into();
    let keeping = plan(&s, &doc, &cats(), false).expect("plan");
    assert_eq!(keeping.counts().update, 2, "{:#?}", signs(&keeping));
    let p = super::plan_keeping(&s, &doc, &cats(), false, false).expect("plan");
    assert!(p.is_empty(), "{:#?}", signs(&p));
    doc.users[0].email = "alice@new.example".into();
    let p = super::plan_keeping(&s, &doc, &cats(), false, false).expect("plan");
    assert_eq!(signs(&p).len(), 1, "{:#?}", signs(&p));
}
