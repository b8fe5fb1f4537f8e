//! The server's Prometheus metrics (`GET /metrics`, text exposition format 0.0.4): requests by
//! route template and status, the latency of engine questions, decisions, the revision served
//! and the store's, and authentication failures by reason. One registry per server (no global
//! state: two servers in one process count apart). Every label value comes from a fixed set
//! (the route table's templates, status codes, method names), never from the request's path.
//! docs/OPERATING.md lists every metric.

use super::auth_log::AuthFailure;
use crate::model::Revision;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode_registry;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::collections::HashSet;

/// The `Content-Type` of the exposition.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The check latency buckets, in seconds: 50 µs to 5 s.
const CHECK_BUCKETS: [f64; 14] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 5.0,
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    decision: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: &'static str,
}

fn check_histogram() -> Histogram {
    Histogram::new(CHECK_BUCKETS)
}

/// The metrics of one server.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    check_seconds: Family<RouteLabels, Histogram, fn() -> Histogram>,
    decisions: Family<DecisionLabels, Counter>,
    revision: Gauge,
    store_revision: Gauge,
    lag: Gauge,
    auth_failures: Family<ReasonLabels, Counter>,
}

fn gauge_value(r: Revision) -> i64 {
    i64::try_from(r).unwrap_or(i64::MAX)
}

impl Metrics {
    pub(crate) fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "gatehouse_http_requests",
            "Requests answered, by method, route template and status",
            requests.clone(),
        );
        let check_seconds: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(check_histogram);
        registry.register(
            "gatehouse_check_duration_seconds",
            "Time to answer an engine question (/check, /explain, /decide-call, /who-can, /what-can), by route",
            check_seconds.clone(),
        );
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register(
            "gatehouse_decisions",
            "Decisions answered by /check (each of a batch), /explain and /decide-call, by allow or deny",
            decisions.clone(),
        );
        for d in ["allow", "deny"] {
            let _ = decisions.get_or_create(&DecisionLabels { decision: d });
        }
        let revision = Gauge::default();
        registry.register(
            "gatehouse_revision",
            "The store revision this server answers from",
            revision.clone(),
        );
        let store_revision = Gauge::default();
        registry.register(
            "gatehouse_store_revision",
            "The store's revision as last read (about every second)",
            store_revision.clone(),
        );
        let lag = Gauge::default();
        registry.register(
            "gatehouse_replica_lag_revisions",
            "How many revisions the store is ahead of this server (store revision - served revision)",
            lag.clone(),
        );
        let auth_failures = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "gatehouse_auth_failures",
            "Requests refused: 401 missing_key or invalid_key, 403 read_only or forbidden",
            auth_failures.clone(),
        );
        for r in [
            AuthFailure::MissingKey,
            AuthFailure::InvalidKey,
            AuthFailure::ReadOnly,
            AuthFailure::Forbidden,
        ] {
            let _ = auth_failures.get_or_create(&ReasonLabels { reason: r.as_str() });
        }
        let build = Family::<VersionLabels, Gauge>::default();
        registry.register(
            "gatehouse_build_info",
            "Always 1, labelled with the server's version",
            build.clone(),
        );
        build
            .get_or_create(&VersionLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        Metrics {
            registry,
            requests,
            check_seconds,
            decisions,
            revision,
            store_revision,
            lag,
            auth_failures,
        }
    }

    /// One request answered.
    pub(crate) fn request(&self, method: &'static str, route: &'static str, status: u16) {
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// The time one engine question took.
    pub(crate) fn check_latency(&self, route: &'static str, seconds: f64) {
        self.check_seconds
            .get_or_create(&RouteLabels { route })
            .observe(seconds);
    }

    /// One decision answered.
    pub(crate) fn decision(&self, allowed: bool) {
        let n = u64::from(allowed);
        self.decisions(n, 1 - n);
    }

    /// Decisions answered: `allowed` of them allowed, `denied` denied.
    pub(crate) fn decisions(&self, allowed: u64, denied: u64) {
        if allowed > 0 {
            self.decisions
                .get_or_create(&DecisionLabels { decision: "allow" })
                .inc_by(allowed);
        }
        if denied > 0 {
            self.decisions
                .get_or_create(&DecisionLabels { decision: "deny" })
                .inc_by(denied);
        }
    }

    /// One request refused.
    pub(crate) fn auth_failure(&self, why: AuthFailure) {
        self.auth_failures
            .get_or_create(&ReasonLabels {
                reason: why.as_str(),
            })
            .inc();
    }

    /// The exposition, with the revision gauges as of now: `served` is the snapshot's
    /// revision, `store` the store's as last read.
    pub(crate) fn render(&self, served: Revision, store: Revision) -> String {
        self.revision.set(gauge_value(served));
        self.store_revision.set(gauge_value(store));
        self.lag.set(gauge_value(store.saturating_sub(served)));
        let mut open_metrics = String::new();
        if let Err(e) = encode_registry(&mut open_metrics, &self.registry) {
            tracing::warn!("cannot encode the metrics: {e}");
        }
        text_004(&open_metrics)
    }
}

/// The Prometheus text format 0.0.4 of an OpenMetrics text exposition (without its `# EOF`):
/// the same lines but a counter's `# HELP` and `# TYPE` name its samples (`…_total`).
fn text_004(open: &str) -> String {
    let counters: HashSet<&str> = open
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(open.len() + 16 * counters.len());
    for line in open.lines() {
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|tag| {
            let rest = line.strip_prefix(tag)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{tag}{name}_total {tail}"))
        });
        match renamed {
            Some(l) => out.push_str(&l),
            None if line == "# EOF" => continue,
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_named_by_their_samples_and_there_is_no_eof() {
        let m = Metrics::new();
        m.request("GET", "/api/v1/roles", 200);
        m.decisions(2, 1);
        m.check_latency("/api/v1/check", 0.0003);
        let text = m.render(7, 9);
        assert!(
            text.contains("# TYPE gatehouse_http_requests_total counter\n"),
            "{text}"
        );
        assert!(text.contains(
            "gatehouse_http_requests_total{method=\"GET\",route=\"/api/v1/roles\",status=\"200\"} 1\n"
        ));
        assert!(text.contains("gatehouse_decisions_total{decision=\"allow\"} 2\n"));
        assert!(text.contains("gatehouse_decisions_total{decision=\"deny\"} 1\n"));
        assert!(text.contains("gatehouse_revision 7\n"));
        assert!(text.contains("gatehouse_store_revision 9\n"));
        assert!(text.contains("gatehouse_replica_lag_revisions 2\n"));
        assert!(
            text.contains(
                "gatehouse_check_duration_seconds_bucket{le=\"0.0005\",route=\"/api/v1/check\"} 1\n"
            ),
            "{text}"
        );
        assert!(!text.contains("# EOF"));
        // Every sample belongs to a family named by a TYPE line (0.0.4's rule).
        let typed: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE ")?.split(' ').next())
            .collect();
        for sample in text.lines().filter(|l| !l.starts_with('#')) {
            let name = sample.split(['{', ' ']).next().unwrap();
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s).filter(|f| typed.contains(f)))
                .unwrap_or(name);
            assert!(typed.contains(&family), "{sample} has no TYPE line");
        }
    }
}
