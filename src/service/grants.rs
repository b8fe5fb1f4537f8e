//! okdata-style direct grants on one resource (docs/PRODUCT.md §1.2 `permissions add|rm|ls RESOURCE`):
//! one permission per (resource, scope), granted directly to users, teams and clients; the last
//! holder of the catalog's guarded flag (okdata `admin`) cannot be removed.

use super::{Access, Actor, Service};
use crate::backend::{Error, GrantTo, ResourceGrant, Result, find_team, find_user};
use crate::catalog::Catalogs;
use crate::model::{Id, ObjectKind, Permission, Principal, Revision, UserKind, new_id, now};
use crate::policy::{Change, Link, Object, State};

/// A resource named on the command line: `ns:type:id` (okdata) or `Entity/uuid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Catalog.
    pub catalog: String,
    /// Entity type.
    pub entity: String,
    /// Entity UUID.
    pub uuid: String,
}

impl Resource {
    /// Parses a resource name.
    pub fn parse(catalogs: &Catalogs, text: &str) -> Result<Resource> {
        if let Some((entity, uuid)) = text.rsplit_once('/') {
            let r = catalogs
                .resolve(None, entity)
                .map_err(|m| Error::invalid("resource", m))?;
            if uuid.is_empty() {
                return Err(Error::invalid(
                    "resource",
                    format!("'{text}' has no id after '/'"),
                ));
            }
            return Ok(Resource {
                catalog: r.catalog.name.clone(),
                entity: r.entity.to_string(),
                uuid: uuid.into(),
            });
        }
        let parts: Vec<&str> = text.splitn(3, ':').collect();
        if let [ns, ty, id] = parts.as_slice() {
            let entity = format!("{ns}:{ty}");
            if let Ok(r) = catalogs.resolve(None, &entity)
                && !id.is_empty()
            {
                return Ok(Resource {
                    catalog: r.catalog.name.clone(),
                    entity,
                    uuid: (*id).into(),
                });
            }
        }
        Err(Error::invalid(
            "resource",
            format!(
                "'{text}' is neither namespace:type:id (e.g. okdata:dataset:my-dataset) nor Entity/uuid (e.g. Pipeline/example_pipeline)"
            ),
        ))
    }

    /// The resource written back (okdata form when the entity has a namespace).
    pub fn display(&self) -> String {
        if self.entity.contains(':') {
            format!("{}:{}", self.entity, self.uuid)
        } else {
            format!("{}/{}", self.entity, self.uuid)
        }
    }

    /// The scope string of a flag on this resource (`okdata:dataset:read`, or the flag).
    pub fn scope(&self, flag: &str) -> String {
        if self.entity.contains(':') {
            format!("{}:{flag}", self.entity)
        } else {
            flag.to_string()
        }
    }

    fn flag_of_scope(&self, scope: &str) -> String {
        scope
            .strip_prefix(&format!("{}:", self.entity))
            .unwrap_or(scope)
            .to_string()
    }
}

fn is_scope_permission(p: &Permission, r: &Resource, flag: &str) -> bool {
    p.catalog == r.catalog
        && p.entity == r.entity
        && p.entity_uuid.as_deref() == Some(r.uuid.as_str())
        && p.grants.len() == 1
        && p.grants[0] == flag
        && p.denies.is_empty()
        && p.conditions.is_empty()
}

fn holders(state: &State, perm: Id) -> Vec<Principal> {
    state
        .grants
        .iter()
        .filter(|(_, p)| *p == perm)
        .map(|(pr, _)| *pr)
        .collect()
}

impl Service {
    fn resolve_principal(&self, state: &State, name: &str, to: GrantTo) -> Result<Principal> {
        match to {
            GrantTo::Team => Ok(Principal::Team(find_team(state, name)?.id)),
            GrantTo::User | GrantTo::Client => {
                let u = find_user(state, name).map_err(|e| match (e, to) {
                    (Error::NotFound { kind, name, .. }, GrantTo::Client) => Error::NotFound {
                        kind,
                        name: name.clone(),
                        hint: format!(
                            "; clients are service users: `gatehouse users create {name} --service`"
                        ),
                    },
                    (e, _) => e,
                })?;
                if to == GrantTo::Client && u.kind != UserKind::Service {
                    return Err(Error::invalid(
                        "principal",
                        format!("'{}' is a person, not a client; drop --client", u.username),
                    ));
                }
                Ok(Principal::User(u.id))
            }
        }
    }

    fn scope_flags(&self, r: &Resource, scope: Option<&str>) -> Result<Vec<String>> {
        let catalog = self.catalogs.get(&r.catalog).ok_or_else(|| {
            Error::invalid("resource", format!("unknown catalog '{}'", r.catalog))
        })?;
        let valid: Vec<String> = catalog
            .flags_for(&r.entity)
            .iter()
            .map(|f| f.name.clone())
            .collect();
        match scope {
            None | Some("__all__") => Ok(valid),
            Some(s) => {
                let flag = r.flag_of_scope(s);
                if valid.contains(&flag) {
                    Ok(vec![flag])
                } else {
                    Err(Error::invalid(
                        "scope",
                        format!(
                            "unknown scope '{s}' for {}; valid: {}",
                            r.display(),
                            valid
                                .iter()
                                .map(|f| r.scope(f))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ))
                }
            }
        }
    }

    /// Grants a scope (or every scope) on a resource directly to a principal. Idempotent.
    pub async fn grant_resource(
        &self,
        actor: &Actor,
        resource: &str,
        principal: &str,
        scope: Option<&str>,
        to: GrantTo,
    ) -> Result<Revision> {
        self.grant_resource_until(actor, resource, principal, scope, to, None)
            .await
    }

    /// [`Service::grant_resource`] ending at `expires_at`. A grant held already keeps the
    /// later of its end and this one (granting never takes access away); a permanent one
    /// stays permanent.
    pub async fn grant_resource_until(
        &self,
        actor: &Actor,
        resource: &str,
        principal: &str,
        scope: Option<&str>,
        to: GrantTo,
        expires_at: Option<time::OffsetDateTime>,
    ) -> Result<Revision> {
        self.authorize(actor, Access::Write, "Permission")?;
        let expires_at = expires_at.map(crate::model::to_micros);
        let r = Resource::parse(&self.catalogs, resource)?;
        let flags = self.scope_flags(&r, scope)?;
        let snap = self.snapshot();
        let who = self.resolve_principal(&snap.state, principal, to)?;
        let mut changes = Vec::new();
        for flag in flags {
            let existing = snap
                .state
                .permissions
                .values()
                .find(|p| is_scope_permission(p, &r, &flag));
            let pid = match existing {
                Some(p) => p.id,
                None => {
                    let t = now();
                    let p = Permission {
                        id: new_id(),
                        catalog: r.catalog.clone(),
                        entity: r.entity.clone(),
                        entity_uuid: Some(r.uuid.clone()),
                        grants: vec![flag.clone()],
                        denies: vec![],
                        conditions: vec![],
                        query_attributes: vec![],
                        read_attributes: vec![],
                        write_attributes: vec![],
                        description: format!(
                            "Allows for {flag} operations on resource: {}",
                            r.display()
                        ),
                        created_at: t,
                        updated_at: t,
                        version: 1,
                        created_by: actor.user,
                        entity_type: None,
                        scope: None,
                    };
                    let id = p.id;
                    changes.push(Change::Create(Object::Permission(p)));
                    id
                }
            };
            let link = Link::Grant {
                principal: who,
                permission: pid,
            };
            if expires_at.is_some() {
                super::expiry::check_end(&link, expires_at)?;
            }
            if !snap.state.grants.contains(&(who, pid)) {
                changes.push(Change::Link(link));
                if expires_at.is_some() {
                    changes.push(Change::Expire { link, expires_at });
                }
            } else if let Some(old) = snap.state.expiries.get(&link) {
                // Held already, with an end: granting never takes access away, so the end
                // moves to the later of the two (none is the latest); one already past is
                // given anew.
                let later = match expires_at {
                    None => true,
                    Some(new) => new > old,
                };
                if later || old <= now() {
                    changes.push(Change::Expire { link, expires_at });
                }
            }
        }
        self.commit(actor, changes).await
    }

    /// Revokes a scope (or every scope) on a resource from a principal. Refuses to remove the
    /// last holder of the guarded flag ("Cannot remove the only admin for resource"). A scope
    /// permission left with no holder is deleted.
    pub async fn revoke_resource(
        &self,
        actor: &Actor,
        resource: &str,
        principal: &str,
        scope: Option<&str>,
        to: GrantTo,
    ) -> Result<Revision> {
        self.authorize(actor, Access::Write, "Permission")?;
        let r = Resource::parse(&self.catalogs, resource)?;
        let flags = self.scope_flags(&r, scope)?;
        let snap = self.snapshot();
        let who = self.resolve_principal(&snap.state, principal, to)?;
        let guarded = self
            .catalogs
            .get(&r.catalog)
            .and_then(|c| c.guarded_flag.clone());
        let mut changes = Vec::new();
        for flag in flags {
            let Some(p) = snap
                .state
                .permissions
                .values()
                .find(|p| is_scope_permission(p, &r, &flag))
            else {
                continue;
            };
            if !snap.state.grants.contains(&(who, p.id)) {
                continue;
            }
            let left = holders(&snap.state, p.id).len() - 1;
            if guarded.as_deref() == Some(flag.as_str()) && left == 0 {
                return Err(Error::invalid(
                    "principal",
                    format!("Cannot remove the only admin for resource {}", r.display()),
                ));
            }
            changes.push(Change::Unlink(Link::Grant {
                principal: who,
                permission: p.id,
            }));
            let in_roles = snap
                .state
                .role_permissions
                .iter()
                .any(|(_, pp)| *pp == p.id);
            if left == 0 && !in_roles {
                changes.push(Change::Delete {
                    kind: ObjectKind::Permission,
                    id: p.id,
                    expected_version: None,
                    cascade: false,
                });
            }
        }
        if changes.is_empty() {
            return Err(Error::NotFound {
                kind: "grant".into(),
                name: format!("{principal} on {}", r.display()),
                hint: format!("; see `gatehouse permissions ls {}`", r.display()),
            });
        }
        self.commit(actor, changes).await
    }

    /// Who holds which scopes on a resource (okdata's `permissions ls RESOURCE`), sorted as
    /// okdata sorts them: by user type (`client`, `team`, `user`), then name.
    pub fn resource_grants(&self, actor: &Actor, resource: &str) -> Result<Vec<ResourceGrant>> {
        self.authorize(actor, Access::Read, "Permission")?;
        let r = Resource::parse(&self.catalogs, resource)?;
        let snap = self.snapshot();
        let s = &snap.state;
        type Held = Vec<(String, Option<time::OffsetDateTime>)>;
        let mut rows: std::collections::BTreeMap<(u8, String), (ResourceGrant, Held)> =
            Default::default();
        for p in s.permissions.iter().filter(|p| {
            p.catalog() == r.catalog
                && p.entity() == r.entity
                && p.entity_uuid() == Some(r.uuid.as_str())
        }) {
            for pr in holders(s, p.id()) {
                let (order, name, kind) = match pr {
                    Principal::Team(t) => {
                        (1, s.teams.get(&t).map(|t| t.key.clone()), GrantTo::Team)
                    }
                    Principal::User(u) => match s.users.get(&u) {
                        Some(u) if u.kind == UserKind::Service => {
                            (0, Some(u.username.clone()), GrantTo::Client)
                        }
                        Some(u) => (2, Some(u.username.clone()), GrantTo::User),
                        None => (2, None, GrantTo::User),
                    },
                };
                let Some(name) = name else { continue };
                let (_, held) = rows.entry((order, name.clone())).or_insert_with(|| {
                    let row = ResourceGrant {
                        name,
                        kind,
                        scopes: vec![],
                        expires_at: None,
                        scope_ends: vec![],
                    };
                    (row, Vec::new())
                });
                let end = s.expiries.get(&Link::Grant {
                    principal: pr,
                    permission: p.id(),
                });
                for g in p.grants() {
                    held.push((r.scope(g), end));
                }
            }
        }
        Ok(rows
            .into_values()
            .map(|(mut row, held)| {
                row.set_scopes(held);
                row
            })
            .collect())
    }

    /// The resources (with scopes) a user holds directly or through their teams (okdata's
    /// `permissions ls` with no resource), sorted by resource name.
    pub fn my_resource_grants(&self, user: Id) -> Vec<(String, Vec<String>)> {
        let snap = self.snapshot();
        let s = &snap.state;
        // A relation past its end gives nothing, pruned or not.
        let t = crate::model::now();
        let teams: Vec<Id> = s
            .members
            .keys()
            .filter(|(_, u)| *u == user)
            .map(|(t, _)| *t)
            .filter(|&team| {
                let member = Link::Member {
                    team,
                    user,
                    role: None,
                };
                !s.expiries.ended(&member, t)
            })
            .collect();
        let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (pr, pid) in &s.grants {
            let grant = Link::Grant {
                principal: *pr,
                permission: *pid,
            };
            if s.expiries.ended(&grant, t) {
                continue;
            }
            let mine = match pr {
                Principal::User(u) => *u == user,
                Principal::Team(t) => teams.contains(t),
            };
            let Some(p) = s.permissions.get(pid) else {
                continue;
            };
            let Some(uuid) = &p.entity_uuid else { continue };
            if !mine {
                continue;
            }
            let r = Resource {
                catalog: p.catalog.clone(),
                entity: p.entity.clone(),
                uuid: uuid.clone(),
            };
            let e = out.entry(r.display()).or_default();
            e.extend(p.grants.iter().map(|g| r.scope(g)));
        }
        out.into_iter()
            .map(|(k, mut v)| {
                v.sort();
                v.dedup();
                (k, v)
            })
            .collect()
    }
}
