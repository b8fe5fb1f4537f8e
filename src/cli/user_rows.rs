//! The rows `gatehouse users show` shares with `keys` and `check`: API keys and effective
//! permissions.

use super::output::{self, list, print_table, short};
use super::refs::{TeamRef, UserRef};
use crate::engine::{Scope, WhatCan};
use crate::model::{ApiKey, Id};
use crate::policy::State;
use serde::Serialize;

/// A key as shown.
#[derive(Debug, Clone, Serialize)]
pub struct KeyRow {
    /// Id.
    pub id: Id,
    /// Display prefix.
    pub prefix: String,
    /// The user the key acts as.
    pub user: UserRef,
    /// Read-only key.
    pub read_only: bool,
    /// Expiry (RFC 3339) or null.
    pub expires_at: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last use.
    pub last_used_at: Option<String>,
    /// Revocation time.
    pub revoked_at: Option<String>,
}

impl KeyRow {
    /// The row of a key.
    pub fn of(s: &State, k: &ApiKey) -> KeyRow {
        let t = |t: Option<time::OffsetDateTime>| t.map(|t| output::time(Some(t)));
        KeyRow {
            id: k.id,
            prefix: k.prefix.clone(),
            user: UserRef::of(s, &k.user_id),
            read_only: k.read_only,
            expires_at: t(k.expires_at),
            created_at: output::time(Some(k.created_at)),
            last_used_at: t(k.last_used_at),
            revoked_at: t(k.revoked_at),
        }
    }

    /// Table cells matching [`KEY_HEADER`].
    pub fn cells(&self) -> Vec<String> {
        let d = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
        vec![
            short(&self.id),
            format!("{}…", self.prefix),
            self.user.username.clone(),
            if self.read_only { "yes" } else { "no" }.into(),
            d(&self.expires_at),
            d(&self.last_used_at),
            self.revoked_at
                .clone()
                .map_or_else(|| "-".into(), |t| format!("revoked {t}")),
        ]
    }
}

/// Columns of [`KeyRow::cells`].
pub const KEY_HEADER: &[&str] = &[
    "ID",
    "PREFIX",
    "USER",
    "READ-ONLY",
    "EXPIRES",
    "LAST USED",
    "REVOKED",
];

/// One effective permission, names resolved.
#[derive(Debug, Clone, Serialize)]
pub struct EffectiveRow {
    /// Permission id.
    pub permission: Id,
    /// Catalog.
    pub catalog: String,
    /// Entity.
    pub entity: String,
    /// Entity UUID, null for all.
    pub entity_uuid: Option<String>,
    /// Flags allowed through this permission (`allows`: `allowed` is the boolean verdict of
    /// `check` in the JSON contract).
    pub allows: Vec<String>,
    /// Flags it denies.
    pub denies: Vec<String>,
    /// How it is reached.
    pub path: String,
    /// Only for one team's resources (that team), or null.
    pub team_only: Option<TeamRef>,
    /// When the path to it ends (RFC 3339: the earliest end of its relations), or null.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<time::OffsetDateTime>,
}

/// Rows of `what_can`.
pub fn effective_rows(s: &State, w: &WhatCan) -> Vec<EffectiveRow> {
    w.entries
        .iter()
        .map(|e| EffectiveRow {
            permission: e.permission,
            catalog: e.catalog.clone(),
            entity: e.entity.clone(),
            entity_uuid: e.entity_uuid.clone(),
            allows: e.allowed.clone(),
            denies: e.denies.clone(),
            path: output::via(s, &e.via),
            team_only: match e.scope {
                Scope::TeamOnly(t) => Some(TeamRef::of(s, &t)),
                Scope::Everywhere => None,
            },
            expires_at: e.ends,
        })
        .collect()
}

/// Prints effective permissions as a table.
pub fn print_effective(w: &WhatCan, rows: &[EffectiveRow]) {
    if w.disabled {
        outln!("disabled: every request is denied");
    }
    if w.owner {
        outln!("owner: every request is allowed");
    }
    let now = crate::model::now();
    print_table(
        &["ENTITY", "UUID", "ALLOWED", "DENIES", "PATH"],
        rows.iter()
            .map(|r| {
                vec![
                    output::entity(&r.catalog, &r.entity),
                    r.entity_uuid.clone().unwrap_or_else(|| "all".into()),
                    list(&r.allows),
                    list(&r.denies),
                    format!("{}{}", r.path, super::ends::suffix(r.expires_at, now)),
                ]
            })
            .collect(),
        "no permissions reached",
    );
}
