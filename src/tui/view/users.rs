//! The Users rows, the one list that reaches 100k rows: built without per-user maps and, when
//! large, on several threads.

use super::row::{Cells, Mark};
use super::{Row, clean};
use crate::model::{Id, User};
use crate::policy::{Link, State};
use rustc_hash::FxHashMap;
use std::ops::Bound;
use time::OffsetDateTime;

/// Below this many users the Users rows are built on the calling thread only.
const PARALLEL_USERS: usize = 20_000;

/// The mark after a role or team whose relation ends: it has an end still to come.
pub(super) const ENDS: &str = " (ends)";

/// The mark after a role or team whose relation has passed its end: it gives no access, and
/// the cleanup has not removed it yet.
pub(super) const ENDED: &str = " (ended)";

/// The Users rows: 100k users must stay fast, so role names and team keys are sanitized once
/// each (sanitizing is per character, so joining sanitized names equals sanitizing the join),
/// the roles are found by walking `user_roles` (ordered by user, then role) alongside the
/// users (ordered by id) instead of through a map, and large lists are built in id ranges on
/// up to four threads, then concatenated in order.
///
/// A role or team whose relation ends is marked ` (ends)`, or ` (ended)` when its end is at
/// or before `now` (the list is built once per load and not redrawn as time passes, so it
/// says no clock). A store where nothing ends takes the path that marks nothing, at no cost.
pub(crate) fn user_rows(s: &State, now: OffsetDateTime) -> Vec<Row> {
    let parts = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4)
        .min(s.users.len() / PARALLEL_USERS);
    user_rows_split(s, parts, now)
}

/// [`user_rows`] built in `parts` id ranges (at least one), one thread each.
pub(super) fn user_rows_split(s: &State, parts: usize, now: OffsetDateTime) -> Vec<Row> {
    if s.expiries.is_empty() {
        return rows_marked(s, parts, |_| ());
    }
    rows_marked(s, parts, |link| match s.expiries.get(&link) {
        None => "",
        Some(end) if end > now => ENDS,
        Some(_) => ENDED,
    })
}

/// [`user_rows_split`], each role and team followed by what `mark` says of its relation.
fn rows_marked<M: Mark>(s: &State, parts: usize, mark: impl Fn(Link) -> M + Sync) -> Vec<Row> {
    let role_names: FxHashMap<Id, String> =
        s.roles.values().map(|r| (r.id, clean(&r.name))).collect();
    let team_keys: FxHashMap<Id, String> =
        s.teams.values().map(|t| (t.id, clean(&t.key))).collect();
    let mut teams: FxHashMap<Id, Vec<(&str, M)>> = FxHashMap::default();
    for (&(team, user), &role) in &s.members {
        if let Some(key) = team_keys.get(&team) {
            let m = mark(Link::Member { team, user, role });
            teams.entry(user).or_default().push((key, m));
        }
    }
    let parts = parts.max(1);
    // Split points: the first id of every part but the first.
    let step = s.users.len().div_ceil(parts).max(1);
    let splits: Vec<Id> = s.users.keys().skip(step).step_by(step).copied().collect();
    let mut bounds = Vec::with_capacity(splits.len() + 1);
    let mut lo = Bound::Unbounded;
    for &k in &splits {
        bounds.push((lo, Bound::Excluded(k)));
        lo = Bound::Included(k);
    }
    bounds.push((lo, Bound::Unbounded));
    let part = |(lo, hi): (Bound<Id>, Bound<Id>)| {
        // `Id::nil()` is the smallest id: (k, nil) is the first link of user k.
        let links = s
            .user_roles
            .range((lo.map(|k| (k, Id::nil())), hi.map(|k| (k, Id::nil()))));
        user_rows_in(
            s.users.range((lo, hi)).map(|(_, u)| u),
            links,
            &role_names,
            &teams,
            &mark,
        )
    };
    let mut bounds = bounds.into_iter();
    let Some(first) = bounds.next() else {
        return Vec::new();
    };
    std::thread::scope(|scope| {
        let others: Vec<_> = bounds.map(|b| scope.spawn(move || part(b))).collect();
        let mut rows = part(first);
        rows.reserve(s.users.len().saturating_sub(rows.len()));
        for h in others {
            match h.join() {
                Ok(more) => rows.extend(more),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        rows
    })
}

/// The Users rows of `users` (in id order), given the `user_roles` links from the first of
/// them on, each role and team followed by what `mark` says of its relation.
fn user_rows_in<'a, M: Mark>(
    users: impl Iterator<Item = &'a User>,
    links: impl Iterator<Item = &'a (Id, Id)>,
    role_names: &FxHashMap<Id, String>,
    teams: &FxHashMap<Id, Vec<(&str, M)>>,
    mark: impl Fn(Link) -> M,
) -> Vec<Row> {
    let mut links = links.peekable();
    let mut names: Vec<(&str, M)> = Vec::new();
    users
        .map(|u| {
            names.clear();
            while let Some(&&(user, role)) = links.peek() {
                if user > u.id {
                    break;
                }
                links.next();
                if user == u.id
                    && let Some(name) = role_names.get(&role)
                {
                    names.push((name, mark(Link::UserRole { user, role })));
                }
            }
            let flags = match (u.owner, u.disabled) {
                (false, false) => "",
                (true, false) => "owner",
                (false, true) => "disabled",
                (true, true) => "owner,disabled",
            };
            let teams = teams.get(&u.id).map_or(&[][..], Vec::as_slice);
            let mut cells = Cells::with_capacity(
                u.username.len() + u.email.len() + 48 + 24 * (names.len() + teams.len()),
            );
            cells
                .push_raw(&u.username)
                .push_raw(&u.email)
                .push_clean(u.kind.as_str())
                .push_joined(&names, ", ")
                .push_joined(teams, ", ")
                .push_clean(flags)
                .push_clean(&super::date(u.created_at.to_offset(time::UtcOffset::UTC)))
                .push_clean(&super::date(u.updated_at.to_offset(time::UtcOffset::UTC)));
            // The id stays raw: it names the object; only the cells are sanitized.
            Row::from_cells(u.username.clone(), cells)
        })
        .collect()
}
