//! Authentication failures, counted per key prefix and logged at `info` at most once per second
//! per prefix with how many there were: a client retrying a revoked key, or someone guessing,
//! is visible in the log without one line per request.

use rustc_hash::FxHashMap as HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The shortest time between two log lines about one key prefix.
pub(crate) const REPORT_EVERY: Duration = Duration::from_secs(1);

/// How many characters of a presented key name it in the log (`ghk_` and 8 more, as key
/// listings show them: not enough to use it).
const PREFIX_CHARS: usize = 12;

/// The most prefixes tracked at once; failures of any further prefix count under `(other)`.
const MAX_PREFIXES: usize = 1024;

/// A prefix is forgotten after this long without failures.
const FORGET_AFTER: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
struct Pending {
    /// Failures not logged yet.
    count: u64,
    /// When a line about this prefix was last logged.
    logged: Instant,
}

/// The failures of one server (shared by its requests).
#[derive(Debug, Default)]
pub(crate) struct AuthFailures {
    pending: Mutex<HashMap<String, Pending>>,
}

/// What names a presented key in the log: its first characters when it looks like a key,
/// `(none)` without one, `(malformed)` otherwise (never arbitrary client text).
pub(crate) fn prefix_of(secret: Option<&str>) -> String {
    let Some(secret) = secret else {
        return "(none)".into();
    };
    let shown: String = secret.chars().take(PREFIX_CHARS).collect();
    if shown
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        shown
    } else {
        "(malformed)".into()
    }
}

impl AuthFailures {
    /// A log whose pending counts a task reports once due while the log is in use (when there
    /// is a runtime to run it on), and the rest when it is dropped.
    pub(crate) fn new() -> Arc<AuthFailures> {
        let log = Arc::new(AuthFailures::default());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(report_pending(Arc::downgrade(&log)));
        }
        log
    }

    /// Counts one failure of `prefix`; logs it (with the failures counted since the last
    /// line) unless a line about that prefix was logged less than a second ago.
    pub(crate) fn note(&self, prefix: String) {
        let now = Instant::now();
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        let prefix = if pending.len() >= MAX_PREFIXES && !pending.contains_key(&prefix) {
            "(other)".to_string()
        } else {
            prefix
        };
        match pending.get_mut(&prefix) {
            Some(p) => {
                p.count += 1;
                if now.duration_since(p.logged) >= REPORT_EVERY {
                    report(&prefix, p.count);
                    *p = Pending {
                        count: 0,
                        logged: now,
                    };
                }
            }
            None => {
                report(&prefix, 1);
                pending.insert(
                    prefix,
                    Pending {
                        count: 0,
                        logged: now,
                    },
                );
            }
        }
    }

    /// Logs the counts whose last line is a second old, and forgets quiet prefixes.
    fn report_due(&self) {
        let now = Instant::now();
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        pending.retain(|prefix, p| {
            let since = now.duration_since(p.logged);
            if p.count > 0 && since >= REPORT_EVERY {
                report(prefix, p.count);
                *p = Pending {
                    count: 0,
                    logged: now,
                };
                return true;
            }
            p.count > 0 || since < FORGET_AFTER
        });
    }
}

impl Drop for AuthFailures {
    /// The server stops: what is pending is reported now.
    fn drop(&mut self) {
        if let Ok(pending) = self.pending.lock() {
            for (prefix, p) in pending.iter().filter(|(_, p)| p.count > 0) {
                report(prefix, p.count);
            }
        }
    }
}

fn report(prefix: &str, count: u64) {
    tracing::info!(
        key_prefix = prefix,
        count,
        "refused requests with an invalid API key"
    );
}

/// Reports pending counts once due (checking four times per [`REPORT_EVERY`]) until the log
/// is dropped.
async fn report_pending(log: Weak<AuthFailures>) {
    let mut tick = tokio::time::interval(REPORT_EVERY / 4);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match log.upgrade() {
            Some(log) => log.report_due(),
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_name_keys_without_echoing_client_text() {
        assert_eq!(prefix_of(None), "(none)");
        assert_eq!(prefix_of(Some("ghk_AbCdEfGh1234567890")), "ghk_AbCdEfGh");
        assert_eq!(prefix_of(Some("ghk_x")), "ghk_x");
        assert_eq!(prefix_of(Some("ghk_\u{1b}[2J")), "(malformed)");
    }

    #[test]
    fn failures_are_counted_until_their_line_is_due() {
        let log = AuthFailures::default();
        for _ in 0..5 {
            log.note("ghk_a".into());
        }
        log.note("ghk_b".into());
        let counts = |log: &AuthFailures| {
            let p = log.pending.lock().unwrap();
            let mut v: Vec<(String, u64)> = p.iter().map(|(k, v)| (k.clone(), v.count)).collect();
            v.sort();
            v
        };
        // The first failure of each prefix is logged at once; the next four wait.
        assert_eq!(counts(&log), [("ghk_a".into(), 4), ("ghk_b".into(), 0)]);
        log.report_due();
        assert_eq!(counts(&log)[0].1, 4, "not a second yet");
        // A second later the pending count is logged (and reset).
        for p in log.pending.lock().unwrap().values_mut() {
            p.logged -= REPORT_EVERY;
        }
        log.report_due();
        assert_eq!(counts(&log), [("ghk_a".into(), 0), ("ghk_b".into(), 0)]);
    }
}
