//! The escalation rule across time. What an actor may give depends on what it holds; with
//! relations that end, what it holds changes — only at the ends of its own relations. So each
//! need carries the instant until which the actor must hold it (just before the access it
//! gives ends; for good when it gives for good, and always for good when it lifts a deny:
//! a deny lifted stays lifted), and the rule is checked at now, at every end of the actor's
//! own access up to the latest such instant, and at that instant.

use super::reach::{role_perms, teams_of};
use crate::model::{Id, Principal};
use crate::policy::{Change, Link, State};
use std::collections::{BTreeSet, HashMap};
use time::OffsetDateTime;

/// The far future: what an actor holds then is what it holds for good. No end may be set at
/// or past it (`check_end`).
pub(crate) const FOR_GOOD: OffsetDateTime = time::macros::datetime!(9999-12-31 23:59:59 UTC);

/// The end each relation the list gives or extends has once the whole list is applied, in
/// its order (so no order hides an end: a relation removed — unlinked, expired, or taken by a
/// cascading delete — and linked again has none; a membership linked again keeps its end).
/// `None` as a value: no end; a relation absent at the end of the list is left out.
pub(super) fn ends_after(
    state: &State,
    changes: &[Change],
) -> HashMap<Link, Option<OffsetDateTime>> {
    let keys: BTreeSet<Link> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Link(l) | Change::Expire { link: l, .. } => Some(l.key()),
            _ => None,
        })
        .collect();
    let mut out = HashMap::new();
    for k in keys {
        let mut live = state.link_exists(&k);
        let mut end = state.expiries.get(&k);
        for c in changes {
            match c {
                // Linked onto an absent relation: a new one, without an end (a membership
                // linked again keeps its end).
                Change::Link(l) if l.key() == k && !live => {
                    (live, end) = (true, None);
                }
                Change::Unlink(l) | Change::Expired(l) if l.key() == k => {
                    (live, end) = (false, None);
                }
                Change::Expire { link, expires_at } if link.key() == k && live => {
                    end = *expires_at;
                }
                Change::Delete { id, .. } if touches(&k, *id) => {
                    (live, end) = (false, None);
                }
                _ => {}
            }
        }
        if live {
            out.insert(k, end);
        }
    }
    out
}

/// Whether relation `k` has `id` at one of its ends.
fn touches(k: &Link, id: Id) -> bool {
    match *k {
        Link::RolePermission { role, permission } => role == id || permission == id,
        Link::UserRole { user, role } => user == id || role == id,
        Link::TeamRole { team, role } => team == id || role == id,
        Link::Member { team, user, .. } => team == id || user == id,
        Link::Grant {
            principal,
            permission,
        } => {
            permission == id
                || match principal {
                    Principal::User(u) => u == id,
                    Principal::Team(t) => t == id,
                }
        }
    }
}

/// Until when the actor must hold what `c` gives: just before the relation it gives or extends
/// ends once the list is applied ([`ends_after`]), or [`FOR_GOOD`]; never before `t0`, the
/// guard's now. (Denies lifted are held for good whatever this says: see `Needs::push`.)
pub(super) fn change_until(
    ends: &HashMap<Link, Option<OffsetDateTime>>,
    c: &Change,
    t0: OffsetDateTime,
) -> OffsetDateTime {
    let end = match c {
        Change::Link(l) | Change::Expire { link: l, .. } => ends.get(&l.key()).copied().flatten(),
        _ => None,
    };
    match end {
        Some(e) => (e - time::Duration::MICROSECOND).max(t0),
        None => FOR_GOOD,
    }
}

/// The ends, after `t`, of the relations `user` holds access through: its memberships (they
/// also decide `team` conditions), and its roles, direct grants and its teams' roles and
/// grants that convey a permission of one of `catalogs` (a decision on a catalog reads that
/// catalog's permissions only, so the end of anything else changes none of the answers
/// checked). Sorted, each once.
pub(super) fn actor_ends(
    state: &State,
    user: Id,
    t: OffsetDateTime,
    catalogs: &BTreeSet<&str>,
) -> Vec<OffsetDateTime> {
    if state.expiries.is_empty() {
        return Vec::new();
    }
    let teams: BTreeSet<Id> = teams_of(state, user).into_iter().map(|(t, _)| t).collect();
    let relevant = |perms: Vec<Id>| {
        perms.iter().any(|p| {
            state
                .permissions
                .view(p)
                .is_some_and(|v| catalogs.contains(v.catalog()))
        })
    };
    let mut out: Vec<OffsetDateTime> = state
        .expiries
        .iter()
        .filter(|&(_, end)| end > t)
        .filter(|&(l, _)| match *l {
            Link::UserRole { user: u, role } => u == user && relevant(role_perms(state, role)),
            // A membership also decides `team` conditions and where its role counts: always.
            Link::Member { user: u, .. } => u == user,
            Link::Grant {
                principal,
                permission,
            } => {
                (match principal {
                    Principal::User(u) => u == user,
                    Principal::Team(team) => teams.contains(&team),
                }) && relevant(vec![permission])
            }
            Link::TeamRole { team, role } => {
                teams.contains(&team) && relevant(role_perms(state, role))
            }
            Link::RolePermission { .. } => false,
        })
        .map(|(_, end)| end)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The instants the rule is checked at for needs held until at most `last`: now (`None`),
/// then every end of the actor's own access up to `last` (from the last of them on, its access
/// stays as it is until `last`). An actor none of whose access ends holds the same at every
/// instant: now alone.
pub(super) fn instants(
    state: &State,
    user: Id,
    last: OffsetDateTime,
    t0: OffsetDateTime,
    catalogs: &BTreeSet<&str>,
) -> Vec<Option<OffsetDateTime>> {
    let mut out = vec![None];
    out.extend(
        actor_ends(state, user, t0, catalogs)
            .into_iter()
            .filter(|&e| e <= last)
            .map(Some),
    );
    out
}

/// What decides `user`'s own requests, and nothing else: the user, its memberships and their
/// teams, its roles and its teams' roles, the permissions those and the direct grants reach,
/// and the ends of those relations. An index of it answers for `user` exactly as one of the
/// whole state does, at a cost of what the user reaches rather than of the store: the guard
/// builds one per instant it checks.
pub(super) fn reach_of(state: &State, user: Id) -> State {
    let mut out = State {
        revision: state.revision,
        ..State::default()
    };
    let Some(u) = state.users.get(&user) else {
        return out;
    };
    out.users.insert(user, u.clone());
    let mut roles: BTreeSet<Id> = BTreeSet::new();
    let mut grants: Vec<(Principal, Id)> = Vec::new();
    let mut links: Vec<Link> = Vec::new();
    for &(u, r) in state.user_roles.range((user, Id::nil())..) {
        if u != user {
            break;
        }
        out.user_roles.insert((u, r));
        roles.insert(r);
        links.push(Link::UserRole { user: u, role: r });
    }
    let principal_grants = |p: Principal, grants: &mut Vec<(Principal, Id)>| {
        for &(pr, pid) in state.grants.range((p, Id::nil())..) {
            if pr != p {
                break;
            }
            grants.push((pr, pid));
        }
    };
    principal_grants(Principal::User(user), &mut grants);
    for (team, role) in teams_of(state, user) {
        if let Some(t) = state.teams.get(&team) {
            out.teams.insert(team, t.clone());
        }
        out.members.insert((team, user), role);
        links.push(Link::Member {
            team,
            user,
            role: None,
        });
        roles.extend(role);
        for &(t, r) in state.team_roles.range((team, Id::nil())..) {
            if t != team {
                break;
            }
            out.team_roles.insert((t, r));
            roles.insert(r);
            links.push(Link::TeamRole { team: t, role: r });
        }
        principal_grants(Principal::Team(team), &mut grants);
    }
    let mut perms: BTreeSet<Id> = BTreeSet::new();
    for r in roles {
        if let Some(role) = state.roles.get(&r) {
            out.roles.insert(r, role.clone());
        }
        for &(rr, p) in state.role_permissions.range((r, Id::nil())..) {
            if rr != r {
                break;
            }
            out.role_permissions.insert((rr, p));
            perms.insert(p);
        }
    }
    for (pr, pid) in grants {
        out.grants.insert((pr, pid));
        perms.insert(pid);
        links.push(Link::Grant {
            principal: pr,
            permission: pid,
        });
    }
    for p in perms {
        if let Some(perm) = state.permissions.get(&p) {
            out.permissions.insert(&perm);
        }
    }
    for l in links {
        if let Some(end) = state.expiries.get(&l) {
            out.expiries.set(&l, Some(end));
        }
    }
    out.reindex();
    out
}
