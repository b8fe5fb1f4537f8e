//! The import planner: what is created given what a server holds.

use super::plan::{Ref, plan};
use crate::backend::document::{DocPermission, DocRole, DocTeam, DocUser};
use crate::backend::{Error, Password, PolicyDoc};
use crate::catalog::{Catalog, Catalogs};
use crate::model::{Id, Permission, Role, User, UserKind, new_id, now};
use crate::policy::State;

fn mage() -> Catalog {
    Catalogs::builtin().unwrap().get("mage").unwrap().clone()
}

fn v(s: &[&str]) -> Vec<String> {
    s.iter().map(|x| x.to_string()).collect()
}

fn pw() -> Password {
    Password("initial-pass-1".into())
}

fn perm(key: &str, entity: &str, grants: &[&str]) -> DocPermission {
    DocPermission {
        key: key.into(),
        catalog: "mage".into(),
        entity: entity.into(),
        entity_uuid: None,
        grants: v(grants),
        denies: Vec::new(),
        conditions: Vec::new(),
        entity_type: None,
        scope: None,
        query_attributes: Vec::new(),
        read_attributes: Vec::new(),
        write_attributes: Vec::new(),
        description: String::new(),
    }
}

fn role(name: &str, perms: &[&str]) -> DocRole {
    DocRole {
        id: None,
        name: name.into(),
        description: String::new(),
        permissions: v(perms),
    }
}

fn user(name: &str, roles: &[&str]) -> DocUser {
    DocUser {
        id: None,
        username: name.into(),
        email: format!("{name}@example.com"),
        display_name: "Ada Lovelace".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        kind: UserKind::Person,
        disabled: false,
        owner: false,
        roles: v(roles),
        role_ends: Default::default(),
    }
}

/// Two roles, three permissions (one with conditions and attribute lists, one scoped to an
/// entity UUID), one user holding both roles.
fn doc() -> PolicyDoc {
    let mut cond = perm("edit-own", "Pipeline", &["UPDATE"]);
    cond.conditions = v(&["USER_OWNS_ENTITY"]);
    cond.read_attributes = v(&["uuid", "name"]);
    cond.write_attributes = v(&["name"]);
    let mut scoped = perm("one-pipeline", "Pipeline", &["DETAIL", "READ_ALL"]);
    scoped.entity_uuid = Some("example_pipeline".into());
    scoped.denies = v(&["DELETE"]);
    PolicyDoc {
        roles: vec![
            role("Editors", &["edit-own", "list-secrets"]),
            role("Viewers", &["one-pipeline"]),
        ],
        permissions: vec![
            cond,
            scoped,
            perm("list-secrets", "Secret", &["LIST", "READ_ALL"]),
        ],
        users: vec![user("ada", &["Editors", "Viewers"])],
        ..PolicyDoc::default()
    }
}

fn to_permission(d: &DocPermission) -> Permission {
    let t = now();
    let mut p = Permission {
        id: new_id(),
        catalog: d.catalog.clone(),
        entity: d.entity.clone(),
        entity_uuid: d.entity_uuid.clone(),
        grants: d.grants.clone(),
        denies: d.denies.clone(),
        conditions: d.conditions.clone(),
        entity_type: d.entity_type.clone(),
        scope: d.scope.clone(),
        created_by: None,
        query_attributes: d.query_attributes.clone(),
        read_attributes: d.read_attributes.clone(),
        write_attributes: d.write_attributes.clone(),
        description: String::new(),
        created_at: t,
        updated_at: t,
        version: 1,
    };
    p.normalize();
    p
}

fn add_role(s: &mut State, name: &str) -> Id {
    let t = now();
    let r = Role {
        id: new_id(),
        name: name.into(),
        description: String::new(),
        created_by: None,
        created_at: t,
        updated_at: t,
        version: 1,
    };
    let id = r.id;
    s.roles.insert(id, r);
    s.reindex();
    id
}

fn add_user(s: &mut State, username: &str, email: &str) -> Id {
    let t = now();
    let u = User {
        id: new_id(),
        username: username.into(),
        email: email.into(),
        display_name: String::new(),
        first_name: String::new(),
        last_name: String::new(),
        kind: UserKind::Person,
        disabled: false,
        owner: false,
        created_at: t,
        updated_at: t,
        version: 1,
    };
    let id = u.id;
    s.users.insert(id, u);
    s.reindex();
    id
}

/// A server holding `doc` as an import writes it (the condition gate added).
fn server_with(doc: &PolicyDoc) -> State {
    let cat = mage();
    let mut s = State::default();
    let mut ids = std::collections::HashMap::new();
    for d in &doc.permissions {
        let mut p = to_permission(d);
        cat.gate_conditions(&mut p.grants, &p.conditions);
        p.normalize();
        ids.insert(d.key.clone(), p.id);
        s.permissions.insert(&p);
    }
    let mut roles = std::collections::HashMap::new();
    for r in &doc.roles {
        let id = add_role(&mut s, &r.name);
        roles.insert(r.name.clone(), id);
        for k in &r.permissions {
            s.role_permissions.insert((id, ids[k]));
        }
    }
    for u in &doc.users {
        let id = add_user(&mut s, &u.username, &u.email);
        for r in &u.roles {
            s.user_roles.insert((id, roles[r]));
        }
    }
    s.reindex();
    s
}

#[test]
fn an_empty_server_gets_everything_with_the_condition_gate() {
    let p = plan(&doc(), &State::default(), &mage(), Some(&pw())).unwrap();
    assert_eq!(p.roles, v(&["Editors", "Viewers"]));
    assert_eq!(p.permissions.len(), 3);
    assert_eq!(p.users.len(), 1);
    assert!(p.users[0].password.is_none(), "the plan holds no password");
    let gated = &p.permissions[0];
    assert!(
        gated
            .grants
            .contains(&"DISABLE_UNLESS_CONDITIONS".to_string()),
        "{:?}",
        gated.grants
    );
    assert_eq!(
        p.permissions[1].entity_uuid.as_deref(),
        Some("example_pipeline")
    );
    assert_eq!(p.permissions[1].denies, v(&["DELETE"]));
    let r = &p.report;
    assert_eq!(
        (r.roles.created, r.permissions.created, r.users.created),
        (2, 3, 1)
    );
    assert_eq!((r.links.created, r.links.present), (5, 0));
    assert_eq!(r.created_roles, v(&["Editors", "Viewers"]));
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("edit-own") && n.contains("DISABLE_UNLESS_CONDITIONS")),
        "{:?}",
        r.notes
    );
    assert_eq!(p.role_links[&Ref::New(0)].len(), 2);
    assert_eq!(p.user_links[&Ref::New(0)].len(), 2);
}

#[test]
fn a_server_holding_the_document_gets_nothing() {
    let d = doc();
    let s = server_with(&d);
    // No password needed: no user is created.
    let p = plan(&d, &s, &mage(), None).unwrap();
    assert!(p.is_empty(), "{p:?}");
    let r = &p.report;
    assert_eq!(
        (r.roles.present, r.permissions.present, r.users.present),
        (2, 3, 1)
    );
    assert_eq!((r.links.created, r.links.present), (0, 5));
    assert!(r.notes.is_empty(), "{:?}", r.notes);
}

#[test]
fn permissions_match_by_content_with_lists_as_sets_and_by_id() {
    let mut d = doc();
    let mut s = server_with(&d);
    // The attribute lists in another order, the grants too: still the same permission.
    d.permissions[0].read_attributes.reverse();
    d.permissions[0].grants = v(&["DISABLE_UNLESS_CONDITIONS", "UPDATE"]);
    // A key that is the id of a server permission names it whatever the content says.
    let other = to_permission(&perm("x", "Tag", &["LIST"]));
    s.permissions.insert(&other);
    d.permissions.push(DocPermission {
        key: other.id.to_string(),
        ..perm("y", "Block", &["DELETE"])
    });
    let p = plan(&d, &s, &mage(), None).unwrap();
    assert!(p.permissions.is_empty(), "{:?}", p.permissions);
    assert_eq!(p.report.permissions.present, 4);
    // Another attribute, another grant, another UUID: another permission.
    for change in 0..3 {
        let mut d2 = doc();
        match change {
            0 => d2.permissions[0].write_attributes.push("uuid".into()),
            1 => d2.permissions[2].grants.push("DETAIL".into()),
            _ => d2.permissions[1].entity_uuid = Some("other".into()),
        }
        let p = plan(&d2, &s, &mage(), None).unwrap();
        assert_eq!(p.permissions.len(), 1, "change {change}");
        assert_eq!(p.report.permissions.created, 1);
        // Its role gets the new one; the old link is left alone.
        assert_eq!(p.report.links.created, 1, "change {change}");
    }
}

#[test]
fn conditions_held_without_the_gate_match_as_written() {
    let d = doc();
    let mut s = State::default();
    // The server holds the conditions inert (no gate), exactly as the document writes them.
    let inert = to_permission(&d.permissions[0]);
    s.permissions.insert(&inert);
    s.reindex();
    let p = plan(&d, &s, &mage(), Some(&pw())).unwrap();
    assert_eq!(p.report.permissions.present, 1);
    assert_eq!(p.permissions.len(), 2);
    assert!(p.permissions.iter().all(|x| x.conditions.is_empty()));
}

#[test]
fn links_are_added_to_what_exists_and_users_match_by_email() {
    let d = doc();
    let mut s = State::default();
    let editors = add_role(&mut s, "Editors");
    let other = to_permission(&perm("z", "Tag", &["LIST"]));
    s.permissions.insert(&other);
    s.role_permissions.insert((editors, other.id));
    // Another username, the same email (ignoring case): the same user.
    let ada = add_user(&mut s, "ada.l", "ADA@example.com");
    s.user_roles.insert((ada, editors));
    s.reindex();
    let p = plan(&d, &s, &mage(), None).unwrap();
    assert_eq!(p.roles, v(&["Viewers"]));
    assert!(p.users.is_empty());
    assert_eq!(p.report.users.present, 1);
    let to_editors = &p.role_links[&Ref::Have(editors)];
    assert_eq!(to_editors.len(), 2);
    assert!(
        !to_editors.contains(&Ref::Have(other.id)),
        "kept, not re-sent"
    );
    assert_eq!(
        p.user_links[&Ref::Have(ada)].iter().collect::<Vec<_>>(),
        [&Ref::New(0)],
        "Editors is held already"
    );
    assert_eq!(p.report.links.present, 1);
}

#[test]
fn the_same_content_twice_is_one_permission() {
    let mut d = doc();
    d.permissions
        .push(perm("again", "Secret", &["READ_ALL", "LIST"]));
    d.roles[1].permissions.push("again".into());
    let p = plan(&d, &State::default(), &mage(), Some(&pw())).unwrap();
    assert_eq!(p.permissions.len(), 3);
    assert_eq!(p.report.permissions.created, 3);
    assert!(p.role_links[&Ref::New(1)].contains(&Ref::New(2)));
}

#[test]
fn users_to_create_need_a_long_enough_password() {
    let e = plan(&doc(), &State::default(), &mage(), None).unwrap_err();
    assert!(
        matches!(&e, Error::Invalid { field, message } if field == "password"
            && message.contains("'ada'") && message.contains("--user-password-env")),
        "{e:?}"
    );
    let short = Password("short".into());
    let e = plan(&doc(), &State::default(), &mage(), Some(&short)).unwrap_err();
    assert!(
        matches!(&e, Error::Invalid { field, .. } if field == "users[0].password"),
        "{e:?}"
    );
    let mut d = doc();
    d.users[0].email.clear();
    let e = plan(&d, &State::default(), &mage(), Some(&pw())).unwrap_err();
    assert!(
        matches!(&e, Error::Invalid { field, .. } if field == "users[0].email"),
        "{e:?}"
    );
}

#[test]
fn what_mage_cannot_hold_is_refused_by_name() {
    let cases: Vec<(PolicyDoc, &str)> = vec![
        (
            PolicyDoc {
                teams: vec![DocTeam {
                    id: None,
                    key: "data".into(),
                    name: String::new(),
                    description: String::new(),
                    default_role: None,
                    roles: Vec::new(),
                    role_ends: Default::default(),
                }],
                ..doc()
            },
            "teams ('data')",
        ),
        (
            PolicyDoc {
                permissions: vec![DocPermission {
                    catalog: "okdata".into(),
                    ..perm("ok", "dataset", &["read"])
                }],
                roles: Vec::new(),
                users: Vec::new(),
                ..PolicyDoc::default()
            },
            "permissions of catalog 'okdata'",
        ),
        (
            {
                let mut d = doc();
                d.users[0].disabled = true;
                d
            },
            "disabled users ('ada')",
        ),
        (
            {
                let mut d = doc();
                d.users[0].kind = UserKind::Service;
                d
            },
            "service users ('ada')",
        ),
        (
            {
                // Mage keeps no ends: the role would be held for ever.
                let mut d = doc();
                let role = d.users[0].roles[0].clone();
                d.users[0]
                    .role_ends
                    .insert(role, now() + time::Duration::days(1));
                d
            },
            "relations that end (role_ends of 'ada')",
        ),
    ];
    for (d, what_is) in cases {
        let e = plan(&d, &State::default(), &mage(), Some(&pw())).unwrap_err();
        assert!(
            matches!(&e, Error::Unsupported { what, backend, .. } if what == what_is && backend == "Mage"),
            "{e:?}"
        );
    }
}

#[test]
fn bad_references_and_entities_name_their_place() {
    let mut d = doc();
    d.roles[0].permissions.push("nope".into());
    let e = plan(&d, &State::default(), &mage(), Some(&pw())).unwrap_err();
    assert!(
        matches!(&e, Error::Invalid { field, .. } if field == "roles[0].permissions"),
        "{e:?}"
    );
    let mut d = doc();
    d.users[0].roles.push("Ghosts".into());
    let e = plan(&d, &State::default(), &mage(), Some(&pw())).unwrap_err();
    assert!(
        matches!(&e, Error::Invalid { field, .. } if field == "users[0].roles"),
        "{e:?}"
    );
    let mut d = doc();
    d.permissions[2].entity = "Secrets".into();
    let e = plan(&d, &State::default(), &mage(), Some(&pw())).unwrap_err();
    assert!(
        matches!(&e, Error::Invalid { field, .. } if field == "permissions[2].entity"),
        "{e:?}"
    );
}

#[test]
fn a_new_roles_description_is_dropped_with_a_note() {
    let mut d = doc();
    d.roles[0].description = "people who edit".into();
    let p = plan(&d, &State::default(), &mage(), Some(&pw())).unwrap();
    assert!(
        p.report.notes.iter().any(|n| n.contains("role 'Editors'")),
        "{:?}",
        p.report.notes
    );
}
