//! Console flows against a real backend (service + store in process): keys go into the app,
//! its effects are carried out exactly as the runner does (`tui::perform`), and the store and
//! the screen are checked afterwards.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use gatehouse::backend::{Backend, LocalBackend};
use gatehouse::service::{PermissionSpec, RoleSpec, UserSpec};
use gatehouse::store::{Link, MemoryStore};
use gatehouse::tui::app::{App, Effect, Mode};
use gatehouse::tui::draw::draw;
use gatehouse::tui::perform;
use gatehouse::tui::theme::Theme;
use gatehouse::tui::view::Pane;
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
        let code = match c {
            '\n' => KeyCode::Enter,
            '\t' => KeyCode::Tab,
            '↓' => KeyCode::Down,
            _ => KeyCode::Char(c),
        };
        let effects = app.on_event(&Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
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
    let alice = b
        .create_user(UserSpec {
            username: "alice".into(),
            ..Default::default()
        })
        .await
        .expect("alice");
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
    let role = b
        .create_role(RoleSpec {
            name: "Pipeline editors".into(),
            description: String::new(),
        })
        .await
        .expect("role");
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
    b.create_role(RoleSpec {
        name: "temporary".into(),
        description: String::new(),
    })
    .await
    .expect("role");
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
