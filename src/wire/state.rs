//! [`StateWire`]: the JSON form of a [`State`]. `State` keeps relations in sets and maps with
//! tuple keys (which JSON objects cannot hold); the wire form lists them as [`Link`]s, and API
//! keys travel without their secret hashes. Conversion is lossless but for those hashes.

use crate::model::{ApiKey, Id, Revision};
use crate::model::{Permission, Role, Team, User};
use crate::policy::{Expiries, Link, LinkExpiry, State};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// An API key record without its secret hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KeyWire {
    /// Identifier.
    #[schema(value_type = uuid::Uuid)]
    pub id: Id,
    /// The first characters of the key, shown to humans.
    pub prefix: String,
    /// The user the key acts as.
    #[schema(value_type = uuid::Uuid)]
    pub user_id: Id,
    /// A read-only key can never write.
    pub read_only: bool,
    /// Expiry, if any.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub expires_at: Option<OffsetDateTime>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last successful use.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub last_used_at: Option<OffsetDateTime>,
    /// Revocation time.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub revoked_at: Option<OffsetDateTime>,
    /// Optimistic-concurrency version.
    pub version: u64,
}

impl From<&ApiKey> for KeyWire {
    fn from(k: &ApiKey) -> KeyWire {
        KeyWire {
            id: k.id,
            prefix: k.prefix.clone(),
            user_id: k.user_id,
            read_only: k.read_only,
            expires_at: k.expires_at,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
            version: k.version,
        }
    }
}

impl KeyWire {
    /// The record with `hash` as its secret hash (empty when unknown, as on a client).
    pub fn to_record(&self, hash: String) -> ApiKey {
        ApiKey {
            id: self.id,
            prefix: self.prefix.clone(),
            hash,
            user_id: self.user_id,
            read_only: self.read_only,
            expires_at: self.expires_at,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
            version: self.version,
        }
    }
}

/// Every object and relation of a store as of one revision, as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateWire {
    /// The revision.
    pub revision: Revision,
    /// Users, by id order.
    pub users: Vec<User>,
    /// Teams.
    pub teams: Vec<Team>,
    /// Roles.
    pub roles: Vec<Role>,
    /// Permissions.
    pub permissions: Vec<Permission>,
    /// API keys, without their secret hashes.
    pub keys: Vec<KeyWire>,
    /// Every relation.
    pub links: Vec<Link>,
    /// When relations end, for those among `links` that do (absent: none does, or a server
    /// from before relations could end).
    #[serde(default, skip_serializing_if = "Expiries::is_empty")]
    pub expiries: Expiries,
}

impl From<&State> for StateWire {
    fn from(s: &State) -> StateWire {
        let mut links = Vec::with_capacity(
            s.role_permissions.len()
                + s.user_roles.len()
                + s.team_roles.len()
                + s.members.len()
                + s.grants.len(),
        );
        links.extend(
            s.role_permissions
                .iter()
                .map(|&(role, permission)| Link::RolePermission { role, permission }),
        );
        links.extend(
            s.user_roles
                .iter()
                .map(|&(user, role)| Link::UserRole { user, role }),
        );
        links.extend(
            s.team_roles
                .iter()
                .map(|&(team, role)| Link::TeamRole { team, role }),
        );
        links.extend(s.members.iter().map(|(&(team, user), &role)| Link::Member {
            team,
            user,
            role,
        }));
        links.extend(s.grants.iter().map(|&(principal, permission)| Link::Grant {
            principal,
            permission,
        }));
        StateWire {
            revision: s.revision,
            users: s.users.values().cloned().collect(),
            teams: s.teams.values().cloned().collect(),
            roles: s.roles.values().cloned().collect(),
            permissions: s.permissions.values().collect(),
            keys: s.keys.values().map(KeyWire::from).collect(),
            links,
            // Only the ends of relations the state holds: a state narrowed to what a caller
            // may see tells nothing through the ends of relations left out.
            expiries: s
                .expiries
                .iter()
                .filter(|(l, _)| s.link_exists(l))
                .map(|(l, t)| LinkExpiry {
                    link: *l,
                    expires_at: t,
                })
                .collect(),
        }
    }
}

impl StateWire {
    /// The state (API keys with empty hashes; name lookups rebuilt).
    pub fn into_state(self) -> State {
        let mut s = State {
            revision: self.revision,
            users: self.users.into_iter().map(|u| (u.id, u)).collect(),
            teams: self.teams.into_iter().map(|t| (t.id, t)).collect(),
            roles: self.roles.into_iter().map(|r| (r.id, r)).collect(),
            permissions: self.permissions.into_iter().collect(),
            keys: self
                .keys
                .iter()
                .map(|k| (k.id, k.to_record(String::new())))
                .collect(),
            expiries: self.expiries,
            ..State::default()
        };
        for link in self.links {
            match link {
                Link::RolePermission { role, permission } => {
                    s.role_permissions.insert((role, permission));
                }
                Link::UserRole { user, role } => {
                    s.user_roles.insert((user, role));
                }
                Link::TeamRole { team, role } => {
                    s.team_roles.insert((team, role));
                }
                Link::Member { team, user, role } => {
                    s.members.insert((team, user), role);
                }
                Link::Grant {
                    principal,
                    permission,
                } => {
                    s.grants.insert((principal, permission));
                }
            }
        }
        s.reindex();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Principal, UserKind, new_id, now};

    fn sample() -> State {
        let t = now();
        let mut s = State {
            revision: 7,
            ..State::default()
        };
        let u = User {
            id: new_id(),
            username: "alice".into(),
            email: "a@example.com".into(),
            display_name: "Alice".into(),
            kind: UserKind::Person,
            disabled: false,
            owner: true,
            created_at: t,
            updated_at: t,
            version: 2,
            first_name: String::new(),
            last_name: String::new(),
        };
        let team = Team {
            id: new_id(),
            key: "ops".into(),
            name: "Ops".into(),
            description: String::new(),
            default_role: None,
            created_at: t,
            updated_at: t,
            version: 1,
        };
        let r = Role {
            id: new_id(),
            name: "viewer".into(),
            description: "sees".into(),
            created_at: t,
            updated_at: t,
            version: 1,
            created_by: None,
        };
        let p = Permission {
            id: new_id(),
            catalog: "gatehouse".into(),
            entity: "Role".into(),
            entity_uuid: None,
            grants: vec!["read".into()],
            denies: vec![],
            conditions: vec![],
            query_attributes: vec![],
            read_attributes: vec![],
            write_attributes: vec![],
            description: String::new(),
            created_at: t,
            updated_at: t,
            version: 1,
            created_by: None,
            entity_type: None,
            scope: None,
        };
        let k = ApiKey {
            id: new_id(),
            prefix: "ghk_abcdefgh".into(),
            hash: String::new(),
            user_id: u.id,
            read_only: true,
            expires_at: Some(t),
            created_at: t,
            last_used_at: None,
            revoked_at: None,
            version: 1,
        };
        s.role_permissions.insert((r.id, p.id));
        s.user_roles.insert((u.id, r.id));
        s.team_roles.insert((team.id, r.id));
        s.members.insert((team.id, u.id), Some(r.id));
        s.grants.insert((Principal::Team(team.id), p.id));
        s.grants.insert((Principal::User(u.id), p.id));
        s.expiries.set(
            &Link::UserRole {
                user: u.id,
                role: r.id,
            },
            Some(time::macros::datetime!(2030-01-01 12:00 UTC)),
        );
        s.expiries.set(
            &Link::Member {
                team: team.id,
                user: u.id,
                role: None,
            },
            Some(time::macros::datetime!(2030-06-01 00:00 +02:00)),
        );
        s.users.insert(u.id, u);
        s.teams.insert(team.id, team);
        s.roles.insert(r.id, r);
        s.permissions.insert(&p);
        s.keys.insert(k.id, k);
        s.reindex();
        s
    }

    #[test]
    fn state_round_trips_through_json() {
        let s = sample();
        let json = serde_json::to_string(&StateWire::from(&s)).unwrap_or_default();
        let back: StateWire = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
        assert_eq!(back.into_state(), s);
    }

    #[test]
    fn ends_travel_only_for_relations_the_state_holds_and_are_optional() {
        let mut s = sample();
        let wire = StateWire::from(&s);
        assert_eq!(wire.expiries.len(), 2);
        assert_eq!(wire.clone().into_state().expiries, s.expiries);
        // A state narrowed to what a caller sees (no user roles): that end stays home.
        s.user_roles.clear();
        let narrowed = StateWire::from(&s);
        assert_eq!(narrowed.expiries.len(), 1);
        let json = serde_json::to_value(&narrowed).unwrap_or_default();
        assert_eq!(json["expiries"].as_array().map(Vec::len), Some(1));
        // A state without ends sends no `expiries`, and one without it reads as none.
        s.expiries = Expiries::new();
        let json = serde_json::to_value(StateWire::from(&s)).unwrap_or_default();
        assert!(json.get("expiries").is_none(), "{json}");
        let back: StateWire = serde_json::from_value(json).unwrap_or_default();
        assert!(back.expiries.is_empty());
    }

    #[test]
    fn key_hashes_never_travel() {
        let mut s = sample();
        for k in s.keys.values_mut() {
            k.hash = "secret-hash".into();
        }
        let json = serde_json::to_string(&StateWire::from(&s)).unwrap_or_default();
        assert!(!json.contains("secret-hash"));
    }
}
