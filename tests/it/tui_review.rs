//! Defects found by trying the console in tmux as a new admin would (issue 17's review):
//! each test failed before its fix.

use crate::support::build;
use crate::tui_support::{backend, open, press, screen, user};
use gatehouse::backend::Backend;
use gatehouse::backend::UserSpec;
use gatehouse::tui::app::Mode;
use gatehouse::tui::view::Pane;

fn flat(s: &str) -> String {
    s.replace(['"', '│'], "").split_whitespace().collect()
}

#[tokio::test]
async fn colon_question_mark_and_m_on_a_detail_page_never_act_as_its_keys() {
    let b = backend().await;
    user(&b, "alice").await;
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":users\n").await;
    press(&mut app, &b, "/alice\n\n").await;
    assert!(matches!(app.mode, Mode::Detail(_)), "{}", screen(&app));
    // `:perms` used to be `e` (edit) + "rms" typed into the username, saved by Enter.
    press(&mut app, &b, ":perms\n").await;
    assert_eq!(app.pane, Pane::Permissions, "{}", screen(&app));
    assert!(!matches!(app.mode, Mode::Form(_)));
    let s = b.state().await.expect("state");
    assert!(s.user_by_name("alice").is_some(), "alice was not renamed");
    assert!(s.user_by_name("alicerms").is_none());

    // Back on the page: a command that goes nowhere, Esc, `?` and `M` come back to it.
    press(&mut app, &b, ":users\n/alice\n\n").await;
    assert!(matches!(app.mode, Mode::Detail(_)));
    press(&mut app, &b, ":nosuch\n").await;
    assert!(matches!(app.mode, Mode::Detail(_)), "{}", screen(&app));
    press(&mut app, &b, ":⎋").await;
    assert!(matches!(app.mode, Mode::Detail(_)));
    press(&mut app, &b, "?").await;
    assert!(matches!(app.mode, Mode::Help));
    assert!(
        screen(&app).contains("alice"),
        "the page stays under the help"
    );
    press(&mut app, &b, "x").await;
    assert!(
        matches!(app.mode, Mode::Detail(_)),
        "the help closes to the page"
    );
    press(&mut app, &b, "M").await;
    assert!(matches!(app.mode, Mode::Messages(_)));
    press(&mut app, &b, "⎋").await;
    assert!(
        matches!(app.mode, Mode::Detail(_)),
        "the log closes to the page"
    );
    assert!(
        b.state()
            .await
            .expect("state")
            .user_by_name("alice")
            .is_some()
    );
}

#[tokio::test]
async fn renaming_from_a_detail_page_stays_on_the_renamed_object() {
    let b = backend().await;
    user(&b, "alice").await;
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":users\n/alice\n\n").await;
    assert!(matches!(app.mode, Mode::Detail(_)));
    // e → the form, the username focused: make it alice3.
    press(&mut app, &b, "e3§").await;
    let s = screen(&app);
    assert!(
        matches!(&app.mode, Mode::Detail(d) if d.row_id == "alice3"),
        "the page follows the renamed user:\n{s}"
    );
    assert!(!s.contains("no longer exists"), "{s}");
    assert!(s.contains("alice3"), "{s}");
    let log: Vec<String> = app.log.entries().map(|e| e.text.clone()).collect();
    assert!(
        !log.iter().any(|t| t.contains("no longer exists")),
        "{log:?}"
    );
}

#[tokio::test]
async fn the_header_names_the_acting_user_as_renamed() {
    let b = backend().await;
    let mut app = open(&b, false).await;
    assert!(screen(&app).contains("· root ·"), "{}", screen(&app));
    let me = b.me().await.expect("me").user.expect("a user");
    let s = b.state().await.expect("state");
    let root = s.users.get(&me).expect("root").clone();
    b.update_user(
        root.id,
        UserSpec {
            username: "rooted".into(),
            email: root.email.clone(),
            display_name: root.display_name.clone(),
            kind: root.kind,
            disabled: root.disabled,
            owner: root.owner,
            password: None,
            first_name: String::new(),
            last_name: String::new(),
        },
        root.version,
    )
    .await
    .expect("rename");
    press(&mut app, &b, "r").await;
    let s = screen(&app);
    assert!(s.contains("· rooted ·"), "{s}");
}

#[tokio::test]
async fn a_cut_list_cell_ends_with_an_ellipsis() {
    let b = backend().await;
    user(&b, "maximilian-alexander-very-long-username-x").await;
    let mut app = open(&b, false).await;
    app.size = (60, 15);
    press(&mut app, &b, ":users\n").await;
    let s = screen(&app);
    assert!(
        s.lines()
            .any(|l| l.contains("maximilian") && l.contains('…')),
        "a cut name says it is cut:\n{s}"
    );
}

#[tokio::test]
async fn the_changed_outside_notice_and_the_conflict_line_are_whole_at_80_columns() {
    let b = backend().await;
    let r = b
        .create_role(gatehouse::backend::RoleSpec {
            name: "Editors".into(),
            description: String::new(),
        })
        .await
        .expect("role");
    let mut app = open(&b, false).await;
    app.size = (80, 24);
    press(&mut app, &b, "e\tmine").await;
    b.update_role(
        r.id,
        gatehouse::backend::RoleSpec {
            name: "Editors".into(),
            description: "theirs".into(),
        },
        r.version,
    )
    .await
    .expect("update");
    // The live view announces the new revision; the form notes the change.
    let rev = b.state().await.expect("state").revision;
    let effects = app.on_msg(gatehouse::tui::app::Msg::Moved(rev));
    crate::tui_support::settle(&mut app, &b, effects).await;
    let s = flat(&screen(&app));
    assert!(
        s.contains("savingaskstoreloadoroverwrite"),
        "the notice is whole:\n{}",
        screen(&app)
    );
    press(&mut app, &b, "§").await;
    press(&mut app, &b, "x").await;
    let s = flat(&screen(&app));
    assert!(
        s.contains("osavesyoursoverit") && !s.contains("reloadandtryagain"),
        "the line under the form offers both ways:\n{}",
        screen(&app)
    );
}

#[tokio::test]
async fn a_user_page_shows_what_each_effective_permission_denies() {
    use gatehouse::backend::PermissionSpec;
    let b = backend().await;
    let alice = user(&b, "alice").await;
    let p = b
        .create_permission(PermissionSpec {
            catalog: "mage".into(),
            entity: "Pipeline".into(),
            grants: vec!["DETAIL".into()],
            denies: vec!["DELETE".into()],
            ..Default::default()
        })
        .await
        .expect("permission");
    let role = crate::tui_support::role(&b, "Mixed").await;
    build::give(&b, alice.id, role.id, p.id).await;
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":users\n/alice\n\n").await;
    let s = screen(&app);
    let line = s
        .lines()
        .find(|l| l.contains("mage:Pipeline") && l.contains("role:Mixed"))
        .unwrap_or_else(|| panic!("an effective line:\n{s}"));
    assert!(
        line.contains("DETAIL") && line.contains("denies: DELETE"),
        "{s}"
    );
}

#[tokio::test]
async fn a_long_text_field_scrolls_sideways_to_keep_the_caret_in_view() {
    let b = backend().await;
    let mut app = open(&b, false).await;
    app.size = (60, 15);
    press(&mut app, &b, "n\t").await;
    let long = "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod";
    press(&mut app, &b, &format!("{long} END")).await;
    let s = screen(&app);
    let row = s
        .lines()
        .find(|l| l.contains("description"))
        .unwrap_or_else(|| panic!("the field:\n{s}"));
    assert!(row.contains("END") && row.contains('…'), "{s}");
    // Home: the start is in view, the end marked as cut.
    let effects = app.on_event(&crossterm::event::Event::Key(
        crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Home,
            crossterm::event::KeyModifiers::NONE,
        ),
    ));
    crate::tui_support::settle(&mut app, &b, effects).await;
    let s = screen(&app);
    let row = s
        .lines()
        .find(|l| l.contains("description"))
        .unwrap_or_else(|| panic!("the field:\n{s}"));
    assert!(
        row.contains("Lorem") && !row.contains("END") && row.contains('…'),
        "{s}"
    );
}

#[tokio::test]
async fn a_picker_never_counts_or_matches_its_placeholder() {
    let b = backend().await;
    for name in ["alice", "bob", "carol"] {
        user(&b, name).await;
    }
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":keys\nn").await;
    let Mode::Form(form) = &app.mode else {
        panic!("the key form:\n{}", screen(&app));
    };
    let f = &form.fields[0];
    assert_eq!(
        f.matches().len(),
        5,
        "placeholder + root + 3 users when empty"
    );
    press(&mut app, &b, "a").await;
    let Mode::Form(form) = &app.mode else {
        panic!("the key form");
    };
    let hits: Vec<String> = form.fields[0]
        .matches()
        .iter()
        .map(|(_, l)| l.clone())
        .collect();
    assert!(hits.iter().all(|l| !l.starts_with('—')), "{hits:?}");
    assert!(hits.contains(&"alice".to_string()) && hits.contains(&"carol".to_string()));
}

#[tokio::test]
async fn the_footer_offers_only_keys_that_act_on_the_pane() {
    let b = backend().await;
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":audit\n").await;
    let s = screen(&app);
    let footer = s.lines().last().unwrap_or_default().to_string();
    assert!(
        !footer.contains("new") && !footer.contains("edit") && !footer.contains("delete"),
        "{footer}"
    );
    press(&mut app, &b, ":keys\n").await;
    let s = screen(&app);
    let footer = s.lines().last().unwrap_or_default().to_string();
    assert!(
        !footer.contains("edit") && !footer.contains("open"),
        "{footer}"
    );
    assert!(footer.contains("new"), "{footer}");
}

#[tokio::test]
async fn the_defaults_dialog_takes_quick_keys_and_shows_its_result_at_60x15() {
    use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    use gatehouse::presets::PRESETS;
    use gatehouse::tui::app::{Effect, Msg};
    let b = backend().await;
    let mut app = open(&b, false).await;
    app.size = (60, 15);
    let key = |app: &mut gatehouse::tui::app::App, code| {
        app.on_event(&Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    };
    let first = key(&mut app, KeyCode::Char('c'));
    assert_eq!(first, vec![Effect::PresetDryRun(PRESETS[0].name.into())]);
    // Two ↓ before any answer: both count.
    let a = key(&mut app, KeyCode::Down);
    let c = key(&mut app, KeyCode::Down);
    assert_eq!(a, vec![Effect::PresetDryRun(PRESETS[1].name.into())]);
    assert_eq!(c, vec![Effect::PresetDryRun(PRESETS[2].name.into())]);
    // A late answer for a preset no longer chosen is dropped; the chosen one's is shown.
    let report = |n: usize| gatehouse::backend::ImportReport {
        dry_run: true,
        revision: n as u64,
        ..Default::default()
    };
    app.on_msg(Msg::PresetPreview(PRESETS[1].name.into(), report(1)));
    let Mode::Defaults(d) = &app.mode else {
        panic!("the dialog")
    };
    assert!(d.preview.is_none() && d.selected == 2);
    app.on_msg(Msg::PresetPreview(PRESETS[2].name.into(), report(2)));
    let Mode::Defaults(d) = &app.mode else {
        panic!("the dialog")
    };
    assert_eq!(d.preview.as_ref().map(|r| r.revision), Some(2));
    // Applied on a short screen: what already existed is in view.
    let applied = key(&mut app, KeyCode::Enter);
    assert_eq!(applied, vec![Effect::PresetApply(PRESETS[2].name.into())]);
    app.on_msg(Msg::PresetApplied(gatehouse::backend::ImportReport {
        revision: 9,
        ..Default::default()
    }));
    let s = screen(&app);
    assert!(s.contains("already present"), "{s}");
}

#[tokio::test]
async fn an_overwrite_pressed_before_the_reload_lands_names_the_current_version() {
    use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    use gatehouse::backend::RoleSpec;
    use gatehouse::tui::app::{Effect, Msg};
    use gatehouse::tui::perform;
    let b = backend().await;
    let r = b
        .create_role(RoleSpec {
            name: "Editors".into(),
            description: String::new(),
        })
        .await
        .expect("role");
    let mut app = open(&b, false).await;
    press(&mut app, &b, "e\tmine").await;
    b.update_role(
        r.id,
        RoleSpec {
            name: "Editors".into(),
            description: "theirs".into(),
        },
        r.version,
    )
    .await
    .expect("update");
    // Ctrl-S: the save fails as stale; the reload it asks for is not carried out yet.
    let save = app.on_event(&Event::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )));
    let [Effect::Save(_)] = save.as_slice() else {
        panic!("{save:?}")
    };
    let failed = perform(&b, save.into_iter().next().expect("save"))
        .await
        .expect("a message");
    assert!(matches!(&failed, Msg::SaveFailed(e) if e.is_stale()));
    let reload = app.on_msg(failed);
    assert_eq!(reload, vec![Effect::Load]);
    // `o` now: the form still holds the old data, yet the overwrite names the version the
    // conflict reported.
    let again = app.on_event(&Event::Key(KeyEvent::new(
        KeyCode::Char('o'),
        KeyModifiers::NONE,
    )));
    let [Effect::Save(_)] = again.as_slice() else {
        panic!("{again:?}")
    };
    let done = perform(&b, again.into_iter().next().expect("save"))
        .await
        .expect("a message");
    assert!(matches!(done, Msg::Saved { .. }), "{done:?}");
    let s = b.state().await.expect("state");
    assert_eq!(s.role_by_name("Editors").expect("role").description, "mine");
}
