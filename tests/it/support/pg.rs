//! PostgreSQL test helpers. The PostgreSQL tests are `#[ignore = "needs PostgreSQL"]` (run them
//! with `cargo test --locked -- --include-ignored`); each runs in its own fresh schema of
//! `GATEHOUSE_TEST_DATABASE_URL`, dropped afterwards. Without that variable each fails under CI
//! and otherwise prints one SKIPPED line.
#![allow(dead_code)]

/// The line a PostgreSQL test prints when it does not run.
pub const SKIP: &str = "SKIPPED (no PostgreSQL): set \
     GATEHOUSE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test to run the PostgreSQL \
     store tests";

/// The test database URL, or `None` after printing [`SKIP`] (a failure under CI).
pub fn url() -> Option<String> {
    match std::env::var("GATEHOUSE_TEST_DATABASE_URL") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            super::service_missing(SKIP);
            None
        }
    }
}

/// A fresh schema of the test database (dropped with the guard), or `None` after printing
/// [`SKIP`] (a failure under CI).
pub fn fresh() -> Option<SchemaGuard> {
    let url = url()?;
    Some(SchemaGuard::new(&url, &fresh_schema()))
}

/// A schema name nobody else uses.
pub fn fresh_schema() -> String {
    format!("gh_test_{}", uuid::Uuid::now_v7().simple())
}

/// `url` with its `search_path` set to `schema` (the store creates the schema at open).
pub fn url_in_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options[search_path]={schema}")
}

/// Drops its schema (and everything in it) when dropped.
pub struct SchemaGuard {
    /// The database.
    pub url: String,
    /// The schema dropped on drop.
    pub schema: String,
}

impl SchemaGuard {
    /// Guards `schema` of the database at `url`.
    pub fn new(url: &str, schema: &str) -> Self {
        SchemaGuard {
            url: url.to_string(),
            schema: schema.to_string(),
        }
    }

    /// The database URL with its `search_path` set to the schema.
    pub fn db(&self) -> String {
        url_in_schema(&self.url, &self.schema)
    }
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let (url, schema) = (self.url.clone(), self.schema.clone());
        // A runtime of its own on another thread: drop may run inside a test's runtime.
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
                // Never hang on a transaction a test left open: give up and say so.
                sqlx::raw_sql(&format!(
                    "SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                ))
                .execute(&mut conn)
                .await
                .expect("drop schema");
            });
        })
        .join();
        if done.is_err() {
            eprintln!("could not drop test schema {}", self.schema);
        }
    }
}
