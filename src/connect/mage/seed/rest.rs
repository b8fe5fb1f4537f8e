//! The REST seed: Mage's default roles and permissions written through Mage's own REST API
//! (`docs/MAGE.md` §3.1), in well under a minute where Mage's own seed takes 18–36.
//!
//! It reads the server's roles and permissions, plans ([`super::plan`]), creates the missing
//! roles, then the missing permissions (`POST /api/permissions`, a bounded number in flight:
//! [`concurrency`]), reads again and plans again — every permission just made must be found —
//! then sends one `PUT /api/roles/:id` per role lacking links, carrying the role's current
//! permissions and users with the new permissions (Mage replaces both sets with what the body
//! holds, so nothing is dropped). A last read checks that nothing is missing. Resumable: an
//! interrupted run (an error, or the future dropped) leaves what it wrote, and the next run plans
//! only what is still missing; a run after a complete one writes nothing.

use super::super::client::MageClient;
use super::super::wire::{MagePermission, MageRole};
use super::super::writes;
use super::plan::{Plan, Seed, SeedRow, plan};
use crate::backend::{Error, ImportReport, PresetProgress, ProgressSink, Result, RoleSpec};
use futures_util::stream::{self, TryStreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The environment variable that sets how many requests are in flight.
pub const CONCURRENCY_VAR: &str = "GATEHOUSE_MAGE_SEED_CONCURRENCY";
/// Requests in flight by default (Mage answers one at a time; two keep it busy).
pub const DEFAULT_CONCURRENCY: usize = 2;
/// The most requests in flight allowed.
pub const MAX_CONCURRENCY: usize = 16;

/// Requests in flight: `value` (the variable's text) when set, else the default.
pub fn parse_concurrency(value: Option<&str>) -> Result<usize> {
    let Some(v) = value else {
        return Ok(DEFAULT_CONCURRENCY);
    };
    match v.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n),
        _ => Err(Error::invalid(
            CONCURRENCY_VAR,
            format!("'{v}' is not a number of requests from 1 to {MAX_CONCURRENCY}"),
        )),
    }
}

/// Requests in flight, from `$GATEHOUSE_MAGE_SEED_CONCURRENCY` (1–16, default 2).
pub fn concurrency() -> Result<usize> {
    parse_concurrency(std::env::var(CONCURRENCY_VAR).ok().as_deref())
}

/// The server's roles and (non-legacy and legacy) permissions, with their option lists.
pub async fn read(c: &MageClient) -> Result<(Vec<MageRole>, Vec<MagePermission>)> {
    tokio::try_join!(
        c.list::<MageRole>("roles", ""),
        c.list::<MagePermission>("permissions", "_format=role/detail"),
    )
}

/// The body of `POST /api/permissions` for a seed row: only the option lists the row has, as
/// Mage's seed stores them (so Mage's own seed finds the row equal afterwards).
pub fn permission_body(row: &SeedRow) -> Value {
    let mut p = json!({
        "entity_name": row.entity_name,
        "access": row.access,
        "entity": "global",
    });
    for (key, list) in [
        ("conditions", &row.conditions),
        ("query_attributes", &row.query_attributes),
        ("read_attributes", &row.read_attributes),
        ("write_attributes", &row.write_attributes),
    ] {
        if !list.is_empty() {
            p[key] = json!(list);
        }
    }
    json!({ "permission": p })
}

/// Keeps `e`'s kind and says what was done before it.
fn stopped(e: Error, done: &str) -> Error {
    let tell = |m: String| {
        format!("{m} (the seed stopped after {done}; run it again to continue from there)")
    };
    match e {
        Error::Invalid { field, message } => Error::Invalid {
            field,
            message: tell(message),
        },
        Error::NotFound { kind, name, hint } => Error::NotFound {
            kind,
            name,
            hint: tell(hint),
        },
        Error::Conflict(m) => Error::Conflict(tell(m)),
        Error::Stale {
            message,
            current_version,
        } => Error::Stale {
            message: tell(message),
            current_version,
        },
        Error::Forbidden(m) => Error::Forbidden(tell(m)),
        Error::Unsupported { what, backend, why } => Error::Unsupported {
            what,
            backend,
            why: tell(why),
        },
        Error::Unreachable(m) => Error::Unreachable(tell(m)),
        Error::Store(m) => Error::Store(tell(m)),
        // Said of a store file, never of a Mage call: kept as it is.
        e @ Error::NoStore { .. } => e,
    }
}

/// Counts what was written and tells the progress sink.
struct Progress {
    sink: ProgressSink,
    total: usize,
    done: AtomicUsize,
    roles: AtomicUsize,
    permissions: AtomicUsize,
    links: AtomicUsize,
    first: Plan,
}

impl Progress {
    fn new(sink: ProgressSink, first: Plan) -> Progress {
        let total = first.roles.len() + first.permissions.len() + first.links.len();
        Progress {
            sink,
            total,
            done: AtomicUsize::new(0),
            roles: AtomicUsize::new(0),
            permissions: AtomicUsize::new(0),
            links: AtomicUsize::new(0),
            first,
        }
    }

    /// What was written so far, in words.
    fn said(&self) -> String {
        format!(
            "{} of {} roles, {} of {} permissions, links of {} of {} roles",
            self.roles.load(Ordering::SeqCst),
            self.first.roles.len(),
            self.permissions.load(Ordering::SeqCst),
            self.first.permissions.len(),
            self.links.load(Ordering::SeqCst),
            self.first.links.len(),
        )
    }

    fn step(&self, counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::SeqCst);
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        self.tell(done);
    }

    fn tell(&self, done: usize) {
        (self.sink)(PresetProgress {
            message: format!(
                "Creating Mage's defaults through its REST API: {}",
                self.said()
            ),
            done,
            total: self.total,
        });
    }
}

/// Runs (or, with `dry_run`, plans) the REST seed of `seed` with `inflight` requests at once.
pub async fn run(
    c: &MageClient,
    seed: &Seed,
    dry_run: bool,
    inflight: usize,
    sink: ProgressSink,
) -> Result<ImportReport> {
    let (roles, perms) = read(c).await?;
    let first = plan(seed, &roles, &perms);
    let mut report = first.report(seed);
    report.dry_run = dry_run;
    if dry_run || first.is_empty() {
        return Ok(report);
    }
    let p = Progress::new(sink, first);
    p.tell(0);
    write(c, seed, inflight, &p)
        .await
        .map_err(|e| stopped(e, &p.said()))?;
    Ok(report)
}

async fn write(c: &MageClient, seed: &Seed, inflight: usize, p: &Progress) -> Result<()> {
    for name in &p.first.roles {
        let spec = RoleSpec {
            name: name.clone(),
            ..RoleSpec::default()
        };
        match writes::create_role(c, spec).await {
            // Made meanwhile by someone else: the second plan finds it.
            Ok(_) | Err(Error::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
        p.step(&p.roles);
    }
    // Owned bodies: a stream of borrowed items is not `Send` for every lifetime.
    let bodies: Vec<Value> = p
        .first
        .permissions
        .iter()
        .filter_map(|&i| seed.rows.get(i))
        .map(permission_body)
        .collect();
    stream::iter(bodies.into_iter().map(Ok::<Value, Error>))
        .map_ok(|body| async move {
            c.call(Method::POST, "permissions?_format=role/detail", Some(&body))
                .await?;
            p.step(&p.permissions);
            Ok(())
        })
        .try_buffer_unordered(inflight)
        .try_collect::<Vec<()>>()
        .await?;
    let (roles, perms) = read(c).await?;
    let second = plan(seed, &roles, &perms);
    if !second.roles.is_empty() || !second.permissions.is_empty() {
        return Err(Error::Store(format!(
            "after creating them, the Mage server does not show {} role(s) and {} \
             permission(s) of the seed as written",
            second.roles.len(),
            second.permissions.len()
        )));
    }
    let jobs = second.link_ids()?;
    let names: Vec<String> = second.links.iter().map(|l| l.role.clone()).collect();
    stream::iter(jobs.into_iter().zip(names).map(Ok::<_, Error>))
        .map_ok(|((role, add), name)| async move {
            link_role(c, role, &name, &add).await?;
            p.step(&p.links);
            Ok(())
        })
        .try_buffer_unordered(inflight)
        .try_collect::<Vec<()>>()
        .await?;
    let (roles, perms) = read(c).await?;
    let last = plan(seed, &roles, &perms);
    if !last.is_empty() {
        return Err(Error::Store(format!(
            "after the links were written, the Mage server still lacks {} role(s), {} \
             permission(s) and {} link(s) of the seed",
            last.roles.len(),
            last.permissions.len(),
            last.missing_links()
        )));
    }
    Ok(())
}

/// Adds permissions `add` to role `role` (named `name`) in one PUT, sending its current
/// permissions and users back with them.
async fn link_role(c: &MageClient, role: i64, name: &str, add: &[i64]) -> Result<()> {
    let cur = writes::get_role(c, role).await?;
    if cur.name != name {
        return Err(Error::Conflict(format!(
            "Mage role {role} is now '{}', not '{name}': it was changed meanwhile",
            cur.name
        )));
    }
    let mut ids = cur.permission_ids();
    ids.extend_from_slice(add);
    ids.sort_unstable();
    ids.dedup();
    let users: Vec<i64> = cur.users.iter().flatten().map(|u| u.id).collect();
    c.call(
        Method::PUT,
        &format!("roles/{role}"),
        Some(&json!({"role": {"permission_ids": ids, "user_ids": users}})),
    )
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_is_two_unless_set_from_one_to_sixteen() {
        assert_eq!(parse_concurrency(None).unwrap(), 2);
        assert_eq!(parse_concurrency(Some("1")).unwrap(), 1);
        assert_eq!(parse_concurrency(Some(" 16 ")).unwrap(), 16);
        for bad in ["0", "17", "-1", "two", ""] {
            let e = parse_concurrency(Some(bad)).unwrap_err();
            assert!(
                matches!(&e, Error::Invalid { field, .. } if field == CONCURRENCY_VAR),
                "{bad}: {e:?}"
            );
        }
    }

    #[test]
    fn a_permission_body_carries_only_the_lists_the_row_has() {
        let row = SeedRow {
            entity_name: "User".into(),
            access: 9216,
            conditions: vec![],
            query_attributes: vec![],
            read_attributes: vec!["b".into(), "a".into()],
            write_attributes: vec![],
        };
        assert_eq!(
            permission_body(&row),
            json!({"permission": {"entity_name": "User", "access": 9216, "entity": "global",
                                  "read_attributes": ["b", "a"]}})
        );
    }

    #[test]
    fn a_stopped_seed_keeps_the_error_kind_and_says_what_was_done() {
        let e = stopped(Error::Forbidden("no".into()), "3 of 6 roles");
        assert!(matches!(&e, Error::Forbidden(m) if m.contains("3 of 6 roles")));
        let e = stopped(Error::Unreachable("down".into()), "x");
        assert_eq!(e.exit_code(), 6);
        assert!(e.to_string().contains("run it again"));
    }
}
