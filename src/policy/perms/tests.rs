//! The packed table reads back what went in, in id order, sharing what repeats.
use super::*;
use crate::model::now;

fn perm(i: u128, entity: &str, grants: &[&str]) -> Permission {
    let t = now();
    Permission {
        id: Id::from_u128(i),
        catalog: "mage".into(),
        entity: entity.into(),
        entity_uuid: i.is_multiple_of(2).then(|| format!("object-{i}")),
        grants: grants.iter().map(|g| g.to_string()).collect(),
        denies: vec![],
        conditions: if i.is_multiple_of(3) {
            vec!["own".into()]
        } else {
            vec![]
        },
        query_attributes: if i == 7 { vec!["a".into()] } else { vec![] },
        read_attributes: vec![],
        write_attributes: vec![],
        description: if i == 5 { "five".into() } else { String::new() },
        entity_type: (i == 4).then(|| "python".into()),
        scope: (i == 4 || i == 8).then(|| "project".into()),
        created_by: (i % 4 == 1).then(|| Id::from_u128(99)),
        created_at: t,
        updated_at: t,
        version: i as u64,
    }
}

#[test]
fn a_permission_reads_back_as_it_went_in() {
    let ps: Vec<Permission> = (1..=12)
        .map(|i| {
            perm(
                i,
                ["Pipeline", "Block"][i as usize % 2],
                &["DETAIL", "UPDATE"],
            )
        })
        .collect();
    let mut t = Permissions::new();
    for p in &ps {
        t.insert(p);
    }
    assert_eq!(t.len(), 12);
    for p in &ps {
        assert_eq!(t.get(&p.id).as_ref(), Some(p));
    }
    assert_eq!(t.values().collect::<Vec<_>>(), ps, "in id order");
    // Two entity types, one flag list and two condition lists are kept once each.
    assert_eq!(t.strings.items.len(), 2, "Block, Pipeline");
    // The catalog, entity type, scope and creator combinations, once each: (none), creator
    // 99, python/project, project alone.
    assert_eq!(t.heads.items.len(), 4);
    let four = t
        .view(&Id::from_u128(4))
        .map(|v| (v.entity_type(), v.scope(), v.created_by()));
    assert_eq!(four, Some((Some("python"), Some("project"), None)));
    assert_eq!(
        t.view(&Id::from_u128(5)).and_then(|v| v.created_by()),
        Some(Id::from_u128(99))
    );
    assert_eq!(t.lists.items.len(), 3, "[DETAIL UPDATE], [], [own]");
    assert_eq!(Permissions::from_iter(ps.clone()), t);
}

#[test]
fn rare_times_and_versions_read_back() {
    let mut t = Permissions::new();
    let mut updated = perm(1, "Pipeline", &["DETAIL"]);
    updated.updated_at = updated.created_at + time::Duration::seconds(5);
    let mut huge = perm(2, "Pipeline", &["DETAIL"]);
    huge.version = u64::from(u32::MAX) + 7;
    let mut edge = perm(3, "Pipeline", &["DETAIL"]);
    edge.version = u64::from(u32::MAX);
    let plain = perm(4, "Pipeline", &["DETAIL"]);
    for p in [&updated, &huge, &edge, &plain] {
        t.insert(p);
        assert_eq!(t.get(&p.id).as_ref(), Some(p));
        assert_eq!(t.view(&p.id).map(|v| v.version()), Some(p.version));
    }
    // Creation times a nanosecond count in UTC cannot hold, and one at the edge of it.
    let offset = time::UtcOffset::from_hms(2, 30, 0).expect("offset");
    let mut local = perm(5, "Pipeline", &["DETAIL"]);
    local.created_at = local.created_at.to_offset(offset);
    local.updated_at = local.created_at;
    let mut far = perm(6, "Pipeline", &["DETAIL"]);
    far.created_at = time::macros::datetime!(2300-01-01 0:00 UTC);
    far.updated_at = far.created_at;
    let mut old = perm(7, "Pipeline", &["DETAIL"]);
    old.created_at = time::macros::datetime!(1677-09-21 0:12:43.145224191 UTC);
    old.updated_at = old.created_at;
    // i64::MIN nanoseconds is the marker: one past it fits.
    let mut early = perm(8, "Pipeline", &["DETAIL"]);
    early.created_at = time::macros::datetime!(1677-09-21 0:12:43.145224193 UTC);
    let mut marker = perm(9, "Pipeline", &["DETAIL"]);
    marker.created_at = time::macros::datetime!(1677-09-21 0:12:43.145224192 UTC);
    marker.updated_at = marker.created_at;
    early.updated_at = early.created_at;
    for p in [&local, &far, &old, &early, &marker] {
        t.insert(p);
        let back = t.get(&p.id).expect("stored");
        assert_eq!(back, *p);
        assert_eq!(back.created_at.offset(), p.created_at.offset());
    }
    // Only the unusual ones pay for the boxed part.
    let boxed: Vec<bool> = t.map.iter().map(|(_, p)| p.rare.is_some()).collect();
    assert_eq!(
        boxed,
        [true, true, true, false, true, true, true, false, true]
    );
    assert!(size_of::<Packed>() <= 64, "{} bytes", size_of::<Packed>());
}

#[test]
fn entity_uuids_of_any_length_read_back() {
    let mut t = Permissions::new();
    for (i, len) in [0usize, 1, 13, 23, 24, 25, 36, 255].into_iter().enumerate() {
        let mut p = perm(i as u128 * 2, "Pipeline", &["DETAIL"]);
        p.entity_uuid = Some("é".repeat(len / 2) + "u".repeat(len % 2).as_str());
        t.insert(&p);
        assert_eq!(t.get(&p.id), Some(p.clone()), "{len} bytes");
        let v = t.view(&p.id).expect("stored");
        assert_eq!(v.entity_uuid(), p.entity_uuid.as_deref());
    }
}

#[test]
fn replace_remove_and_append() {
    let mut t: Permissions = (1..=4).map(|i| perm(i, "Pipeline", &["DETAIL"])).collect();
    let mut changed = perm(2, "Block", &["UPDATE"]);
    changed.description = "now described".into();
    t.insert(&changed);
    assert_eq!(t.get(&changed.id), Some(changed.clone()));
    assert!(t.remove(&Id::from_u128(1)));
    assert!(!t.remove(&Id::from_u128(1)), "already gone");
    let mut other: Permissions = (4..=6).map(|i| perm(i, "File", &["LIST"])).collect();
    t.append(&mut other);
    assert!(other.is_empty());
    let ids: Vec<u128> = t.keys().map(|id| id.as_u128()).collect();
    assert_eq!(ids, vec![2, 3, 4, 5, 6]);
    assert_eq!(t.view(&Id::from_u128(4)).map(|v| v.entity()), Some("File"));
    assert_ne!(t, Permissions::new());
}

#[test]
fn serializes_as_a_map_by_id() {
    let ps: Vec<Permission> = (1..=3).map(|i| perm(i, "Pipeline", &["DETAIL"])).collect();
    let t: Permissions = ps.iter().cloned().collect();
    let as_map: BTreeMap<Id, Permission> = ps.iter().map(|p| (p.id, p.clone())).collect();
    let json = serde_json::to_value(&t).expect("serialize");
    assert_eq!(json, serde_json::to_value(&as_map).expect("serialize map"));
    let back: Permissions = serde_json::from_value(json).expect("deserialize");
    assert_eq!(back, t);
}
