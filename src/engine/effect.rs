//! What a change does to access: given the engine before and the engine after, which users
//! gain and which lose which (action, entity[/uuid]). The building block of `plan`'s access
//! effect and of the console's what-if (docs/ARCHITECTURE.md, "How an edit flows").
//!
//! Exact, not a guess from the objects changed: for every user whose reachable permissions
//! differ (paths, grants, denies, conditions or attributes of any permission reached before or
//! after), every action of every entity those permissions name is decided by both engines, in
//! the plain context, then on the user's own resources, then on each of the user's teams'
//! resources; an (action, target) is reported once, in the first context whose answer moved.
//! A user who is (or becomes) an owner or disabled is reported by that flag, not action by
//! action. `tests/it/engine_props.rs` checks it against deciding everything for everyone.

use super::{Engine, Request, WhatCan};
use crate::catalog::{ALL_ENTITY, ALL_EXCEPT_RESERVED, Catalogs};
use crate::model::Id;
use crate::policy::State;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Where an access holds: anywhere, on resources the user owns, or on a team's resources.
/// Serialized (the CLI's JSON, docs/json.md) as `{"on": …, "team_id": id}`: `team` is a team
/// reference object elsewhere in that contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "on", content = "team_id")]
pub enum Context {
    /// Every resource of the target.
    Any,
    /// Only resources the user owns (an `own` condition).
    Own,
    /// Only resources of this team (a `team` condition or a membership role).
    Team(Id),
}

/// One access: an action on an entity type or one entity, in a context.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Access {
    /// The catalog.
    pub catalog: String,
    /// The entity type (may be a catalog's `ALL`).
    pub entity: String,
    /// One entity, or none for the type.
    pub entity_uuid: Option<String>,
    /// The action (a flag of the catalog).
    pub action: String,
    /// Where it holds.
    pub context: Context,
}

/// A flag of the user that decides everything (owner) or nothing (disabled), before → after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FlagChange {
    /// Before the change.
    pub before: bool,
    /// After it.
    pub after: bool,
}

/// What the change does to one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserEffect {
    /// The user's id.
    pub user: Id,
    /// The username (after the change, else before).
    pub username: String,
    /// The user exists only after the change.
    pub created: bool,
    /// The user exists only before the change.
    pub deleted: bool,
    /// The owner flag moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<FlagChange>,
    /// The disabled flag moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<FlagChange>,
    /// Allowed after, not before.
    pub gains: Vec<Access>,
    /// Allowed before, not after.
    pub losses: Vec<Access>,
}

impl UserEffect {
    fn is_empty(&self) -> bool {
        self.owner.is_none()
            && self.disabled.is_none()
            && self.gains.is_empty()
            && self.losses.is_empty()
    }
}

/// Every user whose access the change moves, by username.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccessEffect {
    /// One entry per user whose access moved.
    pub users: Vec<UserEffect>,
}

impl AccessEffect {
    /// Nobody's access moved.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
    /// How many users gain something (or become owners, or are enabled).
    pub fn gaining(&self) -> usize {
        self.users
            .iter()
            .filter(|u| {
                !u.gains.is_empty()
                    || u.owner.is_some_and(|f| f.after)
                    || u.disabled.is_some_and(|f| !f.after)
            })
            .count()
    }
    /// How many users lose something (or stop being owners, or are disabled).
    pub fn losing(&self) -> usize {
        self.users
            .iter()
            .filter(|u| {
                !u.losses.is_empty()
                    || u.owner.is_some_and(|f| !f.after)
                    || u.disabled.is_some_and(|f| f.after)
            })
            .count()
    }
}

/// One side of the change: its state and the engine built from it.
#[derive(Clone, Copy)]
pub struct Side<'a> {
    /// The state.
    pub state: &'a State,
    /// Its engine.
    pub engine: &'a Engine,
}

/// (catalog, entity, uuid): what a permission names.
type Target = (String, String, Option<String>);

/// What the change from `before` to `after` does to every user's access.
pub fn access_effect(before: Side<'_>, after: Side<'_>, catalogs: &Catalogs) -> AccessEffect {
    let changed = changed_permissions(before.state, after.state);
    let ids: BTreeSet<Id> = before
        .state
        .users
        .keys()
        .chain(after.state.users.keys())
        .copied()
        .collect();
    let mut users: Vec<UserEffect> = ids
        .into_iter()
        .filter_map(|id| user_effect(id, before, after, catalogs, &changed))
        .collect();
    users.sort_by(|a, b| a.username.cmp(&b.username).then(a.user.cmp(&b.user)));
    AccessEffect { users }
}

/// Permissions whose content differs between the two states (or that exist in one only).
fn changed_permissions(before: &State, after: &State) -> BTreeSet<Id> {
    let mut out = BTreeSet::new();
    for p in before.permissions.iter() {
        let id = p.id();
        if after.permissions.get(&id) != before.permissions.get(&id) {
            out.insert(id);
        }
    }
    for p in after.permissions.iter() {
        if before.permissions.view(&p.id()).is_none() {
            out.insert(p.id());
        }
    }
    out
}

fn what_can(side: Side<'_>, user: Id) -> WhatCan {
    side.engine.what_can(user).unwrap_or(WhatCan {
        owner: false,
        disabled: false,
        entries: Vec::new(),
    })
}

fn user_effect(
    id: Id,
    before: Side<'_>,
    after: Side<'_>,
    catalogs: &Catalogs,
    changed: &BTreeSet<Id>,
) -> Option<UserEffect> {
    let (b, a) = (what_can(before, id), what_can(after, id));
    let touches_changed = b
        .entries
        .iter()
        .chain(&a.entries)
        .any(|e| changed.contains(&e.permission));
    if b == a && !touches_changed {
        return None;
    }
    let existed = before.state.users.contains_key(&id);
    let exists = after.state.users.contains_key(&id);
    let username = after
        .state
        .users
        .get(&id)
        .or_else(|| before.state.users.get(&id))
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let flag = |x: bool, y: bool| {
        (x != y).then_some(FlagChange {
            before: x,
            after: y,
        })
    };
    let mut effect = UserEffect {
        user: id,
        username,
        created: exists && !existed,
        deleted: existed && !exists,
        owner: flag(b.owner, a.owner),
        disabled: flag(b.disabled, a.disabled),
        gains: Vec::new(),
        losses: Vec::new(),
    };
    // An owner or a disabled user on either side: the flag says it all.
    if !(b.owner || a.owner || b.disabled || a.disabled) {
        let targets: BTreeSet<Target> = b
            .entries
            .iter()
            .chain(&a.entries)
            .map(|e| (e.catalog.clone(), e.entity.clone(), e.entity_uuid.clone()))
            .collect();
        let contexts = contexts(id, before.state, after.state);
        for t in &targets {
            decide_target(id, t, &contexts, before, after, catalogs, &mut effect);
        }
    }
    for list in [&mut effect.gains, &mut effect.losses] {
        list.sort();
        list.dedup();
    }
    (!effect.is_empty() || effect.created || effect.deleted).then_some(effect)
}

/// The contexts to decide in: plain, the user's own resources, each team's resources.
fn contexts(user: Id, before: &State, after: &State) -> Vec<Context> {
    let teams: BTreeSet<Id> = before
        .members
        .keys()
        .chain(after.members.keys())
        .filter(|(_, u)| *u == user)
        .map(|(t, _)| *t)
        .collect();
    let mut out = vec![Context::Any, Context::Own];
    out.extend(teams.into_iter().map(Context::Team));
    out
}

/// One moved answer on a concrete target: (action, context, allowed after).
type Moved = (String, Context, bool);

/// Decides `target` for `user` on both sides; a wildcard entity (`ALL`,
/// `ALL_EXCEPT_RESERVED`) is decided on each entity it reaches and reported once under its
/// own name when every one of them moved alike, else entity by entity.
fn decide_target(
    user: Id,
    (catalog, entity, uuid): &Target,
    contexts: &[Context],
    before: Side<'_>,
    after: Side<'_>,
    catalogs: &Catalogs,
    effect: &mut UserEffect,
) {
    let Some(cat) = catalogs.get(catalog) else {
        return;
    };
    let wildcard = entity == ALL_ENTITY || entity == ALL_EXCEPT_RESERVED;
    let concrete: Vec<&str> = if wildcard {
        cat.entities
            .iter()
            .map(|e| e.name.as_str())
            .filter(|e| *e != ALL_ENTITY && *e != ALL_EXCEPT_RESERVED)
            .filter(|e| cat.entity_matches(entity, e))
            .collect()
    } else {
        vec![entity.as_str()]
    };
    let q = Query {
        user,
        catalog: cat,
        uuid: uuid.as_deref(),
        contexts,
        before,
        after,
    };
    let moved: Vec<(&str, Vec<Moved>)> = concrete.iter().map(|e| (*e, q.moved(e))).collect();
    let alike = wildcard && moved.windows(2).all(|w| w[0].1 == w[1].1);
    let mut push = |entity: &str, list: &[Moved]| {
        for (action, context, is) in list {
            let access = Access {
                catalog: catalog.clone(),
                entity: entity.to_string(),
                entity_uuid: uuid.clone(),
                action: action.clone(),
                context: *context,
            };
            if *is {
                effect.gains.push(access);
            } else {
                effect.losses.push(access);
            }
        }
    };
    match moved.first() {
        Some((_, list)) if alike => push(entity, list),
        _ => moved.iter().for_each(|(e, list)| push(e, list)),
    }
}

/// One user's question on one catalog and uuid, asked of both sides.
struct Query<'a> {
    user: Id,
    catalog: &'a crate::catalog::Catalog,
    uuid: Option<&'a str>,
    contexts: &'a [Context],
    before: Side<'a>,
    after: Side<'a>,
}

impl Query<'_> {
    /// Every atomic action whose answer on `entity` moved, in the first context where it did.
    fn moved(&self, entity: &str) -> Vec<Moved> {
        let mut out = Vec::new();
        // Atomic actions only: a group or composite is the sum of its parts.
        let actions = self
            .catalog
            .flags_for(entity)
            .into_iter()
            .filter(|f| !f.group && !f.modifier && f.implies.is_empty());
        for flag in actions {
            for &context in self.contexts {
                let req = Request {
                    at: None,
                    user: self.user,
                    catalog: self.catalog.name.clone(),
                    action: flag.name.clone(),
                    entity: entity.to_string(),
                    entity_uuid: self.uuid.map(str::to_string),
                    resource_owner: (context == Context::Own).then_some(self.user),
                    resource_team: match context {
                        Context::Team(t) => Some(t),
                        _ => None,
                    },
                    attribute: None,
                };
                let was = self.before.engine.decide(&req).allowed;
                let is = self.after.engine.decide(&req).allowed;
                if was != is {
                    out.push((flag.name.clone(), context, is));
                    break;
                }
            }
        }
        out
    }
}

/// The effect in a few lines for a confirm step or a plan: who gains and who loses, each user
/// with up to `per_user` accesses and a count of the rest, at most `max_users` users.
pub fn summary_lines(effect: &AccessEffect, max_users: usize, per_user: usize) -> Vec<String> {
    if effect.is_empty() {
        return vec!["no one's access changes".to_string()];
    }
    let mut out = vec![format!(
        "{} user(s) gain access, {} lose access",
        effect.gaining(),
        effect.losing()
    )];
    for u in effect.users.iter().take(max_users) {
        let mut parts: Vec<String> = Vec::new();
        if let Some(f) = u.owner {
            parts.push(if f.after {
                "becomes an owner (allowed everything)".into()
            } else {
                "is no longer an owner".into()
            });
        }
        if let Some(f) = u.disabled {
            parts.push(if f.after {
                "is disabled (allowed nothing)".into()
            } else {
                "is enabled again".into()
            });
        }
        for (sign, list) in [("+", &u.gains), ("-", &u.losses)] {
            let grouped = group(list);
            let n = grouped.len();
            for line in grouped.into_iter().take(per_user) {
                parts.push(format!("{sign} {line}"));
            }
            if n > per_user {
                parts.push(format!("{sign} … and {} more", n - per_user));
            }
        }
        let who = match (u.created, u.deleted) {
            (true, _) => format!("{} (new)", u.username),
            (_, true) => format!("{} (deleted)", u.username),
            _ => u.username.clone(),
        };
        out.push(format!("  {who}: {}", parts.join("; ")));
    }
    if effect.users.len() > max_users {
        out.push(format!(
            "  … and {} more user(s)",
            effect.users.len() - max_users
        ));
    }
    out
}

/// Accesses grouped by target and context: `UPDATE, DELETE on mage:Pipeline/x (own)`.
fn group(list: &[Access]) -> Vec<String> {
    let mut by: BTreeMap<(String, String, Option<String>, Context), Vec<&str>> = BTreeMap::new();
    for a in list {
        by.entry((
            a.catalog.clone(),
            a.entity.clone(),
            a.entity_uuid.clone(),
            a.context,
        ))
        .or_default()
        .push(&a.action);
    }
    by.into_iter()
        .map(|((c, e, u, ctx), actions)| {
            let target = match u {
                Some(u) => format!("{c}:{e}/{u}"),
                None => format!("{c}:{e}"),
            };
            let on = match ctx {
                Context::Any => String::new(),
                Context::Own => " (own)".into(),
                Context::Team(t) => format!(" (team {})", crate::model::short_id(&t)),
            };
            format!("{} on {target}{on}", actions.join(", "))
        })
        .collect()
}

/// What applying `changes` to `state` would do to access (nothing is written anywhere): the
/// changes are applied to a copy with the store's own semantics ([`State::apply`]; a new
/// membership without a role gets the team's default role, as the service gives it), so a
/// change the store would refuse is refused here with the same error.
pub fn what_if(
    state: &State,
    changes: &[crate::policy::Change],
    catalogs: &Catalogs,
) -> crate::policy::ApplyResult<AccessEffect> {
    let mut after = state.clone();
    for c in changes {
        match c {
            crate::policy::Change::Link(l) => {
                let l = after.with_default_role(*l);
                after.apply(&crate::policy::Change::Link(l))?
            }
            other => after.apply(other)?,
        };
    }
    after.reindex();
    let (eb, ea) = (
        Engine::build(state, catalogs),
        Engine::build(&after, catalogs),
    );
    Ok(access_effect(
        Side { state, engine: &eb },
        Side {
            state: &after,
            engine: &ea,
        },
        catalogs,
    ))
}
