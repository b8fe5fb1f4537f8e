//! `gatehouse roles …`

use super::Ctx;
use super::output::{self, list, print_fields, print_json, print_table, section};
use super::what_if::{delete, preview};
use crate::backend::{Result, RoleSpec, find_permission, find_role, find_team, find_user};
use crate::model::ObjectKind;
use crate::model::{Id, Permission, Role};
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
    /// Assign a role to a user.
    Assign {
        /// Name or id.
        role: String,
        /// Username or id.
        user: String,
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
    /// Assign a role to a team (every member inherits it).
    AssignTeam {
        /// Name or id.
        role: String,
        /// Team key or id.
        team: String,
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

/// A permission as one row of a listing.
#[derive(Debug, Clone, Serialize)]
pub struct PermRow {
    /// Full id.
    pub id: Id,
    /// Catalog.
    pub catalog: String,
    /// Entity.
    pub entity: String,
    /// Entity UUID (`null`: every entity).
    pub entity_uuid: Option<String>,
    /// Granted flags.
    pub grants: Vec<String>,
    /// Denied flags.
    pub denies: Vec<String>,
    /// Conditions.
    pub conditions: Vec<String>,
    /// Description.
    pub description: String,
    /// Mage's entity type.
    pub entity_type: Option<String>,
    /// Mage's scope (its `entity` column).
    pub scope: Option<String>,
    /// The creator's id, when known.
    pub created_by: Option<Id>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    /// Last update time.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: time::OffsetDateTime,
}

impl PermRow {
    /// The row of a permission.
    pub fn of(p: &Permission) -> PermRow {
        PermRow {
            id: p.id,
            catalog: p.catalog.clone(),
            entity: p.entity.clone(),
            entity_uuid: p.entity_uuid.clone(),
            grants: p.grants.clone(),
            denies: p.denies.clone(),
            conditions: p.conditions.clone(),
            description: p.description.clone(),
            entity_type: p.entity_type.clone(),
            scope: p.scope.clone(),
            created_by: p.created_by,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }

    /// The table cells: id, catalog, entity, uuid, grants, denies.
    pub fn cells(&self, s: &State) -> Vec<String> {
        vec![
            output::short_perm(s, &self.id),
            self.catalog.clone(),
            self.entity.clone(),
            self.entity_uuid.clone().unwrap_or_else(|| "all".into()),
            list(&self.grants),
            list(&self.denies),
        ]
    }
}

/// Column names matching [`PermRow::cells`].
pub const PERM_HEADER: &[&str] = &["ID", "CATALOG", "ENTITY", "UUID", "GRANTS", "DENIES"];

#[derive(Serialize)]
struct RoleDetail {
    #[serde(flatten)]
    role: Role,
    permissions: Vec<PermRow>,
    users: Vec<String>,
    teams: Vec<String>,
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
            let mut users: Vec<String> = s
                .user_roles
                .iter()
                .filter(|(_, x)| *x == r.id)
                .map(|(u, _)| output::user_name(&s, u))
                .collect();
            users.sort();
            let mut teams: Vec<String> = s
                .team_roles
                .iter()
                .filter(|(_, x)| *x == r.id)
                .map(|(t, _)| output::team_key(&s, t))
                .collect();
            teams.sort();
            let mut member_of: Vec<String> = s
                .members
                .iter()
                .filter(|(_, role)| **role == Some(r.id))
                .map(|((t, u), _)| {
                    format!(
                        "{} in team {}",
                        output::user_name(&s, u),
                        output::team_key(&s, t)
                    )
                })
                .collect();
            member_of.sort();
            let d = RoleDetail {
                role: r.clone(),
                permissions,
                users,
                teams,
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
            section(&format!("Users ({})", d.users.len()));
            outln!("{}", sanitize(&list(&d.users)));
            section(&format!("Teams ({})", d.teams.len()));
            outln!("{}", sanitize(&list(&d.teams)));
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
            dry_run,
        } => {
            let r = find_role(&s, &role)?;
            let u = find_user(&s, &user)?;
            let link = Link::UserRole {
                user: u.id,
                role: r.id,
            };
            if dry_run {
                let what = format!("assign role {} to user {}", r.name, u.username);
                return preview(ctx, &s, &[Change::Link(link)], &what).await;
            }
            let rev = b.link(link).await?;
            ctx.done(
                "assigned",
                &format!("role {} to user {}", r.name, u.username),
                rev,
            );
        }
        RolesCmd::Unassign {
            role,
            user,
            dry_run,
        } => {
            let r = find_role(&s, &role)?;
            let u = find_user(&s, &user)?;
            if !s.user_roles.contains(&(u.id, r.id)) {
                return Err(crate::backend::Error::NotFound {
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
                return preview(ctx, &s, &[Change::Unlink(link)], &what).await;
            }
            let rev = b.unlink(link).await?;
            ctx.done(
                "unassigned",
                &format!("role {} from user {}", r.name, u.username),
                rev,
            );
        }
        RolesCmd::AssignTeam {
            role,
            team,
            dry_run,
        } => {
            let r = find_role(&s, &role)?;
            let t = find_team(&s, &team)?;
            let link = Link::TeamRole {
                team: t.id,
                role: r.id,
            };
            if dry_run {
                let what = format!("assign role {} to team {}", r.name, t.key);
                return preview(ctx, &s, &[Change::Link(link)], &what).await;
            }
            let rev = b.link(link).await?;
            ctx.done(
                "assigned",
                &format!("role {} to team {}", r.name, t.key),
                rev,
            );
        }
        RolesCmd::UnassignTeam {
            role,
            team,
            dry_run,
        } => {
            let r = find_role(&s, &role)?;
            let t = find_team(&s, &team)?;
            if !s.team_roles.contains(&(t.id, r.id)) {
                return Err(crate::backend::Error::NotFound {
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
                return preview(ctx, &s, &[Change::Unlink(link)], &what).await;
            }
            let rev = b.unlink(link).await?;
            ctx.done(
                "unassigned",
                &format!("role {} from team {}", r.name, t.key),
                rev,
            );
        }
    }
    Ok(0)
}
