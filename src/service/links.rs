//! Adding and removing relations: role ↔ permission, user ↔ role, team ↔ role, team members,
//! direct grants.

use super::{Access, Actor, Service};
use crate::backend::Result;
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
    /// Adds a relation that never ends ([`Service::link_until`]).
    pub async fn link(&self, actor: &Actor, link: Link) -> Result<Revision> {
        self.link_until(actor, link, None).await
    }

    /// Removes a relation that exists.
    pub async fn unlink(&self, actor: &Actor, link: Link) -> Result<Revision> {
        self.authorize(actor, Access::Write, link_entity(&link))?;
        self.commit(actor, vec![Change::Unlink(link)]).await
    }
}
