//! Moving around detail pages: Enter on a related row opens that object's page on top of this
//! one (Esc goes back down the stack; the title shows the path as a breadcrumb), and `/`
//! filters the section under the cursor (rows that do not match are hidden; Enter keeps the
//! filter, Esc clears it).

use super::app::{App, Effect, Mode, Tone, is_ctrl_c};
use super::detail::{Detail, build};
use super::keys::{Action, label};
use super::line_edit;
use super::view::Pane;
use crate::catalog::Catalogs;
use crate::model::{Id, ObjectKind, Principal};
use crate::policy::{Link, State};
use crate::text::sanitize;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};
use ratatui_textarea::TextArea;
use std::ops::Range;

/// The filter over one section of a detail page.
#[derive(Debug, Clone)]
pub struct SectionFilter {
    /// The section's name (its heading without the count: `Permissions`).
    pub section: String,
    /// The typed text.
    pub input: TextArea<'static>,
    /// True while typing (keys go to the filter); false once Enter kept it.
    pub editing: bool,
}

impl PartialEq for SectionFilter {
    fn eq(&self, other: &Self) -> bool {
        self.section == other.section
            && self.editing == other.editing
            && self.input.lines() == other.input.lines()
    }
}

impl Eq for SectionFilter {}

impl SectionFilter {
    /// The typed text.
    pub fn text(&self) -> String {
        line_edit::text(&self.input)
    }
}

/// A heading's section name: `Permissions (3)` → `Permissions`.
fn section_name(heading: &str) -> &str {
    heading.rsplit_once(" (").map_or(heading, |(name, _)| name)
}

impl Detail {
    /// The lines of the section whose heading is line `heading` (up to the next blank line or
    /// heading).
    fn items(&self, heading: usize) -> Range<usize> {
        let start = heading + 1;
        let end = self
            .lines
            .iter()
            .skip(start)
            .position(|l| l.heading || l.text.is_empty())
            .map_or(self.lines.len(), |p| start + p);
        start..end.max(start)
    }

    /// The heading line of the section under the cursor, else of the page's first section.
    pub fn section_at_cursor(&self) -> Option<usize> {
        let here = (0..=self.cursor)
            .rev()
            .find(|&i| self.lines.get(i).is_some_and(|l| l.heading))
            .filter(|&h| h == self.cursor || self.items(h).contains(&self.cursor));
        here.or_else(|| self.lines.iter().position(|l| l.heading))
    }

    /// Indexes of the lines shown (all of them, bar the filtered section's non-matches).
    pub fn shown(&self) -> Vec<usize> {
        let all = 0..self.lines.len();
        let Some(f) = &self.filter else {
            return all.collect();
        };
        let needle = f.text().to_lowercase();
        let heading = self
            .lines
            .iter()
            .position(|l| l.heading && section_name(&l.text) == f.section);
        let (Some(h), false) = (heading, needle.is_empty()) else {
            return all.collect();
        };
        let items = self.items(h);
        all.filter(|i| {
            !items.contains(i)
                || self
                    .lines
                    .get(*i)
                    .is_some_and(|l| l.text.to_lowercase().contains(&needle))
        })
        .collect()
    }

    /// Puts the cursor on the first shown row of the filtered section.
    fn cursor_to_first_match(&mut self) {
        let Some(f) = &self.filter else { return };
        let Some(h) = self
            .lines
            .iter()
            .position(|l| l.heading && section_name(&l.text) == f.section)
        else {
            return;
        };
        let items = self.items(h);
        self.cursor = self
            .shown()
            .into_iter()
            .find(|i| items.contains(i))
            .unwrap_or(h);
    }

    /// The text line `i` is drawn with (not sanitized): the filtered section's heading says
    /// how many of its rows match (`Permissions (1/2 match)`).
    pub fn line_text(&self, i: usize) -> std::borrow::Cow<'_, str> {
        let Some(l) = self.lines.get(i) else {
            return "".into();
        };
        let Some(f) = self.filter.as_ref().filter(|f| !f.text().is_empty()) else {
            return l.text.as_str().into();
        };
        if !l.heading || section_name(&l.text) != f.section {
            return l.text.as_str().into();
        }
        let items = self.items(i);
        let total = self
            .lines
            .get(items.clone())
            .map_or(0, |ls| ls.iter().filter(|l| l.text.trim() != "—").count());
        let shown = self.shown().iter().filter(|x| items.contains(x)).count();
        format!("{} ({shown}/{total} match)", f.section).into()
    }

    /// Pasted text goes to the filter while it is typed.
    pub fn paste(&mut self, text: &str) {
        if let Some(f) = &mut self.filter
            && f.editing
        {
            f.input.insert_str(text.replace(['\n', '\r'], " "));
            self.cursor_to_first_match();
        }
    }

    /// Moves the cursor by `delta` shown lines, keeping it within `height` visible lines.
    pub fn move_by(&mut self, delta: isize, height: usize) {
        let shown = self.shown();
        let Some(last) = shown.len().checked_sub(1) else {
            return;
        };
        let pos = shown.iter().position(|&i| i >= self.cursor).unwrap_or(last);
        let next = pos.saturating_add_signed(delta).min(last);
        self.cursor = shown.get(next).copied().unwrap_or(0);
        self.follow(height);
    }

    /// Puts the cursor on a shown line and scrolls so it is visible in `height` lines
    /// (`scroll` counts shown lines).
    pub fn follow(&mut self, height: usize) {
        let height = height.max(1);
        let shown = self.shown();
        let pos = match shown.iter().position(|&i| i >= self.cursor) {
            Some(p) => p,
            None => shown.len().saturating_sub(1),
        };
        self.cursor = shown.get(pos).copied().unwrap_or(0);
        if pos < self.scroll {
            self.scroll = pos;
        } else if pos >= self.scroll + height {
            self.scroll = pos + 1 - height;
        }
    }

    /// The page of the object on the other end of the relation under the cursor.
    pub fn related(&self, s: &State) -> Option<(Pane, String)> {
        let link = self.lines.get(self.cursor)?.link?;
        let (kind, here) = self.object;
        let other = |a: (ObjectKind, Id), b: (ObjectKind, Id)| {
            if a == (kind, here) { b } else { a }
        };
        let user = |id: Id| (ObjectKind::User, id);
        let team = |id: Id| (ObjectKind::Team, id);
        let (k, id) = match link {
            Link::RolePermission { role, permission } => other(
                (ObjectKind::Role, role),
                (ObjectKind::Permission, permission),
            ),
            Link::UserRole { user: u, role } => other(user(u), (ObjectKind::Role, role)),
            Link::TeamRole { team: t, role } => other(team(t), (ObjectKind::Role, role)),
            Link::Member {
                team: t, user: u, ..
            } => other(team(t), user(u)),
            Link::Grant {
                principal,
                permission,
            } => {
                let p = match principal {
                    Principal::User(u) => user(u),
                    Principal::Team(t) => team(t),
                };
                other(p, (ObjectKind::Permission, permission))
            }
        };
        let pane = super::panes::of_kind(k)?;
        Some((pane.pane, (pane.row_of_object)(s, id)?))
    }

    /// The breadcrumb's parts: the first page's title (`Roles › Editor`), then one part per
    /// page opened from it (`Permission 0190…`).
    pub fn crumbs(&self) -> Vec<String> {
        let mut out = match &self.parent {
            None => return vec![self.title.clone()],
            Some(p) => p.crumbs(),
        };
        let leaf = self
            .title
            .split_once(" › ")
            .map_or(self.title.as_str(), |(_, l)| l);
        let kind = match self.object.0 {
            ObjectKind::Role => "Role",
            ObjectKind::Permission => "Permission",
            ObjectKind::User => "User",
            ObjectKind::Team => "Team",
            _ => "",
        };
        out.push(format!("{kind} {leaf}"));
        out
    }

    /// How many pages deep this one is (1: opened from a list).
    pub fn depth(&self) -> usize {
        1 + self.parent.as_ref().map_or(0, |p| p.depth())
    }
}

/// Cuts `s` to `width` characters, ending in `…` when cut.
fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        out.push('…');
    }
    out
}

/// The breadcrumb of a page in at most `width` characters: the middle pages become `…`
/// first, then the last part, then the first is cut.
pub fn breadcrumb(d: &Detail, width: usize) -> String {
    let crumbs: Vec<String> = d
        .crumbs()
        .iter()
        .map(|c| sanitize(c).into_owned())
        .collect();
    let joined = crumbs.join(" › ");
    if joined.chars().count() <= width {
        return joined;
    }
    let (first, last) = match crumbs.as_slice() {
        [] => return String::new(),
        [one] => return cut(one, width),
        [first, .., last] => (first.as_str(), last.as_str()),
    };
    let head = if crumbs.len() > 2 {
        format!("{first} › … › ")
    } else {
        format!("{first} › ")
    };
    let room = width.saturating_sub(head.chars().count());
    if room >= 12.min(last.chars().count()) {
        return format!("{head}{}", cut(last, room));
    }
    // Too narrow for the first page's title: keep what the last part needs.
    let tail = cut(last, width.saturating_sub(4).max(1));
    let room = width.saturating_sub(tail.chars().count() + 3);
    format!("{} › {tail}", cut(first, room))
}

/// The title line of a detail page `width` cells wide: breadcrumb, filter, key hints.
pub fn title_line(app: &App, d: &Detail, width: u16) -> Line<'static> {
    let t = &app.theme;
    let width = usize::from(width);
    let filter_text = d.filter.as_ref().map(|f| sanitize(&f.text()).into_owned());
    let filter_room = filter_text.as_ref().map_or(0, |f| f.chars().count() + 4);
    let crumb_room = width.saturating_sub(filter_room + 2).max(8);
    let mut spans = vec![Span::styled(
        format!(" {} ", breadcrumb(d, crumb_room)),
        t.accent,
    )];
    if let Some(f) = &d.filter {
        spans.push(Span::styled(" /", t.accent));
        if f.editing {
            spans.extend(line_edit::spans(t, &f.input, t.text));
        } else {
            spans.push(Span::raw(filter_text.unwrap_or_default()));
        }
        spans.push(Span::raw(" "));
    }
    let hint = match &d.filter {
        Some(f) if f.editing => " Enter keep · Esc clear · ↑/↓ move".to_string(),
        _ => [
            (Action::Back, "back"),
            (Action::Open, "open"),
            (Action::Filter, "filter"),
            (Action::Add, "add"),
            (Action::Remove, "remove"),
            (Action::Edit, "edit"),
        ]
        .iter()
        .map(|(a, what)| format!(" {} {what}", label(*a)))
        .collect::<Vec<_>>()
        .join(" ·"),
    };
    spans.push(Span::styled(hint, t.dim));
    Line::from(spans)
}

/// The page `old` shows, built again from `s` (after a reload, or when Esc returns to it),
/// keeping its cursor, scroll, filter and the pages under it.
pub fn rebuild(old: &Detail, s: &State, catalogs: Option<&Catalogs>) -> Option<Detail> {
    let mut d = build(old.pane, &old.row_id, s, catalogs)?;
    d.cursor = old.cursor.min(d.lines.len().saturating_sub(1));
    d.scroll = old.scroll;
    d.filter = old.filter.clone();
    d.parent = old.parent.clone();
    Some(d)
}

impl App {
    fn show_page(&mut self, mut d: Detail) -> Vec<Effect> {
        d.follow(self.detail_height());
        let effects: Vec<Effect> = d.awaiting.map(Effect::WhatCan).into_iter().collect();
        self.mode = Mode::Detail(d);
        effects
    }

    /// Enter on a detail page: opens the object of the related row under the cursor.
    pub(super) fn open_related(&mut self, d: Detail) -> Vec<Effect> {
        let page = match &self.data {
            Some(data) => d
                .related(&data.state)
                .and_then(|(pane, row)| build(pane, &row, &data.state, Some(&data.catalogs))),
            None => None,
        };
        match page {
            Some(mut next) => {
                next.parent = Some(Box::new(d));
                self.show_page(next)
            }
            None => {
                if d.lines.get(d.cursor).is_some_and(|l| l.link.is_some()) {
                    self.say("that object no longer exists", Tone::Info);
                } else {
                    self.say(
                        "select a related row (a permission, user, team or role) to open it",
                        Tone::Info,
                    );
                }
                self.mode = Mode::Detail(d);
                Vec::new()
            }
        }
    }

    /// Esc on a detail page: clears a kept filter, else returns to the page under this one,
    /// else to the list.
    pub(super) fn detail_back(&mut self, mut d: Detail) -> Vec<Effect> {
        if d.filter.take().is_some() {
            d.follow(self.detail_height());
            self.mode = Mode::Detail(d);
            return Vec::new();
        }
        let mut parent = d.parent.take();
        while let Some(p) = parent {
            let again = self
                .data
                .as_ref()
                .and_then(|data| rebuild(&p, &data.state, Some(&data.catalogs)));
            match again {
                Some(page) => return self.show_page(page),
                None => {
                    self.say("the page below no longer exists", Tone::Info);
                    parent = p.parent;
                }
            }
        }
        Vec::new()
    }

    /// `/` on a detail page: starts (or resumes) the filter over the section under the
    /// cursor.
    pub(super) fn start_detail_filter(&mut self, mut d: Detail) {
        let Some(h) = d.section_at_cursor() else {
            self.say("this page has no list to filter", Tone::Info);
            self.mode = Mode::Detail(d);
            return;
        };
        let section = d
            .lines
            .get(h)
            .map(|l| section_name(&l.text).to_string())
            .unwrap_or_default();
        let input = match d.filter.take() {
            Some(f) if f.section == section => f.input,
            _ => super::field::text_input(""),
        };
        d.filter = Some(SectionFilter {
            section,
            input,
            editing: true,
        });
        self.mode = Mode::Detail(d);
    }

    /// A key while the filter of a detail page is typed: every letter goes to the filter.
    pub(super) fn detail_filter_key(&mut self, mut d: Detail, key: KeyEvent) -> Vec<Effect> {
        if is_ctrl_c(key) {
            return vec![Effect::Quit];
        }
        let height = self.detail_height();
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => d.filter = None,
            KeyCode::Enter => {
                if let Some(f) = &mut d.filter {
                    f.editing = false;
                    if f.text().is_empty() {
                        d.filter = None;
                    }
                }
            }
            KeyCode::Down => d.move_by(1, height),
            KeyCode::Char('n') if ctrl => d.move_by(1, height),
            KeyCode::Up => d.move_by(-1, height),
            KeyCode::Char('p') if ctrl => d.move_by(-1, height),
            _ => {
                if let Some(f) = &mut d.filter
                    && line_edit::edit(&mut f.input, key)
                {
                    d.cursor_to_first_match();
                }
            }
        }
        d.follow(height);
        self.mode = Mode::Detail(d);
        Vec::new()
    }
}
