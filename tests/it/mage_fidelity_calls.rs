//! Whole-call fidelity against a real Mage 0.9.80 (gated like `mage_live.rs`): for random
//! permission sets on every entity the catalog has call lists for, each call the catalog
//! knows (list, detail, create, update, delete; the calls 0.9.80 always breaks left out) is
//! made for real as the user, and Mage's 200 / 403 must equal what `check` answers by default
//! — `Backend::decide_call` over `--mage`, from the catalog's attribute lists and what the
//! server's records hold, not from the server's answer.
//! `GATEHOUSE_MAGE_CALL_SCENARIOS` (default 10) and `GATEHOUSE_MAGE_CALL_SEED` vary it.

use crate::mage_support;

use crate::support::build::add_role;
use gatehouse::backend::{Backend, PermissionSpec, RoleSpec};
use gatehouse::catalog::CallSpec;
use gatehouse::connect::MageBackend;
use gatehouse::engine::CallQuery;
use mage_support::fidelity::{
    Outcome, PASSWORD, assert_agree, call, env_num, holder, role_number, tidy, verdict,
};
use mage_support::{admin, bounded, live_url, login, unique};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};

const ENTITIES: [&str; 8] = [
    "Pipeline",
    "PipelineSchedule",
    "Block",
    "Role",
    "Permission",
    "User",
    "Secret",
    "Tag",
];

/// A random permission on an entity the calls touch: operations, and READ with a random part
/// of the attributes the catalog lists (most of the time all of them), WRITE likewise.
fn generate(rng: &mut StdRng, calls: &[CallSpec]) -> PermissionSpec {
    let entity = match rng.random_range(0..14) {
        0 => "ALL",
        i => ENTITIES[(i as usize) % ENTITIES.len()],
    };
    let mut reads: Vec<String> = calls
        .iter()
        .filter(|c| c.entity == entity || entity == "ALL")
        .flat_map(|c| c.read.iter().cloned())
        .collect();
    reads.sort();
    reads.dedup();
    let mut writes: Vec<String> = calls
        .iter()
        .filter(|c| c.entity == entity || entity == "ALL")
        .flat_map(|c| c.write.iter().cloned())
        .collect();
    writes.sort();
    writes.dedup();
    let mut grants: Vec<String> = Vec::new();
    if rng.random_bool(0.35) {
        grants.push("OPERATION_ALL".into());
    } else {
        for op in ["LIST", "DETAIL", "CREATE", "UPDATE", "DELETE"] {
            if rng.random_bool(0.6) {
                grants.push(op.into());
            }
        }
    }
    let mut read = Vec::new();
    match rng.random_range(0..5) {
        0 | 1 => grants.push("READ_ALL".into()),
        2 | 3 => {
            grants.push("READ".into());
            let keep = if rng.random_bool(0.6) { 1.0 } else { 0.85 };
            read = reads
                .into_iter()
                .filter(|_| rng.random_bool(keep))
                .collect();
        }
        _ => {}
    }
    let mut write = Vec::new();
    match rng.random_range(0..4) {
        0 | 1 => grants.push("WRITE_ALL".into()),
        2 => {
            grants.push("WRITE".into());
            write = writes
                .into_iter()
                .filter(|_| rng.random_bool(0.8))
                .collect();
        }
        _ => {}
    }
    if rng.random_bool(0.7) {
        grants.push("QUERY_ALL".into());
    }
    PermissionSpec {
        catalog: "mage".into(),
        entity: entity.into(),
        grants,
        read_attributes: read,
        write_attributes: write,
        ..Default::default()
    }
}

/// The value the test sends for a payload key.
fn value_for(key: &str, tag: &str, n: usize) -> Value {
    match key {
        "name" => json!(format!("fc{tag}n{n}")),
        "type" => json!("python"),
        "value" => json!("v"),
        "permission_ids" | "user_ids" => json!([]),
        _ => json!(null),
    }
}

/// Records the calls act on, made by the owner: a pipeline (with a trigger and a block), a
/// secret, a tag and a role, plus one throwaway record per deletable entity.
struct Records {
    pipeline: String,
    schedule: String,
    role: String,
}

async fn make_records(owner: &MageBackend, tag: &str) -> Records {
    let p = call(
        owner,
        Method::POST,
        "pipelines",
        Some(json!({"pipeline": {"name": format!("fcp{tag}"), "type": "python"}})),
    )
    .await
    .unwrap();
    let pipeline = p["pipeline"]["uuid"].as_str().unwrap().to_string();
    // A block, so the pipeline's block list presents one (an empty list checks no attribute,
    // and `check` cannot see blocks: it assumes one, and says so).
    call(
        owner,
        Method::POST,
        &format!("pipelines/{pipeline}/blocks"),
        Some(json!({"block": {"name": format!("fcb{tag}"), "type": "data_loader", "language": "python"}})),
    )
    .await
    .unwrap();
    let s = call(
        owner,
        Method::POST,
        &format!("pipelines/{pipeline}/pipeline_schedules"),
        Some(json!({"pipeline_schedule": {"name": format!("fcs{tag}")}})),
    )
    .await
    .unwrap();
    let schedule = s["pipeline_schedule"]["id"].to_string();
    // A secret and a tag, so their lists present a record (`check` cannot see them: it
    // assumes one, and an empty list checks no attribute).
    call(
        owner,
        Method::POST,
        "secrets",
        Some(json!({"secret": {"name": format!("fck{tag}"), "value": "v"}})),
    )
    .await
    .unwrap();
    call(
        owner,
        Method::POST,
        "tags",
        Some(json!({"tag": {"name": format!("fct{tag}")}})),
    )
    .await
    .unwrap();
    let role = role_number(&add_role(owner, &format!("fcr{tag}")).await.id).unwrap();
    Records {
        pipeline,
        schedule,
        role,
    }
}

/// A throwaway record of `entity` to delete, by the owner; its id in the member path.
async fn victim(
    owner: &MageBackend,
    entity: &str,
    rec: &Records,
    tag: &str,
    n: usize,
) -> Option<String> {
    let name = format!("fcv{tag}x{n}");
    match entity {
        "Role" => {
            let r = owner
                .create_role(RoleSpec {
                    name,
                    description: String::new(),
                })
                .await
                .ok()?;
            role_number(&r.id)
        }
        "Secret" => {
            call(
                owner,
                Method::POST,
                "secrets",
                Some(json!({"secret": {"name": name, "value": "v"}})),
            )
            .await
            .ok()?;
            Some(name)
        }
        "Pipeline" => {
            let v = call(
                owner,
                Method::POST,
                "pipelines",
                Some(json!({"pipeline": {"name": name, "type": "python"}})),
            )
            .await
            .ok()?;
            v["pipeline"]["uuid"].as_str().map(str::to_string)
        }
        "PipelineSchedule" => {
            let v = call(
                owner,
                Method::POST,
                &format!("pipelines/{}/pipeline_schedules", rec.pipeline),
                Some(json!({"pipeline_schedule": {"name": name}})),
            )
            .await
            .ok()?;
            Some(v["pipeline_schedule"]["id"].to_string())
        }
        _ => None,
    }
}

/// The record a member call acts on, as its path names it and as `entity_id` holds it.
fn member(entity: &str, rec: &Records, owner_id: &str) -> Option<(String, String)> {
    match entity {
        "Role" => Some((rec.role.clone(), rec.role.clone())),
        "Pipeline" => Some((rec.pipeline.clone(), rec.pipeline.clone())),
        "PipelineSchedule" => Some((rec.schedule.clone(), rec.schedule.clone())),
        "User" => Some((owner_id.to_string(), owner_id.to_string())),
        _ => None,
    }
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn whole_calls_are_decided_as_the_real_server_does() {
    let Some(url) = live_url() else { return };
    let _one = mage_support::serial().await;
    let scenarios = env_num("GATEHOUSE_MAGE_CALL_SCENARIOS", 10) as usize;
    let seed = env_num("GATEHOUSE_MAGE_CALL_SEED", 0x6361_6c6c);
    bounded(1500, async move {
        let owner = admin(&url).await;
        let catalogs = owner.catalogs().await.unwrap();
        let mage = catalogs.get("mage").unwrap().clone();
        let calls: Vec<CallSpec> = mage
            .calls
            .iter()
            .filter(|c| ENTITIES.contains(&c.entity.as_str()) && c.broken.is_empty())
            .cloned()
            .collect();
        let owner_id = owner.client().me().await.unwrap()["id"].to_string();
        let mut rng = StdRng::seed_from_u64(seed);
        let mut outcomes: Vec<Outcome> = Vec::new();
        for n in 0..scenarios {
            let tag = unique();
            let rec = make_records(&owner, &tag).await;
            let mut specs = Vec::new();
            for _ in 0..rng.random_range(2..=6) {
                specs.push(generate(&mut rng, &calls));
            }
            let held = holder(&owner, &format!("fcu{tag}"), &format!("fcq{tag}"), &specs).await;
            let me = login(&url, &format!("fcu{tag}@example.com"), PASSWORD).await;
            let perms = format!(
                "{:?}",
                specs
                    .iter()
                    .map(|s| (
                        s.entity.clone(),
                        s.grants.clone(),
                        s.read_attributes.len(),
                        s.write_attributes.clone()
                    ))
                    .collect::<Vec<_>>()
            );
            for (i, c) in calls.iter().enumerate() {
                let coll = c.path.replace("{pipeline_uuid}", &rec.pipeline);
                let (path, uuid, body) = match c.op.as_str() {
                    "LIST" => (coll.clone(), None, None),
                    "CREATE" => {
                        let mut obj = serde_json::Map::new();
                        for k in &c.write {
                            obj.insert(k.clone(), value_for(k, &tag, i));
                        }
                        let key = singular(&c.entity);
                        (coll.clone(), None, Some(json!({ key: Value::Object(obj) })))
                    }
                    "DELETE" => {
                        let Some(v) = victim(&owner, &c.entity, &rec, &tag, i).await else {
                            continue;
                        };
                        (format!("{coll}/{v}"), Some(v), None)
                    }
                    _ => {
                        let Some((p, id)) = member(&c.entity, &rec, &owner_id) else {
                            continue;
                        };
                        let body = (c.op == "UPDATE").then(|| {
                            let mut obj = serde_json::Map::new();
                            for k in &c.write {
                                if k != "permission_ids" && k != "user_ids" {
                                    obj.insert(k.clone(), value_for(k, &tag, i));
                                }
                            }
                            json!({ singular(&c.entity): Value::Object(obj) })
                        });
                        (format!("{coll}/{p}"), Some(id), body)
                    }
                };
                let sent_write: Vec<String> = body
                    .as_ref()
                    .and_then(|b| {
                        b.as_object()?
                            .values()
                            .next()?
                            .as_object()
                            .map(|o| o.keys().cloned().collect())
                    })
                    .unwrap_or_default();
                // gatehouse decides first, from a fresh read of the server (`state` re-reads).
                owner.state().await.unwrap();
                let q = CallQuery {
                    user: held.user.id,
                    entity: c.entity.clone(),
                    op: c.op.clone(),
                    uuid: uuid.clone(),
                    owner: None,
                    query: Some(Vec::new()),
                    write: Some(sent_write),
                };
                let a = owner.decide_call(q).await.unwrap();
                let method = match c.op.as_str() {
                    "LIST" | "DETAIL" => Method::GET,
                    "CREATE" => Method::POST,
                    "UPDATE" => Method::PUT,
                    _ => Method::DELETE,
                };
                let got = verdict(&call(&me, method, &path, body).await);
                outcomes.push(Outcome {
                    what: format!("#{n} {} {} {path}", c.op, c.entity),
                    server: got,
                    gatehouse: a.verdict.allowed,
                    why: format!(
                        "{:?} with {perms}",
                        a.verdict.failed.map(|f| (f.check, f.decision.rule))
                    ),
                });
            }
            held.remove(&owner).await;
            tidy(&owner, &tag).await;
        }
        assert_agree("Mage whole calls", "gatehouse", &outcomes, 8);
    })
    .await;
}

fn singular(entity: &str) -> &'static str {
    match entity {
        "Pipeline" => "pipeline",
        "PipelineSchedule" => "pipeline_schedule",
        "Block" => "block",
        "Role" => "role",
        "Permission" => "permission",
        "User" => "user",
        "Secret" => "secret",
        _ => "tag",
    }
}
