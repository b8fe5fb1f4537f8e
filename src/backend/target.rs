//! Naming an entity (and maybe one entity UUID) in text: `Entity`, `Entity/uuid`,
//! `catalog:Entity[/uuid]` and okdata's `ns:type:id`. Shared by the CLI and the console.

use super::error::{Error, Result};
use super::specs::{find_team, find_user};
use crate::catalog::Catalogs;
use crate::engine::Request;
use crate::model::Id;
use crate::policy::State;

/// An entity (and maybe one UUID) named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Catalog.
    pub catalog: String,
    /// Entity.
    pub entity: String,
    /// One entity UUID.
    pub uuid: Option<String>,
}

impl Target {
    /// `entity/uuid`, or the entity.
    pub fn display(&self) -> String {
        match &self.uuid {
            Some(u) => format!(
                "{}/{u}",
                crate::present::entity(&self.catalog, &self.entity)
            ),
            None => crate::present::entity(&self.catalog, &self.entity),
        }
    }
}

/// Parses `Entity`, `Entity/uuid`, `catalog:Entity[/uuid]` and okdata `ns:type:id`.
pub fn parse_target(catalogs: &Catalogs, catalog: Option<&str>, text: &str) -> Result<Target> {
    let bad = |m: String| Error::invalid("entity", m);
    let ok = |c: &str, e: &str, u: Option<&str>| Target {
        catalog: c.to_string(),
        entity: e.to_string(),
        uuid: u.map(str::to_string),
    };
    if let Some((entity, uuid)) = text.rsplit_once('/') {
        if uuid.is_empty() {
            return Err(bad(format!(
                "'{text}' has nothing after '/'; write ENTITY or ENTITY/UUID"
            )));
        }
        let r = catalogs.resolve(catalog, entity).map_err(bad)?;
        return Ok(ok(&r.catalog.name, r.entity, Some(uuid)));
    }
    match catalogs.resolve(catalog, text) {
        Ok(r) => Ok(ok(&r.catalog.name, r.entity, None)),
        Err(first) => {
            if let Some((head, id)) = text.rsplit_once(':')
                && !id.is_empty()
                && head.contains(':')
                && let Ok(r) = catalogs.resolve(catalog, head)
            {
                return Ok(ok(&r.catalog.name, r.entity, Some(id)));
            }
            Err(bad(first))
        }
    }
}

/// Builds an engine request from names: the action must be a flag of the target's catalog
/// (the error lists the valid ones); the owner and team are a username and a team key.
#[allow(clippy::too_many_arguments)]
pub fn build_request(
    catalogs: &Catalogs,
    state: &State,
    user: Id,
    action: &str,
    target: &str,
    catalog: Option<&str>,
    owner: Option<&str>,
    team: Option<&str>,
) -> Result<(Request, Target)> {
    let t = parse_target(catalogs, catalog, target)?;
    // `list` means `LIST` when the catalog has exactly one flag of that name in any case.
    let action = match catalogs.get(&t.catalog) {
        Some(c) if c.flag(action).is_none() => {
            let same: Vec<&str> = c
                .flags
                .iter()
                .map(|f| f.name.as_str())
                .filter(|n| n.eq_ignore_ascii_case(action))
                .collect();
            match same.as_slice() {
                [one] => *one,
                _ => action,
            }
        }
        _ => action,
    };
    if let Some(c) = catalogs.get(&t.catalog)
        && c.flag(action).is_none()
    {
        let valid: Vec<&str> = c
            .flags_for(&t.entity)
            .iter()
            .filter(|f| !f.modifier)
            .map(|f| f.name.as_str())
            .collect();
        return Err(Error::invalid(
            "action",
            format!(
                "unknown action '{action}' in catalog '{}'; valid: {}",
                c.name,
                valid.join(", ")
            ),
        ));
    }
    let resource_owner = owner
        .map(|o| find_user(state, o).map(|u| u.id))
        .transpose()?;
    let resource_team = team
        .map(|k| find_team(state, k).map(|t| t.id))
        .transpose()?;
    Ok((
        Request {
            at: None,
            user,
            catalog: t.catalog.clone(),
            action: action.to_string(),
            entity: t.entity.clone(),
            entity_uuid: t.uuid.clone(),
            resource_owner,
            resource_team,
            attribute: None,
        },
        t,
    ))
}
