//! Keys and navigation like k9s and lazygit, on the fixed world of `tui.rs`: `/` on detail
//! pages, moving in pickers, Enter on related rows (a stack of pages with a breadcrumb),
//! readline keys and the caret in every text input, confirm dialogs, the `:` command line
//! (aliases, Tab completion, history) and sorting by the columns drawn.

use crate::tui::{app, screen};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use gatehouse::model::ObjectKind;
use gatehouse::tui::app::{App, Effect, Mode};
use gatehouse::tui::draw::draw;
use gatehouse::tui::view::Pane;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;

const SIZES: [(u16, u16); 3] = [(60, 15), (80, 24), (120, 40)];

fn k(a: &mut App, code: KeyCode) -> Vec<Effect> {
    a.on_event(&Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(a: &mut App, c: char) -> Vec<Effect> {
    a.on_event(&Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

/// Types `s`; `\n` is Enter.
fn typ(a: &mut App, s: &str) -> Vec<Effect> {
    s.chars()
        .flat_map(|c| match c {
            '\n' => k(a, KeyCode::Enter),
            c => k(a, KeyCode::Char(c)),
        })
        .collect()
}

fn buffer(a: &App) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(a.size.0, a.size.1)).expect("terminal");
    t.draw(|f| draw(a, f)).expect("draw");
    t.backend().buffer().clone()
}

/// The row `y` of a buffer as text.
fn row(b: &Buffer, y: u16) -> String {
    (0..b.area.width).map(|x| b[(x, y)].symbol()).collect()
}

/// The (x, y) of the first cell showing `text` (one cell per character).
fn find(b: &Buffer, text: &str) -> Option<(u16, u16)> {
    (0..b.area.height).find_map(|y| {
        let cells: Vec<&str> = (0..b.area.width).map(|x| b[(x, y)].symbol()).collect();
        let chars: Vec<String> = text.chars().map(|c| c.to_string()).collect();
        (0..cells.len().saturating_sub(chars.len() - 1))
            .find(|&x| chars.iter().enumerate().all(|(i, c)| cells[x + i] == c))
            .map(|x| (x as u16, y))
    })
}

fn detail(a: &App) -> &gatehouse::tui::detail::Detail {
    match &a.mode {
        Mode::Detail(d) => d,
        other => panic!("expected a detail page, got {other:?}"),
    }
}

fn command_text(a: &App) -> String {
    match &a.mode {
        Mode::Command(t) => t.lines().join(""),
        other => panic!("expected the command line, got {other:?}"),
    }
}

/// Moves the cursor of a detail page onto the first line whose text is `text` (trimmed).
fn cursor_to(a: &mut App, text: &str) {
    let pos = detail(a)
        .lines
        .iter()
        .position(|l| l.text.trim() == text)
        .unwrap_or_else(|| panic!("no line {text:?}"));
    k(a, KeyCode::Char('g'));
    for _ in 0..pos {
        k(a, KeyCode::Char('j'));
    }
    assert_eq!(detail(a).cursor, pos);
}

// 1. `/` on a detail page.

#[test]
fn slash_on_a_detail_page_filters_the_section_and_letters_never_act_as_keys() {
    let mut a = app((120, 40), true);
    k(&mut a, KeyCode::Enter);
    assert_eq!(detail(&a).title, "Roles › Pipeline editors");
    // "example" holds e (edit), a (add) and x (remove): all of them go into the filter.
    let effects = typ(&mut a, "/example");
    assert!(effects.is_empty(), "{effects:?}");
    let f = detail(&a).filter.as_ref().expect("a filter");
    assert_eq!(
        (f.text().as_str(), f.section.as_str(), f.editing),
        ("example", "Permissions", true)
    );
    let s = screen(&a);
    assert!(s.contains("mage:Pipeline/example_pipeline"), "{s}");
    assert!(
        !s.contains("mage:Pipeline/all"),
        "the other permission is hidden:\n{s}"
    );
    assert!(s.contains("alice"), "other sections stay:\n{s}");
    assert!(s.contains("/example"), "the filter is shown:\n{s}");
    assert!(s.contains("Permissions (1/2 match)"), "{s}");
    // The cursor went to the match.
    let d = detail(&a);
    assert!(d.lines[d.cursor].text.contains("example_pipeline"));

    // Esc clears it and stays on the page.
    k(&mut a, KeyCode::Esc);
    assert!(detail(&a).filter.is_none());
    assert!(screen(&a).contains("mage:Pipeline/all"));

    // Enter keeps it; then letters are keys again, and Esc clears it before going back.
    typ(&mut a, "/all");
    k(&mut a, KeyCode::Enter);
    let f = detail(&a).filter.as_ref().expect("kept");
    assert!(!f.editing);
    let s = screen(&a);
    assert!(
        s.contains("mage:Pipeline/all") && !s.contains("000000000014"),
        "{s}"
    );
    k(&mut a, KeyCode::Esc);
    assert!(detail(&a).filter.is_none());
    k(&mut a, KeyCode::Esc);
    assert!(matches!(a.mode, Mode::Normal), "{:?}", a.mode);
}

#[test]
fn pasted_text_goes_into_the_detail_filter() {
    let mut a = app((120, 40), true);
    k(&mut a, KeyCode::Enter);
    k(&mut a, KeyCode::Char('/'));
    a.on_event(&Event::Paste("example".into()));
    let f = detail(&a).filter.as_ref().expect("a filter");
    assert_eq!(f.text(), "example");
    let s = screen(&a);
    assert!(!s.contains("mage:Pipeline/all"), "{s}");
    assert!(s.contains("mage:Pipeline/example_pipeline"), "{s}");
}

#[test]
fn the_detail_filter_applies_to_the_section_under_the_cursor() {
    let mut a = app((120, 40), true);
    k(&mut a, KeyCode::Enter);
    cursor_to(&mut a, "alice");
    typ(&mut a, "/zzz");
    assert_eq!(
        detail(&a).filter.as_ref().map(|f| f.section.as_str()),
        Some("Users")
    );
    let s = screen(&a);
    assert!(!s.contains("alice"), "{s}");
    assert!(s.contains("example_pipeline"), "the permissions stay:\n{s}");
    // ↓ still moves while typing.
    let before = detail(&a).cursor;
    k(&mut a, KeyCode::Down);
    assert!(detail(&a).cursor > before);
}

#[test]
fn detail_filter_snapshots() {
    for (w, h) in SIZES {
        let mut a = app((w, h), true);
        k(&mut a, KeyCode::Enter);
        typ(&mut a, "/example");
        insta::assert_snapshot!(format!("detail_filter_{w}x{h}"), screen(&a));
    }
}

// 2. Pickers.

#[test]
fn pickers_move_with_arrows_and_ctrl_n_p_while_letters_filter() {
    let mut a = app((120, 40), true);
    k(&mut a, KeyCode::Enter);
    k(&mut a, KeyCode::Char('a'));
    let cursor = |a: &App| match &a.mode {
        Mode::Picker { picker, .. } => (picker.cursor, picker.filter.lines().join("")),
        other => panic!("expected the picker, got {other:?}"),
    };
    assert_eq!(cursor(&a), (0, String::new()));
    ctrl(&mut a, 'n');
    assert_eq!(cursor(&a).0, 1, "Ctrl-N moves down");
    ctrl(&mut a, 'p');
    assert_eq!(cursor(&a).0, 0, "Ctrl-P moves up");
    k(&mut a, KeyCode::Down);
    assert_eq!(cursor(&a).0, 1);
    k(&mut a, KeyCode::Up);
    assert_eq!(cursor(&a).0, 0);
    k(&mut a, KeyCode::PageDown);
    assert_eq!(cursor(&a).0, 1);
    k(&mut a, KeyCode::PageUp);
    assert_eq!(cursor(&a).0, 0);
    typ(&mut a, "jk");
    assert_eq!(cursor(&a).1, "jk", "j and k filter");
    ctrl(&mut a, 'u');
    assert_eq!(cursor(&a).1, "", "Ctrl-U clears the filter");
    typ(&mut a, "secret");
    assert!(screen(&a).contains("mage:Secret/all"));
    assert!(!screen(&a).contains("mage:PipelineRun/all"));
}

// 3. Enter on related rows, the stack and the breadcrumb.

#[test]
fn enter_on_a_related_row_opens_it_and_esc_goes_back_down_the_stack() {
    let mut a = app((120, 40), true);
    k(&mut a, KeyCode::Enter);
    cursor_to(
        &mut a,
        "000000000014 mage:Pipeline/example_pipeline           DETAIL UPDATE",
    );
    let effects = k(&mut a, KeyCode::Enter);
    assert!(effects.is_empty());
    let d = detail(&a);
    assert_eq!(d.object.0, ObjectKind::Permission);
    assert_eq!(d.depth(), 2);
    let s = screen(&a);
    assert!(s.contains("Roles › Pipeline editors › Permission"), "{s}");

    // From the permission to the other role using it, and on to a user.
    cursor_to(&mut a, "Pipeline editors");
    k(&mut a, KeyCode::Enter);
    assert_eq!(detail(&a).object.0, ObjectKind::Role);
    assert_eq!(detail(&a).depth(), 3);
    cursor_to(&mut a, "alice");
    let effects = k(&mut a, KeyCode::Enter);
    assert_eq!(detail(&a).title, "Users › alice");
    assert!(
        matches!(effects.as_slice(), [Effect::WhatCan(_)]),
        "a user page loads its effective permissions: {effects:?}"
    );
    assert_eq!(detail(&a).depth(), 4);

    // Esc goes back one page at a time, then to the list.
    for (depth, kind) in [
        (3, ObjectKind::Role),
        (2, ObjectKind::Permission),
        (1, ObjectKind::Role),
    ] {
        k(&mut a, KeyCode::Esc);
        assert_eq!((detail(&a).depth(), detail(&a).object.0), (depth, kind));
    }
    // The page under keeps its cursor.
    assert!(
        detail(&a).lines[detail(&a).cursor]
            .text
            .contains("example_pipeline")
    );
    k(&mut a, KeyCode::Esc);
    assert!(matches!(a.mode, Mode::Normal), "{:?}", a.mode);
    assert_eq!(a.pane, Pane::Roles);
}

#[test]
fn enter_on_a_plain_line_says_what_it_opens() {
    let mut a = app((120, 40), true);
    k(&mut a, KeyCode::Enter);
    k(&mut a, KeyCode::Enter);
    assert_eq!(detail(&a).depth(), 1);
    let msg = a.message.as_ref().map(|m| m.0.clone()).unwrap_or_default();
    assert!(msg.contains("select a related row"), "{msg}");
}

#[test]
fn the_breadcrumb_is_elided_to_fit() {
    for (w, h) in SIZES {
        let mut a = app((w, h), true);
        k(&mut a, KeyCode::Enter);
        cursor_to(
            &mut a,
            "000000000015 mage:Pipeline/all                        LIST READ_ALL",
        );
        k(&mut a, KeyCode::Enter);
        cursor_to(&mut a, "Viewer default permissions");
        k(&mut a, KeyCode::Enter);
        assert_eq!(detail(&a).depth(), 3);
        let b = buffer(&a);
        let (_, y) = find(&b, "Roles ›").expect("a breadcrumb");
        let line = row(&b, y);
        assert!(
            line.contains("Roles › Pipeline editors › … › Role "),
            "{w}: {line}"
        );
        if w >= 120 {
            assert!(
                line.contains("› Role Viewer default permissions "),
                "{w}: {line}"
            );
        }
        insta::assert_snapshot!(format!("detail_breadcrumb_{w}x{h}"), screen(&a));
    }
}

// 4. Text inputs.

#[test]
fn the_caret_is_drawn_where_the_cursor_is_in_the_filter() {
    let mut a = app((80, 24), true);
    typ(&mut a, "/abc");
    k(&mut a, KeyCode::Home);
    typ(&mut a, "x");
    assert_eq!(a.list().filter, "xabc");
    let b = buffer(&a);
    let y = a.size.1 - 2;
    let x = row(&b, y)
        .find("/xabc")
        .expect("the filter on the status line") as u16;
    assert!(
        !row(&b, y).contains('▏'),
        "no caret at the end: {}",
        row(&b, y)
    );
    assert!(
        b[(x + 2, y)].modifier.contains(Modifier::REVERSED),
        "the caret is on the a"
    );
    k(&mut a, KeyCode::End);
    let b = buffer(&a);
    assert!(row(&b, y).contains("/xabc▏"), "{}", row(&b, y));
}

#[test]
fn readline_keys_in_the_command_line() {
    let mut a = app((80, 24), true);
    typ(&mut a, ":users alice");
    ctrl(&mut a, 'w');
    assert_eq!(command_text(&a), "users ");
    ctrl(&mut a, 'a');
    k(&mut a, KeyCode::Right);
    k(&mut a, KeyCode::Right);
    ctrl(&mut a, 'k');
    assert_eq!(command_text(&a), "us");
    ctrl(&mut a, 'e');
    typ(&mut a, "ers xx");
    k(&mut a, KeyCode::Left);
    k(&mut a, KeyCode::Left);
    ctrl(&mut a, 'u');
    assert_eq!(command_text(&a), "xx", "Ctrl-U deletes to the start");
}

#[test]
fn readline_keys_in_form_fields_and_the_access_check() {
    let mut a = app((80, 24), true);
    k(&mut a, KeyCode::Char('e'));
    let name = |a: &App| match &a.mode {
        Mode::Form(f) => f.fields[0].text_value(),
        other => panic!("expected a form, got {other:?}"),
    };
    assert_eq!(name(&a), "Pipeline editors");
    k(&mut a, KeyCode::Left);
    ctrl(&mut a, 'u');
    assert_eq!(
        name(&a),
        "s",
        "Ctrl-U deletes to the start, not one character"
    );
    k(&mut a, KeyCode::Esc);
    k(&mut a, KeyCode::Char('y'));

    let mut a = app((80, 24), true);
    typ(&mut a, ":check\n");
    k(&mut a, KeyCode::Enter);
    typ(&mut a, "alice");
    k(&mut a, KeyCode::Home);
    let b = buffer(&a);
    let (x, y) = find(&b, "alice").expect("the user field");
    assert!(!row(&b, y).contains("alice▏"), "{}", row(&b, y));
    assert!(b[(x, y)].modifier.contains(Modifier::REVERSED));
    ctrl(&mut a, 'k');
    assert_eq!(a.check.value(0), "");
}

// 5. Confirm dialogs.

#[test]
fn enter_with_the_typed_name_confirms_and_a_wrong_name_says_what_is_expected() {
    let mut a = app((80, 24), true);
    // Pipeline editors is held by alice: its name must be typed.
    k(&mut a, KeyCode::Char('D'));
    typ(&mut a, "Pipeline");
    assert!(k(&mut a, KeyCode::Enter).is_empty());
    assert!(
        matches!(a.mode, Mode::Confirm(_)),
        "a wrong name stays: {:?}",
        a.mode
    );
    let msg = a.message.as_ref().map(|m| m.0.clone()).unwrap_or_default();
    assert!(msg.contains("type 'Pipeline editors' exactly"), "{msg}");
    // ←/→ move the caret in the typed name.
    typ(&mut a, " editrs");
    k(&mut a, KeyCode::Left);
    k(&mut a, KeyCode::Left);
    typ(&mut a, "o");
    let effects = k(&mut a, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Delete { name, .. }] if name == "Pipeline editors"),
        "{effects:?}"
    );
}

#[test]
fn confirm_dialogs_take_y_and_n() {
    let mut a = app((80, 24), true);
    typ(&mut a, ":perms\n");
    assert_eq!(a.pane, Pane::Permissions);
    k(&mut a, KeyCode::Char('D'));
    assert!(matches!(a.mode, Mode::Confirm(_)));
    assert!(k(&mut a, KeyCode::Char('n')).is_empty());
    assert!(matches!(a.mode, Mode::Normal), "n cancels: {:?}", a.mode);
    k(&mut a, KeyCode::Char('D'));
    let effects = k(&mut a, KeyCode::Char('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::Delete { .. }]),
        "{effects:?}"
    );
    assert!(matches!(a.mode, Mode::Normal));
}

// 6. The command line.

#[test]
fn commands_take_aliases_and_prefixes_and_say_what_they_accept() {
    for (line, pane) in [
        (":perms\n", Pane::Permissions),
        (":perm\n", Pane::Permissions),
        (":p\n", Pane::Permissions),
        (":u\n", Pane::Users),
        (":team\n", Pane::Teams),
    ] {
        let mut a = app((80, 24), true);
        typ(&mut a, line);
        assert_eq!(a.pane, pane, "{line}");
    }
    let mut a = app((80, 24), true);
    typ(&mut a, ":zz\n");
    let msg = a.message.as_ref().map(|m| m.0.clone()).unwrap_or_default();
    assert!(
        msg.contains("unknown command ':zz'") && msg.contains("permissions (perms)"),
        "{msg}"
    );
}

#[test]
fn tab_completes_and_cycles_and_the_history_recalls() {
    let mut a = app((80, 24), true);
    typ(&mut a, ":ro");
    k(&mut a, KeyCode::Tab);
    assert_eq!(command_text(&a), "roles");
    k(&mut a, KeyCode::Esc);
    typ(&mut a, ":r");
    k(&mut a, KeyCode::Tab);
    assert_eq!(command_text(&a), "roles");
    assert!(
        screen(&a).contains(":roles▏   roles refresh (Tab: next)"),
        "{}",
        screen(&a)
    );
    k(&mut a, KeyCode::Tab);
    assert_eq!(command_text(&a), "refresh");
    k(&mut a, KeyCode::Tab);
    assert_eq!(command_text(&a), "roles");
    k(&mut a, KeyCode::Esc);

    typ(&mut a, ":users\n");
    typ(&mut a, ":teams\n");
    typ(&mut a, ":ke");
    assert!(
        screen(&a).contains(":ke▏   Tab complete · ↑/↓ history"),
        "{}",
        screen(&a)
    );
    k(&mut a, KeyCode::Up);
    assert_eq!(command_text(&a), "teams");
    k(&mut a, KeyCode::Up);
    assert_eq!(command_text(&a), "users");
    k(&mut a, KeyCode::Down);
    k(&mut a, KeyCode::Down);
    assert_eq!(command_text(&a), "ke", "back to what was typed");
    k(&mut a, KeyCode::Up);
    k(&mut a, KeyCode::Enter);
    assert_eq!(a.pane, Pane::Teams);
}

#[test]
fn command_completion_snapshots() {
    for (w, h) in SIZES {
        let mut a = app((w, h), true);
        typ(&mut a, ":r");
        k(&mut a, KeyCode::Tab);
        insta::assert_snapshot!(format!("command_completion_{w}x{h}"), screen(&a));
    }
}

// 7. Sorting.

#[test]
fn sort_cycles_only_through_the_columns_drawn_and_marks_the_header() {
    let mut a = app((60, 15), true);
    let mut seen = Vec::new();
    for _ in 0..4 {
        k(&mut a, KeyCode::Char('s'));
        seen.push(a.list().sort);
    }
    // At 60 columns Roles shows NAME, PERMS and USERS only.
    assert_eq!(
        seen,
        [
            Some((0, false)),
            Some((1, false)),
            Some((2, false)),
            Some((0, false))
        ]
    );
    k(&mut a, KeyCode::Char('S'));
    assert_eq!(a.list().sort, Some((0, true)));
    assert!(screen(&a).contains("▼NAME"), "{}", screen(&a));

    let mut a = app((120, 40), true);
    for _ in 0..4 {
        k(&mut a, KeyCode::Char('s'));
    }
    assert_eq!(
        a.list().sort,
        Some((3, false)),
        "wide screens show TEAMS too"
    );
    assert!(screen(&a).contains("▲TEAM"), "{}", screen(&a));
}
