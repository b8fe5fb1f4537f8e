//! "Create default roles and permissions" on a live Mage server through its REST API
//! (`docs/MAGE.md` §3.1): every row of Mage's seed written and checked field by field, a second
//! run writing nothing, an interrupted run finished by the next, progress, and the CLI. The
//! tests share one server with the other live tests and hold in any order: a server with the
//! full seed already, with Mage's own partial seed, or with nothing. Each first deletes the
//! seed's rows of a few entities no other test uses, so it always has something to write.

use crate::mage_live::gatehouse_on_mage;
use crate::mage_support::{admin, bounded, live_url, raw_get, serial};
use gatehouse::backend::{Backend, PresetProgress};
use gatehouse::connect::MageBackend;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// Entities whose seed rows the tests delete first (66 rows; no other test touches them).
const DROPPED: [&str; 4] = [
    "VersionControlProject",
    "VersionControlBranch",
    "VersionControlRemote",
    "BrowserItem",
];

/// A permission's content as Mage's seed defines it: lists as sorted sets.
type Content = (String, i64, [Vec<String>; 4]);

fn list(v: &Value, key: &str) -> Vec<String> {
    let mut l: Vec<String> = v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    l.sort();
    l.dedup();
    l
}

fn content(v: &Value) -> Content {
    (
        v["entity_name"].as_str().unwrap_or("").to_string(),
        v["access"].as_i64().unwrap_or(-1),
        [
            "conditions",
            "query_attributes",
            "read_attributes",
            "write_attributes",
        ]
        .map(|k| list(v, k)),
    )
}

/// The preset: role name → the contents of its rows.
fn preset() -> BTreeMap<String, Vec<Content>> {
    gatehouse::presets::mage_seed()
        .unwrap()
        .into_iter()
        .map(|(role, rows)| {
            let rows = rows
                .iter()
                .map(|p| {
                    let v = serde_json::to_value(serde_json::json!({
                        "entity_name": p.entity_name, "access": p.access,
                        "conditions": p.conditions, "query_attributes": p.query_attributes,
                        "read_attributes": p.read_attributes, "write_attributes": p.write_attributes,
                    }))
                    .unwrap();
                    content(&v)
                })
                .collect();
            (role, rows)
        })
        .collect()
}

/// Checks the server against the preset, every field: the 6 roles by exact name, and for each
/// of its 625 links a linked permission with the row's entity name, access, conditions and
/// attribute lists, GLOBAL scope, no entity UUID and no entity type.
async fn assert_seeded(b: &MageBackend) {
    let roles = raw_get(b, "roles?_limit=1000").await;
    let perms = raw_get(b, "permissions?_limit=5000&_format=role/detail").await;
    let perms: BTreeMap<i64, &Value> = perms["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| (p["id"].as_i64().unwrap(), p))
        .collect();
    let want = preset();
    assert_eq!(want.len(), 6);
    let mut links = 0;
    let mut rows = BTreeSet::new();
    for (name, contents) in &want {
        let role = roles["roles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name.as_str())
            .unwrap_or_else(|| panic!("role '{name}' is missing"));
        let held: Vec<&Value> = role["role_permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|rp| perms.get(&rp["id"].as_i64().unwrap()).copied())
            .collect();
        for c in contents {
            let p = held
                .iter()
                .find(|p| {
                    content(p) == *c
                        && p["entity"]
                            .as_str()
                            .unwrap_or("global")
                            .eq_ignore_ascii_case("global")
                        && p["entity_id"].is_null()
                        && p["entity_type"].as_str().unwrap_or("").is_empty()
                })
                .unwrap_or_else(|| panic!("role '{name}' lacks {c:?}"));
            assert!(p["id"].as_i64().is_some());
            links += 1;
            rows.insert(c.clone());
        }
    }
    assert_eq!(links, 625);
    assert_eq!(rows.len(), 623);
}

/// Deletes the permissions holding the seed's rows of [`DROPPED`] (links go with them), so
/// the seed has something to write whatever the server held; returns how many went.
async fn drop_some(b: &MageBackend) -> usize {
    let want: BTreeSet<Content> = preset()
        .into_values()
        .flatten()
        .filter(|c| DROPPED.contains(&c.0.as_str()))
        .collect();
    assert_eq!(want.len(), 66);
    let perms = raw_get(b, "permissions?_limit=5000&_format=role/detail").await;
    let mut n = 0;
    for p in perms["permissions"].as_array().unwrap() {
        if want.contains(&content(p)) {
            let id = p["id"].as_i64().unwrap();
            b.client()
                .call(
                    reqwest::Method::DELETE,
                    &format!("permissions/{id}?_format=role/detail"),
                    None,
                )
                .await
                .unwrap();
            n += 1;
        }
    }
    n
}

fn collect() -> (
    Arc<Mutex<Vec<PresetProgress>>>,
    gatehouse::backend::ProgressSink,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (seen, Arc::new(move |p| sink.lock().unwrap().push(p)))
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn the_rest_seed_writes_every_row_of_mages_seed_and_a_second_run_nothing() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(300, async {
        let b = admin(&url).await;
        drop_some(&b).await;
        let preview = b.apply_preset("mage", true).await.unwrap();
        assert!(preview.dry_run);
        assert!(preview.permissions.created >= 66, "{preview:?}");
        let (seen, sink) = collect();
        let started = std::time::Instant::now();
        let r = b.apply_preset_progress("mage", false, sink).await.unwrap();
        let took = started.elapsed();
        assert!(took.as_secs() <= 60, "the REST seed took {took:?}");
        assert_eq!(r.roles.created + r.roles.present, 6);
        assert_eq!(r.permissions.created + r.permissions.present, 623);
        assert_eq!(r.links.created + r.links.present, 625);
        assert_eq!(
            (r.roles.created, r.permissions.created, r.links.created),
            (
                preview.roles.created,
                preview.permissions.created,
                preview.links.created
            ),
            "the run did what its dry run said"
        );
        let seen = seen.lock().unwrap().clone();
        let last = seen.last().expect("progress was reported");
        assert_eq!(last.done, last.total, "{last:?}");
        assert!(seen.windows(2).all(|w| w[0].done <= w[1].done));
        let said = format!(
            "{} of {} permissions",
            r.permissions.created, r.permissions.created
        );
        assert!(last.message.contains(&said), "{}", last.message);
        assert_seeded(&b).await;
        // A second run writes nothing and reports everything present.
        let (seen, sink) = collect();
        let again = b.apply_preset_progress("mage", false, sink).await.unwrap();
        assert_eq!(
            (
                again.roles.created,
                again.permissions.created,
                again.links.created
            ),
            (0, 0, 0)
        );
        assert_eq!(
            (
                again.roles.present,
                again.permissions.present,
                again.links.present
            ),
            (6, 623, 625)
        );
        assert!(
            seen.lock().unwrap().is_empty(),
            "nothing to do, nothing said"
        );
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn an_interrupted_rest_seed_is_finished_by_the_next_run() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(300, async {
        let b = admin(&url).await;
        drop_some(&b).await;
        let before = b.apply_preset("mage", true).await.unwrap();
        // Stop the run (drop its future) after ten permissions were created.
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let tx = Mutex::new(Some(tx));
        let sink: gatehouse::backend::ProgressSink = Arc::new(move |p: PresetProgress| {
            if p.done >= 10
                && let Some(tx) = tx.lock().unwrap().take()
            {
                let _ = tx.send(());
            }
        });
        tokio::select! {
            r = b.apply_preset_progress("mage", false, sink) => panic!("not interrupted: {r:?}"),
            _ = rx => {}
        }
        let between = b.apply_preset("mage", true).await.unwrap();
        assert!(
            between.permissions.created < before.permissions.created,
            "{before:?} then {between:?}"
        );
        assert!(between.permissions.created > 0, "{between:?}");
        let r = b.apply_preset("mage", false).await.unwrap();
        assert_eq!(r.permissions.created, between.permissions.created);
        assert_eq!(r.links.created, between.links.created);
        assert_eq!(
            (
                r.roles.created + r.roles.present,
                r.permissions.created + r.permissions.present,
                r.links.created + r.links.present
            ),
            (6, 623, 625)
        );
        assert_seeded(&b).await;
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn the_cli_creates_mages_defaults_and_says_how_it_goes() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(300, async {
        let b = admin(&url).await;
        drop_some(&b).await;
        let dry = gatehouse_on_mage(
            &url,
            &[
                "-o",
                "json",
                "defaults",
                "apply",
                "mage",
                "--dry-run",
                "--mage-seed",
            ],
            &[],
            "",
        );
        assert!(
            dry.status.success(),
            "{}",
            String::from_utf8_lossy(&dry.stderr)
        );
        let dry: Value = serde_json::from_slice(&dry.stdout).unwrap();
        assert_eq!(dry["dry_run"], true);
        assert!(
            dry["created"]["permission_count"].as_u64().unwrap() >= 66,
            "{dry}"
        );
        let bad = gatehouse_on_mage(
            &url,
            &["defaults", "apply", "mage"],
            &[("GATEHOUSE_MAGE_SEED_CONCURRENCY", "0")],
            "",
        );
        assert_eq!(bad.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&bad.stderr).contains("GATEHOUSE_MAGE_SEED_CONCURRENCY"));
        let not_mage = gatehouse_on_mage(
            &url,
            &["defaults", "apply", "okdata", "--mage-seed"],
            &[],
            "",
        );
        assert_eq!(not_mage.status.code(), Some(2));
        let out = gatehouse_on_mage(
            &url,
            &["defaults", "apply", "mage"],
            &[("GATEHOUSE_MAGE_SEED_CONCURRENCY", "4")],
            "",
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(
            stderr.contains("Creating Mage's defaults through its REST API"),
            "{stderr}"
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("preset mage"), "{stdout}");
        let again = gatehouse_on_mage(&url, &["-o", "json", "defaults", "apply", "mage"], &[], "");
        assert!(again.status.success());
        let again: Value = serde_json::from_slice(&again.stdout).unwrap();
        for (kind, total) in [
            ("role_count", 6),
            ("permission_count", 623),
            ("link_count", 625),
        ] {
            assert_eq!(again["created"][kind], 0, "{again}");
            assert_eq!(again["present"][kind], total, "{again}");
        }
        assert_seeded(&b).await;
    })
    .await;
}
