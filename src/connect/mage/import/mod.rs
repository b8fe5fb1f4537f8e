//! `import FILE` into a Mage server: a [`PolicyDoc`]'s roles, permissions, users and links
//! written through Mage's REST API ([`plan`] says what; `docs/MAGE.md` §5.5).
//!
//! The write reads the server, plans, creates the missing roles, then the missing permissions
//! (two requests in flight: Mage serves one at a time), then the missing users with the
//! initial password given; reads the server again and plans again, which finds every object
//! just made, and adds the missing links: one `PUT /api/roles/:id` per role with the role's
//! current permissions and users sent back with the new ones (0.9.80 replaces both sets with
//! what the body holds), one `PUT /api/users/:id` per user likewise. An interrupted import
//! leaves what it wrote; the next one continues from there, and one after a complete import
//! writes nothing. The dry run plans and writes nothing.

pub mod plan;
#[cfg(test)]
mod tests;

use super::MageBackend;
use super::client::MageClient;
use super::wire::{MageKind, mage_id};
use super::writes;
use crate::backend::{
    Error, ImportOptions, ImportReport, PermissionSpec, PolicyDoc, Result, RoleSpec,
};
use crate::catalog::Catalog;
use crate::model::Id;
use futures_util::stream::{self, TryStreamExt};
use plan::{Plan, Ref};
use reqwest::Method;
use serde_json::json;

/// Requests in flight while creating permissions and adding links.
const CONCURRENCY: usize = 2;

fn int(kind: MageKind, id: &Id) -> Result<i64> {
    mage_id(kind, id).ok_or_else(|| Error::Store(format!("{id} is not an id read from Mage")))
}

impl MageBackend {
    /// Imports `doc` (or, with `dry_run`, plans it and writes nothing).
    pub(super) async fn import_doc(
        &self,
        doc: PolicyDoc,
        dry_run: bool,
        options: ImportOptions,
    ) -> Result<ImportReport> {
        if !dry_run {
            self.writable()?;
        }
        let before = self.refresh().await?.0;
        let password = options.user_password.as_ref();
        let first = plan::plan(&doc, &before, self.mage(), password)?;
        if dry_run || first.is_empty() {
            let mut r = first.report;
            r.dry_run = dry_run;
            r.revision = before.revision;
            return Ok(r);
        }
        let written = self.write_plan(&doc, first, &options).await;
        let revision = self.invalidate();
        let mut r = written?;
        r.revision = revision;
        Ok(r)
    }

    async fn write_plan(
        &self,
        doc: &PolicyDoc,
        first: Plan,
        options: &ImportOptions,
    ) -> Result<ImportReport> {
        let c = &self.client;
        let mage = self.mage();
        for name in &first.roles {
            let spec = RoleSpec {
                name: name.clone(),
                ..RoleSpec::default()
            };
            match writes::create_role(c, spec).await {
                // Made meanwhile by someone else: the second plan finds it.
                Ok(_) | Err(Error::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        create_permissions(c, mage, &first.permissions).await?;
        for spec in &first.users {
            let mut spec = spec.clone();
            spec.password = options.user_password.clone();
            writes::create_user(c, spec).await?;
        }
        let (after, _) = self.fetch().await?;
        let second = plan::plan(doc, &after, mage, options.user_password.as_ref())?;
        if second.creates_objects() {
            return Err(Error::Store(format!(
                "after creating them, the Mage server does not show {} role(s), {} \
                 permission(s) and {} user(s) of the document as written; nothing else was \
                 changed — run the import again to see what differs",
                second.roles.len(),
                second.permissions.len(),
                second.users.len()
            )));
        }
        add_links(c, &second).await?;
        let mut r = first.report;
        r.links = second.report.links;
        Ok(r)
    }
}

async fn create_permissions(
    c: &MageClient,
    mage: &Catalog,
    specs: &[PermissionSpec],
) -> Result<()> {
    stream::iter(specs.iter().cloned().map(Ok::<PermissionSpec, Error>))
        .map_ok(|spec| async move { writes::create_permission(c, mage, spec).await.map(|_| ()) })
        .try_buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await
        .map(|_| ())
}

/// The id of a ref that names an object on the server.
fn held(kind: MageKind, r: &Ref) -> Result<Id> {
    match r {
        Ref::Have(id) => Ok(*id),
        Ref::New(_) => Err(Error::Store(format!(
            "a {} of the import is missing on the Mage server",
            match kind {
                MageKind::User => "user",
                MageKind::Role => "role",
                MageKind::Permission => "permission",
            }
        ))),
    }
}

/// Adds the links of a plan whose objects all exist.
async fn add_links(c: &MageClient, p: &Plan) -> Result<()> {
    let mut jobs: Vec<(MageKind, Id, Vec<Id>)> = Vec::new();
    for (role, perms) in &p.role_links {
        let perms = perms.iter().map(|x| held(MageKind::Permission, x));
        jobs.push((
            MageKind::Role,
            held(MageKind::Role, role)?,
            perms.collect::<Result<_>>()?,
        ));
    }
    for (user, roles) in &p.user_links {
        let roles = roles.iter().map(|x| held(MageKind::Role, x));
        jobs.push((
            MageKind::User,
            held(MageKind::User, user)?,
            roles.collect::<Result<_>>()?,
        ));
    }
    stream::iter(jobs.into_iter().map(Ok::<_, Error>))
        .map_ok(|(kind, of, to)| async move {
            if kind == MageKind::User {
                link_user(c, of, &to).await
            } else {
                link_role(c, of, &to).await
            }
        })
        .try_buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await
        .map(|_| ())
}

fn union(mut ids: Vec<i64>, more: &[Id], kind: MageKind) -> Result<Vec<i64>> {
    for id in more {
        ids.push(int(kind, id)?);
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Adds permissions `perms` to role `role` in one PUT, sending its current permissions and
/// users back with them.
async fn link_role(c: &MageClient, role: Id, perms: &[Id]) -> Result<()> {
    let n = int(MageKind::Role, &role)?;
    let cur = writes::get_role(c, n).await?;
    writes::same(
        MageKind::Role,
        &role,
        n,
        &cur.name,
        cur.created_at.as_deref(),
    )?;
    let ids = union(cur.permission_ids(), perms, MageKind::Permission)?;
    let users: Vec<i64> = cur.users.iter().flatten().map(|u| u.id).collect();
    c.call(
        Method::PUT,
        &format!("roles/{n}"),
        Some(&json!({"role": {"permission_ids": ids, "user_ids": users}})),
    )
    .await
    .map(|_| ())
}

/// Gives roles `roles` to user `user` in one PUT, with the roles it holds now.
async fn link_user(c: &MageClient, user: Id, roles: &[Id]) -> Result<()> {
    let n = int(MageKind::User, &user)?;
    let cur = writes::get_user(c, n).await?;
    let name = cur.to_model().username;
    writes::same(MageKind::User, &user, n, &name, cur.created_at.as_deref())?;
    let ids = union(cur.role_ids(), roles, MageKind::Role)?;
    c.write(
        Method::PUT,
        &format!("users/{n}?_format=list"),
        Some(&json!({"user": {"role_ids": ids}})),
    )
    .await
    .map(|_| ())
}
