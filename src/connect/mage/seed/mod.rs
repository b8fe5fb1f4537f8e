//! "Create default roles and permissions" on a Mage server (`docs/MAGE.md` §3 and §3.1).
//!
//! - [`plan`]: what of Mage's seed (gatehouse's copy of it, the `mage` preset) a server lacks;
//!   pure, shared by everything below and by the dry run.
//! - [`rest`]: the default — the missing rows written through Mage's REST API with a bounded
//!   number of requests in flight; resumable and idempotent; under a minute.
//! - [`server`]: Mage's own seed (`POST /api/seeds`), 18–36 minutes, behind a flag.

pub mod plan;
pub mod rest;
pub mod server;

use super::MageBackend;
use crate::backend::{ImportReport, PolicyDoc, ProgressSink, Result};
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

/// Which way the default roles and permissions are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// gatehouse writes the missing rows through Mage's REST API ([`rest`]).
    Rest,
    /// Mage's own seed (`POST /api/seeds`), waited for ([`server`]).
    MageOwn,
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

impl MageBackend {
    /// Creates Mage's default roles and permissions `how` (or, with `dry_run`, says what the
    /// REST seed would create, writing nothing), limited to `policy_names` (entity names such
    /// as `Pipeline`) when given.
    pub async fn seed(
        &self,
        how: How,
        policy_names: Option<&[String]>,
        dry_run: bool,
        progress: ProgressSink,
    ) -> Result<ImportReport> {
        if !dry_run {
            self.writable()?;
        }
        let doc = limited(
            crate::presets::document("mage", &self.catalogs)?,
            policy_names,
        );
        let seed = plan::Seed::from_doc(&doc, self.mage())?;
        let c = &self.client;
        let r = match how {
            _ if dry_run => rest::run(c, &seed, true, 1, progress).await,
            How::Rest => rest::run(c, &seed, false, rest::concurrency()?, progress).await,
            How::MageOwn => server::run(c, &seed, policy_names, progress).await,
        };
        let wrote = r.as_ref().map_or(true, |r| {
            !r.dry_run && r.roles.created + r.permissions.created + r.links.created > 0
        });
        let revision = if wrote {
            self.invalidate()
        } else {
            self.revision.load(Ordering::SeqCst)
        };
        let mut r = r?;
        r.revision = revision;
        Ok(r)
    }

    /// Runs Mage's own seed limited to `policy_names` (entity names such as `Pipeline`), as
    /// Mage's `POST /api/seeds` allows; a short seed for tests and for trying the button.
    pub async fn seed_policies(
        &self,
        policy_names: &[String],
        dry_run: bool,
        progress: ProgressSink,
    ) -> Result<ImportReport> {
        self.seed(How::MageOwn, Some(policy_names), dry_run, progress)
            .await
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
        let seed = plan::Seed::from_doc(&d, cats.get("mage").unwrap()).unwrap();
        let p = plan::plan(&seed, &[], &[]);
        assert_eq!(p.roles.len(), 6);
        assert_eq!(p.permissions.len(), d.permissions.len());
        assert_eq!(p.counts[0].0 + p.counts[1].0 + p.counts[2].0, 0);
    }
}
