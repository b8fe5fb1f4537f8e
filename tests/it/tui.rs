//! The console as a person sees it: every pane, dialog and overlay drawn on ratatui's
//! `TestBackend` at 80x24 and 120x40 (insta snapshots), and key flows on the app state.

use crate::support::build;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use gatehouse::backend::{BackendInfo, BackendKind, Capabilities, Me};
use gatehouse::model::{ApiKey, AuditEvent, Id, ObjectKind, Permission, Role, Team, User};
use gatehouse::policy::State;
use gatehouse::tui::app::{App, Data, Effect, Mode, Msg};
use gatehouse::tui::draw::draw;
use gatehouse::tui::theme::Theme;
use gatehouse::tui::view::Pane;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;
use time::macros::datetime;
use uuid::Uuid;

pub(crate) fn id(n: u128) -> Id {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n)
}

/// A fixed world: fixed ids and times, so snapshots are stable.
pub(crate) fn fixture() -> State {
    let t = datetime!(2026-11-02 09:30 UTC);
    let mut s = State::default();
    let user = |n: u128, name: &str, email: &str, owner: bool| User {
        email: email.into(),
        owner,
        ..build::user(id(n), name, t)
    };
    for u in [
        user(1, "admin", "admin@example.org", true),
        user(2, "alice", "alice@example.org", false),
        user(3, "bob", "bob@example.org", false),
        user(4, "evil\u{1b}[2Jname", "x@example.org", false),
        user(5, "rtl\u{202e}txt.exe", "", false),
    ] {
        s.users.insert(u.id, u);
    }
    let role = |n: u128, name: &str, d: &str| Role {
        description: d.into(),
        ..build::role(id(n), name, t)
    };
    for r in [
        role(10, "Pipeline editors", "edit example_pipeline"),
        role(11, "Viewer default permissions", "Mage viewer"),
        role(12, "ops-admin", ""),
    ] {
        s.roles.insert(r.id, r);
    }
    let perm = |n: u128, entity: &str, uuid: Option<&str>, g: &[&str], d: &[&str]| Permission {
        entity_uuid: uuid.map(Into::into),
        grants: build::flags(g),
        denies: build::flags(d),
        ..build::permission(id(n), "mage", entity, t)
    };
    for p in [
        perm(
            20,
            "Pipeline",
            Some("example_pipeline"),
            &["DETAIL", "UPDATE"],
            &[],
        ),
        perm(21, "Pipeline", None, &["LIST", "READ_ALL"], &[]),
        perm(22, "Secret", None, &[], &["OPERATION_ALL"]),
        perm(23, "PipelineRun", None, &["OPERATION_ALL"], &["DELETE"]),
    ] {
        s.permissions.insert(&p);
    }
    s.role_permissions.extend([
        (id(10), id(20)),
        (id(10), id(21)),
        (id(11), id(21)),
        (id(12), id(23)),
    ]);
    s.user_roles.extend([(id(2), id(10)), (id(3), id(11))]);
    let team = Team {
        default_role: Some(id(11)),
        ..build::team(id(30), "ops", "Operations", t)
    };
    s.teams.insert(team.id, team);
    s.members.insert((id(30), id(3)), Some(id(12)));
    s.keys.insert(
        id(40),
        ApiKey {
            read_only: true,
            expires_at: Some(datetime!(2027-02-01 00:00 UTC)),
            ..build::api_key(id(40), id(2), "ghk_AbCdEfGh", &"00".repeat(32), t)
        },
    );
    s.revision = 42;
    s.reindex();
    s
}

fn audit() -> Vec<AuditEvent> {
    vec![AuditEvent {
        revision: 42,
        at: datetime!(2026-11-02 09:31 UTC),
        actor: "admin".into(),
        action: "update".into(),
        object_kind: ObjectKind::Role,
        object_id: id(10).to_string(),
        before: serde_json::json!({"name": "Pipeline editor", "description": ""}),
        after: serde_json::json!({"name": "Pipeline editors", "description": "edit example_pipeline"}),
    }]
}

pub(crate) fn data(can_write: bool) -> Data {
    Data {
        state: Arc::new(fixture()),
        audit: audit(),
        me: Me {
            username: "admin".into(),
            user: Some(id(1)),
            can_write,
            read_only_reason: (!can_write).then(|| "admin has no write permission".into()),
            auth_disabled: false,
        },
        info: BackendInfo {
            kind: BackendKind::Local,
            location: "/srv/gatehouse.db".into(),
            capabilities: Capabilities::ALL,
        },
        catalogs: Arc::new(gatehouse::catalog::Catalogs::builtin().expect("catalogs")),
    }
}

pub(crate) fn app(size: (u16, u16), can_write: bool) -> App {
    let mut a = App::new(Theme::monochrome(), size, false);
    a.on_msg(Msg::Loaded(Box::new(data(can_write))));
    a
}

pub(crate) fn key(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub(crate) fn chars(a: &mut App, s: &str) -> Vec<Effect> {
    s.chars()
        .flat_map(|c| a.on_event(&key(KeyCode::Char(c))))
        .collect()
}

pub(crate) fn screen(a: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(a.size.0, a.size.1)).expect("terminal");
    t.draw(|f| draw(a, f)).expect("draw");
    t.backend().to_string()
}

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

#[test]
fn every_pane_at_both_sizes() {
    for (w, h) in SIZES {
        for pane in Pane::ALL {
            let mut a = app((w, h), true);
            a.pane = pane;
            insta::assert_snapshot!(format!("pane_{}_{w}x{h}", pane.command()), screen(&a));
        }
    }
}

#[test]
fn overlays_and_dialogs_at_both_sizes() {
    for (w, h) in SIZES {
        let mut a = app((w, h), true);
        a.on_event(&key(KeyCode::Char('?')));
        insta::assert_snapshot!(format!("help_{w}x{h}"), screen(&a));

        let mut a = app((w, h), false);
        a.on_event(&key(KeyCode::Char('?')));
        insta::assert_snapshot!(format!("help_read_only_{w}x{h}"), screen(&a));

        let mut a = app((w, h), true);
        chars(&mut a, "/edit");
        insta::assert_snapshot!(format!("filter_{w}x{h}"), screen(&a));

        let mut a = app((w, h), true);
        chars(&mut a, "D");
        insta::assert_snapshot!(format!("confirm_delete_{w}x{h}"), screen(&a));

        let mut a = app((w, h), true);
        chars(&mut a, ":teams");
        a.on_event(&key(KeyCode::Enter));
        chars(&mut a, "D");
        insta::assert_snapshot!(format!("confirm_type_name_{w}x{h}"), screen(&a));
    }
}

#[test]
fn access_check_and_preset_dialog_at_both_sizes() {
    use gatehouse::backend::ImportReport;
    use gatehouse::backend::document::Count;
    use gatehouse::tui::check::CheckResult;
    for (w, h) in SIZES {
        let mut a = app((w, h), true);
        chars(&mut a, ":check alice");
        a.on_event(&key(KeyCode::Enter));
        chars(&mut a, "UPDATE");
        a.on_event(&key(KeyCode::Down));
        chars(&mut a, "Pipeline/example_pipeline");
        let effects = a.on_event(&key(KeyCode::Enter));
        assert!(
            matches!(&effects[..], [Effect::Check { user, action, target, owner: None, team: None, attribute: None }]
            if user == "alice" && action == "UPDATE" && target == "Pipeline/example_pipeline"),
            "{effects:?}"
        );
        a.on_msg(Msg::Checked(Ok(CheckResult {
            allowed: true,
            summary: "alice may UPDATE mage:Pipeline/example_pipeline — granted by permission 000000000014 (mage:Pipeline/example_pipeline) via role:Pipeline editors".into(),
            lines: vec![
                "alice".into(),
                "└─ role:Pipeline editors".into(),
                "   ├─ permission 000000000014 (mage:Pipeline/example_pipeline): grants".into(),
                "   └─ permission 000000000015 (mage:Pipeline/all): no access (action not among its flags)".into(),
                "rule: any matching deny → DENY; otherwise any matching grant → ALLOW; otherwise DENY".into(),
            ],
        })));
        insta::assert_snapshot!(format!("check_allow_{w}x{h}"), screen(&a));

        let mut a = app((w, h), true);
        let effects = chars(&mut a, "c");
        assert_eq!(effects, vec![Effect::PresetDryRun("mage".into())]);
        let report = ImportReport {
            dry_run: true,
            roles: Count {
                created: 6,
                present: 0,
            },
            permissions: Count {
                created: 623,
                present: 0,
            },
            links: Count {
                created: 625,
                present: 0,
            },
            revision: 42,
            ..Default::default()
        };
        a.on_msg(Msg::PresetPreview(
            gatehouse::presets::PRESETS[0].name.to_string(),
            report,
        ));
        insta::assert_snapshot!(format!("defaults_preview_{w}x{h}"), screen(&a));
        assert_eq!(
            a.on_event(&key(KeyCode::Enter)),
            vec![Effect::PresetApply("mage".into())]
        );
    }
}

/// On a Mage server the dialog offers Mage's own seed (`s`, hinted on the border) and shows
/// the REST seed's progress with a bar.
#[test]
fn the_defaults_dialog_on_mage_offers_its_own_seed_and_shows_progress() {
    use gatehouse::backend::document::{Count, ImportReport};
    let mut d = data(true);
    d.info.kind = BackendKind::Mage;
    let mut a = App::new(Theme::monochrome(), (80, 24), false);
    a.on_msg(Msg::Loaded(Box::new(d)));
    assert_eq!(
        chars(&mut a, "c"),
        vec![Effect::PresetDryRun("mage".into())]
    );
    // `s` does nothing before the dry run is shown.
    assert!(chars(&mut a, "s").is_empty());
    let count = |created| Count {
        created,
        present: 0,
    };
    a.on_msg(Msg::PresetPreview(
        "mage".into(),
        ImportReport {
            dry_run: true,
            roles: count(6),
            permissions: count(623),
            links: count(625),
            ..Default::default()
        },
    ));
    let s = screen(&a);
    assert!(s.contains("s Mage's own seed (slow)"), "{s}");
    insta::assert_snapshot!("defaults_mage_preview_80x24", s);
    assert_eq!(chars(&mut a, "s"), vec![Effect::MageSeed]);
    // Nothing more while it runs.
    assert!(a.on_event(&key(KeyCode::Enter)).is_empty());
    a.on_msg(Msg::PresetProgress(gatehouse::backend::PresetProgress {
        message: "Creating Mage's defaults through its REST API: 6 of 6 roles, 300 of 623 \
                  permissions, links of 0 of 6 roles"
            .into(),
        done: 306,
        total: 635,
    }));
    let s = screen(&a);
    assert!(s.contains("306/635"), "{s}");
    insta::assert_snapshot!("defaults_mage_progress_80x24", s);
    // On another backend there is no `s`.
    let mut a = app((80, 24), true);
    chars(&mut a, "c");
    a.on_msg(Msg::PresetPreview("mage".into(), ImportReport::default()));
    assert!(!screen(&a).contains("own seed"));
    assert!(chars(&mut a, "s").is_empty());
}

#[test]
fn detail_pages_at_both_sizes() {
    use gatehouse::catalog::Catalogs;
    use gatehouse::engine::Engine;
    for (w, h) in SIZES {
        let mut a = app((w, h), true);
        assert!(
            a.on_event(&key(KeyCode::Enter)).is_empty(),
            "a role page needs nothing more"
        );
        assert!(matches!(a.mode, Mode::Detail(_)));
        insta::assert_snapshot!(format!("detail_role_{w}x{h}"), screen(&a));
        a.on_event(&key(KeyCode::Esc));
        assert!(matches!(a.mode, Mode::Normal));

        let mut a = app((w, h), true);
        chars(&mut a, ":users bob");
        a.on_event(&key(KeyCode::Enter));
        let effects = a.on_event(&key(KeyCode::Enter));
        assert_eq!(effects, vec![Effect::WhatCan(id(3))]);
        let engine = Engine::build(&fixture(), &Catalogs::builtin().expect("catalogs"));
        let what = engine.what_can(id(3)).expect("bob");
        a.on_msg(Msg::Effective(id(3), Ok(what)));
        insta::assert_snapshot!(format!("detail_user_{w}x{h}"), screen(&a));
    }
}

#[test]
fn untrusted_names_are_drawn_as_visible_escapes() {
    let mut a = app((120, 40), true);
    a.pane = Pane::Users;
    let s = screen(&a);
    assert!(
        !s.contains('\u{1b}') && !s.contains('\u{202e}'),
        "raw control characters reached the screen"
    );
    assert!(s.contains("evil\\x1b[2Jname"), "{s}");
    assert!(s.contains("rtl\\u{202e}txt.exe"), "{s}");
}

#[test]
fn filter_command_line_and_sorting() {
    let mut a = app((80, 24), true);
    chars(&mut a, ":users al");
    a.on_event(&key(KeyCode::Enter));
    assert_eq!(a.pane, Pane::Users);
    assert_eq!(a.list().visible.len(), 1);
    assert_eq!(
        a.list().selected_row().map(|r| r.id().into_owned()),
        Some("alice".to_string())
    );
    a.on_event(&key(KeyCode::Esc));
    assert_eq!(a.list().visible.len(), 5, "Esc clears the filter");
    chars(&mut a, "/");
    chars(&mut a, "zzz");
    assert!(a.list().visible.is_empty());
    a.on_event(&key(KeyCode::Esc));
    assert_eq!(a.list().visible.len(), 5);
    chars(&mut a, "S");
    let first = a.list().selected_row().map(|r| r.id().to_string());
    assert_eq!(
        first.as_deref(),
        Some("rtl\u{202e}txt.exe"),
        "reverse sort by username"
    );
    chars(&mut a, "G");
    assert_eq!(a.list().selected, 4);
    chars(&mut a, "g");
    assert_eq!(a.list().selected, 0);
    assert_eq!(chars(&mut a, ":q"), vec![]);
    assert_eq!(a.on_event(&key(KeyCode::Enter)), vec![Effect::Quit]);
    let mut a = app((80, 24), true);
    chars(&mut a, ":nope");
    a.on_event(&key(KeyCode::Enter));
    assert!(
        a.message
            .as_ref()
            .is_some_and(|(m, _)| m.contains("unknown command ':nope'"))
    );
}

#[test]
fn delete_goes_through_the_confirm_dialog_with_cancel_focused() {
    let mut a = app((80, 24), true);
    chars(&mut a, ":permissions");
    a.on_event(&key(KeyCode::Enter));
    // The dialog opens and asks what the delete would do to access.
    let asked = chars(&mut a, "D");
    assert!(
        matches!(asked.as_slice(), [Effect::WhatIf(c)] if matches!(c.as_slice(), [gatehouse::policy::Change::Delete { kind: ObjectKind::Permission, id: pid, cascade: true, .. }] if *pid == id(20))),
        "{asked:?}"
    );
    assert!(matches!(a.mode, Mode::Confirm(_)));
    assert!(
        a.on_event(&key(KeyCode::Enter)).is_empty(),
        "Enter on the focused Cancel deletes nothing"
    );
    assert!(matches!(a.mode, Mode::Normal));
    let asked = chars(&mut a, "D");
    // The answer fills the dialog; an answer about another change does not.
    let Some(Effect::WhatIf(change)) = asked.first().cloned() else {
        panic!("{asked:?}")
    };
    let other = vec![gatehouse::policy::Change::Delete {
        kind: ObjectKind::Permission,
        id: id(21),
        expected_version: None,
        cascade: true,
    }];
    a.on_msg(Msg::WhatIf(other, Ok(vec!["wrong".into()])));
    let Mode::Confirm(c) = &a.mode else {
        panic!("still asking")
    };
    assert_eq!(c.what_if, gatehouse::tui::confirm::WhatIf::Pending);
    a.on_msg(Msg::WhatIf(
        change,
        Ok(vec![
            "0 user(s) gain access, 1 lose access".into(),
            "  bob: - LIST on mage:Pipeline".into(),
        ]),
    ));
    let shown = screen(&a);
    assert!(
        shown.contains("0 user(s) gain access, 1 lose access"),
        "{shown}"
    );
    assert!(shown.contains("bob: - LIST on mage:Pipeline"), "{shown}");
    a.on_event(&key(KeyCode::Tab));
    let effects = a.on_event(&key(KeyCode::Enter));
    assert_eq!(effects.len(), 1);
    assert!(
        matches!(&effects[0], Effect::Delete { kind: ObjectKind::Permission, id: pid, force: true, .. } if *pid == id(20)),
        "{effects:?}"
    );
}

#[test]
fn a_role_or_team_with_members_needs_its_name_typed() {
    let mut a = app((80, 24), true);
    chars(&mut a, ":teams");
    a.on_event(&key(KeyCode::Enter));
    chars(&mut a, "D");
    a.on_event(&key(KeyCode::Tab));
    assert!(
        a.on_event(&key(KeyCode::Enter)).is_empty(),
        "no name typed: nothing happens"
    );
    assert!(matches!(a.mode, Mode::Confirm(_)));
    a.on_event(&key(KeyCode::BackTab));
    chars(&mut a, "ops");
    a.on_event(&key(KeyCode::Tab));
    let effects = a.on_event(&key(KeyCode::Enter));
    assert!(
        matches!(
            &effects[..],
            [Effect::Delete {
                kind: ObjectKind::Team,
                ..
            }]
        ),
        "{effects:?}"
    );
}

#[test]
fn read_only_disables_every_mutating_key() {
    for forced in [true, false] {
        let mut a = App::new(Theme::monochrome(), (80, 24), forced);
        // Read-only either by --read-only, or because the principal cannot write.
        a.on_msg(Msg::Loaded(Box::new(data(forced))));
        for c in ['n', 'e', 'a', 'x', 'D', 'c'] {
            let effects = chars(&mut a, &c.to_string());
            assert!(effects.is_empty(), "{c} did something while read-only");
            assert!(matches!(a.mode, Mode::Normal));
            let (m, _) = a.message.clone().expect("a reason is shown");
            assert!(m.contains("disabled"), "{m}");
        }
        assert!(screen(&a).contains("READ-ONLY"));
    }
}

#[test]
fn navigation_wraps_and_pages() {
    let mut a = app((80, 24), true);
    a.on_event(&Event::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    )));
    assert_eq!(a.pane, Pane::Check);
    a.on_event(&key(KeyCode::Tab));
    assert_eq!(a.pane, Pane::Roles);
    a.on_event(&key(KeyCode::PageDown));
    assert_eq!(a.list().selected, 2, "a page down stops at the last row");
    a.on_event(&Event::Resize(100, 30));
    assert_eq!(a.size, (100, 30));
}

#[test]
fn forms_pickers_and_remove_dialog_at_both_sizes() {
    for (w, h) in SIZES {
        // The permission form: entity picked as you type, UUID, the access toggles.
        let mut a = app((w, h), true);
        chars(&mut a, ":permissions");
        a.on_event(&key(KeyCode::Enter));
        chars(&mut a, "n");
        assert!(matches!(a.mode, Mode::Form(_)));
        a.on_event(&key(KeyCode::Tab));
        chars(&mut a, "Pipe");
        insta::assert_snapshot!(format!("form_permission_entity_{w}x{h}"), screen(&a));
        a.on_event(&key(KeyCode::Tab));
        chars(&mut a, "example_pipeline");
        a.on_event(&key(KeyCode::Tab));
        for _ in 0..4 {
            a.on_event(&key(KeyCode::Right));
        }
        chars(&mut a, " ");
        a.on_event(&key(KeyCode::Right));
        chars(&mut a, "  ");
        // A refused save: the message sits under the field it names.
        let effects = a.on_event(&Event::Key(KeyEvent::new(
            KeyCode::Char('s'),
            KeyModifiers::CONTROL,
        )));
        assert!(matches!(&effects[..], [Effect::Save(_)]), "{effects:?}");
        a.on_msg(Msg::SaveFailed(gatehouse::backend::Error::invalid(
            "entity_uuid",
            "no Pipeline has UUID 'example_pipeline' here; check the spelling",
        )));
        insta::assert_snapshot!(format!("form_permission_error_{w}x{h}"), screen(&a));

        // The user form.
        let mut a = app((w, h), true);
        chars(&mut a, ":users");
        a.on_event(&key(KeyCode::Enter));
        chars(&mut a, "ncarol");
        insta::assert_snapshot!(format!("form_user_{w}x{h}"), screen(&a));

        // The role form (edit, from the list) and the team form (default role picker).
        let mut a = app((w, h), true);
        chars(&mut a, "e");
        insta::assert_snapshot!(format!("form_role_edit_{w}x{h}"), screen(&a));
        let mut a = app((w, h), true);
        chars(&mut a, ":teams");
        a.on_event(&key(KeyCode::Enter));
        chars(&mut a, "e");
        for _ in 0..3 {
            a.on_event(&key(KeyCode::Tab));
        }
        insta::assert_snapshot!(format!("form_team_edit_{w}x{h}"), screen(&a));

        // The relation picker over a role's page, one candidate marked.
        let mut a = app((w, h), true);
        a.on_event(&key(KeyCode::Enter));
        // Past the role's fields and its created/updated lines to the Users heading.
        for _ in 0..11 {
            a.on_event(&key(KeyCode::Char('j')));
        }
        chars(&mut a, "a");
        assert!(matches!(a.mode, Mode::Picker { .. }), "{:?}", a.mode);
        chars(&mut a, " ");
        insta::assert_snapshot!(format!("picker_role_users_{w}x{h}"), screen(&a));

        // `x` on a relation asks first, Cancel focused.
        let mut a = app((w, h), true);
        a.on_event(&key(KeyCode::Enter));
        for _ in 0..7 {
            a.on_event(&key(KeyCode::Char('j')));
        }
        chars(&mut a, "x");
        assert!(matches!(a.mode, Mode::Confirm(_)), "{:?}", a.mode);
        insta::assert_snapshot!(format!("confirm_remove_{w}x{h}"), screen(&a));
    }
}

#[test]
fn unreachable_backend_banner_retries_and_keeps_the_form() {
    for (w, h) in SIZES {
        let mut a = app((w, h), true);
        chars(&mut a, "ndraft role");
        let effects = a.on_msg(Msg::LoadFailed(
            gatehouse::backend::Error::Unreachable(
                "http://127.0.0.1:7420: connection refused".into(),
            ),
            0,
        ));
        assert_eq!(effects, vec![Effect::RetryLoad(1)]);
        let again = a.on_msg(Msg::LoadFailed(
            gatehouse::backend::Error::Unreachable(
                "http://127.0.0.1:7420: connection refused".into(),
            ),
            1,
        ));
        assert_eq!(again, vec![Effect::RetryLoad(2)]);
        assert!(matches!(&a.mode, Mode::Form(f) if f.fields[0].text_value() == "draft role"));
        insta::assert_snapshot!(format!("unreachable_form_kept_{w}x{h}"), screen(&a));
        // Back online: the banner goes, the form is still there.
        a.on_msg(Msg::Loaded(Box::new(data(true))));
        assert!(!screen(&a).contains("UNREACHABLE"));
        assert!(matches!(&a.mode, Mode::Form(f) if f.fields[0].text_value() == "draft role"));
    }
}

#[test]
fn a_new_key_secret_is_shown_in_a_dialog() {
    let state = fixture();
    let record = state.keys[&id(40)].clone();
    for (w, h) in SIZES {
        let mut a = app((w, h), true);
        a.on_msg(Msg::KeyCreated(Box::new(gatehouse::backend::CreatedKey {
            record: record.clone(),
            secret: "ghk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEFG".into(),
        })));
        insta::assert_snapshot!(format!("key_secret_{w}x{h}"), screen(&a));
        chars(&mut a, "x");
        assert!(matches!(a.mode, Mode::Normal));
    }
}

#[test]
fn a_server_without_authentication_shows_a_red_banner() {
    let mut d = data(true);
    d.info.kind = BackendKind::Remote;
    d.info.location = "http://127.0.0.1:7420".into();
    d.me.auth_disabled = true;
    let mut a = App::new(Theme::monochrome(), (120, 40), false);
    a.on_msg(Msg::Loaded(Box::new(d)));
    let s = screen(&a);
    assert!(s.contains("remote:http://127.0.0.1:7420"), "{s}");
    assert!(s.contains("NO AUTH"), "{s}");
}
