//! Embedded schema migrations and the checks that a file is a gatehouse store.
//!
//! Migrations are `.sql` files compiled into the binary and applied in version order inside
//! one `BEGIN IMMEDIATE` transaction at open; `schema_migrations` records the applied ones.
//! The file is marked with `PRAGMA application_id` so foreign databases are refused.

use super::db_err;
use crate::store::schema_version::{self, Migration};
use crate::store::{StoreError, StoreResult};
use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;
use std::path::Path;

/// `PRAGMA application_id` of a gatehouse store ("Gate" in ASCII).
pub(super) const APPLICATION_ID: i64 = 0x4761_7465;
const SET_APPLICATION_ID: &str = "PRAGMA application_id = 1197569125";

/// Every migration, in version order.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "mage_fields",
        sql: include_str!("migrations/0002_mage_fields.sql"),
    },
    Migration {
        version: 3,
        name: "link_ends",
        sql: include_str!("migrations/0003_link_ends.sql"),
    },
];

/// The schema version this binary writes.
const LATEST: i64 = schema_version::latest(MIGRATIONS);
// The versions only go up (checked as the binary is built).
const _: () = assert!(schema_version::in_order(MIGRATIONS));

const CREATE_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT";

fn not_ours(path: &Path, why: &str) -> StoreError {
    StoreError::Corrupt(format!(
        "{} is not a gatehouse store ({why})",
        path.display()
    ))
}

/// Checks the file is a gatehouse store (or empty) and brings its schema up to date.
pub(super) async fn migrate(conn: &mut SqliteConnection, path: &Path) -> StoreResult<()> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(db_err)?;
    let app_id: i64 = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
    if app_id != APPLICATION_ID {
        if app_id != 0 {
            return Err(not_ours(path, &format!("application id {app_id:#x}")));
        }
        let tables: i64 =
            sqlx::query_scalar("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'")
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
        if tables > 0 {
            return Err(not_ours(
                path,
                "it is an SQLite database of another program",
            ));
        }
    }
    sqlx::query(CREATE_MIGRATIONS)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    let current: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
    for m in schema_version::pending(MIGRATIONS, current)? {
        sqlx::raw_sql(m.sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| m.failed(e))?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(super::rows::ts(crate::model::now()))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    }
    for sql in super::cache::CREATE {
        sqlx::query(sql).execute(&mut *tx).await.map_err(db_err)?;
    }
    if current < LATEST {
        // A migration may rewrite rows without bumping the revision: drop the load cache.
        for sql in super::cache::CLEAR {
            sqlx::query(sql).execute(&mut *tx).await.map_err(db_err)?;
        }
    }
    if app_id != APPLICATION_ID {
        sqlx::query(SET_APPLICATION_ID)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_id_literal_matches() {
        assert_eq!(
            SET_APPLICATION_ID,
            format!("PRAGMA application_id = {APPLICATION_ID}")
        );
    }
}
