//! `gatehouse roles …`

use super::Ctx;
use super::ends::{self, EndArgs, NameEnds};
use super::output::{self, list, print_fields, print_json, print_table, section};
use super::perm_row::{PERM_HEADER, PermRow};
use super::role_links;
use super::what_if::{delete, preview};
use crate::backend::{Result, RoleSpec, find_permission, find_role};
use crate::model::ObjectKind;
use crate::model::{Id, Role, now};
use crate::policy::Change;
use crate::policy::{Link, State};
use crate::text::sanitize;
use clap::Subcommand;
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

#[derive(Serialize)]
struct RoleRow {
    id: Id,
    name: String,
    description: String,
    permissions: usize,
    users: usize,
    teams: usize,
    version: u64,
    created_by: Option<Id>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
}

fn row(s: &State, r: &Role) -> RoleRow {
    RoleRow {
        id: r.id,
        name: r.name.clone(),
        description: r.description.clone(),
        permissions: s
            .role_permissions
            .iter()
            .filter(|(x, _)| *x == r.id)
            .count(),
        users: s.user_roles.iter().filter(|(_, x)| *x == r.id).count(),
        teams: s.team_roles.iter().filter(|(_, x)| *x == r.id).count(),
        version: r.version,
        created_by: r.created_by,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

#[derive(Serialize)]
struct RoleDetail {
    #[serde(flatten)]
    role: Role,
    permissions: Vec<PermRow>,
    users: Vec<String>,
    /// When the users' assignments end (those that do), by username.
    user_ends: NameEnds,
    teams: Vec<String>,
    /// When the teams' assignments end, by team key.
    team_ends: NameEnds,
    member_of: Vec<String>,
}

/// Runs a role command.
pub async fn run(ctx: &Ctx, cmd: RolesCmd) -> Result<i32> {
    let b = &ctx.backend;
    let s = b.state().await?;
    match cmd {
        RolesCmd::Ls => {
            let mut roles: Vec<&Role> = s.roles.values().collect();
            roles.sort_by(|a, b| a.name.cmp(&b.name));
            let rows: Vec<RoleRow> = roles.iter().map(|r| row(&s, r)).collect();
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
                                r.name.clone(),
                                r.permissions.to_string(),
                                r.users.to_string(),
                                r.teams.to_string(),
                                output::date(r.created_at),
                                output::created_by(&s, r.created_by.as_ref()),
                                r.description.clone(),
                            ]
                        })
                        .collect(),
                    "no roles (create one with `gatehouse roles create NAME`, or `gatehouse defaults apply mage`)",
                );
            }
        }
        RolesCmd::Show { role } => {
            let r = find_role(&s, &role)?;
            let permissions: Vec<PermRow> = s
                .role_permissions
                .iter()
                .filter(|(x, _)| *x == r.id)
                .filter_map(|(_, p)| s.permissions.get(p))
                .map(|p| PermRow::of(&p))
                .collect();
            let held: Vec<(String, Option<time::OffsetDateTime>)> = s
                .user_roles
                .iter()
                .filter(|(_, x)| *x == r.id)
                .map(|&(user, role)| {
                    let end = ends::of(&s, &Link::UserRole { user, role });
                    (output::user_name(&s, &user), end)
                })
                .collect();
            let mut users: Vec<String> = held.iter().map(|(n, _)| n.clone()).collect();
            users.sort();
            let user_ends = NameEnds::of(held);
            let held: Vec<(String, Option<time::OffsetDateTime>)> = s
                .team_roles
                .iter()
                .filter(|(_, x)| *x == r.id)
                .map(|&(team, role)| {
                    let end = ends::of(&s, &Link::TeamRole { team, role });
                    (output::team_key(&s, &team), end)
                })
                .collect();
            let mut teams: Vec<String> = held.iter().map(|(n, _)| n.clone()).collect();
            teams.sort();
            let team_ends = NameEnds::of(held);
            let mut member_of: Vec<String> = s
                .members
                .iter()
                .filter(|(_, role)| **role == Some(r.id))
                .map(|(&(team, user), _)| {
                    let end = ends::of(
                        &s,
                        &Link::Member {
                            team,
                            user,
                            role: None,
                        },
                    );
                    format!(
                        "{} in team {}{}",
                        output::user_name(&s, &user),
                        output::team_key(&s, &team),
                        ends::suffix(end, now())
                    )
                })
                .collect();
            member_of.sort();
            let d = RoleDetail {
                role: r.clone(),
                permissions,
                users,
                user_ends,
                teams,
                team_ends,
                member_of,
            };
            if ctx.json() {
                return print_json(&d).map(|_| 0);
            }
            print_fields(&[
                ("name", d.role.name.clone()),
                ("id", d.role.id.to_string()),
                ("description", d.role.description.clone()),
                ("version", d.role.version.to_string()),
                ("created", output::time(Some(d.role.created_at))),
                ("updated", output::time(Some(d.role.updated_at))),
                (
                    "created by",
                    output::created_by(&s, d.role.created_by.as_ref()),
                ),
            ]);
            section(&format!("Permissions ({})", d.permissions.len()));
            print_table(
                PERM_HEADER,
                d.permissions.iter().map(|p| p.cells(&s)).collect(),
                "  none",
            );
            let now = now();
            section(&format!("Users ({})", d.users.len()));
            outln!("{}", sanitize(&list(&d.user_ends.label(&d.users, now))));
            section(&format!("Teams ({})", d.teams.len()));
            outln!("{}", sanitize(&list(&d.team_ends.label(&d.teams, now))));
            if !d.member_of.is_empty() {
                section("Held as a team membership role");
                outln!("{}", sanitize(&list(&d.member_of)));
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
                print_json(&r)?;
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
                print_json(&r)?;
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
