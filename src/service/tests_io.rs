//! Service tests: okdata grants, import/export, keys and audit.

use super::tests::service;
use super::*;
use crate::backend::{GrantTo, PolicyDoc, RoleSpec, TeamSpec, UserSpec};
use crate::model::AuditQuery;
use crate::model::Principal;
use crate::policy::Link;
use crate::store::MemoryStore;

#[tokio::test]
async fn okdata_grants_and_the_last_admin_rule() {
    let (svc, root) = service().await;
    let alice = svc
        .create_user(
            &root,
            UserSpec {
                username: "alice".into(),
                ..Default::default()
            },
        )
        .await
        .expect("alice");
    let ops = svc
        .create_team(
            &root,
            TeamSpec {
                key: "ops".into(),
                ..Default::default()
            },
        )
        .await
        .expect("ops");
    svc.create_user(
        &root,
        UserSpec {
            username: "ci-bot".into(),
            kind: crate::model::UserKind::Service,
            ..Default::default()
        },
    )
    .await
    .expect("bot");
    svc.grant_resource(
        &root,
        "okdata:dataset:ds1",
        "alice",
        Some("okdata:dataset:admin"),
        GrantTo::User,
    )
    .await
    .expect("admin");
    svc.grant_resource(
        &root,
        "okdata:dataset:ds1",
        "ops",
        Some("okdata:dataset:read"),
        GrantTo::Team,
    )
    .await
    .expect("read");
    svc.grant_resource(&root, "okdata:dataset:ds1", "ci-bot", None, GrantTo::Client)
        .await
        .expect("all");
    let rows = svc
        .resource_grants(&root, "okdata:dataset:ds1")
        .expect("ls");
    let flat: Vec<(String, GrantTo, String)> = rows
        .iter()
        .map(|r| (r.name.clone(), r.kind, r.scopes.join(", ")))
        .collect();
    // okdata's order: by user type (client, team, user), then name.
    assert_eq!(flat, vec![
        ("ci-bot".into(), GrantTo::Client, "okdata:dataset:admin, okdata:dataset:read, okdata:dataset:update, okdata:dataset:write".into()),
        ("ops".into(), GrantTo::Team, "okdata:dataset:read".into()),
        ("alice".into(), GrantTo::User, "okdata:dataset:admin".into()),
    ]);
    svc.revoke_resource(&root, "okdata:dataset:ds1", "ci-bot", None, GrantTo::Client)
        .await
        .expect("revoke bot");
    let rev = svc.snapshot().state.revision;
    let e = svc
        .revoke_resource(
            &root,
            "okdata:dataset:ds1",
            "alice",
            Some("okdata:dataset:admin"),
            GrantTo::User,
        )
        .await
        .expect_err("last admin");
    assert!(
        e.to_string()
            .contains("Cannot remove the only admin for resource"),
        "{e}"
    );
    assert_eq!(svc.snapshot().state.revision, rev);
    let s = svc.snapshot();
    assert!(
        s.state
            .grants
            .iter()
            .any(|(p, _)| *p == Principal::Team(ops.id))
    );
    assert_eq!(
        svc.my_resource_grants(alice.id),
        vec![(
            "okdata:dataset:ds1".to_string(),
            vec!["okdata:dataset:admin".to_string()]
        )]
    );
    assert!(matches!(
        svc.grant_resource(
            &root,
            "okdata:dataset:ds1",
            "alice",
            Some("okdata:dataset:fly"),
            GrantTo::User
        )
        .await,
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        svc.grant_resource(&root, "ds1", "alice", None, GrantTo::User)
            .await,
        Err(Error::Invalid { .. })
    ));
}

#[tokio::test]
async fn export_import_into_an_empty_store_round_trips() {
    let (svc, root) = service().await;
    svc.import(
        &root,
        &crate::presets::document("adaptive", svc.catalogs()).expect("doc"),
        false,
    )
    .await
    .expect("adaptive");
    let u = svc
        .create_user(
            &root,
            UserSpec {
                username: "ann".into(),
                email: "ann@example.org".into(),
                ..Default::default()
            },
        )
        .await
        .expect("ann");
    let ops = svc
        .create_team(
            &root,
            TeamSpec {
                key: "ops".into(),
                ..Default::default()
            },
        )
        .await
        .expect("ops");
    let admin_role = svc
        .snapshot()
        .state
        .role_by_name("admin")
        .expect("admin")
        .id;
    svc.link(
        &root,
        Link::Member {
            team: ops.id,
            user: u.id,
            role: Some(admin_role),
        },
    )
    .await
    .expect("member");
    svc.grant_resource(
        &root,
        "Pipeline/example_pipeline",
        "ann",
        Some("DETAIL"),
        GrantTo::User,
    )
    .await
    .expect("grant");
    let doc = svc.export(&root).expect("export");
    let text = doc.to_toml().expect("toml");

    let fresh = Service::open(Arc::new(MemoryStore::new()), svc.catalogs().clone())
        .await
        .expect("fresh");
    let report = fresh
        .import(
            &Actor::system(),
            &PolicyDoc::from_toml(&text).expect("parse"),
            false,
        )
        .await
        .expect("import");
    assert_eq!(report.permissions.created, doc.permissions.len());
    let again = fresh
        .export(&Actor::system())
        .expect("export")
        .to_toml()
        .expect("toml");
    assert_eq!(again, text);
    let second = fresh
        .import(
            &Actor::system(),
            &PolicyDoc::from_toml(&text).expect("parse"),
            false,
        )
        .await
        .expect("again");
    assert_eq!(
        second.roles.created
            + second.permissions.created
            + second.links.created
            + second.users.created,
        0
    );
}

#[tokio::test]
async fn a_corrupt_import_is_refused_with_the_place_and_nothing_written() {
    let (svc, root) = service().await;
    let rev = svc.snapshot().state.revision;
    let e = PolicyDoc::from_toml("[[roles]]\nname = 1\n").expect_err("bad type");
    assert!(e.to_string().contains("line"), "{e}");
    let doc = PolicyDoc::from_toml("[[roles]]\nname = \"r\"\npermissions = [\"p\"]\n[[permissions]]\nkey = \"p\"\ncatalog = \"mage\"\nentity = \"Nope\"\ngrants = [\"LIST\"]\n").expect("parses");
    let e = svc
        .import(&root, &doc, false)
        .await
        .expect_err("bad entity");
    assert!(e.to_string().contains("permissions[0].entity"), "{e}");
    assert_eq!(svc.snapshot().state.revision, rev);
}

#[tokio::test]
async fn an_import_refuses_an_empty_entity_uuid_instead_of_covering_every_entity() {
    let (svc, root) = service().await;
    let rev = svc.snapshot().state.revision;
    let text = "[[permissions]]\nkey = \"p\"\ncatalog = \"mage\"\nentity = \"Pipeline\"\n\
                entity_uuid = \"\"\ngrants = [\"LIST\"]\n";
    let doc = PolicyDoc::from_toml(text).expect("parses");
    let e = svc.import(&root, &doc, true).await.expect_err("empty uuid");
    assert!(
        matches!(&e, Error::Invalid { field, .. } if field == "permissions[0].entity_uuid"),
        "{e:?}"
    );
    let json = r#"{"permissions": [{"key": "p", "catalog": "mage", "entity": "Pipeline",
                   "entity_uuid": "", "grants": ["LIST"]}]}"#;
    let doc = PolicyDoc::from_json(json).expect("parses");
    let e = svc
        .import(&root, &doc, false)
        .await
        .expect_err("empty uuid");
    assert!(
        matches!(&e, Error::Invalid { field, .. } if field == "permissions[0].entity_uuid"),
        "{e:?}"
    );
    assert_eq!(svc.snapshot().state.revision, rev);
}

#[test]
fn documents_refuse_unknown_fields_naming_them() {
    let e = PolicyDoc::from_toml("[[users]]\nusername = \"a\"\ndisabld = true\n")
        .expect_err("unknown field");
    assert!(e.to_string().contains("disabld"), "{e}");
    let e = PolicyDoc::from_json(r#"{"permisions": []}"#).expect_err("unknown field");
    assert!(e.to_string().contains("permisions"), "{e}");
    let e = PolicyDoc::from_json(
        r#"{"permissions": [{"key": "p", "catalog": "mage",
        "entity": "Pipeline", "entty_uuid": "x"}]}"#,
    )
    .expect_err("unknown nested field");
    assert!(e.to_string().contains("entty_uuid"), "{e}");
}

#[tokio::test]
async fn keys_authenticate_until_revoked_or_expired() {
    let (svc, root) = service().await;
    let id = root.user.expect("user");
    let k = svc.create_key(&root, id, true, None).await.expect("key");
    assert!(k.secret.starts_with("ghk_") && k.secret.len() > 40);
    assert_eq!(k.record.hash, hash_secret(&k.secret));
    assert!(
        !svc.snapshot()
            .state
            .keys
            .values()
            .any(|r| r.hash == k.secret || r.prefix == k.secret)
    );
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
    let r = svc
        .create_role(
            &root,
            RoleSpec {
                name: "audited".into(),
                description: String::new(),
            },
        )
        .await
        .expect("role");
    let events = svc
        .audit(
            &root,
            &AuditQuery {
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .expect("audit");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor, "root");
    assert_eq!(events[0].action, "create");
    assert_eq!(events[0].object_id, r.id.to_string());
    assert_eq!(events[0].revision, svc.snapshot().state.revision);
}
