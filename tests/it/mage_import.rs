//! `gatehouse --mage URL import FILE` against a live Mage 0.9.80: the dry run writes nothing,
//! the import writes exactly the document (read back through Mage's own API), a second one
//! writes nothing, and what Mage cannot hold is refused before anything is written.

use crate::mage_live::gatehouse_on_mage;
use crate::mage_support::{self, admin, bounded, live_url, serial, unique};
use gatehouse::backend::Backend;
use gatehouse::connect::MageBackend;
use serde_json::Value;
use std::collections::BTreeMap;

/// Everything the server holds that an import could change.
async fn snapshot(b: &MageBackend) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let c = b.client();
    tokio::try_join!(
        c.list::<Value>("roles", ""),
        c.list::<Value>("permissions", "_format=role/detail"),
        c.list::<Value>("users", "_format=list"),
    )
    .unwrap()
}

fn doc(u: &str) -> String {
    format!(
        r#"
[[users]]
username = "imp_{u}"
email = "imp_{u}@example.com"
display_name = "Imported User"
roles = ["imp-{u}-editors", "imp-{u}-viewers"]

[[roles]]
name = "imp-{u}-editors"
permissions = ["own-user", "secrets"]

[[roles]]
name = "imp-{u}-viewers"
permissions = ["one-pipeline", "secrets"]

[[permissions]]
key = "own-user"
catalog = "mage"
entity = "User"
grants = ["UPDATE", "WRITE", "READ", "QUERY"]
conditions = ["USER_OWNS_ENTITY"]
query_attributes = ["_limit"]
read_attributes = ["id", "username", "r_{u}"]
write_attributes = ["first_name", "last_name"]

[[permissions]]
key = "one-pipeline"
catalog = "mage"
entity = "Pipeline"
entity_uuid = "imp_{u}_pipeline"
grants = ["DETAIL", "READ_ALL"]
denies = ["DELETE"]

[[permissions]]
key = "secrets"
catalog = "mage"
entity = "Secret"
grants = ["LIST", "READ"]
read_attributes = ["name", "k_{u}"]
"#
    )
}

fn run(url: &str, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = gatehouse_on_mage(url, args, env, "");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `-o json import FILE MODE --user-password-env IMP_PW`, with `pw` setting IMP_PW.
fn import_json(url: &str, file: &str, mode: &str, pw: &[(&str, &str)]) -> (i32, String, String) {
    let args = [
        "-o",
        "json",
        "import",
        file,
        mode,
        "--user-password-env",
        "IMP_PW",
    ];
    run(url, &args, pw)
}

/// (created, present) per kind of a JSON import report.
fn counts(stdout: &str) -> BTreeMap<String, (u64, u64)> {
    let v: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    ["users", "teams", "roles", "permissions", "links"]
        .iter()
        .map(|k| {
            // `-o json` counts: `created.role_count`, `present.role_count`, …
            let count = format!("{}_count", k.trim_end_matches('s'));
            (
                k.to_string(),
                (
                    v["created"][&count].as_u64().unwrap(),
                    v["present"][&count].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

fn list(v: &Value) -> Vec<String> {
    let mut l: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    l.sort();
    l
}

fn strs(s: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = s.iter().map(|x| x.to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn mage_import_writes_a_document_once_and_refuses_teams() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(300, async {
        let b = &admin(&url).await;
        let u = unique();
        let dir = std::env::temp_dir().join(format!("gatehouse-mage-import-{u}"));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("policy.toml");
        std::fs::write(&file, doc(&u)).unwrap();
        let file = file.to_str().unwrap();
        let pw = [("IMP_PW", "initial-pass-123")];

        // Dry run: the plan, nothing written.
        let before = snapshot(b).await;
        let (code, out, err) = import_json(&url, file, "--dry-run", &pw);
        assert_eq!(code, 0, "{err}");
        let c = counts(&out);
        assert_eq!(c["roles"], (2, 0));
        assert_eq!(c["permissions"], (3, 0));
        assert_eq!(c["users"], (1, 0));
        assert_eq!(c["links"], (6, 0), "4 role links, 2 user links");
        // Without --yes and without a terminal: the plan, then a refusal that a script sees
        // (exit 2, not 0), nothing written.
        let (code, out, err) = run(
            &url,
            &["import", file, "--user-password-env", "IMP_PW"],
            &pw,
        );
        assert_eq!(code, 2, "{err}");
        assert!(out.contains("WOULD CREATE"), "{out}");
        assert!(out.contains("DISABLE_UNLESS_CONDITIONS added"), "{out}");
        assert!(err.contains("pass --yes"), "{err}");
        // With -o json nothing is asked: refused the same way.
        let (code, _, err) = run(
            &url,
            &[
                "-o",
                "json",
                "import",
                file,
                "--user-password-env",
                "IMP_PW",
            ],
            &pw,
        );
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("--yes"), "{err}");
        // Users to create without a password: refused, with the way to give one.
        let (code, _, err) = run(&url, &["import", file, "--dry-run"], &[]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("--user-password-env"), "{err}");
        assert_eq!(snapshot(b).await, before, "the dry runs wrote nothing");

        // The import.
        let (code, out, err) = import_json(&url, file, "--yes", &pw);
        assert_eq!(code, 0, "{err}");
        let c = counts(&out);
        assert_eq!(
            (c["roles"], c["permissions"], c["users"], c["links"]),
            ((2, 0), (3, 0), (1, 0), (6, 0))
        );
        let after = snapshot(b).await;
        assert_eq!(after.0.len(), before.0.len() + 2, "two roles");
        assert_eq!(after.1.len(), before.1.len() + 3, "three permissions");
        assert_eq!(after.2.len(), before.2.len() + 1, "one user");

        // Read back through Mage's own API.
        let role_id = |name: &str| {
            after
                .0
                .iter()
                .find(|r| r["name"] == name)
                .and_then(|r| r["id"].as_i64())
                .unwrap_or_else(|| panic!("role {name}"))
        };
        let editors = role_id(&format!("imp-{u}-editors"));
        let viewers = role_id(&format!("imp-{u}-viewers"));
        let perms_of = |role: i64| async move {
            let r = mage_support::raw_get(b, &format!("roles/{role}")).await;
            let mut ids: Vec<i64> = r["role"]["role_permissions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_i64().unwrap())
                .collect();
            ids.sort();
            ids
        };
        let (e_perms, v_perms) = (perms_of(editors).await, perms_of(viewers).await);
        assert_eq!((e_perms.len(), v_perms.len()), (2, 2));
        let shared: Vec<&i64> = e_perms.iter().filter(|p| v_perms.contains(p)).collect();
        assert_eq!(shared.len(), 1, "'secrets' is one permission in both roles");
        let perm = |id: i64| {
            after
                .1
                .iter()
                .find(|p| p["id"].as_i64() == Some(id))
                .unwrap()
                .clone()
        };
        let secrets = perm(*shared[0]);
        assert_eq!(secrets["entity_name"], "Secret");
        assert_eq!(secrets["access"], 16 | 8192);
        assert_eq!(
            list(&secrets["read_attributes"]),
            strs(&["name", &format!("k_{u}")])
        );
        let own = perm(*e_perms.iter().find(|p| **p != *shared[0]).unwrap());
        assert_eq!(own["entity_name"], "User");
        assert_eq!(
            own["access"],
            128 | 32768 | 8192 | 2048 | 1073741824,
            "UPDATE, WRITE, READ, QUERY and the condition gate"
        );
        assert_eq!(list(&own["conditions"]), strs(&["USER_OWNS_ENTITY"]));
        assert_eq!(list(&own["query_attributes"]), strs(&["_limit"]));
        assert_eq!(
            list(&own["read_attributes"]),
            strs(&["id", "username", &format!("r_{u}")])
        );
        assert_eq!(
            list(&own["write_attributes"]),
            strs(&["first_name", "last_name"])
        );
        assert!(own["entity_id"].is_null(), "{own}");
        let pipe = perm(*v_perms.iter().find(|p| **p != *shared[0]).unwrap());
        assert_eq!(pipe["entity_name"], "Pipeline");
        assert_eq!(pipe["entity_id"], format!("imp_{u}_pipeline"));
        assert_eq!(pipe["access"], 32 | 16384 | 4194304);
        let user = after
            .2
            .iter()
            .find(|x| x["username"] == format!("imp_{u}"))
            .unwrap()
            .clone();
        assert_eq!(user["email"], format!("imp_{u}@example.com"));
        assert_eq!(
            (&user["first_name"], &user["last_name"]),
            (&"Imported".into(), &"User".into())
        );
        let mut held: Vec<i64> = user["roles_new"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        held.sort();
        assert_eq!(held, {
            let mut v = vec![editors, viewers];
            v.sort();
            v
        });
        assert!(
            mage_support::try_login(&url, &format!("imp_{u}@example.com"), "initial-pass-123")
                .await
                .is_ok(),
            "the new user logs in with the initial password"
        );

        // Again (no password needed now: the user exists): nothing to do.
        let (code, out, err) = run(&url, &["-o", "json", "import", file, "--yes"], &[]);
        assert_eq!(code, 0, "{err}");
        let c = counts(&out);
        for k in ["users", "roles", "permissions", "links"] {
            assert_eq!(c[k].0, 0, "{k}: {out}");
        }
        assert_eq!(
            (c["roles"].1, c["permissions"].1, c["users"].1, c["links"].1),
            (2, 3, 1, 6)
        );
        let again = snapshot(b).await;
        assert_eq!(again, after, "the second import wrote nothing");

        // A document with a team: refused by name, nothing written.
        let teams = dir.join("teams.toml");
        std::fs::write(
            &teams,
            format!("{}\n[[teams]]\nkey = \"t{u}\"\n", doc(&format!("{u}b"))),
        )
        .unwrap();
        let (code, _, err) = run(
            &url,
            &[
                "import",
                teams.to_str().unwrap(),
                "--yes",
                "--user-password-env",
                "IMP_PW",
            ],
            &pw,
        );
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains(&format!("teams ('t{u}') are not supported by Mage")),
            "{err}"
        );
        assert_eq!(snapshot(b).await, after, "the refused import wrote nothing");

        // Clean up.
        let s = b.state().await.unwrap();
        let mine: Vec<_> = s
            .permissions
            .iter()
            .filter(|p| {
                p.attributes()[1]
                    .iter()
                    .any(|a| a.ends_with(&u.to_string()))
                    || p.entity_uuid() == Some(&format!("imp_{u}_pipeline"))
            })
            .map(|p| p.id())
            .collect();
        assert_eq!(mine.len(), 3);
        for id in mine {
            b.delete_permission(id, true).await.unwrap();
        }
        let s = b.state().await.unwrap();
        for name in [format!("imp-{u}-editors"), format!("imp-{u}-viewers")] {
            let r = s.role_by_name(&name).unwrap().id;
            b.delete_role(r, true).await.unwrap();
        }
        let s = b.state().await.unwrap();
        let user = s.user_by_name(&format!("imp_{u}")).unwrap().id;
        b.delete_user(user, true).await.unwrap();
        assert_eq!(snapshot(b).await.1.len(), before.1.len());
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await;
}
