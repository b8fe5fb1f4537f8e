//! `gatehouse import --from-mage URL`: a Mage server's roles, permissions, users and user-role
//! links copied into the selected store, after its dry run.

use super::Ctx;
use super::misc::{ImportJson, print_report};
use super::output::print_json;
use crate::backend::{Backend, Error, Result};

/// `gatehouse import --from-mage URL`: reads a Mage server's roles, permissions, users and
/// user-role links, shows the dry run against the selected store, then applies it when
/// confirmed (a terminal answer, or `--yes`). The legacy startup permissions, which Mage's
/// permission engine never reads, are left out; a Mage owner arrives with the owner flag.
pub async fn import_from_mage(
    ctx: &Ctx,
    url: &str,
    mage_user: Option<String>,
    dry_run: bool,
    yes: bool,
) -> Result<i32> {
    if ctx.backend.info().kind == crate::backend::BackendKind::Mage {
        return Err(Error::invalid(
            "--from-mage",
            "the destination is a Mage server too; import into a local store (--db PATH)",
        ));
    }
    let login = super::select::mage_login(
        url,
        &super::select::MageLogin {
            user: mage_user,
            password_env: None,
        },
    )?;
    let mage = crate::connect::MageBackend::new(url, login)?
        .token_cache(crate::connect::mage::TokenCache::default_location());
    mage.connect().await?;
    let doc = mage.export().await?;
    let what = format!(
        "from Mage {url}: {} users, {} roles, {} permissions",
        doc.users.len(),
        doc.roles.len(),
        doc.permissions.len()
    );
    let preview = ctx.backend.import(doc.clone(), true).await?;
    if ctx.json() && dry_run {
        return print_json(&ImportJson::of(&preview)).map(|_| 0);
    }
    // Nothing to write: no question to ask, and no refusal.
    let nothing = preview.users.created
        + preview.roles.created
        + preview.permissions.created
        + preview.links.created
        == 0;
    if ctx.json() && !yes && !nothing {
        return Err(Error::invalid(
            "--yes",
            "nothing written: with -o json nothing is asked; pass --yes to apply (or --dry-run)",
        ));
    }
    if ctx.json() && !yes {
        return print_json(&ImportJson::of(&preview)).map(|_| 0);
    }
    if !ctx.json() {
        print_report(&format!("import {what}"), &preview);
    }
    if dry_run || (nothing && !yes) {
        return Ok(0);
    }
    if !yes && !super::import_file::confirm(ctx)? {
        return Ok(0);
    }
    let r = ctx.backend.import(doc, false).await?;
    if ctx.json() {
        return print_json(&ImportJson::of(&r)).map(|_| 0);
    }
    print_report(&format!("imported {what}"), &r);
    Ok(0)
}
