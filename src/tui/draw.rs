//! Drawing the console from `&App`: header, navigation, the list (only its visible rows),
//! status line, footer hints from the key table, and overlays.

use super::app::{App, Mode, Tone};
use super::keys::{Action, BINDINGS, Context, label};
use super::view::columns;
use crate::text::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TRow, Table, Wrap};
use std::borrow::Cow;

pub use super::nav::nav_width;

/// Draws the whole console.
pub fn draw(app: &App, f: &mut Frame<'_>) {
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    super::header::draw_header(app, f, header);
    let nav_width = nav_width(f.area().width);
    let main = if nav_width == 0 {
        let [tabs, main] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(body);
        super::nav::draw_tabs(app, f, tabs);
        main
    } else {
        let [nav, main] =
            Layout::horizontal([Constraint::Length(nav_width), Constraint::Min(20)]).areas(body);
        super::nav::draw_nav(app, f, nav);
        main
    };
    if let Mode::Detail(d) = &app.mode {
        super::detail_draw::draw_detail(app, d, f, main);
    } else if let Mode::Picker { back: d, .. } = &app.mode {
        super::detail_draw::draw_detail(app, d, f, main);
    } else if let Mode::Confirm(c) = &app.mode
        && let Some(d) = &c.back
    {
        super::detail_draw::draw_detail(app, d, f, main);
    } else if let Mode::Confirm(c) = &app.mode
        && let Some(form) = &c.form
    {
        // A save's what-if over the form it asks about.
        super::form_draw::draw_form(form, &app.theme, f, main);
    } else if let Some(Mode::Detail(d)) = app.overlay_back.as_deref() {
        // The command line or the help over a detail page.
        super::detail_draw::draw_detail(app, d, f, main);
    } else if let Mode::Form(form) = &app.mode {
        super::form_draw::draw_form(form, &app.theme, f, main);
    } else if let Some(draw_pane) = super::panes::def(app.pane).draw {
        draw_pane(app, f, main);
    } else {
        draw_list(app, f, main);
    }
    draw_status(app, f, status);
    draw_footer(app, f, footer);
    match &app.mode {
        Mode::Help => super::prompts::draw_help(app, f),
        Mode::Messages(_) => app.log.draw(&app.theme, f, f.area()),
        Mode::AuditEvent(page) => page.draw(&app.theme, f, main),
        Mode::Confirm(c) => super::prompts::draw_confirm(app, c, f),
        Mode::Defaults(d) => d.draw(&app.theme, f, f.area()),
        Mode::Picker { picker, .. } => picker.draw(&app.theme, f, f.area()),
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

fn draw_list(app: &App, f: &mut Frame<'_>, area: Rect) {
    let t = &app.theme;
    let list = app.list();
    let all = columns(app.pane);
    let cols: Vec<_> = super::view::shown_columns(app.pane, area.width)
        .into_iter()
        .filter_map(|i| Some((i, all.get(i)?)))
        .collect();
    let title = list_title(app);
    let block = Block::default()
        .borders(Borders::NONE)
        .title(Span::styled(title, t.accent));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if let Some(text) = unsupported_text(app) {
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
    let widths = column_widths(&cols, inner.width);
    // The Permissions pane's access column is coloured.
    let access = cols.iter().position(|(_, c)| c.title == "ACCESS");
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
                    .enumerate()
                    .map(|(n, (ci, _))| {
                        let cell = cells.get_mut(*ci).map(std::mem::take).unwrap_or_default();
                        fitted(cell, access == Some(n), widths.get(n).copied())
                    })
                    .collect::<Vec<_>>(),
            )
            .style(style)
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
    let table = Table::new(rows, widths.iter().map(|w| Constraint::Length(*w)))
        .header(header)
        .column_spacing(1);
    f.render_widget(table, inner);
    app.list_rows.set(Some(Rect {
        x: f.area().x,
        y: inner.y + 1,
        width: f.area().width,
        height: inner.height.saturating_sub(1),
    }));
    if list.visible.is_empty() {
        draw_empty(app, f, inner);
    }
}

/// A list cell: the ACCESS cell of a Permissions row is fitted to its column `width`, so a
/// deny it cannot show is still counted.
fn fitted(cell: Cow<'_, str>, access: bool, width: Option<u16>) -> Cell<'_> {
    match (access, width) {
        (true, Some(w)) => {
            Cell::from(super::access_cell::fit_access(&cell, usize::from(w)).into_owned())
        }
        (false, Some(w)) => Cell::from(super::fit::cut_end(cell, usize::from(w))),
        _ => Cell::from(cell),
    }
}

/// Whether the list holds only the newest of its rows (the Audit pane before older events are
/// loaded).
fn partial(app: &App) -> bool {
    super::panes::def(app.pane).partial.is_some_and(|p| p(app))
}

/// Says why a list shows no row, under its header.
fn draw_empty(app: &App, f: &mut Frame<'_>, inner: Rect) {
    let msg = if app.list().rows.is_empty() {
        "nothing here yet"
    } else if partial(app) {
        "no loaded event matches the filter: older events load past the last one (Esc clears it)"
    } else {
        "no row matches the filter (Esc clears it)"
    };
    let y = inner.y + 1;
    if y < inner.bottom() {
        f.render_widget(
            Paragraph::new(msg).style(app.theme.dim),
            Rect {
                y,
                height: 1,
                ..inner
            },
        );
    }
}

/// The list's title: pane, row count, where the selection is (`12 of 340`, of the filter's
/// matches when a filter is on), the filter and the sort.
fn list_title(app: &App) -> String {
    let list = app.list();
    let mut title = format!(" {} ", app.pane.title());
    // Where the selection is: `12 of 340` (of the filter's matches when a filter is on).
    let at = if list.visible.is_empty() {
        0
    } else {
        list.selected.min(list.visible.len() - 1) + 1
    };
    // The Audit pane holds the newest events until older ones are loaded: its count says so.
    let more = if partial(app) { "+" } else { "" };
    if list.filter.is_empty() {
        title.push_str(&format!(
            "({}{more}) · {at} of {}{more} ",
            list.rows.len(),
            list.rows.len()
        ));
    } else {
        title.push_str(&format!(
            "({}/{}{more}) /{} · {at} of {} ",
            list.visible.len(),
            list.rows.len(),
            sanitize(&list.filter),
            list.visible.len()
        ));
    }
    if partial(app) {
        title.push_str("older events load past the last one ");
    }
    if let Some((c, rev)) = list.sort
        && let Some(col) = columns(app.pane).get(c)
    {
        title.push_str(&format!("↕{}{} ", col.title, if rev { "↓" } else { "↑" }));
    }
    title
}

/// Why the pane has no list on this backend, in words, if it has none.
fn unsupported_text(app: &App) -> Option<String> {
    let d = app.data.as_ref()?;
    let reason = app.pane.unsupported(&d.info.capabilities)?;
    Some(match d.info.kind {
        crate::backend::BackendKind::Mage => format!(
            "{} not supported by Mage: it has roles, permissions and users only.",
            super::panes::def(app.pane).lacking
        ),
        _ => format!("{} is not available: {reason}.", app.pane.title()),
    })
}

/// The widths of the shown columns `cols` in `width` (one space between columns), worked
/// out here so a cell can be fitted to its column.
fn column_widths(cols: &[(usize, &super::view::Column)], width: u16) -> Vec<u16> {
    let constraints: Vec<Constraint> = cols
        .iter()
        .map(|(_, c)| {
            if c.grow == 0 {
                Constraint::Length(c.min)
            } else {
                Constraint::Fill(c.grow)
            }
        })
        .collect();
    Layout::horizontal(constraints)
        .spacing(1)
        .split(Rect::new(0, 0, width, 1))
        .iter()
        .map(|r| r.width)
        .collect()
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
        Mode::Detail(d) => [
            (Action::Down, "move"),
            (Action::Open, "open"),
            (Action::Add, "add"),
            (Action::Remove, "remove"),
            (Action::Expire, "ends"),
            (Action::Edit, "edit"),
            (Action::Back, "back"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ]
        .iter()
        // `E` where it does something: on a relation that can end, where ends are kept.
        .filter(|(a, _)| *a != Action::Expire || (app.keeps_ends() && d.on_ending_kind()))
        .map(|(a, d)| {
            let mutating = matches!(
                a,
                Action::Add | Action::Remove | Action::Expire | Action::Edit
            );
            (label(*a), *d, mutating && read_only)
        })
        .collect(),
        _ => BINDINGS
            .iter()
            .filter(|b| b.footer)
            .filter(|b| b.context != Context::Roles || super::keys::applies(b.context, app.pane))
            .filter(|b| !(b.context == Context::List && super::panes::def(app.pane).draw.is_some()))
            .filter(|b| super::panes::applies(b.action, app.pane))
            .map(|b| {
                (
                    label(b.action),
                    short_desc(b.description),
                    b.mutating && read_only,
                )
            })
            .collect(),
    };
    fit_footer(&mut items, usize::from(area.width));
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

/// Drops hints until `items` fit in `width` columns.
fn fit_footer(items: &mut Vec<(String, &str, bool)>, width: usize) {
    // Too wide: drop hints from the middle; `?` help and `q` quit always stay, and so does
    // `c` (create defaults), which nothing else would hint at. The last hint needs no gap.
    let needed = |items: &[(String, &str, bool)]| {
        items
            .iter()
            .map(|(k, d, _)| k.chars().count() + d.chars().count() + 3)
            .sum::<usize>()
            .saturating_sub(2)
    };
    // Hints of keys that are easy to find anyway go first.
    const FIRST: [&str; 3] = ["cmd", "filter", "open"];
    while needed(items) > width && items.len() > 2 {
        let last = items.len().saturating_sub(3);
        let drop = FIRST
            .iter()
            .find_map(|f| items.iter().position(|(_, d, _)| d == f))
            .or_else(|| {
                (0..=last)
                    .rev()
                    .find(|&i| items.get(i).is_some_and(|(_, d, _)| *d != "defaults"))
            })
            .unwrap_or(last);
        items.remove(drop);
    }
}

/// A binding's description, short enough for the footer.
pub(super) fn short_desc(d: &str) -> &str {
    match d {
        "command (:roles, :users alice, :q)" => "cmd",
        "create default roles and permissions" => "defaults",
        "back / clear filter" => "back",
        "sort by next column" => "sort",
        "message log (:messages; F2 in forms)" => "message log",
        other => other,
    }
}
