//! Escalation prevention and the owner rules (README "Security model"), checked on the list of
//! changes every write commits, whatever the transport. The anchor is Kubernetes RBAC: a
//! principal may create, change or grant something only if it already holds every right the
//! result conveys.
//!
//! For a user acting (not an owner, not the local system):
//! - a permission created, changed, linked to a role or granted to a principal, a role linked
//!   to a user or team, a membership (with the team's grants and roles, the role held inside
//!   the team, and the member's `team`-conditioned permissions on that team's resources), a
//!   team's default role: the actor must hold every right it grants, at the same scope;
//! - a permission, link or membership that stops reaching someone lifts its denies: the actor
//!   must hold every right those denies withhold;
//! - changing or deleting a permission or a role, or deleting a team, needs every right it
//!   grants (no one strips rights they could not give);
//! - acting on another user (editing, disabling, deleting them, creating or revoking their
//!   keys) needs every right that user holds; only an owner acts on an owner or grants the
//!   owner flag;
//! - `escalate` on the admin entity a write is guarded by (granted only by an owner) lifts the
//!   first three rules for that entity.
//!
//! For everyone, owners included: no write may leave the store without an enabled owner.

mod needs;
mod over_time;
mod reach;
mod region;

pub(crate) use over_time::FOR_GOOD;
pub(crate) use reach::Scope;

use super::{Access, Actor, EngineAt, Service, Snapshot};
use crate::backend::{Error, Result};
use crate::catalog::ADMIN_CATALOG;
use crate::engine::Engine;
use crate::model::{Id, ObjectKind, Permission, User, now};
use crate::policy::{Change, Link, Object, State};
use needs::{Need, Needs, Why};
use reach::{teams_of, user_reach};
use region::{ActorView, Regions, Side};
use std::collections::{BTreeSet, HashMap};
use time::OffsetDateTime;

/// Refuses a list of changes that leaves no enabled owner in a store that had one.
fn owners_remain(state: &State, changes: &[Change]) -> Result<()> {
    let mut touched: HashMap<Id, Option<&User>> = HashMap::new();
    for c in changes {
        match c {
            Change::Create(Object::User(u))
            | Change::Update {
                object: Object::User(u),
                ..
            } => {
                touched.insert(u.id, Some(u));
            }
            Change::Delete {
                kind: ObjectKind::User,
                id,
                ..
            } => {
                touched.insert(*id, None);
            }
            _ => {}
        }
    }
    if touched.is_empty() {
        return Ok(());
    }
    let enabled = |u: &User| u.owner && !u.disabled;
    let before = state.users.values().any(enabled);
    let after = touched.values().flatten().any(|u| enabled(u))
        || state
            .users
            .values()
            .any(|u| !touched.contains_key(&u.id) && enabled(u));
    if before && !after {
        let names: Vec<&str> = touched
            .keys()
            .filter_map(|id| state.users.get(id))
            .filter(|u| enabled(u))
            .map(|u| u.username.as_str())
            .collect();
        return Err(Error::Conflict(format!(
            "'{}' is the last enabled owner: this would leave the store without one; make another user owner first",
            names.join("', '")
        )));
    }
    Ok(())
}

impl Service {
    /// True when `flags` (of a permission on the admin catalog) include `escalate`.
    fn has_escalate(&self, flags: &[String]) -> bool {
        let Some(cat) = self.catalogs.get(ADMIN_CATALOG) else {
            return false;
        };
        let (Ok(mask), Some(bit)) = (cat.mask(flags), cat.flag_bit(Access::Escalate.flag())) else {
            // A flag the catalog does not know: validation refuses it before this.
            return false;
        };
        cat.expand(mask) & (1u64 << bit) != 0
    }

    /// Checks the escalation rule and the owner rules for `changes`, planned by `actor`
    /// against `snap` (see the module documentation). Never touches the store.
    pub(super) fn guard(&self, actor: &Actor, snap: &Snapshot, changes: &[Change]) -> Result<()> {
        let state = &snap.state;
        owners_remain(state, changes)?;
        // The cleanup removes only relations past their end on the state it lands on (an end
        // moved later meanwhile keeps the relation): never a live one, whoever asks.
        let t = now();
        if let Some(l) = changes.iter().find_map(|c| match c {
            Change::Expired(l) if !state.expiries.ended(l, t) => Some(l),
            _ => None,
        }) {
            return Err(Error::Conflict(format!(
                "{} '{}' has not ended (its end moved or it has none); nothing removed",
                l.kind(),
                l.object_id()
            )));
        }
        let Some(uid) = actor.user else {
            return Ok(());
        };
        let Some(me) = state.users.get(&uid) else {
            return Err(Error::Forbidden(format!(
                "{} is no longer a user of this store",
                actor.name
            )));
        };
        if me.owner && !me.disabled {
            return Ok(());
        }
        if me.disabled {
            return Err(Error::Forbidden(format!("{} is disabled", me.username)));
        }
        // One now for the whole check.
        let t0 = now();
        let ends = over_time::ends_after(state, changes);
        let mut needs = Needs::new(state, &self.catalogs, me, changes);
        for c in changes {
            needs.until = over_time::change_until(&ends, c, t0);
            needs.add(c)?;
        }
        if needs.list.is_empty() {
            return Ok(());
        }
        // Only an owner grants `escalate` — or lifts a deny of it — whatever the actor may lift.
        if let Some(n) = needs.list.iter().find(|n| {
            n.why == Why::Grant
                && n.side == Side::Grants
                && n.perm.catalog == ADMIN_CATALOG
                && self.has_escalate(&n.perm.grants)
        }) {
            return Err(Error::Forbidden(format!(
                "only an owner may grant 'escalate' (on gatehouse:{}); {} is not one",
                n.perm.entity, me.username
            )));
        }
        if let Some(n) = needs.list.iter().find(|n| {
            n.side == Side::Denies
                && n.perm.catalog == ADMIN_CATALOG
                && self.has_escalate(&n.perm.denies)
        }) {
            return Err(Error::Forbidden(format!(
                "only an owner may lift a deny of 'escalate' (on gatehouse:{}); {} is not one",
                n.perm.entity, me.username
            )));
        }
        // The rule holds at every instant the actor's access changes, up to the last one a
        // need must be held at (see `time`); `escalate` lifts a need only where it is held.
        let last = needs.list.iter().map(|n| n.until).max().unwrap_or(t0);
        // The catalogs the answers checked read: the needs', and the admin catalog's
        // `escalate` when a need may be lifted.
        let mut catalogs: BTreeSet<&str> =
            needs.list.iter().map(|n| n.perm.catalog.as_str()).collect();
        if needs.list.iter().any(|n| n.lift.is_some()) {
            catalogs.insert(ADMIN_CATALOG);
        }
        let instants = over_time::instants(state, me.id, last, t0, &catalogs);
        // Past now, only the actor's own reach decides its answers: an index of that, per
        // instant, costs what the actor reaches, not the store.
        let reach = (instants.len() > 1).then(|| over_time::reach_of(state, me.id));
        for at in instants {
            let engine = match (at, &reach) {
                (Some(t), Some(r)) => {
                    EngineAt::Built(Box::new(Engine::build_at(r, &self.catalogs, t)))
                }
                _ => snap.engine_at(None),
            };
            let t = at.unwrap_or(t0);
            let mut lifted: HashMap<&str, bool> = HashMap::new();
            let list: Vec<&Need> = needs
                .list
                .iter()
                .filter(|n| n.until >= t)
                .filter(|n| {
                    n.lift.is_none_or(|e| {
                        !*lifted
                            .entry(e)
                            .or_insert_with(|| escalates(&engine, me.id, e))
                    })
                })
                .collect();
            check(self, snap, me, &list, &engine, at)?;
        }
        Ok(())
    }
}

/// Whether `user` holds `escalate` on the admin entity `entity` in `engine`.
fn escalates(engine: &Engine, user: Id, entity: &str) -> bool {
    engine
        .decide(&crate::engine::Request {
            at: None,
            user,
            catalog: ADMIN_CATALOG.into(),
            action: Access::Escalate.flag().into(),
            entity: entity.into(),
            entity_uuid: None,
            resource_owner: None,
            resource_team: None,
            attribute: None,
        })
        .allowed
}

/// What decides a permission's region: everything but its id, times and description.
type ContentKey<'a> = (&'a str, &'a str, Option<&'a str>, [&'a [String]; 6]);

fn content_key(p: &Permission) -> ContentKey<'_> {
    (
        &p.catalog,
        &p.entity,
        p.entity_uuid.as_deref(),
        [
            &p.grants,
            &p.denies,
            &p.conditions,
            &p.query_attributes,
            &p.read_attributes,
            &p.write_attributes,
        ],
    )
}

/// Checks that `me` holds every region point of every need.
/// `at`: the instant checked (`None`: now), `engine` the index for it.
fn check(
    service: &Service,
    snap: &Snapshot,
    me: &User,
    list: &[&Need],
    engine: &Engine,
    at: Option<OffsetDateTime>,
) -> Result<()> {
    let state = &snap.state;
    // Permissions with the same content have the same region: work each out once.
    let mut distinct: Vec<&Permission> = Vec::new();
    let mut seen: HashMap<ContentKey<'_>, usize> = HashMap::new();
    let mut slot: Vec<usize> = Vec::with_capacity(list.len());
    for n in list {
        let i = *seen.entry(content_key(&n.perm)).or_insert_with(|| {
            distinct.push(&n.perm);
            distinct.len() - 1
        });
        slot.push(i);
    }
    let regions = Regions::new(service.catalogs(), &distinct);
    let mut view = ActorView {
        engine,
        actor: me.id,
        teams: teams_of(state, me.id)
            .into_iter()
            .map(|(t, _)| t)
            .filter(|&team| {
                at.is_none_or(|at| {
                    let member = Link::Member {
                        team,
                        user: me.id,
                        role: None,
                    };
                    !state.expiries.ended(&member, at)
                })
            })
            .collect(),
        uuids: Default::default(),
        attrs: Default::default(),
    };
    for (p, _) in user_reach(state, me.id) {
        if let Some(p) = state.permissions.get(&p) {
            view.note(&p);
        }
    }
    let mut done: BTreeSet<(region::Point, Scope)> = BTreeSet::new();
    let mut memo: HashMap<(usize, bool), BTreeSet<region::Point>> = HashMap::new();
    for (n, &i) in list.iter().zip(&slot) {
        let key = (i, n.side == Side::Grants);
        let points = memo.entry(key).or_insert_with(|| regions.region(i, n.side));
        for point in points.iter() {
            if !done.insert((point.clone(), n.scope)) {
                continue;
            }
            if let Some(m) = view.missing(point, n.scope) {
                return Err(refusal(me, n, point, &m, state));
            }
        }
    }
    Ok(())
}

fn refusal(
    me: &User,
    n: &Need,
    point: &region::Point,
    m: &region::Missing,
    state: &State,
) -> Error {
    let who = &me.username;
    let missing = m.describe(point, state);
    let what = match &n.why {
        Why::Grant => format!("grant {}", point.describe()),
        Why::LiftDeny => format!("lift a deny of {}", point.describe()),
        Why::Role(name) => format!(
            "change or delete role '{name}', which grants {}",
            point.describe()
        ),
        Why::Permission => format!(
            "change or delete a permission that grants {}",
            point.describe()
        ),
        Why::Team(key) => format!("delete team '{key}', which grants {}", point.describe()),
        Why::User(name) => format!("act on '{name}', who holds {}", point.describe()),
    };
    let escalate = match n.lift {
        Some(e) => format!(" (or 'escalate' on gatehouse:{e}, which only an owner grants)"),
        None => String::new(),
    };
    Error::Forbidden(format!(
        "{who} may not {what}: {who} does not hold {missing}; it needs that right itself{escalate}"
    ))
}
