//! The console's layout at every size from 60x15 up: nothing that matters is cut. The header
//! keeps its badge, user and revision; access toggles wrap; a cut access cell still counts its
//! denies; every prompt is a centred modal that fits; forms scroll to the focused toggle; below
//! 100 columns the navigation is a tab bar. Snapshots at 60x15, 80x24 and 120x40.

use crate::support::build::{self, flags};
use crate::tui::{app, chars, data, fixture, id, key, screen};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use gatehouse::backend::{CreatedKey, Error, ImportReport};
use gatehouse::model::Permission;
use gatehouse::tui::app::{App, Effect, Mode, Msg};
use gatehouse::tui::theme::Theme;
use gatehouse::tui::view::Pane;
use std::sync::Arc;
use time::macros::datetime;

const SIZES: [(u16, u16); 3] = [(60, 15), (80, 24), (120, 40)];

fn ctrl_s() -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))
}

/// Asserts the screen `s` has its `h` lines.
fn fits(s: &str, h: u16) {
    assert_eq!(s.lines().count(), usize::from(h), "{s}");
}

/// The fixture plus a permission with many grants and denies (id 24).
fn app_with_many_flags(size: (u16, u16)) -> App {
    let t = datetime!(2026-11-02 09:30 UTC);
    let mut s = fixture();
    s.permissions.insert(&Permission {
        grants: flags(&["LIST", "DETAIL", "READ", "UPDATE", "CREATE", "QUERY"]),
        denies: flags(&["DELETE", "OPERATION_ALL", "WRITE_ALL"]),
        ..build::permission(id(24), "mage", "Pipeline", t)
    });
    s.reindex();
    let mut d = data(true);
    d.state = Arc::new(s);
    let mut a = App::new(Theme::monochrome(), size, false);
    a.on_msg(Msg::Loaded(Box::new(d)));
    a
}

#[test]
fn the_header_keeps_badge_user_and_revision_with_a_long_store_path() {
    let path = "/home/someone-with-a-long-name/.local/share/gatehouse/gatehouse.db";
    assert!(path.len() >= 60);
    for (w, h) in SIZES {
        let mut d = data(true);
        d.info.location = path.into();
        let mut a = App::new(Theme::monochrome(), (w, h), true);
        a.on_msg(Msg::Loaded(Box::new(d)));
        let s = screen(&a);
        let header = s.lines().next().unwrap_or_default();
        for want in ["READ-ONLY", "admin", "rev 42", "gatehouse.db"] {
            assert!(
                header.contains(want),
                "{want:?} missing at {w}x{h}: {header}"
            );
        }
        assert_eq!(
            header.contains('…'),
            w < 120,
            "elided only when short: {header}"
        );
        if w == 80 {
            insta::assert_snapshot!("layout_header_long_path_read_only_80x24", s);
        }
    }
}

#[test]
fn a_permission_with_many_flags_shows_every_deny_on_its_page_and_list() {
    for (w, h) in SIZES {
        let mut a = app_with_many_flags((w, h));
        chars(&mut a, ":permissions");
        a.on_event(&key(KeyCode::Enter));
        chars(&mut a, "G");
        let list = screen(&a);
        let row = list
            .lines()
            .find(|l| l.contains("000000000018"))
            .unwrap_or_default();
        let every = ["!DELETE", "!OPERATION_ALL", "!WRITE_ALL"]
            .iter()
            .all(|d| row.contains(d));
        assert!(
            every || row.contains("3 denied") || row.contains("denied"),
            "a deny is invisible at {w}x{h}: {row}"
        );
        a.on_event(&key(KeyCode::Enter));
        assert!(matches!(a.mode, Mode::Detail(_)));
        // Down to the access line (id, catalog, entity, entity UUID come first).
        for _ in 0..4 {
            a.on_event(&key(KeyCode::Char('j')));
        }
        let page = screen(&a);
        for want in [
            "[-] DELETE",
            "[-] OPERATION_ALL",
            "[-] WRITE_ALL",
            "[+] DETAIL",
            "[+] QUERY",
        ] {
            assert!(page.contains(want), "{want:?} cut at {w}x{h}:\n{page}");
        }
        // The unset toggles too, or (on a page too short for all) how many there are.
        assert!(
            page.contains("[ ] DISABLE_UNLESS_CONDITIONS") || page.contains(" not set)"),
            "{page}"
        );
        if (w, h) != (120, 40) {
            insta::assert_snapshot!(format!("layout_many_flags_list_{w}x{h}"), list);
            insta::assert_snapshot!(format!("layout_many_flags_detail_{w}x{h}"), page);
        }
    }
}

/// The fixture plus a Mage permission whose conditions lack DISABLE_UNLESS_CONDITIONS (id 24),
/// one of them with an escape sequence in its name.
fn app_with_inert_conditions(size: (u16, u16)) -> App {
    let t = datetime!(2026-11-02 09:30 UTC);
    let mut s = fixture();
    s.permissions.insert(&Permission {
        grants: flags(&["UPDATE", "READ_ALL"]),
        conditions: vec!["USER_OWNS_ENTITY".into(), "evil\u{1b}[2Jcond".into()],
        ..build::permission(id(24), "mage", "Pipeline", t)
    });
    s.reindex();
    let mut d = data(true);
    d.state = Arc::new(s);
    let mut a = App::new(Theme::monochrome(), size, false);
    a.on_msg(Msg::Loaded(Box::new(d)));
    a
}

/// The screen's text right of the navigation column, its rows joined and runs of spaces (and
/// wrap indents) folded.
fn flat(s: &str) -> String {
    s.lines()
        .map(|l| {
            let l = l.trim_matches(|c| c == '"' || c == ' ');
            // Right of the navigation column, if there is one.
            l.rsplit('│').next().unwrap_or(l).trim()
        })
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn ignored_conditions_are_flagged_in_the_list_and_on_the_page() {
    for (w, h) in SIZES {
        let mut a = app_with_inert_conditions((w, h));
        chars(&mut a, ":permissions");
        a.on_event(&key(KeyCode::Enter));
        chars(&mut a, "G");
        let list = screen(&a);
        let row = |id: &str| {
            list.lines()
                .find(|l| l.contains(id))
                .unwrap_or_default()
                .to_string()
        };
        assert!(
            row("000000000018").contains("⚠cond-ignored"),
            "badge cut at {w}x{h}:\n{list}"
        );
        // The fixture's own permissions have no conditions.
        assert!(!row("000000000014").contains("⚠"), "{list}");
        a.on_event(&key(KeyCode::Enter));
        assert!(matches!(a.mode, Mode::Detail(_)));
        let page = screen(&a);
        let text = flat(&page);
        assert!(
            text.contains("⚠ warning conditions USER_OWNS_ENTITY, evil\\x1b[2Jcond ignored by Mage: no DISABLE_UNLESS_CONDITIONS")
                && text.contains("grant DISABLE_UNLESS_CONDITIONS to make them count"),
            "at {w}x{h}:\n{page}"
        );
        assert!(!page.contains('\u{1b}'), "sanitized:\n{page}");
        fits(&page, h);
        insta::assert_snapshot!(format!("layout_inert_conditions_list_{w}x{h}"), list);
        insta::assert_snapshot!(format!("layout_inert_conditions_detail_{w}x{h}"), page);
    }
}

#[test]
fn every_pane_at_60x15() {
    for pane in Pane::ALL {
        let mut a = app((60, 15), true);
        a.pane = pane;
        let s = screen(&a);
        fits(&s, 15);
        insta::assert_snapshot!(format!("layout_pane_{}_60x15", pane.command()), s);
    }
}

#[test]
fn below_100_columns_the_panes_are_a_tab_bar_and_lists_say_where_you_are() {
    let a = app((99, 24), true);
    let s = screen(&a);
    let tabs = s.lines().nth(1).unwrap_or_default();
    for p in Pane::ALL {
        assert!(
            tabs.contains(p.title()),
            "{:?} not a tab: {tabs}",
            p.title()
        );
    }
    assert!(tabs.contains("S-Tab/Tab"), "{tabs}");
    assert!(!s.contains('│'), "no navigation column at 99:\n{s}");
    let a = app((100, 24), true);
    assert!(
        screen(&a)
            .lines()
            .nth(2)
            .is_some_and(|l| l.contains(" Permissions 4 "))
    );
    let mut a = app((80, 24), true);
    assert!(screen(&a).contains("Roles (3) · 1 of 3"));
    chars(&mut a, "j");
    assert!(screen(&a).contains("Roles (3) · 2 of 3"));
    chars(&mut a, "/edit");
    a.on_event(&key(KeyCode::Enter));
    assert!(
        screen(&a).contains("Roles (1/3) /edit · 1 of 1"),
        "{}",
        screen(&a)
    );
}

#[test]
fn the_footer_hints_c_on_roles_and_permissions_at_80x24() {
    let mut a = app((80, 24), true);
    let footer = |a: &App| screen(a).lines().last().unwrap_or_default().to_string();
    assert!(footer(&a).contains("c defaults"), "{}", footer(&a));
    chars(&mut a, ":permissions");
    a.on_event(&key(KeyCode::Enter));
    assert!(footer(&a).contains("c defaults"), "{}", footer(&a));
    assert_eq!(
        chars(&mut a, "c"),
        vec![Effect::PresetDryRun("mage".into())],
        "the hinted key works there"
    );
    let mut a = app((80, 24), true);
    a.pane = Pane::Users;
    assert!(!footer(&a).contains("c defaults"));
}

#[test]
fn a_permission_form_at_60x15_scrolls_to_the_focused_toggle() {
    let mut a = app((60, 15), true);
    chars(&mut a, ":permissions");
    a.on_event(&key(KeyCode::Enter));
    chars(&mut a, "n");
    a.on_event(&key(KeyCode::Tab));
    chars(&mut a, "Pipeline");
    a.on_event(&key(KeyCode::Tab));
    a.on_event(&key(KeyCode::Tab));
    for _ in 0..19 {
        a.on_event(&key(KeyCode::Right));
    }
    chars(&mut a, " ");
    let s = screen(&a);
    assert!(s.contains("[+] DISABLE_UNLESS_CONDITIONS"), "{s}");
    assert!(s.contains("Save"), "{s}");
    insta::assert_snapshot!("layout_form_last_toggle_60x15", s);
    // Back to the first field: the form scrolls back up.
    for _ in 0..2 {
        a.on_event(&key(KeyCode::BackTab));
    }
    a.on_event(&key(KeyCode::BackTab));
    assert!(screen(&a).contains("catalog"), "{}", screen(&a));
}

#[test]
fn a_condition_typed_in_the_form_shows_the_gate_it_grants_at_every_size() {
    for (w, h) in SIZES {
        let mut a = app((w, h), true);
        chars(&mut a, ":permissions");
        a.on_event(&key(KeyCode::Enter));
        chars(&mut a, "n");
        a.on_event(&key(KeyCode::Tab));
        chars(&mut a, "Pipeline");
        for _ in 0..3 {
            a.on_event(&key(KeyCode::Tab));
        }
        chars(&mut a, "USER_OWNS_ENTITY");
        let s = screen(&a);
        fits(&s, h);
        let text = flat(&s);
        assert!(
            text.contains("✓ DISABLE_UNLESS_CONDITIONS granted in access: Mage checks the conditions only with it"),
            "note cut at {w}x{h}:\n{s}"
        );
        insta::assert_snapshot!(format!("layout_form_condition_gate_{w}x{h}"), s);
    }
}

/// Opens the permission form with an entity typed, then presses Esc: "discard?".
fn discarding(size: (u16, u16)) -> App {
    let mut a = app(size, true);
    chars(&mut a, ":permissions");
    a.on_event(&key(KeyCode::Enter));
    chars(&mut a, "n");
    a.on_event(&key(KeyCode::Tab));
    chars(&mut a, "Pipe");
    a.on_event(&key(KeyCode::Tab));
    a.on_event(&key(KeyCode::Tab));
    a.on_event(&key(KeyCode::Esc));
    assert!(
        matches!(&a.mode, Mode::Form(f) if f.discarding),
        "{:?}",
        a.mode
    );
    a
}

/// The role edit form after a save that hit a version conflict.
fn conflicted(size: (u16, u16)) -> App {
    let mut a = app(size, true);
    chars(&mut a, "e");
    chars(&mut a, "x");
    let effects = a.on_event(&ctrl_s());
    assert!(matches!(&effects[..], [Effect::Save(_)]), "{effects:?}");
    a.on_msg(Msg::SaveFailed(Error::Stale {
        message: "role 'Pipeline editors' was changed by someone else".into(),
        current_version: Some(2),
    }));
    assert!(
        matches!(&a.mode, Mode::Form(f) if f.conflict),
        "{:?}",
        a.mode
    );
    a
}

#[test]
fn every_prompt_and_dialog_is_a_modal_that_fits() {
    let state = fixture();
    let record = state.keys[&id(40)].clone();
    for (w, h) in SIZES {
        let mut shots: Vec<(&str, App, &[&str])> = Vec::new();
        let mut a = app((w, h), true);
        a.on_event(&key(KeyCode::Char('?')));
        shots.push(("help", a, &["keys", "q", "quit", "other key closes"]));

        let mut a = app((w, h), true);
        chars(&mut a, "D");
        shots.push(("confirm_delete", a, &["Delete role", "Cancel", "Delete "]));

        // A what-if longer than any screen: the question and the buttons stay, the rest is
        // counted, and names from the data reach the screen sanitized.
        let mut a = app((w, h), true);
        let asked = chars(&mut a, "D");
        if let Some(Effect::WhatIf(change)) = asked.first().cloned() {
            let mut lines = vec!["0 user(s) gain access, 30 lose access".to_string()];
            lines.extend((0..30).map(|i| {
                format!("  user{i}\u{1b}[31m: - UPDATE, DELETE on mage:Pipeline/a-very-long-pipeline-name-{i}")
            }));
            a.on_msg(Msg::WhatIf(change, Ok(lines)));
        }
        shots.push((
            "confirm_what_if",
            a,
            &[
                "Delete role",
                "lose access",
                "more line(s)",
                "Cancel",
                "Delete ",
            ],
        ));

        shots.push((
            "discard",
            discarding((w, h)),
            &["Discard your changes?", "y  discards", "keeps editing"],
        ));
        shots.push((
            "conflict",
            conflicted((w, h)),
            &["Changed by someone else", "r  reload", "o  overwrite"],
        ));

        let mut a = app((w, h), true);
        chars(&mut a, "c");
        a.on_msg(Msg::PresetPreview(
            gatehouse::presets::PRESETS[0].name.to_string(),
            ImportReport {
                dry_run: true,
                revision: 42,
                ..Default::default()
            },
        ));
        shots.push((
            "defaults",
            a,
            &["Mage default", "will create", "Enter creates"],
        ));

        let mut a = app((w, h), true);
        a.on_msg(Msg::KeyCreated(Box::new(CreatedKey {
            record: record.clone(),
            secret: "ghk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEFG".into(),
        })));
        shots.push((
            "secret",
            a,
            &[
                "ghk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEFG",
                "new API key",
            ],
        ));

        let mut a = app((w, h), true);
        a.on_event(&key(KeyCode::Enter));
        // Down past the role's fields, its created/updated lines and its permissions to
        // the Users heading.
        for _ in 0..11 {
            a.on_event(&key(KeyCode::Char('j')));
        }
        chars(&mut a, "a");
        assert!(matches!(a.mode, Mode::Picker { .. }), "{:?}", a.mode);
        shots.push(("picker", a, &["Assign role", "[ ] admin", "Enter add"]));

        for (name, a, wants) in shots {
            let s = screen(&a);
            fits(&s, h);
            for want in wants {
                assert!(s.contains(want), "{name} at {w}x{h} lacks {want:?}:\n{s}");
            }
            // A modal has its whole frame on screen: both corners of its top and bottom.
            assert_eq!(s.matches('┌').count(), 1, "{name} at {w}x{h}:\n{s}");
            assert_eq!(s.matches('┘').count(), 1, "{name} at {w}x{h}:\n{s}");
            insta::assert_snapshot!(format!("layout_{name}_{w}x{h}"), s);
        }
    }
}

#[test]
fn a_form_notice_sits_on_the_line_under_the_title() {
    let mut a = app((80, 24), true);
    chars(&mut a, "e");
    if let Mode::Form(f) = &mut a.mode {
        f.notice = Some("changed outside since you opened this\u{1b}[2J".into());
    }
    let s = screen(&a);
    let line = s.lines().nth(3).unwrap_or_default();
    assert!(
        line.contains("changed outside since you opened this\\x1b[2J"),
        "{s}"
    );
    assert!(
        s.contains("name Pipeline editors"),
        "the fields follow:\n{s}"
    );
}
