//! Whether the acting user holds every right a permission conveys (or every right its denies
//! withhold), decided by the engine itself.
//!
//! A permission's *region* is the set of requests it grants (or denies) on its own. It is
//! found by putting the permission, alone, on a made-up user of a small index and asking that
//! index at every point where the answer can change: each flag of the catalog, each entity
//! the permission can reach (every entity for `ALL` and for Mage's OWNER bit), no entity UUID /
//! the permission's own / one no permission names, each attribute the permission lists / one
//! it does not list (Mage), and resources owned or not by the holder, in or out of the
//! holder's team (for conditions). A region point drops the owner and the team: a grant that
//! holds for some owner or team is treated as holding for all, which only asks more of the
//! actor.
//!
//! The actor holds a region point when the real index allows the actor that request at every
//! point where the actor's own answer can change: no UUID or any UUID the actor's permissions
//! name, the attributes they list, resources the actor owns or not, and every team the actor
//! is in (or only the one team a membership role applies to).

use super::reach::Scope;
use crate::catalog::{ALL_ENTITY, ALL_EXCEPT_RESERVED, Catalog, Catalogs, Dialect};
use crate::engine::{AttrCheck, AttrKind, Engine, Outcome, Request, Rule};
use crate::model::{Id, Permission, Principal, Team, User, UserKind, new_id, now};
use crate::policy::State;
use std::collections::{BTreeMap, BTreeSet};

/// An entity UUID (and an attribute name) that no permission names: stands for "any other".
const FRESH: &str = "\u{1}gatehouse-probe";

/// The three kinds of Mage attribute checks.
const KINDS: [AttrKind; 3] = [AttrKind::Query, AttrKind::Read, AttrKind::Write];

/// Which part of a permission is conveyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// What it grants: holders gain it.
    Grants,
    /// What it denies: holders gain it when the permission stops reaching them.
    Denies,
}

/// Which entity UUIDs a region point stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Uuids {
    /// The entity type as a whole (a request without a UUID).
    None,
    /// This one UUID.
    Exact(String),
    /// Every UUID.
    Any,
}

/// Which attribute check a region point stands for (Mage).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Attr {
    /// No attribute check.
    None,
    /// This attribute.
    Named(AttrKind, String),
    /// Every attribute of this kind.
    Any(AttrKind),
}

/// One point of a region: an action on an entity, for some UUIDs and attributes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Point {
    pub(crate) catalog: String,
    pub(crate) action: String,
    pub(crate) entity: String,
    pub(crate) uuids: Uuids,
    pub(crate) attr: Attr,
}

impl Point {
    /// `UPDATE on mage:Pipeline/example (read:name)`.
    pub(crate) fn describe(&self) -> String {
        let uuid = match &self.uuids {
            Uuids::None => String::new(),
            Uuids::Exact(u) => format!("/{u}"),
            Uuids::Any => "/*".into(),
        };
        let attr = match &self.attr {
            Attr::None => String::new(),
            Attr::Named(k, n) => format!(" ({}:{n})", k.word()),
            Attr::Any(k) => format!(" (every {} attribute)", k.word()),
        };
        format!(
            "'{}' on {}:{}{uuid}{attr}",
            self.action, self.catalog, self.entity
        )
    }
}

/// The regions of several permissions, each worked out on its own made-up holder.
pub(crate) struct Regions<'a> {
    engine: Engine,
    catalogs: &'a Catalogs,
    holders: Vec<(Id, Permission)>,
    team: Id,
}

impl<'a> Regions<'a> {
    /// Files each permission alone under its own made-up user, all in one made-up team.
    pub(crate) fn new(catalogs: &'a Catalogs, perms: &[&Permission]) -> Regions<'a> {
        let mut state = State::default();
        let t = now();
        let team = Team {
            id: new_id(),
            key: FRESH.into(),
            name: FRESH.into(),
            description: String::new(),
            default_role: None,
            created_at: t,
            updated_at: t,
            version: 1,
        };
        let team_id = team.id;
        state.teams.insert(team.id, team);
        let mut holders = Vec::with_capacity(perms.len());
        for (i, p) in perms.iter().enumerate() {
            let user = User {
                id: new_id(),
                username: format!("{FRESH}{i}"),
                email: String::new(),
                display_name: String::new(),
                kind: UserKind::Person,
                disabled: false,
                owner: false,
                created_at: t,
                updated_at: t,
                version: 1,
                first_name: String::new(),
                last_name: String::new(),
            };
            let mut alone = Permission::clone(p);
            alone.id = new_id();
            state.members.insert((team_id, user.id), None);
            state.grants.insert((Principal::User(user.id), alone.id));
            state.permissions.insert(&alone);
            holders.push((user.id, alone));
            state.users.insert(user.id, user);
        }
        state.reindex();
        Regions {
            engine: Engine::build(&state, catalogs),
            catalogs,
            holders,
            team: team_id,
        }
    }

    /// The points where permission `i` (as passed to [`Regions::new`]) grants or denies.
    pub(crate) fn region(&self, i: usize, side: Side) -> BTreeSet<Point> {
        let mut out = BTreeSet::new();
        let Some((holder, p)) = self.holders.get(i) else {
            return out;
        };
        let Some(cat) = self.catalogs.get(&p.catalog) else {
            // The engine matches no permission of an unknown catalog.
            return out;
        };
        let probe = Probe {
            engine: &self.engine,
            holder: *holder,
            team: self.team,
            perm: p,
            side,
        };
        // `ALL` and `ALL_EXCEPT_RESERVED` reach other entities even where the catalog also
        // lists them as entities (Mage).
        let specific = cat.entity(&p.entity).is_some()
            && p.entity != ALL_ENTITY
            && p.entity != ALL_EXCEPT_RESERVED;
        let entities = if specific && !probe.has_owner_bit(cat) {
            vec![p.entity.clone()]
        } else {
            all_entities(cat)
        };
        let mut uuids = vec![Uuids::None, Uuids::Any];
        if let Some(u) = &p.entity_uuid {
            uuids.push(Uuids::Exact(u.clone()));
        }
        for entity in &entities {
            for flag in &cat.flags {
                for u in &uuids {
                    let point = Point {
                        catalog: p.catalog.clone(),
                        action: flag.name.clone(),
                        entity: entity.clone(),
                        uuids: u.clone(),
                        attr: Attr::None,
                    };
                    if probe.hits(&point) {
                        out.insert(point.clone());
                    }
                    if cat.dialect == Dialect::Mage {
                        probe.attributes(point, &mut out);
                    }
                }
            }
        }
        out
    }
}

/// Every entity name a request may carry in a catalog, pseudo-entities included.
pub(crate) fn all_entities(cat: &Catalog) -> Vec<String> {
    let mut out: BTreeSet<String> = cat.entities.iter().map(|e| e.name.clone()).collect();
    out.insert(ALL_ENTITY.into());
    if !cat.reserved_entities.is_empty() {
        out.insert(ALL_EXCEPT_RESERVED.into());
    }
    out.into_iter().collect()
}

/// Asks the small index about one permission on its made-up holder.
struct Probe<'e> {
    engine: &'e Engine,
    holder: Id,
    team: Id,
    perm: &'e Permission,
    side: Side,
}

impl Probe<'_> {
    fn request(&self, point: &Point, owner: Option<Id>, team: Option<Id>) -> Request {
        Request {
            at: None,
            user: self.holder,
            catalog: point.catalog.clone(),
            action: point.action.clone(),
            entity: point.entity.clone(),
            entity_uuid: match &point.uuids {
                Uuids::None => None,
                Uuids::Exact(u) => Some(u.clone()),
                Uuids::Any => Some(FRESH.into()),
            },
            resource_owner: owner,
            resource_team: team,
            attribute: match &point.attr {
                Attr::None => None,
                Attr::Named(kind, name) => Some(AttrCheck {
                    kind: *kind,
                    name: name.clone(),
                }),
                Attr::Any(kind) => Some(AttrCheck {
                    kind: *kind,
                    name: FRESH.into(),
                }),
            },
        }
    }

    /// True when the permission grants (or denies) the point for some owner and team: the
    /// holder's own resources and others', its team's and others'.
    fn hits(&self, point: &Point) -> bool {
        let conditional = !self.perm.conditions.is_empty();
        let owners: &[Option<Id>] = if conditional {
            &[None, Some(self.holder)]
        } else {
            &[None]
        };
        let teams: &[Option<Id>] = if conditional {
            &[None, Some(self.team)]
        } else {
            &[None]
        };
        owners.iter().any(|&o| {
            teams.iter().any(|&t| {
                let req = self.request(point, o, t);
                match self.side {
                    Side::Grants => self.engine.decide(&req).allowed,
                    Side::Denies => self.engine.explain(&req).candidates.iter().any(|c| {
                        matches!(c.outcome, Outcome::Denies | Outcome::AttributeDenied { .. })
                    }),
                }
            })
        })
    }

    /// Mage: an OWNER bit allows everything in the catalog, whatever the entity.
    fn has_owner_bit(&self, cat: &Catalog) -> bool {
        cat.dialect == Dialect::Mage
            && cat.flags.first().is_some_and(|f| {
                let point = Point {
                    catalog: self.perm.catalog.clone(),
                    action: f.name.clone(),
                    entity: self.perm.entity.clone(),
                    uuids: Uuids::None,
                    attr: Attr::None,
                };
                let req = self.request(&point, None, None);
                matches!(self.engine.decide(&req).rule, Rule::MageOwnerBit { .. })
            })
    }

    /// Mage attribute checks at `base`: each attribute the permission lists, and any other.
    fn attributes(&self, base: Point, out: &mut BTreeSet<Point>) {
        for kind in KINDS {
            let listed = match kind {
                AttrKind::Query => &self.perm.query_attributes,
                AttrKind::Read => &self.perm.read_attributes,
                AttrKind::Write => &self.perm.write_attributes,
            };
            // Any other name, and the empty one (Mage skips the list for it).
            let mut attrs: Vec<Attr> = vec![Attr::Any(kind), Attr::Named(kind, String::new())];
            let names: BTreeSet<&String> = listed.iter().collect();
            attrs.extend(names.into_iter().map(|n| Attr::Named(kind, n.clone())));
            for attr in attrs {
                let point = Point {
                    attr,
                    ..base.clone()
                };
                let req = self.request(&point, None, None);
                if matches!(
                    self.engine.decide(&req).rule,
                    Rule::AttributeNeedsOperation | Rule::AttributeNotInDialect
                ) {
                    // Not one of the operations: no attribute check applies to this action.
                    return;
                }
                if self.hits(&point) {
                    out.insert(point);
                }
            }
        }
    }
}

/// The points where the actor's own answer can change, read from the permissions it reaches.
pub(crate) struct ActorView<'a> {
    pub(crate) engine: &'a Engine,
    pub(crate) actor: Id,
    /// The teams the actor is in.
    pub(crate) teams: Vec<Id>,
    /// (catalog, entity) → UUIDs the actor's permissions name there.
    pub(crate) uuids: BTreeMap<(String, String), BTreeSet<String>>,
    /// (catalog, kind) → attribute names the actor's permissions list.
    pub(crate) attrs: BTreeMap<(String, AttrKind), BTreeSet<String>>,
}

impl ActorView<'_> {
    /// Records what one permission the actor reaches names.
    pub(crate) fn note(&mut self, p: &Permission) {
        if let Some(u) = &p.entity_uuid {
            self.uuids
                .entry((p.catalog.clone(), p.entity.clone()))
                .or_default()
                .insert(u.clone());
        }
        for (kind, list) in [
            (AttrKind::Query, &p.query_attributes),
            (AttrKind::Read, &p.read_attributes),
            (AttrKind::Write, &p.write_attributes),
        ] {
            if !list.is_empty() {
                self.attrs
                    .entry((p.catalog.clone(), kind))
                    .or_default()
                    .extend(list.iter().cloned());
            }
        }
    }

    /// The first request at `point` (within `scope`) that the actor is not allowed, if any.
    pub(crate) fn missing(&self, point: &Point, scope: Scope) -> Option<Missing> {
        let uuids: Vec<Option<String>> = match &point.uuids {
            Uuids::None => vec![None],
            Uuids::Exact(u) => vec![Some(u.clone())],
            Uuids::Any => {
                let mut v = vec![Some(FRESH.to_string())];
                for (key, set) in &self.uuids {
                    if key.0 == point.catalog
                        && (key.1 == point.entity
                            || key.1 == ALL_ENTITY
                            || key.1 == ALL_EXCEPT_RESERVED)
                    {
                        v.extend(set.iter().cloned().map(Some));
                    }
                }
                v
            }
        };
        let attrs: Vec<Option<AttrCheck>> = match &point.attr {
            Attr::None => vec![None],
            Attr::Named(kind, name) => vec![Some(AttrCheck {
                kind: *kind,
                name: name.clone(),
            })],
            Attr::Any(kind) => {
                let mut v = vec![
                    Some(AttrCheck {
                        kind: *kind,
                        name: FRESH.into(),
                    }),
                    Some(AttrCheck {
                        kind: *kind,
                        name: String::new(),
                    }),
                ];
                if let Some(set) = self.attrs.get(&(point.catalog.clone(), *kind)) {
                    v.extend(set.iter().map(|n| {
                        Some(AttrCheck {
                            kind: *kind,
                            name: n.clone(),
                        })
                    }));
                }
                v
            }
        };
        let teams: Vec<Option<Id>> = match scope {
            Scope::Team(t) => vec![Some(t)],
            Scope::Any => std::iter::once(None)
                .chain(self.teams.iter().copied().map(Some))
                .collect(),
        };
        let owners = [None, Some(self.actor)];
        for uuid in &uuids {
            for attr in &attrs {
                for &team in &teams {
                    for &owner in &owners {
                        let req = Request {
                            at: None,
                            user: self.actor,
                            catalog: point.catalog.clone(),
                            action: point.action.clone(),
                            entity: point.entity.clone(),
                            entity_uuid: uuid.clone(),
                            resource_owner: owner,
                            resource_team: team,
                            attribute: attr.clone(),
                        };
                        if !self.engine.decide(&req).allowed {
                            return Some(Missing {
                                uuid: uuid.clone(),
                                attr: attr.clone(),
                                team,
                                others: owner.is_none(),
                            });
                        }
                    }
                }
            }
        }
        None
    }
}

/// Where the actor lacks a right: the request the index refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Missing {
    pub(crate) uuid: Option<String>,
    pub(crate) attr: Option<AttrCheck>,
    pub(crate) team: Option<Id>,
    /// Refused on resources the actor does not own (else on its own).
    pub(crate) others: bool,
}

impl Missing {
    /// `'write' on gatehouse:User` with the UUID, attribute and resources it was refused on.
    pub(crate) fn describe(&self, point: &Point, state: &State) -> String {
        let uuid = match self.uuid.as_deref() {
            None => String::new(),
            Some(FRESH) => " (on every entity UUID)".into(),
            Some(u) => format!("/{u}"),
        };
        let attr = match &self.attr {
            None => String::new(),
            Some(a) if a.name == FRESH => format!(" (every {} attribute)", a.kind.word()),
            Some(a) => format!(" ({}:{})", a.kind.word(), a.name),
        };
        let team = match self.team {
            None => String::new(),
            Some(t) => format!(
                " on resources of team '{}'",
                state.teams.get(&t).map_or("?", |t| t.key.as_str())
            ),
        };
        let own = if self.others {
            ""
        } else {
            " on resources it owns"
        };
        format!(
            "'{}' on {}:{}{uuid}{attr}{team}{own}",
            point.action, point.catalog, point.entity
        )
    }
}
