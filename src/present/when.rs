//! Instants and the time left before a relation ends, in words: `2026-12-31 18:00 UTC`,
//! `expires in 3h`, `expired 2d ago`.

use time::OffsetDateTime;
use time::macros::format_description;

/// An instant as lists and pages show it, in UTC to the minute (seconds when it has them).
pub fn instant(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let fmt = if t.second() == 0 {
        format_description!("[year]-[month]-[day] [hour]:[minute] UTC")
    } else {
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC")
    };
    t.format(fmt).unwrap_or_else(|_| t.to_string())
}

/// A span in its two largest units: `3h`, `2d 4h`, `45m`, `30s`.
pub fn span(d: time::Duration) -> String {
    let s = d.whole_seconds().unsigned_abs();
    let (days, hours, mins) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// When a relation ends, said from `now`: `expires in 3h` or `expired 2d ago`.
pub fn ends_in(end: OffsetDateTime, now: OffsetDateTime) -> String {
    if end > now {
        format!("expires in {}", span(end - now))
    } else {
        format!("expired {} ago", span(now - end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn ends_are_said_in_two_units_from_now() {
        let now = datetime!(2026-12-07 12:00 UTC);
        assert_eq!(
            ends_in(datetime!(2026-12-07 15:00 UTC), now),
            "expires in 3h"
        );
        assert_eq!(
            ends_in(datetime!(2026-12-09 16:30 UTC), now),
            "expires in 2d 4h"
        );
        assert_eq!(
            ends_in(datetime!(2026-12-07 12:45 UTC), now),
            "expires in 45m"
        );
        assert_eq!(
            ends_in(datetime!(2026-12-07 10:00 UTC), now),
            "expired 2h ago"
        );
        assert_eq!(
            ends_in(datetime!(2026-12-07 12:00:20 UTC), now),
            "expires in 20s"
        );
        assert_eq!(
            instant(datetime!(2026-12-31 19:00 +1)),
            "2026-12-31 18:00 UTC"
        );
        assert_eq!(
            instant(datetime!(2026-12-31 18:00:05 UTC)),
            "2026-12-31 18:00:05 UTC"
        );
    }
}
