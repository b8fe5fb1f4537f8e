//! Mage's own seed, behind a flag (`defaults apply mage --mage-seed`, the console dialog's
//! `s`): `POST /api/seeds` starts Mage's seeding in a background thread on the server (18–36
//! minutes for every policy on a 2-core machine, `docs/MAGE.md` §3); gatehouse then polls the
//! roles and permissions and reports progress until the roles and links of Mage's seed
//! (gatehouse's copy of it) all exist.

use super::super::client::MageClient;
use super::plan::{Plan, Seed, plan};
use super::rest::read;
use crate::backend::{Error, ImportReport, PresetProgress, ProgressSink, Result};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

/// How often the server is polled while Mage seeds.
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

fn done(p: &Plan) -> (usize, usize) {
    (p.counts[0].0, p.counts[2].0)
}

/// Starts Mage's own seed (limited to `policy_names` when given) and waits for it.
pub async fn run(
    c: &MageClient,
    seed: &Seed,
    policy_names: Option<&[String]>,
    progress: ProgressSink,
) -> Result<ImportReport> {
    let (roles, perms) = read(c).await?;
    let first = plan(seed, &roles, &perms);
    let mut body = json!({"roles": true, "permissions": true});
    if let Some(names) = policy_names {
        body["policy_names"] = json!(names);
    }
    c.call(Method::POST, "seeds", Some(&json!({ "seed": body })))
        .await?;
    let links_total = seed.link_count();
    let started = Instant::now();
    let limit = timeout();
    let mut last: Option<(usize, usize)> = None;
    let mut changed_at: Option<Instant> = None;
    loop {
        tokio::time::sleep(POLL).await;
        let (roles, perms) = read(c).await?;
        let (made_roles, links) = done(&plan(seed, &roles, &perms));
        let shape = (roles.len(), perms.len());
        if last.is_some_and(|l| l != shape) {
            changed_at = Some(Instant::now());
        }
        last = Some(shape);
        let secs = started.elapsed().as_secs();
        progress(PresetProgress {
            message: format!(
                "Mage is creating its default roles and permissions: {made_roles} of {} roles, \
                 {links} of {links_total} links ({}m {:02}s)",
                seed.roles.len(),
                secs / 60,
                secs % 60
            ),
            done: links,
            total: links_total,
        });
        if made_roles == seed.roles.len() && links == links_total {
            break;
        }
        // Mage's seed differs from gatehouse's copy (another Mage version): once it has made
        // changes and then stopped for a while, report what it did.
        if changed_at.is_some_and(|t| t.elapsed() > SETTLED) {
            break;
        }
        if started.elapsed() > limit {
            return Err(Error::Unreachable(format!(
                "Mage's seed had made {made_roles} of {} roles and {links} of {links_total} \
                 links after {} s; it goes on in the server's background — refresh later \
                 (raise GATEHOUSE_MAGE_SEED_TIMEOUT to wait longer)",
                seed.roles.len(),
                limit.as_secs()
            )));
        }
    }
    let (roles, perms) = read(c).await?;
    let after = plan(seed, &roles, &perms);
    let mut report = first.report(seed);
    // What Mage made: the difference between the two plans (what it did not make stays
    // counted as neither present nor created).
    for (i, count) in [
        &mut report.roles,
        &mut report.permissions,
        &mut report.links,
    ]
    .into_iter()
    .enumerate()
    {
        count.created = after.counts[i].0.saturating_sub(first.counts[i].0);
    }
    Ok(report)
}
