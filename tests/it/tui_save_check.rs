//! Saving a form that changes access asks first (issue 20's what-if): a permission's or a
//! user's edit whose save moves someone's access opens the confirm dialog with who gains and
//! who loses what; yes saves, Cancel keeps the form as typed; a harmless edit saves at once.

use crate::support::build::{self, give};
use crate::tui::{chars, data, key, screen as shot};
use crate::tui_support::{backend, open, press, role, screen, user};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use gatehouse::backend::Backend;
use gatehouse::model::{Id, Permission};
use gatehouse::policy::Link;
use gatehouse::tui::app::{App, Effect, Mode, Msg};
use gatehouse::tui::field::FieldKind;
use gatehouse::tui::form::Save;
use gatehouse::tui::save_check::{Weight, weigh};
use gatehouse::tui::theme::Theme;
use std::sync::Arc;

const SIZES: [(u16, u16); 3] = [(60, 15), (80, 24), (120, 40)];

/// Whether the focused field is the access grid with its cursor on `flag`; panics when the
/// focus is not in the grid.
fn on_flag(app: &App, flag: &str) -> bool {
    let Mode::Form(f) = &app.mode else {
        panic!("not in a form: {:?}", app.mode)
    };
    match f.fields.get(f.focus).map(|x| &x.kind) {
        Some(FieldKind::Access { flags, cursor, .. }) => flags[*cursor] == flag,
        other => panic!("not in the access grid: {other:?}"),
    }
}

/// The form's grants and denies as they stand.
fn access_of(app: &App) -> (Vec<String>, Vec<String>) {
    let f = match &app.mode {
        Mode::Form(f) => f,
        Mode::Confirm(c) => c.form.as_ref().expect("the form under the dialog"),
        other => panic!("no form: {other:?}"),
    };
    f.fields
        .iter()
        .find(|x| x.key == "access")
        .map(gatehouse::tui::field::Field::grants_denies)
        .expect("an access field")
}

fn field<'a>(
    f: &'a gatehouse::tui::form::Form,
    key: &str,
) -> Option<&'a gatehouse::tui::field::Field> {
    f.fields.iter().find(|x| x.key == key)
}

/// The permission `id` as stored.
async fn stored(b: &dyn Backend, id: Id) -> Permission {
    let s = b.state().await.expect("state");
    s.permissions.get(&id).expect("the permission")
}

/// Whether the user `id` is stored disabled.
async fn disabled(b: &dyn Backend, id: Id) -> bool {
    b.state().await.expect("state").users[&id].disabled
}

fn ctrl_s() -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))
}

/// The fixture's console with bob holding "Pipeline editors" too: permission 20 (DETAIL and
/// UPDATE on Pipeline/example_pipeline) is held by alice and bob. Its edit form with UPDATE
/// taken away, saved: the effect asked for, and the save it weighs.
fn permission_losing_update(size: (u16, u16)) -> (App, Box<Save>) {
    let mut s = crate::tui::fixture();
    s.user_roles.insert((crate::tui::id(3), crate::tui::id(10)));
    s.reindex();
    let mut d = data(true);
    d.state = Arc::new(s);
    let mut a = App::new(Theme::monochrome(), size, false);
    a.on_msg(Msg::Loaded(Box::new(d)));
    chars(&mut a, ":permissions");
    a.on_event(&key(KeyCode::Enter));
    chars(&mut a, "/example_pipeline");
    a.on_event(&key(KeyCode::Enter));
    chars(&mut a, "e");
    for _ in 0..3 {
        a.on_event(&key(KeyCode::Tab));
    }
    for _ in 0..64 {
        if on_flag(&a, "UPDATE") {
            break;
        }
        a.on_event(&key(KeyCode::Right));
    }
    // Granted → denied → neither.
    chars(&mut a, "  ");
    assert_eq!(access_of(&a), (vec!["DETAIL".to_string()], Vec::new()));
    let effects = a.on_event(&ctrl_s());
    let [Effect::CheckSave(save)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    (a, save.clone())
}

#[test]
fn the_save_confirm_shows_who_loses_the_flag_at_every_size() {
    for (w, h) in SIZES {
        let (mut a, save) = permission_losing_update((w, h));
        let data = a.data.clone().expect("data");
        let Weight::Moves(changes, lines) = weigh(&data.state, &data.catalogs, &save) else {
            panic!("taking UPDATE from two holders moves access")
        };
        let text = lines.join("\n");
        assert!(
            text.contains("0 user(s) gain access, 2 lose access"),
            "{text}"
        );
        assert!(
            text.contains("alice: - UPDATE on mage:Pipeline")
                && text.contains("UPDATE on mage:Pipeline/example_pipeline"),
            "{text}"
        );
        assert!(text.contains("bob: - UPDATE"), "{text}");
        a.on_msg(Msg::SaveWhatIf {
            save,
            changes,
            lines: Ok(lines),
        });
        let s = shot(&a);
        assert_eq!(s.lines().count(), usize::from(h), "{s}");
        for want in ["Save permission", "lose access", "Cancel", "Save "] {
            assert!(s.contains(want), "{want:?} missing at {w}x{h}:\n{s}");
        }
        insta::assert_snapshot!(format!("save_confirm_what_if_{w}x{h}"), s);
    }
}

#[test]
fn a_description_only_edit_weighs_nothing() {
    let (a, save) = permission_losing_update((120, 40));
    let data = a.data.clone().expect("data");
    let Save::Permission(target, mut spec) = *save else {
        panic!("a permission save")
    };
    // The flags as stored, a new description: nobody's access moves.
    spec.grants = build::flags(&["DETAIL", "UPDATE"]);
    spec.description = "only words".into();
    let harmless = Save::Permission(target, spec);
    assert_eq!(
        weigh(&data.state, &data.catalogs, &harmless),
        Weight::Harmless
    );
}

/// A permission two users hold through a role, and the console on its edit form.
async fn editing_a_held_permission(b: &dyn Backend) -> (App, Permission) {
    let p = build::add_permission(b, "mage", "Pipeline", &["DETAIL", "UPDATE"]).await;
    let r = role(b, "Editors").await;
    b.link(Link::RolePermission {
        role: r.id,
        permission: p.id,
    })
    .await
    .expect("role ← permission");
    for name in ["alice", "bob"] {
        let u = user(b, name).await;
        b.link(Link::UserRole {
            user: u.id,
            role: r.id,
        })
        .await
        .expect("user ← role");
    }
    let mut app = open(b, false).await;
    press(&mut app, b, ":permissions\n/Pipeline\ne\t\t\t").await;
    (app, p)
}

#[tokio::test]
async fn saving_a_permission_that_takes_a_grant_asks_first() {
    let b = backend().await;
    let (mut app, p) = editing_a_held_permission(&b).await;
    for _ in 0..64 {
        if on_flag(&app, "UPDATE") {
            break;
        }
        press(&mut app, &b, "→").await;
    }
    // UPDATE granted → denied → neither; Enter saves: the confirm asks first.
    press(&mut app, &b, "  \n").await;
    let Mode::Confirm(c) = &app.mode else {
        panic!("a confirm dialog: {:?}", app.mode)
    };
    assert!(!c.yes_focused, "Cancel has the focus");
    let s = screen(&app);
    assert!(s.contains("Save permission"), "{s}");
    assert!(s.contains("0 user(s) gain access, 2 lose access"), "{s}");
    assert!(s.contains("alice: - UPDATE"), "{s}");
    assert_eq!(
        stored(&b, p.id).await.version,
        p.version,
        "nothing saved yet"
    );

    // Esc: back to the form as typed, editable, nothing saved.
    press(&mut app, &b, "⎋").await;
    let Mode::Form(f) = &app.mode else {
        panic!("the form: {:?}", app.mode)
    };
    assert!(!f.busy);
    assert_eq!(access_of(&app), (vec!["DETAIL".to_string()], Vec::new()));
    assert_eq!(
        stored(&b, p.id).await.grants,
        build::flags(&["DETAIL", "UPDATE"])
    );

    // Again, and Enter on the focused Cancel: the same.
    press(&mut app, &b, "\n").await;
    assert!(matches!(app.mode, Mode::Confirm(_)), "{:?}", app.mode);
    press(&mut app, &b, "\n").await;
    assert!(matches!(app.mode, Mode::Form(_)), "{:?}", app.mode);
    assert_eq!(access_of(&app), (vec!["DETAIL".to_string()], Vec::new()));

    // y: the save is made.
    press(&mut app, &b, "\ny").await;
    let q = stored(&b, p.id).await;
    assert_eq!(q.grants, build::flags(&["DETAIL"]));
    assert_eq!(q.version, p.version + 1);
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.mode);

    // A description-only edit saves at once: no dialog.
    press(&mut app, &b, "e↑ only words\n").await;
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.mode);
    let q = stored(&b, p.id).await;
    assert!(q.description.ends_with("only words"), "{q:?}");
    assert_eq!(q.version, p.version + 2);
}

#[tokio::test]
async fn saving_a_user_disabled_asks_first_and_an_email_saves_at_once() {
    let b = backend().await;
    let p = build::add_permission(&b, "mage", "Pipeline", &["DETAIL"]).await;
    let r = role(&b, "Viewers").await;
    let carol = user(&b, "carol").await;
    give(&b, carol.id, r.id, p.id).await;
    let mut app = open(&b, false).await;
    // username, email, first, last, display, kind, disabled: space turns it on.
    press(&mut app, &b, ":users\n/carol\ne\t\t\t\t\t\t \n").await;
    let s = screen(&app);
    assert!(matches!(app.mode, Mode::Confirm(_)), "{s}");
    assert!(s.contains("Save user carol?"), "{s}");
    assert!(s.contains("carol: is disabled"), "{s}");
    assert!(!disabled(&b, carol.id).await);

    // Cancel: the form as typed (disabled on), nothing saved.
    press(&mut app, &b, "n").await;
    let Mode::Form(f) = &app.mode else {
        panic!("the form: {:?}", app.mode)
    };
    assert!(field(f, "disabled").is_some_and(|x| x.on()) && !f.busy);
    assert!(!disabled(&b, carol.id).await);

    // y saves.
    press(&mut app, &b, "\ny").await;
    assert!(disabled(&b, carol.id).await);
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.mode);

    // An email only: saved at once.
    press(&mut app, &b, "e\tcarol@example.org\n").await;
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.mode);
    let s = b.state().await.expect("state");
    assert_eq!(s.users[&carol.id].email, "carol@example.org");
}

#[tokio::test]
async fn a_new_owner_asks_first_and_a_new_user_does_not() {
    let b = backend().await;
    let mut app = open(&b, false).await;
    // username, …, owner (the eighth field): space turns it on.
    press(&mut app, &b, ":users\nndora\t\t\t\t\t\t\t \n").await;
    let s = screen(&app);
    assert!(s.contains("Create user dora as an owner?"), "{s}");
    assert!(s.contains("becomes an owner"), "{s}");
    assert!(
        b.state()
            .await
            .expect("state")
            .user_by_name("dora")
            .is_none()
    );
    press(&mut app, &b, "y").await;
    let s = b.state().await.expect("state");
    assert!(s.user_by_name("dora").is_some_and(|u| u.owner));

    press(&mut app, &b, "nemil\n").await;
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.mode);
    assert!(
        b.state()
            .await
            .expect("state")
            .user_by_name("emil")
            .is_some()
    );
}

/// A save the backend refuses (an empty username) is not asked about: the form shows the
/// error under its field, as typed.
#[tokio::test]
async fn a_refused_user_save_shows_the_form_error_without_asking() {
    let b = backend().await;
    let erin = user(&b, "erin").await;
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":users\n/erin\ne").await;
    for _ in 0..4 {
        press(&mut app, &b, "⌫").await;
    }
    press(&mut app, &b, "\t\t\t\t\t\t \n").await;
    let Mode::Form(f) = &app.mode else {
        panic!("the form: {:?}", app.mode)
    };
    assert!(
        field(f, "username").is_some_and(|x| x.error.is_some()),
        "{f:?}"
    );
    assert!(field(f, "disabled").is_some_and(|x| x.on()));
    let s = b.state().await.expect("state");
    assert!(!s.users[&erin.id].disabled);
}

/// The permission changed outside while its form was open: the save hits the conflict as
/// before (reload or overwrite, no what-if of a stale version); an overwrite that takes
/// access is then asked about like any save.
#[tokio::test]
async fn a_stale_permission_save_offers_reload_or_overwrite_then_asks() {
    use gatehouse::backend::PermissionSpec;
    let b = backend().await;
    let (mut app, p) = editing_a_held_permission(&b).await;
    for _ in 0..64 {
        if on_flag(&app, "UPDATE") {
            break;
        }
        press(&mut app, &b, "→").await;
    }
    press(&mut app, &b, "  ").await;
    b.update_permission(
        p.id,
        PermissionSpec {
            description: "theirs".into(),
            ..PermissionSpec::of(&p)
        },
        p.version,
    )
    .await
    .expect("their update");
    press(&mut app, &b, "\n").await;
    let s = screen(&app);
    assert!(
        matches!(&app.mode, Mode::Form(f) if f.conflict),
        "the conflict prompt, not a what-if:\n{s}"
    );
    assert!(s.contains("Changed by someone else"), "{s}");
    // o: overwrite with mine, which takes UPDATE from two users: asked first.
    press(&mut app, &b, "o").await;
    let s = screen(&app);
    assert!(matches!(app.mode, Mode::Confirm(_)), "{s}");
    assert!(s.contains("2 lose access"), "{s}");
    press(&mut app, &b, "y").await;
    let q = stored(&b, p.id).await;
    assert_eq!(q.grants, build::flags(&["DETAIL"]));
    assert_eq!(q.version, p.version + 2);
}

/// The what-if comes back while the message log (F2) is open over the waiting form: the
/// dialog takes the form's place under the log, and closing the log shows it.
#[test]
fn the_answer_under_the_message_log_opens_the_dialog_there() {
    let (mut a, save) = permission_losing_update((80, 24));
    a.on_event(&key(KeyCode::F(2)));
    assert!(matches!(a.mode, Mode::Messages(Some(_))), "{:?}", a.mode);
    a.on_msg(Msg::SaveWhatIf {
        save,
        changes: Vec::new(),
        lines: Ok(vec!["1 user(s) gain access, 0 lose access".into()]),
    });
    a.on_event(&key(KeyCode::Esc));
    let Mode::Confirm(c) = &a.mode else {
        panic!("the dialog: {:?}", a.mode)
    };
    assert!(c.form.as_ref().is_some_and(|f| !f.busy));
    a.on_event(&key(KeyCode::Esc));
    assert!(matches!(&a.mode, Mode::Form(f) if !f.busy), "{:?}", a.mode);
}
