//! Building the immutable engine index from a store state.

use super::filing::{Filing, Finder, PermHolders};
use super::uuids::Uuids;
use crate::catalog::{
    ALL_ENTITY, ALL_EXCEPT_RESERVED, Catalog, Catalogs, ConditionMeaning, Dialect,
};
use crate::model::{ADMIN_TEAM, Id, Principal};
use crate::policy::State;
use crate::policy::{Expiries, Link};
use rustc_hash::FxHashMap;
use std::sync::Arc;
use time::OffsetDateTime;

use super::holder::entry_masks;
pub(crate) use super::holder::{Entry, Holder};
pub use super::window::Window;

/// Index of a holder of permissions (a role, a team's direct grants, a user's direct grants).
pub(crate) type HolderIdx = u32;

/// Condition bits a permission carries.
pub(crate) const COND_OWN: u8 = 1;
pub(crate) const COND_TEAM: u8 = 2;
pub(crate) const COND_NEVER: u8 = 4;

/// One catalog as the engine sees it.
#[derive(Debug)]
pub(crate) struct CatalogRec {
    pub(crate) catalog: Catalog,
    /// Entity name → entity key (global across catalogs; 0 is never used).
    pub(crate) entities: FxHashMap<String, u32>,
    pub(crate) all_key: u32,
    pub(crate) all_except_reserved_key: u32,
    pub(crate) reserved: Vec<u32>,
    /// Mage dialect: the OWNER flag's mask (0 for other dialects).
    pub(crate) owner_bit: u64,
    /// Mask of the group flags (Mage: OWNER, ADMIN, EDITOR, VIEWER).
    pub(crate) group_mask: u64,
    /// Masks of well-known flags used by the Mage dialect (0 when absent).
    pub(crate) all_bit: u64,
    pub(crate) operation_all_bit: u64,
    pub(crate) unless_conditions_bit: u64,
    /// Flags checked against the whole entity (no record): list and create.
    pub(crate) collection_ops: u64,
    /// The five operations OPERATION_ALL stands for (Mage).
    pub(crate) operations: u64,
    /// Mage attribute checks, indexed by `AttrKind as usize` (query, read, write): the mask of
    /// the flag for listed attributes (`READ`) and of the flag for all (`READ_ALL`).
    pub(crate) attr_bits: [(u64, u64); 3],
}

/// One permission, compiled: what filters permissions by target (reverse queries, hints).
/// Its id and flag masks are in the entries filed under its holders ([`Engine::entry_of`]);
/// a permission no holder has is never an answer, so nothing needs them (12 bytes: a
/// million permissions cost 12 MB here instead of 48).
#[derive(Debug, Clone)]
pub(crate) struct PermRec {
    pub(crate) entity: u32,
    pub(crate) uuid: u32,
    pub(crate) catalog: u16,
    pub(crate) cond: u8,
}

/// Mage attribute lists, indexed by `AttrKind as usize`: `query_attributes`,
/// `read_attributes`, `write_attributes`.
pub(crate) type AttrLists = Box<[Box<[String]>; 3]>;

impl CatalogRec {
    /// The masks a check tests for a permission of this catalog with these raw masks:
    /// composites expanded in the standard dialect; the Mage dialect expands per request
    /// (groups only when they are the whole access), so it keeps the raw masks.
    pub(crate) fn masks(&self, grants: u64, denies: u64) -> (u64, u64) {
        match self.catalog.dialect {
            Dialect::Standard => (self.catalog.expand(grants), self.catalog.expand(denies)),
            Dialect::Mage => (grants, denies),
        }
    }
}

impl PermRec {
    /// The permission as filed under a holder, `pi` being its index and `f` its id and masks.
    /// `crec` is the record of the permission's catalog.
    fn entry(&self, pi: u32, f: &Filing, crec: &CatalogRec) -> Entry {
        let (grants, denies) = crec.masks(f.grants, f.denies);
        Entry {
            id: f.id,
            grants,
            denies,
            pi,
            cond: self.cond,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct UserRec {
    pub(crate) id: Id,
    pub(crate) username: Arc<str>,
    pub(crate) owner: bool,
    pub(crate) disabled: bool,
    pub(crate) direct: Option<HolderIdx>,
    pub(crate) roles: Vec<u32>,
    /// (team index, membership role index)
    pub(crate) teams: Vec<(u32, Option<u32>)>,
}

#[derive(Debug, Clone)]
pub(crate) struct TeamRec {
    pub(crate) id: Id,
    pub(crate) is_admin: bool,
    pub(crate) direct: Option<HolderIdx>,
    pub(crate) roles: Vec<u32>,
    pub(crate) members: Vec<u32>,
}

#[derive(Debug, Clone)]
pub(crate) struct RoleRec {
    pub(crate) id: Id,
    pub(crate) holder: HolderIdx,
    /// Users holding the role directly.
    pub(crate) users: Vec<u32>,
    /// Teams holding the role.
    pub(crate) teams: Vec<u32>,
    /// (team, user) memberships holding it.
    pub(crate) members: Vec<(u32, u32)>,
}

/// Who holds a holder: used by reverse queries.
#[derive(Debug, Clone, Copy)]
pub(crate) enum HolderOwner {
    Role(u32),
    Team(u32),
    User(u32),
}

/// The immutable decision index. Cheap to share (`Arc<Engine>`); rebuilt from a new state
/// after every write.
#[derive(Debug)]
pub struct Engine {
    pub(crate) catalogs: Vec<CatalogRec>,
    pub(crate) catalog_by_name: FxHashMap<String, u16>,
    /// Entity uuid ↔ uuid key (0 is "none").
    pub(crate) uuids: Uuids,
    pub(crate) perms: Vec<PermRec>,
    /// The attribute lists of the permissions that have any (few do), by permission index:
    /// read only by attribute checks.
    pub(crate) attrs: FxHashMap<u32, AttrLists>,
    pub(crate) holders: Vec<Holder>,
    pub(crate) holder_owner: Vec<HolderOwner>,
    /// Permission → holders it is filed under.
    pub(crate) perm_holders: PermHolders,
    /// Entity key → permissions on it (for reverse queries and hints).
    pub(crate) perms_by_entity: FxHashMap<u32, Vec<u32>>,
    pub(crate) users: Vec<UserRec>,
    pub(crate) user_by_id: FxHashMap<Id, u32>,
    pub(crate) teams: Vec<TeamRec>,
    pub(crate) team_by_id: FxHashMap<Id, u32>,
    pub(crate) roles: Vec<RoleRec>,
    pub(crate) revision: u64,
    /// Entity key → (catalog, name).
    pub(crate) entity_names: Vec<(u16, String)>,
    /// The instants between which the links in the index are those live (not yet ended):
    /// built at an instant in `[live_from, live_until)`, it decides the same at any of them.
    pub(crate) window: Window,
    /// The ends of the links in the index that have one.
    pub(crate) ends: Expiries,
}

fn compile_conditions(catalog: &Catalog, names: &[String]) -> u8 {
    let mut c = 0;
    for n in names {
        c |= match n.as_str() {
            "own" => COND_OWN,
            "team" => COND_TEAM,
            other => match catalog.condition(other).map(|d| d.means) {
                Some(ConditionMeaning::Own) => COND_OWN,
                Some(ConditionMeaning::Team) => COND_TEAM,
                Some(ConditionMeaning::Always) => 0,
                // Unknown conditions never hold: fail closed.
                Some(ConditionMeaning::Never) | None => COND_NEVER,
            },
        };
    }
    c
}

impl Engine {
    /// Builds the index for now ([`crate::model::now`]): see [`Engine::build_at`].
    pub fn build(state: &State, catalogs: &Catalogs) -> Engine {
        Engine::build_at(state, catalogs, crate::model::now())
    }

    /// Builds the index for decisions at `at`: a relation (user or team role, membership,
    /// direct grant) whose end is at or before `at` is left out, as if it were absent.
    /// Permissions whose catalog is unknown, or whose flags the catalog does not define, can
    /// never match and are left out (validation keeps them from being stored).
    pub fn build_at(state: &State, catalogs: &Catalogs, at: OffsetDateTime) -> Engine {
        let ended = |l: &Link| state.expiries.ended(l, at);
        let mut next_entity: u32 = 1;
        let mut crecs = Vec::new();
        let mut catalog_by_name = FxHashMap::default();
        for (ci, c) in catalogs.all().iter().enumerate() {
            let mut entities = FxHashMap::default();
            for e in &c.entities {
                entities.insert(e.name.clone(), next_entity);
                next_entity += 1;
            }
            let mut pseudo = |name: &str| {
                *entities.entry(name.to_string()).or_insert_with(|| {
                    next_entity += 1;
                    next_entity - 1
                })
            };
            let all_key = pseudo(ALL_ENTITY);
            let all_except_reserved_key = pseudo(ALL_EXCEPT_RESERVED);
            let reserved = c
                .reserved_entities
                .iter()
                .filter_map(|r| entities.get(r).copied())
                .collect();
            catalog_by_name.insert(c.name.clone(), ci as u16);
            let bit = |name: &str| c.flag_bit(name).map_or(0, |b| 1u64 << b);
            let is_mage = c.dialect == Dialect::Mage;
            let group_mask = c
                .flags
                .iter()
                .enumerate()
                .filter(|(_, f)| f.group)
                .fold(0u64, |m, (i, _)| m | 1u64 << i);
            crecs.push(CatalogRec {
                catalog: c.clone(),
                entities,
                all_key,
                all_except_reserved_key,
                reserved,
                owner_bit: if is_mage { bit("OWNER") } else { 0 },
                group_mask,
                all_bit: if is_mage { bit("ALL") } else { 0 },
                operation_all_bit: if is_mage { bit("OPERATION_ALL") } else { 0 },
                // The same gate `Catalog::inert_conditions` tells users about.
                unless_conditions_bit: c.condition_gate().map_or(0, |f| bit(&f.name)),
                collection_ops: bit("LIST") | bit("CREATE"),
                operations: bit("LIST")
                    | bit("DETAIL")
                    | bit("CREATE")
                    | bit("UPDATE")
                    | bit("DELETE"),
                attr_bits: [
                    (bit("QUERY"), bit("QUERY_ALL")),
                    (bit("READ"), bit("READ_ALL")),
                    (bit("WRITE"), bit("WRITE_ALL")),
                ],
            });
        }

        // The UUIDs' text, measured first so it is allocated once.
        let uuid_bytes: usize = state
            .permissions
            .iter()
            .filter_map(|p| p.entity_uuid().map(super::uuids::stored_len))
            .sum();
        let mut uuids = Uuids::with_capacity(state.permissions.len(), uuid_bytes);
        let mut perms = Vec::with_capacity(state.permissions.len());
        let mut filing = Vec::with_capacity(state.permissions.len());
        let mut attrs: FxHashMap<u32, AttrLists> = FxHashMap::default();
        for p in state.permissions.iter() {
            let Some(&ci) = catalog_by_name.get(p.catalog()) else {
                continue;
            };
            let crec = &crecs[ci as usize];
            let Some(&entity) = crec.entities.get(p.entity()) else {
                continue;
            };
            let (Ok(grants), Ok(denies)) =
                (crec.catalog.mask(p.grants()), crec.catalog.mask(p.denies()))
            else {
                continue;
            };
            let uuid = match p.entity_uuid() {
                None => 0,
                Some(u) => uuids.intern(u),
            };
            let [query, read, write] = p.attributes();
            if !query.is_empty() || !read.is_empty() || !write.is_empty() {
                // Invariant: fewer than 2^32 permissions (the index numbers them with u32).
                attrs.insert(
                    perms.len() as u32,
                    Box::new([query.into(), read.into(), write.into()]),
                );
            }
            perms.push(PermRec {
                catalog: ci,
                entity,
                uuid,
                cond: compile_conditions(&crec.catalog, p.conditions()),
            });
            filing.push(Filing {
                id: p.id(),
                grants,
                denies,
            });
        }

        let mut holders: Vec<Holder> = Vec::new();
        let mut holder_owner = Vec::new();
        let mut new_holder = |owner: HolderOwner, holders: &mut Vec<Holder>| {
            holders.push(Holder::default());
            holder_owner.push(owner);
            (holders.len() - 1) as HolderIdx
        };

        let mut roles = Vec::with_capacity(state.roles.len());
        let mut role_by_id = FxHashMap::default();
        for r in state.roles.values() {
            let ri = roles.len() as u32;
            let h = new_holder(HolderOwner::Role(ri), &mut holders);
            role_by_id.insert(r.id, ri);
            roles.push(RoleRec {
                id: r.id,
                holder: h,
                users: Vec::new(),
                teams: Vec::new(),
                members: Vec::new(),
            });
        }
        let mut teams = Vec::with_capacity(state.teams.len());
        let mut team_by_id = FxHashMap::default();
        for t in state.teams.values() {
            team_by_id.insert(t.id, teams.len() as u32);
            teams.push(TeamRec {
                id: t.id,
                is_admin: t.key == ADMIN_TEAM,
                direct: None,
                roles: Vec::new(),
                members: Vec::new(),
            });
        }
        let mut users = Vec::with_capacity(state.users.len());
        let mut user_by_id = FxHashMap::default();
        for u in state.users.values() {
            user_by_id.insert(u.id, users.len() as u32);
            users.push(UserRec {
                id: u.id,
                username: Arc::from(u.username.as_str()),
                owner: u.owner,
                disabled: u.disabled,
                direct: None,
                roles: Vec::new(),
                teams: Vec::new(),
            });
        }

        // `perms` is in id order (the state's order): the links, in (holder, permission)
        // order, are found by a cursor instead of a map of a million ids.
        let mut finder = Finder::new(&filing);
        let mut file = |holder: HolderIdx, pid: &Id, holders: &mut Vec<Holder>| {
            if let Some(pi) = finder.find(pid) {
                let p = &perms[pi as usize];
                holders[holder as usize].entries.push(p.entry(
                    pi,
                    &filing[pi as usize],
                    &crecs[p.catalog as usize],
                ));
            }
        };
        // Each role's entries are allocated once, at their final size (growing them by
        // doubling would leave the copies behind, freed but still resident).
        let mut per_role = vec![0usize; roles.len()];
        for (rid, _) in &state.role_permissions {
            if let Some(&ri) = role_by_id.get(rid) {
                per_role[ri as usize] += 1;
            }
        }
        for (ri, n) in per_role.into_iter().enumerate() {
            holders[roles[ri].holder as usize].entries.reserve_exact(n);
        }
        for (rid, pid) in &state.role_permissions {
            if let Some(&ri) = role_by_id.get(rid) {
                file(roles[ri as usize].holder, pid, &mut holders);
            }
        }
        for (principal, pid) in &state.grants {
            if ended(&Link::Grant {
                principal: *principal,
                permission: *pid,
            }) {
                continue;
            }
            let h = match *principal {
                Principal::User(u) => {
                    let Some(&ui) = user_by_id.get(&u) else {
                        continue;
                    };
                    match users[ui as usize].direct {
                        Some(h) => h,
                        None => {
                            let h = new_holder(HolderOwner::User(ui), &mut holders);
                            users[ui as usize].direct = Some(h);
                            h
                        }
                    }
                }
                Principal::Team(t) => {
                    let Some(&ti) = team_by_id.get(&t) else {
                        continue;
                    };
                    match teams[ti as usize].direct {
                        Some(h) => h,
                        None => {
                            let h = new_holder(HolderOwner::Team(ti), &mut holders);
                            teams[ti as usize].direct = Some(h);
                            h
                        }
                    }
                }
            };
            file(h, pid, &mut holders);
        }
        for h in &mut holders {
            h.finish(
                next_entity,
                |e| {
                    let p = &perms[e.pi as usize];
                    (p.entity, p.uuid)
                },
                |e| entry_masks(&crecs[perms[e.pi as usize].catalog as usize], e),
            );
            h.has_pseudo = h.entries.iter().any(|e| {
                let p = &perms[e.pi as usize];
                let c = &crecs[p.catalog as usize];
                p.entity == c.all_key || p.entity == c.all_except_reserved_key
            });
            // Mage keeps raw masks in entries: the OWNER bit as stored.
            h.owner_bit_perm = h
                .entries
                .iter()
                .find(|e| {
                    let ob = crecs[perms[e.pi as usize].catalog as usize].owner_bit;
                    ob != 0 && e.grants & ob != 0
                })
                .map(|e| e.id);
        }
        for (uid, rid) in &state.user_roles {
            if ended(&Link::UserRole {
                user: *uid,
                role: *rid,
            }) {
                continue;
            }
            if let (Some(&ui), Some(&ri)) = (user_by_id.get(uid), role_by_id.get(rid)) {
                users[ui as usize].roles.push(ri);
                roles[ri as usize].users.push(ui);
            }
        }
        for (tid, rid) in &state.team_roles {
            if ended(&Link::TeamRole {
                team: *tid,
                role: *rid,
            }) {
                continue;
            }
            if let (Some(&ti), Some(&ri)) = (team_by_id.get(tid), role_by_id.get(rid)) {
                teams[ti as usize].roles.push(ri);
                roles[ri as usize].teams.push(ti);
            }
        }
        for ((tid, uid), rid) in &state.members {
            if ended(&Link::Member {
                team: *tid,
                user: *uid,
                role: None,
            }) {
                continue;
            }
            if let (Some(&ti), Some(&ui)) = (team_by_id.get(tid), user_by_id.get(uid)) {
                let ri = rid.and_then(|r| role_by_id.get(&r).copied());
                users[ui as usize].teams.push((ti, ri));
                teams[ti as usize].members.push(ui);
                if let Some(ri) = ri {
                    roles[ri as usize].members.push((ti, ui));
                }
            }
        }
        let mut entity_names = vec![(0u16, String::new()); next_entity as usize];
        for (ci, c) in crecs.iter().enumerate() {
            for (name, &k) in &c.entities {
                entity_names[k as usize] = (ci as u16, name.clone());
            }
        }
        // Each holder's entries, in holder order: a permission's holders come in the order it
        // was filed under them (roles, then direct grants as first met), duplicates dropped.
        let filings = holders
            .iter()
            .enumerate()
            .flat_map(|(h, holder)| holder.entries.iter().map(move |e| (e.pi, h as HolderIdx)));
        let perm_holders = PermHolders::new(perms.len(), filings);
        // Counted first, so each list is allocated once at its size.
        let mut per_entity: FxHashMap<u32, usize> = FxHashMap::default();
        for p in &perms {
            *per_entity.entry(p.entity).or_default() += 1;
        }
        let mut perms_by_entity: FxHashMap<u32, Vec<u32>> = per_entity
            .into_iter()
            .map(|(k, n)| (k, Vec::with_capacity(n)))
            .collect();
        for (pi, p) in perms.iter().enumerate() {
            perms_by_entity.entry(p.entity).or_default().push(pi as u32);
        }
        uuids.shrink();
        Engine {
            catalogs: crecs,
            catalog_by_name,
            uuids,
            perms,
            attrs,
            holders,
            holder_owner,
            perm_holders,
            perms_by_entity,
            users,
            user_by_id,
            teams,
            team_by_id,
            roles,
            revision: state.revision,
            entity_names,
            window: Window {
                at,
                from: state.expiries.ended_by(at).map(|(_, t)| t).max(),
                until: state.expiries.next_after(at),
            },
            ends: state
                .expiries
                .iter()
                .filter(|&(_, t)| t > at)
                .map(|(l, t)| crate::policy::LinkExpiry {
                    link: *l,
                    expires_at: t,
                })
                .collect(),
        }
    }

    /// Permission `pi` as filed under a holder (its id and the masks a check tests), or
    /// `None` when no holder has it.
    pub(crate) fn entry_of(&self, pi: u32) -> Option<&Entry> {
        let p = self.perms.get(pi as usize)?;
        self.perm_holders.of(pi).iter().find_map(|&h| {
            self.holders[h as usize]
                .lookup(p.entity, p.uuid)
                .iter()
                .find(|e| e.pi == pi)
        })
    }

    /// The id of permission `pi`, when a holder has it (see [`Engine::entry_of`]).
    pub(crate) fn perm_id(&self, pi: u32) -> Option<Id> {
        self.entry_of(pi).map(|e| e.id)
    }

    /// The attribute list of kind `kind` (`AttrKind as usize`) of permission `pi`.
    pub(crate) fn attrs(&self, pi: u32, kind: usize) -> &[String] {
        self.attrs.get(&pi).map_or(&[], |a| &a[kind])
    }

    /// The store revision the index was built from.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Number of permissions indexed.
    pub fn permission_count(&self) -> usize {
        self.perms.len()
    }

    /// The via of a holder reached for a user (role, team, …) given the team context.
    pub(crate) fn catalog(&self, name: &str) -> Option<(u16, &CatalogRec)> {
        let &ci = self.catalog_by_name.get(name)?;
        Some((ci, &self.catalogs[ci as usize]))
    }
}
