//! `gatehouse apply` on a Mage server: a plan's changes step by step through the backend's
//! own writes (Mage has no transaction). A plan creates objects under fresh ids Mage does not
//! know: each is mapped to the id Mage gives the created object before a later step uses it.
//! The first error stops the run, and says how many steps were applied and which one failed.

use super::{MageBackend, unsupported};
use crate::backend::{Backend, Error, PermissionSpec, Result, RoleSpec, UserSpec};
use crate::model::{Id, ObjectKind, Revision};
use crate::policy::{Change, Link, Object};
use std::collections::HashMap;

/// Refuses up front what Mage cannot take: teams, memberships, direct grants, API keys, and
/// new users (Mage needs a password a document does not carry).
fn refuse(c: &Change) -> Result<()> {
    let kind = match c {
        Change::Create(Object::User(u)) => {
            return Err(Error::invalid(
                "users",
                format!(
                    "user '{}' would be created, and a Mage user needs a password a document \
                     does not carry; create new users with `import --user-password-env VAR` first",
                    u.username
                ),
            ));
        }
        Change::Create(o) | Change::Update { object: o, .. } => o.kind(),
        Change::Delete { kind, .. } => *kind,
        Change::Link(l) | Change::Unlink(l) => match l {
            Link::RolePermission { .. } | Link::UserRole { .. } => return Ok(()),
            Link::TeamRole { .. } | Link::Member { .. } => ObjectKind::Team,
            Link::Grant { .. } => return Err(unsupported("direct grants")),
        },
        Change::Expire { .. } | Change::Expired(_) => {
            return Err(unsupported("relations that end (expires_at)"));
        }
    };
    match kind {
        ObjectKind::User | ObjectKind::Role | ObjectKind::Permission => Ok(()),
        ObjectKind::Team => Err(unsupported("teams")),
        other => Err(unsupported(&format!("{other} objects"))),
    }
}

/// A step in words, for the error: `+ role editor`, `- permission <id>`.
fn describe(c: &Change) -> String {
    let named = |o: &Object| match o {
        Object::User(u) => format!("user {}", u.username),
        Object::Role(r) => format!("role {}", r.name),
        Object::Permission(p) => format!("permission {}:{} ({})", p.catalog, p.entity, p.id),
        Object::Team(t) => format!("team {}", t.key),
        Object::ApiKey(k) => format!("api key {}", k.id),
    };
    match c {
        Change::Create(o) => format!("+ {}", named(o)),
        Change::Update { object, .. } => format!("~ {}", named(object)),
        Change::Delete { kind, id, .. } => format!("- {kind} {id}"),
        Change::Link(l) => format!("+ {} {}", l.kind(), link_ids(l)),
        Change::Unlink(l) => format!("- {} {}", l.kind(), link_ids(l)),
        Change::Expire { link, .. } => format!("~ {} {} (end)", link.kind(), link_ids(link)),
        Change::Expired(l) => format!("- {} {} (ended)", l.kind(), link_ids(l)),
    }
}

fn link_ids(l: &Link) -> String {
    match l {
        Link::RolePermission { role, permission } => format!("{role} → {permission}"),
        Link::UserRole { user, role } => format!("{user} → {role}"),
        other => format!("{other:?}"),
    }
}

/// `e` with where the run stopped in its words, its kind kept.
fn stopped(e: Error, applied: usize, total: usize, step: &str) -> Error {
    let at = format!("applied {applied} of {total} changes; stopped at: {step}");
    match e {
        Error::Invalid { field, message } => Error::invalid(field, format!("{at}: {message}")),
        Error::NotFound { kind, name, hint } => Error::NotFound {
            kind,
            name,
            hint: format!("{hint} ({at})"),
        },
        Error::Conflict(m) => Error::Conflict(format!("{at}: {m}")),
        Error::Stale {
            message,
            current_version,
        } => Error::Stale {
            message: format!("{at}: {message}"),
            current_version,
        },
        Error::Forbidden(m) => Error::Forbidden(format!("{at}: {m}")),
        Error::Unsupported { what, backend, why } => Error::Unsupported {
            what,
            backend,
            why: format!("{why}; {at}"),
        },
        Error::Unreachable(m) => Error::Unreachable(format!("{at}: {m}")),
        Error::Store(m) => Error::Store(format!("{at}: {m}")),
        // Said of a store file, never of a Mage call: kept as it is.
        e @ Error::NoStore { .. } => e,
    }
}

impl MageBackend {
    /// [`Backend::apply_changes`] on Mage: step by step, stopping at the first error.
    pub(super) async fn apply_steps(
        &self,
        changes: Vec<Change>,
        base: Option<Revision>,
    ) -> Result<Revision> {
        self.writable()?;
        for c in &changes {
            refuse(c)?;
        }
        if let Some(base) = base {
            let now = self.refresh().await?.0.revision;
            if now != base {
                return Err(Error::Stale {
                    message: format!(
                        "the Mage server changed since the plan (read at revision {base}, now \
                         {now}); nothing was written: plan again, or apply with --force"
                    ),
                    current_version: None,
                });
            }
        }
        let total = changes.len();
        let mut ids: HashMap<Id, Id> = HashMap::new();
        for (i, c) in changes.iter().enumerate() {
            if let Err(e) = self.step(c, &mut ids).await {
                return Err(stopped(e, i, total, &describe(c)));
            }
        }
        Ok(self.state().await?.revision)
    }

    /// One change, its ids mapped to Mage's.
    async fn step(&self, c: &Change, ids: &mut HashMap<Id, Id>) -> Result<()> {
        let id = |x: &Id| ids.get(x).copied().unwrap_or(*x);
        match c {
            Change::Create(Object::Role(r)) => {
                let made = self.create_role(RoleSpec::of(r)).await?;
                ids.insert(r.id, made.id);
            }
            Change::Create(Object::Permission(p)) => {
                let made = self.create_permission(PermissionSpec::of(p)).await?;
                ids.insert(p.id, made.id);
            }
            Change::Update {
                object,
                expected_version: v,
            } => match object {
                Object::Role(r) => drop(self.update_role(id(&r.id), RoleSpec::of(r), *v).await?),
                Object::Permission(p) => {
                    let spec = PermissionSpec::of(p);
                    drop(self.update_permission(id(&p.id), spec, *v).await?)
                }
                Object::User(u) => drop(self.update_user(id(&u.id), UserSpec::of(u), *v).await?),
                _ => return Err(unsupported("teams")),
            },
            Change::Delete {
                kind,
                id: x,
                cascade,
                ..
            } => {
                let x = id(x);
                match kind {
                    ObjectKind::Role => self.delete_role(x, *cascade).await?,
                    ObjectKind::Permission => self.delete_permission(x, *cascade).await?,
                    ObjectKind::User => self.delete_user(x, *cascade).await?,
                    _ => return Err(unsupported("teams")),
                };
            }
            Change::Link(l) | Change::Unlink(l) => {
                let l = match *l {
                    Link::RolePermission { role, permission } => Link::RolePermission {
                        role: id(&role),
                        permission: id(&permission),
                    },
                    Link::UserRole { user, role } => Link::UserRole {
                        user: id(&user),
                        role: id(&role),
                    },
                    _ => return Err(unsupported("teams")),
                };
                if matches!(c, Change::Link(_)) {
                    self.link(l).await?;
                } else {
                    self.unlink(l).await?;
                }
            }
            Change::Create(_) => return Err(unsupported("teams")),
            Change::Expire { .. } | Change::Expired(_) => {
                return Err(unsupported("relations that end (expires_at)"));
            }
        }
        Ok(())
    }
}
