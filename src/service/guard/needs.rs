//! The rights a list of changes needs the actor to hold, change by change, worked out against
//! the state before it (see the module above for the rules).

use super::reach::{Scope, member_scope, role_perms, team_perms, user_reach, user_reach_in};
use super::region::Side;
use crate::backend::{Error, Result};
use crate::catalog::{Catalogs, ConditionMeaning};
use crate::model::{ADMIN_TEAM, Id, ObjectKind, Permission, User};
use crate::policy::{Change, Link, Object, State};
use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap};
use time::OffsetDateTime;

/// Each user's teams, with the role held inside each.
type TeamsByUser = HashMap<Id, Vec<(Id, Option<Id>)>>;

/// Why a right is needed: what the refusal says the actor tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Why {
    /// Creating, changing or granting a permission, role, membership or default role.
    Grant,
    /// Removing something that carries a deny.
    LiftDeny,
    /// Changing or deleting a role (its name, description, or the role itself).
    Role(String),
    /// Changing or deleting a permission.
    Permission,
    /// Deleting a team.
    Team(String),
    /// Acting on another user.
    User(String),
}

/// One permission whose granted (or denied) rights the actor must hold.
pub(super) struct Need {
    pub(super) perm: Permission,
    pub(super) side: Side,
    pub(super) scope: Scope,
    /// The admin entity whose `escalate` lifts this need (`None`: nothing lifts it).
    pub(super) lift: Option<&'static str>,
    pub(super) why: Why,
    /// Until when the actor must hold it (`over_time`): a grant until just before the access
    /// given ends, a deny lifted for good.
    pub(super) until: OffsetDateTime,
}

/// The needs of one list of changes, worked out against the state before it.
pub(super) struct Needs<'a> {
    state: &'a State,
    actor: &'a User,
    /// Permissions created by the same list (not in the state yet).
    created: HashMap<Id, &'a Permission>,
    /// Teams created by the same list.
    new_teams: HashMap<Id, bool>,
    /// Links the same list removes.
    unlinked: BTreeSet<Link>,
    pub(super) list: Vec<Need>,
    catalogs: &'a Catalogs,
    /// (permission, grants?, scope, lift) already pushed by id → its place in `list`.
    pushed: HashMap<(Id, bool, Scope, Option<&'static str>), usize>,
    /// user → teams, built when first needed.
    teams: OnceCell<TeamsByUser>,
    /// Until when the change being added gives what it gives (set before each `add`).
    pub(super) until: OffsetDateTime,
}

impl<'a> Needs<'a> {
    pub(super) fn new(
        state: &'a State,
        catalogs: &'a Catalogs,
        actor: &'a User,
        changes: &'a [Change],
    ) -> Needs<'a> {
        let mut created = HashMap::new();
        let mut new_teams = HashMap::new();
        let mut unlinked = BTreeSet::new();
        for c in changes {
            match c {
                Change::Create(Object::Permission(p)) => {
                    created.insert(p.id, p);
                }
                Change::Create(Object::Team(t)) => {
                    new_teams.insert(t.id, t.key == ADMIN_TEAM);
                }
                Change::Unlink(l) | Change::Expired(l) => {
                    unlinked.insert(*l);
                    unlinked.insert(l.key());
                }
                _ => {}
            }
        }
        Needs {
            state,
            actor,
            created,
            new_teams,
            unlinked,
            list: Vec::new(),
            catalogs,
            pushed: HashMap::new(),
            teams: OnceCell::new(),
            until: super::over_time::FOR_GOOD,
        }
    }

    fn perm(&self, id: Id) -> Option<Permission> {
        match self.created.get(&id) {
            Some(p) => Some(Permission::clone(p)),
            None => self.state.permissions.get(&id),
        }
    }

    fn push(&mut self, id: Id, side: Side, scope: Scope, lift: Option<&'static str>, why: &Why) {
        // A deny lifted stays lifted: held for good whatever the change's end.
        let until = match side {
            Side::Grants => self.until,
            Side::Denies => super::over_time::FOR_GOOD,
        };
        // The same permission, side and scope once (a team of 50k members would otherwise
        // push its role's permissions once per member), held until the latest it is needed.
        let key = (id, side == Side::Grants, scope, lift);
        if let Some(&i) = self.pushed.get(&key) {
            if let Some(n) = self.list.get_mut(i) {
                n.until = n.until.max(until);
            }
            return;
        }
        if let Some(perm) = self.perm(id) {
            self.pushed.insert(key, self.list.len());
            self.list.push(Need {
                perm,
                side,
                scope,
                lift,
                why: why.clone(),
                until,
            });
        }
    }

    fn push_all(
        &mut self,
        ids: Vec<Id>,
        side: Side,
        scope: Scope,
        lift: Option<&'static str>,
        why: &Why,
    ) {
        for id in ids {
            self.push(id, side, scope, lift, why);
        }
    }

    /// Where the role held inside `team` applies (a team made by the same list included).
    fn member_scope(&self, team: Id) -> Scope {
        match self.new_teams.get(&team) {
            Some(true) => Scope::Any,
            Some(false) => Scope::Team(team),
            None => member_scope(self.state, team),
        }
    }

    /// The user's permissions that carry conditions (a membership moves where they apply).
    fn conditional(&self, user: Id) -> Vec<Id> {
        let teams = self.teams_of(user);
        user_reach_in(self.state, user, &teams)
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| {
                self.state.permissions.view(p).is_some_and(|v| {
                    v.conditions().iter().any(|c| {
                        c == "team"
                            || self
                                .catalogs
                                .get(v.catalog())
                                .and_then(|cat| cat.condition(c))
                                .is_some_and(|d| d.means == ConditionMeaning::Team)
                    })
                })
            })
            .collect()
    }

    /// The teams a user is in (memberships read once for the whole list of changes).
    fn teams_of(&self, user: Id) -> Vec<(Id, Option<Id>)> {
        let map = self.teams.get_or_init(|| {
            let mut m = TeamsByUser::new();
            for (&(t, u), &r) in &self.state.members {
                m.entry(u).or_default().push((t, r));
            }
            m
        });
        map.get(&user).cloned().unwrap_or_default()
    }

    /// True when a role or principal holds the permission after the links this list removes.
    fn held(&self, id: Id) -> bool {
        self.state
            .links_to(ObjectKind::Permission, id)
            .iter()
            .any(|l| !self.unlinked.contains(l))
    }

    /// Acting on `target`: the actor must hold every right the target holds; only an owner
    /// acts on an owner.
    fn on_user(&mut self, target: Id, what: &str) -> Result<()> {
        if target == self.actor.id {
            return Ok(());
        }
        let Some(u) = self.state.users.get(&target) else {
            return Ok(());
        };
        if u.owner {
            return Err(Error::Forbidden(format!(
                "{} may not {what} '{}': only an owner may act on an owner",
                self.actor.username, u.username
            )));
        }
        let why = Why::User(u.username.clone());
        for (p, scope) in user_reach(self.state, target) {
            self.push(p, Side::Grants, scope, None, &why);
        }
        Ok(())
    }

    pub(super) fn add(&mut self, change: &Change) -> Result<()> {
        let s = self.state;
        match change {
            Change::Create(Object::Permission(p)) => {
                self.list.push(Need {
                    perm: p.clone(),
                    side: Side::Grants,
                    scope: Scope::Any,
                    lift: Some("Permission"),
                    why: Why::Grant,
                    until: super::over_time::FOR_GOOD,
                });
            }
            Change::Update {
                object: Object::Permission(p),
                ..
            } => {
                self.list.push(Need {
                    perm: p.clone(),
                    side: Side::Grants,
                    scope: Scope::Any,
                    lift: Some("Permission"),
                    why: Why::Grant,
                    until: super::over_time::FOR_GOOD,
                });
                let lift = Some("Permission");
                if self.held(p.id) {
                    self.push(p.id, Side::Grants, Scope::Any, lift, &Why::Permission);
                }
                self.push(p.id, Side::Denies, Scope::Any, lift, &Why::LiftDeny);
            }
            Change::Delete {
                kind: ObjectKind::Permission,
                id,
                ..
            } => {
                let lift = Some("Permission");
                if self.held(*id) {
                    self.push(*id, Side::Grants, Scope::Any, lift, &Why::Permission);
                }
                self.push(*id, Side::Denies, Scope::Any, lift, &Why::LiftDeny);
            }
            Change::Update {
                object: Object::Role(r),
                ..
            } => {
                let why = Why::Role(s.roles.get(&r.id).map_or(&r.name, |o| &o.name).clone());
                let perms = role_perms(s, r.id);
                self.push_all(perms, Side::Grants, Scope::Any, Some("Role"), &why);
            }
            Change::Delete {
                kind: ObjectKind::Role,
                id,
                ..
            } => {
                let why = Why::Role(s.roles.get(id).map(|r| r.name.clone()).unwrap_or_default());
                let perms = role_perms(s, *id);
                self.push_all(perms.clone(), Side::Grants, Scope::Any, Some("Role"), &why);
                self.push_all(
                    perms,
                    Side::Denies,
                    Scope::Any,
                    Some("Role"),
                    &Why::LiftDeny,
                );
            }
            // A team made with, or given, a default role (a new team has none before).
            Change::Create(Object::Team(t))
            | Change::Update {
                object: Object::Team(t),
                ..
            } => {
                let old = s.teams.get(&t.id).and_then(|o| o.default_role);
                if let Some(r) = t.default_role
                    && Some(r) != old
                {
                    let scope = self.member_scope(t.id);
                    let perms = role_perms(s, r);
                    self.push_all(perms, Side::Grants, scope, Some("Team"), &Why::Grant);
                }
            }
            Change::Delete {
                kind: ObjectKind::Team,
                id,
                ..
            } => self.delete_team(*id),
            Change::Create(Object::User(u)) => {
                if u.owner {
                    return Err(self.only_owner("create an owner"));
                }
            }
            Change::Update {
                object: Object::User(u),
                ..
            } => {
                if u.owner && !s.users.get(&u.id).is_some_and(|o| o.owner) {
                    return Err(self.only_owner("grant the owner flag"));
                }
                self.on_user(u.id, "change")?;
            }
            Change::Delete {
                kind: ObjectKind::User,
                id,
                ..
            } => self.on_user(*id, "delete")?,
            Change::Create(Object::ApiKey(k)) => self.on_user(k.user_id, "create a key for")?,
            Change::Update {
                object: Object::ApiKey(k),
                ..
            } => self.on_user(k.user_id, "change a key of")?,
            Change::Delete {
                kind: ObjectKind::ApiKey,
                id,
                ..
            } => {
                if let Some(k) = s.keys.get(id) {
                    self.on_user(k.user_id, "delete a key of")?;
                }
            }
            Change::Link(l) => self.link(l, Side::Grants),
            // The cleanup removing a relation already ended changes no decision.
            Change::Expired(l) if s.expiries.ended(l, crate::model::now()) => {}
            Change::Unlink(l) | Change::Expired(l) => self.link(l, Side::Denies),
            // A later end (or none) hands the relation's access on for longer: as adding it.
            // An earlier one lifts its denies sooner: as removing it.
            // A relation given by this list: its `Link` is weighed (until this end).
            Change::Expire { link, .. } if !s.link_exists(link) || self.removed(link) => {}
            Change::Expire { link, expires_at } => {
                let stored = match *link {
                    Link::Member { team, user, .. } => Link::Member {
                        team,
                        user,
                        role: s.members.get(&(team, user)).copied().flatten(),
                    },
                    other => other,
                };
                let now = s.expiries.get(link);
                let longer = match (now, expires_at) {
                    (_, None) => now.is_some(),
                    (None, Some(_)) => false,
                    (Some(a), Some(b)) => b > &a,
                };
                match (longer, stored) {
                    // A membership lasting longer gives all it gives again, as a new one.
                    (true, Link::Member { team, user, role }) => {
                        self.member_given(team, user, role)
                    }
                    (true, l) => self.link(&l, Side::Grants),
                    (false, l) => self.link(&l, Side::Denies),
                }
            }
            Change::Create(Object::Role(_)) | Change::Delete { .. } => {}
        }
        Ok(())
    }

    /// A link added (`Grants`: what it conveys) or removed (`Denies`: what its denies lift).
    fn link(&mut self, l: &Link, side: Side) {
        let s = self.state;
        let why = match side {
            Side::Grants => Why::Grant,
            Side::Denies => Why::LiftDeny,
        };
        match *l {
            Link::RolePermission { permission, .. } => {
                self.push(permission, side, Scope::Any, Some("RolePermission"), &why);
            }
            Link::Grant { permission, .. } => {
                self.push(permission, side, Scope::Any, Some("Permission"), &why);
            }
            Link::UserRole { role, .. } => {
                self.push_all(
                    role_perms(s, role),
                    side,
                    Scope::Any,
                    Some("UserRole"),
                    &why,
                );
            }
            Link::TeamRole { role, .. } => {
                let perms = role_perms(s, role);
                self.push_all(perms, side, Scope::Any, Some("TeamMember"), &why);
            }
            Link::Member { team, user, role } => self.member(team, user, role, side),
        }
    }

    /// A membership added, re-roled or removed.
    fn member(&mut self, team: Id, user: Id, role: Option<Id>, side: Side) {
        let s = self.state;
        let lift = Some("TeamMember");
        let scope = self.member_scope(team);
        let key = Link::Member {
            team,
            user,
            role: None,
        };
        // A membership this list removes first is added anew, not changed.
        let old = s.members.get(&(team, user)).filter(|_| !self.removed(&key));
        match side {
            Side::Grants => {
                if old.is_none() {
                    let why = Why::Grant;
                    self.push_all(team_perms(s, team), Side::Grants, Scope::Any, lift, &why);
                    let cond = self.conditional(user);
                    self.push_all(cond, Side::Grants, scope, lift, &why);
                }
                let old_role = old.copied().flatten();
                if role != old_role {
                    if let Some(r) = role {
                        self.push_all(role_perms(s, r), Side::Grants, scope, lift, &Why::Grant);
                    }
                    if let Some(r) = old_role {
                        self.push_all(role_perms(s, r), Side::Denies, scope, lift, &Why::LiftDeny);
                    }
                }
            }
            Side::Denies => {
                let Some(&old_role) = old else { return };
                let why = Why::LiftDeny;
                self.push_all(team_perms(s, team), Side::Denies, Scope::Any, lift, &why);
                if let Some(r) = old_role {
                    self.push_all(role_perms(s, r), Side::Denies, scope, lift, &why);
                }
                let cond = self.conditional(user);
                self.push_all(cond, Side::Denies, scope, lift, &why);
            }
        }
    }

    /// Whether this list removes `link` (unlinked or expired), whatever a membership's role.
    fn removed(&self, link: &Link) -> bool {
        self.unlinked.contains(&link.key())
    }

    /// Everything a membership gives, as if new: the team's grants and roles, what its
    /// conditions let the user reach, and the role held inside it.
    fn member_given(&mut self, team: Id, user: Id, role: Option<Id>) {
        let s = self.state;
        let lift = Some("TeamMember");
        let scope = self.member_scope(team);
        let why = Why::Grant;
        self.push_all(team_perms(s, team), Side::Grants, Scope::Any, lift, &why);
        let cond = self.conditional(user);
        self.push_all(cond, Side::Grants, scope, lift, &why);
        if let Some(r) = role {
            self.push_all(role_perms(s, r), Side::Grants, scope, lift, &why);
        }
    }

    /// A team deleted: its members lose what it gave them (its denies included).
    fn delete_team(&mut self, team: Id) {
        let s = self.state;
        let lift = Some("Team");
        let name = s
            .teams
            .get(&team)
            .map(|t| t.key.clone())
            .unwrap_or_default();
        let perms = team_perms(s, team);
        self.push_all(perms, Side::Grants, Scope::Any, lift, &Why::Team(name));
        let members: Vec<(Id, Option<Id>)> = s
            .members
            .range((team, Id::nil())..)
            .take_while(|((t, _), _)| *t == team)
            .map(|(&(_, u), &r)| (u, r))
            .collect();
        if members.is_empty() {
            return;
        }
        let perms = team_perms(s, team);
        self.push_all(perms, Side::Denies, Scope::Any, lift, &Why::LiftDeny);
        let scope = self.member_scope(team);
        for (user, role) in members {
            if let Some(r) = role {
                self.push_all(role_perms(s, r), Side::Denies, scope, lift, &Why::LiftDeny);
            }
            let cond = self.conditional(user);
            self.push_all(cond, Side::Denies, scope, lift, &Why::LiftDeny);
        }
    }

    fn only_owner(&self, what: &str) -> Error {
        Error::Forbidden(format!(
            "only an owner may {what} ({} is not one)",
            self.actor.username
        ))
    }
}
