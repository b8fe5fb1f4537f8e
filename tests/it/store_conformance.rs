//! Conformance suite for every [`Store`] implementation. Each case is a function over
//! `&dyn Store`; `conformance!(name, factory)` expands every case as a `#[tokio::test]` for one
//! store factory, so adding a backend is one line at the bottom of this file.

use gatehouse::model::AuditQuery;
use gatehouse::model::{
    ApiKey, Id, ObjectKind, Permission, Principal, Role, Team, User, UserKind, new_id,
};
use gatehouse::policy::{Change, Link, Object, State};
use gatehouse::store::{MemoryStore, PgStore, SqliteStore, Store, StoreError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::any::Any;
use time::OffsetDateTime;

/// A store under test plus whatever must live as long as it (a temporary directory).
pub struct Fixture {
    store: Box<dyn Store>,
    _guard: Box<dyn Any + Send>,
}

impl Fixture {
    fn new(store: impl Store + 'static, guard: impl Any + Send) -> Self {
        Fixture {
            store: Box::new(store),
            _guard: Box::new(guard),
        }
    }
}

macro_rules! conformance {
    ($(#[$attr:meta])* $name:ident, $factory:expr) => {
        conformance!(@expand $name, $factory, [$(#[$attr])*], [
            round_trip_every_kind,
            usernames_unique_case_insensitive,
            role_names_team_keys_hashes_ids_unique,
            stale_version_conflicts_and_writes_nothing,
            commit_is_atomic,
            update_and_delete_missing_not_found,
            missing_references_not_found,
            delete_role_in_use_and_cascade,
            delete_user_permission_team_cascade,
            link_missing_object_not_found,
            duplicate_link,
            many_links_in_one_commit,
            relink_member_replaces_role,
            unlink_missing_link_not_found,
            unlink_member_reports_stored_role,
            revision_counting,
            commit_at_refuses_a_moved_store,
            audit_order_and_filters,
            touch_key,
            bulk_creates,
            expire_and_expired_match_the_reference,
            ends_kept_by_relink_and_role_delete_reported_by_unlink_and_cascades,
            differential_random,
        ]);
    };
    (@expand $name:ident, $factory:expr, $attrs:tt, [$($case:ident),* $(,)?]) => {
        mod $name {
            use super::*;
            $(
                conformance!(@case $attrs, $factory, $case);
            )*
        }
    };
    (@case [$(#[$attr:meta])*], $factory:expr, $case:ident) => {
        #[tokio::test]
        $(#[$attr])*
        async fn $case() {
            let Some(fixture): Option<Fixture> = ($factory)().await else {
                return;
            };
            cases::$case(&*fixture.store).await;
        }
    };
}

conformance!(memory, || async {
    Some(Fixture::new(MemoryStore::new(), ()))
});
conformance!(sqlite, || async {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("gatehouse.db"))
        .await
        .expect("open sqlite store");
    Some(Fixture::new(store, dir))
});
// Ignored: runs with `--include-ignored` and GATEHOUSE_TEST_DATABASE_URL set (each test in a
// fresh schema, dropped after).
conformance!(
    #[ignore = "needs PostgreSQL"]
    postgres,
    || async {
        let guard = pg::fresh()?;
        let store = PgStore::open_in_schema(&guard.url, &guard.schema)
            .await
            .expect("open postgres store");
        Some(Fixture::new(store, guard))
    }
);

/// A fixed instant plus `us` microseconds.
fn at(us: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(1_750_000_000_000_000_000 + i128::from(us) * 1000)
        .expect("valid time")
}

fn user(name: &str) -> User {
    User {
        email: format!("{name}@example.org"),
        updated_at: at(2),
        ..build::user(new_id(), name, at(1))
    }
}

fn role(name: &str) -> Role {
    Role {
        updated_at: at(4),
        ..build::role(new_id(), name, at(3))
    }
}

fn team(key: &str) -> Team {
    Team {
        updated_at: at(6),
        ..build::team(new_id(), key, &key.to_uppercase(), at(5))
    }
}

fn perm(entity: &str) -> Permission {
    Permission {
        grants: build::flags(&["read"]),
        updated_at: at(8),
        ..build::permission(new_id(), "mage", entity, at(7))
    }
}

fn key(user: Id, hash: &str) -> ApiKey {
    build::api_key(new_id(), user, "ghk_AbCd", hash, at(9))
}

/// Wraps a model struct as an [`Object`].
trait IntoObject {
    fn obj(self) -> Object;
}

macro_rules! into_object {
    ($($t:ident),*) => {$(
        impl IntoObject for $t {
            fn obj(self) -> Object {
                Object::$t(self)
            }
        }
    )*};
}
into_object!(User, Team, Role, Permission, ApiKey);

fn c<T: IntoObject>(x: T) -> Change {
    Change::Create(x.obj())
}

fn delete(kind: ObjectKind, id: Id, cascade: bool) -> Change {
    Change::Delete {
        kind,
        id,
        expected_version: None,
        cascade,
    }
}

fn update<T: IntoObject>(x: T, expected_version: u64) -> Change {
    Change::Update {
        object: x.obj(),
        expected_version,
    }
}

/// Audit events without their commit time: `(revision, actor, action, kind, id, before, after)`.
type Ev = (
    u64,
    String,
    String,
    ObjectKind,
    String,
    serde_json::Value,
    serde_json::Value,
);

async fn audit_all(s: &dyn Store) -> Vec<Ev> {
    s.audit(&AuditQuery::default())
        .await
        .expect("audit")
        .into_iter()
        .map(|e| {
            (
                e.revision,
                e.actor,
                e.action,
                e.object_kind,
                e.object_id,
                e.before,
                e.after,
            )
        })
        .collect()
}

/// Everything observable: state, revision and audit (without times).
async fn snapshot(s: &dyn Store) -> (State, u64, Vec<Ev>) {
    (
        s.load().await.expect("load"),
        s.revision().await.expect("revision"),
        audit_all(s).await,
    )
}

mod cases;
pub mod ends;
mod links;
use crate::support::{build, pg};
mod random;
