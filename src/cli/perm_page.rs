//! What `permissions ls` and `permissions show` print with `-o json`: a list row with its
//! counts, and a permission's page with the roles and principals holding it.

use super::perm_row::PermRow;
use super::refs::{RoleRef, TeamRef, UserRef};
use serde::Serialize;

#[derive(Serialize)]
pub(super) struct ListRow {
    #[serde(flatten)]
    pub(super) perm: PermRow,
    pub(super) role_count: usize,
    pub(super) direct_holder_count: usize,
    /// Its conditions are ignored (Mage: no DISABLE_UNLESS_CONDITIONS); see
    /// `Catalog::inert_conditions`.
    pub(super) inert_conditions: bool,
}

#[derive(Serialize)]
pub(super) struct Detail {
    #[serde(flatten)]
    pub(super) perm: PermRow,
    pub(super) roles: Vec<RoleRef>,
    pub(super) direct_holders: Vec<Holder>,
    /// The users holding it through a role.
    pub(super) users_through_roles: Vec<ThroughRole>,
    /// As in [`ListRow`].
    pub(super) inert_conditions: bool,
}

/// A principal holding a permission directly: a user or a team (the other is null).
#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Holder {
    pub(super) user: Option<UserRef>,
    pub(super) team: Option<TeamRef>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub(super) expires_at: Option<time::OffsetDateTime>,
}

impl Holder {
    pub(super) fn label(&self) -> String {
        match (&self.user, &self.team) {
            (Some(u), _) => format!("user:{}", u.username),
            (None, Some(t)) => format!("team:{}", t.key),
            (None, None) => String::new(),
        }
    }
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct ThroughRole {
    pub(super) user: UserRef,
    pub(super) role: RoleRef,
}

/// The users holding `permission` through a role, by username then role name; each relation
/// read once.
pub(super) fn through_roles(
    s: &crate::policy::State,
    permission: &crate::model::Id,
) -> Vec<ThroughRole> {
    let roles: std::collections::HashSet<crate::model::Id> = s
        .role_permissions
        .iter()
        .filter(|(_, p)| p == permission)
        .map(|(r, _)| *r)
        .collect();
    let mut out: Vec<ThroughRole> = s
        .user_roles
        .iter()
        .filter(|(_, r)| roles.contains(r))
        .map(|(u, r)| ThroughRole {
            user: UserRef::of(s, u),
            role: RoleRef::of(s, r),
        })
        .collect();
    out.sort_by(|a, b| (&a.user.username, &a.role.name).cmp(&(&b.user.username, &b.role.name)));
    out
}
