//! Drawing the console from `&App`: header, navigation, the list (only its visible rows),
//! status line, footer hints from the key table, and overlays.

use super::app::{App, Mode, Tone};
use super::keys::{Action, BINDINGS, Context, label};
use super::view::{Pane, columns};
use crate::backend::BackendKind;
use crate::text::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row as TRow, Table, Wrap};
use std::borrow::Cow;

/// Width of the navigation column on a terminal `width` columns wide.
pub fn nav_width(width: u16) -> u16 {
    if width < 70 { 14 } else { 18 }
}

/// Draws the whole console.
pub fn draw(app: &App, f: &mut Frame<'_>) {
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    draw_header(app, f, header);
    let nav_width = nav_width(f.area().width);
    let [nav, main] =
        Layout::horizontal([Constraint::Length(nav_width), Constraint::Min(20)]).areas(body);
    draw_nav(app, f, nav);
    if let Mode::Detail(d) = &app.mode {
        draw_detail(app, d, f, main);
    } else if let Mode::Picker { back: d, .. } = &app.mode {
        draw_detail(app, d, f, main);
    } else if let Mode::Confirm(c) = &app.mode
        && let Some(d) = &c.back
    {
        draw_detail(app, d, f, main);
    } else if let Mode::Form(form) = &app.mode {
        super::form_draw::draw_form(form, &app.theme, f, main);
    } else if app.pane == Pane::Check {
        app.check.draw(&app.theme, app.data.as_ref(), f, main);
    } else {
        draw_list(app, f, main);
    }
    draw_status(app, f, status);
    draw_footer(app, f, footer);
    match &app.mode {
        Mode::Help => draw_help(app, f),
        Mode::Messages(_) => app.log.draw(&app.theme, f, f.area()),
        Mode::AuditEvent(page) => page.draw(&app.theme, f, main),
        Mode::Confirm(c) => draw_confirm(app, c, f),
        Mode::Defaults(d) => d.draw(&app.theme, f, f.area()),
        Mode::Picker { picker, .. } => picker.draw(&app.theme, f, main),
        Mode::Secret(k) => {
            let owner = app
                .data
                .as_ref()
                .and_then(|d| d.state.users.get(&k.record.user_id))
                .map(|u| u.username.clone())
                .unwrap_or_default();
            super::secret::draw_secret(k, &owner, &app.theme, f, f.area());
        }
        _ => {}
    }
}

fn draw_header(app: &App, f: &mut Frame<'_>, area: Rect) {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" gatehouse ", t.accent)];
    if let Some(d) = &app.data {
        let kind = match d.info.kind {
            BackendKind::Local => "local",
            BackendKind::Remote => "remote",
            BackendKind::Mage => "mage",
        };
        spans.push(Span::styled(
            format!("{kind}:{} ", sanitize(&d.info.location)),
            t.dim,
        ));
        spans.push(Span::raw(format!("· {} ", sanitize(&d.me.username))));
        spans.push(Span::styled(format!("· rev {} ", d.state.revision), t.dim));
    }
    if app.read_only_reason().is_some() && app.data.is_some() {
        spans.push(Span::styled(" READ-ONLY ", t.alert));
    }
    if app.offline.is_some() {
        spans.push(Span::styled(" UNREACHABLE ", t.alert));
    }
    if app.data.as_ref().is_some_and(|d| d.me.auth_disabled) {
        spans.push(Span::styled(
            " NO AUTH: this server lets anyone do anything ",
            t.alert,
        ));
    }
    if app.pending > 0 {
        spans.push(Span::styled(" ⟳ working…", t.dim));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_nav(app: &App, f: &mut Frame<'_>, area: Rect) {
    let t = &app.theme;
    let caps = app.data.as_ref().map(|d| d.info.capabilities);
    let lines: Vec<Line> = Pane::ALL
        .iter()
        .map(|p| {
            let count = match p {
                Pane::Check => String::new(),
                _ => app
                    .lists
                    .get(p)
                    .map(|l| format!(" {}", l.rows.len()))
                    .unwrap_or_default(),
            };
            let disabled = caps.as_ref().and_then(|c| p.unsupported(c)).is_some();
            let style = if *p == app.pane {
                t.selected
            } else if disabled {
                t.dim
            } else {
                t.text
            };
            Line::from(Span::styled(format!(" {}{count}", p.title()), style))
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::RIGHT).border_style(t.dim)),
        area,
    );
}

fn draw_list(app: &App, f: &mut Frame<'_>, area: Rect) {
    let t = &app.theme;
    let list = app.list();
    let all = columns(app.pane);
    let cols: Vec<_> = super::view::shown_columns(app.pane, area.width)
        .into_iter()
        .filter_map(|i| Some((i, all.get(i)?)))
        .collect();
    let mut title = format!(" {} ", app.pane.title());
    if list.filter.is_empty() {
        title.push_str(&format!("({}) ", list.rows.len()));
    } else {
        title.push_str(&format!(
            "({}/{}) /{} ",
            list.visible.len(),
            list.rows.len(),
            sanitize(&list.filter)
        ));
    }
    if app.pane == Pane::Audit && app.audit_paging.more {
        title.push_str("older events load past the last one ");
    }
    if let Some((c, rev)) = list.sort
        && let Some(col) = columns(app.pane).get(c)
    {
        title.push_str(&format!("↕{}{} ", col.title, if rev { "↓" } else { "↑" }));
    }
    let block = Block::default()
        .borders(Borders::NONE)
        .title(Span::styled(title, t.accent));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if let Some(reason) = app
        .data
        .as_ref()
        .and_then(|d| app.pane.unsupported(&d.info.capabilities))
    {
        let text = match app.data.as_ref().map(|d| d.info.kind) {
            Some(crate::backend::BackendKind::Mage) => format!(
                "{} not supported by Mage: it has roles, permissions and users only.",
                match app.pane {
                    Pane::Audit => "An audit log is",
                    Pane::Keys => "API keys are",
                    _ => "Teams are",
                }
            ),
            _ => format!("{} is not available: {reason}.", app.pane.title()),
        };
        f.render_widget(
            Paragraph::new(text).style(t.dim).wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    if app.data.is_none() {
        f.render_widget(Paragraph::new("loading…").style(t.dim), inner);
        return;
    }
    let height = inner.height.saturating_sub(1) as usize;
    let start = list.offset.min(list.visible.len());
    let end = (start + height).min(list.visible.len());
    let rows: Vec<TRow> = list.visible[start..end]
        .iter()
        .enumerate()
        .filter_map(|(n, &i)| Some((n, list.rows.get(i as usize)?)))
        .map(|(n, row)| {
            let style = if start + n == list.selected {
                t.selected
            } else {
                t.text
            };
            // A built row lends its cells to the frame; a made one (Permissions) gives them.
            let mut cells: Vec<Cow<'_, str>> = match row {
                Cow::Borrowed(r) => r.cells().map(Cow::Borrowed).collect(),
                Cow::Owned(r) => r.cells().map(|c| Cow::Owned(c.to_owned())).collect(),
            };
            // Each column shows a different cell: each is moved into the frame once.
            TRow::new(
                cols.iter()
                    .map(|(ci, _)| {
                        Cell::from(cells.get_mut(*ci).map(std::mem::take).unwrap_or_default())
                    })
                    .collect::<Vec<_>>(),
            )
            .style(style)
        })
        .collect();
    let widths: Vec<Constraint> = cols
        .iter()
        .map(|(_, c)| {
            if c.grow == 0 {
                Constraint::Length(c.min)
            } else {
                Constraint::Fill(c.grow)
            }
        })
        .collect();
    // The sorted column is marked with its direction.
    let header = TRow::new(
        cols.iter()
            .map(|(i, c)| match list.sort {
                Some((s, rev)) if s == *i => {
                    Cell::from(format!("{}{}", if rev { "▼" } else { "▲" }, c.title))
                }
                _ => Cell::from(c.title),
            })
            .collect::<Vec<_>>(),
    )
    .style(t.header);
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    f.render_widget(table, inner);
    app.list_rows.set(Some(Rect {
        x: f.area().x,
        y: inner.y + 1,
        width: f.area().width,
        height: inner.height.saturating_sub(1),
    }));
    if list.visible.is_empty() {
        let msg = if list.rows.is_empty() {
            "nothing here yet".to_string()
        } else {
            "no row matches the filter (Esc clears it)".to_string()
        };
        let y = inner.y + 1;
        if y < inner.bottom() {
            f.render_widget(
                Paragraph::new(msg).style(t.dim),
                Rect {
                    y,
                    height: 1,
                    ..inner
                },
            );
        }
    }
}

fn draw_detail(app: &App, d: &super::detail::Detail, f: &mut Frame<'_>, area: Rect) {
    let t = &app.theme;
    let mut lines = vec![super::detail_nav::title_line(app, d, area.width)];
    let height = usize::from(area.height.saturating_sub(1));
    lines.extend(
        d.shown()
            .into_iter()
            .skip(d.scroll)
            .take(height)
            .filter_map(|i| Some((i, d.lines.get(i)?)))
            .map(|(i, l)| {
                let style = if i == d.cursor {
                    t.selected
                } else if l.heading {
                    t.header
                } else {
                    t.text
                };
                let text = d.line_text(i);
                Line::from(Span::styled(format!(" {}", sanitize(&text)), style))
            }),
    );
    f.render_widget(Paragraph::new(lines), area);
}

fn draw_status(app: &App, f: &mut Frame<'_>, area: Rect) {
    let t = &app.theme;
    let line = match &app.mode {
        Mode::Filter(input) => {
            let mut spans = vec![Span::styled("/", t.accent)];
            spans.extend(super::line_edit::spans(t, input, Style::default()));
            Line::from(spans)
        }
        Mode::Command(input) => super::command::status_line(app, input),
        _ if app.offline.is_some() => {
            let (why, attempt) = app
                .offline
                .as_ref()
                .map_or(("", 0), |(w, n)| (w.as_str(), *n));
            Line::from(Span::styled(
                format!(
                    "{} — retry {attempt} in {}s; unsaved work is kept",
                    sanitize(why),
                    super::app::retry_delay(attempt).as_secs()
                ),
                t.alert,
            ))
        }
        _ => match &app.message {
            Some((m, tone)) => super::status::line(
                m,
                match tone {
                    Tone::Error => t.alert,
                    Tone::Ok => t.ok,
                    Tone::Info => t.text,
                },
                t.dim,
                area.width,
            ),
            None => Line::from(""),
        },
    };
    f.render_widget(Paragraph::new(line), area);
}

fn draw_footer(app: &App, f: &mut Frame<'_>, area: Rect) {
    let t = &app.theme;
    let read_only = app.read_only_reason().is_some();
    let fixed = |pairs: &[(&str, &'static str, bool)]| -> Vec<(String, &'static str, bool)> {
        pairs
            .iter()
            .map(|(k, d, m)| (k.to_string(), *d, *m && read_only))
            .collect()
    };
    let mut items: Vec<(String, &str, bool)> = match &app.mode {
        Mode::Form(_) => fixed(&[
            ("Tab", "next field", false),
            ("Space", "toggle", false),
            ("←/→", "choose", false),
            ("C-s", "save", true),
            ("Esc", "cancel", false),
        ]),
        Mode::Detail(_) => [
            (Action::Down, "move"),
            (Action::Open, "open"),
            (Action::Add, "add"),
            (Action::Remove, "remove"),
            (Action::Edit, "edit"),
            (Action::Back, "back"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ]
        .iter()
        .map(|(a, d)| {
            let mutating = matches!(a, Action::Add | Action::Remove | Action::Edit);
            (label(*a), *d, mutating && read_only)
        })
        .collect(),
        _ => BINDINGS
            .iter()
            .filter(|b| b.footer)
            .filter(|b| !(b.context == Context::Roles && app.pane != Pane::Roles))
            .filter(|b| !(b.context == Context::List && app.pane == Pane::Check))
            .map(|b| {
                (
                    label(b.action),
                    short_desc(b.description),
                    b.mutating && read_only,
                )
            })
            .collect(),
    };
    // Too wide: drop hints from the middle; `?` help and `q` quit always stay.
    let width = |items: &[(String, &str, bool)]| {
        items
            .iter()
            .map(|(k, d, _)| k.chars().count() + d.chars().count() + 3)
            .sum::<usize>()
    };
    while width(&items) > area.width as usize && items.len() > 2 {
        let drop = items.len().saturating_sub(3);
        items.remove(drop);
    }
    let mut spans = Vec::new();
    for (key, desc, disabled) in items {
        let style = if disabled {
            t.dim.add_modifier(Modifier::CROSSED_OUT)
        } else {
            t.text
        };
        spans.push(Span::styled(key, if disabled { style } else { t.accent }));
        spans.push(Span::styled(format!(" {desc}  "), style));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn short_desc(d: &str) -> &str {
    match d {
        "command (:roles, :users alice, :q)" => "cmd",
        "create default roles and permissions" => "defaults",
        "back / clear filter" => "back",
        "sort by next column" => "sort",
        "message log (:messages; F2 in forms)" => "message log",
        other => other,
    }
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn draw_help(app: &App, f: &mut Frame<'_>) {
    let t = &app.theme;
    let reason = app.read_only_reason();
    let area = f.area();
    let one_column = BINDINGS.len() as u16 + 6 <= area.height;
    let mut lines = Vec::new();
    if one_column {
        lines.push(Line::from(""));
        for b in BINDINGS {
            let mut spans = vec![
                Span::styled(format!("  {:<7}", label(b.action)), t.accent),
                Span::raw(format!("{:<38}", b.description)),
            ];
            match (&reason, b.mutating) {
                (Some(r), true) => {
                    spans.push(Span::styled(format!("disabled: {}", sanitize(r)), t.dim))
                }
                (None, true) => spans.push(Span::styled("writes", t.dim)),
                _ => {}
            }
            lines.push(Line::from(spans));
        }
    } else {
        // Small terminals: two columns, writes marked with `*`.
        let half = BINDINGS.len().div_ceil(2);
        for i in 0..half {
            let mut spans = Vec::new();
            for b in [BINDINGS.get(i), BINDINGS.get(i + half)]
                .into_iter()
                .flatten()
            {
                let mark = if b.mutating { "*" } else { " " };
                let style = if b.mutating && reason.is_some() {
                    t.dim
                } else {
                    t.text
                };
                spans.push(Span::styled(format!(" {:<6}", label(b.action)), t.accent));
                spans.push(Span::styled(
                    format!("{:<28}{mark}", short_desc(b.description)),
                    style,
                ));
            }
            lines.push(Line::from(spans));
        }
        let note = match &reason {
            Some(r) => format!(" * writes: disabled ({})", sanitize(r)),
            None => " * writes".to_string(),
        };
        lines.push(Line::from(Span::styled(note, t.dim)));
    }
    lines.push(Line::from(Span::styled(
        "  j/k PgDn g/G scroll · any other key closes this help",
        t.dim,
    )));
    let area = centered(area, 76, lines.len() as u16 + 2);
    f.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" keys ", t.accent));
    let inner = block.inner(area);
    f.render_widget(block, area);
    app.help_scroll.render(lines, t, f, inner);
}

fn draw_confirm(app: &App, c: &super::app::Confirm, f: &mut Frame<'_>) {
    let t = &app.theme;
    let mut lines = vec![Line::from(""), Line::from(format!("  {}", c.question))];
    if let Some(name) = &c.type_name {
        lines.push(Line::from(""));
        lines.push(Line::from(format!(
            "  It still has members. Type '{}' to confirm:",
            sanitize(name)
        )));
        let mut typed = vec![Span::raw("  > ")];
        typed.extend(super::line_edit::spans(t, &c.typed, t.accent));
        lines.push(Line::from(typed));
    }
    lines.push(Line::from(""));
    let (cancel, yes) = if c.yes_focused {
        (t.text, t.alert)
    } else {
        (t.selected, t.dim)
    };
    lines.push(Line::from(vec![
        Span::raw("        "),
        Span::styled(" Cancel ", cancel),
        Span::raw("   "),
        Span::styled(format!(" {} ", c.yes_label), yes),
    ]));
    // Long questions wrap: count the rows they take so the buttons stay inside the box.
    let inner = usize::from(70.min(f.area().width).saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let area = centered(f.area(), 70, u16::try_from(rows + 2).unwrap_or(u16::MAX));
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(Style::default())
                .title(Span::styled(" confirm ", t.alert)),
        ),
        area,
    );
}
