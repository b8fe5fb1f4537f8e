//! The escalation rule across time. What an actor may give depends on what it holds; with
//! relations that end, what it holds changes — only at the ends of its own relations. So each
//! need carries the instant until which the actor must hold it (just before the access it
//! gives ends; for good when it gives for good, and always for good when it lifts a deny:
//! a deny lifted stays lifted), and the rule is checked at now, at every end of the actor's
//! own access up to the latest such instant, and at that instant.

use super::reach::teams_of;
use crate::model::{Id, Principal, now};
use crate::policy::{Change, Link, State};
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// The far future: what an actor holds then is what it holds for good. No end may be set at
/// or past it (`check_end`).
pub(crate) const FOR_GOOD: OffsetDateTime = time::macros::datetime!(9999-12-31 23:59:59 UTC);

/// Until when the actor must hold what `c` (one of `changes`) gives: just before the relation
/// it gives or extends ends, or [`FOR_GOOD`]. Never before now. (Denies lifted are held for
/// good whatever this says: see `Needs::push`.)
pub(super) fn change_until(state: &State, changes: &[Change], c: &Change) -> OffsetDateTime {
    let t = now();
    let removed = |l: &Link| {
        changes
            .iter()
            .any(|o| matches!(o, Change::Unlink(x) | Change::Expired(x) if x.key() == l.key()))
    };
    // The end a relation has once the list is applied: the last `Expire` naming it, else the
    // end it keeps (a membership linked again keeps its end; one removed first has none).
    let end_after = |l: &Link| -> Option<OffsetDateTime> {
        let set = changes.iter().rev().find_map(|o| match o {
            Change::Expire { link, expires_at } if link.key() == l.key() => Some(*expires_at),
            _ => None,
        });
        match set {
            Some(e) => e,
            None if state.link_exists(l) && !removed(l) => state.expiries.get(l),
            None => None,
        }
    };
    let end = match c {
        Change::Link(l) => end_after(l),
        Change::Expire { expires_at, .. } => *expires_at,
        _ => None,
    };
    match end {
        Some(e) => (e - time::Duration::MICROSECOND).max(t),
        None => FOR_GOOD,
    }
}

/// The ends, after now, of the relations `user` holds access through: its roles, memberships
/// and direct grants, and its teams' roles and grants. Sorted, each once.
pub(super) fn actor_ends(state: &State, user: Id) -> Vec<OffsetDateTime> {
    if state.expiries.is_empty() {
        return Vec::new();
    }
    let t = now();
    let teams: BTreeSet<Id> = teams_of(state, user).into_iter().map(|(t, _)| t).collect();
    let mut out: Vec<OffsetDateTime> = state
        .expiries
        .iter()
        .filter(|&(l, end)| {
            end > t
                && match *l {
                    Link::UserRole { user: u, .. } | Link::Member { user: u, .. } => u == user,
                    Link::Grant { principal, .. } => match principal {
                        Principal::User(u) => u == user,
                        Principal::Team(team) => teams.contains(&team),
                    },
                    Link::TeamRole { team, .. } => teams.contains(&team),
                    Link::RolePermission { .. } => false,
                }
        })
        .map(|(_, end)| end)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The instants the rule is checked at for needs held until at most `last`: now (`None`),
/// then every end of the actor's own access up to `last`, then `last` itself when some end
/// comes before it. An actor none of whose access ends holds the same at every instant: now
/// alone.
pub(super) fn instants(
    state: &State,
    user: Id,
    last: OffsetDateTime,
) -> Vec<Option<OffsetDateTime>> {
    let ends = actor_ends(state, user);
    let mut out = vec![None];
    if ends.is_empty() {
        return out;
    }
    out.extend(ends.iter().filter(|&&e| e <= last).map(|&e| Some(e)));
    if ends.first().is_some_and(|&e| e <= last) {
        out.push(Some(last));
    }
    out.dedup();
    out
}
