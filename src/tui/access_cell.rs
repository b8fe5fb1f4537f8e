//! The ACCESS cell of a Permissions row (`DETAIL UPDATE !DELETE`) in a column too narrow for
//! it: the flags that fit, then what is left as counts (`DETAIL …+2, 1 denied`), so a deny is
//! never invisible. A leading warning badge (`⚠cond-ignored`, see
//! `view::perm_rows::INERT_BADGE`) is kept whole before them.

use std::borrow::Cow;

use super::fit::width;

/// What is left out: `+2` more grants, `1 denied`.
fn rest(grants: usize, denies: usize) -> String {
    let mut parts = Vec::new();
    if grants > 0 {
        parts.push(format!("+{grants}"));
    }
    if denies > 0 {
        parts.push(format!("{denies} denied"));
    }
    parts.join(", ")
}

/// `cell` (flags separated by spaces, denies written `!FLAG`, maybe led by a `⚠` badge)
/// fitted into `max` columns; the badge is never cut while it fits at all.
pub fn fit_access(cell: &str, max: usize) -> Cow<'_, str> {
    if width(cell) <= max {
        return Cow::Borrowed(cell);
    }
    if cell.starts_with('⚠') {
        let (badge, flags) = cell.split_once(' ').unwrap_or((cell, ""));
        let room = max.saturating_sub(width(badge) + 1);
        if width(badge) > max {
            return Cow::Owned(super::fit::cut_end(Cow::Borrowed(badge), max).into_owned());
        }
        if flags.is_empty() || room == 0 {
            return Cow::Owned(badge.to_string());
        }
        return Cow::Owned(format!("{badge} {}", fit_flags(flags, room)));
    }
    fit_flags(cell, max)
}

fn fit_flags(cell: &str, max: usize) -> Cow<'_, str> {
    if width(cell) <= max {
        return Cow::Borrowed(cell);
    }
    let tokens: Vec<&str> = cell.split(' ').filter(|t| !t.is_empty()).collect();
    let is_deny = |t: &&&str| t.starts_with('!');
    let denies = tokens.iter().filter(is_deny).count();
    // The longest run of leading flags that leaves room for the counts of the others.
    for k in (1..tokens.len()).rev() {
        let shown = &tokens[..k];
        let hidden_d = denies - shown.iter().filter(is_deny).count();
        let hidden_g = tokens.len() - k - hidden_d;
        let text = format!("{} …{}", shown.join(" "), rest(hidden_g, hidden_d));
        if width(&text) <= max {
            return Cow::Owned(text);
        }
    }
    let grants = tokens.len() - denies;
    for text in [
        rest(grants, denies),
        if denies > 0 {
            format!("!{denies}")
        } else {
            format!("+{grants}")
        },
    ] {
        if width(&text) <= max {
            return Cow::Owned(text);
        }
    }
    Cow::Owned(if denies > 0 { "!" } else { "+" }.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_access_cell_still_counts_its_denies() {
        let cell = "DETAIL READ UPDATE !DELETE !OPERATION_ALL";
        assert_eq!(fit_access(cell, 60), cell);
        assert_eq!(fit_access(cell, 30), "DETAIL READ UPDATE …2 denied");
        assert_eq!(fit_access(cell, 22), "DETAIL …+2, 2 denied");
        assert_eq!(fit_access(cell, 12), "+3, 2 denied");
        assert_eq!(fit_access(cell, 5), "!2");
        assert_eq!(fit_access("LIST READ_ALL DETAIL", 12), "LIST …+2");
    }

    #[test]
    fn the_ignored_conditions_badge_is_never_cut_for_flags() {
        let cell = "⚠cond-ignored DETAIL READ_ALL UPDATE !DELETE";
        assert_eq!(fit_access(cell, 60), cell);
        assert_eq!(fit_access(cell, 36), "⚠cond-ignored DETAIL …+2, 1 denied");
        assert_eq!(fit_access(cell, 30), "⚠cond-ignored +3, 1 denied");
        assert_eq!(fit_access(cell, 19), "⚠cond-ignored !1");
        assert_eq!(fit_access(cell, 14), "⚠cond-ignored");
        assert_eq!(fit_access("⚠cond-ignored", 20), "⚠cond-ignored");
        assert!(fit_access(cell, 8).starts_with('⚠'));
    }
}
