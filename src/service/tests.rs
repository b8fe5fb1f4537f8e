use super::*;
use crate::model::Principal;
use crate::store::{AuditQuery, Link, MemoryStore};

async fn service() -> (Service, Actor) {
    let cats = Arc::new(Catalogs::builtin().expect("catalogs"));
    let svc = Service::open(Arc::new(MemoryStore::new()), cats).await.expect("open");
    let r = svc.init("root").await.expect("init");
    assert!(r.created);
    let root = svc.snapshot().state.user_by_name("root").cloned().expect("root");
    (svc, Actor::user(&root, false))
}

fn perm(catalog: &str, entity: &str, uuid: Option<&str>, grants: &[&str]) -> PermissionSpec {
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
    assert_eq!(svc.snapshot().state.revision, rev, "a second init writes nothing");
    let s = svc.snapshot();
    let root = s.state.user_by_name("root").expect("root");
    assert!(root.owner);
    let admin = s.state.team_by_key(crate::model::ADMIN_TEAM).expect("admin team");
    assert!(s.state.members.contains_key(&(admin.id, root.id)));
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_write_and_nothing_changes() {
    let (svc, root) = service().await;
    let viewer_role = svc.create_role(&root, RoleSpec { name: "viewer".into(), description: String::new() }).await.expect("role");
    let p = svc.create_permission(&root, perm("gatehouse", "ALL", None, &["read"])).await.expect("perm");
    svc.link(&root, Link::RolePermission { role: viewer_role.id, permission: p.id }).await.expect("link");
    let v = svc.create_user(&root, UserSpec { username: "vera".into(), ..Default::default() }).await.expect("user");
    svc.link(&root, Link::UserRole { user: v.id, role: viewer_role.id }).await.expect("assign");
    let vera = Actor::user(&v, false);
    assert!(svc.authorize(&vera, Access::Read, "Role").is_ok());
    assert!(!svc.can_write(&vera));
    let rev = svc.snapshot().state.revision;
    let err = svc.create_role(&vera, RoleSpec { name: "x".into(), description: String::new() }).await.expect_err("viewer");
    assert!(matches!(err, Error::Forbidden(_)), "{err}");
    assert_eq!(err.exit_code(), 5);
    assert!(err.to_string().starts_with("Insufficient permissions"), "{err}");
    let ro = Actor { read_only: true, ..root.clone() };
    assert!(matches!(svc.create_role(&ro, RoleSpec { name: "y".into(), description: String::new() }).await, Err(Error::Forbidden(_))));
    assert_eq!(svc.snapshot().state.revision, rev);
}

#[tokio::test]
async fn validation_names_the_field_and_the_fix() {
    let (svc, root) = service().await;
    let cases: Vec<(PermissionSpec, &str, &str)> = vec![
        (perm("mage", "Pipelines", None, &["LIST"]), "entity", "did you mean"),
        (perm("mage", "Pipeline", None, &["LISTS"]), "grants", "valid flags"),
        (perm("nope", "Pipeline", None, &["LIST"]), "catalog", "known"),
        (perm("mage", "Pipeline", Some(&"x".repeat(256)), &["LIST"]), "entity_uuid", "255"),
        (perm("mage", "Pipeline", None, &[]), "grants", "at least one"),
    ];
    for (spec, field, needle) in cases {
        let e = svc.create_permission(&root, spec).await.expect_err("invalid");
        match &e {
            Error::Invalid { field: f, message } => {
                assert_eq!(f, field, "{e}");
                assert!(message.contains(needle) || e.to_string().contains(needle), "{e}");
            }
            other => panic!("expected Invalid, got {other}"),
        }
    }
    let long = "a".repeat(129);
    assert!(matches!(svc.create_role(&root, RoleSpec { name: long, description: String::new() }).await, Err(Error::Invalid { .. })));
    assert!(matches!(svc.create_role(&root, RoleSpec { name: "bad\u{202e}name".into(), description: String::new() }).await, Err(Error::Invalid { .. })));
    assert!(matches!(svc.create_user(&root, UserSpec { username: "x\u{1b}[2J".into(), ..Default::default() }).await, Err(Error::Invalid { .. })));
    svc.create_user(&root, UserSpec { username: "Alice".into(), ..Default::default() }).await.expect("alice");
    let dup = svc.create_user(&root, UserSpec { username: "alice".into(), ..Default::default() }).await.expect_err("dup");
    assert_eq!(dup.exit_code(), 4);
}

#[tokio::test]
async fn deleting_a_role_in_use_needs_force_and_says_how_many_links_go() {
    let (svc, root) = service().await;
    let role = svc.create_role(&root, RoleSpec { name: "editor".into(), description: String::new() }).await.expect("role");
    let u = svc.create_user(&root, UserSpec { username: "bob".into(), ..Default::default() }).await.expect("bob");
    let p = svc.create_permission(&root, perm("mage", "Pipeline", None, &["LIST"])).await.expect("p");
    svc.link(&root, Link::UserRole { user: u.id, role: role.id }).await.expect("assign");
    svc.link(&root, Link::RolePermission { role: role.id, permission: p.id }).await.expect("add");
    let rev = svc.snapshot().state.revision;
    let e = svc.delete_role(&root, role.id, false).await.expect_err("in use");
    assert!(e.to_string().contains("2 link(s) would go"), "{e}");
    assert_eq!(svc.snapshot().state.revision, rev);
    svc.delete_role(&root, role.id, true).await.expect("forced");
    let s = svc.snapshot();
    assert!(s.state.roles.get(&role.id).is_none());
    assert!(s.state.user_roles.is_empty() && s.state.role_permissions.is_empty());
    assert!(s.state.permissions.contains_key(&p.id), "the permission itself stays");
}

#[tokio::test]
async fn the_last_owner_cannot_be_removed_or_disabled() {
    let (svc, root) = service().await;
    let id = root.user.expect("user");
    let me = svc.snapshot().state.users[&id].clone();
    let spec = UserSpec { username: me.username.clone(), disabled: true, owner: true, ..Default::default() };
    let e = svc.update_user(&root, id, spec, me.version).await.expect_err("last owner");
    assert!(e.to_string().contains("last enabled owner"), "{e}");
    let e = svc.delete_user(&root, id, false).await.expect_err("last owner");
    assert!(e.to_string().contains("last enabled owner"), "{e}");
}

#[tokio::test]
async fn stale_versions_conflict_and_write_nothing() {
    let (svc, root) = service().await;
    let r = svc.create_role(&root, RoleSpec { name: "a".into(), description: String::new() }).await.expect("role");
    svc.update_role(&root, r.id, RoleSpec { name: "b".into(), description: String::new() }, r.version).await.expect("update");
    let rev = svc.snapshot().state.revision;
    let e = svc.update_role(&root, r.id, RoleSpec { name: "c".into(), description: String::new() }, r.version).await.expect_err("stale");
    assert_eq!(e.exit_code(), 4, "{e}");
    assert_eq!(svc.snapshot().state.revision, rev);
    assert_eq!(svc.snapshot().state.roles[&r.id].name, "b");
}

#[tokio::test]
async fn okdata_grants_and_the_last_admin_rule() {
    let (svc, root) = service().await;
    let alice = svc.create_user(&root, UserSpec { username: "alice".into(), ..Default::default() }).await.expect("alice");
    let ops = svc.create_team(&root, TeamSpec { key: "ops".into(), ..Default::default() }).await.expect("ops");
    svc.create_user(&root, UserSpec { username: "ci-bot".into(), kind: crate::model::UserKind::Service, ..Default::default() }).await.expect("bot");
    svc.grant_resource(&root, "okdata:dataset:ds1", "alice", Some("okdata:dataset:admin"), GrantTo::User).await.expect("admin");
    svc.grant_resource(&root, "okdata:dataset:ds1", "ops", Some("okdata:dataset:read"), GrantTo::Team).await.expect("read");
    svc.grant_resource(&root, "okdata:dataset:ds1", "ci-bot", None, GrantTo::Client).await.expect("all");
    let rows = svc.resource_grants(&root, "okdata:dataset:ds1").expect("ls");
    let flat: Vec<(String, GrantTo, String)> = rows.iter().map(|r| (r.name.clone(), r.kind, r.scopes.join(", "))).collect();
    assert_eq!(flat, vec![
        ("ops".into(), GrantTo::Team, "okdata:dataset:read".into()),
        ("alice".into(), GrantTo::User, "okdata:dataset:admin".into()),
        ("ci-bot".into(), GrantTo::Client, "okdata:dataset:admin, okdata:dataset:read, okdata:dataset:update, okdata:dataset:write".into()),
    ]);
    svc.revoke_resource(&root, "okdata:dataset:ds1", "ci-bot", None, GrantTo::Client).await.expect("revoke bot");
    let rev = svc.snapshot().state.revision;
    let e = svc.revoke_resource(&root, "okdata:dataset:ds1", "alice", Some("okdata:dataset:admin"), GrantTo::User).await.expect_err("last admin");
    assert!(e.to_string().contains("Cannot remove the only admin for resource"), "{e}");
    assert_eq!(svc.snapshot().state.revision, rev);
    let s = svc.snapshot();
    assert!(s.state.grants.iter().any(|(p, _)| *p == Principal::Team(ops.id)));
    assert_eq!(svc.my_resource_grants(alice.id), vec![("okdata:dataset:ds1".to_string(), vec!["okdata:dataset:admin".to_string()])]);
    assert!(matches!(svc.grant_resource(&root, "okdata:dataset:ds1", "alice", Some("okdata:dataset:fly"), GrantTo::User).await, Err(Error::Invalid { .. })));
    assert!(matches!(svc.grant_resource(&root, "ds1", "alice", None, GrantTo::User).await, Err(Error::Invalid { .. })));
}

#[tokio::test]
async fn export_import_into_an_empty_store_round_trips() {
    let (svc, root) = service().await;
    svc.import(&root, &crate::presets::document("adaptive", svc.catalogs()).expect("doc"), false).await.expect("adaptive");
    let u = svc.create_user(&root, UserSpec { username: "ann".into(), email: "ann@example.org".into(), ..Default::default() }).await.expect("ann");
    let ops = svc.create_team(&root, TeamSpec { key: "ops".into(), ..Default::default() }).await.expect("ops");
    let admin_role = svc.snapshot().state.role_by_name("admin").expect("admin").id;
    svc.link(&root, Link::Member { team: ops.id, user: u.id, role: Some(admin_role) }).await.expect("member");
    svc.grant_resource(&root, "Pipeline/example_pipeline", "ann", Some("DETAIL"), GrantTo::User).await.expect("grant");
    let doc = svc.export(&root).expect("export");
    let text = doc.to_toml().expect("toml");

    let fresh = Service::open(Arc::new(MemoryStore::new()), svc.catalogs().clone()).await.expect("fresh");
    let report = fresh.import(&Actor::system(), &PolicyDoc::from_toml(&text).expect("parse"), false).await.expect("import");
    assert_eq!(report.permissions.created, doc.permissions.len());
    let again = fresh.export(&Actor::system()).expect("export").to_toml().expect("toml");
    assert_eq!(again, text);
    let second = fresh.import(&Actor::system(), &PolicyDoc::from_toml(&text).expect("parse"), false).await.expect("again");
    assert_eq!(second.roles.created + second.permissions.created + second.links.created + second.users.created, 0);
}

#[tokio::test]
async fn a_corrupt_import_is_refused_with_the_place_and_nothing_written() {
    let (svc, root) = service().await;
    let rev = svc.snapshot().state.revision;
    let e = PolicyDoc::from_toml("[[roles]]\nname = 1\n").expect_err("bad type");
    assert!(e.to_string().contains("line"), "{e}");
    let doc = PolicyDoc::from_toml("[[roles]]\nname = \"r\"\npermissions = [\"p\"]\n[[permissions]]\nkey = \"p\"\ncatalog = \"mage\"\nentity = \"Nope\"\ngrants = [\"LIST\"]\n").expect("parses");
    let e = svc.import(&root, &doc, false).await.expect_err("bad entity");
    assert!(e.to_string().contains("permissions[0].entity"), "{e}");
    assert_eq!(svc.snapshot().state.revision, rev);
}

#[tokio::test]
async fn keys_authenticate_until_revoked_or_expired() {
    let (svc, root) = service().await;
    let id = root.user.expect("user");
    let k = svc.create_key(&root, id, true, None).await.expect("key");
    assert!(k.secret.starts_with("ghk_") && k.secret.len() > 40);
    assert_eq!(k.record.hash, hash_secret(&k.secret));
    assert!(!svc.snapshot().state.keys.values().any(|r| r.hash == k.secret || r.prefix == k.secret));
    let (user, rec) = svc.authenticate(&k.secret).expect("valid");
    assert_eq!(user.id, id);
    assert!(rec.read_only);
    assert!(svc.authenticate("ghk_wrong").is_err());
    svc.revoke_key(&root, k.record.id).await.expect("revoke");
    let e = svc.authenticate(&k.secret).expect_err("revoked");
    assert_eq!(e.to_string(), "Insufficient permissions: Invalid API key");
    let past = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    assert!(svc.create_key(&root, id, false, Some(past)).await.is_err());
}

#[tokio::test]
async fn every_write_is_audited_with_the_actor() {
    let (svc, root) = service().await;
    let r = svc.create_role(&root, RoleSpec { name: "audited".into(), description: String::new() }).await.expect("role");
    let events = svc.audit(&root, &AuditQuery { limit: 1, ..Default::default() }).await.expect("audit");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor, "root");
    assert_eq!(events[0].action, "create");
    assert_eq!(events[0].object_id, r.id.to_string());
    assert_eq!(events[0].revision, svc.snapshot().state.revision);
}
