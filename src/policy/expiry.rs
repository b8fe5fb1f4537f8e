//! When relations end: a user's role, a team's role, a team membership or a direct grant may
//! carry an `expires_at`. The store keeps the instant beside the link; the engine treats a link
//! whose instant has passed as absent when it decides (`docs/PRODUCT.md`, "Temporary access"),
//! so nothing has to run at that instant for the answer to be right. A cleanup
//! ([`Change::Expired`](super::Change::Expired)) later removes such links and records it.

use super::change::Link;
use crate::model::ObjectKind;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The end of every relation that has one, keyed by [`Link::key`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expiries {
    map: BTreeMap<Link, OffsetDateTime>,
}

/// One relation's end, as JSON and the load cache carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkExpiry {
    /// The relation ([`Link::key`] form).
    pub link: Link,
    /// When it ends.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl Link {
    /// The relation's identity: a membership is one (team, user) pair whatever its role.
    pub fn key(&self) -> Link {
        match *self {
            Link::Member { team, user, .. } => Link::Member {
                team,
                user,
                role: None,
            },
            other => other,
        }
    }

    /// Whether this kind of relation may carry an end: a user's or a team's role, a
    /// membership, a direct grant (a role's permissions are what the role is, not access
    /// handed to someone).
    pub fn may_expire(&self) -> bool {
        !matches!(self, Link::RolePermission { .. })
    }
}

/// The kinds of relation that may carry an end, for messages.
pub const EXPIRING_KINDS: [ObjectKind; 4] = [
    ObjectKind::UserRole,
    ObjectKind::TeamRole,
    ObjectKind::TeamMember,
    ObjectKind::Grant,
];

impl Expiries {
    /// No relation ends.
    pub fn new() -> Self {
        Self::default()
    }

    /// When `link` ends, if it does.
    pub fn get(&self, link: &Link) -> Option<OffsetDateTime> {
        if self.map.is_empty() {
            return None;
        }
        self.map.get(&link.key()).copied()
    }

    /// Sets or clears (`None`) when `link` ends.
    pub fn set(&mut self, link: &Link, at: Option<OffsetDateTime>) {
        match at {
            Some(t) => {
                self.map.insert(link.key(), t);
            }
            None => {
                self.map.remove(&link.key());
            }
        }
    }

    /// Forgets `link`'s end (the link is gone); the end it had.
    pub fn remove(&mut self, link: &Link) -> Option<OffsetDateTime> {
        if self.map.is_empty() {
            return None;
        }
        self.map.remove(&link.key())
    }

    /// Keeps only the ends of the relations `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&Link) -> bool) {
        self.map.retain(|l, _| keep(l));
    }

    /// How many relations end.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether none does.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Every relation that ends, with its end, in link order.
    pub fn iter(&self) -> impl Iterator<Item = (&Link, OffsetDateTime)> {
        self.map.iter().map(|(l, t)| (l, *t))
    }

    /// The relations whose end is at or before `at`: absent for a decision at `at`.
    pub fn ended_by(&self, at: OffsetDateTime) -> impl Iterator<Item = (&Link, OffsetDateTime)> {
        self.iter().filter(move |&(_, t)| t <= at)
    }

    /// Whether `link` has ended by `at` (a link without an end never does).
    pub fn ended(&self, link: &Link, at: OffsetDateTime) -> bool {
        self.get(link).is_some_and(|t| t <= at)
    }

    /// The earliest end after `at`: until then a decision at any instant from `at` on sees the
    /// same links.
    pub fn next_after(&self, at: OffsetDateTime) -> Option<OffsetDateTime> {
        self.map.values().copied().filter(|&t| t > at).min()
    }
}

impl FromIterator<LinkExpiry> for Expiries {
    fn from_iter<I: IntoIterator<Item = LinkExpiry>>(iter: I) -> Self {
        Expiries {
            map: iter
                .into_iter()
                .map(|e| (e.link.key(), e.expires_at))
                .collect(),
        }
    }
}

impl Serialize for Expiries {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.map.iter().map(|(l, t)| LinkExpiry {
            link: *l,
            expires_at: *t,
        }))
    }
}

impl<'de> Deserialize<'de> for Expiries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: Vec<LinkExpiry> = Vec::deserialize(d)?;
        Ok(v.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::new_id;
    use time::macros::datetime;

    #[test]
    fn a_membership_ends_whatever_its_role_and_the_earliest_end_after_an_instant_is_found() {
        let (t, u, r) = (new_id(), new_id(), new_id());
        let mut e = Expiries::new();
        let noon = datetime!(2026-12-07 12:00 UTC);
        e.set(
            &Link::Member {
                team: t,
                user: u,
                role: Some(r),
            },
            Some(noon),
        );
        let plain = Link::Member {
            team: t,
            user: u,
            role: None,
        };
        assert_eq!(e.get(&plain), Some(noon));
        assert!(e.ended(&plain, noon));
        assert!(!e.ended(&plain, datetime!(2026-12-07 11:59 UTC)));
        let ur = Link::UserRole { user: u, role: r };
        e.set(&ur, Some(datetime!(2026-12-08 00:00 UTC)));
        assert_eq!(
            e.next_after(datetime!(2026-12-07 13:00 UTC)),
            Some(datetime!(2026-12-08 00:00 UTC))
        );
        assert_eq!(e.next_after(datetime!(2026-12-01 0:00 UTC)), Some(noon));
        let json = serde_json::to_string(&e).unwrap();
        let back: Expiries = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        e.set(&plain, None);
        assert_eq!(e.len(), 1);
        assert_eq!(e.remove(&ur), Some(datetime!(2026-12-08 00:00 UTC)));
        assert!(e.is_empty());
    }
}
