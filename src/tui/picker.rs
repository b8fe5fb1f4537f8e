//! The multi-select picker that adds relations from a detail page (`a`): the candidates not
//! yet linked, filtered as you type, Space marks, Enter adds every marked one.

use super::keys::input::{InputKey, input_hint};
use super::theme::Theme;
use crate::model::{Id, Principal, short_id};
use crate::policy::{Link, State};
use crate::present::target;
use crate::text::sanitize;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui_textarea::TextArea;
use std::collections::BTreeSet;

/// A relation section of a detail page that `a` adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddTo {
    /// Permissions of a role.
    RolePermissions(Id),
    /// Users holding a role.
    RoleUsers(Id),
    /// Teams holding a role.
    RoleTeams(Id),
    /// Roles using a permission.
    PermissionRoles(Id),
    /// Users and teams a permission is granted to directly.
    PermissionGrantees(Id),
    /// Roles of a user.
    UserRoles(Id),
    /// Teams of a user.
    UserTeams(Id),
    /// Permissions granted directly to a user.
    UserGrants(Id),
    /// Members of a team.
    TeamMembers(Id),
    /// Roles every member of a team holds.
    TeamRoles(Id),
}

/// One candidate: what it is called and the link adding it makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Shown in the list.
    pub label: String,
    /// Made when chosen.
    pub link: Link,
}

fn perm_text(s: &State, p: &Id) -> String {
    s.permissions
        .get(p)
        .map(|p| {
            let mut access = p.grants.join(" ");
            for d in &p.denies {
                access.push_str(&format!(" !{d}"));
            }
            format!(
                "{}  {}  {}",
                short_id(&p.id),
                target(&p.catalog, &p.entity, p.entity_uuid.as_deref()),
                access.trim()
            )
        })
        .unwrap_or_default()
}

impl AddTo {
    /// What the picker's title says.
    pub fn title(self, s: &State) -> String {
        let role = |id: &Id| s.roles.get(id).map(|r| r.name.clone()).unwrap_or_default();
        let user = |id: &Id| {
            s.users
                .get(id)
                .map(|u| u.username.clone())
                .unwrap_or_default()
        };
        let team = |id: &Id| s.teams.get(id).map(|t| t.key.clone()).unwrap_or_default();
        match self {
            AddTo::RolePermissions(r) => format!("Add permissions to role '{}'", role(&r)),
            AddTo::RoleUsers(r) => format!("Assign role '{}' to users", role(&r)),
            AddTo::RoleTeams(r) => format!("Give role '{}' to teams", role(&r)),
            AddTo::PermissionRoles(p) => format!("Add permission {} to roles", short_id(&p)),
            AddTo::PermissionGrantees(p) => format!("Grant permission {} directly", short_id(&p)),
            AddTo::UserRoles(u) => format!("Assign roles to '{}'", user(&u)),
            AddTo::UserTeams(u) => format!("Add '{}' to teams", user(&u)),
            AddTo::UserGrants(u) => format!("Grant permissions directly to '{}'", user(&u)),
            AddTo::TeamMembers(t) => format!("Add members to team '{}'", team(&t)),
            AddTo::TeamRoles(t) => format!("Give roles to every member of '{}'", team(&t)),
        }
    }

    /// Every candidate not linked yet, sorted by label.
    pub fn candidates(self, s: &State) -> Vec<Candidate> {
        let mut out: Vec<Candidate> = Vec::new();
        let mut push = |label: String, link: Link| {
            if !s.link_exists(&link) {
                out.push(Candidate { label, link });
            }
        };
        match self {
            AddTo::RolePermissions(role) => {
                for p in s.permissions.keys() {
                    push(
                        perm_text(s, p),
                        Link::RolePermission {
                            role,
                            permission: *p,
                        },
                    );
                }
            }
            AddTo::RoleUsers(role) => {
                for u in s.users.values() {
                    push(u.username.clone(), Link::UserRole { user: u.id, role });
                }
            }
            AddTo::RoleTeams(role) => {
                for t in s.teams.values() {
                    push(t.key.clone(), Link::TeamRole { team: t.id, role });
                }
            }
            AddTo::PermissionRoles(permission) => {
                for r in s.roles.values() {
                    push(
                        r.name.clone(),
                        Link::RolePermission {
                            role: r.id,
                            permission,
                        },
                    );
                }
            }
            AddTo::PermissionGrantees(permission) => {
                for u in s.users.values() {
                    push(
                        format!("user {}", u.username),
                        Link::Grant {
                            principal: Principal::User(u.id),
                            permission,
                        },
                    );
                }
                for t in s.teams.values() {
                    push(
                        format!("team {}", t.key),
                        Link::Grant {
                            principal: Principal::Team(t.id),
                            permission,
                        },
                    );
                }
            }
            AddTo::UserRoles(user) => {
                for r in s.roles.values() {
                    push(r.name.clone(), Link::UserRole { user, role: r.id });
                }
            }
            AddTo::UserTeams(user) => {
                for t in s.teams.values() {
                    if !s.members.contains_key(&(t.id, user)) {
                        push(
                            t.key.clone(),
                            Link::Member {
                                team: t.id,
                                user,
                                role: t.default_role,
                            },
                        );
                    }
                }
            }
            AddTo::UserGrants(user) => {
                for p in s.permissions.keys() {
                    push(
                        perm_text(s, p),
                        Link::Grant {
                            principal: Principal::User(user),
                            permission: *p,
                        },
                    );
                }
            }
            AddTo::TeamMembers(team) => {
                let default = s.teams.get(&team).and_then(|t| t.default_role);
                for u in s.users.values() {
                    if !s.members.contains_key(&(team, u.id)) {
                        push(
                            u.username.clone(),
                            Link::Member {
                                team,
                                user: u.id,
                                role: default,
                            },
                        );
                    }
                }
            }
            AddTo::TeamRoles(team) => {
                for r in s.roles.values() {
                    push(r.name.clone(), Link::TeamRole { team, role: r.id });
                }
            }
        }
        out.sort_by(|a, b| a.label.cmp(&b.label));
        out
    }
}

/// The open picker.
#[derive(Debug, Clone)]
pub struct Picker {
    /// Title.
    pub title: String,
    /// The typed filter.
    pub filter: TextArea<'static>,
    /// Every candidate.
    pub items: Vec<Candidate>,
    /// Indexes of the candidates that match the filter.
    pub visible: Vec<usize>,
    /// Position in `visible`.
    pub cursor: usize,
    /// Marked candidates (indexes into `items`).
    pub marked: BTreeSet<usize>,
}

/// What a key did to the picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerOutcome {
    /// Still open.
    Stay,
    /// Closed without change.
    Cancel,
    /// Make these links.
    Add(Vec<Link>),
}

impl Picker {
    /// A picker over the candidates of `add`.
    pub fn new(add: AddTo, s: &State) -> Picker {
        let items = add.candidates(s);
        let mut p = Picker {
            title: add.title(s),
            filter: super::field::text_input(""),
            visible: Vec::new(),
            items,
            cursor: 0,
            marked: BTreeSet::new(),
        };
        p.refilter();
        p
    }

    fn refilter(&mut self) {
        let want = self.filter.lines().join("").to_lowercase();
        self.visible = (0..self.items.len())
            .filter(|&i| self.items[i].label.to_lowercase().contains(&want))
            .collect();
        self.cursor = self.cursor.min(self.visible.len().saturating_sub(1));
    }

    /// Handles a key (`page` is the list's height). ↑/↓, Ctrl-N/Ctrl-P and PgUp/PgDn move;
    /// every letter (`j` and `k` too) goes to the filter.
    pub fn on_key(&mut self, key: KeyEvent, page: usize) -> PickerOutcome {
        let n = self.visible.len();
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return PickerOutcome::Cancel,
            KeyCode::Down => self.cursor = (self.cursor + 1).min(n.saturating_sub(1)),
            KeyCode::Char('n') if ctrl => self.cursor = (self.cursor + 1).min(n.saturating_sub(1)),
            KeyCode::Up => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Char('p') if ctrl => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::PageDown => self.cursor = (self.cursor + page).min(n.saturating_sub(1)),
            KeyCode::PageUp => self.cursor = self.cursor.saturating_sub(page),
            KeyCode::Char(' ') => {
                if let Some(&i) = self.visible.get(self.cursor)
                    && !self.marked.remove(&i)
                {
                    self.marked.insert(i);
                }
                self.cursor = (self.cursor + 1).min(n.saturating_sub(1));
            }
            KeyCode::Enter => {
                let chosen: Vec<usize> = if self.marked.is_empty() {
                    self.visible.get(self.cursor).copied().into_iter().collect()
                } else {
                    self.marked.iter().copied().collect()
                };
                if chosen.is_empty() {
                    return PickerOutcome::Stay;
                }
                return PickerOutcome::Add(chosen.iter().map(|&i| self.items[i].link).collect());
            }
            _ => {
                super::line_edit::edit(&mut self.filter, key);
                self.refilter();
            }
        }
        PickerOutcome::Stay
    }

    /// Pasted text goes to the filter.
    pub fn paste(&mut self, text: &str) {
        self.filter.insert_str(text.replace(['\n', '\r'], " "));
        self.refilter();
    }

    /// Draws the picker as a box over `area`.
    pub fn draw(&self, t: &Theme, f: &mut Frame<'_>, area: Rect) {
        let w = area.width.saturating_sub(4).clamp(20, 90);
        let h = area.height.saturating_sub(2).max(6);
        let r = Rect {
            x: area.x + (area.width.saturating_sub(w)) / 2,
            y: area.y + (area.height.saturating_sub(h)) / 2,
            width: w.min(area.width),
            height: h.min(area.height),
        };
        // The key hints wrap on a narrow screen; the list gets the rows left.
        let footer = Line::from(Span::styled(
            format!(
                " type to filter · {} · Space mark · Enter add · Esc cancel",
                input_hint(&[InputKey::PickerMove])
            ),
            t.dim,
        ));
        let footer = super::modal::wrap_line(&footer, usize::from(r.width.saturating_sub(2)));
        let footer_rows = u16::try_from(footer.len()).unwrap_or(1);
        let rows = usize::from(r.height.saturating_sub(4 + footer_rows));
        let start = self.cursor.saturating_sub(rows.saturating_sub(1));
        let mut spans = vec![Span::styled(" filter: ", t.dim)];
        spans.extend(super::line_edit::spans(t, &self.filter, t.text));
        spans.push(Span::styled(
            format!(
                "   {}/{} · {} marked",
                self.visible.len(),
                self.items.len(),
                self.marked.len()
            ),
            t.dim,
        ));
        let mut lines = vec![Line::from(spans)];
        if self.visible.is_empty() {
            lines.push(Line::from(Span::styled(
                if self.items.is_empty() {
                    " nothing left to add"
                } else {
                    " nothing matches the filter"
                },
                t.dim,
            )));
        }
        for (n, &i) in self.visible.iter().enumerate().skip(start).take(rows) {
            let mark = if self.marked.contains(&i) {
                "[x] "
            } else {
                "[ ] "
            };
            let style = if n == self.cursor { t.selected } else { t.text };
            lines.push(Line::from(Span::styled(
                format!(" {mark}{}", sanitize(&self.items[i].label)),
                style,
            )));
        }
        let block = Block::default().borders(Borders::ALL).title(Span::styled(
            format!(" {} ", sanitize(&self.title)),
            t.accent,
        ));
        let inner = block.inner(r);
        f.render_widget(Clear, r);
        f.render_widget(block, r);
        f.render_widget(Paragraph::new(lines), inner);
        let footer_rows = footer_rows.min(inner.height);
        if footer_rows > 0 {
            f.render_widget(
                Paragraph::new(footer),
                Rect {
                    y: inner.bottom() - footer_rows,
                    height: footer_rows,
                    ..inner
                },
            );
        }
    }
}
