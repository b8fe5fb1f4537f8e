use super::*;

fn cats() -> Catalogs {
    Catalogs::builtin().expect("built-in catalogs parse")
}

#[test]
fn builtin_catalogs_load_in_order() {
    assert_eq!(
        cats().names(),
        ["gatehouse", "mage", "adaptive", "fetchml", "okdata"]
    );
}

#[test]
fn mage_catalog_has_all_94_entities_and_exact_bits() {
    let c = cats();
    let mage = c.get("mage").expect("mage");
    assert_eq!(mage.entities.len(), 94);
    assert!(mage.entity("Pipeline").is_some());
    assert!(mage.entity("ALL_EXCEPT_RESERVED").is_some());
    let expect = [
        ("OWNER", 1, None),
        ("ADMIN", 2, None),
        ("EDITOR", 4, None),
        ("VIEWER", 8, None),
        ("LIST", 16, Some(262144)),
        ("DETAIL", 32, Some(524288)),
        ("CREATE", 64, Some(1048576)),
        ("UPDATE", 128, Some(2097152)),
        ("DELETE", 512, Some(4194304)),
        ("OPERATION_ALL", 1024, Some(8388608)),
        ("QUERY", 2048, Some(16777216)),
        ("QUERY_ALL", 4096, Some(33554432)),
        ("READ", 8192, Some(67108864)),
        ("READ_ALL", 16384, Some(134217728)),
        ("WRITE", 32768, Some(268435456)),
        ("WRITE_ALL", 65536, Some(536870912)),
        ("ALL", 131072, None),
        ("DISABLE_UNLESS_CONDITIONS", 1073741824, None),
    ];
    for (name, v, d) in expect {
        let f = mage.flag(name).unwrap_or_else(|| panic!("flag {name}"));
        assert_eq!(f.value, Some(v), "{name}");
        assert_eq!(f.deny_value, d, "{name}");
    }
}

#[test]
fn mage_groups_expand_to_the_documented_values() {
    let c = cats();
    let mage = c.get("mage").expect("mage");
    let value = |mask: u64| -> u64 {
        mage.names(mask)
            .iter()
            .filter_map(|n| mage.flag(n).and_then(|f| f.value))
            .sum()
    };
    for (group, total) in [
        ("VIEWER", 8248),
        ("EDITOR", 43772),
        ("ADMIN", 43774),
        ("OWNER", 43775),
    ] {
        let m = mage.mask([&group.to_string()]).expect("known");
        assert_eq!(value(mage.expand(m)), total, "{group}");
    }
    let op_all = mage.mask([&"OPERATION_ALL".to_string()]).expect("known");
    assert_eq!(
        mage.names(mage.expand(op_all)),
        [
            "LIST",
            "DETAIL",
            "CREATE",
            "UPDATE",
            "DELETE",
            "OPERATION_ALL"
        ]
    );
}

#[test]
fn mage_access_round_trips_bit_for_bit() {
    let c = cats();
    let mage = c.get("mage").expect("mage");
    for access in [
        0u64,
        1,
        8,
        176,
        9216,
        8352,
        262144 | 16 | 16384,
        1073741824 | 64,
        131072 | 8388608,
    ] {
        let (g, d) = access_to_flags(mage, access).expect("known bits");
        assert_eq!(flags_to_access(mage, &g, &d), Ok(access), "{access}");
    }
    let (g, d) = access_to_flags(mage, 16 | 262144).expect("known bits");
    assert_eq!((g, d), (vec!["LIST".to_string()], vec!["LIST".to_string()]));
    assert_eq!(
        access_to_flags(mage, 256),
        Err(MageAccessError {
            access: 256,
            unknown: 256
        })
    );
    assert!(flags_to_access(mage, &[], &["OWNER".into()]).is_err());
}

#[test]
fn resolve_finds_unique_entities_and_reports_ambiguity() {
    let c = cats();
    assert_eq!(
        c.resolve(None, "Pipeline").map(|r| r.catalog.name.as_str()),
        Ok("mage")
    );
    assert_eq!(
        c.resolve(None, "okdata:dataset")
            .map(|r| r.catalog.name.as_str()),
        Ok("okdata")
    );
    let amb = c.resolve(None, "User").expect_err("ambiguous");
    assert!(amb.contains("gatehouse") && amb.contains("mage"), "{amb}");
    assert_eq!(
        c.resolve(Some("gatehouse"), "User")
            .map(|r| r.catalog.name.as_str()),
        Ok("gatehouse")
    );
    assert_eq!(
        c.resolve(None, "mage:User")
            .map(|r| (r.catalog.name.as_str(), r.entity)),
        Ok(("mage", "User"))
    );
    let bad = c
        .resolve(Some("mage"), "pipeline")
        .expect_err("case matters");
    assert!(bad.contains("did you mean Pipeline"), "{bad}");
    assert!(c.resolve(None, "Nope").is_err());
}

#[test]
fn entity_matching_honours_all_and_reserved() {
    let c = cats();
    let mage = c.get("mage").expect("mage");
    assert!(mage.entity_matches("ALL", "Workspace"));
    assert!(mage.entity_matches("ALL_EXCEPT_RESERVED", "Pipeline"));
    assert!(!mage.entity_matches("ALL_EXCEPT_RESERVED", "Workspace"));
    assert!(!mage.entity_matches("Block", "Pipeline"));
}

#[test]
fn bad_catalogs_are_rejected_with_the_reason() {
    let e = Catalog::from_toml(
        "x.toml",
        "name='x'\ntitle='X'\n[[flags]]\nname='a'\nimplies=['b']",
    )
    .expect_err("bad");
    assert!(e.to_string().contains("implies unknown flag 'b'"), "{e}");
    let e = Catalog::from_toml("x.toml", "name='x'").expect_err("no title");
    assert!(e.to_string().starts_with("catalog x.toml:"), "{e}");
}

#[test]
fn entity_flag_lists_restrict_choices() {
    let c = cats();
    let ok = c.get("okdata").expect("okdata");
    let names: Vec<&str> = ok
        .flags_for("maskinporten:client")
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["read", "write"]);
    assert_eq!(ok.guarded_flag.as_deref(), Some("admin"));
}
