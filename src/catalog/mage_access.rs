//! Mage keeps grants and denies in one integer `access`; these functions convert it to and
//! from gatehouse's two flag sets, bit for bit, using the `mage` catalog's values.

use super::Catalog;

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
