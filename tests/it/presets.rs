//! Presets: the `mage` preset equals Mage's own seed field by field; every preset is
//! idempotent and reports created vs already present.

use gatehouse::backend::Backend;
use gatehouse::catalog::{Catalogs, flags_to_access};
use gatehouse::connect::LocalBackend;
use gatehouse::presets::{PRESETS, mage_seed};
use gatehouse::store::MemoryStore;
use std::collections::BTreeMap;
use std::sync::Arc;

async fn backend() -> LocalBackend {
    let mut b =
        LocalBackend::with_store(Arc::new(MemoryStore::new()), "memory".into(), None, false)
            .await
            .expect("open");
    b.init_and_adopt("root").await.expect("init");
    b
}

type Row = (
    u64,
    String,
    Vec<String>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
);

#[tokio::test]
async fn mage_preset_equals_mages_own_seed_field_by_field() {
    let b = backend().await;
    let report = b.apply_preset("mage", false).await.expect("apply");
    assert_eq!(report.roles.created, 6);
    assert_eq!(report.permissions.created, 623);
    assert_eq!(report.links.created, 625);
    assert_eq!(report.created_roles.len(), 6);

    let cats = Catalogs::builtin().expect("catalogs");
    let mage = cats.get("mage").expect("mage catalog");
    let state = b.state().await.expect("state");
    let seed = mage_seed().expect("seed");
    assert_eq!(seed.len(), 6);
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    for (role_name, perms) in &seed {
        let role = state
            .role_by_name(role_name)
            .unwrap_or_else(|| panic!("role {role_name}"));
        let mut expected: Vec<Row> = perms
            .iter()
            .map(|p| {
                (
                    p.access,
                    p.entity_name.clone(),
                    sorted(p.conditions.clone()),
                    p.query_attributes.clone(),
                    p.read_attributes.clone(),
                    p.write_attributes.clone(),
                )
            })
            .collect();
        let mut actual: Vec<Row> = state
            .role_permissions
            .iter()
            .filter(|(r, _)| *r == role.id)
            .map(|(_, pid)| {
                let p = state.permissions.get(pid).expect("linked permission");
                assert_eq!(p.catalog, "mage");
                assert_eq!(p.entity_uuid, None, "Mage's seed is never uuid-scoped");
                let access = flags_to_access(mage, &p.grants, &p.denies).expect("bits");
                (
                    access,
                    p.entity.clone(),
                    p.conditions.clone(),
                    p.query_attributes.clone(),
                    p.read_attributes.clone(),
                    p.write_attributes.clone(),
                )
            })
            .collect();
        expected.sort();
        actual.sort();
        assert_eq!(actual.len(), perms.len(), "{role_name}: link count");
        assert_eq!(actual, expected, "{role_name}");
    }
    // The two permissions Mage shares between Editor and Viewer are one object here too.
    let mage_perms = state
        .permissions
        .values()
        .filter(|p| p.catalog == "mage")
        .count();
    assert_eq!(mage_perms, 623);
}

#[tokio::test]
async fn every_preset_is_idempotent() {
    for preset in PRESETS {
        let b = backend().await;
        let dry = b.apply_preset(preset.name, true).await.expect("dry run");
        assert!(dry.dry_run);
        let before = b.state().await.expect("state").revision;
        assert_eq!(
            dry.revision, before,
            "{}: a dry run writes nothing",
            preset.name
        );
        let first = b.apply_preset(preset.name, false).await.expect("apply");
        assert_eq!(
            (first.roles, first.permissions, first.links),
            (dry.roles, dry.permissions, dry.links),
            "{}: the dry run announced what the apply did",
            preset.name
        );
        let second = b.apply_preset(preset.name, false).await.expect("again");
        assert_eq!(
            second.roles.created + second.permissions.created + second.links.created,
            0,
            "{}",
            preset.name
        );
        assert_eq!(
            second.roles.present,
            first.roles.created + first.roles.present,
            "{}",
            preset.name
        );
        assert_eq!(
            second.permissions.present,
            first.permissions.created + first.permissions.present,
            "{}",
            preset.name
        );
        let after = b.state().await.expect("state").revision;
        assert_eq!(
            after, first.revision,
            "{}: nothing written the second time",
            preset.name
        );
    }
}

#[tokio::test]
async fn presets_compose_and_fetchml_carries_own_conditions() {
    let b = backend().await;
    for p in ["adaptive", "fetchml", "okdata", "mage"] {
        b.apply_preset(p, false).await.expect(p);
    }
    let state = b.state().await.expect("state");
    let researcher = state.role_by_name("researcher").expect("researcher");
    let conds: BTreeMap<String, Vec<String>> = state
        .role_permissions
        .iter()
        .filter(|(r, _)| *r == researcher.id)
        .map(|(_, p)| {
            let p = state.permissions.get(p).expect("linked permission");
            (p.grants.join(","), p.conditions.clone())
        })
        .collect();
    assert_eq!(conds.get("read"), Some(&vec!["own".to_string()]));
    assert_eq!(conds.get("update"), Some(&vec!["own".to_string()]));
    assert_eq!(conds.get("create"), Some(&vec![]));
    assert!(state.role_by_name("platform_admin").is_some());
    assert!(state.team_by_key("admin").is_some());
    let err = b
        .apply_preset("nope", false)
        .await
        .expect_err("unknown preset");
    assert!(
        err.to_string().contains("mage, adaptive, fetchml, okdata"),
        "{err}"
    );
}
