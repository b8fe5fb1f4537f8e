//! `--dry-run` on the commands that take access away: who would lose (or gain) which access,
//! computed on the state before and after, and nothing written (issue 20, item 4).

use crate::cli_support::Env;

/// alice holds Editors and Readers; bob holds Editors only. Editors grant `write` on
/// `gatehouse:Role`, Readers and Editors both grant `read`.
fn world() -> Env {
    let e = Env::init();
    for u in ["alice", "bob"] {
        e.ok(&["users", "create", u]);
    }
    e.ok(&["roles", "create", "Editors"]);
    e.ok(&["roles", "create", "Readers"]);
    let write = e.permission(&["gatehouse:Role", "--grant", "write,read"]);
    let read = e.permission(&["gatehouse:Role", "--grant", "read"]);
    e.ok(&["roles", "add-permission", "Editors", &write]);
    e.ok(&["roles", "add-permission", "Readers", &read]);
    e.ok(&["roles", "assign", "Editors", "alice"]);
    e.ok(&["roles", "assign", "Readers", "alice"]);
    e.ok(&["roles", "assign", "Editors", "bob"]);
    e
}

#[test]
fn unassign_dry_run_names_what_is_lost_and_writes_nothing() {
    let e = world();
    let before = e.export();
    let out = e.ok(&["roles", "unassign", "Editors", "alice", "--dry-run"]);
    assert!(
        out.starts_with("dry run: would unassign role Editors from user alice; nothing written"),
        "{out}"
    );
    assert!(
        out.contains("0 user(s) gain access, 1 lose access"),
        "{out}"
    );
    assert!(out.contains("alice: - write on gatehouse:Role"), "{out}");
    // She keeps `read` through Readers: not a loss; bob is untouched.
    assert!(!out.contains("read"), "{out}");
    assert!(!out.contains("bob"), "{out}");
    assert_eq!(e.export(), before, "a dry run writes nothing");
}

#[test]
fn rm_dry_run_counts_every_holder_and_refuses_as_the_real_run_does() {
    let e = world();
    let before = e.export();
    // Without --force the role is in use: the dry run refuses exactly as the delete would.
    let dry = e.run(&["roles", "rm", "Editors", "--dry-run"]);
    let real = e.run(&["roles", "rm", "Editors"]);
    assert_eq!(dry.status.code(), real.status.code());
    assert_ne!(dry.status.code(), Some(0));
    assert_eq!(e.export(), before);
    let v = e.json(&[
        "roles",
        "rm",
        "Editors",
        "--force",
        "--dry-run",
        "-o",
        "json",
    ]);
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["would"], "delete role Editors");
    let users = v["effect"]["users"].as_array().expect("users");
    let names: Vec<&str> = users
        .iter()
        .filter_map(|u| u["user"]["username"].as_str())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    let bob = &users[1];
    let lost: Vec<&str> = bob["losses"]
        .as_array()
        .expect("losses")
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    assert_eq!(lost, ["read", "write"]);
    assert_eq!(bob["losses"][0]["context"]["on"], "any");
    assert_eq!(e.export(), before, "a dry run writes nothing");
}

#[test]
fn a_change_that_moves_nobody_says_so() {
    let e = world();
    e.ok(&["users", "create", "carol"]);
    e.ok(&["roles", "create", "Empty"]);
    e.ok(&["roles", "assign", "Empty", "carol"]);
    let out = e.ok(&["roles", "unassign", "Empty", "carol", "--dry-run"]);
    assert!(out.contains("no one's access changes"), "{out}");
    let out = e.ok(&["users", "rm", "carol", "--force", "--dry-run"]);
    assert!(out.contains("would delete user carol"), "{out}");
}

/// Giving access asks too: `assign`, `add-permission`, `assign-team` and `add-member` take
/// `--dry-run`, and a member added without `--role` is counted with the team's default role,
/// as the real run gives it.
#[test]
fn giving_dry_runs_name_what_is_gained_with_the_default_role_counted() {
    let e = world();
    let before = e.export();
    e.ok(&["users", "create", "carol"]);
    let out = e.ok(&["roles", "assign", "Editors", "carol", "--dry-run"]);
    assert!(
        out.contains("1 user(s) gain access, 0 lose access"),
        "{out}"
    );
    assert!(
        out.contains("carol: + read, write on gatehouse:Role"),
        "{out}"
    );
    let out = e.ok(&[
        "roles",
        "add-permission",
        "Editors",
        "--dry-run",
        &read_of(&e),
    ]);
    assert!(out.contains("no one's access changes"), "{out}");
    e.ok(&["teams", "create", "ops", "--default-role", "Editors"]);
    let out = e.ok(&["teams", "add-member", "ops", "carol", "--dry-run"]);
    assert!(
        out.contains("carol: + read, write on gatehouse:Role"),
        "{out}"
    );
    let out = e.ok(&["roles", "assign-team", "Readers", "ops", "--dry-run"]);
    assert!(
        out.contains("would assign role Readers to team ops"),
        "{out}"
    );
    // Nothing was written by any of them: only carol and ops were made.
    e.ok(&["teams", "rm", "ops"]);
    e.ok(&["users", "rm", "carol"]);
    assert_eq!(e.export(), before);
}

/// The id of the permission granting `read` alone (Readers'): Editors' own grants it already.
fn read_of(e: &Env) -> String {
    let v = e.json(&["roles", "show", "Readers"]);
    v["permissions"][0]["id"]
        .as_str()
        .expect("an id")
        .to_string()
}

#[test]
fn update_dry_runs_name_what_a_permissions_flags_or_a_users_flags_would_move() {
    let e = world();
    let before = e.export();
    let write = e
        .json(&["permissions", "ls", "-o", "json"])
        .as_array()
        .expect("perms")
        .iter()
        .find(|p| p["grants"].as_array().is_some_and(|g| g.len() == 2))
        .and_then(|p| p["id"].as_str().map(str::to_string))
        .expect("the write,read permission");
    // Editors' permission loses `write`: alice and bob both lose it, read stays.
    let out = e.ok(&[
        "permissions",
        "update",
        &write,
        "--grant",
        "read",
        "--dry-run",
    ]);
    assert!(out.contains("nothing written"), "{out}");
    assert!(
        out.contains("0 user(s) gain access, 2 lose access"),
        "{out}"
    );
    assert!(out.contains("alice: - write on gatehouse:Role"), "{out}");
    assert!(out.contains("bob: - write on gatehouse:Role"), "{out}");
    // A flag the catalog lacks is refused as the real update refuses it.
    let dry = e.run(&[
        "permissions",
        "update",
        &write,
        "--grant",
        "fly",
        "--dry-run",
    ]);
    let real = e.run(&["permissions", "update", &write, "--grant", "fly"]);
    assert_eq!(dry.status.code(), real.status.code());
    assert_eq!(dry.status.code(), Some(2));
    // Disabling bob takes everything he has; the owner flag gives everything.
    let out = e.ok(&["users", "update", "bob", "--disable", "--dry-run"]);
    assert!(out.contains("would update user bob"), "{out}");
    assert!(
        out.contains("0 user(s) gain access, 1 lose access"),
        "{out}"
    );
    assert!(out.contains("bob: is disabled (allowed nothing)"), "{out}");
    let out = e.ok(&["users", "update", "alice", "--owner", "--dry-run"]);
    assert!(out.contains("1 user(s) gain access"), "{out}");
    assert_eq!(e.export(), before, "dry runs write nothing");
}
