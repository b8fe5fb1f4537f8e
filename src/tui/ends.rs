//! Relations that end (issue 20 item 6), in the console: the "Ends" input of the confirm
//! dialog that adds relations (`e` there: `8h`, `2d`, `2026-12-31T18:00Z`, empty = never), the
//! same input opened on a relation of a detail page to move or clear its end (`E`), the badge
//! a detail page draws beside a relation that ends, and the backend calls they lead to. Only
//! where the backend keeps ends (`Capabilities.expiry`; never on Mage).

use super::app::{App, Confirm, Effect, Msg, Tone};
use super::confirm::WhatIf;
use super::detail::Detail;
use super::keys::input::{InputKey, input_hint};
use super::theme::Theme;
use crate::backend::Backend;
use crate::backend::ends::{parse_for, parse_instant};
use crate::policy::{Change, Link};
use crate::present::{ends_in, instant};
use crate::text::sanitize;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};
use ratatui_textarea::TextArea;
use time::OffsetDateTime;

/// What an end is set on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndsFor {
    /// Relations being added (the picker's confirm dialog).
    Add(Vec<Link>),
    /// A relation that exists (`E` on a detail page): its end now, and its name for messages.
    Change {
        /// The relation.
        link: Link,
        /// When it ends now.
        current: Option<OffsetDateTime>,
        /// Its name.
        what: String,
    },
}

/// The "Ends" part of a confirm dialog.
#[derive(Debug)]
pub struct Ends {
    /// What the end is set on.
    pub target: EndsFor,
    /// The end chosen (`None`: never).
    pub value: Option<OffsetDateTime>,
    /// The text the end was read from, offered again when the input reopens.
    pub typed: String,
    /// The input, while an end is typed.
    pub input: Option<TextArea<'static>>,
    /// Why the text typed is not an end (what was typed stays).
    pub error: Option<String>,
}

/// What a key did in the "Ends" part of a confirm dialog.
#[derive(Debug)]
pub(super) enum Step {
    /// The dialog stays open; these effects (a new what-if) are carried out.
    Stay(Vec<Effect>),
    /// The dialog closes with these effects.
    Close(Vec<Effect>),
}

/// Reads an end as typed: empty is never; else a duration from `now` (`8h`, `2d`, `1d 12h`)
/// or an instant (`2026-12-31T18:00Z`, `2026-12-31`), which must be after `now`.
pub fn parse_end(text: &str, now: OffsetDateTime) -> Result<Option<OffsetDateTime>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let end = match parse_for(t, now) {
        Ok(end) => end,
        Err(_) if t.contains(['-', ':']) => parse_instant(t).map_err(|_| {
            format!(
                "'{t}' is not an instant; write e.g. 2026-12-31T18:00Z, \
                 2026-12-31T18:00+01:00 or 2026-12-31 (midnight UTC)"
            )
        })?,
        Err(crate::backend::Error::Invalid { message, .. }) => return Err(message),
        Err(e) => return Err(e.to_string()),
    };
    if end <= now {
        return Err(format!("{} is not in the future", instant(end)));
    }
    Ok(Some(end))
}

/// The badge beside a relation that ends at `end`: `expires in 3h`, or `expired 2h ago (no
/// access)` for one past its end that the cleanup has not removed yet; and whether it ended.
pub fn badge(end: OffsetDateTime, now: OffsetDateTime) -> (String, bool) {
    if end > now {
        (ends_in(end, now), false)
    } else {
        (format!("{} (no access)", ends_in(end, now)), true)
    }
}

/// An instant as the input takes it back: `2026-12-31T18:00Z`.
fn typed_instant(t: OffsetDateTime) -> String {
    instant(t).replacen(' ', "T", 1).replace(" UTC", "Z")
}

impl Ends {
    /// The part of the dialog adding `links`: never, until `e` sets an end.
    pub fn adding(links: Vec<Link>) -> Ends {
        Ends {
            target: EndsFor::Add(links),
            value: None,
            typed: String::new(),
            input: None,
            error: None,
        }
    }

    /// The part of the dialog changing when `link` ends: the input open on its end now.
    pub fn changing(link: Link, current: Option<OffsetDateTime>, what: String) -> Ends {
        let typed = current.map(typed_instant).unwrap_or_default();
        Ends {
            target: EndsFor::Change {
                link,
                current,
                what,
            },
            value: current,
            input: Some(super::app::one_line_input(&typed)),
            typed,
            error: None,
        }
    }

    /// What yes does with the end chosen.
    pub fn effect(&self) -> Effect {
        match (&self.target, self.value) {
            (EndsFor::Add(links), None) => Effect::Link(links.clone()),
            (EndsFor::Add(links), Some(end)) => Effect::LinkUntil(links.clone(), end),
            (EndsFor::Change { link, what, .. }, value) => Effect::SetExpiry {
                link: *link,
                expires_at: value,
                what: what.clone(),
            },
        }
    }

    /// The changes yes makes, for the what-if.
    pub fn changes(&self) -> Vec<Change> {
        let expire = |link: Link| Change::Expire {
            link,
            expires_at: self.value,
        };
        match &self.target {
            EndsFor::Add(links) => {
                let mut out: Vec<Change> = links.iter().map(|l| Change::Link(*l)).collect();
                if self.value.is_some() {
                    out.extend(links.iter().map(|l| expire(*l)));
                }
                out
            }
            EndsFor::Change { link, .. } => vec![expire(*link)],
        }
    }

    /// The dialog's lines about the end in `width` columns, `now` being now.
    pub fn lines(&self, t: &Theme, now: OffsetDateTime, width: usize) -> Vec<Line<'static>> {
        let mut out = vec![Line::from("")];
        if let Some(input) = &self.input {
            let mut spans = vec![Span::styled("  Ends > ", t.accent)];
            spans.extend(super::line_edit::spans(t, input, t.text));
            out.push(Line::from(spans));
            out.push(Line::from(Span::styled(
                format!(
                    "  8h, 2d or 2026-12-31T18:00Z; empty: never · {}",
                    input_hint(&[InputKey::EndsTake, InputKey::EndsKeep])
                ),
                t.dim,
            )));
            if let Some(e) = &self.error {
                out.push(Line::from(Span::styled(
                    format!("  {}", sanitize(e)),
                    t.alert,
                )));
            }
            return out;
        }
        let when = match self.value {
            None => "never".to_string(),
            Some(end) => format!("{} ({})", instant(end), badge(end, now).0),
        };
        let keys = input_hint(&[InputKey::Ends]);
        let hint = Span::styled(format!("  · {keys}"), t.dim);
        let mut line = Line::from(vec![Span::styled("  Ends: ", t.accent), Span::raw(when)]);
        // The hint goes under the end when both do not fit on one row.
        if line.width() + hint.width() <= width {
            line.spans.push(hint);
            out.push(line);
        } else {
            out.push(line);
            out.push(Line::from(Span::styled(format!("  {keys}"), t.dim)));
        }
        out
    }
}

/// Whether moving an end from `current` to `new` hands the relation's access on for longer
/// (a later end, or none): that is asked with its what-if; a sooner end is set at once.
fn extends(current: Option<OffsetDateTime>, new: Option<OffsetDateTime>) -> bool {
    match (current, new) {
        (Some(c), Some(n)) => n > c,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

impl App {
    /// The key of a confirm dialog's "Ends", if it is the dialog's: `e` opens the input;
    /// while it is open every key edits it, Enter takes the end (the what-if is asked again),
    /// Esc leaves it as it was.
    pub(super) fn ends_key(&mut self, c: &mut Confirm, key: KeyEvent) -> Option<Step> {
        let now = self.now();
        let ends = c.ends.as_mut()?;
        let Some(input) = &mut ends.input else {
            if key.code == KeyCode::Char('e') && c.type_name.is_none() {
                ends.input = Some(super::app::one_line_input(&ends.typed));
                return Some(Step::Stay(Vec::new()));
            }
            return None;
        };
        match key.code {
            KeyCode::Esc => {
                ends.input = None;
                ends.error = None;
                // Nothing else is asked in the dialog that changes an end.
                if matches!(ends.target, EndsFor::Change { .. }) && c.change.is_none() {
                    return Some(Step::Close(Vec::new()));
                }
            }
            KeyCode::Enter => {
                let text = super::line_edit::text(input);
                match parse_end(&text, now) {
                    Err(e) => ends.error = Some(e),
                    Ok(value) => return Some(self.end_taken(c, text, value)),
                }
            }
            _ => {
                if super::line_edit::edit(input, key) {
                    ends.error = None;
                }
            }
        }
        Some(Step::Stay(Vec::new()))
    }

    /// An end was typed right: the dialog asks again what yes would do, or, for a sooner end
    /// of a relation that exists, sets it at once.
    fn end_taken(&mut self, c: &mut Confirm, text: String, value: Option<OffsetDateTime>) -> Step {
        let Some(ends) = c.ends.as_mut() else {
            return Step::Stay(Vec::new());
        };
        ends.input = None;
        ends.error = None;
        ends.typed = text;
        ends.value = value;
        c.effect = ends.effect();
        if let EndsFor::Change { current, .. } = ends.target {
            if current == value {
                self.say("its end is unchanged", Tone::Info);
                return Step::Close(Vec::new());
            }
            if !extends(current, value) {
                return Step::Close(vec![c.effect.clone()]);
            }
            const LONGER: &str = " Its access would last longer.";
            if !c.question.ends_with(LONGER) {
                c.question.push_str(LONGER);
            }
        }
        let changes = ends.changes();
        c.change = Some(changes.clone());
        c.what_if = WhatIf::Pending;
        Step::Stay(vec![Effect::WhatIf(changes)])
    }

    /// `E` on a detail page: the dialog that moves or clears the end of the selected relation.
    pub(super) fn ask_set_end(&mut self, d: Detail) -> Vec<Effect> {
        let expiry = self.keeps_ends();
        let why = match d.selected_link() {
            _ if !expiry => "this backend keeps no ends on relations: access lasts until removed",
            None => "select a relation row (a role, team or grant) to change when it ends",
            Some((link, _)) if !link.may_expire() => {
                "a role's permissions cannot end; a user's or team's role, a membership or a \
                 direct grant can"
            }
            Some((link, text)) => {
                let what = sanitize(&text)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                let current = d.lines.get(d.cursor).and_then(|l| l.ends);
                let question = format!("When does '{what}' end? ({})", d.title);
                let effect = Effect::SetExpiry {
                    link,
                    expires_at: current,
                    what: what.clone(),
                };
                let (mut c, _) = super::confirm::asking(question, Vec::new(), effect);
                c.change = None;
                c.what_if = WhatIf::None;
                c.yes_label = "Set";
                c.ends = Some(Ends::changing(link, current, what));
                c.back = Some(Box::new(d));
                self.mode = super::app::Mode::Confirm(Box::new(c));
                return Vec::new();
            }
        };
        self.say(why, Tone::Info);
        self.mode = super::app::Mode::Detail(d);
        Vec::new()
    }
}

/// Adds `links`, each ending at `end` (`None`: never), one write each.
pub(super) async fn link_msg(
    backend: &dyn Backend,
    links: Vec<Link>,
    end: Option<OffsetDateTime>,
) -> Msg {
    let total = links.len();
    let mut last = None;
    for (n, link) in links.into_iter().enumerate() {
        let done = match end {
            None => backend.link(link).await,
            Some(_) => backend.link_until(link, end).await,
        };
        match done {
            Ok(rev) => last = Some(rev),
            Err(e) => {
                return Msg::Failed(format!("added {n} of {total} relation(s), then: {e}"));
            }
        }
    }
    let until = end.map_or_else(String::new, |t| format!(" until {}", instant(t)));
    Msg::Done(format!(
        "added {total} relation(s){until} (revision {})",
        last.unwrap_or_default()
    ))
}

/// Moves (or, with `None`, clears) the end of `link`, named `what`.
pub(super) async fn set_expiry_msg(
    backend: &dyn Backend,
    link: Link,
    end: Option<OffsetDateTime>,
    what: &str,
) -> Msg {
    match backend.set_expiry(link, end).await {
        Ok(rev) => Msg::Done(match end {
            Some(t) => format!("'{what}' ends {} (revision {rev})", instant(t)),
            None => format!("'{what}' no longer ends (revision {rev})"),
        }),
        Err(e) => Msg::Failed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn ends_are_read_as_durations_or_instants_after_now() {
        let now = datetime!(2026-12-07 12:00 UTC);
        assert_eq!(parse_end("", now), Ok(None));
        assert_eq!(
            parse_end(" 8h ", now),
            Ok(Some(datetime!(2026-12-07 20:00 UTC)))
        );
        assert_eq!(
            parse_end("2026-12-31T18:00Z", now),
            Ok(Some(datetime!(2026-12-31 18:00 UTC)))
        );
        let e = parse_end("2026-12-01", now).unwrap_err();
        assert!(e.contains("not in the future"), "{e}");
        let e = parse_end("soon", now).unwrap_err();
        assert!(e.contains("not a duration"), "{e}");
        let e = parse_end("2026-13-01", now).unwrap_err();
        assert!(e.contains("not an instant") && !e.contains("--for"), "{e}");
        assert_eq!(
            typed_instant(datetime!(2026-12-31 18:00 UTC)),
            "2026-12-31T18:00Z"
        );
        assert_eq!(
            parse_end(&typed_instant(datetime!(2026-12-31 18:00:30 UTC)), now),
            Ok(Some(datetime!(2026-12-31 18:00:30 UTC)))
        );
    }

    #[test]
    fn a_later_end_or_none_extends_and_a_sooner_one_does_not() {
        let (a, b) = (
            datetime!(2026-12-07 12:00 UTC),
            datetime!(2026-12-08 12:00 UTC),
        );
        assert!(extends(Some(a), Some(b)));
        assert!(extends(Some(a), None));
        assert!(!extends(Some(b), Some(a)));
        assert!(!extends(None, Some(a)));
        assert_eq!(badge(b, a), ("expires in 1d".to_string(), false));
        assert_eq!(
            badge(a, b),
            ("expired 1d ago (no access)".to_string(), true)
        );
    }
}
