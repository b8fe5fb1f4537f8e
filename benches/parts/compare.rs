//! gatehouse against casbin-rs in one run, on the same machine (PRODUCT.md §5): one RBAC-with-deny
//! policy at 1k, 100k and 1M permission rules — 100,000 users holding 1–3 of 1,000 roles (the
//! population of PRODUCT.md §5's embedded-check row at every size, so the growth measured is the
//! rules' and not a small world's fitting in cache), each rule (role, entity type, entity id or
//! every id, action, allow or deny) — loaded into both,
//! then the same random checks asked of both. The answers are compared on every check casbin
//! makes (they must agree), and the per-check p50/p99 and their ratio are printed.
//!
//! casbin's model is the standard RBAC-with-deny one:
//! `e = some(where (p.eft == allow)) && !some(where (p.eft == deny))` with
//! `m = g(r.sub, p.sub) && r.typ == p.typ && (p.id == "*" || r.id == p.id) && r.act == p.act`.
//! gatehouse decides the same data in its engine (`mage` catalog; requests name an entity id,
//! so Mage's collection rules do not come into play).

use crate::figures::{Figure, dur, thousands};
use casbin::prelude::*;
use gatehouse::catalog::Catalogs;
use gatehouse::engine::{Engine, Request};
use gatehouse::model::{Id, Permission, Role, User, UserKind, now};
use gatehouse::policy::State;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::{Duration, Instant};
use uuid::Uuid;

const MODEL: &str = r#"
[request_definition]
r = sub, typ, id, act

[policy_definition]
p = sub, typ, id, act, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = g(r.sub, p.sub) && r.typ == p.typ && (p.id == "*" || r.id == p.id) && r.act == p.act
"#;

const USERS: usize = 100_000;
const ROLES: usize = 1_000;
const ACTIONS: [&str; 3] = ["DETAIL", "UPDATE", "DELETE"];
const ENTITIES: [&str; 12] = [
    "Pipeline",
    "Block",
    "Secret",
    "Role",
    "Permission",
    "User",
    "Tag",
    "Variable",
    "PipelineRun",
    "PipelineSchedule",
    "File",
    "Project",
];

fn id(kind: u128, n: usize) -> Id {
    Uuid::from_u128((kind << 64) | n as u128)
}

/// One permission rule, as both systems get it.
struct Rule {
    role: usize,
    entity: &'static str,
    uuid: Option<String>,
    action: &'static str,
    deny: bool,
}

fn rules(n: usize) -> (Vec<Rule>, Vec<(usize, usize)>) {
    let mut rng = StdRng::seed_from_u64(5);
    let rules = (0..n)
        .map(|i| Rule {
            role: i % ROLES,
            entity: ENTITIES[rng.random_range(0..ENTITIES.len())],
            uuid: (rng.random_range(0..4) == 0).then(|| format!("obj{}", rng.random_range(0..100))),
            action: ACTIONS[rng.random_range(0..ACTIONS.len())],
            deny: rng.random_range(0..20) == 0,
        })
        .collect();
    let mut holds = Vec::new();
    for u in 0..USERS {
        for _ in 0..rng.random_range(1..=3) {
            holds.push((u, rng.random_range(0..ROLES)));
        }
    }
    (rules, holds)
}

fn gatehouse_state(rules: &[Rule], holds: &[(usize, usize)]) -> State {
    let t = now();
    let mut s = State::default();
    for u in 0..USERS {
        s.users.insert(
            id(1, u),
            User {
                id: id(1, u),
                username: format!("u{u}"),
                email: String::new(),
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
    for r in 0..ROLES {
        s.roles.insert(
            id(3, r),
            Role {
                id: id(3, r),
                name: format!("r{r}"),
                description: String::new(),
                created_at: t,
                updated_at: t,
                version: 1,
                created_by: None,
            },
        );
    }
    for (i, r) in rules.iter().enumerate() {
        let flag = vec![r.action.to_string()];
        let p = Permission {
            id: id(4, i),
            catalog: "mage".into(),
            entity: r.entity.into(),
            entity_uuid: r.uuid.clone(),
            grants: if r.deny { vec![] } else { flag.clone() },
            denies: if r.deny { flag } else { vec![] },
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
        s.role_permissions.insert((id(3, r.role), id(4, i)));
    }
    for &(u, r) in holds {
        s.user_roles.insert((id(1, u), id(3, r)));
    }
    s.reindex();
    s
}

/// A random check: (user, entity, id, action).
fn checks(n: usize) -> Vec<(usize, &'static str, String, &'static str)> {
    let mut rng = StdRng::seed_from_u64(9);
    (0..n)
        .map(|_| {
            (
                rng.random_range(0..USERS),
                ENTITIES[rng.random_range(0..ENTITIES.len())],
                format!("obj{}", rng.random_range(0..100)),
                ACTIONS[rng.random_range(0..ACTIONS.len())],
            )
        })
        .collect()
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p / 100.0).round() as usize]
}

/// Measures both at each of `sizes` rules, printing a table as it goes; panics if the two ever
/// disagree (then one of them is wrong and no figure means anything).
pub async fn run(catalogs: &Catalogs, sizes: &[usize]) -> Vec<Figure> {
    let mut figures = Vec::new();
    let mut p50s: Vec<(usize, Duration, Duration)> = Vec::new();
    println!(
        "RBAC with deny: {USERS} users, {ROLES} roles, 1–3 roles each; rules = permission rules"
    );
    println!(
        "{:>9} | {:>10} {:>10} {:>10} | {:>11} {:>11} {:>11} {:>7} | {:>8} {:>6}",
        "rules",
        "gh build",
        "gh p50",
        "gh p99",
        "casbin load",
        "casbin p50",
        "casbin p99",
        "checks",
        "p50 ×",
        "agree"
    );
    for &n in sizes {
        let (rules, holds) = rules(n);
        let state = gatehouse_state(&rules, &holds);
        let t = Instant::now();
        let engine = Engine::build(&state, catalogs);
        let build = t.elapsed();
        drop(state);

        let t = Instant::now();
        let model = DefaultModel::from_str(MODEL).await.expect("casbin model");
        let mut e = Enforcer::new(model, MemoryAdapter::default())
            .await
            .expect("casbin enforcer");
        let p: Vec<Vec<String>> = rules
            .iter()
            .map(|r| {
                vec![
                    format!("r{}", r.role),
                    r.entity.to_string(),
                    r.uuid.clone().unwrap_or_else(|| "*".into()),
                    r.action.to_string(),
                    if r.deny { "deny" } else { "allow" }.to_string(),
                ]
            })
            .collect();
        e.add_policies(p).await.expect("casbin policies");
        let g: Vec<Vec<String>> = holds
            .iter()
            .map(|(u, r)| vec![format!("u{u}"), format!("r{r}")])
            .collect();
        e.add_grouping_policies(g).await.expect("casbin roles");
        let load = t.elapsed();

        // casbin scans every rule per check: fewer checks at the larger sizes.
        let casbin_n = match n {
            0..=10_000 => 2_000,
            10_001..=200_000 => 100,
            _ => 12,
        };
        let qs = checks(100_000.max(casbin_n));
        let reqs: Vec<Request> = qs
            .iter()
            .map(|(u, ent, obj, act)| Request {
                at: None,
                user: id(1, *u),
                catalog: "mage".into(),
                action: (*act).into(),
                entity: (*ent).into(),
                entity_uuid: Some(obj.clone()),
                resource_owner: None,
                resource_team: None,
                attribute: None,
            })
            .collect();
        let mut gh: Vec<Duration> = Vec::with_capacity(reqs.len());
        for r in &reqs {
            let t = Instant::now();
            black_box(engine.decide(black_box(r)));
            gh.push(t.elapsed());
        }
        let mut cb: Vec<Duration> = Vec::with_capacity(casbin_n);
        let mut agree = 0usize;
        for (i, (u, ent, obj, act)) in qs.iter().take(casbin_n).enumerate() {
            let sub = format!("u{u}");
            let t = Instant::now();
            let ok = e
                .enforce((sub.as_str(), *ent, obj.as_str(), *act))
                .expect("casbin enforce");
            cb.push(t.elapsed());
            if ok == engine.decide(&reqs[i]).allowed {
                agree += 1;
            }
        }
        gh.sort_unstable();
        cb.sort_unstable();
        let ratio = pct(&cb, 50.0).as_nanos() as f64 / pct(&gh, 50.0).as_nanos().max(1) as f64;
        println!(
            "{:>9} | {:>10} {:>10} {:>10} | {:>11} {:>11} {:>11} {:>7} | {:>7.0}× {:>5.1}%",
            n,
            dur(build),
            dur(pct(&gh, 50.0)),
            dur(pct(&gh, 99.0)),
            dur(load),
            dur(pct(&cb, 50.0)),
            dur(pct(&cb, 99.0)),
            casbin_n,
            ratio,
            100.0 * agree as f64 / casbin_n as f64
        );
        p50s.push((n, pct(&gh, 50.0), pct(&cb, 50.0)));
        let label = thousands(n);
        figures.push(
            Figure::new(
                format!("decide, RBAC with deny, {label} rules (p50), vs casbin-rs"),
                dur(pct(&gh, 50.0)),
                if n >= 100_000 {
                    "faster at every size, ≥ 10× at 100k"
                } else {
                    "faster at every size"
                },
                ratio >= if n >= 100_000 { 10.0 } else { 1.0 } && agree == casbin_n,
            )
            .beside(format!(
                "casbin-rs {} (×{ratio:.0}); agree {agree}/{casbin_n}",
                dur(pct(&cb, 50.0))
            )),
        );
        assert_eq!(
            agree, casbin_n,
            "gatehouse and casbin must give the same answers on the same policy"
        );
    }
    if let (Some(lo), Some(hi)) = (p50s.first(), p50s.last())
        && hi.0 > lo.0
    {
        let gh = hi.1.as_nanos() as f64 / lo.1.as_nanos().max(1) as f64;
        let cb = hi.2.as_nanos() as f64 / lo.2.as_nanos().max(1) as f64;
        figures.push(
            Figure::new(
                format!(
                    "decide p50 growth, {} → {} rules, vs casbin-rs",
                    thousands(lo.0),
                    thousands(hi.0)
                ),
                format!("×{gh:.2}"),
                "flat (within 2×) where casbin grows",
                gh <= 2.0,
            )
            .beside(format!("casbin-rs ×{cb:.0}")),
        );
    }
    figures
}
