//! `gatehouse expire …` (move, clear or list the ends of relations) and `gatehouse
//! prune-expired` (remove the relations whose end has passed, each recorded as an `expire`
//! audit event). A relation past its end gives no access whether or not it is pruned.

use super::Ctx;
use super::ends::{cell, future};
use super::output::{self, print_json, print_table};
use crate::backend::ends::end_of;
use crate::backend::{Result, find_permission, find_role, find_team, find_user};
use crate::model::{Principal, now};
use crate::policy::{Link, State};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use time::OffsetDateTime;

/// Expire commands.
#[derive(Debug, Subcommand)]
pub enum ExpireCmd {
    /// Every relation that ends, soonest first (those past their end give no access and go at
    /// the next `gatehouse prune-expired`).
    Ls,
    /// When a user's role ends: `gatehouse expire user-role alice Editor --for 8h`.
    UserRole {
        /// Username or id.
        user: String,
        /// Role name or id.
        role: String,
        #[command(flatten)]
        when: NewEnd,
    },
    /// When a team's role ends: `gatehouse expire team-role ops Editor --expires 2026-12-31`.
    TeamRole {
        /// Team key or id.
        team: String,
        /// Role name or id.
        role: String,
        #[command(flatten)]
        when: NewEnd,
    },
    /// When a team membership ends: `gatehouse expire member ops alice --never`.
    Member {
        /// Team key or id.
        team: String,
        /// Username or id.
        user: String,
        #[command(flatten)]
        when: NewEnd,
    },
    /// When a direct grant ends: `gatehouse expire grant user alice 0192abcd --for 2d`.
    Grant {
        /// Who holds it.
        holder: HolderKind,
        /// Username or team key (or id).
        name: String,
        /// Permission id (or a unique prefix of at least 8 characters).
        permission: String,
        #[command(flatten)]
        when: NewEnd,
    },
}

/// A direct grant's holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HolderKind {
    /// A user (or a client).
    User,
    /// A team.
    Team,
}

/// The new end: exactly one of `--expires`, `--for`, `--never`.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct NewEnd {
    /// It ends at this instant: 2026-12-31T18:00Z, 2026-12-31T19:00+01:00, or 2026-12-31
    /// (midnight UTC).
    #[arg(long, value_name = "INSTANT")]
    pub expires: Option<String>,
    /// It ends this long from now: 90m, 8h, 2d, 1w, "1d 12h".
    #[arg(long = "for", value_name = "DURATION")]
    pub for_: Option<String>,
    /// It never ends (clears its end).
    #[arg(long)]
    pub never: bool,
}

impl NewEnd {
    /// The end asked for (`None`: never), refused when it is not in the future.
    fn end(&self) -> Result<Option<OffsetDateTime>> {
        let now = now();
        let end = end_of(self.expires.as_deref(), self.for_.as_deref(), now)?;
        if let Some(t) = end {
            future(t, now)?;
        }
        Ok(end)
    }
}

/// A relation in words: `role Editor of user alice`, `membership of alice in team ops`.
pub fn describe(s: &State, link: &Link) -> String {
    let principal = |p: &Principal| match p {
        Principal::User(u) => format!("user {}", output::user_name(s, u)),
        Principal::Team(t) => format!("team {}", output::team_key(s, t)),
    };
    match link {
        Link::UserRole { user, role } => format!(
            "role {} of user {}",
            output::role_name(s, role),
            output::user_name(s, user)
        ),
        Link::TeamRole { team, role } => format!(
            "role {} of team {}",
            output::role_name(s, role),
            output::team_key(s, team)
        ),
        Link::Member { team, user, .. } => format!(
            "membership of {} in team {}",
            output::user_name(s, user),
            output::team_key(s, team)
        ),
        Link::Grant {
            principal: p,
            permission,
        } => format!(
            "grant of permission {} to {}",
            crate::present::perm_label(s, permission),
            principal(p)
        ),
        Link::RolePermission { role, permission } => format!(
            "permission {} in role {}",
            crate::present::perm_label(s, permission),
            output::role_name(s, role)
        ),
    }
}

/// The relation a command names (which must exist).
fn link_of(s: &State, cmd: &ExpireCmd) -> Result<Option<(Link, NewEnd)>> {
    let link = match cmd {
        ExpireCmd::Ls => return Ok(None),
        ExpireCmd::UserRole { user, role, when } => (
            Link::UserRole {
                user: find_user(s, user)?.id,
                role: find_role(s, role)?.id,
            },
            when,
        ),
        ExpireCmd::TeamRole { team, role, when } => (
            Link::TeamRole {
                team: find_team(s, team)?.id,
                role: find_role(s, role)?.id,
            },
            when,
        ),
        ExpireCmd::Member { team, user, when } => (
            Link::Member {
                team: find_team(s, team)?.id,
                user: find_user(s, user)?.id,
                role: None,
            },
            when,
        ),
        ExpireCmd::Grant {
            holder,
            name,
            permission,
            when,
        } => (
            Link::Grant {
                principal: match holder {
                    HolderKind::User => Principal::User(find_user(s, name)?.id),
                    HolderKind::Team => Principal::Team(find_team(s, name)?.id),
                },
                permission: find_permission(s, permission)?.id,
            },
            when,
        ),
    };
    if !s.link_exists(&link.0) {
        return Err(crate::backend::Error::NotFound {
            kind: "relation".into(),
            name: describe(s, &link.0),
            hint: "; an end is set on a relation that exists (add it with --expires or --for)"
                .into(),
        });
    }
    Ok(Some((link.0, link.1.clone())))
}

#[derive(Serialize)]
struct EndRow {
    kind: crate::model::ObjectKind,
    relation: String,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    ended: bool,
}

/// Runs an expire command.
pub async fn run(ctx: &Ctx, cmd: ExpireCmd) -> Result<i32> {
    let s = ctx.backend.state().await?;
    let Some((link, when)) = link_of(&s, &cmd)? else {
        return list(ctx, &s);
    };
    let end = when.end()?;
    let rev = ctx.backend.set_expiry(link, end).await?;
    let what = describe(&s, &link);
    match end {
        Some(t) => ctx.done(
            "set",
            &format!("{what} to end at {}", crate::present::instant(t)),
            rev,
        ),
        None => ctx.done("cleared", &format!("the end of {what}"), rev),
    }
    Ok(0)
}

fn list(ctx: &Ctx, s: &State) -> Result<i32> {
    let now = now();
    let mut rows: Vec<EndRow> = s
        .expiries
        .iter()
        .map(|(l, t)| EndRow {
            kind: l.kind(),
            relation: describe(s, l),
            expires_at: t,
            ended: t <= now,
        })
        .collect();
    rows.sort_by(|a, b| (a.expires_at, &a.relation).cmp(&(b.expires_at, &b.relation)));
    if ctx.json() {
        return print_json(&rows).map(|_| 0);
    }
    print_table(
        &["RELATION", "EXPIRES"],
        rows.iter()
            .map(|r| vec![r.relation.clone(), cell(Some(r.expires_at), now)])
            .collect(),
        "no relation ends",
    );
    Ok(0)
}

#[derive(Serialize)]
struct Pruned {
    removed_count: usize,
    revision: u64,
}

/// `prune-expired`: removes every relation past its end.
pub async fn prune(ctx: &Ctx) -> Result<i32> {
    let (removed, revision) = ctx.backend.prune_expired().await?;
    if ctx.json() {
        print_json(&Pruned {
            removed_count: removed,
            revision,
        })?;
    } else {
        outln!("removed {removed} ended relation(s) (revision {revision})");
    }
    Ok(0)
}
