//! The header line: product, backend and location, acting user, revision and the badges
//! (`READ-ONLY`, `UNREACHABLE`, `NO AUTH`). The badges, the user and the revision always stay;
//! the location is elided in the middle (`/home/…/gatehouse.db`) to make room for them.

use super::app::App;
use crate::backend::BackendKind;
use crate::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::fit::width;

/// The first characters of `s` that fit in `max` columns.
fn head(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = width(c.encode_utf8(&mut [0; 4]));
        if used + w > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out
}

/// The last characters of `s` that fit in `max` columns.
fn tail(s: &str, max: usize) -> String {
    let mut out: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let w = width(c.encode_utf8(&mut [0; 4]));
        if used + w > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out.into_iter().rev().collect()
}

/// `s` in at most `max` columns: whole when it fits, else elided in the middle with `…`. A
/// path keeps its first component and as many of its last ones as fit (`/home/…/x.db`).
pub fn elide_middle(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    if max == 1 {
        return "…".into();
    }
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() > 2 {
        // `/home/u/x.db` → ["", "home", "u", "x.db"]: keep up to the first named component.
        let first_named = parts.iter().position(|p| !p.is_empty()).unwrap_or(0);
        let front = parts[..=first_named].join("/");
        let mut best: Option<String> = None;
        for k in (first_named + 1..parts.len()).rev() {
            let back = parts[k..].join("/");
            let cand = format!("{front}/…/{back}");
            if width(&cand) <= max {
                best = Some(cand);
            } else {
                break;
            }
        }
        if let Some(b) = best {
            return b;
        }
        // Only the last component, cut at its end when it alone is too long.
        let last = parts.last().copied().unwrap_or("");
        if width(last) + 2 <= max {
            return format!("…/{last}");
        }
    }
    let room = max - 1;
    let front = room / 2;
    format!("{}…{}", head(s, front), tail(s, room - front))
}

/// Draws the header into `area`.
pub fn draw_header(app: &App, f: &mut Frame<'_>, area: Rect) {
    let t = &app.theme;
    let mut badges: Vec<Span<'static>> = Vec::new();
    if app.read_only_reason().is_some() && app.data.is_some() {
        badges.push(Span::styled(" READ-ONLY ", t.alert));
    }
    if app.offline.is_some() {
        badges.push(Span::styled(" UNREACHABLE ", t.alert));
    }
    let no_auth = app.data.as_ref().is_some_and(|d| d.me.auth_disabled);
    let mut working = app
        .any_work_pending()
        .then(|| Span::styled(" ⟳ working…", t.dim));
    let total = usize::from(area.width);
    let mut spans = vec![Span::styled(" gatehouse ", t.accent)];
    let Some(d) = &app.data else {
        spans.extend(badges);
        spans.extend(working);
        f.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    };
    let kind = match d.info.kind {
        BackendKind::Local => "local",
        BackendKind::Remote => "remote",
        BackendKind::Mage => "mage",
    };
    let user = sanitize(&d.me.username).into_owned();
    let rev = format!("· rev {} ", d.state.revision);
    let fixed = |badges: &[Span<'_>], working: &Option<Span<'_>>, no_auth: &str| {
        width(" gatehouse ")
            + width(&rev)
            + badges.iter().map(Span::width).sum::<usize>()
            + working.as_ref().map_or(0, Span::width)
            + width(no_auth)
    };
    // The long `NO AUTH` warning and the `working` note shrink before anything else goes.
    let mut no_auth_text = if no_auth {
        " NO AUTH: this server lets anyone do anything "
    } else {
        ""
    };
    let user_room = |fixed: usize| total.saturating_sub(fixed + width("· ") + 1);
    if fixed(&badges, &working, no_auth_text) + width(&user) + 3 + width(kind) + 8 > total {
        if no_auth {
            no_auth_text = " NO AUTH ";
        }
        if working.is_some() {
            working = Some(Span::styled(" ⟳", t.dim));
        }
    }
    let fixed_w = fixed(&badges, &working, no_auth_text);
    // The user keeps its place; only a user name wider than the line is cut.
    let user = elide_middle(&user, user_room(fixed_w).max(1));
    let user_span = format!("· {user} ");
    let room = total.saturating_sub(fixed_w + width(&user_span));
    let location = sanitize(&d.info.location);
    let loc_room = room.saturating_sub(width(kind) + 2);
    let loc = if loc_room >= 4 {
        format!("{kind}:{} ", elide_middle(&location, loc_room))
    } else if room > width(kind) {
        format!("{kind} ")
    } else {
        String::new()
    };
    spans.push(Span::styled(loc, t.dim));
    spans.push(Span::raw(user_span));
    spans.push(Span::styled(rev, t.dim));
    spans.extend(badges);
    if no_auth {
        spans.push(Span::styled(no_auth_text, t.alert));
    }
    spans.extend(working);
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_elided_in_the_middle_keeping_their_ends() {
        let p = "/home/someone/.local/share/gatehouse/gatehouse.db";
        assert_eq!(elide_middle(p, 80), p);
        assert_eq!(elide_middle(p, 30), "/home/…/gatehouse/gatehouse.db");
        assert_eq!(elide_middle(p, 20), "/home/…/gatehouse.db");
        assert_eq!(elide_middle(p, 14), "…/gatehouse.db");
        let cut = elide_middle(p, 9);
        assert_eq!(width(&cut), 9);
        assert!(cut.starts_with("/hom") && cut.contains('…'), "{cut}");
        assert_eq!(elide_middle("abcdefghij", 5), "ab…ij");
        assert_eq!(elide_middle("abc", 0), "");
    }
}
