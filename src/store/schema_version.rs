//! What the SQLite and PostgreSQL stores share about their schema version: a migration step,
//! the version a list of them brings a store to, and which of them a store at a version still
//! needs. Each backend keeps its own SQL files, its own record of the applied versions and its
//! own locking (`sqlite/schema.rs`, `postgres/schema.rs`).

use super::{StoreError, StoreResult};

/// One schema step: a version, a name for messages and the record, and its SQL.
#[derive(Debug, Clone, Copy)]
pub(super) struct Migration {
    pub(super) version: i64,
    pub(super) name: &'static str,
    pub(super) sql: &'static str,
}

impl Migration {
    /// The error of this step's SQL failing.
    pub(super) fn failed(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError::Database(format!("migration {} ({}): {e}", self.version, self.name))
    }
}

/// The schema version `migrations` (in version order) bring a store to.
pub(super) const fn latest(migrations: &[Migration]) -> i64 {
    match migrations.last() {
        Some(m) => m.version,
        None => 0,
    }
}

/// Whether `migrations` are in strictly increasing version order.
pub(super) const fn in_order(migrations: &[Migration]) -> bool {
    let mut i = 1;
    while i < migrations.len() {
        if migrations[i - 1].version >= migrations[i].version {
            return false;
        }
        i += 1;
    }
    true
}

/// The migrations a store at schema version `current` still needs, in order; a store newer
/// than this binary (`current` past the last of `migrations`) is refused.
pub(super) fn pending(
    migrations: &[Migration],
    current: i64,
) -> StoreResult<impl Iterator<Item = &Migration>> {
    let latest = latest(migrations);
    if current > latest {
        return Err(StoreError::Corrupt(format!(
            "store schema version {current} is newer than this gatehouse ({latest}); upgrade gatehouse"
        )));
    }
    Ok(migrations.iter().filter(move |m| m.version > current))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: &[Migration] = &[
        Migration {
            version: 1,
            name: "one",
            sql: "",
        },
        Migration {
            version: 2,
            name: "two",
            sql: "",
        },
    ];

    fn versions<'a>(m: impl Iterator<Item = &'a Migration>) -> Vec<i64> {
        m.map(|m| m.version).collect()
    }

    #[test]
    fn a_store_gets_the_steps_past_its_version_and_a_newer_one_is_refused() {
        assert_eq!(latest(STEPS), 2);
        assert!(in_order(STEPS));
        assert!(!in_order(&[STEPS[1], STEPS[0]]));
        assert_eq!(versions(pending(STEPS, 0).unwrap()), [1, 2]);
        assert_eq!(versions(pending(STEPS, 1).unwrap()), [2]);
        assert!(versions(pending(STEPS, 2).unwrap()).is_empty());
        match pending(STEPS, 3) {
            Err(StoreError::Corrupt(m)) => assert!(m.contains("version 3 is newer"), "{m}"),
            Err(e) => panic!("{e:?}"),
            Ok(m) => panic!("{:?}", versions(m)),
        }
        assert_eq!(latest(&[]), 0);
    }
}
