//! Adding and removing relations: role ↔ permission, user ↔ role, team ↔ role, team members,
//! direct grants.

use super::{Access, Actor, Service};
use crate::backend::{Error, Result};
use crate::model::Revision;
use crate::policy::{Change, Link};

/// The admin entity that guards a kind of link.
pub(crate) fn link_entity(link: &Link) -> &'static str {
    match link {
        Link::RolePermission { .. } => "RolePermission",
        Link::UserRole { .. } => "UserRole",
        Link::TeamRole { .. } | Link::Member { .. } => "TeamMember",
        Link::Grant { .. } => "Permission",
    }
}

impl Service {
    /// Adds a relation. A membership without a role gets the team's default role. Adding a
    /// relation that exists is a conflict, except a membership, whose role is replaced.
    pub async fn link(&self, actor: &Actor, link: Link) -> Result<Revision> {
        self.authorize(actor, Access::Write, link_entity(&link))?;
        let snap = self.snapshot();
        let s = &snap.state;
        let link = s.with_default_role(link);
        let exists = match link {
            // Linking a member again with another role replaces that role.
            Link::Member { team, user, role } => s.members.get(&(team, user)) == Some(&role),
            other => s.link_exists(&other),
        };
        if exists {
            return Err(Error::Conflict(format!(
                "that {} link already exists",
                link.kind()
            )));
        }
        self.commit(actor, vec![Change::Link(link)]).await
    }

    /// Removes a relation that exists.
    pub async fn unlink(&self, actor: &Actor, link: Link) -> Result<Revision> {
        self.authorize(actor, Access::Write, link_entity(&link))?;
        self.commit(actor, vec![Change::Unlink(link)]).await
    }
}
