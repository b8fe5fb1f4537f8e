//! `gatehouse teams …`

use super::Ctx;
use super::ends::{self, EndArgs};
use super::output::{list, print_fields, print_json, print_table, section};
use super::perm_row::{GRANT_HEADER, GrantRow, PermRow, grant_cells};
use super::refs::{RoleRef, UserRef};
use super::tally;
use super::what_if::{delete, preview};
use crate::backend::{Error, Result, TeamSpec, find_role, find_team, find_user};
use crate::model::ObjectKind;
use crate::model::{Id, Principal, Team, now};
use crate::policy::Change;
use crate::policy::{Link, State};
use crate::text::sanitize;
use clap::Subcommand;
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

/// Team commands.
#[derive(Debug, Subcommand)]
pub enum TeamsCmd {
    /// List teams.
    Ls,
    /// One team: members with their role, default role, team roles, direct grants.
    Show {
        /// Key or id.
        team: String,
    },
    /// Create a team.
    Create {
        /// Unique slug.
        key: String,
        /// Display name (default: the key).
        #[arg(long)]
        name: Option<String>,
        /// Free text.
        #[arg(long)]
        description: Option<String>,
        /// Role given to new members.
        #[arg(long, value_name = "ROLE")]
        default_role: Option<String>,
    },
    /// Change a team.
    Update {
        /// Key or id.
        team: String,
        /// New key.
        #[arg(long)]
        key: Option<String>,
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        /// New description.
        #[arg(long)]
        description: Option<String>,
        /// New default role for new members.
        #[arg(long, value_name = "ROLE", conflicts_with = "no_default_role")]
        default_role: Option<String>,
        /// Clear the default role.
        #[arg(long)]
        no_default_role: bool,
    },
    /// Delete a team (`--force` when it still has members, roles or grants).
    Rm {
        /// Key or id.
        team: String,
        /// Remove its links too.
        #[arg(long)]
        force: bool,
        /// Show who would gain or lose which access, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Add a member (or change a member's role), for good or until an end (`--for 8h`,
    /// `--expires 2026-12-31T18:00Z`).
    AddMember {
        /// Key or id.
        team: String,
        /// Username or id.
        user: String,
        /// Role inside the team (default: the team's default role).
        #[arg(long)]
        role: Option<String>,
        #[command(flatten)]
        until: EndArgs,
        /// Show who would gain or lose which access, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove a member.
    RmMember {
        /// Key or id.
        team: String,
        /// Username or id.
        user: String,
        /// Show who would gain or lose which access, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// A team as the CLI's JSON shows it (docs/json.md, `team`).
#[derive(Serialize)]
struct TeamJson {
    id: Id,
    key: String,
    name: String,
    description: String,
    default_role: Option<RoleRef>,
    version: u64,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
}

impl TeamJson {
    fn of(s: &State, t: &Team) -> TeamJson {
        TeamJson {
            id: t.id,
            key: t.key.clone(),
            name: t.name.clone(),
            description: t.description.clone(),
            default_role: t.default_role.map(|r| RoleRef::of(s, &r)),
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Serialize)]
struct TeamRow {
    #[serde(flatten)]
    team: TeamJson,
    member_count: usize,
}

fn row(s: &State, members: &HashMap<Id, usize>, t: &Team) -> TeamRow {
    TeamRow {
        team: TeamJson::of(s, t),
        member_count: tally::count_of(members, &t.id),
    }
}

#[derive(Serialize)]
struct Member {
    user: UserRef,
    role: Option<RoleRef>,
    /// When the membership ends (RFC 3339), or null.
    #[serde(with = "time::serde::rfc3339::option")]
    expires_at: Option<time::OffsetDateTime>,
}

#[derive(Serialize)]
struct TeamRole {
    role: RoleRef,
    #[serde(with = "time::serde::rfc3339::option")]
    expires_at: Option<time::OffsetDateTime>,
}

#[derive(Serialize)]
struct TeamDetail {
    #[serde(flatten)]
    team: TeamJson,
    members: Vec<Member>,
    roles: Vec<TeamRole>,
    direct_grants: Vec<GrantRow>,
}

fn role_id(s: &State, name: Option<&str>) -> Result<Option<Id>> {
    name.map(|n| find_role(s, n).map(|r| r.id)).transpose()
}

/// Runs a team command.
pub async fn run(ctx: &Ctx, cmd: TeamsCmd) -> Result<i32> {
    let b = &ctx.backend;
    let s = b.state().await?;
    match cmd {
        TeamsCmd::Ls => {
            let mut teams: Vec<&Team> = s.teams.values().collect();
            teams.sort_by(|a, b| a.key.cmp(&b.key));
            let members = tally::counts(s.members.keys().map(|(t, _)| t));
            let rows: Vec<TeamRow> = teams.iter().map(|t| row(&s, &members, t)).collect();
            if ctx.json() {
                return print_json(&rows).map(|_| 0);
            }
            print_table(
                &["KEY", "NAME", "MEMBERS", "DEFAULT ROLE"],
                rows.iter()
                    .map(|r| {
                        vec![
                            r.team.key.clone(),
                            r.team.name.clone(),
                            r.member_count.to_string(),
                            r.team
                                .default_role
                                .as_ref()
                                .map_or_else(|| "-".into(), |r| r.name.clone()),
                        ]
                    })
                    .collect(),
                "no teams",
            );
        }
        TeamsCmd::Show { team } => {
            let t = find_team(&s, &team)?;
            let mut members: Vec<Member> = s
                .members
                .iter()
                .filter(|((tt, _), _)| *tt == t.id)
                .map(|(&(team, user), r)| Member {
                    user: UserRef::of(&s, &user),
                    role: r.map(|r| RoleRef::of(&s, &r)),
                    expires_at: ends::of(
                        &s,
                        &Link::Member {
                            team,
                            user,
                            role: None,
                        },
                    ),
                })
                .collect();
            members.sort_by(|a, b| a.user.username.cmp(&b.user.username));
            let mut roles: Vec<TeamRole> = s
                .team_roles
                .iter()
                .filter(|(tt, _)| *tt == t.id)
                .map(|&(team, role)| TeamRole {
                    role: RoleRef::of(&s, &role),
                    expires_at: ends::of(&s, &Link::TeamRole { team, role }),
                })
                .collect();
            roles.sort_by(|a, b| a.role.name.cmp(&b.role.name));
            let direct_grants: Vec<GrantRow> = s
                .grants
                .iter()
                .filter(|(p, _)| *p == Principal::Team(t.id))
                .filter_map(|&(principal, permission)| {
                    let end = ends::of(
                        &s,
                        &Link::Grant {
                            principal,
                            permission,
                        },
                    );
                    s.permissions
                        .get(&permission)
                        .map(|p| PermRow::granted(&s, &p, end))
                })
                .collect();
            let d = TeamDetail {
                team: TeamJson::of(&s, t),
                members,
                roles,
                direct_grants,
            };
            if ctx.json() {
                return print_json(&d).map(|_| 0);
            }
            print_fields(&[
                ("key", d.team.key.clone()),
                ("id", d.team.id.to_string()),
                ("name", d.team.name.clone()),
                ("description", d.team.description.clone()),
                (
                    "default role",
                    d.team
                        .default_role
                        .as_ref()
                        .map_or_else(|| "-".into(), |r| r.name.clone()),
                ),
                ("version", d.team.version.to_string()),
            ]);
            let now = now();
            section(&format!("Members ({})", d.members.len()));
            print_table(
                &["USER", "ROLE IN TEAM", "EXPIRES"],
                d.members
                    .iter()
                    .map(|m| {
                        vec![
                            m.user.username.clone(),
                            m.role
                                .as_ref()
                                .map_or_else(|| "-".into(), |r| r.name.clone()),
                            ends::cell(m.expires_at, now),
                        ]
                    })
                    .collect(),
                "none",
            );
            let roles: Vec<String> = d
                .roles
                .iter()
                .map(|r| format!("{}{}", r.role.name, ends::suffix(r.expires_at, now)))
                .collect();
            section(&format!("Team roles ({})", roles.len()));
            outln!("{}", sanitize(&list(&roles)));
            section(&format!("Direct grants ({})", d.direct_grants.len()));
            print_table(GRANT_HEADER, grant_cells(&s, &d.direct_grants, now), "none");
        }
        TeamsCmd::Create {
            key,
            name,
            description,
            default_role,
        } => {
            let t = b
                .create_team(TeamSpec {
                    key,
                    name: name.unwrap_or_default(),
                    description: description.unwrap_or_default(),
                    default_role: role_id(&s, default_role.as_deref())?,
                })
                .await?;
            if ctx.json() {
                print_json(&TeamJson::of(&s, &t))?;
            } else {
                outln!("created team {} ({})", sanitize(&t.key), t.id);
            }
        }
        TeamsCmd::Update {
            team,
            key,
            name,
            description,
            default_role,
            no_default_role,
        } => {
            let old = find_team(&s, &team)?;
            let default_role = if no_default_role {
                None
            } else if default_role.is_some() {
                role_id(&s, default_role.as_deref())?
            } else {
                old.default_role
            };
            let spec = TeamSpec {
                key: key.unwrap_or_else(|| old.key.clone()),
                name: name.unwrap_or_else(|| old.name.clone()),
                description: description.unwrap_or_else(|| old.description.clone()),
                default_role,
            };
            let t = b.update_team(old.id, spec, old.version).await?;
            if ctx.json() {
                print_json(&TeamJson::of(&s, &t))?;
            } else {
                outln!("updated team {} (version {})", sanitize(&t.key), t.version);
            }
        }
        TeamsCmd::Rm {
            team,
            force,
            dry_run,
        } => {
            let t = find_team(&s, &team)?;
            if dry_run {
                let c = delete(ObjectKind::Team, t.id, force);
                return preview(ctx, &s, &[c], &format!("delete team {}", t.key)).await;
            }
            let rev = b.delete_team(t.id, force).await?;
            ctx.done("deleted team", &t.key, rev);
        }
        TeamsCmd::AddMember {
            team,
            user,
            role,
            until,
            dry_run,
        } => {
            let t = find_team(&s, &team)?;
            let u = find_user(&s, &user)?;
            let role = role_id(&s, role.as_deref())?;
            let end = until.end()?;
            let link = Link::Member {
                team: t.id,
                user: u.id,
                role,
            };
            let what = format!("{} to team {}{}", u.username, t.key, ends::until(end));
            if dry_run {
                let changes = ends::link_changes(link, end);
                return preview(ctx, &s, &changes, &format!("add {what}")).await;
            }
            let rev = b.link_until(link, end).await?;
            ctx.done("added", &what, rev);
        }
        TeamsCmd::RmMember {
            team,
            user,
            dry_run,
        } => {
            let t = find_team(&s, &team)?;
            let u = find_user(&s, &user)?;
            let Some(role) = s.members.get(&(t.id, u.id)) else {
                return Err(Error::NotFound {
                    kind: "member".into(),
                    name: format!("{} in team {}", u.username, t.key),
                    hint: format!("; see `gatehouse teams show {}`", t.key),
                });
            };
            let link = Link::Member {
                team: t.id,
                user: u.id,
                role: *role,
            };
            if dry_run {
                let what = format!("remove {} from team {}", u.username, t.key);
                return preview(ctx, &s, &[Change::Unlink(link)], &what).await;
            }
            let rev = b.unlink(link).await?;
            ctx.done(
                "removed",
                &format!("{} from team {}", u.username, t.key),
                rev,
            );
        }
    }
    Ok(0)
}
