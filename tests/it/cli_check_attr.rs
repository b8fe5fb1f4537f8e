//! `gatehouse check --read/--write/--query`: Mage attribute checks from the command line, run
//! against the real executable and a store in a temporary directory.

use crate::cli_support::Env;

#[test]
fn check_read_write_query_on_the_mage_catalog() {
    let e = Env::init();
    e.ok(&["users", "create", "bob"]);
    e.ok(&["roles", "create", "R"]);
    e.ok(&["roles", "assign", "R", "bob"]);
    // {Secret, LIST} and {ALL, READ_ALL|QUERY_ALL|WRITE_ALL}: Mage pairs them per permission.
    let list = e.permission(&["mage:Secret", "--mage-access", "16"]);
    let attrs = e.permission(&["mage:ALL", "--mage-access", "86016"]);
    e.ok(&["roles", "add-permission", "R", &list]);
    e.ok(&["roles", "add-permission", "R", &attrs]);
    // The operation alone is granted; the whole call is not: Mage reads the listed secrets'
    // attributes, and no one permission grants both LIST and READ (docs/MAGE.md §8).
    let out = e.ok(&["check", "bob", "LIST", "mage:Secret", "--operation-only"]);
    assert!(out.starts_with("ALLOW"), "{out}");
    let out = e.code(&["check", "bob", "LIST", "mage:Secret", "--explain"], 1);
    assert!(
        out.starts_with("DENY") && out.contains("Mage answers 403 at reading `id` of Secret"),
        "{out}"
    );
    assert!(out.contains("read Secret: id, name"), "{out}");
    assert!(out.contains("Mage needs both in one permission"), "{out}");
    let out = e.code(
        &[
            "check",
            "bob",
            "LIST",
            "mage:Secret",
            "--read",
            "name",
            "--explain",
        ],
        1,
    );
    assert!(
        out.starts_with("DENY") && out.contains("(read name)"),
        "{out}"
    );
    assert!(out.contains("neither READ nor READ_ALL"), "{out}");
    assert!(out.contains("Mage needs both in one permission"), "{out}");

    // A VIEWER group with read_attributes [id]: id readable, name not; a hint names the list.
    let viewer = e.permission(&["mage:Role", "--mage-access", "8", "--read-attr", "id"]);
    e.ok(&["roles", "add-permission", "R", &viewer]);
    assert!(
        e.ok(&["check", "bob", "DETAIL", "mage:Role/3", "--read", "id"])
            .starts_with("ALLOW")
    );
    let out = e.code(
        &[
            "check",
            "bob",
            "DETAIL",
            "mage:Role/3",
            "--read",
            "name",
            "--explain",
        ],
        1,
    );
    assert!(out.contains("not in its read_attributes"), "{out}");
    assert!(
        out.contains("add the attribute to the read_attributes"),
        "{out}"
    );
    let v = e.json_exit(
        &["check", "bob", "DETAIL", "mage:Role/3", "--write", "name"],
        1,
    );
    assert_eq!(v["allowed"], false);
    assert_eq!(
        v["attribute"],
        serde_json::json!({"kind": "write", "name": "name"})
    );
    let v = e.json_exit(&["check", "bob", "LIST", "mage:Role", "--query", "name"], 1);
    assert_eq!(v["attribute"]["kind"], "query");

    // At most one attribute flag; other dialects say attribute checks are Mage's.
    e.code(
        &[
            "check",
            "bob",
            "LIST",
            "mage:Role",
            "--read",
            "a",
            "--write",
            "b",
        ],
        2,
    );
    let out = e.code(
        &["check", "bob", "read", "okdata:dataset:ds1", "--read", "a"],
        1,
    );
    assert!(out.contains("Mage-dialect feature"), "{out}");
}

#[test]
fn a_condition_chosen_on_a_mage_permission_counts_as_in_mages_own_page() {
    let e = Env::init();
    e.ok(&["users", "create", "bob"]);
    e.ok(&["users", "create", "carol"]);
    let p = e.permission(&[
        "mage:Pipeline",
        "--grant",
        "UPDATE",
        "--condition",
        "USER_OWNS_ENTITY",
    ]);
    let v = e.json(&["permissions", "show", &p]);
    let grants: Vec<String> = serde_json::from_value(v["grants"].clone()).unwrap();
    assert!(
        grants.contains(&"UPDATE".to_string())
            && grants.contains(&"DISABLE_UNLESS_CONDITIONS".to_string()),
        "{grants:?}"
    );
    e.ok(&["roles", "create", "R"]);
    e.ok(&["roles", "add-permission", "R", &p]);
    e.ok(&["roles", "assign", "R", "bob"]);
    // Mage checks the condition: bob may update his own pipeline, not carol's.
    let out = e.ok(&[
        "check",
        "bob",
        "UPDATE",
        "mage:Pipeline/p1",
        "--owner",
        "bob",
        "--operation-only",
    ]);
    assert!(out.starts_with("ALLOW"), "{out}");
    // The whole call is refused: Mage presents the updated pipeline, and bob may read none of
    // it (the update is stored all the same; docs/MAGE_CALLS.md).
    let out = e.code(
        &[
            "check",
            "bob",
            "UPDATE",
            "mage:Pipeline/p1",
            "--owner",
            "bob",
        ],
        1,
    );
    assert!(
        out.contains("403 at reading `blocks` of Pipeline/p1"),
        "{out}"
    );
    let out = e.code(
        &[
            "check",
            "bob",
            "UPDATE",
            "mage:Pipeline/p2",
            "--owner",
            "carol",
            "--operation-only",
        ],
        1,
    );
    assert!(out.starts_with("DENY"), "{out}");
    // New grants keep the gate while conditions remain.
    e.ok(&["permissions", "update", &p, "--grant", "UPDATE,DETAIL"]);
    let v = e.json(&["permissions", "show", &p]);
    let grants: Vec<String> = serde_json::from_value(v["grants"].clone()).unwrap();
    assert!(
        grants.contains(&"DISABLE_UNLESS_CONDITIONS".to_string()),
        "{grants:?}"
    );
    // A catalog without such a modifier is left as written.
    let g = e.permission(&["gatehouse:Role", "--grant", "read", "--condition", "own"]);
    let v = e.json(&["permissions", "show", &g]);
    assert_eq!(v["grants"], serde_json::json!(["read"]));
}

/// A Mage permission whose conditions lack DISABLE_UNLESS_CONDITIONS (as Mage stores one made
/// outside its page, or an import) grants unconditionally: `permissions ls` and `show` and
/// `check --explain` say its conditions are ignored and what fixes it.
#[test]
fn inert_conditions_are_flagged_in_list_show_and_explain() {
    let e = Env::init();
    let doc = r#"
[[users]]
username = "bob"
roles = ["R"]

[[users]]
username = "carol"

[[roles]]
name = "R"
permissions = ["inert"]

[[permissions]]
key = "inert"
catalog = "mage"
entity = "Pipeline"
grants = ["READ_ALL", "UPDATE"]
conditions = ["USER_OWNS_ENTITY"]
"#;
    let file = e.dir.path().join("inert.toml");
    std::fs::write(&file, doc).expect("write");
    e.ok(&["import", file.to_str().expect("path")]);
    let gated = e.permission(&[
        "mage:Block",
        "--grant",
        "UPDATE,READ_ALL",
        "--condition",
        "USER_OWNS_ENTITY",
    ]);

    let v = e.json(&["permissions", "ls", "--catalog", "mage"]);
    let rows = v.as_array().expect("rows");
    let inert = |entity: &str| {
        rows.iter()
            .find(|r| r["entity"] == entity)
            .map(|r| r["inert_conditions"].clone())
    };
    assert_eq!(inert("Pipeline"), Some(serde_json::json!(true)), "{v}");
    assert_eq!(inert("Block"), Some(serde_json::json!(false)), "{v}");
    let table = e.ok(&["permissions", "ls", "--catalog", "mage"]);
    let line = |entity: &str| {
        table
            .lines()
            .find(|l| l.contains(entity))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("Pipeline").contains("USER_OWNS_ENTITY (IGNORED: no DISABLE_UNLESS_CONDITIONS)"),
        "{table}"
    );
    assert!(!line("Block").contains("IGNORED"), "{table}");

    let id = rows
        .iter()
        .find(|r| r["entity"] == "Pipeline")
        .and_then(|r| r["id"].as_str())
        .expect("id")
        .to_string();
    let show = e.ok(&["permissions", "show", &id]);
    let warning = show
        .lines()
        .find(|l| l.starts_with("warning"))
        .unwrap_or_default();
    assert!(
        warning.contains("USER_OWNS_ENTITY ignored by Mage")
            && warning.contains("grant DISABLE_UNLESS_CONDITIONS"),
        "{show}"
    );
    assert_eq!(
        e.json(&["permissions", "show", &id])["inert_conditions"],
        true
    );
    let show = e.ok(&["permissions", "show", &gated]);
    assert!(!show.contains("warning"), "{show}");
    assert_eq!(
        e.json(&["permissions", "show", &gated])["inert_conditions"],
        false
    );

    // Mage lets bob update carol's pipeline; the explanation says why.
    let out = e.ok(&[
        "check",
        "bob",
        "UPDATE",
        "mage:Pipeline/p2",
        "--owner",
        "carol",
        "--explain",
        "--operation-only",
    ]);
    assert!(out.starts_with("ALLOW"), "{out}");
    assert!(
        out.lines().any(|l| l.contains("permission")
            && l.contains("conditions USER_OWNS_ENTITY ignored: no DISABLE_UNLESS_CONDITIONS")),
        "{out}"
    );
    // Once gated, the note is gone and carol's pipeline is out of reach.
    e.ok(&[
        "permissions",
        "update",
        &id,
        "--condition",
        "USER_OWNS_ENTITY",
    ]);
    let out = e.code(
        &[
            "check",
            "bob",
            "UPDATE",
            "mage:Pipeline/p2",
            "--owner",
            "carol",
            "--explain",
            "--operation-only",
        ],
        1,
    );
    assert!(!out.contains("ignored"), "{out}");
}

#[test]
fn who_can_on_mage_names_those_the_whole_call_lets_through() {
    let e = Env::init();
    for u in ["bob", "carol"] {
        e.ok(&["users", "create", u]);
        e.ok(&["roles", "create", &format!("R{u}")]);
        e.ok(&["roles", "assign", &format!("R{u}"), u]);
    }
    // bob: the operation and READ_ALL from two permissions — Mage answers 403.
    let list = e.permission(&["mage:Secret", "--grant", "LIST"]);
    let read = e.permission(&["mage:ALL", "--grant", "READ_ALL"]);
    e.ok(&["roles", "add-permission", "Rbob", &list]);
    e.ok(&["roles", "add-permission", "Rbob", &read]);
    // carol: both in one permission.
    let both = e.permission(&["mage:Secret", "--grant", "LIST,READ_ALL"]);
    e.ok(&["roles", "add-permission", "Rcarol", &both]);
    let out = e.ok(&["who-can", "LIST", "mage:Secret"]);
    assert!(out.contains("carol") && !out.contains("bob"), "{out}");
    let out = e.ok(&["who-can", "LIST", "mage:Secret", "--operation-only"]);
    assert!(out.contains("carol") && out.contains("bob"), "{out}");
    // check agrees with who-can.
    assert!(
        e.code(&["check", "bob", "LIST", "mage:Secret"], 1)
            .starts_with("DENY")
    );
    assert!(
        e.ok(&["check", "carol", "LIST", "mage:Secret"])
            .starts_with("ALLOW")
    );
    // So does what-can, call by call.
    let call = |user: &str, entity: &str, op: &str| {
        let v = e.json(&["what-can", user]);
        v["mage_calls"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|r| r["entity"] == entity && r["op"] == op)
                    .map(|r| r["allowed"].clone())
            })
            .unwrap_or_else(|| panic!("no {op} {entity} for {user}: {v}"))
    };
    assert_eq!(call("carol", "Secret", "LIST"), true);
    assert_eq!(call("bob", "Secret", "LIST"), false);
    assert_eq!(call("carol", "Secret", "CREATE"), false);
    let text = e.ok(&["what-can", "carol"]);
    assert!(
        text.contains("Mage REST calls") && text.contains("mage:Secret"),
        "{text}"
    );
}

/// Under a whole call's failing check, the changes listed pass that check only: assigning a
/// role that grants LIST with one readable attribute passes the operation, and the call then
/// fails at reading the other attributes, so they are not promised to "allow it".
#[test]
fn a_whole_calls_hints_promise_the_failing_check_only() {
    let e = Env::init();
    e.ok(&["users", "create", "carol"]);
    e.ok(&["roles", "create", "Lister"]);
    let narrow = e.permission(&[
        "mage:Pipeline",
        "--grant",
        "LIST,READ",
        "--read-attr",
        "name",
    ]);
    e.ok(&["roles", "add-permission", "Lister", &narrow]);
    let out = e.code(&["check", "carol", "LIST", "mage:Pipeline", "--explain"], 1);
    assert!(out.contains("the check that fails: the operation"), "{out}");
    assert!(out.contains("assign role Lister"), "{out}");
    assert!(out.contains("would pass this check"), "{out}");
    assert!(!out.contains("would allow it"), "{out}");
    // The hint taken: the operation passes and the call still fails, as the heading said.
    e.ok(&["roles", "assign", "Lister", "carol"]);
    let out = e.code(&["check", "carol", "LIST", "mage:Pipeline", "--explain"], 1);
    assert!(out.contains("the check that fails: the query key"), "{out}");
    // A single check's hints still allow it.
    e.ok(&["roles", "unassign", "Lister", "carol"]);
    let out = e.code(
        &[
            "check",
            "carol",
            "LIST",
            "mage:Pipeline",
            "--operation-only",
            "--explain",
        ],
        1,
    );
    assert!(out.contains("would allow it"), "{out}");
}
