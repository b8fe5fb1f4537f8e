//! "Create default roles and permissions" on a Mage server: `POST /api/seeds` starts Mage's own
//! seeding in a background thread on the server (about 18 minutes for every policy on a 2-core
//! machine, `docs/MAGE.md` §3); gatehouse then polls the roles and reports progress until the
//! roles and links of Mage's seed (gatehouse's copy of it) all exist. The dry run compares the
//! server with gatehouse's copy of Mage's seed and writes nothing.

use super::MageBackend;
use crate::backend::document::{Count, DocPermission};
use crate::backend::{Error, ImportReport, PolicyDoc, Result};
use crate::backend::{PresetProgress, ProgressSink};
use crate::policy::{PermRef, State};
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// How often the roles are polled while Mage seeds.
const POLL: Duration = Duration::from_secs(2);
/// When Mage's seed stops short of gatehouse's copy, how long without change ends the wait.
const SETTLED: Duration = Duration::from_secs(90);

/// How long to wait for Mage's seed: `$GATEHOUSE_MAGE_SEED_TIMEOUT` seconds, else 45 minutes.
fn timeout() -> Duration {
    std::env::var("GATEHOUSE_MAGE_SEED_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(45 * 60))
}

fn same(d: &DocPermission, p: &PermRef<'_>) -> bool {
    let [query, read, write] = p.attributes();
    p.entity() == d.entity
        && p.entity_uuid().is_none()
        && p.grants() == sorted(&d.grants)
        && p.denies() == sorted(&d.denies)
        && p.conditions() == sorted(&d.conditions)
        && query == d.query_attributes
        && read == d.read_attributes
        && write == d.write_attributes
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

/// The part of Mage's seed limited to `policy_names` (entity names), as Mage's own
/// `policy_names` does: the six roles are always created (empty when no rule is theirs), and
/// the hand-written `User` rows are always added (observed on 0.9.80).
pub fn limited(mut doc: PolicyDoc, policy_names: Option<&[String]>) -> PolicyDoc {
    let Some(names) = policy_names else {
        return doc;
    };
    doc.permissions
        .retain(|p| p.entity == "User" || names.contains(&p.entity));
    let keys: BTreeSet<String> = doc.permissions.iter().map(|p| p.key.clone()).collect();
    for r in &mut doc.roles {
        r.permissions.retain(|k| keys.contains(k));
    }
    doc
}

/// What of `doc` the server already holds: (roles, permissions, links) present.
fn present(doc: &PolicyDoc, s: &State) -> (usize, usize, usize) {
    fn find<'a>(s: &'a State, d: &'a DocPermission) -> impl Iterator<Item = PermRef<'a>> + 'a {
        s.permissions.iter().filter(move |p| same(d, p))
    }
    let roles = doc
        .roles
        .iter()
        .filter(|r| s.role_by_name(&r.name).is_some())
        .count();
    let perms = doc
        .permissions
        .iter()
        .filter(|d| find(s, d).next().is_some())
        .count();
    let mut links = 0;
    for r in &doc.roles {
        let Some(role) = s.role_by_name(&r.name) else {
            continue;
        };
        for key in &r.permissions {
            let Some(d) = doc.permissions.iter().find(|d| &d.key == key) else {
                continue;
            };
            if find(s, d).any(|p| s.role_permissions.contains(&(role.id, p.id()))) {
                links += 1;
            }
        }
    }
    (roles, perms, links)
}

fn count(total: usize, present: usize) -> Count {
    Count {
        created: total.saturating_sub(present),
        present,
    }
}

/// Runs (or, with `dry_run`, previews) Mage's seed, limited to `policy_names` when given.
pub(super) async fn run(
    b: &MageBackend,
    before: &State,
    dry_run: bool,
    policy_names: Option<&[String]>,
    progress: ProgressSink,
) -> Result<ImportReport> {
    let doc = limited(crate::presets::document("mage", &b.catalogs)?, policy_names);
    let links_total: usize = doc.roles.iter().map(|r| r.permissions.len()).sum();
    let (r0, p0, l0) = present(&doc, before);
    if dry_run {
        return Ok(ImportReport {
            dry_run: true,
            roles: count(doc.roles.len(), r0),
            permissions: count(doc.permissions.len(), p0),
            links: count(links_total, l0),
            created_roles: doc
                .roles
                .iter()
                .filter(|r| before.role_by_name(&r.name).is_none())
                .map(|r| r.name.clone())
                .collect(),
            revision: before.revision,
            ..ImportReport::default()
        });
    }
    let mut seed = json!({"roles": true, "permissions": true});
    if let Some(names) = policy_names {
        seed["policy_names"] = json!(names);
    }
    b.client
        .call(Method::POST, "seeds", Some(&json!({ "seed": seed })))
        .await?;
    let started = Instant::now();
    let limit = timeout();
    let mut last: Option<(usize, usize)> = None;
    let mut changed_at: Option<Instant> = None;
    loop {
        tokio::time::sleep(POLL).await;
        let (now_state, _) = b.fetch().await?;
        let (roles, _, links) = present(&doc, &now_state);
        let shape = (now_state.roles.len(), now_state.role_permissions.len());
        if last.is_some_and(|l| l != shape) {
            changed_at = Some(Instant::now());
        }
        last = Some(shape);
        let secs = started.elapsed().as_secs();
        progress(PresetProgress {
            message: format!(
                "Mage is creating its default roles and permissions: {roles} of {} roles, {links} of {links_total} links ({}m {:02}s)",
                doc.roles.len(),
                secs / 60,
                secs % 60
            ),
            done: roles,
            total: doc.roles.len(),
        });
        if roles == doc.roles.len() && links == links_total {
            break;
        }
        // Mage's seed differs from gatehouse's copy (another Mage version): once it has made
        // changes and then stopped for a while, report what it did.
        if changed_at.is_some_and(|t| t.elapsed() > SETTLED) {
            break;
        }
        if started.elapsed() > limit {
            return Err(Error::Unreachable(format!(
                "Mage's seed had made {roles} of {} roles and {links} of {links_total} links after \
                 {} s; it goes on in the server's background — refresh later (raise \
                 GATEHOUSE_MAGE_SEED_TIMEOUT to wait longer)",
                doc.roles.len(),
                limit.as_secs()
            )));
        }
    }
    let after = b.refresh().await?.0;
    let (r1, p1, l1) = present(&doc, &after);
    Ok(ImportReport {
        dry_run: false,
        roles: Count {
            created: r1.saturating_sub(r0),
            present: r0,
        },
        permissions: Count {
            created: p1.saturating_sub(p0),
            present: p0,
        },
        links: Count {
            created: l1.saturating_sub(l0),
            present: l0,
        },
        created_roles: doc
            .roles
            .iter()
            .filter(|r| before.role_by_name(&r.name).is_none())
            .map(|r| r.name.clone())
            .collect(),
        revision: after.revision,
        ..ImportReport::default()
    })
}

impl MageBackend {
    /// Runs Mage's own seed limited to `policy_names` (entity names such as `Pipeline`), as
    /// Mage's `POST /api/seeds` allows; a short seed for tests and for trying the button.
    pub async fn seed_policies(
        &self,
        policy_names: &[String],
        dry_run: bool,
        progress: ProgressSink,
    ) -> Result<ImportReport> {
        let before = self.refresh().await?.0;
        let r = run(self, &before, dry_run, Some(policy_names), progress).await;
        self.invalidate();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limited_seed_keeps_only_the_named_entities_and_their_roles() {
        let cats = crate::catalog::Catalogs::builtin().unwrap();
        let doc = crate::presets::document("mage", &cats).unwrap();
        let names = vec!["Pipeline".to_string()];
        let d = limited(doc.clone(), Some(&names));
        assert!(
            d.permissions
                .iter()
                .all(|p| p.entity == "Pipeline" || p.entity == "User")
        );
        assert!(d.permissions.iter().any(|p| p.entity == "Pipeline"));
        assert!(d.permissions.len() < doc.permissions.len());
        assert_eq!(d.roles.len(), 6, "Mage creates all six roles, some empty");
        let (r, p, l) = present(&d, &State::default());
        assert_eq!((r, p, l), (0, 0, 0));
    }
}
