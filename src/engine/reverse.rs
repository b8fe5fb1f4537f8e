//! Reverse queries (docs/PRODUCT.md §2.4): who can do an action, and what a user can do.

use super::evaluate::NoTrace;
use super::index::{Engine, HolderIdx, HolderOwner};
use super::{Request, Rule, Via};
use crate::catalog::Dialect;
use crate::model::Id;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

/// A user allowed by `who_can`, with the deciding rule (its path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WhoCan {
    /// The user.
    #[schema(value_type = uuid::Uuid)]
    pub user: Id,
    /// Their username.
    pub username: String,
    /// Why they are allowed.
    #[schema(value_type = Object)]
    pub rule: Rule,
}

/// Where a reachable permission applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", content = "team", rename_all = "snake_case")]
pub enum Scope {
    /// For every resource.
    Everywhere,
    /// Only for resources of this team (a membership role).
    TeamOnly(Id),
}

/// One permission a user reaches, with its path and what it effectively allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effective {
    /// How it is reached.
    pub via: Via,
    /// The permission.
    pub permission: Id,
    /// Its catalog.
    pub catalog: String,
    /// Its entity (may be `ALL`).
    pub entity: String,
    /// Its entity UUID, if scoped.
    pub entity_uuid: Option<String>,
    /// Flags it grants, composites expanded.
    pub grants: Vec<String>,
    /// Flags it denies, composites expanded.
    pub denies: Vec<String>,
    /// Where it applies.
    pub scope: Scope,
    /// Granted flags that `decide` allows in this permission's own context (no other deny
    /// overrides them).
    pub allowed: Vec<String>,
    /// When the path to it ends (the earliest end of its links), if it does.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub ends: Option<time::OffsetDateTime>,
}

/// Everything a user can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatCan {
    /// The user has the owner flag: everything is allowed.
    pub owner: bool,
    /// The user is disabled: nothing is allowed.
    pub disabled: bool,
    /// Reachable permissions.
    pub entries: Vec<Effective>,
}

impl Engine {
    /// Every enabled user allowed to do `template`'s action (its `user` is ignored), sorted by
    /// username, each with the deciding rule. Unknown catalog/action/entity → empty.
    pub fn who_can(&self, template: &Request) -> Vec<WhoCan> {
        let Some((ci, crec)) = self.catalog(&template.catalog) else {
            return Vec::new();
        };
        let (Some(bit), Some(&entity)) = (
            crec.catalog.flag_bit(&template.action),
            crec.entities.get(&template.entity),
        ) else {
            return Vec::new();
        };
        let action = 1u64 << bit;
        let mage = crec.catalog.dialect == Dialect::Mage;
        let mut holders: FxHashSet<HolderIdx> = FxHashSet::default();
        for key in [entity, crec.all_key, crec.all_except_reserved_key] {
            for &pi in self.perms_by_entity.get(&key).map_or(&[][..], |v| v) {
                if self.perms[pi as usize].catalog != ci {
                    continue;
                }
                // Filed nowhere: no holder to list.
                let Some(e) = self.entry_of(pi) else {
                    continue;
                };
                // A superset: a permission that could grant through any expansion (the masks
                // as filed: expanded, or raw in the Mage dialect).
                let could =
                    crec.catalog.expand(e.grants) & action != 0 || e.grants & crec.all_bit != 0;
                if could {
                    holders.extend(self.perm_holders.of(pi).iter().copied());
                }
            }
        }
        if mage {
            for (h, holder) in self.holders.iter().enumerate() {
                if holder.owner_bit_perm.is_some() {
                    holders.insert(h as HolderIdx);
                }
            }
        }
        let mut users: FxHashSet<u32> = FxHashSet::default();
        for (ui, u) in self.users.iter().enumerate() {
            if u.owner {
                users.insert(ui as u32);
            }
        }
        for h in holders {
            match self.holder_owner[h as usize] {
                HolderOwner::User(ui) => {
                    users.insert(ui);
                }
                HolderOwner::Team(ti) => {
                    users.extend(self.teams[ti as usize].members.iter().copied())
                }
                HolderOwner::Role(ri) => {
                    let role = &self.roles[ri as usize];
                    users.extend(role.users.iter().copied());
                    for &ti in &role.teams {
                        users.extend(self.teams[ti as usize].members.iter().copied());
                    }
                    users.extend(role.members.iter().map(|&(_, ui)| ui));
                }
            }
        }
        let mut out: Vec<WhoCan> = users
            .into_iter()
            .filter_map(|ui| {
                let u = &self.users[ui as usize];
                let mut req = template.clone();
                req.user = u.id;
                let d = self.evaluate(&req, &mut NoTrace);
                d.allowed.then(|| WhoCan {
                    user: u.id,
                    username: u.username.to_string(),
                    rule: d.rule,
                })
            })
            .collect();
        out.sort_by(|a, b| a.username.cmp(&b.username).then(a.user.cmp(&b.user)));
        out
    }

    /// Every permission `user` reaches, with its path; `None` for an unknown user.
    pub fn what_can(&self, user: Id) -> Option<WhatCan> {
        let &ui = self.user_by_id.get(&user)?;
        let u = &self.users[ui as usize];
        let mut reached: Vec<(Via, HolderIdx, Scope)> = Vec::new();
        if let Some(h) = u.direct {
            reached.push((Via::Direct, h, Scope::Everywhere));
        }
        for &ri in &u.roles {
            let r = &self.roles[ri as usize];
            reached.push((Via::Role { role: r.id }, r.holder, Scope::Everywhere));
        }
        for &(ti, mr) in &u.teams {
            let t = &self.teams[ti as usize];
            if let Some(h) = t.direct {
                reached.push((Via::Team { team: t.id }, h, Scope::Everywhere));
            }
            for &ri in &t.roles {
                let r = &self.roles[ri as usize];
                reached.push((
                    Via::TeamRole {
                        team: t.id,
                        role: r.id,
                    },
                    r.holder,
                    Scope::Everywhere,
                ));
            }
            if let Some(ri) = mr {
                let r = &self.roles[ri as usize];
                let scope = if t.is_admin {
                    Scope::Everywhere
                } else {
                    Scope::TeamOnly(t.id)
                };
                reached.push((
                    Via::MemberRole {
                        team: t.id,
                        role: r.id,
                    },
                    r.holder,
                    scope,
                ));
            }
        }
        let first_team = u.teams.first().map(|&(ti, _)| self.teams[ti as usize].id);
        let mut entries = Vec::new();
        for (via, h, scope) in reached {
            for e in &self.holders[h as usize].entries {
                let p = &self.perms[e.pi as usize];
                let crec = &self.catalogs[p.catalog as usize];
                let c = &crec.catalog;
                // Expanding the masks as filed (expanded already, or raw in the Mage dialect).
                let grants_exp = c.expand(e.grants) & !(crec.unless_conditions_bit);
                let entity = self.entity_names[p.entity as usize].1.clone();
                let entity_uuid = (p.uuid != 0).then(|| self.uuids.name(p.uuid).to_string());
                let team = match scope {
                    Scope::TeamOnly(t) => Some(t),
                    Scope::Everywhere => first_team,
                };
                let allowed = c
                    .names(grants_exp)
                    .into_iter()
                    .filter(|flag| {
                        let req = Request {
                            at: None,
                            user: u.id,
                            catalog: c.name.clone(),
                            action: flag.clone(),
                            entity: entity.clone(),
                            entity_uuid: entity_uuid.clone(),
                            resource_owner: Some(u.id),
                            resource_team: team,
                            attribute: None,
                        };
                        self.evaluate(&req, &mut NoTrace).allowed
                    })
                    .collect();
                entries.push(Effective {
                    via,
                    permission: e.id,
                    catalog: c.name.clone(),
                    entity,
                    entity_uuid,
                    grants: c.names(grants_exp),
                    denies: c.names(c.expand(e.denies)),
                    scope,
                    allowed,
                    ends: self.path_ends(user, via, e.id),
                });
            }
        }
        Some(WhatCan {
            owner: u.owner,
            disabled: u.disabled,
            entries,
        })
    }
}
