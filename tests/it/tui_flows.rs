//! Console flows against a real backend (service + store in process): keys go into the app,
//! its effects are carried out exactly as the runner does (`tui::perform`), and the store and
//! the screen are checked afterwards. Dialogs, deletes, relations, the access check, keys and
//! read-only consoles; forms and stale saves are in `tui_forms.rs`.

use crate::support;
use crate::support::build;
use crate::tui_support;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use gatehouse::backend::Backend;
use gatehouse::backend::PermissionSpec;
use gatehouse::policy::Link;
use gatehouse::tui::app::Mode;
use gatehouse::tui::view::Pane;
use tui_support::{backend, open, press, role, screen, user};

#[tokio::test]
async fn a_permission_on_one_uuid_shows_allow_with_its_path_in_the_access_check() {
    let b = backend().await;
    let alice = user(&b, "alice").await;
    let p = b
        .create_permission(PermissionSpec {
            catalog: "mage".into(),
            entity: "Pipeline".into(),
            entity_uuid: Some("example_pipeline".into()),
            // READ_ALL: Mage reads the updated pipeline back (the whole call is checked).
            grants: vec!["DETAIL".into(), "UPDATE".into(), "READ_ALL".into()],
            ..Default::default()
        })
        .await
        .expect("permission");
    let role = role(&b, "Pipeline editors").await;
    build::give(&b, alice.id, role.id, p.id).await;

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
            && s.contains("DETAIL UPDATE READ_ALL  ← role:Pipeline editors"),
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
async fn the_access_check_answers_for_the_whole_mage_call() {
    // The case: LIST and READ of [name, uuid] pass the operation, but Mage's
    // GET /api/pipelines presents more than that and answers 403.
    let b = backend().await;
    let alice = user(&b, "alice").await;
    let p = b
        .create_permission(PermissionSpec {
            catalog: "mage".into(),
            entity: "Pipeline".into(),
            grants: vec!["LIST".into(), "READ".into(), "QUERY_ALL".into()],
            read_attributes: vec!["name".into(), "uuid".into()],
            ..Default::default()
        })
        .await
        .expect("permission");
    let role = role(&b, "Lister").await;
    build::give(&b, alice.id, role.id, p.id).await;
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":check alice\n").await;
    press(&mut app, &b, "LIST↓Pipeline\n").await;
    let s = screen(&app);
    assert!(
        s.contains("DENY") && s.contains("403 at reading") && s.contains("`blocks` of Pipeline"),
        "{s}"
    );
    assert!(s.contains("the call LIST Pipeline checks"), "{s}");
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
    // Read-only is the default access: the key form starts on the safe one.
    press(&mut app, &b, ":keys\nnview\t\t⌫⌫⌫30d§").await;
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
    assert!(
        key.read_only,
        "a new key is read-only unless read-write is chosen"
    );
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
