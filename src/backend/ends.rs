//! When a relation ends, as a person types it: `--expires 2026-12-31T18:00Z` (RFC 3339, the
//! seconds optional; a bare date is its midnight UTC) or `--for 8h` (a duration from now:
//! `90m`, `8h`, `2d`, `1w`, `1d 12h`). The CLI, the console's forms and the server's bodies
//! all read ends here.

use super::Error;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Reads an instant: RFC 3339 with or without seconds (`2026-12-31T18:00Z`,
/// `2026-12-31T18:00:00+01:00`, a space for the `T`), or a date alone (midnight UTC).
pub fn parse_instant(text: &str) -> Result<OffsetDateTime, Error> {
    let t = text.trim();
    let bad = || {
        Error::invalid(
            "expires",
            format!(
                "'{t}' is not an instant; write e.g. 2026-12-31T18:00Z, 2026-12-31T18:00:00+01:00 \
                 or 2026-12-31 (midnight UTC), or give a duration with --for 8h"
            ),
        )
    };
    let norm = t.replacen(' ', "T", 1);
    if let Ok(v) = OffsetDateTime::parse(&norm, &Rfc3339) {
        return Ok(v);
    }
    // Without seconds: `YYYY-MM-DDTHH:MM` then `Z` or `±HH:MM`.
    if let Some((head, zone)) = split_zone(&norm) {
        let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]");
        if let Ok(p) = PrimitiveDateTime::parse(head, fmt) {
            return Ok(p.assume_offset(zone));
        }
    }
    let date = format_description!("[year]-[month]-[day]");
    if let Ok(d) = Date::parse(t, date) {
        return Ok(d.midnight().assume_utc());
    }
    Err(bad())
}

/// Splits `…Z` or `…±HH:MM` into the local part and its offset.
fn split_zone(s: &str) -> Option<(&str, UtcOffset)> {
    if let Some(head) = s.strip_suffix(['Z', 'z']) {
        return Some((head, UtcOffset::UTC));
    }
    let cut = s.len().checked_sub(6)?;
    let (head, zone) = s.split_at_checked(cut)?;
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = zone.get(1..)?.split_once(':')?;
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    Some((head, UtcOffset::from_hms(sign * h, sign * m, 0).ok()?))
}

/// Reads a duration (`8h`, `90m`, `2d`, `1w`, `1d 12h`) and says when it ends from `now`.
pub fn parse_for(text: &str, now: OffsetDateTime) -> Result<OffsetDateTime, Error> {
    let t = text.trim();
    let d = humantime::parse_duration(t).map_err(|e| {
        Error::invalid(
            "for",
            format!("'{t}' is not a duration ({e}); write e.g. 90m, 8h, 2d or 1d 12h"),
        )
    })?;
    let d = time::Duration::try_from(d)
        .map_err(|_| Error::invalid("for", format!("'{t}' is too long a duration")))?;
    if d.is_zero() {
        return Err(Error::invalid(
            "for",
            "a duration of zero ends at once; give e.g. 8h",
        ));
    }
    now.checked_add(d)
        .ok_or_else(|| Error::invalid("for", format!("'{t}' ends past the year 9999")))
}

/// The end given by `--expires` or `--for` (at most one), read from `now`.
pub fn end_of(
    expires: Option<&str>,
    for_: Option<&str>,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, Error> {
    match (expires, for_) {
        (Some(_), Some(_)) => Err(Error::invalid(
            "expires",
            "give --expires or --for, not both",
        )),
        (Some(e), None) => parse_instant(e).map(Some),
        (None, Some(f)) => parse_for(f, now).map(Some),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn instants_are_read_with_or_without_seconds_and_zone_forms() {
        let want = datetime!(2026-12-31 18:00 UTC);
        for text in [
            "2026-12-31T18:00Z",
            "2026-12-31T18:00:00Z",
            "2026-12-31 18:00Z",
            "2026-12-31T19:00+01:00",
            "2026-12-31T13:00:00-05:00",
        ] {
            assert_eq!(parse_instant(text).unwrap(), want, "{text}");
        }
        assert_eq!(
            parse_instant("2026-12-31").unwrap(),
            datetime!(2026-12-31 0:00 UTC)
        );
        for bad in ["tomorrow", "2026-13-01", "2026-12-31T18:00", ""] {
            let e = parse_instant(bad).unwrap_err();
            assert!(
                matches!(e, Error::Invalid { ref field, .. } if field == "expires"),
                "{bad}"
            );
        }
    }

    #[test]
    fn durations_end_from_now_and_one_of_the_two_is_taken() {
        let now = datetime!(2026-12-07 12:00 UTC);
        assert_eq!(
            parse_for("8h", now).unwrap(),
            datetime!(2026-12-07 20:00 UTC)
        );
        assert_eq!(
            parse_for("1d 12h", now).unwrap(),
            datetime!(2026-12-09 0:00 UTC)
        );
        assert_eq!(
            parse_for("90m", now).unwrap(),
            datetime!(2026-12-07 13:30 UTC)
        );
        assert!(parse_for("0s", now).is_err());
        assert!(parse_for("soon", now).is_err());
        assert!(end_of(Some("2026-12-31"), Some("8h"), now).is_err());
        assert_eq!(end_of(None, None, now).unwrap(), None);
        assert_eq!(
            end_of(None, Some("2h"), now).unwrap(),
            Some(datetime!(2026-12-07 14:00 UTC))
        );
    }
}
