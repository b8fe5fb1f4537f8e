//! What a user, a role or a team reaches in a [`State`]: the permissions (by id) and where
//! each applies. Mirrors the engine's paths (user → direct grants, roles, teams → team grants,
//! team roles, membership role), read from the state the write is planned against.

use crate::model::{ADMIN_TEAM, Id, Principal};
use crate::policy::State;

/// Where a reached permission applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Scope {
    /// For every resource.
    Any,
    /// Only for resources of this team (the role a member holds inside a team other than the
    /// reserved `admin` team).
    Team(Id),
}

/// Where the role a member holds inside `team` applies: everywhere in the reserved `admin`
/// team, else on the team's resources only.
pub(crate) fn member_scope(state: &State, team: Id) -> Scope {
    if state.teams.get(&team).is_some_and(|t| t.key == ADMIN_TEAM) {
        Scope::Any
    } else {
        Scope::Team(team)
    }
}

/// The permissions a role holds.
pub(crate) fn role_perms(state: &State, role: Id) -> Vec<Id> {
    state
        .role_permissions
        .range((role, Id::nil())..)
        .take_while(|(r, _)| *r == role)
        .map(|&(_, p)| p)
        .collect()
}

/// The permissions granted directly to a principal.
pub(crate) fn granted(state: &State, principal: Principal) -> Vec<Id> {
    state
        .grants
        .range((principal, Id::nil())..)
        .take_while(|(pr, _)| *pr == principal)
        .map(|&(_, p)| p)
        .collect()
}

/// What every member of a team reaches through the team itself, everywhere: the team's
/// direct grants and its roles' permissions (not the membership roles).
pub(crate) fn team_perms(state: &State, team: Id) -> Vec<Id> {
    let mut out = granted(state, Principal::Team(team));
    for &(_, role) in state
        .team_roles
        .range((team, Id::nil())..)
        .take_while(|(t, _)| *t == team)
    {
        out.extend(role_perms(state, role));
    }
    out
}

/// The teams a user is in, with the role held inside each.
pub(crate) fn teams_of(state: &State, user: Id) -> Vec<(Id, Option<Id>)> {
    state
        .members
        .iter()
        .filter(|((_, u), _)| *u == user)
        .map(|(&(t, _), &r)| (t, r))
        .collect()
}

/// Every permission a user reaches, with where it applies (duplicates removed).
pub(crate) fn user_reach(state: &State, user: Id) -> Vec<(Id, Scope)> {
    user_reach_in(state, user, &teams_of(state, user))
}

/// [`user_reach`] with the user's teams (and the roles held inside them) already known.
pub(crate) fn user_reach_in(
    state: &State,
    user: Id,
    teams: &[(Id, Option<Id>)],
) -> Vec<(Id, Scope)> {
    let mut out: Vec<(Id, Scope)> = granted(state, Principal::User(user))
        .into_iter()
        .map(|p| (p, Scope::Any))
        .collect();
    for &(_, role) in state
        .user_roles
        .range((user, Id::nil())..)
        .take_while(|(u, _)| *u == user)
    {
        out.extend(role_perms(state, role).into_iter().map(|p| (p, Scope::Any)));
    }
    for &(team, role) in teams {
        out.extend(team_perms(state, team).into_iter().map(|p| (p, Scope::Any)));
        if let Some(role) = role {
            let scope = member_scope(state, team);
            out.extend(role_perms(state, role).into_iter().map(|p| (p, scope)));
        }
    }
    out.sort();
    out.dedup();
    out
}
