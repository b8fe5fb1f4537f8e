//! What a Mage server's records hold beyond gatehouse's model, kept from the last read so a
//! whole-call decision knows what Mage would present (`docs/MAGE_CALLS.md`): each list in
//! Mage's order, a role's creator and its legacy `permissions` (the `role_id` link), which
//! roles hold which permissions and users. Ids are Mage's integers.

use super::wire::{MagePermission, MageRole, MageUser};
use crate::engine::CallData;
use crate::model::Id;
use std::collections::HashMap;

/// The records of the last read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    roles: Vec<i64>,
    users: Vec<i64>,
    permissions: Vec<i64>,
    role_creator: HashMap<i64, i64>,
    role_legacy: HashMap<i64, Vec<i64>>,
    role_perms: HashMap<i64, Vec<i64>>,
    role_users: HashMap<i64, Vec<i64>>,
    user_roles: HashMap<i64, Vec<i64>>,
    /// gatehouse's id of each user → Mage's.
    user_ids: HashMap<Id, i64>,
}

impl Facts {
    /// From the three lists as Mage answered them.
    pub fn new(roles: &[MageRole], perms: &[MagePermission], users: &[MageUser]) -> Facts {
        let mut f = Facts {
            roles: roles.iter().map(|r| r.id).collect(),
            users: users.iter().map(|u| u.id).collect(),
            permissions: perms.iter().map(|p| p.id).collect(),
            ..Facts::default()
        };
        for r in roles {
            if let Some(u) = &r.user {
                f.role_creator.insert(r.id, u.id);
            }
            let legacy: Vec<i64> = r.permissions.iter().flatten().map(|p| p.id).collect();
            f.role_legacy.insert(r.id, legacy);
            f.role_perms.insert(r.id, r.permission_ids());
        }
        for u in users {
            let roles = u.role_ids();
            for r in &roles {
                f.role_users.entry(*r).or_default().push(u.id);
            }
            f.user_roles.insert(u.id, roles);
        }
        f
    }

    /// Records that the user gatehouse calls `id` is Mage's user `mage`.
    pub fn know_user(&mut self, id: Id, mage: i64) {
        self.user_ids.insert(id, mage);
    }

    /// One record's list under `map`, or (no record) the records' lists joined in order.
    fn of(
        &self,
        order: &[i64],
        map: &HashMap<i64, Vec<i64>>,
        id: Option<&str>,
    ) -> Option<Vec<i64>> {
        match id {
            Some(id) => {
                let id: i64 = id.trim().parse().ok()?;
                if !order.contains(&id) {
                    return None;
                }
                Some(map.get(&id).cloned().unwrap_or_default())
            }
            None => Some(
                order
                    .iter()
                    .flat_map(|r| map.get(r).cloned().unwrap_or_default())
                    .collect(),
            ),
        }
    }

    fn creators(&self, id: Option<&str>) -> Option<Vec<i64>> {
        let one = |r: &i64| self.role_creator.get(r).copied();
        match id {
            Some(id) => {
                let id: i64 = id.trim().parse().ok()?;
                self.roles
                    .contains(&id)
                    .then(|| one(&id).into_iter().collect())
            }
            None => Some(self.roles.iter().filter_map(one).collect()),
        }
    }
}

impl CallData for Facts {
    fn records(&self, entity: &str) -> Option<Vec<String>> {
        let ids = match entity {
            "Role" => &self.roles,
            "User" => &self.users,
            "Permission" => &self.permissions,
            _ => return None,
        };
        Some(ids.iter().map(i64::to_string).collect())
    }

    fn nested(&self, entity: &str, uuid: Option<&str>, attribute: &str) -> Option<Vec<String>> {
        let ids = match (entity, attribute) {
            ("Role", "permissions") => self.of(&self.roles, &self.role_legacy, uuid),
            ("Role", "role_permissions") => self.of(&self.roles, &self.role_perms, uuid),
            ("Role", "users") => self.of(&self.roles, &self.role_users, uuid),
            ("Role", "user") => self.creators(uuid),
            ("User", "roles_new") => self.of(&self.users, &self.user_roles, uuid),
            _ => None,
        }?;
        Some(ids.iter().map(i64::to_string).collect())
    }

    fn created(&self, entity: &str, attribute: &str, caller: Id) -> Option<Vec<String>> {
        match (entity, attribute) {
            // Mage sets a new role's creator to the caller; the UI's payload links nothing.
            ("Role", "user") => self.user_ids.get(&caller).map(|i| vec![i.to_string()]),
            ("Role", "permissions" | "role_permissions" | "users") => Some(Vec::new()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts() -> Facts {
        let roles: Vec<MageRole> = serde_json::from_value(json!([
            {"id": 2, "name": "a", "user": {"id": 1}, "role_permissions": [{"id": 7}]},
            {"id": 3, "name": "b", "user": null, "permissions": [{"id": 9}], "role_permissions": []}
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        let users: Vec<MageUser> = serde_json::from_value(json!([
            {"id": 1, "email": "o@x"}, {"id": 4, "email": "u@x", "roles_new": [{"id": 3}]}
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        Facts::new(&roles, &[], &users)
    }

    #[test]
    fn nested_records_are_known_per_record_and_for_a_whole_list() {
        let f = facts();
        let n = |e: &str, u: Option<&str>, a: &str| f.nested(e, u, a);
        assert_eq!(
            n("Role", Some("2"), "role_permissions"),
            Some(vec!["7".into()])
        );
        assert_eq!(n("Role", Some("3"), "role_permissions"), Some(vec![]));
        assert_eq!(n("Role", Some("3"), "user"), Some(vec![]), "a null creator");
        assert_eq!(n("Role", Some("2"), "user"), Some(vec!["1".into()]));
        assert_eq!(n("Role", None, "permissions"), Some(vec!["9".into()]));
        assert_eq!(n("Role", Some("3"), "users"), Some(vec!["4".into()]));
        assert_eq!(n("User", Some("1"), "roles_new"), Some(vec![]));
        assert_eq!(n("Role", Some("99"), "users"), None, "an unknown record");
        assert_eq!(n("Pipeline", None, "blocks"), None, "an entity not read");
        assert_eq!(f.records("User"), Some(vec!["1".into(), "4".into()]));
        assert_eq!(f.records("Secret"), None);
    }

    #[test]
    fn a_new_role_is_made_by_its_caller_and_links_nothing() {
        let mut f = facts();
        let caller = Id::from_u128(7);
        assert_eq!(f.created("Role", "user", caller), None, "an unknown caller");
        f.know_user(caller, 4);
        assert_eq!(f.created("Role", "user", caller), Some(vec!["4".into()]));
        assert_eq!(f.created("Role", "role_permissions", caller), Some(vec![]));
        assert_eq!(f.created("Pipeline", "blocks", caller), None);
    }
}
