//! One row per PRODUCT.md §5 figure, shared by every bench target: each target prints the rows it
//! measured after its detailed output, and `cargo bench --bench suite` prints all of them in
//! one table at the end of one run. Figures are printed, never asserted.
#![allow(dead_code)]

use std::time::Duration;

/// One measured figure next to what it is compared with and its target.
#[derive(Debug, Clone)]
pub struct Figure {
    /// What was measured (the PRODUCT.md §5 line, with its size).
    pub what: String,
    /// gatehouse's figure.
    pub value: String,
    /// The figure it is shown beside (casbin-rs, the PostgreSQL store, 1k permissions), or "".
    pub beside: String,
    /// The target, as PRODUCT.md §5 words it.
    pub target: String,
    /// Whether the target is met; `None` for rows without a target of their own.
    pub met: Option<bool>,
}

impl Figure {
    /// A row with a target.
    pub fn new(what: impl Into<String>, value: impl Into<String>, target: &str, met: bool) -> Self {
        Figure {
            what: what.into(),
            value: value.into(),
            beside: String::new(),
            target: target.to_string(),
            met: Some(met),
        }
    }

    /// A row that is context for others (no target of its own).
    pub fn info(what: impl Into<String>, value: impl Into<String>) -> Self {
        Figure {
            what: what.into(),
            value: value.into(),
            beside: String::new(),
            target: String::new(),
            met: None,
        }
    }

    /// The same row with the figure it is compared with.
    pub fn beside(mut self, beside: impl Into<String>) -> Self {
        self.beside = beside.into();
        self
    }
}

/// A duration in the unit that reads best (µs below a millisecond, ms below ten seconds).
pub fn dur(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else if ns < 10_000_000_000.0 {
        format!("{:.1} ms", ns / 1_000_000.0)
    } else {
        format!("{:.1} s", ns / 1_000_000_000.0)
    }
}

/// Nanoseconds as [`dur`] prints them.
pub fn ns(n: u128) -> String {
    dur(Duration::from_nanos(n.min(u64::MAX as u128) as u64))
}

/// 1000 → "1k", 1000000 → "1M".
pub fn thousands(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// Prints `rows` as one table under `title`.
pub fn print_table(title: &str, rows: &[Figure]) {
    let w = |f: fn(&Figure) -> &str, head: &str| {
        rows.iter()
            .map(|r| f(r).chars().count())
            .chain([head.chars().count()])
            .max()
            .unwrap_or(0)
    };
    let (ww, wv, wb, wt) = (
        w(|r| &r.what, "what"),
        w(|r| &r.value, "gatehouse"),
        w(|r| &r.beside, "beside it"),
        w(|r| &r.target, "target (PRODUCT.md §5)"),
    );
    println!();
    println!("== {title} ==");
    let line = |a: &str, b: &str, c: &str, d: &str, e: &str| {
        println!("{a:<ww$} | {b:>wv$} | {c:<wb$} | {d:<wt$} | {e}");
    };
    line(
        "what",
        "gatehouse",
        "beside it",
        "target (PRODUCT.md §5)",
        "verdict",
    );
    println!(
        "{}-+-{}-+-{}-+-{}-+--------",
        "-".repeat(ww),
        "-".repeat(wv),
        "-".repeat(wb),
        "-".repeat(wt)
    );
    for r in rows {
        let verdict = match r.met {
            Some(true) => "met",
            Some(false) => "NOT MET",
            None => "",
        };
        line(&r.what, &r.value, &r.beside, &r.target, verdict);
    }
    let missed = rows.iter().filter(|r| r.met == Some(false)).count();
    let checked = rows.iter().filter(|r| r.met.is_some()).count();
    println!("{} of {checked} targets met", checked - missed);
}

/// Resident and peak resident memory of this process in MiB (`VmRSS`, `VmHWM`), if readable.
pub fn rss_mib() -> Option<(f64, f64)> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<f64> {
        let l = s.lines().find(|l| l.starts_with(name))?;
        let kb: f64 = l.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
