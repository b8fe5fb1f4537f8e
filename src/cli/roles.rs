//! `gatehouse roles …`

use super::Ctx;
use super::ends::{self, EndArgs};
use super::output::{self, list, print_fields, print_json, print_table, section};
use super::perm_row::{PERM_HEADER, PermRow};
use super::refs::{self, TeamRef, UserRef};
use super::role_links;
use super::tally;
use super::what_if::{delete, preview};
use crate::backend::{Result, RoleSpec, find_permission, find_role};
use crate::model::ObjectKind;
use crate::model::{Id, Role, now};
use crate::policy::Change;
use crate::policy::{Link, State};
use crate::text::sanitize;
use clap::Subcommand;
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

/// Role commands.
#[derive(Debug, Subcommand)]
pub enum RolesCmd {
    /// List roles.
    Ls,
    /// One role: its fields, permissions, users and teams.
    Show {
        /// Name or id.
        role: String,
    },
    /// Create a role.
    Create {
        /// Unique name.
        name: String,
        /// Free text.
        #[arg(long)]
        description: Option<String>,
    },
    /// Change a role's name or description.
    Update {
        /// Name or id.
        role: String,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New description.
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a role (`--force` when users, teams or permissions still use it).
    Rm {
        /// Name or id.
        role: String,
        /// Remove its links too.
        #[arg(long)]
        force: bool,
        /// Show who would gain or lose which access, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Add a permission to a role.
    AddPermission {
        /// Name or id.
        role: String,
        /// Permission id (or a unique prefix of at least 8 characters).
        permission: String,
        /// Show who would gain or lose which access, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove a permission from a role.
    RmPermission {
        /// Name or id.
        role: String,
        /// Permission id (or a unique prefix of at least 8 characters).
        permission: String,
        /// Show who would gain or lose which access, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Assign a role to a user, for good or until an end (`--for 8h`, `--expires
    /// 2026-12-31T18:00Z`).
    Assign {
        /// Name or id.
        role: String,
        /// Username or id.
        user: String,
        #[command(flatten)]
        until: EndArgs,
        /// Show who would gain or lose which access, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Take a role from a user.
    Unassign {
        /// Name or id.
        role: String,
        /// Username or id.
        user: String,
        /// Show who would gain or lose which access, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Assign a role to a team (every member inherits it), for good or until an end.
    AssignTeam {
        /// Name or id.
        role: String,
        /// Team key or id.
        team: String,
        #[command(flatten)]
        until: EndArgs,
        /// Show who would gain or lose which access, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Take a role from a team.
    UnassignTeam {
        /// Name or id.
        role: String,
        /// Team key or id.
        team: String,
        /// Show who would gain or lose which access, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// A role as the CLI's JSON shows it (docs/json.md, `role`).
#[derive(Serialize)]
struct RoleJson {
    id: Id,
    name: String,
    description: String,
    version: u64,
    created_by: Option<UserRef>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
}

impl RoleJson {
    fn of(s: &State, r: &Role) -> RoleJson {
        RoleJson {
            id: r.id,
            name: r.name.clone(),
            description: r.description.clone(),
            version: r.version,
            created_by: refs::created_by(s, r.created_by.as_ref()),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Serialize)]
struct RoleRow {
    #[serde(flatten)]
    role: RoleJson,
    permission_count: usize,
    user_count: usize,
    team_count: usize,
}

/// The counts of every role's permissions, users and teams, each relation read once.
struct RoleCounts {
    permissions: HashMap<Id, usize>,
    users: HashMap<Id, usize>,
    teams: HashMap<Id, usize>,
}

impl RoleCounts {
    fn of(s: &State) -> RoleCounts {
        RoleCounts {
            permissions: tally::counts(s.role_permissions.iter().map(|(r, _)| r)),
            users: tally::counts(s.user_roles.iter().map(|(_, r)| r)),
            teams: tally::counts(s.team_roles.iter().map(|(_, r)| r)),
        }
    }
}

fn row(s: &State, c: &RoleCounts, r: &Role) -> RoleRow {
    RoleRow {
        role: RoleJson::of(s, r),
        permission_count: tally::count_of(&c.permissions, &r.id),
        user_count: tally::count_of(&c.users, &r.id),
        team_count: tally::count_of(&c.teams, &r.id),
    }
}

/// A relation to the role, with its end (`null`: for good).
#[derive(Serialize)]
struct Held<T> {
    #[serde(flatten)]
    holder: T,
    #[serde(with = "time::serde::rfc3339::option")]
    expires_at: Option<time::OffsetDateTime>,
}

#[derive(Serialize)]
struct UserHolder {
    user: UserRef,
}

#[derive(Serialize)]
struct TeamHolder {
    team: TeamRef,
}

#[derive(Serialize)]
struct MemberHolder {
    user: UserRef,
    team: TeamRef,
}

#[derive(Serialize)]
struct RoleDetail {
    #[serde(flatten)]
    role: RoleJson,
    permissions: Vec<PermRow>,
    users: Vec<Held<UserHolder>>,
    teams: Vec<Held<TeamHolder>>,
    /// Team memberships whose member role it is.
    member_of: Vec<Held<MemberHolder>>,
}

fn detail(s: &State, r: &Role) -> RoleDetail {
    let permissions: Vec<PermRow> = s
        .role_permissions
        .iter()
        .filter(|(x, _)| *x == r.id)
        .filter_map(|(_, p)| s.permissions.get(p))
        .map(|p| PermRow::of(s, &p))
        .collect();
    let mut users: Vec<Held<UserHolder>> = s
        .user_roles
        .iter()
        .filter(|(_, x)| *x == r.id)
        .map(|&(user, role)| Held {
            holder: UserHolder {
                user: UserRef::of(s, &user),
            },
            expires_at: ends::of(s, &Link::UserRole { user, role }),
        })
        .collect();
    users.sort_by(|a, b| a.holder.user.username.cmp(&b.holder.user.username));
    let mut teams: Vec<Held<TeamHolder>> = s
        .team_roles
        .iter()
        .filter(|(_, x)| *x == r.id)
        .map(|&(team, role)| Held {
            holder: TeamHolder {
                team: TeamRef::of(s, &team),
            },
            expires_at: ends::of(s, &Link::TeamRole { team, role }),
        })
        .collect();
    teams.sort_by(|a, b| a.holder.team.key.cmp(&b.holder.team.key));
    let mut member_of: Vec<Held<MemberHolder>> = s
        .members
        .iter()
        .filter(|(_, role)| **role == Some(r.id))
        .map(|(&(team, user), _)| Held {
            holder: MemberHolder {
                user: UserRef::of(s, &user),
                team: TeamRef::of(s, &team),
            },
            expires_at: ends::of(
                s,
                &Link::Member {
                    team,
                    user,
                    role: None,
                },
            ),
        })
        .collect();
    member_of.sort_by(|a, b| {
        (&a.holder.user.username, &a.holder.team.key)
            .cmp(&(&b.holder.user.username, &b.holder.team.key))
    });
    RoleDetail {
        role: RoleJson::of(s, r),
        permissions,
        users,
        teams,
        member_of,
    }
}

/// Runs a role command.
pub async fn run(ctx: &Ctx, cmd: RolesCmd) -> Result<i32> {
    let b = &ctx.backend;
    let s = b.state().await?;
    match cmd {
        RolesCmd::Ls => {
            let mut roles: Vec<&Role> = s.roles.values().collect();
            roles.sort_by(|a, b| a.name.cmp(&b.name));
            let counts = RoleCounts::of(&s);
            let rows: Vec<RoleRow> = roles.iter().map(|r| row(&s, &counts, r)).collect();
            if ctx.json() {
                print_json(&rows)?;
            } else {
                print_table(
                    &[
                        "NAME",
                        "PERMISSIONS",
                        "USERS",
                        "TEAMS",
                        "CREATED",
                        "CREATED BY",
                        "DESCRIPTION",
                    ],
                    rows.iter()
                        .map(|r| {
                            vec![
                                r.role.name.clone(),
                                r.permission_count.to_string(),
                                r.user_count.to_string(),
                                r.team_count.to_string(),
                                output::date(r.role.created_at),
                                output::created_by(&s, r.role.created_by.as_ref().map(|u| &u.id)),
                                r.role.description.clone(),
                            ]
                        })
                        .collect(),
                    "no roles (create one with `gatehouse roles create NAME`, or `gatehouse defaults apply mage`)",
                );
            }
        }
        RolesCmd::Show { role } => {
            let r = find_role(&s, &role)?;
            let d = detail(&s, r);
            if ctx.json() {
                return print_json(&d).map(|_| 0);
            }
            print_fields(&[
                ("name", r.name.clone()),
                ("id", r.id.to_string()),
                ("description", r.description.clone()),
                ("version", r.version.to_string()),
                ("created", output::time(Some(r.created_at))),
                ("updated", output::time(Some(r.updated_at))),
                ("created by", output::created_by(&s, r.created_by.as_ref())),
            ]);
            section(&format!("Permissions ({})", d.permissions.len()));
            print_table(
                PERM_HEADER,
                d.permissions.iter().map(|p| p.cells(&s)).collect(),
                "  none",
            );
            let now = now();
            let label = |name: &str, end| format!("{name}{}", ends::suffix(end, now));
            let users: Vec<String> = d
                .users
                .iter()
                .map(|u| label(&u.holder.user.username, u.expires_at))
                .collect();
            section(&format!("Users ({})", users.len()));
            outln!("{}", sanitize(&list(&users)));
            let teams: Vec<String> = d
                .teams
                .iter()
                .map(|t| label(&t.holder.team.key, t.expires_at))
                .collect();
            section(&format!("Teams ({})", teams.len()));
            outln!("{}", sanitize(&list(&teams)));
            if !d.member_of.is_empty() {
                let held: Vec<String> = d
                    .member_of
                    .iter()
                    .map(|m| {
                        let who =
                            format!("{} in team {}", m.holder.user.username, m.holder.team.key);
                        label(&who, m.expires_at)
                    })
                    .collect();
                section("Held as a team membership role");
                outln!("{}", sanitize(&list(&held)));
            }
        }
        RolesCmd::Create { name, description } => {
            let r = b
                .create_role(RoleSpec {
                    name,
                    description: description.unwrap_or_default(),
                })
                .await?;
            if ctx.json() {
                print_json(&RoleJson::of(&s, &r))?;
            } else {
                outln!("created role {} ({})", sanitize(&r.name), r.id);
            }
        }
        RolesCmd::Update {
            role,
            name,
            description,
        } => {
            let old = find_role(&s, &role)?;
            let spec = RoleSpec {
                name: name.unwrap_or_else(|| old.name.clone()),
                description: description.unwrap_or_else(|| old.description.clone()),
            };
            let r = b.update_role(old.id, spec, old.version).await?;
            if ctx.json() {
                print_json(&RoleJson::of(&s, &r))?;
            } else {
                outln!("updated role {} (version {})", sanitize(&r.name), r.version);
            }
        }
        RolesCmd::Rm {
            role,
            force,
            dry_run,
        } => {
            let r = find_role(&s, &role)?;
            if dry_run {
                let c = delete(ObjectKind::Role, r.id, force);
                return preview(ctx, &s, &[c], &format!("delete role {}", r.name)).await;
            }
            let rev = b.delete_role(r.id, force).await?;
            ctx.done("deleted role", &r.name, rev);
        }
        RolesCmd::AddPermission {
            role,
            permission,
            dry_run,
        } => {
            let r = find_role(&s, &role)?;
            let p = find_permission(&s, &permission)?;
            let link = Link::RolePermission {
                role: r.id,
                permission: p.id,
            };
            if dry_run {
                let what = format!("add permission {} to role {}", p.id, r.name);
                return preview(ctx, &s, &[Change::Link(link)], &what).await;
            }
            let rev = b.link(link).await?;
            ctx.done(
                "added",
                &format!("permission {} to role {}", p.id, r.name),
                rev,
            );
        }
        RolesCmd::RmPermission {
            role,
            permission,
            dry_run,
        } => {
            let r = find_role(&s, &role)?;
            let p = find_permission(&s, &permission)?;
            if !s.role_permissions.contains(&(r.id, p.id)) {
                return Err(crate::backend::Error::NotFound {
                    kind: "permission".into(),
                    name: format!("{} in role {}", p.id, r.name),
                    hint: format!("; see `gatehouse roles show {}`", r.name),
                });
            }
            let link = Link::RolePermission {
                role: r.id,
                permission: p.id,
            };
            if dry_run {
                let what = format!("remove permission {} from role {}", p.id, r.name);
                return preview(ctx, &s, &[Change::Unlink(link)], &what).await;
            }
            let rev = b.unlink(link).await?;
            ctx.done(
                "removed",
                &format!("permission {} from role {}", p.id, r.name),
                rev,
            );
        }
        RolesCmd::Assign {
            role,
            user,
            until,
            dry_run,
        } => return role_links::assign(ctx, &s, &role, &user, &until, dry_run).await,
        RolesCmd::Unassign {
            role,
            user,
            dry_run,
        } => return role_links::unassign(ctx, &s, &role, &user, dry_run).await,
        RolesCmd::AssignTeam {
            role,
            team,
            until,
            dry_run,
        } => return role_links::assign_team(ctx, &s, &role, &team, &until, dry_run).await,
        RolesCmd::UnassignTeam {
            role,
            team,
            dry_run,
        } => return role_links::unassign_team(ctx, &s, &role, &team, dry_run).await,
    }
    Ok(0)
}
