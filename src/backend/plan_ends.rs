//! The ends of a plan's relations: a document's ends are checked (in the future, on a role
//! the entry holds, the same each time a relation is listed), and each relation the store
//! lacks or holds differently becomes its `+` or `~` item: a new relation with an end is a
//! `Link` then an `Expire`, an end that moves (or a membership's role) a `~`.

use super::items::shown_end;
use super::{Desired, EndChange, FieldChange, Op, Planner, opt};
use crate::backend::error::{Error, Result};
use crate::model::{ObjectKind, to_micros};
use crate::policy::{Change, Link};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A document's end, refused when it is not after `now` (an end already past would make the
/// relation permanent if dropped, and gives nothing if kept), in whole microseconds as the
/// stores keep it (else a document with nanoseconds would plan a `~` for ever). Import reads
/// ends alike.
pub(crate) fn future_end(
    field: &str,
    t: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<OffsetDateTime> {
    if t <= now {
        return Err(Error::invalid(
            field,
            format!(
                "{} is not in the future; give a later end, or leave the relation out",
                shown_end(Some(t))
            ),
        ));
    }
    Ok(to_micros(t))
}

/// Refuses an end on a role the entry does not hold (`users[0].role_ends.admin`).
pub(crate) fn check_role_ends(
    entry: &str,
    roles: &[String],
    ends: &BTreeMap<String, OffsetDateTime>,
) -> Result<()> {
    match ends.keys().find(|r| !roles.contains(r)) {
        Some(r) => Err(Error::invalid(
            format!("{entry}.role_ends.{r}"),
            format!("role '{r}' has an end but is not in {entry}.roles"),
        )),
        None => Ok(()),
    }
}

impl Planner<'_> {
    /// [`future_end`] at the plan's instant.
    pub(super) fn future(&self, field: &str, t: OffsetDateTime) -> Result<OffsetDateTime> {
        future_end(field, t, self.t)
    }

    /// Records the end the document gives `link` (`first`: the first time it is listed; a
    /// later listing must give the same end).
    pub(super) fn want_end(
        d: &mut Desired,
        field: &str,
        link: Link,
        end: Option<OffsetDateTime>,
        first: bool,
    ) -> Result<()> {
        if first {
            if let Some(t) = end {
                d.ends.insert(link.key(), t);
            }
            return Ok(());
        }
        if d.ends.get(&link.key()).copied() != end {
            return Err(Error::invalid(
                field,
                "the same relation is listed twice with different ends",
            ));
        }
        Ok(())
    }

    fn follow(&mut self, c: Change) {
        self.out.links.push((c, None));
    }

    /// `+` for a relation the store lacks (with its end); `~` for one whose end moves.
    fn link_and_end(&mut self, link: Link, end: Option<OffsetDateTime>) {
        let exists = self.state.link_exists(&link);
        let old = self.state.expiries.get(&link);
        if exists && old == end {
            return;
        }
        let op = if exists { Op::Update } else { Op::Create };
        let mut item = Self::item(op, link.kind(), self.link_name(&link), vec![]);
        if end.is_some() || exists {
            item.ends = Some(EndChange { old, new: end });
        }
        if exists {
            self.push(
                |o| &mut o.links,
                Change::Expire {
                    link,
                    expires_at: end,
                },
                item,
            );
            return;
        }
        self.push(|o| &mut o.links, Change::Link(link), item);
        if end.is_some() {
            self.follow(Change::Expire {
                link,
                expires_at: end,
            });
        }
    }

    /// `+` for each link the store lacks; `~` for a membership whose role differs and for a
    /// relation whose end differs.
    pub(super) fn links(&mut self, d: &Desired) {
        for &link in &d.links {
            let end = d.ends.get(&link).copied();
            self.link_and_end(link, end);
        }
        for (&(team, user), &role) in &d.members {
            let link = Link::Member { team, user, role };
            let end = d.ends.get(&link.key()).copied();
            let Some(&old_role) = self.state.members.get(&(team, user)) else {
                self.link_and_end(link, end);
                continue;
            };
            if old_role == role {
                self.link_and_end(link, end);
                continue;
            }
            let fields = vec![FieldChange {
                field: "role".into(),
                old: opt(old_role.map(|r| self.role_name(r)).as_deref()),
                new: opt(role.map(|r| self.role_name(r)).as_deref()),
            }];
            let mut item = Self::item(
                Op::Update,
                ObjectKind::TeamMember,
                self.link_name(&link),
                fields,
            );
            let old_end = self.state.expiries.get(&link);
            if old_end != end {
                item.ends = Some(EndChange {
                    old: old_end,
                    new: end,
                });
            }
            self.push(|o| &mut o.links, Change::Link(link), item);
            if old_end != end {
                self.follow(Change::Expire {
                    link,
                    expires_at: end,
                });
            }
        }
    }
}
