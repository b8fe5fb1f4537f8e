//! A bounded load test on loopback: 32 concurrent clients for about 3 seconds doing checks (and
//! batches) with some writes mixed in; no request may fail and the final state must hold
//! exactly the objects whose creation succeeded.

use crate::support;
use crate::support::build;

use gatehouse::backend::Backend;
use gatehouse::backend::RoleSpec;
use gatehouse::server::ServerConfig;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{bounded, start};

const CLIENTS: usize = 32;
const RUN_FOR: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_clients_for_three_seconds_without_an_error() {
    bounded(90, async {
        let f = Arc::new(start(ServerConfig::default()).await);
        f.http(&f.admin_key)
            .apply_preset("mage", false)
            .await
            .expect("preset");
        let checks = Arc::new(AtomicUsize::new(0));
        let creates = Arc::new(AtomicUsize::new(0));
        let deadline = Instant::now() + RUN_FOR;
        let mut tasks = Vec::new();
        for client_no in 0..CLIENTS {
            let f = f.clone();
            let checks = checks.clone();
            let creates = creates.clone();
            tasks.push(tokio::spawn(async move {
                let http = f.http(&f.admin_key);
                let raw = reqwest::Client::new();
                let admin = f.admin.id;
                let mut i = 0usize;
                let mut errors = Vec::new();
                while Instant::now() < deadline && errors.len() < 5 {
                    i += 1;
                    if i.is_multiple_of(25) {
                        match http
                            .create_role(RoleSpec {
                                name: format!("load-{client_no}-{i}"),
                                description: String::new(),
                            })
                            .await
                        {
                            Ok(_) => {
                                creates.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => errors.push(format!("create: {e}")),
                        }
                    } else if i.is_multiple_of(10) {
                        let one = json!({"user": "viewer", "catalog": "mage", "action": "LIST", "entity": "Pipeline"});
                        let body = json!({"requests": vec![one; 100]});
                        let res = raw
                            .post(f.api("/check"))
                            .bearer_auth(&f.admin_key)
                            .json(&body)
                            .send()
                            .await;
                        match res {
                            Ok(r) if r.status().is_success() => {
                                let v: Value = r.json().await.unwrap_or(Value::Null);
                                let n = v["results"].as_array().map_or(0, |a| a.len());
                                if n == 100 {
                                    checks.fetch_add(n, Ordering::Relaxed);
                                } else {
                                    errors.push(format!("batch answered {n} results"));
                                }
                            }
                            Ok(r) => errors.push(format!("batch: {}", r.status())),
                            Err(e) => errors.push(format!("batch: {e}")),
                        }
                    } else {
                        let req = build::request(admin, "mage", "LIST", "Pipeline");
                        match http.explain(req).await {
                            Ok(e) if e.allowed => {
                                checks.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(_) => errors.push("the owner was denied".into()),
                            Err(e) => errors.push(format!("check: {e}")),
                        }
                    }
                }
                errors
            }));
        }
        let mut errors = Vec::new();
        for t in tasks {
            errors.extend(t.await.expect("client task"));
        }
        assert!(errors.is_empty(), "{} errors, first: {:?}", errors.len(), errors.first());
        let created = creates.load(Ordering::Relaxed);
        let done = checks.load(Ordering::Relaxed);
        assert!(created > 0 && done > 0, "{created} creates, {done} checks");
        let state = f.service.snapshot().state.clone();
        let load_roles = state.roles.values().filter(|r| r.name.starts_with("load-")).count();
        assert_eq!(load_roles, created, "every successful create is in the state, nothing else");
        f.service.reload().await.expect("reload");
        let stored = f.service.snapshot().state.clone();
        assert_eq!(stored.roles.len(), state.roles.len(), "and in the store");
        eprintln!("load: {done} checks and {created} creates by {CLIENTS} clients in {RUN_FOR:?}");
    })
    .await;
}
