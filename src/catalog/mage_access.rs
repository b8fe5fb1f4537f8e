//! Mage keeps grants and denies in one integer `access`; these functions convert it to and
//! from gatehouse's two flag sets, bit for bit, using the `mage` catalog's values.

use super::Catalog;

/// The scopes a Mage permission's `entity` column takes, as Mage's JSON spells them
/// (`mage_ai/orchestration/constants.py::Entity`; `any` is refused by Mage outside its tests).
pub const MAGE_SCOPES: [&str; 3] = ["global", "project", "pipeline"];

/// The values Mage accepts in a permission's `entity_type`: its block types, then its pipeline
/// types (`BlockEntityType`, `PipelineEntityType` in
/// `mage_ai/authentication/permissions/constants.py`).
pub const MAGE_ENTITY_TYPES: [&str; 18] = [
    "callback",
    "conditional",
    "chart",
    "custom",
    "data_exporter",
    "data_loader",
    "dbt",
    "extension",
    "global_data_product",
    "markdown",
    "scratchpad",
    "sensor",
    "transformer",
    "integration",
    "databricks",
    "python",
    "pyspark",
    "streaming",
];

/// An integer that has bits the catalog does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("access {access} has unknown bits {unknown:#x}")]
pub struct MageAccessError {
    /// The whole integer.
    pub access: u64,
    /// The bits no flag defines.
    pub unknown: u64,
}

/// Splits an integer access into (grants, denies) flag names, in catalog order.
pub fn access_to_flags(
    catalog: &Catalog,
    access: u64,
) -> Result<(Vec<String>, Vec<String>), MageAccessError> {
    let mut seen = 0u64;
    let mut grants = Vec::new();
    let mut denies = Vec::new();
    for f in &catalog.flags {
        if let Some(v) = f.value
            && access & v != 0
        {
            grants.push(f.name.clone());
            seen |= v;
        }
        if let Some(v) = f.deny_value
            && access & v != 0
        {
            denies.push(f.name.clone());
            seen |= v;
        }
    }
    let unknown = access & !seen;
    if unknown != 0 {
        return Err(MageAccessError { access, unknown });
    }
    Ok((grants, denies))
}

/// Joins (grants, denies) back into the integer; names without a value are an error.
pub fn flags_to_access(
    catalog: &Catalog,
    grants: &[String],
    denies: &[String],
) -> Result<u64, String> {
    let mut access = 0u64;
    for g in grants {
        let f = catalog
            .flag(g)
            .ok_or_else(|| format!("unknown flag '{g}'"))?;
        access |= f
            .value
            .ok_or_else(|| format!("flag '{g}' has no integer value"))?;
    }
    for d in denies {
        let f = catalog
            .flag(d)
            .ok_or_else(|| format!("unknown flag '{d}'"))?;
        access |= f
            .deny_value
            .ok_or_else(|| format!("flag '{d}' cannot be denied"))?;
    }
    Ok(access)
}

/// What a Mage permission with these flags cannot do although it looks as if it could
/// (`docs/MAGE.md` §8): Mage reads every presented attribute, and the operation and the read
/// must be granted by one permission, so an operation without READ / READ_ALL here answers
/// 403 whatever other permissions hold; READ without `read_attributes` reads nothing.
pub fn mage_warnings(grants: &[String], read_attributes: &[String]) -> Vec<String> {
    let has = |f: &str| grants.iter().any(|g| g == f);
    let ops: Vec<&str> = [
        "LIST",
        "DETAIL",
        "CREATE",
        "UPDATE",
        "DELETE",
        "OPERATION_ALL",
    ]
    .into_iter()
    .filter(|f| has(f))
    .collect();
    // ALL covers everything; a lone group expands (VIEWER/EDITOR/ADMIN/OWNER include READ).
    let group_alone = grants.len() == 1
        && ["OWNER", "ADMIN", "EDITOR", "VIEWER"]
            .iter()
            .any(|g| has(g));
    let mut out = Vec::new();
    if has("ALL") || has("OWNER") {
        return out;
    }
    if !ops.is_empty() && !has("READ") && !has("READ_ALL") && !group_alone {
        out.push(format!(
            "{} without READ or READ_ALL in the same permission: Mage answers 403 \"Unauthorized read access\" (the read must come from this permission)",
            ops.join(", ")
        ));
    }
    let reads = has("READ") || group_alone;
    if reads && !has("READ_ALL") && read_attributes.is_empty() {
        out.push(
            "READ with no read_attributes reads nothing: list the attributes, or grant READ_ALL"
                .to_string(),
        );
    }
    out
}

#[cfg(test)]
mod warning_tests {
    use super::mage_warnings;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn operations_need_a_read_in_the_same_permission() {
        assert_eq!(mage_warnings(&v(&["LIST"]), &[]).len(), 1);
        assert!(mage_warnings(&v(&["LIST", "READ_ALL"]), &[]).is_empty());
        assert!(mage_warnings(&v(&["LIST", "READ"]), &v(&["name"])).is_empty());
        assert!(mage_warnings(&v(&["ALL"]), &[]).is_empty());
        let w = mage_warnings(&v(&["DETAIL", "READ"]), &[]);
        assert!(w[0].contains("read_attributes"), "{w:?}");
        let w = mage_warnings(&v(&["VIEWER"]), &[]);
        assert_eq!(
            w.len(),
            1,
            "a lone VIEWER reads only listed attributes: {w:?}"
        );
        assert!(mage_warnings(&v(&["WRITE_ALL"]), &[]).is_empty());
    }
}
