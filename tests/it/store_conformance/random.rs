//! Randomized differential test: the same random commits go to a `MemoryStore` (the
//! reference) and the store under test; results, loaded states and audit logs must match.

use super::*;

/// Small pools so that collisions (duplicates, conflicts, in-use deletes) are frequent.
struct Pools {
    users: Vec<Id>,
    teams: Vec<Id>,
    roles: Vec<Id>,
    perms: Vec<Id>,
    keys: Vec<Id>,
}

const NAMES: &[&str] = &[
    "alice", "Alice", "BOB", "bob", "Ünï", "üNÏ", "carol", "x", "dave", "eve", "Frank", "göran",
    "ÆØÅ", "zed", "y", "quux",
];

fn pick<T: Copy>(rng: &mut StdRng, v: &[T]) -> T {
    v[rng.random_range(0..v.len())]
}

fn name(rng: &mut StdRng) -> String {
    pick(rng, NAMES).to_string()
}

fn list(rng: &mut StdRng) -> Vec<String> {
    let n = rng.random_range(0..3);
    (0..n).map(|_| name(rng)).collect()
}

fn opt_id(rng: &mut StdRng, v: &[Id]) -> Option<Id> {
    rng.random_bool(0.5).then(|| pick(rng, v))
}

fn time(rng: &mut StdRng) -> OffsetDateTime {
    at(rng.random_range(-1_000_000_000..1_000_000_000))
}

fn object(rng: &mut StdRng, p: &Pools, kind: u32, version: u64) -> Object {
    match kind {
        0 => Object::User(User {
            id: pick(rng, &p.users),
            username: name(rng),
            email: name(rng),
            display_name: name(rng),
            kind: if rng.random_bool(0.5) {
                UserKind::Person
            } else {
                UserKind::Service
            },
            disabled: rng.random_bool(0.5),
            owner: rng.random_bool(0.5),
            created_at: time(rng),
            updated_at: time(rng),
            version,
            first_name: name(rng),
            last_name: format!("{} {}", name(rng), name(rng)),
        }),
        1 => Object::Team(Team {
            id: pick(rng, &p.teams),
            key: name(rng),
            name: name(rng),
            description: name(rng),
            default_role: opt_id(rng, &p.roles),
            created_at: time(rng),
            updated_at: time(rng),
            version,
        }),
        2 => Object::Role(Role {
            id: pick(rng, &p.roles),
            name: name(rng),
            description: name(rng),
            created_at: time(rng),
            updated_at: time(rng),
            version,
            created_by: opt_id(rng, &p.users),
        }),
        3 => Object::Permission(Permission {
            id: pick(rng, &p.perms),
            catalog: name(rng),
            entity: name(rng),
            entity_uuid: rng.random_bool(0.5).then(|| name(rng)),
            grants: list(rng),
            denies: list(rng),
            conditions: list(rng),
            query_attributes: list(rng),
            read_attributes: list(rng),
            write_attributes: list(rng),
            description: name(rng),
            created_at: time(rng),
            updated_at: time(rng),
            version,
            created_by: opt_id(rng, &p.users),
            entity_type: rng.random_bool(0.5).then(|| name(rng)),
            scope: rng.random_bool(0.5).then(|| name(rng)),
        }),
        _ => Object::ApiKey(ApiKey {
            id: pick(rng, &p.keys),
            prefix: name(rng),
            hash: name(rng),
            user_id: pick(rng, &p.users),
            read_only: rng.random_bool(0.5),
            expires_at: rng.random_bool(0.5).then(|| time(rng)),
            created_at: time(rng),
            last_used_at: rng.random_bool(0.5).then(|| time(rng)),
            revoked_at: rng.random_bool(0.5).then(|| time(rng)),
            version,
        }),
    }
}

fn link(rng: &mut StdRng, p: &Pools) -> Link {
    match rng.random_range(0..5) {
        0 => Link::RolePermission {
            role: pick(rng, &p.roles),
            permission: pick(rng, &p.perms),
        },
        1 => Link::UserRole {
            user: pick(rng, &p.users),
            role: pick(rng, &p.roles),
        },
        2 => Link::TeamRole {
            team: pick(rng, &p.teams),
            role: pick(rng, &p.roles),
        },
        3 => Link::Member {
            team: pick(rng, &p.teams),
            user: pick(rng, &p.users),
            role: opt_id(rng, &p.roles),
        },
        _ => Link::Grant {
            principal: if rng.random_bool(0.5) {
                Principal::User(pick(rng, &p.users))
            } else {
                Principal::Team(pick(rng, &p.teams))
            },
            permission: pick(rng, &p.perms),
        },
    }
}

const KINDS: [ObjectKind; 5] = [
    ObjectKind::User,
    ObjectKind::Team,
    ObjectKind::Role,
    ObjectKind::Permission,
    ObjectKind::ApiKey,
];

fn current_version(st: &State, kind: ObjectKind, id: Id) -> u64 {
    let v = match kind {
        ObjectKind::User => st.users.get(&id).map(|x| x.version),
        ObjectKind::Team => st.teams.get(&id).map(|x| x.version),
        ObjectKind::Role => st.roles.get(&id).map(|x| x.version),
        ObjectKind::Permission => st.permissions.get(&id).map(|x| x.version),
        _ => st.keys.get(&id).map(|x| x.version),
    };
    v.unwrap_or(1)
}

fn pool(p: &Pools, kind: ObjectKind) -> &[Id] {
    match kind {
        ObjectKind::User => &p.users,
        ObjectKind::Team => &p.teams,
        ObjectKind::Role => &p.roles,
        ObjectKind::Permission => &p.perms,
        _ => &p.keys,
    }
}

fn exists(st: &State, kind: ObjectKind, id: Id) -> bool {
    match kind {
        ObjectKind::User => st.users.contains_key(&id),
        ObjectKind::Team => st.teams.contains_key(&id),
        ObjectKind::Role => st.roles.contains_key(&id),
        ObjectKind::Permission => st.permissions.contains_key(&id),
        _ => st.keys.contains_key(&id),
    }
}

fn set_version(obj: &mut Object, v: u64) {
    match obj {
        Object::User(x) => x.version = v,
        Object::Team(x) => x.version = v,
        Object::Role(x) => x.version = v,
        Object::Permission(x) => x.version = v,
        Object::ApiKey(x) => x.version = v,
    }
}

fn set_id(obj: &mut Object, id: Id) {
    match obj {
        Object::User(x) => x.id = id,
        Object::Team(x) => x.id = id,
        Object::Role(x) => x.id = id,
        Object::Permission(x) => x.id = id,
        Object::ApiKey(x) => x.id = id,
    }
}

fn change(rng: &mut StdRng, p: &Pools, st: &State) -> Change {
    let kind_ix = rng.random_range(0..5u32);
    let kind = KINDS[kind_ix as usize];
    match rng.random_range(0..100) {
        0..35 => {
            let mut obj = object(rng, p, kind_ix, 1);
            let free: Vec<Id> = pool(p, kind)
                .iter()
                .copied()
                .filter(|id| !exists(st, kind, *id))
                .collect();
            if !free.is_empty() && rng.random_bool(0.8) {
                set_id(&mut obj, pick(rng, &free));
            }
            Change::Create(obj)
        }
        35..55 => {
            let mut obj = object(rng, p, kind_ix, 0);
            let current = current_version(st, kind, obj.id());
            let expected = if rng.random_bool(0.85) {
                current
            } else {
                current + 1
            };
            set_version(&mut obj, expected + 1);
            Change::Update {
                object: obj,
                expected_version: expected,
            }
        }
        55..70 => {
            let id = pick(rng, pool(p, kind));
            let current = current_version(st, kind, id);
            Change::Delete {
                kind,
                id,
                expected_version: match rng.random_range(0..4) {
                    0 => Some(current),
                    1 => Some(current + 1),
                    _ => None,
                },
                cascade: rng.random_bool(0.6),
            }
        }
        70..84 => Change::Link(link(rng, p)),
        84..91 => Change::Unlink(link(rng, p)),
        91..97 => {
            // Mostly links that exist (a random one seldom does), their role at random.
            let link = match stored_link(rng, st) {
                Some(l) if rng.random_bool(0.8) => match l {
                    Link::Member { team, user, .. } => Link::Member {
                        team,
                        user,
                        role: opt_id(rng, &p.roles),
                    },
                    other => other,
                },
                _ => link(rng, p),
            };
            Change::Expire {
                link,
                expires_at: rng.random_bool(0.8).then(|| time(rng)),
            }
        }
        _ => {
            // Mostly links that have an end, else any stored or random link.
            let ending: Vec<Link> = st.expiries.iter().map(|(l, _)| *l).collect();
            let link = if !ending.is_empty() && rng.random_bool(0.7) {
                pick(rng, &ending)
            } else {
                stored_link(rng, st)
                    .filter(|_| rng.random_bool(0.5))
                    .unwrap_or_else(|| link(rng, p))
            };
            Change::Expired(link)
        }
    }
}

/// A link the state holds, if it holds any.
fn stored_link(rng: &mut StdRng, st: &State) -> Option<Link> {
    let mut all: Vec<Link> = st
        .role_permissions
        .iter()
        .map(|&(role, permission)| Link::RolePermission { role, permission })
        .collect();
    all.extend(
        st.user_roles
            .iter()
            .map(|&(user, role)| Link::UserRole { user, role }),
    );
    all.extend(
        st.team_roles
            .iter()
            .map(|&(team, role)| Link::TeamRole { team, role }),
    );
    all.extend(
        st.members
            .iter()
            .map(|(&(team, user), &role)| Link::Member { team, user, role }),
    );
    all.extend(
        st.grants
            .iter()
            .map(|&(principal, permission)| Link::Grant {
                principal,
                permission,
            }),
    );
    (!all.is_empty()).then(|| pick(rng, &all))
}

fn variant(r: &Result<u64, StoreError>) -> String {
    match r {
        Ok(v) => format!("Ok({v})"),
        Err(e) => format!("{e:?}"),
    }
}

const STEPS: usize = 1500;

pub async fn differential_random(s: &dyn Store) {
    let reference = MemoryStore::new();
    let mut rng = StdRng::seed_from_u64(0x6761_7465);
    let ids = |n: usize| (0..n).map(|_| new_id()).collect::<Vec<_>>();
    let pools = Pools {
        users: ids(5),
        teams: ids(4),
        roles: ids(4),
        perms: ids(5),
        keys: ids(4),
    };
    let mut oks = 0;
    let mut most_ends = 0;
    for step in 0..STEPS {
        let st = reference.load().await.expect("reference load");
        let n = match rng.random_range(0..10) {
            0 => 0,
            1..7 => 1,
            _ => rng.random_range(2..4),
        };
        let changes: Vec<Change> = (0..n).map(|_| change(&mut rng, &pools, &st)).collect();
        let actor = pick(&mut rng, &["alice", "bob"]);
        let expected = reference.commit(actor, &changes).await;
        let got = s.commit(actor, &changes).await;
        assert_eq!(
            variant(&got),
            variant(&expected),
            "step {step}: {changes:#?}"
        );
        oks += usize::from(expected.is_ok() && n > 0);
        if step % 20 == 0 || step == STEPS - 1 {
            let want = reference.load().await.expect("reference load");
            most_ends = most_ends.max(want.expiries.len());
            assert_eq!(
                s.load().await.expect("load"),
                want,
                "state after step {step}"
            );
            assert_eq!(
                audit_all(s).await,
                audit_all(&reference).await,
                "audit after {step}"
            );
        }
    }
    // The sequence must exercise successful commits too, not only errors.
    assert!(oks > 300, "only {oks} successful commits");
    let st = s.load().await.expect("load");
    assert_eq!(st.revision as usize, oks);
    // And the interesting paths: cascades of every kind, membership role clearing, team
    // default-role clearing, a user's keys going with it.
    let events = audit_all(&reference).await;
    let count = |action: &str, kind: ObjectKind| {
        events
            .iter()
            .filter(|e| e.2 == action && e.3 == kind)
            .count()
    };
    let mut seen = std::collections::BTreeMap::new();
    for e in &events {
        *seen.entry((e.2.clone(), e.3)).or_insert(0) += 1;
    }
    eprintln!("differential coverage: {seen:?}");
    for kind in KINDS {
        assert!(count("delete", kind) > 0, "no {kind} delete");
    }
    for action in ["link", "unlink"] {
        for kind in [
            ObjectKind::RolePermission,
            ObjectKind::UserRole,
            ObjectKind::TeamRole,
            ObjectKind::TeamMember,
            ObjectKind::Grant,
        ] {
            assert!(count(action, kind) > 0, "no {action} of {kind}");
        }
    }
    let cascaded = |f: &dyn Fn(&Ev) -> bool| {
        events.iter().any(|e| {
            f(e) && events
                .iter()
                .any(|d| d.0 == e.0 && d.2 == "delete" && d.3 == ObjectKind::Role)
        })
    };
    assert!(cascaded(&|e| e.2 == "update" && e.3 == ObjectKind::Team));
    assert!(cascaded(&|e| e.2 == "link" && e.3 == ObjectKind::TeamMember));
    // Links' ends: set and removed on every kind that may carry one, reported by unlinks and
    // cascades (a role's delete too), and compared in the loaded states.
    for action in ["set_expiry", "expire"] {
        for kind in [
            ObjectKind::UserRole,
            ObjectKind::TeamRole,
            ObjectKind::TeamMember,
            ObjectKind::Grant,
        ] {
            assert!(count(action, kind) > 0, "no {action} of {kind}");
        }
    }
    let ended = |e: &Ev| e.2 == "unlink" && e.5.get("expires_at").is_some();
    assert!(events.iter().any(ended), "no unlink of a link with an end");
    assert!(cascaded(&ended), "no cascade of a link with an end");
    assert!(
        cascaded(&|e| ended(e) && e.3 == ObjectKind::TeamMember),
        "no membership with an end in a role's delete"
    );
    assert!(
        most_ends > 2,
        "the states compared held at most {most_ends} ends"
    );
}
