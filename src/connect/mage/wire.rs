//! Mage's JSON objects (roles, permissions, users) and their mapping to gatehouse's model.
//!
//! Mage numbers its objects with integers; gatehouse names them with UUIDs. Mage reuses an
//! integer after a delete (SQLite hands out the largest id plus one again), so the integer
//! alone could name a newer object than the one read. [`uuid_of`] therefore puts the kind, a
//! 28-bit fingerprint of the object's `created_at` and the integer into a version-8 UUID
//! (`6d616765-FFKK-8FFF-80FF-IIIIIIIIIIII`: "mage", the kind, the fingerprint split over the
//! F digits, the id), so the last 12 hex digits — gatehouse's short id — are still Mage's own
//! id in hex, and every write compares the fingerprint with the object the server holds now
//! before it changes anything ([`same_object`]). An object's `version` is its `updated_at` in
//! microseconds, so an edit made on the server since it was read is caught as a conflict
//! before a write.

use crate::catalog::Catalog;
use crate::catalog::access_to_flags;
use crate::model::{Id, Permission, Role, User, UserKind};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::macros::format_description;

/// The kinds of Mage objects gatehouse maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MageKind {
    /// `user`
    User = 1,
    /// `role`
    Role = 2,
    /// `permission`
    Permission = 3,
}

/// A 28-bit fingerprint of a creation time (microsecond precision; Mage's own is seconds).
pub fn fingerprint(created_at: OffsetDateTime) -> u32 {
    let t = (created_at.unix_timestamp_nanos() / 1000) as u64;
    // splitmix64's finalizer: neighbouring seconds land far apart.
    let mut z = t.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z as u32) & 0x0fff_ffff
}

/// The UUID standing for Mage object `id` of `kind`, created at `created_at`.
pub fn uuid_of(kind: MageKind, id: i64, created_at: OffsetDateTime) -> Id {
    let f = fingerprint(created_at);
    let mut b = [0u8; 16];
    b[..4].copy_from_slice(b"mage");
    b[4] = (f >> 20) as u8;
    b[5] = kind as u8;
    b[6] = 0x80 | ((f >> 16) as u8 & 0x0f); // version 8 (custom)
    b[7] = (f >> 8) as u8;
    b[8] = 0x80; // RFC 4122 variant
    b[9] = f as u8;
    let id = (id.max(0) as u64).to_be_bytes();
    b[10..].copy_from_slice(&id[2..]);
    Id::from_bytes(b)
}

/// Mage's integer id and the creation fingerprint behind a UUID made by [`uuid_of`] for
/// `kind`; `None` for any other UUID.
pub fn mage_ref(kind: MageKind, id: &Id) -> Option<(i64, u32)> {
    let b = id.as_bytes();
    if &b[..4] != b"mage" || b[5] != kind as u8 || b[6] & 0xf0 != 0x80 || b[8] != 0x80 {
        return None;
    }
    let mut n = [0u8; 8];
    n[2..].copy_from_slice(&b[10..]);
    let f = (u32::from(b[4]) << 20)
        | (u32::from(b[6] & 0x0f) << 16)
        | (u32::from(b[7]) << 8)
        | u32::from(b[9]);
    Some((u64::from_be_bytes(n) as i64, f))
}

/// Mage's integer id behind a UUID made by [`uuid_of`] for `kind`; `None` for any other UUID.
pub fn mage_id(kind: MageKind, id: &Id) -> Option<i64> {
    mage_ref(kind, id).map(|(n, _)| n)
}

/// True when the object Mage holds now, created at `created_at`, is the one `id` was made
/// for — not a newer object that reuses its integer after a delete.
pub fn same_object(kind: MageKind, id: &Id, created_at: Option<&str>) -> bool {
    mage_ref(kind, id).is_some_and(|(_, f)| f == fingerprint(parse_time(created_at)))
}

/// Mage's timestamps: `2026-11-30 03:44:41` or with microseconds, in UTC.
pub fn parse_time(s: Option<&str>) -> OffsetDateTime {
    let Some(s) = s else {
        return OffsetDateTime::UNIX_EPOCH;
    };
    let short = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let long = format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]");
    time::PrimitiveDateTime::parse(s, long)
        .or_else(|_| time::PrimitiveDateTime::parse(s, short))
        .map(|t| t.assume_utc())
        .or_else(|_| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The version standing for an `updated_at` (never 0).
pub fn version_of(updated_at: OffsetDateTime) -> u64 {
    let micros = updated_at.unix_timestamp_nanos() / 1000;
    u64::try_from(micros).unwrap_or(0).max(1)
}

/// A Mage role as `GET /api/roles` presents it.
#[derive(Debug, Clone, Deserialize)]
pub struct MageRole {
    /// Integer id.
    pub id: i64,
    /// Unique name (empty where an answer gives only the id).
    #[serde(default)]
    pub name: String,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last update.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Legacy one-to-many permissions (`permission.role_id`): not used by the permission engine.
    #[serde(default)]
    pub permissions: Option<Vec<MagePermission>>,
    /// The permissions the engine uses (`role_permission`).
    #[serde(default)]
    pub role_permissions: Option<Vec<MagePermission>>,
    /// Users holding the role (detail only).
    #[serde(default)]
    pub users: Option<Vec<MageRef>>,
    /// Its creator (null for the seeded roles).
    #[serde(default)]
    pub user: Option<MageRef>,
}

/// Just an object's id (nested lists).
#[derive(Debug, Clone, Deserialize)]
pub struct MageRef {
    /// Integer id.
    pub id: i64,
}

/// A Mage permission (`_format=role/detail` adds the option lists).
#[derive(Debug, Clone, Deserialize)]
pub struct MagePermission {
    /// Integer id.
    pub id: i64,
    /// The access bits, grants and `DISABLE_*` denies together.
    #[serde(default)]
    pub access: Option<i64>,
    /// `global`, `project` or `pipeline` (not used in evaluation).
    #[serde(default)]
    pub entity: Option<String>,
    /// The entity UUID (string or number on the wire).
    #[serde(default)]
    pub entity_id: Option<Value>,
    /// The entity name (`Pipeline`, `ALL`, …); empty on the legacy startup permissions.
    #[serde(default)]
    pub entity_name: Option<String>,
    /// Block or pipeline type (not used in evaluation).
    #[serde(default)]
    pub entity_type: Option<String>,
    /// `options.conditions`.
    #[serde(default)]
    pub conditions: Option<Vec<String>>,
    /// `options.query_attributes`.
    #[serde(default)]
    pub query_attributes: Option<Vec<String>>,
    /// `options.read_attributes`.
    #[serde(default)]
    pub read_attributes: Option<Vec<String>>,
    /// `options.write_attributes`.
    #[serde(default)]
    pub write_attributes: Option<Vec<String>>,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last update.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Its creator's id (detail formats only, which 0.9.80 cannot answer: §5.4 of
    /// docs/MAGE.md).
    #[serde(default)]
    pub user_id: Option<i64>,
}

/// A Mage user as `GET /api/users?_format=list` presents it.
#[derive(Debug, Clone, Deserialize)]
pub struct MageUser {
    /// Integer id.
    pub id: i64,
    /// Email (unique).
    #[serde(default)]
    pub email: Option<String>,
    /// Username (unique).
    #[serde(default)]
    pub username: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Owner (the legacy flag, or OWNER in the project access).
    #[serde(default)]
    pub owner: Option<bool>,
    /// The roles the permission system uses (in a users list: each with its name, times and
    /// legacy permissions; in other answers the id may be all there is).
    #[serde(default)]
    pub roles_new: Option<Vec<MageRole>>,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last update.
    #[serde(default)]
    pub updated_at: Option<String>,
}

impl MagePermission {
    /// The entity UUID as text (`None` when unset or empty).
    pub fn entity_uuid(&self) -> Option<String> {
        match &self.entity_id {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        }
    }

    /// Its creator's integer id, when Mage says.
    pub fn creator(&self) -> Option<i64> {
        self.user_id
    }

    /// True for the legacy startup permissions (no entity name): they hang off
    /// `permission.role_id` and Mage's permission engine never reads them.
    pub fn is_legacy(&self) -> bool {
        self.entity_name.as_deref().unwrap_or("").is_empty()
    }

    /// The bits of `access` that the catalog does not name (kept on update).
    pub fn unknown_bits(&self, catalog: &Catalog) -> u64 {
        match access_to_flags(catalog, self.access.unwrap_or(0).max(0) as u64) {
            Ok(_) => 0,
            Err(e) => e.unknown,
        }
    }

    /// The gatehouse permission for this Mage permission.
    pub fn to_model(&self, catalog: &Catalog) -> Permission {
        let access = self.access.unwrap_or(0).max(0) as u64;
        let (grants, denies, unknown) = match access_to_flags(catalog, access) {
            Ok((g, d)) => (g, d, 0),
            Err(e) => {
                let (g, d) = access_to_flags(catalog, access & !e.unknown).unwrap_or_default();
                (g, d, e.unknown)
            }
        };
        let mut notes = Vec::new();
        notes.push(format!("Mage permission #{} (access {access})", self.id));
        if unknown != 0 {
            notes.push(format!(
                "bits {unknown:#x} unknown to gatehouse, kept on save"
            ));
        }
        let updated = parse_time(self.updated_at.as_deref());
        let created = parse_time(self.created_at.as_deref());
        let mut p = Permission {
            id: uuid_of(MageKind::Permission, self.id, created),
            catalog: catalog.name.clone(),
            entity: self.entity_name.clone().unwrap_or_default(),
            entity_uuid: self.entity_uuid(),
            grants,
            denies,
            conditions: self.conditions.clone().unwrap_or_default(),
            query_attributes: self.query_attributes.clone().unwrap_or_default(),
            read_attributes: self.read_attributes.clone().unwrap_or_default(),
            write_attributes: self.write_attributes.clone().unwrap_or_default(),
            description: notes.join("; "),
            created_at: created,
            updated_at: updated,
            version: version_of(updated),
            // Filled in by the reader, which knows the users ([`MagePermission::creator`]).
            created_by: None,
            entity_type: self.entity_type.clone().filter(|t| !t.is_empty()),
            scope: self.entity.clone().filter(|e| !e.is_empty()),
        };
        p.normalize();
        p
    }
}

impl MageRole {
    /// The gatehouse role for this Mage role.
    pub fn to_model(&self) -> Role {
        let legacy: Vec<String> = self
            .permissions
            .iter()
            .flatten()
            .map(|p| {
                format!(
                    "{} access {}",
                    p.entity.as_deref().unwrap_or("global"),
                    p.access.unwrap_or(0)
                )
            })
            .collect();
        let description = if legacy.is_empty() {
            String::new()
        } else {
            format!(
                "Mage legacy role ({}): feeds the owner flag, not the permission engine",
                legacy.join(", ")
            )
        };
        let updated = parse_time(self.updated_at.as_deref());
        let created = parse_time(self.created_at.as_deref());
        Role {
            id: uuid_of(MageKind::Role, self.id, created),
            name: self.name.clone(),
            description,
            created_at: created,
            updated_at: updated,
            version: version_of(updated),
            created_by: None,
        }
    }

    /// Its creator's integer id (`null` for the roles Mage seeds).
    pub fn creator(&self) -> Option<i64> {
        self.user.as_ref().map(|u| u.id)
    }

    /// Ids of the permissions linked through `role_permission`.
    pub fn permission_ids(&self) -> Vec<i64> {
        self.role_permissions
            .iter()
            .flatten()
            .map(|p| p.id)
            .collect()
    }
}

impl MageUser {
    /// The gatehouse user for this Mage user. The username falls back to the email.
    pub fn to_model(&self) -> User {
        let email = self.email.clone().unwrap_or_default();
        let username = self
            .username
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| email.clone());
        let first_name = self.first_name.clone().unwrap_or_default();
        let last_name = self.last_name.clone().unwrap_or_default();
        let display_name = User::join_names(&first_name, &last_name);
        let updated = parse_time(self.updated_at.as_deref());
        let created = parse_time(self.created_at.as_deref());
        User {
            id: uuid_of(MageKind::User, self.id, created),
            username,
            email,
            display_name,
            kind: UserKind::Person,
            disabled: false,
            owner: self.owner.unwrap_or(false),
            created_at: created,
            updated_at: updated,
            version: version_of(updated),
            first_name,
            last_name,
        }
    }

    /// Ids of the roles the user holds.
    pub fn role_ids(&self) -> Vec<i64> {
        self.roles_new.iter().flatten().map(|r| r.id).collect()
    }
}

/// Splits a display name into Mage's first and last name (at the first space).
pub fn split_name(display: &str) -> (String, String) {
    match display.trim().split_once(' ') {
        Some((a, b)) => (a.to_string(), b.trim().to_string()),
        None => (display.trim().to_string(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_never_cross_kinds() {
        let at = parse_time(Some("2026-12-07 02:49:44"));
        for id in [0, 1, 5, 625, 1 << 40] {
            let u = uuid_of(MageKind::Role, id, at);
            assert_eq!(mage_id(MageKind::Role, &u), Some(id));
            assert_eq!(mage_ref(MageKind::Role, &u), Some((id, fingerprint(at))));
            assert_eq!(mage_id(MageKind::User, &u), None);
            assert_eq!(u.get_version_num(), 8);
            assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
        }
        assert_eq!(
            crate::model::short_id(&uuid_of(MageKind::User, 0x2a, at)),
            "00000000002a"
        );
        assert_eq!(mage_id(MageKind::User, &crate::model::new_id()), None);
    }

    #[test]
    fn a_reused_integer_is_another_id() {
        let first = parse_time(Some("2026-12-07 02:49:44"));
        let second = parse_time(Some("2026-12-07 02:49:45"));
        let a = uuid_of(MageKind::Role, 9, first);
        let b = uuid_of(MageKind::Role, 9, second);
        assert_ne!(a, b);
        assert_eq!(mage_id(MageKind::Role, &a), mage_id(MageKind::Role, &b));
        assert!(same_object(MageKind::Role, &a, Some("2026-12-07 02:49:44")));
        assert!(!same_object(
            MageKind::Role,
            &a,
            Some("2026-12-07 02:49:45")
        ));
        assert!(
            same_object(MageKind::Role, &b, Some("2026-12-07T02:49:45Z")),
            "any spelling"
        );
        // Every bit of the fingerprint survives the trip through the UUID.
        let mut seen = 0u32;
        for s in 0..4096 {
            let t = first + time::Duration::seconds(s);
            let f = fingerprint(t);
            assert!(f < 1 << 28);
            seen |= f;
            let (_, back) = mage_ref(MageKind::User, &uuid_of(MageKind::User, 1, t)).unwrap();
            assert_eq!(back, f);
        }
        assert_eq!(seen, 0x0fff_ffff);
    }

    #[test]
    fn times_parse_with_and_without_fractions() {
        let a = parse_time(Some("2026-11-30 03:44:41"));
        let b = parse_time(Some("2026-11-30 03:44:41.480221"));
        assert_eq!(a.unix_timestamp(), b.unix_timestamp());
        assert!(version_of(b) > version_of(a));
        assert_eq!(parse_time(None), OffsetDateTime::UNIX_EPOCH);
        assert_eq!(version_of(OffsetDateTime::UNIX_EPOCH), 1);
    }

    #[test]
    fn permissions_map_bits_and_keep_unknown_ones_visible() {
        let cats = crate::catalog::Catalogs::builtin().unwrap();
        let mage = cats.get("mage").unwrap();
        let p: MagePermission = serde_json::from_value(serde_json::json!({
            "id": 7, "access": 16 | 16384 | 262144 | 256, "entity": "global",
            "entity_id": 5, "entity_name": "Role", "read_attributes": ["name"]
        }))
        .unwrap();
        let m = p.to_model(mage);
        assert_eq!(m.grants, ["LIST", "READ_ALL"]);
        assert_eq!(m.denies, ["LIST"]);
        assert_eq!(m.entity_uuid.as_deref(), Some("5"));
        assert_eq!(m.read_attributes, ["name"]);
        assert_eq!((m.entity_type, m.scope.as_deref()), (None, Some("global")));
        assert_eq!(p.unknown_bits(mage), 256);
        assert!(m.description.contains("0x100"), "{}", m.description);
        assert!(!p.is_legacy());
    }

    #[test]
    fn mage_fields_map_exactly() {
        let cats = crate::catalog::Catalogs::builtin().unwrap();
        let p: MagePermission = serde_json::from_value(serde_json::json!({
            "id": 8, "access": 16, "entity": "pipeline", "entity_type": "dbt",
            "entity_name": "Pipeline"
        }))
        .unwrap();
        let m = p.to_model(cats.get("mage").unwrap());
        assert_eq!(
            (m.entity_type.as_deref(), m.scope.as_deref()),
            (Some("dbt"), Some("pipeline"))
        );
        assert!(
            !m.description.contains("pipeline"),
            "a field now, not a note"
        );
        let u: MageUser = serde_json::from_value(serde_json::json!({
            "id": 3, "email": "a@b.c", "first_name": "Ada", "last_name": "King Lovelace"
        }))
        .unwrap();
        let m = u.to_model();
        assert_eq!(
            (m.first_name.as_str(), m.last_name.as_str()),
            ("Ada", "King Lovelace")
        );
        assert_eq!(m.display_name, "Ada King Lovelace");
        let r: MageRole =
            serde_json::from_value(serde_json::json!({"id": 4, "name": "R", "user": {"id": 1}}))
                .unwrap();
        assert_eq!(r.creator(), Some(1));
    }

    #[test]
    fn names_split_at_the_first_space() {
        assert_eq!(
            split_name("Ada King Lovelace"),
            ("Ada".into(), "King Lovelace".into())
        );
        assert_eq!(split_name("ada"), ("ada".into(), String::new()));
    }
}
