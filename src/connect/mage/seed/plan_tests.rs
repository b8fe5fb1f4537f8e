use super::*;
use proptest::prelude::*;

fn catalogs() -> crate::catalog::Catalogs {
    crate::catalog::Catalogs::builtin().unwrap()
}

fn full_seed() -> Seed {
    let cats = catalogs();
    let doc = crate::presets::document("mage", &cats).unwrap();
    Seed::from_doc(&doc, cats.get("mage").unwrap()).unwrap()
}

fn opt(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

/// A server permission as Mage's seed (or the REST seed) stores row `r`.
fn stored(id: i64, r: &SeedRow) -> MagePermission {
    MagePermission {
        id,
        access: Some(r.access),
        entity: Some("global".into()),
        entity_id: None,
        entity_name: Some(r.entity_name.clone()),
        entity_type: None,
        conditions: opt(&r.conditions),
        query_attributes: opt(&r.query_attributes),
        read_attributes: opt(&r.read_attributes),
        write_attributes: opt(&r.write_attributes),
        created_at: None,
        updated_at: None,
        user_id: None,
    }
}

fn role(id: i64, name: &str, perms: &[i64]) -> MageRole {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "name": name,
        "role_permissions": perms.iter().map(|p| serde_json::json!({"id": p})).collect::<Vec<_>>(),
    }))
    .unwrap()
}

/// A fake server: roles and permissions.
#[derive(Debug, Clone, Default)]
struct Server {
    roles: Vec<MageRole>,
    perms: Vec<MagePermission>,
}

impl Server {
    fn next_id(&self) -> i64 {
        let r = self.roles.iter().map(|r| r.id);
        let p = self.perms.iter().map(|p| p.id);
        r.chain(p).max().unwrap_or(0) + 1
    }

    fn plan(&self, seed: &Seed) -> Plan {
        plan(seed, &self.roles, &self.perms)
    }

    /// What the REST seed does: create roles and permissions, plan again, add the links.
    fn apply(&mut self, seed: &Seed) {
        let p = self.plan(seed);
        for name in &p.roles {
            let id = self.next_id();
            self.roles.push(role(id, name, &[]));
        }
        for &row in &p.permissions {
            let id = self.next_id();
            self.perms.push(stored(id, &seed.rows[row]));
        }
        let second = self.plan(seed);
        assert!(second.roles.is_empty() && second.permissions.is_empty());
        for (rid, add) in second.link_ids().unwrap() {
            let r = self.roles.iter_mut().find(|r| r.id == rid).unwrap();
            let mut ids = r.permission_ids();
            ids.extend(add);
            *r = role(r.id, &r.name.clone(), &ids);
        }
    }
}

#[test]
fn an_empty_server_lacks_everything_mage_seeds() {
    let seed = full_seed();
    assert_eq!(seed.roles.len(), 6);
    assert_eq!(seed.rows.len(), 623);
    assert_eq!(seed.link_count(), 625);
    let p = plan(&seed, &[], &[]);
    assert_eq!(p.roles.len(), 6);
    assert_eq!(p.permissions.len(), 623);
    assert_eq!(p.missing_links(), 625);
    assert_eq!(p.counts, [(0, 6), (0, 623), (0, 625)]);
    let r = p.report(&seed);
    assert_eq!(
        (r.roles.created, r.permissions.created, r.links.created),
        (6, 623, 625)
    );
    assert!(
        p.link_ids().is_err(),
        "links to objects not made yet have no ids"
    );
}

#[test]
fn a_seeded_server_lacks_nothing_and_a_second_apply_changes_nothing() {
    let seed = full_seed();
    let mut s = Server::default();
    s.apply(&seed);
    assert_eq!(s.roles.len(), 6);
    assert_eq!(s.perms.len(), 623);
    let p = s.plan(&seed);
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(p.counts, [(6, 6), (623, 623), (625, 625)]);
    let before = (s.roles.len(), s.perms.len());
    s.apply(&seed);
    assert_eq!((s.roles.len(), s.perms.len()), before);
}

#[test]
fn attribute_lists_match_as_sets_and_other_fields_exactly() {
    let seed = full_seed();
    let i = seed
        .rows
        .iter()
        .position(|r| r.read_attributes.len() > 2)
        .unwrap();
    let row = &seed.rows[i];
    let mut shuffled = stored(1, row);
    shuffled.read_attributes.as_mut().unwrap().reverse();
    assert!(
        plan(&seed, &[], &[shuffled.clone()])
            .permissions
            .iter()
            .all(|&r| r != i)
    );
    // Each of these makes it another permission.
    let mut scoped = shuffled.clone();
    scoped.entity = Some("project".into());
    let mut one = shuffled.clone();
    one.entity_id = Some(serde_json::json!("p1"));
    let mut typed = shuffled.clone();
    typed.entity_type = Some("python".into());
    let mut fewer = shuffled.clone();
    fewer.read_attributes.as_mut().unwrap().pop();
    let mut more = shuffled.clone();
    more.access = Some(row.access | 1);
    let mut cond = shuffled;
    cond.conditions = Some(vec!["USER_OWNS_ENTITY".into()]);
    for other in [scoped, one, typed, fewer, more, cond] {
        let p = plan(&seed, &[], std::slice::from_ref(&other));
        assert!(p.permissions.contains(&i), "{other:?} must not match");
    }
    // Upper-case GLOBAL and an empty entity type are still Mage's defaults.
    let mut upper = stored(1, row);
    upper.entity = Some("GLOBAL".into());
    upper.entity_type = Some(String::new());
    assert!(!plan(&seed, &[], &[upper]).permissions.contains(&i));
}

#[test]
fn a_role_holding_any_matching_duplicate_has_the_link() {
    let seed = full_seed();
    let (ri, r) = seed
        .roles
        .iter()
        .enumerate()
        .find(|(_, r)| !r.rows.is_empty())
        .unwrap();
    let row = r.rows[0];
    let perms = vec![stored(10, &seed.rows[row]), stored(11, &seed.rows[row])];
    let roles = vec![role(1, &r.name, &[11])];
    let p = plan(&seed, &roles, &perms);
    let lacks = p.links.iter().find(|l| l.role == seed.roles[ri].name);
    assert!(lacks.is_none_or(|l| l.rows.iter().all(|(x, _)| *x != row)));
    // Another role lacking it is given the lowest id.
    let other = seed
        .roles
        .iter()
        .find(|o| o.rows.contains(&row) && o.name != r.name);
    if let Some(o) = other {
        let l = p.links.iter().find(|l| l.role == o.name).unwrap();
        assert!(l.rows.contains(&(row, Some(10))));
    }
}

/// A legacy startup permission (no entity name) with the content of `r`.
fn legacy(id: i64, r: &SeedRow) -> MagePermission {
    let mut p = stored(id, r);
    p.entity_name = Some(String::new());
    p
}

prop_compose! {
    /// A server in any state: some rows stored (lists shuffled, some twice, some as legacy
    /// copies), some roles, random links among them.
    fn any_server(rows: usize, roles: usize)(
        stored_rows in prop::collection::vec((0..rows, any::<bool>(), any::<bool>(), any::<bool>()), 0..80),
        role_names in prop::collection::vec((0..roles, any::<bool>()), 0..6),
        links in prop::collection::vec((0..8usize, 0..80usize), 0..60),
    ) -> Shape {
        (stored_rows, role_names, links)
    }
}

/// What [`any_server`] draws: stored rows (row, reversed, twice, legacy), roles (seed role,
/// renamed) and links (role, stored permission).
type Shape = (
    Vec<(usize, bool, bool, bool)>,
    Vec<(usize, bool)>,
    Vec<(usize, usize)>,
);

fn build(seed: &Seed, (rows, roles, links): &Shape) -> Server {
    let mut s = Server::default();
    for (n, &(row, reverse, twice, is_legacy)) in rows.iter().enumerate() {
        let r = &seed.rows[row];
        let id = 1000 + n as i64 * 2;
        let mut p = if is_legacy {
            legacy(id, r)
        } else {
            stored(id, r)
        };
        if reverse {
            for l in [
                &mut p.query_attributes,
                &mut p.read_attributes,
                &mut p.write_attributes,
            ]
            .into_iter()
            .flatten()
            {
                l.reverse();
            }
        }
        if twice {
            s.perms.push(stored(id + 1, r));
        }
        s.perms.push(p);
    }
    for (n, &(ri, renamed)) in roles.iter().enumerate() {
        let name = if renamed {
            format!("{} (copy)", seed.roles[ri].name)
        } else {
            seed.roles[ri].name.clone()
        };
        let ids: Vec<i64> = links
            .iter()
            .filter(|(r, _)| *r == n)
            .filter_map(|(_, p)| s.perms.get(*p).map(|p| p.id))
            .collect();
        s.roles.push(role(1 + n as i64, &name, &ids));
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn planning_after_applying_the_plan_finds_nothing_to_do(shape in any_server(623, 6)) {
        let seed = full_seed();
        let mut s = build(&seed, &shape);
        let first = s.plan(&seed);
        prop_assert_eq!(&first, &s.plan(&seed), "planning is deterministic");
        s.apply(&seed);
        let after = s.plan(&seed);
        prop_assert!(after.is_empty(), "{:?}", after);
        prop_assert_eq!(after.counts, [(6, 6), (623, 623), (625, 625)]);
        // Applying again changes nothing.
        let (r, p) = (s.roles.len(), s.perms.len());
        let links: usize = s.roles.iter().map(|r| r.permission_ids().len()).sum();
        s.apply(&seed);
        prop_assert_eq!((r, p), (s.roles.len(), s.perms.len()));
        prop_assert_eq!(links, s.roles.iter().map(|r| r.permission_ids().len()).sum::<usize>());
        // Whatever was there and held nothing of the seed is left alone.
        prop_assert_eq!(first.counts[1].0 + first.permissions.len(), 623);
    }

    #[test]
    fn legacy_permissions_never_match(rows in prop::collection::btree_set(0..623usize, 1..40)) {
        let seed = full_seed();
        let perms: Vec<MagePermission> = rows
            .iter()
            .map(|&r| legacy(r as i64 + 1, &seed.rows[r]))
            .collect();
        let p = plan(&seed, &[], &perms);
        prop_assert_eq!(p.permissions.len(), 623);
        prop_assert_eq!(p.counts[1].0, 0);
    }
}
