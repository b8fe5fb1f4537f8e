//! Relations that end: adding one with an end, moving or clearing the end of one that exists,
//! and the cleanup that removes those whose end has passed (recorded as `expire` events).
//! Correctness never waits for the cleanup: the engine leaves ended relations out of every
//! decision (`Engine::build_at`, and [`Service::snapshot`] rebuilds an index whose window has
//! passed).

use super::links::link_entity;
use super::{Access, Actor, Service};
use crate::backend::{Error, Result};
use crate::model::{Revision, now, to_micros};
use crate::policy::{Change, Link};
use time::OffsetDateTime;

/// The admin entities guarding the relations that can end (see [`link_entity`]): a cleanup
/// needs write on them all.
pub const PRUNED: [&str; 3] = ["UserRole", "TeamMember", "Permission"];

/// Refuses an end that cannot be set: on a relation that cannot carry one, or not after now.
pub(crate) fn check_end(link: &Link, at: Option<OffsetDateTime>) -> Result<()> {
    if !link.may_expire() {
        return Err(Error::invalid(
            "expires_at",
            "a role's permissions cannot end; only a user's or a team's role, a team \
             membership or a direct grant can carry an end",
        ));
    }
    if let Some(t) = at
        && t >= super::guard::FOR_GOOD - time::Duration::days(366)
    {
        return Err(Error::invalid(
            "expires_at",
            "an end that far is no end; give none (--never) for access that lasts",
        ));
    }
    if let Some(t) = at
        && t <= now()
    {
        return Err(Error::invalid(
            "expires_at",
            format!(
                "{} is not in the future; give a later instant (--expires) or a duration (--for 8h)",
                crate::present::instant(t)
            ),
        ));
    }
    Ok(())
}

impl Service {
    /// Adds a relation that ends at `expires_at` (`None`: never), in one commit. A membership
    /// without a role gets the team's default role. Adding a relation that exists is a
    /// conflict, except a membership, whose role is replaced (and whose end is then set when
    /// one is given).
    pub async fn link_until(
        &self,
        actor: &Actor,
        link: Link,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<Revision> {
        self.authorize(actor, Access::Write, link_entity(&link))?;
        // Stores keep whole microseconds: the state must say what they say.
        let expires_at = expires_at.map(to_micros);
        if expires_at.is_some() {
            check_end(&link, expires_at)?;
        }
        let snap = self.snapshot();
        let s = &snap.state;
        let link = s.with_default_role(link);
        let exists = match link {
            // Linking a member again with another role replaces that role.
            Link::Member { team, user, role } => s.members.get(&(team, user)) == Some(&role),
            other => s.link_exists(&other),
        };
        // One past its end gives nothing: it is given anew (removed as ended, then added).
        if s.link_exists(&link) && s.expiries.ended(&link, now()) {
            let stored = match link {
                Link::Member { team, user, .. } => Link::Member {
                    team,
                    user,
                    role: s.members.get(&(team, user)).copied().flatten(),
                },
                other => other,
            };
            // Given anew, as a new membership: without a role, the team's default role.
            let link = match link {
                Link::Member {
                    team,
                    user,
                    role: None,
                } => Link::Member {
                    team,
                    user,
                    role: s.teams.get(&team).and_then(|t| t.default_role),
                },
                other => other,
            };
            let mut changes = vec![Change::Expired(stored), Change::Link(link)];
            if expires_at.is_some() {
                changes.push(Change::Expire { link, expires_at });
            }
            return self.commit(actor, changes).await;
        }
        if exists {
            let hint = if expires_at.is_some() {
                "; to change when it ends, set its end instead (`expire`)"
            } else {
                ""
            };
            return Err(Error::Conflict(format!(
                "that {} link already exists{hint}",
                link.kind()
            )));
        }
        let mut changes = vec![Change::Link(link)];
        if expires_at.is_some() {
            changes.push(Change::Expire { link, expires_at });
        }
        self.commit(actor, changes).await
    }

    /// Sets (or, with `None`, clears) when a relation that exists ends. A later end, or none,
    /// hands its access on for longer and is checked as giving it (the escalation rule).
    pub async fn set_expiry(
        &self,
        actor: &Actor,
        link: Link,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<Revision> {
        self.authorize(actor, Access::Write, link_entity(&link))?;
        let expires_at = expires_at.map(to_micros);
        check_end(&link, expires_at)?;
        let snap = self.snapshot();
        if !snap.state.link_exists(&link) {
            return Err(Error::not_found(
                link.kind().as_str(),
                format!("{} (no such relation)", link.object_id()),
            ));
        }
        if snap.state.expiries.get(&link) == expires_at {
            return Ok(snap.state.revision);
        }
        self.commit(actor, vec![Change::Expire { link, expires_at }])
            .await
    }

    /// The relations whose end is at or before `at`, as the cleanup's changes.
    pub fn ended_by(&self, at: OffsetDateTime) -> Vec<Change> {
        self.snapshot()
            .state
            .expiries
            .ended_by(at)
            .map(|(l, _)| Change::Expired(*l))
            .collect()
    }

    /// Removes every relation whose end has passed, in one commit, each recorded as an
    /// `expire` event; how many it removed. Needs write on the kinds it removes.
    pub async fn prune_expired(&self, actor: &Actor) -> Result<(usize, Revision)> {
        // Asked up front, so whether anything ended does not change the answer.
        for entity in PRUNED {
            self.authorize(actor, Access::Write, entity)?;
        }
        let mut changes = self.ended_by(now());
        if changes.is_empty() {
            return Ok((0, self.snapshot().state.revision));
        }
        // The stored form: a membership with its role, as the audit names it.
        let snap = self.snapshot();
        for c in &mut changes {
            if let Change::Expired(l) = c {
                self.authorize(actor, Access::Write, link_entity(l))?;
                if let Link::Member { team, user, .. } = *l {
                    let role = snap.state.members.get(&(team, user)).copied().flatten();
                    *l = Link::Member { team, user, role };
                }
            }
        }
        let n = changes.len();
        let rev = self.commit(actor, changes).await?;
        Ok((n, rev))
    }
}
