//! Shared by the two fidelity tests (`mage_fidelity.rs`, `mage_fidelity_calls.rs`): their
//! knobs, raw calls and Mage's 200 / 403, a user holding generated permissions through one
//! role, the tally that compares Mage's answers with gatehouse's, and the tidy-up of what a
//! scenario left on the server.

use crate::support::build::add_role;
use gatehouse::backend::{Backend, Error, PermissionSpec};
use gatehouse::connect::MageBackend;
use gatehouse::connect::mage::wire::{MageKind, mage_id};
use gatehouse::model::{Id, Role, User};
use gatehouse::policy::Link;
use reqwest::Method;
use serde_json::Value;

/// The password of every user a fidelity scenario makes.
pub const PASSWORD: &str = "fidelity-pw";

/// A number from the environment variable `name`, else `default`.
pub fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A raw call to Mage's API through `b`'s client.
pub async fn call(
    b: &MageBackend,
    m: Method,
    path: &str,
    body: Option<Value>,
) -> Result<Value, Error> {
    b.client().call(m, path, body.as_ref()).await
}

/// Mage's answer: Some(true) for 200, Some(false) for 403, None for anything else.
pub fn verdict(r: &Result<Value, Error>) -> Option<bool> {
    match r {
        Ok(_) => Some(true),
        Err(Error::Forbidden(_)) => Some(false),
        Err(_) => None,
    }
}

/// The integer Mage knows a role read through gatehouse by, as its paths spell it.
pub fn role_number(id: &Id) -> Option<String> {
    mage_id(MageKind::Role, id).map(|n| n.to_string())
}

/// A user made for a scenario, holding its permissions through one role.
pub struct Holder {
    pub user: User,
    pub role: Role,
    pub permissions: Vec<Id>,
}

/// Makes the user `username` (email `username@example.com`, password [`PASSWORD`]) and the role
/// `role_name`, creates each of `specs` and links it to the role, then gives the role to the
/// user.
pub async fn holder(
    owner: &MageBackend,
    username: &str,
    role_name: &str,
    specs: &[PermissionSpec],
) -> Holder {
    let user = owner
        .create_user(super::person(username, PASSWORD))
        .await
        .unwrap();
    let role = add_role(owner, role_name).await;
    let mut permissions = Vec::new();
    for s in specs {
        let p = owner
            .create_permission(s.clone())
            .await
            .unwrap_or_else(|e| panic!("{s:?}: {e}"));
        owner
            .link(Link::RolePermission {
                role: role.id,
                permission: p.id,
            })
            .await
            .unwrap();
        permissions.push(p.id);
    }
    owner
        .link(Link::UserRole {
            user: user.id,
            role: role.id,
        })
        .await
        .unwrap();
    Holder {
        user,
        role,
        permissions,
    }
}

impl Holder {
    /// Deletes the permissions, the role and the user (what fails is left).
    pub async fn remove(self, owner: &MageBackend) {
        for p in self.permissions {
            let _ = owner.delete_permission(p, true).await;
        }
        let _ = owner.delete_role(self.role.id, true).await;
        let _ = owner.delete_user(self.user.id, true).await;
    }
}

/// One call made for real as the scenario's user: Mage's answer and gatehouse's.
pub struct Outcome {
    pub what: String,
    pub server: Option<bool>,
    pub gatehouse: bool,
    pub why: String,
}

/// Prints the tally of `outcomes` under `label` and fails unless every call Mage answered with
/// 200 or 403 was decided alike by `decider`, at least `tenths` tenths of the calls (rounded
/// down) got such an answer, and the calls were both allowed and denied.
pub fn assert_agree(label: &str, decider: &str, outcomes: &[Outcome], tenths: usize) {
    let compared: Vec<&Outcome> = outcomes.iter().filter(|o| o.server.is_some()).collect();
    let wrong: Vec<String> = compared
        .iter()
        .filter(|o| o.server != Some(o.gatehouse))
        .map(|o| {
            let mage = o.server.map(|a| if a { 200 } else { 403 });
            format!(
                "{}: Mage {mage:?}, {decider} {} {}",
                o.what, o.gatehouse, o.why
            )
        })
        .collect();
    let allowed = compared.iter().filter(|o| o.gatehouse).count();
    eprintln!(
        "{label}: {} calls compared ({allowed} allowed, {} denied), {} not comparable, {} differ",
        compared.len(),
        compared.len() - allowed,
        outcomes.len() - compared.len(),
        wrong.len()
    );
    assert!(
        compared.len() >= outcomes.len() * tenths / 10,
        "too many calls gave neither 200 nor 403"
    );
    assert!(
        allowed > 0 && allowed < compared.len(),
        "the scenarios must both allow and deny"
    );
    assert!(
        wrong.is_empty(),
        "{decider} and Mage disagree on {} calls:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Deletes what a scenario left: every role, secret, tag and pipeline whose name carries its
/// `tag` (the calls' own creates, throwaway records a refused delete kept, the records made for
/// it).
pub async fn tidy(owner: &MageBackend, tag: &str) {
    for (coll, id) in [
        ("roles", "id"),
        ("secrets", "name"),
        ("tags", "id"),
        ("pipelines", "uuid"),
    ] {
        let Ok(all) = call(owner, Method::GET, &format!("{coll}?_limit=1000"), None).await else {
            continue;
        };
        for o in all[coll].as_array().into_iter().flatten() {
            let name = o["name"].as_str().unwrap_or_default();
            if !name.contains(tag) {
                continue;
            }
            let id = match &o[id] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let _ = call(owner, Method::DELETE, &format!("{coll}/{id}"), None).await;
        }
    }
}
