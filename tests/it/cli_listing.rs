//! The listings' counts (issue 21, item 1: counted in one pass per relation, not per row) on a
//! store with many permissions, roles, users and teams: each row's counts against the ones
//! the document that made the store implies.

use crate::cli_support::Env;
use serde_json::{Value, json};
use std::collections::HashMap;

const PERMS: usize = 600;
const ROLES: usize = 40;
const USERS: usize = 50;
const TEAMS: usize = 7;

/// Permission `i` is in role `i % ROLES`, and also in role 0 when `i % 7 == 0`; user `u` has
/// roles `u % ROLES` and `(u * 3) % ROLES`; user `u` is in team `u % TEAMS`; permission `i`
/// is granted directly to user `i % USERS` when `i % 5 == 0` and to team `i % TEAMS` when
/// `i % 11 == 0`.
fn document() -> Value {
    let perms: Vec<Value> = (0..PERMS)
        .map(|i| {
            json!({"key": format!("p{i}"), "catalog": "mage", "entity": "Pipeline",
                   "entity_uuid": format!("pipe-{i}"), "grants": ["DETAIL"]})
        })
        .collect();
    let roles: Vec<Value> = (0..ROLES)
        .map(|r| {
            let ps: Vec<String> = (0..PERMS)
                .filter(|i| i % ROLES == r || (r == 0 && i % 7 == 0))
                .map(|i| format!("p{i}"))
                .collect();
            json!({"name": format!("role-{r:02}"), "permissions": ps})
        })
        .collect();
    let users: Vec<Value> = (0..USERS)
        .map(|u| {
            let mut rs = vec![format!("role-{:02}", u % ROLES)];
            let second = format!("role-{:02}", (u * 3) % ROLES);
            if !rs.contains(&second) {
                rs.push(second);
            }
            json!({"username": format!("user-{u:02}"), "roles": rs})
        })
        .collect();
    let teams: Vec<Value> = (0..TEAMS)
        .map(|t| json!({"key": format!("team-{t}"), "name": format!("Team {t}")}))
        .collect();
    let members: Vec<Value> = (0..USERS)
        .map(|u| json!({"team": format!("team-{}", u % TEAMS), "user": format!("user-{u:02}")}))
        .collect();
    let mut grants = Vec::new();
    for i in 0..PERMS {
        if i % 5 == 0 {
            grants.push(
                json!({"permission": format!("p{i}"), "user": format!("user-{:02}", i % USERS)}),
            );
        }
        if i % 11 == 0 {
            grants.push(
                json!({"permission": format!("p{i}"), "team": format!("team-{}", i % TEAMS)}),
            );
        }
    }
    json!({"permissions": perms, "roles": roles, "users": users, "teams": teams,
           "members": members, "grants": grants})
}

fn seeded() -> Env {
    let e = Env::init();
    let path = e.dir.path().join("many.json");
    std::fs::write(&path, document().to_string()).expect("write");
    e.ok(&["import", path.to_str().expect("utf-8")]);
    e
}

#[test]
fn permission_rows_count_their_roles_and_direct_holders() {
    let e = seeded();
    let rows = e.json(&["permissions", "ls"]);
    let rows = rows.as_array().expect("array");
    assert_eq!(rows.len(), PERMS);
    for r in rows {
        let i: usize = r["entity_uuid"].as_str().expect("uuid")["pipe-".len()..]
            .parse()
            .expect("index");
        let roles = 1 + usize::from(i.is_multiple_of(7) && !i.is_multiple_of(ROLES));
        let holders = usize::from(i.is_multiple_of(5)) + usize::from(i.is_multiple_of(11));
        assert_eq!(r["role_count"], roles, "p{i}: {r}");
        assert_eq!(r["direct_holder_count"], holders, "p{i}: {r}");
        assert!(
            r["created_at"].is_string() && r["updated_at"].is_string(),
            "{r}"
        );
    }
}

#[test]
fn role_user_and_team_rows_count_their_relations() {
    let e = seeded();
    let mut users_of: HashMap<String, usize> = HashMap::new();
    for u in 0..USERS {
        let (a, b) = (u % ROLES, (u * 3) % ROLES);
        *users_of.entry(format!("role-{a:02}")).or_default() += 1;
        if a != b {
            *users_of.entry(format!("role-{b:02}")).or_default() += 1;
        }
    }
    let roles = e.json(&["roles", "ls"]);
    let roles = roles.as_array().expect("array");
    assert_eq!(roles.len(), ROLES);
    for r in roles {
        let name = r["name"].as_str().expect("name");
        let n: usize = name["role-".len()..].parse().expect("index");
        let perms = (0..PERMS)
            .filter(|i| i % ROLES == n || (n == 0 && i % 7 == 0))
            .count();
        assert_eq!(r["permission_count"], perms, "{r}");
        assert_eq!(
            r["user_count"],
            users_of.get(name).copied().unwrap_or(0),
            "{r}"
        );
        assert_eq!(r["team_count"], 0, "{r}");
    }
    let users = e.json(&["users", "ls"]);
    for u in users.as_array().expect("array") {
        let name = u["username"].as_str().expect("username");
        let Some(n) = name.strip_prefix("user-") else {
            continue;
        };
        let n: usize = n.parse().expect("index");
        let want = if n % ROLES == (n * 3) % ROLES { 1 } else { 2 };
        assert_eq!(u["roles"].as_array().map(Vec::len), Some(want), "{u}");
        assert_eq!(u["teams"][0]["key"], format!("team-{}", n % TEAMS), "{u}");
    }
    let teams = e.json(&["teams", "ls"]);
    for t in teams.as_array().expect("array") {
        // The admin team is the store's own.
        let Some(n) = t["key"].as_str().expect("key").strip_prefix("team-") else {
            continue;
        };
        let n: usize = n.parse().expect("index");
        let members = (0..USERS).filter(|u| u % TEAMS == n).count();
        assert_eq!(t["member_count"], members, "{t}");
    }
}
