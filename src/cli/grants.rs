//! okdata-style direct grants from the command line: `permissions ls RESOURCE` (who holds which
//! scopes on it), `permissions ls --mine`, `permissions add` and `permissions rm RESOURCE
//! PRINCIPAL [SCOPE]`.

use super::Ctx;
use super::ends::suffix;
use super::output::{print_json, print_table};
use crate::backend::{GrantTo, Result};
use crate::text::sanitize;
use serde::Serialize;

#[derive(Serialize)]
struct Mine {
    resource: String,
    scopes: Vec<String>,
}

pub(super) fn grant_to(team: bool, client: bool) -> GrantTo {
    if team {
        GrantTo::Team
    } else if client {
        GrantTo::Client
    } else {
        GrantTo::User
    }
}

fn to_word(t: GrantTo) -> &'static str {
    match t {
        GrantTo::User => "user",
        GrantTo::Team => "team",
        GrantTo::Client => "client",
    }
}

fn scope_words(scope: Option<&str>) -> String {
    match scope {
        Some(s) => format!("'{s}'"),
        None => "every permission".into(),
    }
}

/// Who holds which scopes on `resource`.
pub(super) async fn resource_table(ctx: &Ctx, resource: &str) -> Result<i32> {
    let b = &ctx.backend;
    let resource = resource.to_string();
    let rows = b.resource_grants(&resource).await?;
    if ctx.json() {
        return print_json(&rows).map(|_| 0);
    }
    outln!("Permissions for '{}'", sanitize(&resource));
    let now = crate::model::now();
    print_table(
        &["User name", "User type", "Scopes"],
        rows.iter()
            .map(|r| {
                let kind = match r.kind {
                    GrantTo::User => "User",
                    GrantTo::Team => "Team",
                    GrantTo::Client => "Client",
                };
                let scopes: Vec<String> = r
                    .scopes
                    .iter()
                    .map(|sc| {
                        let end = r.scope_ends.iter().find(|e| e.scope == *sc);
                        format!("{sc}{}", suffix(end.map(|e| e.expires_at), now))
                    })
                    .collect();
                vec![r.name.clone(), kind.to_string(), scopes.join(", ")]
            })
            .collect(),
        "nobody holds a permission on it",
    );
    Ok(0)
}

/// The acting user's own resources and scopes (okdata's "My permissions").
pub(super) async fn mine(ctx: &Ctx) -> Result<i32> {
    let b = &ctx.backend;
    let rows: Vec<Mine> = b
        .my_resource_grants()
        .await?
        .into_iter()
        .map(|(resource, scopes)| Mine { resource, scopes })
        .collect();
    if ctx.json() {
        return print_json(&rows).map(|_| 0);
    }
    outln!("My permissions");
    print_table(
        &["Resource name", "Scopes"],
        rows.iter()
            .map(|r| vec![r.resource.clone(), r.scopes.join(", ")])
            .collect(),
        "none",
    );
    Ok(0)
}

/// Grants `scope` (every scope when `None`) on `resource` to `principal`.
pub(super) async fn grant(
    ctx: &Ctx,
    resource: &str,
    principal: &str,
    scope: Option<&str>,
    to: GrantTo,
    end: Option<time::OffsetDateTime>,
) -> Result<()> {
    let rev = ctx
        .backend
        .grant_resource_until(resource, principal, scope, to, end)
        .await?;
    let msg = format!(
        "Granted {} on '{}' to {} '{}'{}",
        scope_words(scope),
        resource,
        to_word(to),
        principal,
        super::ends::until(end)
    );
    say(ctx, &msg, rev);
    Ok(())
}

/// Revokes `scope` (every scope when `None`) on `resource` from `principal`.
pub(super) async fn revoke(
    ctx: &Ctx,
    resource: &str,
    principal: &str,
    scope: Option<&str>,
    to: GrantTo,
) -> Result<()> {
    let rev = ctx
        .backend
        .revoke_resource(resource, principal, scope, to)
        .await?;
    let msg = format!(
        "Revoked {} on '{}' from {} '{}'",
        scope_words(scope),
        resource,
        to_word(to),
        principal
    );
    say(ctx, &msg, rev);
    Ok(())
}

fn say(ctx: &Ctx, msg: &str, revision: u64) {
    if ctx.json() {
        outln!(
            "{}",
            serde_json::json!({ "message": msg, "revision": revision })
        );
    } else {
        outln!("{}", sanitize(msg));
    }
}
