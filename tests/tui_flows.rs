//! Console flows against a real backend (service + store in process): keys go into the app,
//! its effects are carried out exactly as the runner does (`tui::perform`), and the store and
//! the screen are checked afterwards.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use gatehouse::backend::{Backend, LocalBackend};
use gatehouse::service::{PermissionSpec, RoleSpec, UserSpec};
use gatehouse::store::{Link, MemoryStore};
use gatehouse::tui::app::{App, Effect, Mode};
use gatehouse::tui::draw::draw;
use gatehouse::tui::field::FieldKind;
use gatehouse::tui::perform;
use gatehouse::tui::theme::Theme;
use gatehouse::tui::view::Pane;

mod support;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;

async fn backend() -> LocalBackend {
    let mut b =
        LocalBackend::with_store(Arc::new(MemoryStore::new()), "memory".into(), None, false)
            .await
            .expect("open");
    b.init_and_adopt("root").await.expect("init");
    b
}

async fn user(b: &dyn Backend, name: &str) -> gatehouse::model::User {
    b.create_user(UserSpec {
        username: name.into(),
        ..Default::default()
    })
    .await
    .expect("user")
}

async fn role(b: &dyn Backend, name: &str) -> gatehouse::model::Role {
    b.create_role(RoleSpec {
        name: name.into(),
        description: String::new(),
    })
    .await
    .expect("role")
}

/// Carries out effects (and the effects their messages lead to) until none are left.
async fn settle(app: &mut App, b: &dyn Backend, mut effects: Vec<Effect>) {
    while let Some(e) = effects.pop() {
        assert_ne!(e, Effect::Quit);
        if let Some(msg) = perform(b, e).await {
            effects.extend(app.on_msg(msg));
        }
    }
}

async fn open(b: &dyn Backend, read_only: bool) -> App {
    let mut app = App::new(Theme::monochrome(), (120, 40), read_only);
    settle(&mut app, b, vec![Effect::Load]).await;
    app
}

async fn press(app: &mut App, b: &dyn Backend, keys: &str) {
    for c in keys.chars() {
        let (code, mods) = match c {
            '\n' => (KeyCode::Enter, KeyModifiers::NONE),
            '\t' => (KeyCode::Tab, KeyModifiers::NONE),
            '↓' => (KeyCode::Down, KeyModifiers::NONE),
            '↑' => (KeyCode::Up, KeyModifiers::NONE),
            '→' => (KeyCode::Right, KeyModifiers::NONE),
            '←' => (KeyCode::Left, KeyModifiers::NONE),
            '⎋' => (KeyCode::Esc, KeyModifiers::NONE),
            '⌫' => (KeyCode::Backspace, KeyModifiers::NONE),
            // Ctrl-S saves a form.
            '§' => (KeyCode::Char('s'), KeyModifiers::CONTROL),
            _ => (KeyCode::Char(c), KeyModifiers::NONE),
        };
        let effects = app.on_event(&Event::Key(KeyEvent::new(code, mods)));
        settle(app, b, effects).await;
    }
}

fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).expect("terminal");
    t.draw(|f| draw(app, f)).expect("draw");
    t.backend().to_string()
}

#[tokio::test]
async fn a_permission_on_one_uuid_shows_allow_with_its_path_in_the_access_check() {
    let b = backend().await;
    let alice = user(&b, "alice").await;
    let p = b
        .create_permission(PermissionSpec {
            catalog: "mage".into(),
            entity: "Pipeline".into(),
            entity_uuid: Some("example_pipeline".into()),
            grants: vec!["DETAIL".into(), "UPDATE".into()],
            ..Default::default()
        })
        .await
        .expect("permission");
    let role = role(&b, "Pipeline editors").await;
    b.link(Link::RolePermission {
        role: role.id,
        permission: p.id,
    })
    .await
    .expect("add");
    b.link(Link::UserRole {
        user: alice.id,
        role: role.id,
    })
    .await
    .expect("assign");

    let mut app = open(&b, false).await;
    press(&mut app, &b, ":check alice\n").await;
    assert_eq!(app.pane, Pane::Check);
    press(&mut app, &b, "UPDATE↓Pipeline/example_pipeline\n").await;
    let s = screen(&app);
    assert!(s.contains("ALLOW"), "{s}");
    assert!(
        s.contains("alice may UPDATE mage:Pipeline/example_pipeline"),
        "{s}"
    );
    assert!(
        s.contains("role:Pipeline editors"),
        "the path is shown:\n{s}"
    );

    // The user's page lists the effective permission with its path (Esc leaves the form).
    app.on_event(&Event::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    press(&mut app, &b, ":users alice\n\n").await;
    let s = screen(&app);
    assert!(
        s.contains("Users › alice") && s.contains("Pipeline editors"),
        "{s}"
    );
    assert!(
        s.contains("mage:Pipeline/example_pipeline")
            && s.contains("DETAIL UPDATE  ← role:Pipeline editors"),
        "{s}"
    );
    app.on_event(&Event::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    press(&mut app, &b, ":check\n").await;
    app.check.editing = true;

    // Another pipeline: denied, and the explanation says why.
    app.check.set(2, "Pipeline/other");
    press(&mut app, &b, "\n").await;
    let s = screen(&app);
    assert!(
        s.contains("DENY") && s.contains("no permission grants it"),
        "{s}"
    );
    assert!(s.contains("uuid mismatch"), "{s}");

    // Missing fields are named, nothing is asked.
    app.check.set(1, "");
    let effects = app.on_event(&Event::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    assert!(effects.is_empty());
    assert!(screen(&app).contains("action is required"));
}

#[tokio::test]
async fn create_default_roles_dialog_shows_the_dry_run_then_creates_them() {
    let b = backend().await;
    let mut app = open(&b, false).await;
    press(&mut app, &b, "c").await;
    assert!(
        matches!(app.mode, Mode::Defaults(_)),
        "{:?} {:?}",
        app.message,
        app.mode
    );
    let s = screen(&app);
    assert!(
        s.contains("will create: 6 roles, 623 permissions, 625 links"),
        "{s}"
    );
    assert_eq!(
        b.state().await.expect("state").roles.len(),
        0,
        "a dry run writes nothing"
    );
    press(&mut app, &b, "\n").await;
    let s = screen(&app);
    assert!(
        s.contains("created: 6 roles, 623 permissions, 625 links"),
        "{s}"
    );
    let state = b.state().await.expect("state");
    assert_eq!((state.roles.len(), state.permissions.len()), (6, 623));
    assert_eq!(
        app.lists[&Pane::Roles].rows.len(),
        6,
        "the list was reloaded"
    );
    // Closing and running it again: everything is already present.
    press(&mut app, &b, "xc").await;
    let s = screen(&app);
    assert!(
        s.contains("will create: 0 roles, 0 permissions, 0 links"),
        "{s}"
    );
    assert!(
        s.contains("already present: 6 roles, 623 permissions, 625 links"),
        "{s}"
    );
}

#[tokio::test]
async fn read_only_console_changes_nothing() {
    let b = backend().await;
    let mut app = open(&b, true).await;
    let before = b.state().await.expect("state").revision;
    press(&mut app, &b, "cD").await;
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(b.state().await.expect("state").revision, before);
}

#[tokio::test]
async fn deleting_through_the_dialog_deletes_in_the_store() {
    let b = backend().await;
    role(&b, "temporary").await;
    let mut app = open(&b, false).await;
    press(&mut app, &b, "D\t\n").await;
    assert!(
        b.state()
            .await
            .expect("state")
            .role_by_name("temporary")
            .is_none()
    );
    assert!(screen(&app).contains("deleted role 'temporary'"));
    assert!(app.lists[&Pane::Roles].rows.is_empty());
}

/// Presses Right until the access grid's cursor is on `flag`.
async fn to_flag(app: &mut App, b: &dyn Backend, flag: &str) {
    for _ in 0..64 {
        if let Mode::Form(f) = &app.mode
            && let Some(FieldKind::Access { flags, cursor, .. }) =
                f.fields.get(f.focus).map(|x| &x.kind)
        {
            if flags[*cursor] == flag {
                return;
            }
        } else {
            panic!("not in the access grid: {:?}", app.mode);
        }
        press(app, b, "→").await;
    }
    panic!("flag {flag} not in the grid");
}

#[tokio::test]
async fn forms_create_a_uuid_permission_a_role_and_a_user_then_the_check_allows() {
    let b = backend().await;
    uuid_permission_flow(&b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_form_flow_works_against_a_server() {
    let f = support::start(Default::default()).await;
    let b = f.http(&f.admin_key);
    support::bounded(60, uuid_permission_flow(&b)).await;
    // What the console did through the server is in the server's store.
    let state = f.service.snapshot().state.clone();
    assert!(state.role_by_name("Pipeline editors").is_some());
}

/// n on Permissions (entity picked, UUID typed, toggles), users and roles through forms,
/// relations through the picker, then the Access check: ALLOW through the role.
async fn uuid_permission_flow(b: &dyn Backend) {
    let mut app = open(b, false).await;

    // A permission on one entity UUID, through the form: entity picked from the catalog,
    // UUID typed, UPDATE granted and DELETE denied with the toggles.
    press(&mut app, b, ":permissions\nn").await;
    assert!(matches!(app.mode, Mode::Form(_)), "{:?}", app.message);
    let s = screen(&app);
    assert!(
        s.contains("New permission") && s.contains("‹ mage ›"),
        "{s}"
    );
    press(&mut app, b, "\tPipelin").await;
    assert!(screen(&app).contains("→ Pipeline"), "{}", screen(&app));
    press(&mut app, b, "e\texample_pipeline\t").await;
    to_flag(&mut app, b, "UPDATE").await;
    press(&mut app, b, " ").await;
    to_flag(&mut app, b, "DELETE").await;
    press(&mut app, b, "  ").await;
    let s = screen(&app);
    assert!(s.contains("[+] UPDATE") && s.contains("[-] DELETE"), "{s}");
    press(&mut app, b, "§").await;
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.mode);
    let state = b.state().await.expect("state");
    let p = state
        .permissions
        .values()
        .find(|p| p.entity_uuid.as_deref() == Some("example_pipeline"))
        .expect("the permission was created");
    assert_eq!(
        (p.catalog.as_str(), p.entity.as_str()),
        ("mage", "Pipeline")
    );
    assert_eq!(p.grants, ["UPDATE"]);
    assert_eq!(p.denies, ["DELETE"]);
    assert_eq!(
        app.list().selected_row().map(|r| r.id.clone()),
        Some(p.id.to_string()),
        "the new permission is selected"
    );
    let s = screen(&app);
    assert!(
        s.contains("example_pipeline") && s.contains("created permission"),
        "{s}"
    );
    assert!(
        s.contains("warning: UPDATE without READ"),
        "a Mage operation without a read in the same permission is warned about:\n{s}"
    );

    // A user and a role through their forms.
    press(&mut app, b, ":users\nnalice\talice@example.org§").await;
    let alice = b
        .state()
        .await
        .expect("state")
        .user_by_name("alice")
        .cloned()
        .expect("alice was created");
    assert_eq!(alice.email, "alice@example.org");
    press(&mut app, b, ":roles\nnPipeline editors\n").await;
    let state = b.state().await.expect("state");
    let role = state
        .role_by_name("Pipeline editors")
        .expect("role created")
        .clone();

    // The role's page: `a` adds the permission (picker, filtered), then alice in Users.
    press(&mut app, b, "\n").await;
    assert!(matches!(&app.mode, Mode::Detail(d) if d.title == "Roles › Pipeline editors"));
    press(&mut app, b, "aexample\n").await;
    assert!(matches!(app.mode, Mode::Detail(_)), "{:?}", app.mode);
    let state = b.state().await.expect("state");
    assert!(state.role_permissions.contains(&(role.id, p.id)));
    let s = screen(&app);
    assert!(
        s.contains("Permissions (1)") && s.contains("example_pipeline"),
        "{s}"
    );
    // Down to the Users section, then add alice.
    for _ in 0..12 {
        if let Mode::Detail(d) = &app.mode
            && d.lines[d.cursor].text.starts_with("Users")
        {
            break;
        }
        press(&mut app, b, "j").await;
    }
    press(&mut app, b, "aalice\n").await;
    let state = b.state().await.expect("state");
    assert!(
        state.user_roles.contains(&(alice.id, role.id)),
        "{:?}",
        app.message
    );
    assert!(screen(&app).contains("Users (1)"));

    // The Access check now allows alice to UPDATE that pipeline, through the role.
    press(
        &mut app,
        b,
        "⎋:check alice\nUPDATE↓Pipeline/example_pipeline\n",
    )
    .await;
    let s = screen(&app);
    assert!(s.contains("ALLOW"), "{s}");
    assert!(s.contains("role:Pipeline editors"), "{s}");
    // ...and denies DELETE, because the permission denies it.
    press(&mut app, b, "↑⌫⌫⌫⌫⌫⌫DELETE\n").await;
    let s = screen(&app);
    assert!(s.contains("DENY"), "{s}");
}

#[tokio::test]
async fn a_failed_save_keeps_the_form_as_typed_and_names_the_field() {
    let b = backend().await;
    role(&b, "taken").await;
    let mut app = open(&b, false).await;
    let before = b.state().await.expect("state").revision;

    // A duplicate name: refused, form kept with both fields as typed.
    press(&mut app, &b, "ntaken\tsome words§").await;
    let Mode::Form(f) = &app.mode else {
        panic!("the form closed: {:?}", app.mode)
    };
    assert_eq!(f.fields[0].text_value(), "taken");
    assert_eq!(f.fields[1].text_value(), "some words");
    assert!(!f.busy);
    let s = screen(&app);
    assert!(s.contains("already exists"), "{s}");
    assert_eq!(b.state().await.expect("state").revision, before);

    // An invalid name: the message sits under the field it names, which gets the focus.
    press(&mut app, &b, "↑").await;
    for _ in 0..5 {
        press(&mut app, &b, "⌫").await;
    }
    press(&mut app, &b, " \n").await;
    let Mode::Form(f) = &app.mode else {
        panic!("the form closed")
    };
    assert_eq!(f.focus, 0);
    assert!(
        f.fields[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("empty")),
        "{:?}",
        f.fields[0].error
    );
    assert_eq!(f.fields[1].text_value(), "some words");

    // Esc asks before discarding; any key but y keeps editing; y discards.
    press(&mut app, &b, "⎋").await;
    assert!(screen(&app).contains("Discard your changes?"));
    press(&mut app, &b, "n").await;
    assert!(matches!(&app.mode, Mode::Form(f) if !f.discarding));
    press(&mut app, &b, "⎋y").await;
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(b.state().await.expect("state").revision, before);

    // An untouched form closes on Esc at once.
    press(&mut app, &b, "n⎋").await;
    assert!(matches!(app.mode, Mode::Normal));
}

#[tokio::test]
async fn editing_a_permission_changes_its_uuid_and_access() {
    let b = backend().await;
    let p = b
        .create_permission(PermissionSpec {
            catalog: "mage".into(),
            entity: "Pipeline".into(),
            grants: vec!["LIST".into()],
            ..Default::default()
        })
        .await
        .expect("permission");
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":permissions\n/Pipeline\n").await;
    let s = screen(&app);
    assert!(s.contains("all"), "the UUID column says all:\n{s}");
    press(&mut app, &b, "e\t\texample_pipeline\t").await;
    to_flag(&mut app, &b, "LIST").await;
    press(&mut app, &b, " ").await; // grant → deny
    to_flag(&mut app, &b, "DETAIL").await;
    press(&mut app, &b, " §").await;
    let state = b.state().await.expect("state");
    let q = &state.permissions[&p.id];
    assert_eq!(q.entity_uuid.as_deref(), Some("example_pipeline"));
    assert_eq!(
        (q.grants.clone(), q.denies.clone()),
        (vec!["DETAIL".to_string()], vec!["LIST".to_string()])
    );
    assert_eq!(q.version, p.version + 1);
    // The list filters on the UUID.
    press(&mut app, &b, "⎋/example_pi\n").await;
    assert_eq!(app.list().visible.len(), 1);
}

#[tokio::test]
async fn x_on_a_relation_removes_it_after_the_confirm() {
    let b = backend().await;
    let alice = user(&b, "alice").await;
    let role = role(&b, "viewers").await;
    b.link(Link::UserRole {
        user: alice.id,
        role: role.id,
    })
    .await
    .expect("assign");
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":users alice\n\n").await;
    // Down to the role line under "Roles (1)".
    for _ in 0..12 {
        if let Mode::Detail(d) = &app.mode
            && d.lines[d.cursor].link.is_some()
        {
            break;
        }
        press(&mut app, &b, "j").await;
    }
    press(&mut app, &b, "x").await;
    assert!(
        screen(&app).contains("Remove 'viewers'"),
        "{}",
        screen(&app)
    );
    // Enter on the focused Cancel changes nothing.
    press(&mut app, &b, "\n").await;
    assert!(matches!(app.mode, Mode::Detail(_)));
    assert!(
        b.state()
            .await
            .expect("state")
            .user_roles
            .contains(&(alice.id, role.id))
    );
    press(&mut app, &b, "x\t\n").await;
    assert!(
        !b.state()
            .await
            .expect("state")
            .user_roles
            .contains(&(alice.id, role.id))
    );
    let s = screen(&app);
    assert!(
        s.contains("Users › alice") && s.contains("Roles (0)"),
        "{s}"
    );
}

#[tokio::test]
async fn read_only_console_opens_no_form_and_adds_nothing() {
    let b = backend().await;
    role(&b, "viewers").await;
    let mut app = open(&b, true).await;
    let before = b.state().await.expect("state").revision;
    press(&mut app, &b, "n").await;
    assert!(matches!(app.mode, Mode::Normal));
    assert!(screen(&app).contains("disabled"), "{}", screen(&app));
    press(&mut app, &b, "\nae").await;
    assert!(matches!(app.mode, Mode::Detail(_)), "{:?}", app.mode);
    assert!(screen(&app).contains("disabled"));
    assert_eq!(b.state().await.expect("state").revision, before);
}

#[tokio::test]
async fn the_access_check_completes_users_actions_and_entities() {
    let b = backend().await;
    user(&b, "alice").await;
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":check\nal").await;
    assert!(screen(&app).contains("→ completes"), "{}", screen(&app));
    press(&mut app, &b, "→↓↓Pipel→↑UPD→").await;
    assert_eq!(app.check.value(0), "alice");
    assert_eq!(app.check.value(2), "Pipeline");
    assert_eq!(app.check.value(1), "UPDATE");
    press(&mut app, &b, "\n").await;
    let s = screen(&app);
    assert!(
        s.contains("DENY") && s.contains("alice may not UPDATE"),
        "{s}"
    );
}

#[tokio::test]
async fn the_keys_pane_creates_a_key_shows_its_secret_once_and_revokes_it() {
    let b = backend().await;
    user(&b, "viewer").await;
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":keys\nnview\t \t⌫⌫⌫30d§").await;
    let Mode::Secret(k) = &app.mode else {
        panic!("no secret dialog: {:?} {:?}", app.mode, app.message)
    };
    let secret = k.secret.clone();
    assert!(secret.starts_with("ghk_"), "{secret}");
    let s = screen(&app);
    assert!(
        s.contains(&secret) && s.contains("never shown again"),
        "{s}"
    );
    let state = b.state().await.expect("state");
    let key = state.keys.values().next().expect("one key").clone();
    assert!(key.read_only, "the toggle made it read-only");
    assert!(key.expires_at.is_some());
    assert_ne!(key.hash, secret, "only the hash is stored");
    // Any key closes the dialog; the secret is gone from the screen.
    press(&mut app, &b, "j").await;
    assert!(!screen(&app).contains(&secret));
    assert_eq!(app.list().rows.len(), 1);
    // D revokes after the confirm.
    press(&mut app, &b, "D\t\n").await;
    let state = b.state().await.expect("state");
    assert!(
        state.keys[&key.id].revoked_at.is_some(),
        "{:?}",
        app.message
    );
    // A bad expiry is refused under its field, nothing written.
    let before = state.revision;
    press(&mut app, &b, "nview\t\t⌫⌫⌫soon§").await;
    let Mode::Form(f) = &app.mode else {
        panic!("form closed")
    };
    assert!(
        f.fields[2]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("soon"))
    );
    assert_eq!(b.state().await.expect("state").revision, before);
}

#[tokio::test]
async fn a_stale_save_offers_reload_or_overwrite() {
    let b = backend().await;
    stale_flow(&b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_save_through_a_server_offers_reload_or_overwrite() {
    let f = support::start(Default::default()).await;
    let b = f.http(&f.admin_key);
    support::bounded(60, stale_flow(&b)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_key_shows_read_only_and_writes_nothing() {
    let f = support::start(Default::default()).await;
    let b = f.http(&f.viewer_key);
    let before = f.revision();
    let mut app = open(&b, false).await;
    let s = screen(&app);
    assert!(s.contains("READ-ONLY") && s.contains("viewer"), "{s}");
    press(&mut app, &b, "n").await;
    assert!(matches!(app.mode, Mode::Normal));
    assert!(screen(&app).contains("disabled"));
    press(&mut app, &b, ":keys\nD").await;
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(f.revision(), before);
}

/// Someone else updates the role while its form is open: the save offers overwrite / reload.
async fn stale_flow(b: &dyn Backend) {
    let r = role(b, "ops").await;
    let mut app = open(b, false).await;
    press(&mut app, b, ":roles\n/ops\n").await;
    press(&mut app, b, "e\tmine").await;
    // Someone else changes the role meanwhile.
    b.update_role(
        r.id,
        RoleSpec {
            name: "ops".into(),
            description: "theirs".into(),
        },
        r.version,
    )
    .await
    .expect("their update");
    press(&mut app, b, "§").await;
    let s = screen(&app);
    assert!(s.contains("Changed by someone else"), "{s}");
    assert!(matches!(&app.mode, Mode::Form(f) if f.fields[1].text_value() == "mine"));
    // o: overwrite with mine, at the version now stored.
    press(&mut app, b, "o").await;
    let state = b.state().await.expect("state");
    assert_eq!(state.roles[&r.id].description, "mine");
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.mode);

    // r: reload drops the edits and shows what is stored.
    press(&mut app, b, "e\tagain").await;
    let current = b.state().await.expect("state").roles[&r.id].clone();
    b.update_role(
        r.id,
        RoleSpec {
            name: "ops".into(),
            description: "theirs again".into(),
        },
        current.version,
    )
    .await
    .expect("their update");
    press(&mut app, b, "§r").await;
    assert!(
        matches!(&app.mode, Mode::Form(f) if f.fields[1].text_value() == "theirs again" && !f.dirty()),
        "{:?}",
        app.mode
    );
}
