//! Shared by the tests against a real Mage server (each `#[ignore = "needs a Mage server"]`):
//! the gate on `GATEHOUSE_TEST_MAGE_URL`, an owner's backend, raw calls to Mage's API, unique
//! names and a time bound; `fidelity` holds what the two fidelity tests share.
#![allow(dead_code)]

pub mod fidelity;

use gatehouse::connect::MageBackend;
use gatehouse::connect::mage::Login;
use serde_json::Value;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The Mage server's URL, or `None` after printing the one line that says how to run these
/// tests (a failure under CI). The tests are `#[ignore = "needs a Mage server"]`.
pub fn live_url() -> Option<String> {
    match std::env::var("GATEHOUSE_TEST_MAGE_URL") {
        Ok(u) if !u.trim().is_empty() => Some(u.trim().to_string()),
        _ => {
            crate::support::service_missing(
                "SKIPPED (no Mage server): set GATEHOUSE_TEST_MAGE_URL=$(scripts/mage-server.sh start) to run the Mage fidelity tests; .ci/run does",
            );
            None
        }
    }
}

/// A backend logged in as Mage's default owner.
pub async fn admin(url: &str) -> MageBackend {
    login(url, "admin@admin.com", "admin").await
}

/// A backend logged in as `user`.
pub async fn login(url: &str, user: &str, password: &str) -> MageBackend {
    let b = MageBackend::new(
        url,
        Login {
            user: user.into(),
            password: password.into(),
        },
    )
    .expect("a Mage URL");
    b.connect()
        .await
        .expect("the Mage server answers and the login works");
    b
}

/// A login as `user` that may fail (a wrong password is an error, not a panic).
pub async fn try_login(
    url: &str,
    user: &str,
    password: &str,
) -> gatehouse::backend::Result<MageBackend> {
    let b = MageBackend::new(
        url,
        Login {
            user: user.into(),
            password: password.into(),
        },
    )?;
    b.connect().await?;
    Ok(b)
}

/// GET through the backend's client, as JSON (errors stay in the body).
pub async fn raw_get(b: &MageBackend, path: &str) -> Value {
    match b.client().call(reqwest::Method::GET, path, None).await {
        Ok(v) => v,
        Err(e) => serde_json::json!({"error": e.to_string()}),
    }
}

/// A Mage user to create: `name`, email `name@example.com`, with `password`.
pub fn person(name: &str, password: &str) -> gatehouse::backend::UserSpec {
    gatehouse::backend::UserSpec {
        username: name.into(),
        email: format!("{name}@example.com"),
        password: Some(gatehouse::backend::Password(password.into())),
        ..Default::default()
    }
}

/// A name part no other test run has used.
pub fn unique() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    format!("{:x}{}", t % 0xffff_ffff, N.fetch_add(1, Ordering::SeqCst))
}

/// Runs a test body, failing instead of hanging past `secs`.
pub async fn bounded<T>(secs: u64, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(secs), f).await {
        Ok(v) => v,
        Err(_) => panic!("the test took longer than {secs} s"),
    }
}

/// One live test at a time in a test binary: they share one Mage server, and some compare
/// whole-server counts.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// A role named `role_name` holding one permission — LIST and READ_ALL granted, DELETE denied,
/// on `Secret` — assigned to `user`. Returns (role, permission).
pub async fn secret_lister(
    b: &MageBackend,
    role_name: &str,
    user: gatehouse::model::Id,
) -> (gatehouse::model::Role, gatehouse::model::Permission) {
    use gatehouse::backend::Backend;
    use gatehouse::backend::PermissionSpec;
    let role = crate::support::build::add_role(b, role_name).await;
    let perm = b
        .create_permission(PermissionSpec {
            catalog: "mage".into(),
            entity: "Secret".into(),
            grants: vec!["LIST".into(), "READ_ALL".into()],
            denies: vec!["DELETE".into()],
            ..Default::default()
        })
        .await
        .expect("permission");
    crate::support::build::give(b, user, role.id, perm.id).await;
    (role, perm)
}
