//! The Audit pane (on backends with an audit log): the newest events, one row each with a
//! one-line summary of the change. Moving past the last loaded event loads older ones
//! (`AuditQuery::before_revision` is the cursor, in every store and over HTTP), and Enter opens
//! an event on a page showing what it changed, field by field, before → after.

use super::PaneDef;
use crate::backend::Capabilities;
use crate::model::{AuditEvent, Id, Revision, short_id};
use crate::policy::State;
use crate::text::sanitize;
use crate::tui::app::{App, Effect, Mode, Tone};
use crate::tui::keys::{Action, action_for};
use crate::tui::rows::Rows;
use crate::tui::scroll::{Scroll, wrapped_lines};
use crate::tui::theme::Theme;
use crate::tui::view::{Column, Pane, Row, col, columns, date, rows};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear};
use serde_json::Value;

pub(super) const DEF: PaneDef = PaneDef {
    pane: Pane::Audit,
    title: "Audit",
    short: "Audit",
    command: "audit",
    aliases: &[],
    columns: COLUMNS,
    rows: audit_rows,
    unsupported,
    lacking: "An audit log is",
    partial: Some(|app| app.audit_paging.more),
    kind: None,
    object_of_row: super::id_of_row,
    row_of_object: super::row_of_id,
    page: None,
    delete: None,
    form: None,
    keys: Some(|app, key| Some(app.audit_normal_key(key))),
    paste: None,
    command_args: None,
    draw: None,
    offers_defaults: false,
};

const COLUMNS: &[Column] = &[
    col("REV", 4, 0, true, 0),
    col("TIME", 16, 0, false, 0),
    col("ACTOR", 8, 1, false, 0),
    col("ACTION", 6, 0, false, 0),
    col("OBJECT", 10, 2, false, 0),
    col("CHANGE", 10, 4, false, 90),
];

fn unsupported(caps: &Capabilities) -> Option<&'static str> {
    (!caps.audit).then_some("this backend has no audit log")
}

fn audit_rows(
    s: &std::sync::Arc<State>,
    audit: &[AuditEvent],
    _: &std::sync::Arc<crate::catalog::Catalogs>,
    _: time::OffsetDateTime,
) -> Rows {
    Rows::Built(
        audit
            .iter()
            .map(|e| {
                Row::new(
                    format!("{}:{}", e.revision, e.object_id),
                    vec![
                        e.revision.to_string(),
                        date(e.at),
                        e.actor.clone(),
                        e.action.clone(),
                        format!("{} {}", e.object_kind, object_label(s, e)),
                        change_summary(e),
                    ],
                )
            })
            .collect(),
    )
}

/// The name of an event's object: from its record, else the user it names, else its id.
pub(crate) fn object_label(s: &State, e: &AuditEvent) -> String {
    let name = |v: &serde_json::Value| {
        ["name", "username", "key", "prefix", "entity"]
            .iter()
            .find_map(|k| v.get(k).and_then(|x| x.as_str()).map(str::to_string))
    };
    name(&e.after)
        .or_else(|| name(&e.before))
        .unwrap_or_else(|| match Id::parse_str(&e.object_id) {
            Ok(id) => s
                .users
                .get(&id)
                .map(|u| u.username.clone())
                .unwrap_or_else(|| short_id(&id)),
            Err(_) => e.object_id.clone(),
        })
}

/// A one-line "field: before → after" summary of what an audit event changed.
pub fn change_summary(e: &AuditEvent) -> String {
    match (&e.before, &e.after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut parts = Vec::new();
            for (k, av) in a {
                if matches!(k.as_str(), "updated_at" | "version") {
                    continue;
                }
                if b.get(k) != Some(av) {
                    parts.push(format!(
                        "{k}: {} → {}",
                        b.get(k).map(compact).unwrap_or_default(),
                        compact(av)
                    ));
                }
            }
            parts.join("; ")
        }
        (Value::Null, a) => format!("+ {}", compact_obj(a)),
        (b, Value::Null) => format!("− {}", compact_obj(b)),
        _ => String::new(),
    }
}

fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn compact_obj(v: &Value) -> String {
    match v {
        Value::Object(m) => m
            .iter()
            .filter(|(k, v)| {
                !matches!(
                    k.as_str(),
                    "created_at" | "updated_at" | "version" | "id" | "hash"
                ) && !v.is_null()
            })
            .map(|(k, v)| format!("{k}={}", compact(v)))
            .collect::<Vec<_>>()
            .join(" "),
        other => compact(other),
    }
}

/// How many audit events one load or one step back reads.
pub const AUDIT_PAGE: usize = 1000;

/// Where the Audit pane's paging is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paging {
    /// Older events may exist (the last read was a full page).
    pub more: bool,
    /// Older events are being read.
    pub loading: bool,
    /// One revision held more events than a page: step strictly below it next time.
    strict: bool,
}

impl Paging {
    /// After a fresh load of the newest events.
    pub fn after_load(events: &[AuditEvent]) -> Paging {
        Paging {
            more: events.len() >= AUDIT_PAGE,
            ..Paging::default()
        }
    }
}

/// The page of one audit event.
#[derive(Debug, Clone)]
pub struct EventPage {
    /// `update role 'Editors'`.
    pub title: String,
    /// The lines: text and what kind of line it is.
    pub lines: Vec<(String, Kind)>,
    /// Where it is scrolled to.
    pub scroll: Scroll,
}

/// What a line of an event page is (for its colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A heading.
    Heading,
    /// A changed field.
    Changed,
    /// An unchanged field, or context.
    Plain,
}

/// A JSON value as one line of text: strings bare, `null` as `—`.
fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn fields(v: &Value) -> Vec<(&String, &Value)> {
    match v {
        Value::Object(m) => m.iter().collect(),
        _ => Vec::new(),
    }
}

impl EventPage {
    /// The page of `e`; `label` names its object.
    pub fn of(e: &AuditEvent, label: &str) -> EventPage {
        let at = e.at.to_offset(time::UtcOffset::UTC);
        let mut lines = vec![
            (
                format!(
                    "revision {} · {:04}-{:02}-{:02} {} UTC · by {}",
                    e.revision,
                    at.year(),
                    u8::from(at.month()),
                    at.day(),
                    crate::tui::log::clock(at),
                    e.actor
                ),
                Kind::Plain,
            ),
            (format!("{} id {}", e.object_kind, e.object_id), Kind::Plain),
            (String::new(), Kind::Plain),
        ];
        let mut keys: Vec<&String> = fields(&e.after).into_iter().map(|(k, _)| k).collect();
        for (k, _) in fields(&e.before) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        let (mut changed, mut same) = (Vec::new(), Vec::new());
        for k in keys {
            let (b, a) = (e.before.get(k), e.after.get(k));
            if b == a {
                same.push((format!("  {k}: {}", show(a)), Kind::Plain));
            } else {
                changed.push((format!("  {k}: {} → {}", show(b), show(a)), Kind::Changed));
            }
        }
        if keys_empty(&e.before) && keys_empty(&e.after) {
            changed.push((
                format!("  {} → {}", show(Some(&e.before)), show(Some(&e.after))),
                Kind::Changed,
            ));
        }
        lines.push((
            format!("Changed ({}), before → after:", changed.len()),
            Kind::Heading,
        ));
        if changed.is_empty() {
            changed.push(("  nothing".into(), Kind::Plain));
        }
        lines.extend(changed);
        if !same.is_empty() {
            lines.push((String::new(), Kind::Plain));
            lines.push((format!("Unchanged ({}):", same.len()), Kind::Heading));
            lines.extend(same);
        }
        EventPage {
            title: format!("{} {} '{}'", e.action, e.object_kind, label),
            lines,
            scroll: Scroll::default(),
        }
    }

    /// Draws the page over `area`.
    pub fn draw(&self, t: &Theme, f: &mut Frame<'_>, area: Rect) {
        f.render_widget(Clear, area);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.dim)
            .title(Line::from(vec![
                Span::styled(format!(" {} ", sanitize(&self.title)), t.accent),
                Span::styled("Esc back · j/k scroll ", t.dim),
            ]));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let items: Vec<(String, Style)> = self
            .lines
            .iter()
            .map(|(text, kind)| {
                let style = match kind {
                    Kind::Heading => t.header,
                    Kind::Changed => t.accent,
                    Kind::Plain => t.text,
                };
                (format!(" {}", sanitize(text)), style)
            })
            .collect();
        let width = usize::from(inner.width.saturating_sub(1)).max(1);
        self.scroll
            .render(wrapped_lines(&items, width, "     "), t, f, inner);
    }
}

fn keys_empty(v: &Value) -> bool {
    fields(v).is_empty()
}

impl App {
    /// A key on the Audit pane: Enter opens the event; moving past the last loaded event
    /// loads older ones.
    pub(crate) fn audit_normal_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let action = action_for(key);
        if action == Some(Action::Open) {
            self.open_event();
            return Vec::new();
        }
        let mut effects = self.normal_key(key);
        if matches!(
            action,
            Some(Action::Down | Action::PageDown | Action::Bottom)
        ) && self.pane == Pane::Audit
            && matches!(self.mode, Mode::Normal)
        {
            effects.extend(self.older_audit());
        }
        effects
    }

    /// Asks for older events when the selection is on the last one and more may exist.
    fn older_audit(&mut self) -> Vec<Effect> {
        let at_end = {
            let l = self.list();
            l.selected + 1 >= l.visible.len()
        };
        let oldest = self
            .data
            .as_ref()
            .and_then(|d| d.audit.iter().map(|e| e.revision).min());
        match oldest {
            Some(oldest) if at_end && self.audit_paging.more && !self.audit_paging.loading => {
                self.audit_paging.loading = true;
                // The oldest revision may have been cut by the page: read it again whole.
                let before = if self.audit_paging.strict {
                    oldest
                } else {
                    oldest.saturating_add(1)
                };
                vec![Effect::OlderAudit {
                    before,
                    limit: AUDIT_PAGE,
                }]
            }
            _ => Vec::new(),
        }
    }

    /// Older events arrived: put them below the loaded ones.
    pub(crate) fn on_audit_page(
        &mut self,
        before: Revision,
        events: Result<Vec<AuditEvent>, String>,
    ) -> Vec<Effect> {
        self.audit_paging.loading = false;
        let events = match events {
            Ok(e) => e,
            Err(e) => {
                self.say(format!("cannot load older audit events: {e}"), Tone::Error);
                return Vec::new();
            }
        };
        let Some(data) = &mut self.data else {
            return Vec::new();
        };
        // A reload since the request brought another first page: this one may not join it.
        let oldest = data.audit.iter().map(|e| e.revision).min();
        let asked = if self.audit_paging.strict {
            Some(before)
        } else {
            before.checked_sub(1)
        };
        if oldest != asked {
            return Vec::new();
        }
        let full = events.len() >= AUDIT_PAGE;
        let progress = events.iter().any(|e| e.revision.saturating_add(1) < before);
        if self.audit_paging.strict || !progress {
            // Strictly older events: nothing of them is loaded yet.
            data.audit
                .extend(events.into_iter().filter(|e| e.revision < before));
        } else {
            // The events of revision `before - 1` come again, whole.
            data.audit.retain(|e| e.revision >= before);
            data.audit.extend(events);
        }
        self.audit_paging.strict = full && !progress;
        self.audit_paging.more = full;
        let r = rows(Pane::Audit, &data.state, &data.audit, &data.catalogs);
        self.lists
            .entry(Pane::Audit)
            .or_default()
            .set_rows(r, columns(Pane::Audit));
        Vec::new()
    }

    fn open_event(&mut self) {
        let (Some(data), Some(row)) = (&self.data, self.list().selected_row()) else {
            return;
        };
        let id = row.id().into_owned();
        let event = data
            .audit
            .iter()
            .find(|e| format!("{}:{}", e.revision, e.object_id) == id);
        if let Some(e) = event {
            let label = object_label(&data.state, e);
            self.mode = Mode::AuditEvent(Box::new(EventPage::of(e, &label)));
        }
    }

    /// A key on an event page: scroll, or leave.
    pub(crate) fn event_key(&mut self, mut page: Box<EventPage>, key: KeyEvent) -> Vec<Effect> {
        if crate::tui::app::is_ctrl_c(key) {
            return vec![Effect::Quit];
        }
        match action_for(key) {
            Some(Action::Back | Action::Open | Action::Quit) => {}
            Some(Action::Messages) => self.open_messages(),
            Some(a) => {
                page.scroll.on_action(a);
                self.mode = Mode::AuditEvent(page);
            }
            None => self.mode = Mode::AuditEvent(page),
        }
        Vec::new()
    }
}
