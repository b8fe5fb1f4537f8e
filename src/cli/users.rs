//! `gatehouse users …`

use super::Ctx;
use super::ends;
use super::output::{self, list, print_fields, print_json, print_table, section};
use super::perm_row::{GRANT_HEADER, GrantRow, PermRow, grant_cells};
use super::refs::{RoleRef, TeamRef};
use super::tally;
pub use super::user_rows::{EffectiveRow, KEY_HEADER, KeyRow, effective_rows, print_effective};
use super::what_if::{delete, preview};
use crate::backend::{Error, Reads, Result, UserSpec, find_user};
use crate::model::ObjectKind;
use crate::model::{Id, Principal, User, UserKind, now};
use crate::policy::Link;
use crate::text::sanitize;
use clap::Subcommand;
use serde::Serialize;

/// User commands.
#[derive(Debug, Subcommand)]
pub enum UsersCmd {
    /// List users.
    Ls,
    /// One user: roles, teams, direct grants, API keys and effective permissions.
    Show {
        /// Username or id.
        user: String,
    },
    /// Create a user.
    Create {
        /// Unique username (case-insensitive).
        username: String,
        /// Email.
        #[arg(long)]
        email: Option<String>,
        /// Display name (free text; with a first or last name it is those two joined).
        #[arg(long, conflicts_with_all = ["first_name", "last_name"])]
        name: Option<String>,
        /// First name (Mage's `first_name`).
        #[arg(long)]
        first_name: Option<String>,
        /// Last name (Mage's `last_name`), kept as written, spaces included.
        #[arg(long)]
        last_name: Option<String>,
        /// A service user (okdata "client").
        #[arg(long)]
        service: bool,
        /// Superuser: allowed everything.
        #[arg(long)]
        owner: bool,
        /// Created disabled.
        #[arg(long)]
        disabled: bool,
        /// Mage: the environment variable holding the new user's password (else it is asked
        /// for on a terminal). gatehouse's own users have no password; they use API keys.
        #[arg(long, value_name = "VAR", conflicts_with = "password_stdin")]
        password_env: Option<String>,
        /// Mage: read the new user's password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a user.
    Update {
        /// Username or id.
        user: String,
        /// New username.
        #[arg(long)]
        username: Option<String>,
        /// New email.
        #[arg(long)]
        email: Option<String>,
        /// New display name (free text: clears the first and last name).
        #[arg(long, conflicts_with_all = ["first_name", "last_name"])]
        name: Option<String>,
        /// New first name; the display name follows first and last name.
        #[arg(long)]
        first_name: Option<String>,
        /// New last name, kept as written, spaces included.
        #[arg(long)]
        last_name: Option<String>,
        /// Enable the user.
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        /// Disable the user (denied everything).
        #[arg(long)]
        disable: bool,
        /// Set the owner flag.
        #[arg(long, conflicts_with = "no_owner")]
        owner: bool,
        /// Clear the owner flag.
        #[arg(long)]
        no_owner: bool,
        /// Show who would gain or lose which access (owner, disabled), and write nothing.
        #[arg(long, conflicts_with_all = ["password_env", "password_stdin"])]
        dry_run: bool,
        /// Mage: set (reset) the user's password from this environment variable.
        #[arg(long, value_name = "VAR", conflicts_with = "password_stdin")]
        password_env: Option<String>,
        /// Mage: set (reset) the user's password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Delete a user (`--force` when it still has roles, memberships, grants or keys).
    Rm {
        /// Username or id.
        user: String,
        /// Remove its links and keys too.
        #[arg(long)]
        force: bool,
        /// Show who would gain or lose which access, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Serialize)]
struct UserRow {
    id: Id,
    username: String,
    kind: UserKind,
    email: String,
    display_name: String,
    first_name: String,
    last_name: String,
    roles: Vec<RoleRef>,
    teams: Vec<TeamRef>,
    owner: bool,
    disabled: bool,
    version: u64,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
}

/// The references of `ids`, sorted by `key` (a name).
fn sorted<T>(ids: Option<Vec<Id>>, of: impl Fn(&Id) -> T, key: fn(&T) -> String) -> Vec<T> {
    let mut v: Vec<T> = ids.unwrap_or_default().iter().map(of).collect();
    v.sort_by_key(key);
    v
}

/// The old value of a first or last name, unless a new display name (free text) replaces
/// both.
fn keep(name: &Option<String>, old: &str) -> String {
    if name.is_some() {
        String::new()
    } else {
        old.to_string()
    }
}

fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.to_string()
    }
}

fn flags(u: &User) -> String {
    let mut f = Vec::new();
    if u.owner {
        f.push("owner");
    }
    if u.disabled {
        f.push("disabled");
    }
    if f.is_empty() {
        "-".into()
    } else {
        f.join(",")
    }
}

#[derive(Serialize)]
struct Membership {
    team: TeamRef,
    role: Option<RoleRef>,
    /// When the membership ends (RFC 3339), or null.
    #[serde(with = "time::serde::rfc3339::option")]
    expires_at: Option<time::OffsetDateTime>,
}

#[derive(Serialize)]
struct UserRole {
    role: RoleRef,
    #[serde(with = "time::serde::rfc3339::option")]
    expires_at: Option<time::OffsetDateTime>,
}

#[derive(Serialize)]
struct UserDetail {
    #[serde(flatten)]
    user: User,
    roles: Vec<UserRole>,
    teams: Vec<Membership>,
    direct_grants: Vec<GrantRow>,
    api_keys: Vec<KeyRow>,
    effective: Vec<EffectiveRow>,
    effective_owner: bool,
}

/// What a user command reads: the list shows users and their roles; a user's page shows
/// effective permissions, so it reads everything.
pub fn reads(cmd: &UsersCmd) -> Reads {
    match cmd {
        UsersCmd::Ls => Reads::USERS,
        _ => Reads::ALL,
    }
}

/// Runs a user command.
pub async fn run(ctx: &Ctx, cmd: UsersCmd) -> Result<i32> {
    let b = &ctx.backend;
    let s = b.state_for(reads(&cmd)).await?;
    match cmd {
        UsersCmd::Ls => {
            let mut users: Vec<&User> = s.users.values().collect();
            users.sort_by(|a, b| a.username.cmp(&b.username));
            // Each relation read once, not once per user.
            let mut roles_of = tally::group(s.user_roles.iter().map(|(u, r)| (*u, *r)));
            let mut teams_of = tally::group(s.members.keys().map(|(t, u)| (*u, *t)));
            let rows: Vec<UserRow> = users
                .iter()
                .map(|u| UserRow {
                    id: u.id,
                    username: u.username.clone(),
                    kind: u.kind,
                    email: u.email.clone(),
                    display_name: u.display_name.clone(),
                    first_name: u.first_name.clone(),
                    last_name: u.last_name.clone(),
                    roles: sorted(
                        roles_of.remove(&u.id),
                        |r| RoleRef::of(&s, r),
                        |r| r.name.clone(),
                    ),
                    teams: sorted(
                        teams_of.remove(&u.id),
                        |t| TeamRef::of(&s, t),
                        |t| t.key.clone(),
                    ),
                    owner: u.owner,
                    disabled: u.disabled,
                    version: u.version,
                    created_at: u.created_at,
                    updated_at: u.updated_at,
                })
                .collect();
            if ctx.json() {
                return print_json(&rows).map(|_| 0);
            }
            print_table(
                &[
                    "USERNAME", "NAME", "KIND", "EMAIL", "ROLES", "TEAMS", "FLAGS", "CREATED",
                ],
                users
                    .iter()
                    .zip(&rows)
                    .map(|(u, r)| {
                        vec![
                            r.username.clone(),
                            or_dash(&r.display_name),
                            r.kind.as_str().to_string(),
                            or_dash(&r.email),
                            list(&r.roles.iter().map(|x| x.name.clone()).collect::<Vec<_>>()),
                            list(&r.teams.iter().map(|x| x.key.clone()).collect::<Vec<_>>()),
                            flags(u),
                            output::date(r.created_at),
                        ]
                    })
                    .collect(),
                "no users (create one with `gatehouse users create USERNAME`)",
            );
        }
        UsersCmd::Show { user } => {
            let u = find_user(&s, &user)?;
            let mut teams: Vec<Membership> = s
                .members
                .iter()
                .filter(|((_, uu), _)| *uu == u.id)
                .map(|(&(team, user), r)| Membership {
                    team: TeamRef::of(&s, &team),
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
            teams.sort_by(|a, b| a.team.key.cmp(&b.team.key));
            let direct_grants: Vec<GrantRow> = s
                .grants
                .iter()
                .filter(|(p, _)| *p == Principal::User(u.id))
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
            let mut roles: Vec<UserRole> = s
                .user_roles
                .iter()
                .filter(|(x, _)| *x == u.id)
                .map(|&(user, role)| UserRole {
                    role: RoleRef::of(&s, &role),
                    expires_at: ends::of(&s, &Link::UserRole { user, role }),
                })
                .collect();
            roles.sort_by(|a, b| a.role.name.cmp(&b.role.name));
            let api_keys: Vec<KeyRow> = s
                .keys
                .values()
                .filter(|k| k.user_id == u.id)
                .map(|k| KeyRow::of(&s, k))
                .collect();
            let w = b.what_can(u.id).await?;
            let effective = effective_rows(&s, &w);
            let d = UserDetail {
                user: u.clone(),
                roles,
                teams,
                direct_grants,
                api_keys,
                effective,
                effective_owner: w.owner,
            };
            if ctx.json() {
                return print_json(&d).map(|_| 0);
            }
            print_fields(&[
                ("username", d.user.username.clone()),
                ("id", d.user.id.to_string()),
                ("kind", d.user.kind.as_str().into()),
                ("email", d.user.email.clone()),
                ("name", d.user.display_name.clone()),
                ("first name", d.user.first_name.clone()),
                ("last name", d.user.last_name.clone()),
                ("flags", flags(&d.user)),
                ("version", d.user.version.to_string()),
                ("created", output::time(Some(d.user.created_at))),
                ("updated", output::time(Some(d.user.updated_at))),
            ]);
            let now = now();
            let roles: Vec<String> = d
                .roles
                .iter()
                .map(|r| format!("{}{}", r.role.name, ends::suffix(r.expires_at, now)))
                .collect();
            section(&format!("Roles ({})", roles.len()));
            outln!("{}", sanitize(&list(&roles)));
            section(&format!("Teams ({})", d.teams.len()));
            print_table(
                &["TEAM", "MEMBER ROLE", "EXPIRES"],
                d.teams
                    .iter()
                    .map(|m| {
                        vec![
                            m.team.key.clone(),
                            m.role
                                .as_ref()
                                .map_or_else(|| "-".into(), |r| r.name.clone()),
                            ends::cell(m.expires_at, now),
                        ]
                    })
                    .collect(),
                "none",
            );
            section(&format!("Direct grants ({})", d.direct_grants.len()));
            print_table(GRANT_HEADER, grant_cells(&s, &d.direct_grants, now), "none");
            section(&format!("API keys ({})", d.api_keys.len()));
            print_table(
                KEY_HEADER,
                d.api_keys.iter().map(KeyRow::cells).collect(),
                "none",
            );
            section("Effective permissions");
            print_effective(&w, &d.effective);
        }
        UsersCmd::Create {
            username,
            email,
            name,
            first_name,
            last_name,
            service,
            owner,
            disabled,
            password_env,
            password_stdin,
        } => {
            let given = given_password(password_env.as_deref(), password_stdin)?;
            let password = match given {
                Some(p) => Some(p),
                None => new_password(ctx, &username)?,
            };
            let u = b
                .create_user(UserSpec {
                    password,
                    username,
                    email: email.unwrap_or_default(),
                    display_name: name.unwrap_or_default(),
                    kind: if service {
                        UserKind::Service
                    } else {
                        UserKind::Person
                    },
                    disabled,
                    owner,
                    first_name: first_name.unwrap_or_default(),
                    last_name: last_name.unwrap_or_default(),
                })
                .await?;
            if ctx.json() {
                print_json(&u)?;
            } else {
                outln!("created user {} ({})", sanitize(&u.username), u.id);
            }
        }
        UsersCmd::Update {
            user,
            username,
            email,
            name,
            first_name,
            last_name,
            enable,
            disable,
            owner,
            no_owner,
            password_env,
            password_stdin,
            dry_run,
        } => {
            let old = find_user(&s, &user)?;
            let (first_name, last_name) = (
                first_name.unwrap_or_else(|| keep(&name, &old.first_name)),
                last_name.unwrap_or_else(|| keep(&name, &old.last_name)),
            );
            let spec = UserSpec {
                password: given_password(password_env.as_deref(), password_stdin)?,
                username: username.unwrap_or_else(|| old.username.clone()),
                email: email.unwrap_or_else(|| old.email.clone()),
                display_name: name.unwrap_or_else(|| old.display_name.clone()),
                kind: old.kind,
                disabled: if enable {
                    false
                } else {
                    disable || old.disabled
                },
                owner: if no_owner { false } else { owner || old.owner },
                first_name,
                last_name,
            };
            if dry_run {
                let change = user_update(old, &spec);
                let would = format!("update user {}", old.username);
                return preview(ctx, &s, &[change], &would).await;
            }
            let u = b.update_user(old.id, spec, old.version).await?;
            if ctx.json() {
                print_json(&u)?;
            } else {
                outln!(
                    "updated user {} (version {})",
                    sanitize(&u.username),
                    u.version
                );
            }
        }
        UsersCmd::Rm {
            user,
            force,
            dry_run,
        } => {
            let u = find_user(&s, &user)?;
            if dry_run {
                let c = delete(ObjectKind::User, u.id, force);
                return preview(ctx, &s, &[c], &format!("delete user {}", u.username)).await;
            }
            let rev = b.delete_user(u.id, force).await?;
            ctx.done("deleted user", &u.username, rev);
        }
    }
    Ok(0)
}

/// The update `users update` makes, for a dry run.
fn user_update(old: &crate::model::User, spec: &UserSpec) -> crate::policy::Change {
    crate::policy::Change::Update {
        object: crate::policy::Object::User(spec.applied_to(old, old.version)),
        expected_version: old.version,
    }
}

/// A password given on the command line's terms: from `--password-env VAR`, or the first line
/// of standard input with `--password-stdin` (its line ending dropped). `None` when neither.
fn given_password(var: Option<&str>, stdin: bool) -> Result<Option<crate::backend::Password>> {
    use crate::backend::Password;
    if let Some(var) = var {
        return match std::env::var(var) {
            Ok(p) if !p.is_empty() => Ok(Some(Password(p))),
            _ => Err(Error::invalid(
                "--password-env",
                format!("{var} is not set; export the password in it"),
            )),
        };
    }
    if !stdin {
        return Ok(None);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|e| {
        Error::invalid(
            "--password-stdin",
            format!("cannot read standard input: {e}"),
        )
    })?;
    let p = line.trim_end_matches(['\n', '\r']);
    if p.is_empty() {
        return Err(Error::invalid(
            "--password-stdin",
            "standard input held no password; write it on the first line",
        ));
    }
    Ok(Some(Password(p.to_string())))
}

/// The password of a new user when none was given: asked twice on a terminal when the backend
/// is Mage (whose users log in with one). `None` for gatehouse's own backends.
fn new_password(ctx: &Ctx, username: &str) -> Result<Option<crate::backend::Password>> {
    use crate::backend::Password;
    if ctx.backend.info().kind != crate::backend::BackendKind::Mage {
        return Ok(None);
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(Error::invalid(
            "--password-env",
            "a Mage user needs a password: pass --password-env VAR or --password-stdin",
        ));
    }
    let read = |prompt: String| {
        rpassword::prompt_password(prompt)
            .map_err(|e| Error::invalid("password", format!("cannot read the password: {e}")))
    };
    let first = read(format!("password for {username}: "))?;
    let again = read(format!("again for {username}: "))?;
    if first != again {
        return Err(Error::invalid(
            "password",
            "the two passwords differ; nothing was created",
        ));
    }
    Ok(Some(Password(first)))
}
