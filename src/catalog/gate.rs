//! Conditions under a gate: in a Mage-dialect catalog, a permission's conditions count only when
//! it also grants the catalog's modifier flag (Mage's DISABLE_UNLESS_CONDITIONS); without it Mage
//! ignores them and the permission grants unconditionally (`docs/MAGE.md` §4 step 9). What
//! choosing a condition does ([`Catalog::gate_conditions`], as Mage's own permission page) and
//! how to tell a permission whose conditions are ignored ([`Catalog::inert_conditions`]) are
//! here, for the engine, the CLI and the console alike.

use super::{Catalog, Catalogs, Dialect, Flag};

impl Catalog {
    /// The modifier flag under which this catalog's conditions count, if it has one: Mage's
    /// DISABLE_UNLESS_CONDITIONS. A standard-dialect catalog checks conditions always.
    pub fn condition_gate(&self) -> Option<&Flag> {
        if self.dialect != Dialect::Mage {
            return None;
        }
        self.flags.iter().find(|f| f.modifier)
    }

    /// The gate a permission with these `grants` and `conditions` lacks, making the conditions
    /// inert (ignored: the permission grants as if it had none); `None` when it has no
    /// condition, holds the gate, or the catalog has none.
    pub fn inert_conditions(&self, grants: &[String], conditions: &[String]) -> Option<&str> {
        if conditions.is_empty() {
            return None;
        }
        let gate = self.condition_gate()?;
        (!grants.contains(&gate.name)).then_some(gate.name.as_str())
    }

    /// What choosing `conditions` does to `grants`, as Mage's own permission page: adds the
    /// gate when there are conditions and it is missing. Returns the flag added, if any.
    pub fn gate_conditions(
        &self,
        grants: &mut Vec<String>,
        conditions: &[String],
    ) -> Option<String> {
        let gate = self.inert_conditions(grants, conditions)?.to_string();
        grants.push(gate.clone());
        Some(gate)
    }
}

impl Catalogs {
    /// [`Catalog::inert_conditions`] of a permission in catalog `catalog` (`None` for an
    /// unknown catalog).
    pub fn inert_conditions(
        &self,
        catalog: &str,
        grants: &[String],
        conditions: &[String],
    ) -> Option<&str> {
        self.get(catalog)?.inert_conditions(grants, conditions)
    }

    /// The warning for a permission whose conditions are ignored: which, why, and the fix.
    pub fn inert_conditions_warning(
        &self,
        catalog: &str,
        grants: &[String],
        conditions: &[String],
    ) -> Option<String> {
        let gate = self.inert_conditions(catalog, grants, conditions)?;
        Some(format!(
            "conditions {} ignored by Mage: no {gate}, so the permission grants unconditionally; \
             grant {gate} to make them count",
            conditions.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::Catalogs;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn mage_conditions_without_the_gate_are_inert() {
        let c = Catalogs::builtin().unwrap();
        let mage = c.get("mage").unwrap();
        assert_eq!(
            mage.condition_gate().map(|f| f.name.as_str()),
            Some("DISABLE_UNLESS_CONDITIONS")
        );
        let cond = v(&["USER_OWNS_ENTITY"]);
        assert_eq!(
            mage.inert_conditions(&v(&["UPDATE"]), &cond),
            Some("DISABLE_UNLESS_CONDITIONS")
        );
        assert_eq!(
            c.inert_conditions("mage", &v(&["UPDATE", "DISABLE_UNLESS_CONDITIONS"]), &cond),
            None
        );
        assert_eq!(mage.inert_conditions(&v(&["UPDATE"]), &[]), None);
        // A standard-dialect catalog checks conditions always; an unknown one says nothing.
        assert_eq!(
            c.inert_conditions("gatehouse", &v(&["read"]), &v(&["own"])),
            None
        );
        assert_eq!(
            c.inert_conditions("nope", &v(&["read"]), &v(&["own"])),
            None
        );
        let w = c
            .inert_conditions_warning("mage", &v(&["UPDATE"]), &cond)
            .unwrap();
        assert!(
            w.contains("USER_OWNS_ENTITY") && w.contains("grant DISABLE_UNLESS_CONDITIONS"),
            "{w}"
        );
    }

    #[test]
    fn choosing_a_condition_adds_the_gate_once() {
        let c = Catalogs::builtin().unwrap();
        let mage = c.get("mage").unwrap();
        let mut g = v(&["UPDATE"]);
        assert_eq!(
            mage.gate_conditions(&mut g, &v(&["USER_OWNS_ENTITY"])),
            Some("DISABLE_UNLESS_CONDITIONS".into())
        );
        assert_eq!(g, v(&["UPDATE", "DISABLE_UNLESS_CONDITIONS"]));
        assert_eq!(
            mage.gate_conditions(&mut g, &v(&["USER_OWNS_ENTITY"])),
            None
        );
        assert_eq!(g.len(), 2);
        let mut g = v(&["UPDATE"]);
        assert_eq!(mage.gate_conditions(&mut g, &[]), None);
        assert_eq!(g, v(&["UPDATE"]));
        let mut g = v(&["read"]);
        let admin = c.get("gatehouse").unwrap();
        assert_eq!(admin.gate_conditions(&mut g, &v(&["own"])), None);
        assert_eq!(g, v(&["read"]));
    }
}
