//! `gatehouse roles assign|unassign|assign-team|unassign-team`: a role given to or taken from
//! a user or a team; given, it may end (`--expires`, `--for`).

use super::Ctx;
use super::ends::{EndArgs, link_changes, until};
use super::what_if::preview;
use crate::backend::{Error, Result, find_role, find_team, find_user};
use crate::policy::{Change, Link, State};

/// `roles assign ROLE USER [--expires|--for]`.
pub async fn assign(
    ctx: &Ctx,
    s: &State,
    role: &str,
    user: &str,
    end: &EndArgs,
    dry_run: bool,
) -> Result<i32> {
    let r = find_role(s, role)?;
    let u = find_user(s, user)?;
    let end = end.end()?;
    let link = Link::UserRole {
        user: u.id,
        role: r.id,
    };
    let what = format!("role {} to user {}{}", r.name, u.username, until(end));
    if dry_run {
        return preview(ctx, s, &link_changes(link, end), &format!("assign {what}")).await;
    }
    let rev = ctx.backend.link_until(link, end).await?;
    ctx.done("assigned", &what, rev);
    Ok(0)
}

/// `roles unassign ROLE USER`.
pub async fn unassign(ctx: &Ctx, s: &State, role: &str, user: &str, dry_run: bool) -> Result<i32> {
    let r = find_role(s, role)?;
    let u = find_user(s, user)?;
    if !s.user_roles.contains(&(u.id, r.id)) {
        return Err(Error::NotFound {
            kind: "assignment".into(),
            name: format!("role {} of user {}", r.name, u.username),
            hint: format!("; see `gatehouse users show {}`", u.username),
        });
    }
    let link = Link::UserRole {
        user: u.id,
        role: r.id,
    };
    if dry_run {
        let what = format!("unassign role {} from user {}", r.name, u.username);
        return preview(ctx, s, &[Change::Unlink(link)], &what).await;
    }
    let rev = ctx.backend.unlink(link).await?;
    ctx.done(
        "unassigned",
        &format!("role {} from user {}", r.name, u.username),
        rev,
    );
    Ok(0)
}

/// `roles assign-team ROLE TEAM [--expires|--for]`.
pub async fn assign_team(
    ctx: &Ctx,
    s: &State,
    role: &str,
    team: &str,
    end: &EndArgs,
    dry_run: bool,
) -> Result<i32> {
    let r = find_role(s, role)?;
    let t = find_team(s, team)?;
    let end = end.end()?;
    let link = Link::TeamRole {
        team: t.id,
        role: r.id,
    };
    let what = format!("role {} to team {}{}", r.name, t.key, until(end));
    if dry_run {
        return preview(ctx, s, &link_changes(link, end), &format!("assign {what}")).await;
    }
    let rev = ctx.backend.link_until(link, end).await?;
    ctx.done("assigned", &what, rev);
    Ok(0)
}

/// `roles unassign-team ROLE TEAM`.
pub async fn unassign_team(
    ctx: &Ctx,
    s: &State,
    role: &str,
    team: &str,
    dry_run: bool,
) -> Result<i32> {
    let r = find_role(s, role)?;
    let t = find_team(s, team)?;
    if !s.team_roles.contains(&(t.id, r.id)) {
        return Err(Error::NotFound {
            kind: "assignment".into(),
            name: format!("role {} of team {}", r.name, t.key),
            hint: format!("; see `gatehouse teams show {}`", t.key),
        });
    }
    let link = Link::TeamRole {
        team: t.id,
        role: r.id,
    };
    if dry_run {
        let what = format!("unassign role {} from team {}", r.name, t.key);
        return preview(ctx, s, &[Change::Unlink(link)], &what).await;
    }
    let rev = ctx.backend.unlink(link).await?;
    ctx.done(
        "unassigned",
        &format!("role {} from team {}", r.name, t.key),
        rev,
    );
    Ok(0)
}
