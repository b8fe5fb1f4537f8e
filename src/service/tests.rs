use super::*;
use crate::backend::{PermissionSpec, RoleSpec, UserSpec};
use crate::policy::Link;
use crate::store::MemoryStore;

pub(super) async fn service() -> (Service, Actor) {
    let cats = Arc::new(Catalogs::builtin().expect("catalogs"));
    let svc = Service::open(Arc::new(MemoryStore::new()), cats)
        .await
        .expect("open");
    let r = svc.init("root").await.expect("init");
    assert!(r.created);
    let root = svc
        .snapshot()
        .state
        .user_by_name("root")
        .cloned()
        .expect("root");
    (svc, Actor::user(&root, false))
}

pub(super) fn perm(
    catalog: &str,
    entity: &str,
    uuid: Option<&str>,
    grants: &[&str],
) -> PermissionSpec {
    PermissionSpec {
        catalog: catalog.into(),
        entity: entity.into(),
        entity_uuid: uuid.map(Into::into),
        grants: grants.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn init_runs_once_and_creates_owner_and_admin_team() {
    let (svc, _) = service().await;
    let rev = svc.snapshot().state.revision;
    let again = svc.init("someone-else").await.expect("again");
    assert!(!again.created);
    assert_eq!(again.admin, "root");
    assert_eq!(
        svc.snapshot().state.revision,
        rev,
        "a second init writes nothing"
    );
    let s = svc.snapshot();
    let root = s.state.user_by_name("root").expect("root");
    assert!(root.owner);
    let admin = s
        .state
        .team_by_key(crate::model::ADMIN_TEAM)
        .expect("admin team");
    assert!(s.state.members.contains_key(&(admin.id, root.id)));
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_write_and_nothing_changes() {
    let (svc, root) = service().await;
    let viewer_role = svc
        .create_role(
            &root,
            RoleSpec {
                name: "viewer".into(),
                description: String::new(),
            },
        )
        .await
        .expect("role");
    let p = svc
        .create_permission(&root, perm("gatehouse", "ALL", None, &["read"]))
        .await
        .expect("perm");
    svc.link(
        &root,
        Link::RolePermission {
            role: viewer_role.id,
            permission: p.id,
        },
    )
    .await
    .expect("link");
    let v = svc
        .create_user(
            &root,
            UserSpec {
                username: "vera".into(),
                ..Default::default()
            },
        )
        .await
        .expect("user");
    svc.link(
        &root,
        Link::UserRole {
            user: v.id,
            role: viewer_role.id,
        },
    )
    .await
    .expect("assign");
    let vera = Actor::user(&v, false);
    assert!(svc.authorize(&vera, Access::Read, "Role").is_ok());
    assert!(!svc.can_write(&vera));
    let rev = svc.snapshot().state.revision;
    let err = svc
        .create_role(
            &vera,
            RoleSpec {
                name: "x".into(),
                description: String::new(),
            },
        )
        .await
        .expect_err("viewer");
    assert!(matches!(err, Error::Forbidden(_)), "{err}");
    assert_eq!(err.exit_code(), 5);
    assert!(
        err.to_string().starts_with("Insufficient permissions"),
        "{err}"
    );
    let ro = Actor {
        read_only: true,
        ..root.clone()
    };
    assert!(matches!(
        svc.create_role(
            &ro,
            RoleSpec {
                name: "y".into(),
                description: String::new()
            }
        )
        .await,
        Err(Error::Forbidden(_))
    ));
    assert_eq!(svc.snapshot().state.revision, rev);
}

#[tokio::test]
async fn validation_names_the_field_and_the_fix() {
    let (svc, root) = service().await;
    let cases: Vec<(PermissionSpec, &str, &str)> = vec![
        (
            perm("mage", "Pipelines", None, &["LIST"]),
            "entity",
            "did you mean",
        ),
        (
            perm("mage", "Pipeline", None, &["LISTS"]),
            "grants",
            "valid flags",
        ),
        (
            perm("nope", "Pipeline", None, &["LIST"]),
            "catalog",
            "known",
        ),
        (
            perm("mage", "Pipeline", Some(&"x".repeat(256)), &["LIST"]),
            "entity_uuid",
            "255",
        ),
        (
            perm("mage", "Pipeline", None, &[]),
            "grants",
            "at least one",
        ),
        (
            // Never widened to "every entity".
            perm("mage", "Pipeline", Some(""), &["LIST"]),
            "entity_uuid",
            "must not be empty",
        ),
    ];
    for (spec, field, needle) in cases {
        let e = svc
            .create_permission(&root, spec)
            .await
            .expect_err("invalid");
        match &e {
            Error::Invalid { field: f, message } => {
                assert_eq!(f, field, "{e}");
                assert!(
                    message.contains(needle) || e.to_string().contains(needle),
                    "{e}"
                );
            }
            other => panic!("expected Invalid, got {other}"),
        }
    }
    let long = "a".repeat(129);
    assert!(matches!(
        svc.create_role(
            &root,
            RoleSpec {
                name: long,
                description: String::new()
            }
        )
        .await,
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        svc.create_role(
            &root,
            RoleSpec {
                name: "bad\u{202e}name".into(),
                description: String::new()
            }
        )
        .await,
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        svc.create_user(
            &root,
            UserSpec {
                username: "x\u{1b}[2J".into(),
                ..Default::default()
            }
        )
        .await,
        Err(Error::Invalid { .. })
    ));
    svc.create_user(
        &root,
        UserSpec {
            username: "Alice".into(),
            ..Default::default()
        },
    )
    .await
    .expect("alice");
    let dup = svc
        .create_user(
            &root,
            UserSpec {
                username: "alice".into(),
                ..Default::default()
            },
        )
        .await
        .expect_err("dup");
    assert_eq!(dup.exit_code(), 4);
}

#[tokio::test]
async fn deleting_a_role_in_use_needs_force_and_says_how_many_links_go() {
    let (svc, root) = service().await;
    let role = svc
        .create_role(
            &root,
            RoleSpec {
                name: "editor".into(),
                description: String::new(),
            },
        )
        .await
        .expect("role");
    let u = svc
        .create_user(
            &root,
            UserSpec {
                username: "bob".into(),
                ..Default::default()
            },
        )
        .await
        .expect("bob");
    let p = svc
        .create_permission(&root, perm("mage", "Pipeline", None, &["LIST"]))
        .await
        .expect("p");
    svc.link(
        &root,
        Link::UserRole {
            user: u.id,
            role: role.id,
        },
    )
    .await
    .expect("assign");
    svc.link(
        &root,
        Link::RolePermission {
            role: role.id,
            permission: p.id,
        },
    )
    .await
    .expect("add");
    let rev = svc.snapshot().state.revision;
    let e = svc
        .delete_role(&root, role.id, false)
        .await
        .expect_err("in use");
    assert!(e.to_string().contains("2 link(s) would go"), "{e}");
    assert_eq!(svc.snapshot().state.revision, rev);
    svc.delete_role(&root, role.id, true).await.expect("forced");
    let s = svc.snapshot();
    assert!(!s.state.roles.contains_key(&role.id));
    assert!(s.state.user_roles.is_empty() && s.state.role_permissions.is_empty());
    assert!(
        s.state.permissions.contains_key(&p.id),
        "the permission itself stays"
    );
}

#[tokio::test]
async fn the_last_owner_cannot_be_removed_or_disabled() {
    let (svc, root) = service().await;
    let id = root.user.expect("user");
    let me = svc.snapshot().state.users[&id].clone();
    let spec = UserSpec {
        username: me.username.clone(),
        disabled: true,
        owner: true,
        ..Default::default()
    };
    let e = svc
        .update_user(&root, id, spec, me.version)
        .await
        .expect_err("last owner");
    assert!(e.to_string().contains("last enabled owner"), "{e}");
    let e = svc
        .delete_user(&root, id, false)
        .await
        .expect_err("last owner");
    assert!(e.to_string().contains("last enabled owner"), "{e}");
}

#[tokio::test]
async fn stale_versions_conflict_and_write_nothing() {
    let (svc, root) = service().await;
    let r = svc
        .create_role(
            &root,
            RoleSpec {
                name: "a".into(),
                description: String::new(),
            },
        )
        .await
        .expect("role");
    svc.update_role(
        &root,
        r.id,
        RoleSpec {
            name: "b".into(),
            description: String::new(),
        },
        r.version,
    )
    .await
    .expect("update");
    let rev = svc.snapshot().state.revision;
    let e = svc
        .update_role(
            &root,
            r.id,
            RoleSpec {
                name: "c".into(),
                description: String::new(),
            },
            r.version,
        )
        .await
        .expect_err("stale");
    assert_eq!(e.exit_code(), 4, "{e}");
    assert_eq!(svc.snapshot().state.revision, rev);
    assert_eq!(svc.snapshot().state.roles[&r.id].name, "b");
}
