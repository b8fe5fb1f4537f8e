//! `gatehouse permissions …`, okdata-compatible with a RESOURCE.

use super::Ctx;
use super::ends::EndArgs;
use super::grants;
use super::output::{self, list, print_fields, print_json, print_table, section};
use super::perm_page::{Detail, Holder, ListRow, through_roles};
use super::perm_row::PermRow;
use super::refs::{RoleRef, TeamRef, UserRef};
use super::tally;
use super::what_if::{delete, preview};
use crate::backend::parse_target;
use crate::backend::{Error, PermissionSpec, Reads, Result, find_permission};
use crate::catalog::{Catalogs, Dialect, access_to_flags};
use crate::model::ObjectKind;
use crate::model::Principal;
use crate::text::sanitize;
use clap::{Args, Subcommand};

/// Permission commands.
#[derive(Debug, Subcommand)]
pub enum PermissionsCmd {
    /// Every permission; with RESOURCE (okdata `ns:type:id` or `Entity/uuid`), who holds which
    /// scopes on it; with --mine, your own resources and scopes.
    Ls {
        /// A resource: `okdata:dataset:my-dataset` or `Pipeline/example_pipeline`.
        resource: Option<String>,
        /// okdata's "My permissions".
        #[arg(long, conflicts_with = "resource")]
        mine: bool,
        /// Only this catalog.
        #[arg(long)]
        catalog: Option<String>,
        /// Only this entity.
        #[arg(long)]
        entity: Option<String>,
    },
    /// One permission and the roles and principals holding it.
    Show {
        /// Id, or a unique prefix of at least 8 characters.
        id: String,
    },
    /// Create a permission on ENTITY (every entity of that type) or ENTITY/UUID (one).
    Create {
        /// `Entity`, `Entity/uuid`, `catalog:Entity` or okdata `ns:type[:id]`.
        target: String,
        #[command(flatten)]
        fields: PermFields,
    },
    /// Change a permission: the given fields are replaced, the others kept.
    Update {
        /// Id, or a unique prefix of at least 8 characters.
        id: String,
        /// New target: `Entity`, `Entity/uuid`, `catalog:Entity`.
        #[arg(long, value_name = "ENTITY[/UUID]")]
        entity: Option<String>,
        /// Make it apply to every entity of its type (drop the UUID).
        #[arg(long, conflicts_with = "entity")]
        all_uuids: bool,
        #[command(flatten)]
        fields: PermFields,
        /// Show who would gain or lose which access, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// okdata: grant SCOPE (default: every scope) on RESOURCE to PRINCIPAL, for good or until
    /// an end (`--for 8h`, `--expires 2026-12-31T18:00Z`; a grant held already keeps the later
    /// end).
    Add {
        /// `okdata:dataset:my-dataset` or `Entity/uuid`.
        resource: String,
        /// Username, team key (--team) or client (--client).
        principal: String,
        /// `okdata:dataset:read` or a flag (default: every permission).
        scope: Option<String>,
        /// PRINCIPAL is a team.
        #[arg(long, conflicts_with = "client")]
        team: bool,
        /// PRINCIPAL is a client (a service user).
        #[arg(long)]
        client: bool,
        #[command(flatten)]
        until: EndArgs,
    },
    /// With one argument: delete permission ID. With 2–3: okdata revoke RESOURCE PRINCIPAL
    /// [SCOPE].
    Rm {
        /// `ID`, or `RESOURCE PRINCIPAL [SCOPE]`.
        #[arg(required = true, num_args = 1..=3, value_name = "ID | RESOURCE PRINCIPAL [SCOPE]")]
        args: Vec<String>,
        /// Delete even when roles or principals hold it.
        #[arg(long)]
        force: bool,
        /// With an ID: show who would lose which access, and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// PRINCIPAL is a team.
        #[arg(long, conflicts_with = "client")]
        team: bool,
        /// PRINCIPAL is a client (a service user).
        #[arg(long)]
        client: bool,
    },
}

/// The editable fields of a permission on the command line.
#[derive(Debug, Args)]
pub struct PermFields {
    /// Catalog (`mage`, `okdata`, `gatehouse`, …) when the entity name is ambiguous.
    #[arg(long)]
    pub catalog: Option<String>,
    /// Flags granted, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "FLAG[,FLAG..]")]
    pub grant: Option<Vec<String>>,
    /// Flags denied, comma-separated (a deny always wins).
    #[arg(long, value_delimiter = ',', value_name = "FLAG[,FLAG..]")]
    pub deny: Option<Vec<String>>,
    /// Mage's integer access (grants and DISABLE_* denies in one number).
    #[arg(long, value_name = "INT", conflicts_with_all = ["grant", "deny"])]
    pub mage_access: Option<u64>,
    /// A condition (`own`, `team`, or the catalog's own); repeatable.
    #[arg(long = "condition", value_name = "C")]
    pub conditions: Option<Vec<String>>,
    /// A Mage query attribute; repeatable.
    #[arg(long = "query-attr", value_name = "A")]
    pub query_attrs: Option<Vec<String>>,
    /// A Mage read attribute; repeatable.
    #[arg(long = "read-attr", value_name = "A")]
    pub read_attrs: Option<Vec<String>>,
    /// A Mage write attribute; repeatable.
    #[arg(long = "write-attr", value_name = "A")]
    pub write_attrs: Option<Vec<String>>,
    /// Free text.
    #[arg(long)]
    pub description: Option<String>,
    /// Mage: the block or pipeline type the permission is about (Mage's `entity_type`:
    /// python, dbt, streaming, …); `''` clears it.
    #[arg(long, value_name = "TYPE")]
    pub entity_type: Option<String>,
    /// Mage: the permission's scope (Mage's `entity`: global, project or pipeline); `''`
    /// clears it (Mage's default, global).
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,
}

fn apply_fields(catalogs: &Catalogs, spec: &mut PermissionSpec, f: PermFields) -> Result<()> {
    let clean = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let gate = f.conditions.is_some() || f.grant.is_some() || f.mage_access.is_some();
    if let Some(access) = f.mage_access {
        let mage = catalogs
            .get("mage")
            .ok_or_else(|| Error::invalid("--mage-access", "the mage catalog is not loaded"))?;
        if spec.catalog != mage.name {
            return Err(Error::invalid(
                "--mage-access",
                format!(
                    "the integer access is Mage's; the permission's catalog is '{}' (use --grant/--deny)",
                    spec.catalog
                ),
            ));
        }
        let (g, d) = access_to_flags(mage, access).map_err(|e| {
            Error::invalid(
                "--mage-access",
                format!("{e}; see `gatehouse catalogs mage`"),
            )
        })?;
        spec.grants = g;
        spec.denies = d;
    }
    if let Some(g) = f.grant {
        spec.grants = clean(g);
    }
    if let Some(d) = f.deny {
        spec.denies = clean(d);
    }
    if let Some(c) = f.conditions {
        spec.conditions = clean(c);
    }
    if let Some(a) = f.query_attrs {
        spec.query_attributes = clean(a);
    }
    if let Some(a) = f.read_attrs {
        spec.read_attributes = clean(a);
    }
    if let Some(a) = f.write_attrs {
        spec.write_attributes = clean(a);
    }
    if let Some(d) = f.description {
        spec.description = d;
    }
    // Checked (and lowercased) with the rest of the permission; empty clears.
    let set = |v: String| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    if let Some(t) = f.entity_type {
        spec.entity_type = set(t);
    }
    if let Some(sc) = f.scope {
        spec.scope = set(sc);
    }
    // Conditions given, or kept alongside new grants, count as chosen: Mage's gate is set.
    if gate {
        spec.gate_conditions(catalogs);
    }
    Ok(())
}

/// The CONDITIONS cell: the conditions, and when they are ignored, why.
fn conditions_cell(cats: &Catalogs, p: &PermRow) -> String {
    match cats.inert_conditions(&p.catalog, &p.grants, &p.conditions) {
        Some(gate) => format!("{} (IGNORED: no {gate})", list(&p.conditions)),
        None => list(&p.conditions),
    }
}

/// What a permission command reads: the list shows permissions and the roles holding them;
/// the rest read everything (a page lists the users holding it through roles).
pub fn reads(cmd: &PermissionsCmd) -> Reads {
    match cmd {
        PermissionsCmd::Ls {
            resource: None,
            mine: false,
            ..
        } => Reads::PERMISSIONS,
        _ => Reads::ALL,
    }
}

/// Runs a permission command.
pub async fn run(ctx: &Ctx, cmd: PermissionsCmd) -> Result<i32> {
    let b = &ctx.backend;
    match cmd {
        PermissionsCmd::Ls {
            resource: Some(resource),
            ..
        } => return grants::resource_table(ctx, &resource).await,
        PermissionsCmd::Ls { mine: true, .. } => return grants::mine(ctx).await,
        PermissionsCmd::Ls {
            catalog, entity, ..
        } => {
            let s = b.state_for(Reads::PERMISSIONS).await?;
            let cats = b.catalogs().await?;
            // One pass over each relation set, not one per row.
            let role_counts = tally::counts(s.role_permissions.iter().map(|(_, p)| p));
            let holder_counts = tally::counts(s.grants.iter().map(|(_, p)| p));
            let rows: Vec<ListRow> = s
                .permissions
                .values()
                .filter(|p| catalog.as_deref().is_none_or(|c| p.catalog == c))
                .filter(|p| entity.as_deref().is_none_or(|e| p.entity == e))
                .map(|p| ListRow {
                    inert_conditions: cats
                        .inert_conditions(&p.catalog, &p.grants, &p.conditions)
                        .is_some(),
                    perm: PermRow::of(&s, &p),
                    role_count: tally::count_of(&role_counts, &p.id),
                    direct_holder_count: tally::count_of(&holder_counts, &p.id),
                })
                .collect();
            if ctx.json() {
                return print_json(&rows).map(|_| 0);
            }
            print_table(
                &[
                    "ID",
                    "CATALOG",
                    "ENTITY",
                    "UUID",
                    "GRANTS",
                    "DENIES",
                    "CONDITIONS",
                    "ROLES",
                    "HOLDERS",
                    "CREATED",
                    "CREATED BY",
                ],
                rows.iter()
                    .map(|r| {
                        let mut c = r.perm.cells(&s);
                        c.push(conditions_cell(&cats, &r.perm));
                        c.push(r.role_count.to_string());
                        c.push(r.direct_holder_count.to_string());
                        c.push(output::date(r.perm.created_at));
                        c.push(output::created_by(
                            &s,
                            r.perm.created_by.as_ref().map(|u| &u.id),
                        ));
                        c
                    })
                    .collect(),
                "no permissions",
            );
        }
        PermissionsCmd::Show { id } => {
            let s = b.state().await?;
            let p = find_permission(&s, &id)?;
            let mut roles: Vec<RoleRef> = s
                .role_permissions
                .iter()
                .filter(|(_, x)| *x == p.id)
                .map(|(r, _)| RoleRef::of(&s, r))
                .collect();
            roles.sort_by(|a, b| a.name.cmp(&b.name));
            let mut holders: Vec<Holder> = s
                .grants
                .iter()
                .filter(|(_, x)| *x == p.id)
                .map(|&(principal, permission)| {
                    let link = crate::policy::Link::Grant {
                        principal,
                        permission,
                    };
                    let expires_at = super::ends::of(&s, &link);
                    match principal {
                        Principal::User(u) => Holder {
                            user: Some(UserRef::of(&s, &u)),
                            team: None,
                            expires_at,
                        },
                        Principal::Team(t) => Holder {
                            user: None,
                            team: Some(TeamRef::of(&s, &t)),
                            expires_at,
                        },
                    }
                })
                .collect();
            holders.sort_by_key(Holder::label);
            let cats = b.catalogs().await?;
            let inert = cats.inert_conditions_warning(&p.catalog, &p.grants, &p.conditions);
            let d = Detail {
                perm: PermRow::of(&s, &p),
                roles,
                direct_holders: holders,
                users_through_roles: through_roles(&s, &p.id),
                inert_conditions: inert.is_some(),
            };
            if ctx.json() {
                return print_json(&d).map(|_| 0);
            }
            let mut fields = vec![
                ("id", p.id.to_string()),
                ("catalog", p.catalog.clone()),
                ("entity", p.entity.clone()),
                (
                    "entity uuid",
                    p.entity_uuid.clone().unwrap_or_else(|| "all".into()),
                ),
                ("grants", list(&p.grants)),
                ("denies", list(&p.denies)),
                ("conditions", list(&p.conditions)),
                ("query attributes", list(&p.query_attributes)),
                ("read attributes", list(&p.read_attributes)),
                ("write attributes", list(&p.write_attributes)),
                ("description", p.description.clone()),
                ("version", p.version.to_string()),
                ("created", output::time(Some(p.created_at))),
                ("updated", output::time(Some(p.updated_at))),
                ("created by", output::created_by(&s, p.created_by.as_ref())),
            ];
            if cats
                .get(&p.catalog)
                .is_some_and(|c| c.dialect == Dialect::Mage)
            {
                let at = fields.iter().position(|(k, _)| *k == "grants").unwrap_or(0);
                let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
                fields.insert(at, ("entity type", or_dash(&p.entity_type)));
                let scope = crate::model::scope_or_default(p.scope.as_deref()).to_string();
                fields.insert(at + 1, ("scope", scope));
            }
            if let Some(w) = inert {
                // Right under the conditions it is about.
                let at = fields
                    .iter()
                    .position(|(k, _)| *k == "conditions")
                    .map_or(0, |i| i + 1);
                fields.insert(at, ("warning", w));
            }
            print_fields(&fields);
            let names: Vec<String> = d.roles.iter().map(|r| r.name.clone()).collect();
            section(&format!("Roles using it ({})", names.len()));
            outln!("{}", sanitize(&list(&names)));
            let held: Vec<String> = d.direct_holders.iter().map(Holder::label).collect();
            section(&format!("Held directly by ({})", held.len()));
            outln!("{}", sanitize(&list(&held)));
            let through = &d.users_through_roles;
            section(&format!("Users through roles ({})", through.len()));
            print_table(
                &["USER", "ROLE"],
                through
                    .iter()
                    .map(|t| vec![t.user.username.clone(), t.role.name.clone()])
                    .collect(),
                "none",
            );
        }
        PermissionsCmd::Create { target, fields } => {
            let cats = b.catalogs().await?;
            let t = parse_target(&cats, fields.catalog.as_deref(), &target)?;
            let mut spec = PermissionSpec {
                catalog: t.catalog,
                entity: t.entity,
                entity_uuid: t.uuid,
                ..PermissionSpec::default()
            };
            apply_fields(&cats, &mut spec, fields)?;
            warn_mage(&cats, &spec);
            let p = b.create_permission(spec).await?;
            if ctx.json() {
                let s = b.state().await?;
                print_json(&PermRow::of(&s, &p))?;
            } else {
                outln!(
                    "created permission {} on {}",
                    p.id,
                    sanitize(&output::target(
                        &p.catalog,
                        &p.entity,
                        p.entity_uuid.as_deref()
                    ))
                );
            }
        }
        PermissionsCmd::Update {
            id,
            entity,
            all_uuids,
            fields,
            dry_run,
        } => {
            let s = b.state().await?;
            let cats = b.catalogs().await?;
            let old = find_permission(&s, &id)?;
            let mut spec = PermissionSpec::of(&old);
            if let Some(e) = entity {
                let t = parse_target(&cats, fields.catalog.as_deref(), &e)?;
                spec.catalog = t.catalog;
                spec.entity = t.entity;
                spec.entity_uuid = t.uuid;
            } else if let Some(c) = &fields.catalog
                && *c != spec.catalog
            {
                return Err(Error::invalid(
                    "--catalog",
                    "changing the catalog needs the entity too: --entity ENTITY[/UUID]",
                ));
            }
            if all_uuids {
                spec.entity_uuid = None;
            }
            apply_fields(&cats, &mut spec, fields)?;
            warn_mage(&cats, &spec);
            if dry_run {
                let mut p = spec.to_permission(old.id, old.version + 1);
                (p.created_at, p.created_by) = (old.created_at, old.created_by);
                crate::backend::validate::permission(&cats, &mut p)?;
                let change = crate::policy::Change::Update {
                    object: crate::policy::Object::Permission(p),
                    expected_version: old.version,
                };
                let would = format!("update permission {}", crate::model::short_id(&old.id));
                return super::what_if::preview(ctx, &s, &[change], &would).await;
            }
            let p = b.update_permission(old.id, spec, old.version).await?;
            if ctx.json() {
                print_json(&PermRow::of(&s, &p))?;
            } else {
                outln!("updated permission {} (version {})", p.id, p.version);
            }
        }
        PermissionsCmd::Add {
            resource,
            principal,
            scope,
            team,
            client,
            until,
        } => {
            let to = grants::grant_to(team, client);
            let end = until.end()?;
            grants::grant(ctx, &resource, &principal, scope.as_deref(), to, end).await?;
        }
        PermissionsCmd::Rm {
            args,
            force,
            team,
            client,
            dry_run,
        } => match args.as_slice() {
            [id] => {
                if team || client {
                    return Err(Error::invalid(
                        "--team/--client",
                        "only with RESOURCE PRINCIPAL [SCOPE]; to delete a permission give only its id",
                    ));
                }
                let s = b.state().await?;
                let p = find_permission(&s, id)?;
                if dry_run {
                    let c = delete(ObjectKind::Permission, p.id, force);
                    let what = format!("delete permission {}", p.id);
                    return preview(ctx, &s, &[c], &what).await;
                }
                let rev = b.delete_permission(p.id, force).await?;
                ctx.done("deleted permission", &p.id.to_string(), rev);
            }
            [resource, principal, rest @ ..] => {
                let scope = rest.first().map(String::as_str);
                let to = grants::grant_to(team, client);
                grants::revoke(ctx, resource, principal, scope, to).await?;
            }
            [] => {
                return Err(Error::invalid(
                    "permissions rm",
                    "give a permission ID, or RESOURCE PRINCIPAL [SCOPE]",
                ));
            }
        },
    }
    Ok(0)
}

/// Prints what a Mage permission will not do although it looks as if it would.
fn warn_mage(cats: &crate::catalog::Catalogs, spec: &PermissionSpec) {
    for w in cats.permission_warnings(
        &spec.catalog,
        &spec.grants,
        &spec.conditions,
        &spec.read_attributes,
    ) {
        eprintln!("warning: {}", sanitize(&w));
    }
}
