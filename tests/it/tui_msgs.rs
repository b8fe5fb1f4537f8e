//! Console messages and safe defaults: the message log (`:messages`, `M`) keeps every message
//! whole and the status line points to it; an old error never sits next to a newer success;
//! the `?` help and the Access check answer scroll; a permission on every entity is an
//! explicit `ALL` choice; an API key's user must be chosen and it is read-only unless
//! read-write is chosen; the Audit pane pages back through the whole log and opens an event.

use crate::tui_support;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use gatehouse::backend::Backend;
use gatehouse::backend::RoleSpec;
use gatehouse::model::AuditQuery;
use gatehouse::model::{AuditEvent, ObjectKind};
use gatehouse::tui::app::{App, Mode, Tone};
use gatehouse::tui::audit::EventPage;
use gatehouse::tui::check::CheckResult;
use gatehouse::tui::field::FieldKind;
use gatehouse::tui::theme::Theme;
use gatehouse::tui::view::Pane;
use time::macros::datetime;
use tui_support::{backend, open, press, role, screen, user};

const SIZES: [(u16, u16); 3] = [(60, 15), (80, 24), (120, 40)];

fn key(app: &mut App, code: KeyCode) {
    let effects = app.on_event(&Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    assert!(effects.is_empty(), "{effects:?}");
}

fn long_command() -> String {
    format!(":{}\n", "nosuchcommand".repeat(14))
}

#[tokio::test]
async fn a_long_error_is_cut_on_the_status_line_and_whole_in_the_log() {
    let b = backend().await;
    let mut app = open(&b, false).await;
    app.size = (200, 30);
    press(&mut app, &b, &long_command()).await;
    let (text, tone) = app.message.clone().expect("a message");
    assert_eq!(tone, Tone::Error);
    assert!(text.len() > 200, "{text}");
    let s = screen(&app);
    assert!(
        s.contains("… M/F2: full text"),
        "the status line says where the rest is:\n{s}"
    );
    // `:messages` opens the log, which shows the whole text, wrapped.
    press(&mut app, &b, ":messages\n").await;
    assert!(matches!(app.mode, Mode::Messages(_)), "{:?}", app.mode);
    let s = screen(&app);
    let flat: String = s
        .split_whitespace()
        .collect::<String>()
        .replace(['│', '"'], "");
    assert!(
        flat.contains("messages(log),refresh(r),quit(q),oranyunambiguousprefix"),
        "{s}"
    );
    assert_eq!(
        flat.matches("nosuchcommand").count(),
        14,
        "every repetition is shown:\n{s}"
    );
    // Esc closes it; M opens it again.
    press(&mut app, &b, "⎋").await;
    assert!(matches!(app.mode, Mode::Normal));
    press(&mut app, &b, "M").await;
    assert!(matches!(app.mode, Mode::Messages(_)));
}

#[tokio::test]
async fn field_errors_go_to_the_log_whole() {
    let b = backend().await;
    user(&b, "viewer").await;
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":keys\nn\n").await;
    assert!(matches!(app.mode, Mode::Form(_)));
    assert!(
        app.log
            .entries()
            .any(|e| e.tone == Tone::Error && e.text.contains("choose the user the key acts as")),
        "{:?}",
        app.log.entries().collect::<Vec<_>>()
    );
    // F2 opens the log over the form (M would be typed); closing it returns to the form as
    // it was.
    press(&mut app, &b, "vie").await;
    key(&mut app, KeyCode::F(2));
    assert!(
        matches!(app.mode, Mode::Messages(Some(_))),
        "{:?}",
        app.mode
    );
    assert!(screen(&app).contains("choose the user the key acts as: type part of a username"));
    key(&mut app, KeyCode::Esc);
    let Mode::Form(f) = &app.mode else {
        panic!("not back in the form: {:?}", app.mode)
    };
    assert_eq!(f.fields[0].text_value(), "vie");
}

#[tokio::test]
async fn an_old_error_never_sits_next_to_a_newer_success() {
    let b = backend().await;
    user(&b, "viewer").await;
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":nosuch\n").await;
    assert_eq!(app.message.as_ref().map(|m| m.1), Some(Tone::Error));
    press(&mut app, &b, ":keys\nnview\n").await;
    assert!(matches!(app.mode, Mode::Secret(_)), "{:?}", app.mode);
    let (text, tone) = app.message.clone().expect("a message");
    assert_eq!(tone, Tone::Ok, "{text}");
    assert!(text.starts_with("created API key"), "{text}");
    // Both are in the log, in order.
    let texts: Vec<&str> = app.log.entries().map(|e| e.text.as_str()).collect();
    let err = texts.iter().position(|t| t.contains("nosuch"));
    let ok = texts.iter().position(|t| t.starts_with("created API key"));
    assert!(err < ok && err.is_some(), "{texts:?}");
}

#[test]
fn the_log_scrolls_and_marks_what_is_below() {
    let mut app = App::new(Theme::monochrome(), (60, 15), false);
    app.log.frozen = Some(datetime!(2026-12-06 21:00:00 UTC));
    for i in 0..40 {
        app.log.push(&format!("message number {i}"), Tone::Info);
    }
    key(&mut app, KeyCode::Char('M'));
    // Opens at the newest.
    let s = screen(&app);
    assert!(
        s.contains("message number 39") && s.contains("more above"),
        "{s}"
    );
    key(&mut app, KeyCode::Char('g'));
    let s = screen(&app);
    assert!(
        s.contains("message number 0") && s.contains("more below"),
        "{s}"
    );
    assert!(!s.contains("message number 39"), "{s}");
    key(&mut app, KeyCode::PageDown);
    let s = screen(&app);
    assert!(
        !s.contains("message number 0 ") && s.contains("more below"),
        "{s}"
    );
    key(&mut app, KeyCode::Char('G'));
    let s = screen(&app);
    assert!(
        s.contains("message number 39") && !s.contains("more below"),
        "{s}"
    );
    key(&mut app, KeyCode::Char('q'));
    assert!(
        matches!(app.mode, Mode::Normal),
        "q closes the log, it does not quit"
    );
}

#[test]
fn the_help_scrolls_on_a_small_terminal() {
    let mut app = App::new(Theme::monochrome(), (60, 15), false);
    key(&mut app, KeyCode::Char('?'));
    let s = screen(&app);
    assert!(s.contains("more below"), "{s}");
    assert!(!s.contains("closes this help"), "{s}");
    key(&mut app, KeyCode::Char('G'));
    assert!(
        matches!(app.mode, Mode::Help),
        "G scrolls, it does not close"
    );
    let s = screen(&app);
    assert!(
        s.contains("closes this help") && !s.contains("more below"),
        "{s}"
    );
    key(&mut app, KeyCode::Char('k'));
    assert!(screen(&app).contains("more below"));
    key(&mut app, KeyCode::Char('x'));
    assert!(matches!(app.mode, Mode::Normal), "any other key closes it");
}

#[test]
fn the_access_check_answer_scrolls() {
    let mut app = App::new(Theme::monochrome(), (60, 15), false);
    app.pane = Pane::Check;
    app.check.result = Some(Ok(CheckResult {
        allowed: true,
        summary: "alice may UPDATE Pipeline/example_pipeline — via role editors".into(),
        lines: (0..30).map(|i| format!("path line {i}")).collect(),
    }));
    let s = screen(&app);
    assert!(s.contains("ALLOW") && s.contains("more below"), "{s}");
    assert!(!s.contains("path line 29"), "{s}");
    key(&mut app, KeyCode::Char('G'));
    let s = screen(&app);
    assert!(
        s.contains("path line 29") && !s.contains("more below"),
        "{s}"
    );
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::PageDown);
    let s = screen(&app);
    assert!(!s.contains("ALLOW") && s.contains("more above"), "{s}");
    // While the fields are edited, PageUp still scrolls and letters are typed.
    app.check.editing = true;
    key(&mut app, KeyCode::PageUp);
    assert!(screen(&app).contains("ALLOW"));
}

#[tokio::test]
async fn an_empty_entity_is_an_error_and_all_is_an_explicit_choice() {
    let b = backend().await;
    let mut app = open(&b, false).await;
    let before = b.state().await.expect("state").permissions.len();
    press(&mut app, &b, ":permissions\nn\t\n").await;
    let Mode::Form(f) = &app.mode else {
        panic!("the form closed: {:?}", app.message)
    };
    let entity = f.fields.iter().find(|f| f.key == "entity").expect("entity");
    assert_eq!(
        entity.error.as_deref(),
        Some("choose an entity, or ALL for every entity")
    );
    assert!(screen(&app).contains("choose an entity, or ALL"));
    assert_eq!(b.state().await.expect("state").permissions.len(), before);
    // ALL is an item of the picker, said plainly.
    press(&mut app, &b, "ALL").await;
    let s = screen(&app);
    assert!(s.contains("ALL (every entity)"), "{s}");
    press(&mut app, &b, "\t\t §").await;
    assert!(
        matches!(app.mode, Mode::Normal),
        "{:?} {:?}",
        app.mode,
        app.message
    );
    let state = b.state().await.expect("state");
    assert_eq!(state.permissions.len(), before + 1);
    assert!(state.permissions.values().any(|p| p.entity == "ALL"));
}

#[tokio::test]
async fn an_api_key_needs_a_chosen_user_and_is_read_only_unless_chosen() {
    let b = backend().await;
    user(&b, "alice").await;
    user(&b, "viewer").await;
    let mut app = open(&b, false).await;
    // n then Enter: nothing is created; the form says what is missing.
    press(&mut app, &b, ":keys\nn\n").await;
    let Mode::Form(f) = &app.mode else {
        panic!("the form closed: {:?}", app.mode)
    };
    assert!(
        f.fields[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("choose the user")),
        "{:?}",
        f.fields[0].error
    );
    assert!(b.state().await.expect("state").keys.is_empty());
    let s = screen(&app);
    assert!(
        s.contains("‹ read-only ›"),
        "the safe access is shown:\n{s}"
    );
    // A chosen user; access left as it is: a read-only key.
    press(&mut app, &b, "view§").await;
    assert!(matches!(app.mode, Mode::Secret(_)), "{:?}", app.mode);
    let state = b.state().await.expect("state");
    let k = state.keys.values().next().expect("a key");
    assert!(k.read_only);
    assert_eq!(state.users[&k.user_id].username, "viewer");
    // Read-write only when chosen.
    press(&mut app, &b, "xnalice\t→§").await;
    let state = b.state().await.expect("state");
    assert!(
        state
            .keys
            .values()
            .any(|k| !k.read_only && state.users[&k.user_id].username == "alice"),
        "{:?}",
        app.message
    );
}

#[tokio::test]
async fn the_audit_pane_pages_back_to_the_first_event() {
    let b = backend().await;
    for i in 0..1100 {
        role(&b, &format!("role {i:04}")).await;
    }
    let all = b.audit(AuditQuery::default()).await.expect("audit");
    assert!(all.len() > 1100);
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":audit\n").await;
    assert_eq!(app.list().rows.len(), 1000, "the first page");
    assert!(screen(&app).contains("older events load past the last one"));
    press(&mut app, &b, "G").await;
    assert_eq!(app.list().rows.len(), all.len(), "paged to the whole log");
    let oldest = all.iter().map(|e| e.revision).min();
    let loaded = app
        .data
        .as_ref()
        .map(|d| d.audit.iter().map(|e| e.revision).min());
    assert_eq!(loaded, Some(oldest));
    // Every event once.
    let mut revs: Vec<(u64, String)> = app
        .data
        .as_ref()
        .map(|d| {
            d.audit
                .iter()
                .map(|e| (e.revision, e.object_id.clone()))
                .collect()
        })
        .unwrap_or_default();
    revs.sort();
    revs.dedup();
    assert_eq!(revs.len(), all.len());
    // At the end of the whole log, nothing more is asked for.
    assert!(!app.audit_paging.more);
    assert!(!screen(&app).contains("older events load"));
}

#[tokio::test]
async fn enter_on_an_audit_event_shows_what_changed() {
    let b = backend().await;
    let r = role(&b, "Editors").await;
    b.update_role(
        r.id,
        RoleSpec {
            name: "Pipeline editors".into(),
            description: "edit pipelines".into(),
        },
        r.version,
    )
    .await
    .expect("update");
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":audit\n\n").await;
    assert!(matches!(app.mode, Mode::AuditEvent(_)), "{:?}", app.mode);
    let s = screen(&app);
    assert!(s.contains("name: Editors → Pipeline editors"), "{s}");
    assert!(
        s.contains("description: — → edit pipelines")
            || s.contains("description:  → edit pipelines"),
        "{s}"
    );
    assert!(s.contains("update role 'Pipeline editors'"), "{s}");
    press(&mut app, &b, "⎋").await;
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(app.pane, Pane::Audit);
}

fn snapshot_event() -> AuditEvent {
    AuditEvent {
        revision: 42,
        at: datetime!(2026-12-06 20:59:30 UTC),
        actor: "root".into(),
        action: "update".into(),
        object_kind: ObjectKind::Permission,
        object_id: "0190a000-0000-7000-8000-000000000001".into(),
        before: serde_json::json!({
            "catalog": "mage", "entity": "Pipeline", "grants": ["LIST", "DETAIL"],
            "denies": [], "description": "read pipelines", "version": 3,
        }),
        after: serde_json::json!({
            "catalog": "mage", "entity": "Pipeline", "grants": ["LIST", "DETAIL", "UPDATE"],
            "denies": ["DELETE"], "description": "edit pipelines but never delete them, \
            as agreed with the data platform team in the access review of November",
            "version": 4,
        }),
    }
}

#[test]
fn snapshots_of_the_log_the_event_page_and_the_key_form() {
    for (w, h) in SIZES {
        let mut app = App::new(Theme::monochrome(), (w, h), false);
        app.log.frozen = Some(datetime!(2026-12-06 21:00:00 UTC));
        app.log.push("created role 'Pipeline editors'", Tone::Ok);
        app.log.push(
            "Mage refused the permission: READ of attribute \
             pipeline_run_variables_with_secrets is not allowed for role 'Viewer default \
             permissions' because the attribute is reserved; ask an owner to grant it",
            Tone::Error,
        );
        app.log.push("loaded 3 roles", Tone::Info);
        key(&mut app, KeyCode::Char('M'));
        insta::assert_snapshot!(format!("message_log_{w}x{h}"), screen(&app));

        let mut app = App::new(Theme::monochrome(), (w, h), false);
        app.mode = Mode::AuditEvent(Box::new(EventPage::of(&snapshot_event(), "Pipeline")));
        insta::assert_snapshot!(format!("audit_event_{w}x{h}"), screen(&app));
    }
}

#[tokio::test]
async fn snapshots_of_the_key_form() {
    let b = backend().await;
    user(&b, "alice").await;
    user(&b, "viewer").await;
    for (w, h) in SIZES {
        let mut app = open(&b, false).await;
        app.size = (w, h);
        press(&mut app, &b, ":keys\nn\n").await;
        assert!(matches!(
            &app.mode,
            Mode::Form(f) if matches!(f.fields[1].kind, FieldKind::Cycle { .. })
        ));
        // The error under the field is wrapped, never cut: the form (right of the navigation
        // column when there is one, else the whole width) holds all of it.
        let form_side: String = screen(&app)
            .lines()
            .map(|l| {
                let l = l.replace('"', "");
                match l.split_once('│') {
                    Some((_, r)) => r.to_string(),
                    None => l,
                }
            })
            .collect::<String>()
            .split_whitespace()
            .collect();
        assert!(
            form_side.contains("choosetheuserthekeyactsas:typepartofausername"),
            "{w}x{h}: {form_side}"
        );
        insta::assert_snapshot!(format!("key_form_{w}x{h}"), screen(&app));
    }
}

#[tokio::test]
async fn an_older_audit_page_after_a_reload_is_dropped_not_joined_with_a_gap() {
    use gatehouse::tui::app::Msg;
    let b = backend().await;
    role(&b, "one").await;
    let mut app = open(&b, false).await;
    let n = app.data.as_ref().map_or(0, |d| d.audit.len());
    // A page read before revision 1 of a log whose loaded oldest is not revision 1 - 1.
    let all = b.audit(AuditQuery::default()).await.expect("audit");
    let first = all.iter().map(|e| e.revision).min().unwrap_or_default();
    let stale: Vec<AuditEvent> = all.into_iter().filter(|e| e.revision == first).collect();
    assert!(!stale.is_empty() && stale.len() < n);
    app.on_msg(Msg::AuditPage {
        before: 999,
        events: Ok(stale),
    });
    assert_eq!(app.data.as_ref().map_or(0, |d| d.audit.len()), n);
}

#[tokio::test]
async fn a_preset_application_is_working_until_its_final_message_not_its_progress() {
    use gatehouse::backend::PresetProgress;
    use gatehouse::tui::app::{Effect, Msg};
    let b = backend().await;
    let mut app = open(&b, false).await;
    let header = |app: &App| screen(app).lines().next().unwrap_or_default().to_string();
    let press_key =
        |app: &mut App, code| app.on_event(&Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    assert!(!header(&app).contains("working"), "{}", header(&app));
    let preview = press_key(&mut app, KeyCode::Char('c'));
    tui_support::settle(&mut app, &b, preview).await;
    assert!(!header(&app).contains("working"), "{}", header(&app));
    let apply = press_key(&mut app, KeyCode::Enter);
    assert!(
        matches!(apply.as_slice(), [Effect::PresetApply(_)]),
        "{apply:?}"
    );
    // A Mage seed reports its progress for minutes: still working all along.
    for done in 1..=3 {
        app.on_msg(Msg::PresetProgress(PresetProgress {
            message: format!("seeding: {done} of 3 roles"),
            done,
            total: 3,
        }));
        assert!(header(&app).contains("working"), "{}", header(&app));
    }
    let reload = app.on_msg(Msg::PresetApplied(Default::default()));
    assert_eq!(reload, vec![Effect::Load]);
    assert!(header(&app).contains("working"), "the reload");
    tui_support::settle(&mut app, &b, reload).await;
    assert!(!header(&app).contains("working"), "{}", header(&app));
}

/// The console's Access check on a whole Mage call that fails: the changes listed pass the
/// failing check only, and say so (the CLI says the same).
#[tokio::test]
async fn the_access_checks_hints_on_a_failing_call_promise_that_check_only() {
    use gatehouse::backend::{PermissionSpec, UserSpec};
    use gatehouse::policy::Link;
    let b = backend().await;
    b.create_user(UserSpec {
        username: "carol".into(),
        ..UserSpec::default()
    })
    .await
    .unwrap();
    let lister = b
        .create_role(RoleSpec {
            name: "Lister".into(),
            ..RoleSpec::default()
        })
        .await
        .unwrap();
    let p = b
        .create_permission(PermissionSpec {
            catalog: "mage".into(),
            entity: "Pipeline".into(),
            grants: vec!["LIST".into(), "READ".into()],
            read_attributes: vec!["name".into()],
            ..PermissionSpec::default()
        })
        .await
        .unwrap();
    b.link(Link::RolePermission {
        role: lister.id,
        permission: p.id,
    })
    .await
    .unwrap();
    let r = gatehouse::tui::check(&b, "carol", "LIST", "mage:Pipeline", None, None, None)
        .await
        .unwrap();
    assert!(!r.allowed);
    let text = r.lines.join("\n");
    assert!(text.contains("assign role Lister"), "{text}");
    assert!(text.contains("would pass this check"), "{text}");
    assert!(!text.contains("would allow it"), "{text}");
}

/// The runner works out a confirm dialog's what-if on the backend's current state: taking a
/// role from its only holder names her and what she loses; a refused change says why.
#[tokio::test]
async fn the_confirm_dialogs_what_if_is_worked_out_on_the_backend() {
    use gatehouse::backend::{PermissionSpec, UserSpec};
    use gatehouse::policy::{Change, Link};
    use gatehouse::tui::app::{Effect, Msg};
    let b = backend().await;
    let dora = b
        .create_user(UserSpec {
            username: "dora".into(),
            ..UserSpec::default()
        })
        .await
        .unwrap();
    let role = b
        .create_role(RoleSpec {
            name: "Auditors".into(),
            ..RoleSpec::default()
        })
        .await
        .unwrap();
    let p = b
        .create_permission(PermissionSpec {
            catalog: "gatehouse".into(),
            entity: "User".into(),
            grants: vec!["read".into()],
            ..PermissionSpec::default()
        })
        .await
        .unwrap();
    b.link(Link::RolePermission {
        role: role.id,
        permission: p.id,
    })
    .await
    .unwrap();
    let held = Link::UserRole {
        user: dora.id,
        role: role.id,
    };
    b.link(held).await.unwrap();
    let ask = vec![Change::Unlink(held)];
    let Some(Msg::WhatIf(asked, Ok(lines))) =
        gatehouse::tui::perform(&b, Effect::WhatIf(ask.clone())).await
    else {
        panic!("a what-if answer")
    };
    assert_eq!(asked, ask, "the answer names the change it is about");
    let text = lines.join("\n");
    assert!(
        text.contains("0 user(s) gain access, 1 lose access"),
        "{text}"
    );
    assert!(text.contains("dora: - read on gatehouse:User"), "{text}");
    // Deleting the role without its links is refused by the store's own rule: so here.
    let refused = vec![Change::Delete {
        kind: ObjectKind::Role,
        id: role.id,
        expected_version: None,
        cascade: false,
    }];
    let Some(Msg::WhatIf(_, Err(why))) = gatehouse::tui::perform(&b, Effect::WhatIf(refused)).await
    else {
        panic!("a refusal")
    };
    assert!(why.contains("still used by"), "{why}");
}
