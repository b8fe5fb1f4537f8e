//! How both stores' readers tag a link that ends (the PostgreSQL load's `ENDS` query and the
//! SQLite load cache): one tag and two ids per link.

use crate::model::{Id, Principal};
use crate::policy::Link;

/// A link's end as both stores' readers tag it: 0 a user's role, 1 a team's role, 2 a
/// membership (its role left out), 3 a user's grant, 4 a team's grant, 5 a role's permission
/// (never stored with an end, but a state may hold one) — with its two ids.
pub(crate) fn end_tag(link: &Link) -> (u8, Id, Id) {
    match *link {
        Link::UserRole { user, role } => (0, user, role),
        Link::TeamRole { team, role } => (1, team, role),
        Link::Member { team, user, .. } => (2, team, user),
        Link::Grant {
            principal: Principal::User(u),
            permission,
        } => (3, u, permission),
        Link::Grant {
            principal: Principal::Team(t),
            permission,
        } => (4, t, permission),
        Link::RolePermission { role, permission } => (5, role, permission),
    }
}

/// The link of an [`end_tag`]; `None` for an unknown tag.
pub(crate) fn tagged_link(tag: i64, a: Id, b: Id) -> Option<Link> {
    Some(match tag {
        0 => Link::UserRole { user: a, role: b },
        1 => Link::TeamRole { team: a, role: b },
        2 => Link::Member {
            team: a,
            user: b,
            role: None,
        },
        3 => Link::Grant {
            principal: Principal::User(a),
            permission: b,
        },
        4 => Link::Grant {
            principal: Principal::Team(a),
            permission: b,
        },
        5 => Link::RolePermission {
            role: a,
            permission: b,
        },
        _ => return None,
    })
}
