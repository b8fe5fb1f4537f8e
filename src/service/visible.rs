//! What a caller may see of the state: [`Service::visible_state`].

use super::{Access, Actor, Service};
use crate::policy::State;
use std::sync::Arc;

impl Service {
    /// The state as `actor` may see it: kinds the actor may not read are left out (their
    /// relations too); an actor without read on ApiKey still sees their own keys. An actor who
    /// may read everything gets the shared snapshot itself (no copy).
    pub fn visible_state(&self, actor: &Actor) -> Arc<State> {
        let snap = self.snapshot();
        let can = |entity: &str| self.authorize(actor, Access::Read, entity).is_ok();
        let kinds = [
            "Role",
            "Permission",
            "User",
            "Team",
            "RolePermission",
            "UserRole",
            "TeamMember",
            "ApiKey",
        ];
        let allowed: Vec<bool> = kinds.iter().map(|k| can(k)).collect();
        if allowed.iter().all(|&a| a) {
            return snap.state.clone();
        }
        let [
            roles,
            perms,
            users,
            teams,
            role_perms,
            user_roles,
            members,
            keys,
        ] = <[bool; 8]>::try_from(allowed).unwrap_or([false; 8]);
        let mut s = State::clone(&snap.state);
        if !roles {
            s.roles.clear();
        }
        if !perms {
            s.permissions.clear();
        }
        if !users {
            s.users.retain(|id, _| Some(*id) == actor.user);
        }
        if !teams {
            s.teams.clear();
        }
        if !(role_perms && roles && perms) {
            s.role_permissions.clear();
        }
        if !(user_roles && users && roles) {
            s.user_roles.clear();
        }
        if !(user_roles && perms) {
            s.grants.clear();
        }
        if !(members && teams) {
            s.members.clear();
            s.team_roles.clear();
        }
        if !keys {
            s.keys.retain(|_, k| Some(k.user_id) == actor.user);
        }
        // The end of a relation the caller may not see would name it.
        let mut ends = std::mem::take(&mut s.expiries);
        ends.retain(|l| s.link_exists(l));
        s.expiries = ends;
        s.reindex();
        Arc::new(s)
    }
}
