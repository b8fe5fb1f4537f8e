//! The Users rows, the one list that reaches 100k rows: built without per-user maps and, when
//! large, on several threads.

use super::row::Cells;
use super::{Row, clean};
use crate::model::{Id, User};
use crate::policy::State;
use rustc_hash::FxHashMap;
use std::ops::Bound;

/// Below this many users the Users rows are built on the calling thread only.
const PARALLEL_USERS: usize = 20_000;

/// The Users rows: 100k users must stay fast, so role names and team keys are sanitized once
/// each (sanitizing is per character, so joining sanitized names equals sanitizing the join),
/// the roles are found by walking `user_roles` (ordered by user, then role) alongside the
/// users (ordered by id) instead of through a map, and large lists are built in id ranges on
/// up to four threads, then concatenated in order.
pub(crate) fn user_rows(s: &State) -> Vec<Row> {
    let parts = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4)
        .min(s.users.len() / PARALLEL_USERS);
    user_rows_split(s, parts)
}

/// [`user_rows`] built in `parts` id ranges (at least one), one thread each.
pub(super) fn user_rows_split(s: &State, parts: usize) -> Vec<Row> {
    let role_names: FxHashMap<Id, String> =
        s.roles.values().map(|r| (r.id, clean(&r.name))).collect();
    let team_keys: FxHashMap<Id, String> =
        s.teams.values().map(|t| (t.id, clean(&t.key))).collect();
    let mut teams: FxHashMap<Id, Vec<&str>> = FxHashMap::default();
    for (t, u) in s.members.keys() {
        if let Some(key) = team_keys.get(t) {
            teams.entry(*u).or_default().push(key);
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
/// them on.
fn user_rows_in<'a>(
    users: impl Iterator<Item = &'a User>,
    links: impl Iterator<Item = &'a (Id, Id)>,
    role_names: &FxHashMap<Id, String>,
    teams: &FxHashMap<Id, Vec<&str>>,
) -> Vec<Row> {
    let mut links = links.peekable();
    let mut names: Vec<&str> = Vec::new();
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
                    names.push(name);
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
