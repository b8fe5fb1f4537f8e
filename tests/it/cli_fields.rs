//! The Mage fields a Mage admin edits or reads, through the CLI on a local store: a
//! permission's entity type and scope, a user's first and last name, and who created a role
//! or permission and when (docs/MAGE.md §1; README "Mage").

use crate::cli_support::Env;
use serde_json::Value;

/// The id of the user the CLI acts as.
fn acting_id(e: &Env) -> String {
    let name = e.json(&["status"])["acting_as"]["username"]
        .as_str()
        .expect("acting_as")
        .to_string();
    e.json(&["users", "show", &name])["id"]
        .as_str()
        .expect("id")
        .to_string()
}

#[test]
fn a_mage_permission_keeps_entity_type_scope_and_creator() {
    let e = Env::init();
    let me = acting_id(&e);
    let v = e.json(&[
        "permissions",
        "create",
        "mage:Pipeline",
        "--grant",
        "LIST",
        "--entity-type",
        "Python",
        "--scope",
        "PROJECT",
    ]);
    assert_eq!(v["entity_type"], "python", "spelled as Mage does: {v}");
    assert_eq!(v["scope"], "project");
    assert_eq!(v["created_by"]["id"], Value::String(me.clone()));
    assert!(v["created_by"]["username"].is_string(), "{v}");
    let id = v["id"].as_str().expect("id").to_string();
    let shown = e.json(&["permissions", "show", &id]);
    for f in ["created_at", "updated_at"] {
        assert!(shown[f].is_string(), "{f}: {shown}");
    }
    assert_eq!(shown["scope"], "project");
    let text = e.ok(&["permissions", "show", &id]);
    for want in [
        "entity type",
        "python",
        "scope",
        "project",
        "created by",
        "root",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    let listed = e.ok(&["permissions", "ls"]);
    assert!(
        listed.contains("CREATED BY") && listed.contains("root"),
        "{listed}"
    );
    let rows = e.json(&["permissions", "ls"]);
    assert_eq!(rows[0]["created_by"]["id"], Value::String(me));
    assert_eq!(rows[0]["entity_type"], "python");
    // Other fields change, these stay; an empty value clears (Mage's default scope, global).
    let v = e.json(&["permissions", "update", &id, "--grant", "LIST,DETAIL"]);
    assert_eq!(
        (&v["entity_type"], &v["scope"]),
        (&"python".into(), &"project".into())
    );
    let v = e.json(&[
        "permissions",
        "update",
        &id,
        "--scope",
        "",
        "--entity-type",
        "",
    ]);
    assert_eq!(
        (&v["entity_type"], &v["scope"]),
        (&Value::Null, &Value::Null)
    );
    assert!(v["created_by"]["id"].is_string(), "the creator stays: {v}");
    let text = e.ok(&["permissions", "show", &id]);
    assert!(text.contains("global"), "{text}");
}

#[test]
fn unknown_or_misplaced_mage_fields_are_refused() {
    let e = Env::init();
    let line = e.refused(
        &[
            "permissions",
            "create",
            "mage:Pipeline",
            "--grant",
            "LIST,READ_ALL",
            "--scope",
            "workspace",
        ],
        2,
    );
    assert!(line.contains("global, project, pipeline"), "{line}");
    let line = e.refused(
        &[
            "permissions",
            "create",
            "mage:Pipeline",
            "--grant",
            "LIST,READ_ALL",
            "--entity-type",
            "notebook",
        ],
        2,
    );
    assert!(
        line.contains("data_loader") && line.contains("streaming"),
        "{line}"
    );
    let line = e.refused(
        &[
            "permissions",
            "create",
            "okdata:dataset",
            "--grant",
            "read",
            "--scope",
            "global",
        ],
        2,
    );
    assert!(line.contains("not a Mage catalog"), "{line}");
}

#[test]
fn first_and_last_name_are_kept_exactly_and_named_together() {
    let e = Env::init();
    let v = e.json(&[
        "users",
        "create",
        "ada",
        "--first-name",
        "Ada",
        "--last-name",
        "King Lovelace",
    ]);
    assert_eq!(v["first_name"], "Ada");
    assert_eq!(v["last_name"], "King Lovelace", "a space survives");
    assert_eq!(v["display_name"], "Ada King Lovelace");
    let v = e.json(&["users", "update", "ada", "--first-name", "Augusta"]);
    assert_eq!(
        (&v["first_name"], &v["last_name"], &v["display_name"]),
        (
            &"Augusta".into(),
            &"King Lovelace".into(),
            &"Augusta King Lovelace".into()
        )
    );
    let text = e.ok(&["users", "show", "ada"]);
    assert!(
        text.contains("last name") && text.contains("King Lovelace"),
        "{text}"
    );
    let rows = e.json(&["users", "ls"]);
    let ada = rows
        .as_array()
        .and_then(|r| r.iter().find(|u| u["username"] == "ada"))
        .expect("ada listed");
    assert_eq!(ada["last_name"], "King Lovelace");
    assert!(
        ada["created_at"].is_string() && ada["updated_at"].is_string(),
        "{ada}"
    );
    let listed = e.ok(&["users", "ls"]);
    assert!(
        listed.contains("CREATED") && listed.contains("Augusta King Lovelace"),
        "{listed}"
    );
    // A display name alone is free text: the first and last name go.
    let v = e.json(&["users", "update", "ada", "--name", "The Countess"]);
    assert_eq!(
        (&v["first_name"], &v["last_name"], &v["display_name"]),
        (&"".into(), &"".into(), &"The Countess".into())
    );
    let o = e.run(&["users", "update", "ada", "--name", "X", "--last-name", "Y"]);
    assert_eq!(o.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot be used with"));
}

#[test]
fn roles_show_when_and_by_whom_they_were_made() {
    let e = Env::init();
    let me = acting_id(&e);
    e.ok(&["roles", "create", "Editor"]);
    let v = e.json(&["roles", "ls"]);
    assert_eq!(v[0]["created_by"]["id"], Value::String(me));
    assert!(v[0]["created_at"].is_string(), "{v}");
    let listed = e.ok(&["roles", "ls"]);
    assert!(
        listed.contains("CREATED BY") && listed.contains("root"),
        "{listed}"
    );
    let text = e.ok(&["roles", "show", "Editor"]);
    assert!(
        text.contains("created by") && text.contains("root"),
        "{text}"
    );
}

#[test]
fn documents_carry_the_new_fields_and_old_ones_still_import() {
    let e = Env::init();
    e.ok(&[
        "users",
        "create",
        "ada",
        "--first-name",
        "Ada",
        "--last-name",
        "King Lovelace",
    ]);
    e.ok(&[
        "permissions",
        "create",
        "mage:Pipeline",
        "--grant",
        "LIST",
        "--scope",
        "pipeline",
        "--entity-type",
        "dbt",
    ]);
    let doc = e.export();
    for want in [
        "first_name = \"Ada\"",
        "last_name = \"King Lovelace\"",
        "scope = \"pipeline\"",
        "entity_type = \"dbt\"",
    ] {
        assert!(doc.contains(want), "{want}: {doc}");
    }
    let fresh = Env::init();
    let file = fresh.dir.path().join("doc.toml");
    std::fs::write(&file, &doc).expect("write");
    fresh.ok(&["import", file.to_str().expect("path")]);
    let ada = fresh.json(&["users", "show", "ada"]);
    assert_eq!(ada["last_name"], "King Lovelace");
    let perms = fresh.json(&["permissions", "ls", "--catalog", "mage"]);
    assert_eq!(
        (&perms[0]["scope"], &perms[0]["entity_type"]),
        (&"pipeline".into(), &"dbt".into())
    );
    // A document written before these fields imports; an unknown field is still refused.
    let old = "[[users]]\nusername = \"old\"\ndisplay_name = \"Old Timer\"\n";
    std::fs::write(&file, old).expect("write");
    fresh.ok(&["import", file.to_str().expect("path")]);
    let u = fresh.json(&["users", "show", "old"]);
    assert_eq!(
        (&u["display_name"], &u["first_name"]),
        (&"Old Timer".into(), &"".into())
    );
    std::fs::write(&file, "[[users]]\nusername = \"x\"\nmiddle_name = \"Q\"\n").expect("write");
    let line = fresh.refused(&["import", file.to_str().expect("path")], 2);
    assert!(line.contains("middle_name"), "{line}");
}
