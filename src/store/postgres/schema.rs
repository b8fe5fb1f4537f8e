//! Embedded schema migrations, applied at open in one transaction under a PostgreSQL advisory
//! lock (`pg_advisory_xact_lock`), so several replicas starting together apply each migration
//! once and the others wait and then see it applied. `gatehouse_migrations` records the
//! applied versions.

use super::{db_err, valid_schema};
use crate::store::schema_version::{self, Migration};
use crate::store::{StoreError, StoreResult};
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Executor};

/// The advisory lock key taken while migrating ("gatehous" in ASCII).
const MIGRATION_LOCK: i64 = 0x6761_7465_686f_7573;

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

// The versions only go up (checked as the binary is built).
const _: () = assert!(schema_version::in_order(MIGRATIONS));

const CREATE_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS gatehouse_migrations (
    version    BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)";

/// Creates the first schema of the `search_path` when none of them exists (PostgreSQL would
/// otherwise have nowhere to create the tables).
async fn ensure_schema(conn: &mut PgConnection) -> StoreResult<()> {
    let current: Option<String> = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    if current.is_some() {
        return Ok(());
    }
    let path: String = sqlx::query_scalar("SHOW search_path")
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    let first = path
        .split(',')
        .map(|s| s.trim().trim_matches('"'))
        .find(|s| !s.is_empty() && *s != "$user")
        .unwrap_or("");
    if !valid_schema(first) {
        return Err(StoreError::Database(format!(
            "no schema of the search_path ({path}) exists, and '{first}' is not a plain name to \
             create; create the schema first"
        )));
    }
    // `first` is a plain identifier (checked above), safe to quote into the statement.
    let create = format!("CREATE SCHEMA IF NOT EXISTS \"{first}\"");
    (&mut *conn)
        .execute(create.as_str())
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Checks the schema holds a gatehouse store (or nothing of ours yet) and brings it up to date.
pub(super) async fn migrate(conn: &mut PgConnection) -> StoreResult<()> {
    let mut tx = conn.begin().await.map_err(db_err)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    ensure_schema(&mut tx).await?;
    let (ours, foreign): (bool, bool) = sqlx::query_as(
        "SELECT to_regclass('gatehouse_migrations') IS NOT NULL, \
         to_regclass('users') IS NOT NULL OR to_regclass('roles') IS NOT NULL",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;
    if !ours && foreign {
        return Err(StoreError::Corrupt(
            "the database schema already holds tables of another program (users/roles); give \
             gatehouse its own schema, e.g. ?options[search_path]=gatehouse in the URL"
                .into(),
        ));
    }
    sqlx::query(CREATE_MIGRATIONS)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    let current: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0)::BIGINT FROM gatehouse_migrations")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
    for m in schema_version::pending(MIGRATIONS, current)? {
        // A plain string runs as a simple query: several statements at once.
        (&mut *tx).execute(m.sql).await.map_err(|e| m.failed(e))?;
        sqlx::query("INSERT INTO gatehouse_migrations (version, name) VALUES ($1, $2)")
            .bind(m.version)
            .bind(m.name)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)
}
