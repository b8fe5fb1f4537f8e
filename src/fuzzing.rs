//! Entry points for the fuzz targets (`fuzz/`, `cargo fuzz`) and for the test that replays
//! their committed corpus on stable (`tests/fuzz_corpus.rs`): each takes arbitrary bytes, runs
//! one parser of untrusted input the way the product does, and must return without panicking,
//! whatever the bytes. Not an API: the names follow the fuzz targets.

use crate::backend::{PermissionSpec, PolicyDoc, RoleSpec, TeamSpec, UserSpec};
use crate::catalog::{Catalog, Catalogs};
use crate::connect::mage::wire::{MagePermission, MageRole, MageUser};
use crate::policy::Link;
use crate::wire::{AddPermission, AddRole, AddTeam, AddUser, CheckBatch, CheckRequest, GrantBody};
use crate::wire::{KeyCreate, Update};
use serde::de::DeserializeOwned;
use std::sync::OnceLock;

/// A fuzz target's entry point.
pub type Target = fn(&[u8]);

/// The fuzz targets, by name (the folders of `fuzz/corpus/`).
pub const TARGETS: [(&str, Target); 7] = [
    ("policy_toml", policy_toml),
    ("policy_json", policy_json),
    ("config_toml", config_toml),
    ("api_bodies", api_bodies),
    ("mage_wire", mage_wire),
    ("key_strings", key_strings),
    ("load_cache", load_cache),
];

fn catalogs() -> Option<&'static Catalogs> {
    static CATALOGS: OnceLock<Option<Catalogs>> = OnceLock::new();
    CATALOGS.get_or_init(|| Catalogs::builtin().ok()).as_ref()
}

fn mage_catalog() -> Option<&'static Catalog> {
    catalogs()?.get("mage")
}

/// A policy document in TOML (`gatehouse import FILE.toml`): parsed, and when it parses,
/// written back and parsed again.
pub fn policy_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(doc) = PolicyDoc::from_toml(text)
        && let Ok(again) = doc.to_toml()
    {
        let _ = PolicyDoc::from_toml(&again);
    }
}

/// A policy document in JSON (`POST /api/v1/import`, `gatehouse import FILE.json`).
pub fn policy_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = PolicyDoc::from_json(text);
}

/// `config.toml` (profiles and key remapping).
pub fn config_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = crate::config::parse(text, "fuzz.toml") {
        let _ = config.select(None);
    }
}

fn body<T: DeserializeOwned>(data: &[u8]) {
    let _ = serde_json::from_slice::<T>(data);
}

/// Every request body of the HTTP API: the first byte picks the body type, the rest is the
/// JSON.
pub fn api_bodies(data: &[u8]) {
    let Some((&pick, json)) = data.split_first() else {
        return;
    };
    const PARSERS: [fn(&[u8]); 18] = [
        body::<RoleSpec>,
        body::<UserSpec>,
        body::<TeamSpec>,
        body::<PermissionSpec>,
        body::<Update<RoleSpec>>,
        body::<Update<UserSpec>>,
        body::<Update<TeamSpec>>,
        body::<Update<PermissionSpec>>,
        body::<AddPermission>,
        body::<AddUser>,
        body::<AddTeam>,
        body::<AddRole>,
        body::<GrantBody>,
        body::<KeyCreate>,
        body::<Link>,
        body::<CheckRequest>,
        body::<CheckBatch>,
        body::<PolicyDoc>,
    ];
    PARSERS[usize::from(pick) % PARSERS.len()](json);
}

/// Mage's answers: roles, permissions and users as its REST API returns them, read into the
/// model (the first byte picks which).
pub fn mage_wire(data: &[u8]) {
    let Some((&pick, json)) = data.split_first() else {
        return;
    };
    let Some(mage) = mage_catalog() else {
        return;
    };
    match pick % 3 {
        0 => {
            if let Ok(r) = serde_json::from_slice::<MageRole>(json) {
                let _ = r.to_model();
                let _ = r.permission_ids();
            }
        }
        1 => {
            if let Ok(p) = serde_json::from_slice::<MagePermission>(json) {
                let _ = p.to_model(mage);
                let _ = p.unknown_bits(mage);
                let _ = p.entity_uuid();
            }
        }
        _ => {
            if let Ok(u) = serde_json::from_slice::<MageUser>(json) {
                let _ = u.to_model();
                let _ = u.role_ids();
            }
        }
    }
}

/// Strings a caller hands over as keys, durations and targets: an API key (hashed and looked
/// up), `--expires`, an attribute check, a `catalog:Entity/uuid` target and an okdata resource.
pub fn key_strings(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = crate::service::hash_secret(text);
    let _ = crate::backend::parse_expires(text);
    let _ = crate::engine::AttrCheck::parse(text);
    if let Some(c) = catalogs() {
        let _ = crate::backend::parse_target(c, None, text);
        let _ = crate::service::Resource::parse(c, text);
    }
}

/// The SQLite store's load cache: a header and parts as stored, decoded into a state.
pub fn load_cache(data: &[u8]) {
    let _ = crate::store::sqlite::decode_untrusted_cache(data);
}
