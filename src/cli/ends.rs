//! Relations that end, on the command line: `--expires INSTANT` / `--for DURATION` on the
//! commands that give access through a relation (read by [`crate::backend::ends`]), and how
//! lists and pages show an end: `(expires in 3h)`, or `(expired 2h ago)` for a relation past
//! its end and not yet pruned (it gives no access).

use crate::backend::ends::end_of;
use crate::backend::{Error, Result};
use crate::model::now;
use crate::policy::{Change, Link, State};
use clap::Args;
use time::OffsetDateTime;

/// `--expires` / `--for`: when the access given ends (neither: never).
#[derive(Debug, Clone, Default, Args)]
pub struct EndArgs {
    /// The access ends at this instant: 2026-12-31T18:00Z, 2026-12-31T19:00+01:00, or
    /// 2026-12-31 (midnight UTC).
    #[arg(long, value_name = "INSTANT", conflicts_with = "for_")]
    pub expires: Option<String>,
    /// The access lasts this long from now: 90m, 8h, 2d, 1w, "1d 12h".
    #[arg(long = "for", value_name = "DURATION")]
    pub for_: Option<String>,
}

impl EndArgs {
    /// The end asked for, refused when it is not in the future.
    pub fn end(&self) -> Result<Option<OffsetDateTime>> {
        let now = now();
        let end = end_of(self.expires.as_deref(), self.for_.as_deref(), now)?;
        if let Some(t) = end {
            future(t, now)?;
        }
        Ok(end)
    }
}

/// Reads `--at`: an instant (as `--expires` takes it), or `+DURATION` from now (`+8h`).
pub fn parse_at(text: &str) -> Result<OffsetDateTime> {
    let t = text.trim();
    let read = match t.strip_prefix('+') {
        Some(d) => crate::backend::ends::parse_for(d, now()),
        None => crate::backend::ends::parse_instant(t),
    };
    read.map_err(|_| {
        Error::invalid(
            "--at",
            format!(
                "'{t}' is neither an instant (2026-12-31T18:00Z, 2026-12-31T19:00+01:00, \
                 2026-12-31) nor a duration from now (+8h, +2d)"
            ),
        )
    })
}

/// Refuses an end at or before `now` (naming `--expires`, the only way to give one).
pub fn future(t: OffsetDateTime, now: OffsetDateTime) -> Result<()> {
    if t <= now {
        return Err(Error::invalid(
            "expires",
            format!(
                "{} is not in the future; give a later instant, or a duration with --for 8h",
                crate::present::instant(t)
            ),
        ));
    }
    Ok(())
}

/// The changes adding `link` with its end makes, for `--dry-run`.
pub fn link_changes(link: Link, end: Option<OffsetDateTime>) -> Vec<Change> {
    let mut v = vec![Change::Link(link)];
    if end.is_some() {
        v.push(Change::Expire {
            link,
            expires_at: end,
        });
    }
    v
}

/// ` until 2026-12-31 18:00 UTC` after a write's message, or nothing.
pub fn until(end: Option<OffsetDateTime>) -> String {
    end.map(|t| format!(" until {}", crate::present::instant(t)))
        .unwrap_or_default()
}

/// ` (expires in 3h)` / ` (expired 2h ago)` after a relation's name, or nothing.
pub fn suffix(end: Option<OffsetDateTime>, now: OffsetDateTime) -> String {
    end.map(|t| format!(" ({})", crate::present::ends_in(t, now)))
        .unwrap_or_default()
}

/// An EXPIRES cell: `2026-12-31 18:00 UTC (expires in 3h)`, or `-`.
pub fn cell(end: Option<OffsetDateTime>, now: OffsetDateTime) -> String {
    match end {
        Some(t) => format!(
            "{} ({})",
            crate::present::instant(t),
            crate::present::ends_in(t, now)
        ),
        None => "-".into(),
    }
}

/// When `link` ends in `s`, if it does.
pub fn of(s: &State, link: &Link) -> Option<OffsetDateTime> {
    s.expiries.get(link)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn ends_read_as_a_suffix_and_a_cell() {
        let now = datetime!(2026-12-07 12:00 UTC);
        let end = datetime!(2026-12-07 15:00 UTC);
        assert_eq!(suffix(Some(end), now), " (expires in 3h)");
        assert_eq!(
            suffix(Some(datetime!(2026-12-07 10:00 UTC)), now),
            " (expired 2h ago)"
        );
        assert_eq!(suffix(None, now), "");
        assert_eq!(cell(Some(end), now), "2026-12-07 15:00 UTC (expires in 3h)");
        assert_eq!(cell(None, now), "-");
        assert!(future(now, now).is_err());
        assert_eq!(
            parse_at("2026-12-31T18:00Z").unwrap(),
            datetime!(2026-12-31 18:00 UTC)
        );
        let later = parse_at("+8h").unwrap() - crate::model::now();
        assert!(later > time::Duration::hours(7) && later <= time::Duration::hours(8));
        for bad in ["soon", "+", "+x", "-8h"] {
            let e = parse_at(bad).unwrap_err();
            assert!(
                matches!(e, Error::Invalid { ref field, .. } if field == "--at"),
                "{bad}"
            );
        }
        assert!(future(end, now).is_ok());
    }
}
