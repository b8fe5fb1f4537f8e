//! Console forms against a real backend (in process, and through a server): create and edit
//! through forms, a failed save keeps what was typed, a stale save offers reload or overwrite.

use crate::support;
use crate::tui_support;
use gatehouse::backend::Backend;
use gatehouse::backend::RoleSpec;
use gatehouse::tui::app::{App, Mode};
use gatehouse::tui::field::FieldKind;
use tui_support::{backend, open, press, role, screen};

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
        app.list().selected_row().map(|r| r.id().to_string()),
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
    // Asked first, with what it would do: nobody holds the role yet.
    assert!(matches!(app.mode, Mode::Confirm(_)), "{:?}", app.mode);
    let s = screen(&app);
    assert!(
        s.contains("Add the chosen relation") && s.contains("no one's access changes"),
        "{s}"
    );
    press(&mut app, b, "y").await;
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
    // The what-if names alice and what she would gain through the role.
    let s = screen(&app);
    assert!(s.contains("1 user(s) gain access, 0 lose access"), "{s}");
    assert!(s.contains("alice: + ") && s.contains("UPDATE"), "{s}");
    press(&mut app, b, "y").await;
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
    let p = support::build::add_permission(&b, "mage", "Pipeline", &["LIST"]).await;
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
    let q = state.permissions.get(&p.id).expect("the permission");
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

/// The form's conditions field and its note.
fn conditions_note(app: &App) -> Option<(String, bool)> {
    let Mode::Form(f) = &app.mode else {
        panic!("not in a form: {:?}", app.mode)
    };
    let c = f.fields.iter().find(|x| x.key == "conditions")?;
    c.note.as_ref().map(|n| (n.text.clone(), n.warning))
}

/// A condition chosen in the form grants DISABLE_UNLESS_CONDITIONS in the access grid, as
/// Mage's own permission page does, and says so; taking it off again is the user's choice,
/// kept, with the warning that Mage then ignores the conditions (form, list and message).
#[tokio::test]
async fn a_condition_chosen_in_the_form_grants_disable_unless_conditions() {
    let b = backend().await;
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":permissions\nn\tPipeline\t\t").await;
    to_flag(&mut app, &b, "UPDATE").await;
    press(&mut app, &b, " ").await;
    to_flag(&mut app, &b, "READ_ALL").await;
    press(&mut app, &b, " ").await;
    assert!(
        !screen(&app).contains("[+] DISABLE_UNLESS_CONDITIONS"),
        "{}",
        screen(&app)
    );
    press(&mut app, &b, "\tUSER_OWNS_ENTITY").await;
    let s = screen(&app);
    assert!(s.contains("[+] DISABLE_UNLESS_CONDITIONS"), "{s}");
    assert!(
        s.contains("✓ DISABLE_UNLESS_CONDITIONS granted in access"),
        "the form says what it added:\n{s}"
    );
    assert_eq!(
        conditions_note(&app).map(|n| n.1),
        Some(false),
        "information, not a warning"
    );
    press(&mut app, &b, "§").await;
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.mode);
    let state = b.state().await.expect("state");
    let p = state
        .permissions
        .values()
        .find(|p| p.entity == "Pipeline")
        .expect("created");
    assert_eq!(p.conditions, vec!["USER_OWNS_ENTITY".to_string()]);
    assert!(
        p.grants.iter().any(|g| g == "DISABLE_UNLESS_CONDITIONS"),
        "{:?}",
        p.grants
    );
    assert!(!screen(&app).contains("⚠cond-ignored"), "{}", screen(&app));

    // Taking the gate off by hand: kept, with a warning in the form, the message and the list.
    press(&mut app, &b, "/Pipeline\ne\t\t\t").await;
    to_flag(&mut app, &b, "DISABLE_UNLESS_CONDITIONS").await;
    press(&mut app, &b, "  ").await; // grant → deny → off
    let (note, warning) = conditions_note(&app).expect("a note");
    assert!(
        warning && note.contains("ignored by Mage without DISABLE_UNLESS_CONDITIONS"),
        "{note}"
    );
    assert!(
        screen(&app).contains("⚠ ignored by Mage"),
        "{}",
        screen(&app)
    );
    press(&mut app, &b, "§").await;
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.mode);
    let q = b
        .state()
        .await
        .expect("state")
        .permissions
        .get(&p.id)
        .expect("the permission");
    assert_eq!(
        (q.grants.clone(), q.conditions.clone()),
        (
            vec!["READ_ALL".to_string(), "UPDATE".to_string()],
            vec!["USER_OWNS_ENTITY".to_string()]
        )
    );
    let message = app.message.clone().map(|m| m.0).unwrap_or_default();
    assert!(
        message.contains("warning: conditions USER_OWNS_ENTITY ignored by Mage"),
        "{message}"
    );
    assert!(screen(&app).contains("⚠cond-ignored"), "{}", screen(&app));

    // Editing the conditions again is choosing them again: the gate comes back; clearing
    // them takes off what the form added.
    press(&mut app, &b, "e\t\t\t\t").await;
    press(&mut app, &b, "⌫").await;
    assert_eq!(conditions_note(&app).map(|n| n.1), Some(false));
    assert!(screen(&app).contains("[+] DISABLE_UNLESS_CONDITIONS"));
    for _ in 0..20 {
        press(&mut app, &b, "⌫").await;
    }
    assert_eq!(conditions_note(&app), None);
    assert!(!screen(&app).contains("[+] DISABLE_UNLESS_CONDITIONS"));
}
