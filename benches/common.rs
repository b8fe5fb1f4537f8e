//! Synthetic worlds for the benchmarks (shared by the bench targets).
#![allow(dead_code)]

use gatehouse::catalog::Catalogs;
use gatehouse::engine::Request;
use gatehouse::model::{Id, Permission, Role, Team, User, UserKind, now};
use gatehouse::policy::State;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// Sizes of a synthetic world.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub users: usize,
    pub teams: usize,
    pub roles: usize,
    pub permissions: usize,
}

/// A small world, then PRODUCT.md §5's population (100k users, 1k teams, 1k roles) at 1k, 100k and
/// 1M permissions: the last three rows show how a check scales with the permission count.
pub const SIZES: [Size; 4] = [
    Size {
        users: 1_000,
        teams: 10,
        roles: 10,
        permissions: 1_000,
    },
    Size {
        users: 100_000,
        teams: 1_000,
        roles: 1_000,
        permissions: 1_000,
    },
    Size {
        users: 100_000,
        teams: 1_000,
        roles: 1_000,
        permissions: 100_000,
    },
    Size {
        users: 100_000,
        teams: 1_000,
        roles: 1_000,
        permissions: 1_000_000,
    },
];

const ACTIONS: [&str; 5] = ["LIST", "DETAIL", "CREATE", "UPDATE", "DELETE"];

fn id(kind: u128, n: usize) -> Id {
    Uuid::from_u128((kind << 64) | n as u128)
}

/// Builds a world over the Mage catalog: each role holds permissions/roles permissions spread
/// over every entity, a quarter of them scoped to one of 1,000 entity UUIDs, 5% denies.
pub fn world(size: Size, catalogs: &Catalogs) -> State {
    let mut rng = StdRng::seed_from_u64(7);
    let mage = catalogs.get("mage").expect("mage catalog");
    let entities: Vec<&str> = mage
        .entities
        .iter()
        .map(|e| e.name.as_str())
        .filter(|n| !n.starts_with("ALL"))
        .collect();
    let t = now();
    let mut s = State::default();
    for i in 0..size.users {
        s.users.insert(
            id(1, i),
            User {
                id: id(1, i),
                username: format!("user{i:06}"),
                email: format!("user{i}@example.org"),
                display_name: String::new(),
                kind: UserKind::Person,
                disabled: false,
                owner: false,
                created_at: t,
                updated_at: t,
                version: 1,
                first_name: String::new(),
                last_name: String::new(),
            },
        );
    }
    for i in 0..size.teams {
        s.teams.insert(
            id(2, i),
            Team {
                id: id(2, i),
                key: format!("team{i}"),
                name: format!("Team {i}"),
                description: String::new(),
                default_role: None,
                created_at: t,
                updated_at: t,
                version: 1,
            },
        );
    }
    for i in 0..size.roles {
        s.roles.insert(
            id(3, i),
            Role {
                id: id(3, i),
                name: format!("role{i}"),
                description: String::new(),
                created_at: t,
                updated_at: t,
                version: 1,
                created_by: None,
            },
        );
    }
    for i in 0..size.permissions {
        let entity = entities[rng.random_range(0..entities.len())];
        let uuid =
            (rng.random_range(0..4) == 0).then(|| format!("obj{}", rng.random_range(0..1000)));
        let action = ACTIONS[rng.random_range(0..ACTIONS.len())].to_string();
        let deny = rng.random_range(0..20) == 0;
        let p = Permission {
            id: id(4, i),
            catalog: "mage".into(),
            entity: entity.into(),
            entity_uuid: uuid,
            grants: if deny { vec![] } else { vec![action.clone()] },
            denies: if deny { vec![action] } else { vec![] },
            conditions: vec![],
            query_attributes: vec![],
            read_attributes: vec![],
            write_attributes: vec![],
            description: String::new(),
            created_at: t,
            updated_at: t,
            version: 1,
            created_by: None,
            entity_type: None,
            scope: None,
        };
        s.permissions.insert(&p);
        s.role_permissions.insert((id(3, i % size.roles), id(4, i)));
    }
    for u in 0..size.users {
        for _ in 0..rng.random_range(1..=3) {
            s.user_roles
                .insert((id(1, u), id(3, rng.random_range(0..size.roles))));
        }
        if rng.random_range(0..2) == 0 {
            let team = rng.random_range(0..size.teams);
            let role =
                (rng.random_range(0..2) == 0).then(|| id(3, rng.random_range(0..size.roles)));
            s.members.insert((id(2, team), id(1, u)), role);
        }
    }
    for t in 0..size.teams {
        s.team_roles
            .insert((id(2, t), id(3, rng.random_range(0..size.roles))));
    }
    s.reindex();
    s
}

/// Random check requests against a world of `size`.
pub fn requests(size: Size, catalogs: &Catalogs, n: usize) -> Vec<Request> {
    let mut rng = StdRng::seed_from_u64(11);
    let mage = catalogs.get("mage").expect("mage catalog");
    let entities: Vec<&str> = mage
        .entities
        .iter()
        .map(|e| e.name.as_str())
        .filter(|n| !n.starts_with("ALL"))
        .collect();
    (0..n)
        .map(|_| Request {
            at: None,
            user: id(1, rng.random_range(0..size.users)),
            catalog: "mage".into(),
            action: ACTIONS[rng.random_range(1..ACTIONS.len())].into(),
            entity: entities[rng.random_range(0..entities.len())].into(),
            entity_uuid: Some(format!("obj{}", rng.random_range(0..1000))),
            resource_owner: None,
            resource_team: (rng.random_range(0..2) == 0)
                .then(|| id(2, rng.random_range(0..size.teams))),
            attribute: None,
        })
        .collect()
}

/// Percentile (0..=100) of sorted nanoseconds.
pub fn percentile(sorted: &[u128], p: f64) -> u128 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * p / 100.0).round() as usize;
    sorted[i]
}
