//! When an index holds: the [`Window`] of instants it decides for (relations that end are
//! left out when the index is built for an instant: `Engine::build_at`), and when a path to a
//! permission ends ([`Engine::path_ends`]), for explanations and what-can.

use super::Via;
use super::index::Engine;
use crate::model::{Id, Principal};
use crate::policy::Link;
use time::OffsetDateTime;

/// The instants an index's links hold for: from the latest end at or before the instant it
/// was built for (`None`: since ever) to the earliest end after it (`None`: for ever).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The instant the index was built for.
    pub at: OffsetDateTime,
    /// No link in the index ends before this; a link ended at it is left out.
    pub from: Option<OffsetDateTime>,
    /// The first end of a link in the index: from then on the index says too much.
    pub until: Option<OffsetDateTime>,
}

impl Window {
    /// Whether the index decides as of `t` (its links are exactly those live at `t`).
    pub fn holds_at(&self, t: OffsetDateTime) -> bool {
        self.from.is_none_or(|f| f <= t) && self.until.is_none_or(|u| t < u)
    }
}

impl Engine {
    /// The instants this index decides for (see [`Window`]).
    pub fn window(&self) -> Window {
        self.window
    }

    /// When the path `via` to `permission` ends for `user`: the earliest end of the links it
    /// goes through (the user's role, the membership, the team's role, the direct grant), or
    /// `None` when none of them ends.
    pub fn path_ends(&self, user: Id, via: Via, permission: Id) -> Option<OffsetDateTime> {
        if self.ends.is_empty() {
            return None;
        }
        let member = |team| Link::Member {
            team,
            user,
            role: None,
        };
        let links: [Option<Link>; 2] = match via {
            Via::Direct => [
                Some(Link::Grant {
                    principal: Principal::User(user),
                    permission,
                }),
                None,
            ],
            Via::Role { role } => [Some(Link::UserRole { user, role }), None],
            Via::Team { team } => [
                Some(member(team)),
                Some(Link::Grant {
                    principal: Principal::Team(team),
                    permission,
                }),
            ],
            Via::TeamRole { team, role } => {
                [Some(member(team)), Some(Link::TeamRole { team, role })]
            }
            Via::MemberRole { team, .. } => [Some(member(team)), None],
        };
        links
            .iter()
            .flatten()
            .filter_map(|l| self.ends.get(l))
            .min()
    }
}
