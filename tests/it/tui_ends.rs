//! Relations that end, in the console (issue 20 item 6): the badge beside a relation on the
//! detail pages (`expires in 3h`, `expired 2h ago (no access)`) at 60x15, 80x24 and 120x40,
//! the confirm dialog's "Ends" input when relations are added (`e`), and `E` on a relation to
//! move or clear its end; the flows run against a real backend (service + in-memory store)
//! exactly as the runner carries effects out.

use crate::tui::{chars, data, fixture, id, key, screen};
use crate::tui_support::{self, backend, open, press, role, settle, user};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use gatehouse::backend::Backend;
use gatehouse::catalog::Catalogs;
use gatehouse::engine::Engine;
use gatehouse::model::{Principal, Role};
use gatehouse::policy::{Link, State};
use gatehouse::tui::app::{App, Data, Effect, Mode, Msg};
use gatehouse::tui::theme::Theme;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The instant the snapshots are drawn at.
const NOW: OffsetDateTime = datetime!(2026-12-07 12:00 UTC);

const SIZES: [(u16, u16); 3] = [(60, 15), (80, 24), (120, 40)];

fn alice_role(role: u128) -> Link {
    Link::UserRole {
        user: id(2),
        role: id(role),
    }
}

/// The fixture with alice holding roles that end (one ended 2h ago and not cleaned up yet),
/// a membership and a direct grant that end, and a role with a long name.
fn ending() -> State {
    let mut s = fixture();
    let long = Role {
        description: String::new(),
        ..crate::support::build::role(
            id(13),
            "Pipeline editors for the example pipeline in production",
            datetime!(2026-11-02 09:30 UTC),
        )
    };
    s.roles.insert(long.id, long);
    s.user_roles
        .extend([(id(2), id(11)), (id(2), id(13)), (id(4), id(10))]);
    s.members.insert((id(30), id(2)), None);
    s.grants.insert((Principal::User(id(2)), id(23)));
    let member = Link::Member {
        team: id(30),
        user: id(2),
        role: None,
    };
    let grant = Link::Grant {
        principal: Principal::User(id(2)),
        permission: id(23),
    };
    for (link, end) in [
        (alice_role(10), NOW + Duration::hours(3)),
        (alice_role(11), NOW - Duration::hours(2)),
        (alice_role(13), NOW + Duration::days(1)),
        (member, NOW + Duration::hours(52)),
        (grant, NOW + Duration::minutes(45)),
        (
            Link::UserRole {
                user: id(4),
                role: id(10),
            },
            NOW + Duration::hours(3),
        ),
    ] {
        s.expiries.set(&link, Some(end));
    }
    s.reindex();
    s
}

fn ending_data(expiry: bool) -> Data {
    let mut d = data(true);
    d.state = Arc::new(ending());
    d.info.capabilities.expiry = expiry;
    d
}

fn ending_app(size: (u16, u16), expiry: bool) -> App {
    let mut a = App::new(Theme::monochrome(), size, false);
    a.clock = Some(NOW);
    a.on_msg(Msg::Loaded(Box::new(ending_data(expiry))));
    a
}

/// Opens alice's page, her effective permissions worked out at [`NOW`].
fn alice_page(a: &mut App) {
    chars(a, ":users alice");
    a.on_event(&key(KeyCode::Enter));
    let effects = a.on_event(&key(KeyCode::Enter));
    assert_eq!(effects, vec![Effect::WhatCan(id(2))]);
    let engine = Engine::build_at(&ending(), &Catalogs::builtin().expect("catalogs"), NOW);
    let what = engine.what_can(id(2)).expect("alice");
    a.on_msg(Msg::Effective(id(2), Ok(what)));
}

/// Puts the detail page's cursor on the line of `link`.
fn select(a: &mut App, link: Link) {
    let Mode::Detail(d) = &a.mode else {
        panic!("not on a detail page: {:?}", a.mode)
    };
    let at = d
        .lines
        .iter()
        .position(|l| l.link.map(|k| k.key()) == Some(link.key()))
        .expect("the relation is on the page");
    let from = d.cursor;
    for _ in from..at {
        a.on_event(&key(KeyCode::Char('j')));
    }
}

fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

#[test]
fn a_user_page_shows_when_each_relation_ends_at_every_size() {
    for (w, h) in SIZES {
        let mut a = ending_app((w, h), true);
        alice_page(&mut a);
        // The cursor on the last role (its long name wraps before its badge at 60 and 80
        // columns): every role is in view at every size.
        select(&mut a, alice_role(13));
        let s = screen(&a);
        insta::assert_snapshot!(format!("ends_user_page_{w}x{h}"), s);
        for badge in [
            "Pipeline editors  expires in 3h",
            "Viewer default permissions  expired 2h ago (no access)",
            "expires in 1d",
        ] {
            assert!(s.contains(badge), "{w}x{h}: {badge}\n{s}");
        }
        // Past its end the role gives nothing: its permission is not effective.
        if h >= 40 {
            assert!(s.contains("ops  expires in 2d 4h"), "{s}");
            assert!(s.contains("OPERATION_ALL !DELETE  expires in 45m"), "{s}");
            assert!(!s.contains("READ_ALL  ← role:Viewer"), "{s}");
        }
        // Nothing is cut: every badge ends inside the screen, the long name wraps before it.
        for line in s.lines() {
            assert!(!line.contains('…') || !line.contains("expire"), "{line}");
        }
    }
}

#[test]
fn role_and_team_pages_show_ends_and_sanitize_the_names_beside_them() {
    let mut a = ending_app((120, 40), true);
    a.on_event(&key(KeyCode::Enter));
    let s = screen(&a);
    assert!(s.contains("Roles › Pipeline editors"), "{s}");
    assert!(s.contains("alice  expires in 3h"), "{s}");
    assert!(s.contains("evil\\x1b[2Jname  expires in 3h"), "{s}");
    assert!(!s.contains('\u{1b}'));

    let mut a = ending_app((120, 40), true);
    chars(&mut a, ":teams");
    a.on_event(&key(KeyCode::Enter));
    a.on_event(&key(KeyCode::Enter));
    let s = screen(&a);
    assert!(s.contains("alice") && s.contains("expires in 2d 4h"), "{s}");
}

/// The Users list of `a`.
fn users_list(a: &mut App) -> String {
    chars(a, ":users");
    a.on_event(&key(KeyCode::Enter));
    screen(a)
}

#[test]
fn the_users_list_marks_roles_and_teams_that_end_at_every_size() {
    for (w, h) in SIZES {
        // bob's membership of ops ended an hour ago (not cleaned up yet).
        let mut d = ending_data(true);
        let mut state = ending();
        let bob_ops = Link::Member {
            team: id(30),
            user: id(3),
            role: Some(id(12)),
        };
        state.expiries.set(&bob_ops, Some(NOW - Duration::hours(1)));
        d.state = Arc::new(state);
        let mut a = App::new(Theme::monochrome(), (w, h), false);
        a.clock = Some(NOW);
        a.on_msg(Msg::Loaded(Box::new(d)));
        let s = users_list(&mut a);
        insta::assert_snapshot!(format!("ends_users_list_{w}x{h}"), s);
        assert!(!s.contains('\u{1b}'), "{s}");
        // alice: Pipeline editors ends, Viewer default permissions ended 2h ago, her
        // membership of ops ends (at 60 columns the roles are cut inside the first mark);
        // the same role of the user with the hostile name ends.
        let alice = s.lines().find(|l| l.contains("alice")).expect("alice");
        assert!(alice.contains("ops (ends)"), "{w}x{h}: {alice}");
        let evil = s
            .lines()
            .find(|l| l.contains("evil\\x1b[2Jname"))
            .expect("evil");
        assert!(evil.contains("Pipeline editors (en"), "{w}x{h}: {evil}");
        if w >= 80 {
            assert!(
                alice.contains("Pipeline editors (ends)"),
                "{w}x{h}: {alice}"
            );
            assert!(evil.contains("Pipeline editors (ends)"), "{w}x{h}: {evil}");
        }
        // bob's role has no end; his membership ended.
        let bob = s.lines().find(|l| l.contains("bob")).expect("bob");
        assert!(bob.contains("ops (ended)"), "{w}x{h}: {bob}");
        assert!(!bob.contains("permissions (end"), "{w}x{h}: {bob}");
    }
}

#[test]
fn the_users_list_says_ended_as_of_the_consoles_clock() {
    let mut a = App::new(Theme::monochrome(), (120, 40), false);
    a.clock = Some(NOW + Duration::days(3));
    a.on_msg(Msg::Loaded(Box::new(ending_data(true))));
    let s = users_list(&mut a);
    let alice = s.lines().find(|l| l.contains("alice")).expect("alice");
    assert!(alice.contains("Pipeline editors (ended)"), "{alice}");
    assert!(alice.contains("ops (ended)"), "{alice}");
    assert!(!alice.contains("(ends)"), "{alice}");
    // The marks are in the rows' text: the filter finds the users with a relation ended.
    a.on_event(&key(KeyCode::Esc));
    chars(&mut a, "/ended");
    let shown: Vec<String> = a
        .list()
        .visible
        .iter()
        .filter_map(|&i| a.list().rows.get(i as usize).map(|r| r.id().into_owned()))
        .collect();
    assert_eq!(shown, ["alice", "evil\u{1b}[2Jname"]);
}

#[test]
fn a_store_without_ends_draws_the_users_list_as_before() {
    for (w, h) in SIZES {
        let draw = |expiries: gatehouse::policy::Expiries| {
            let mut d = ending_data(true);
            let mut s = ending();
            s.expiries = expiries;
            d.state = Arc::new(s);
            let mut a = App::new(Theme::monochrome(), (w, h), false);
            a.clock = Some(NOW);
            a.on_msg(Msg::Loaded(Box::new(d)));
            users_list(&mut a)
        };
        let plain = draw(Default::default());
        assert!(!plain.contains("(end"), "{plain}");
        // The path that marks, with nothing listed to mark, draws the same.
        let mut elsewhere = gatehouse::policy::Expiries::new();
        let nobody = Link::UserRole {
            user: id(99),
            role: id(10),
        };
        elsewhere.set(&nobody, Some(NOW));
        assert_eq!(draw(elsewhere), plain, "{w}x{h}");
        assert_ne!(draw(ending().expiries), plain, "{w}x{h}");
    }
}

/// Alice's page, `a` on her roles, Enter on the one role left: the confirm dialog.
fn adding(size: (u16, u16), expiry: bool) -> App {
    let mut a = ending_app(size, expiry);
    alice_page(&mut a);
    a.on_event(&key(KeyCode::Char('a')));
    assert!(matches!(a.mode, Mode::Picker { .. }), "{:?}", a.mode);
    let effects = a.on_event(&key(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::WhatIf(_)]),
        "{effects:?}"
    );
    assert!(matches!(a.mode, Mode::Confirm(_)));
    a
}

#[test]
fn the_confirm_dialog_of_relations_added_takes_an_end() {
    for (w, h) in SIZES {
        let mut a = adding((w, h), true);
        assert!(screen(&a).contains("Ends: never"), "{}", screen(&a));
        assert!(chars(&mut a, "e8h").is_empty());
        insta::assert_snapshot!(format!("ends_confirm_input_{w}x{h}"), screen(&a));
        // Enter takes the end: the what-if is asked again with it.
        let effects = a.on_event(&key(KeyCode::Enter));
        let until = NOW + Duration::hours(8);
        let link = alice_role(12);
        assert_eq!(
            effects,
            vec![Effect::WhatIf(vec![
                gatehouse::policy::Change::Link(link),
                gatehouse::policy::Change::Expire {
                    link,
                    expires_at: Some(until)
                }
            ])]
        );
        let s = screen(&a);
        insta::assert_snapshot!(format!("ends_confirm_set_{w}x{h}"), s);
        assert!(
            s.contains("Ends: 2026-12-07 20:00 UTC (expires in 8h)"),
            "{s}"
        );
        assert_eq!(
            chars(&mut a, "y"),
            vec![Effect::LinkUntil(vec![link], until)]
        );
        assert!(matches!(a.mode, Mode::Detail(_)), "back on the page");
    }
}

#[test]
fn an_end_that_cannot_be_read_shows_why_and_keeps_the_text() {
    let mut a = adding((80, 24), true);
    chars(&mut a, "etomorrow");
    assert!(a.on_event(&key(KeyCode::Enter)).is_empty());
    let s = screen(&a);
    insta::assert_snapshot!("ends_confirm_error_80x24", s);
    assert!(s.contains("Ends > tomorrow"), "{s}");
    assert!(s.contains("'tomorrow' is not a duration"), "{s}");
    // Still typing: `y` is a letter of the end, not a yes.
    assert!(chars(&mut a, "y").is_empty());
    assert!(screen(&a).contains("Ends > tomorrowy"));
    // An instant already past is refused too.
    a.on_event(&ctrl('u'));
    chars(&mut a, "2026-12-01");
    assert!(a.on_event(&key(KeyCode::Enter)).is_empty());
    assert!(
        screen(&a).contains("is not in the future"),
        "{}",
        screen(&a)
    );
    // Esc leaves the input, the end as it was (never); the dialog stays.
    a.on_event(&key(KeyCode::Esc));
    assert!(screen(&a).contains("Ends: never"));
    assert_eq!(chars(&mut a, "y"), vec![Effect::Link(vec![alice_role(12)])]);
}

#[test]
fn without_ends_on_the_backend_nothing_offers_one() {
    let mut a = adding((80, 24), false);
    assert!(!screen(&a).contains("Ends"), "{}", screen(&a));
    assert!(chars(&mut a, "e").is_empty());
    assert!(!screen(&a).contains("Ends"));
    assert_eq!(chars(&mut a, "y"), vec![Effect::Link(vec![alice_role(12)])]);

    let mut a = ending_app((80, 24), false);
    alice_page(&mut a);
    select(&mut a, alice_role(10));
    assert!(chars(&mut a, "E").is_empty());
    assert!(matches!(a.mode, Mode::Detail(_)));
    let (m, _) = a.message.clone().expect("said why");
    assert!(m.contains("keeps no ends"), "{m}");

    // Read-only: `E` is refused like every write.
    let mut a = App::new(Theme::monochrome(), (80, 24), true);
    a.on_msg(Msg::Loaded(Box::new(ending_data(true))));
    alice_page(&mut a);
    select(&mut a, alice_role(10));
    assert!(chars(&mut a, "E").is_empty());
    let (m, _) = a.message.clone().expect("said why");
    assert!(m.contains("disabled"), "{m}");
}

#[tokio::test]
async fn typing_an_end_in_the_confirm_dialog_adds_the_relation_until_then() {
    let b = backend().await;
    let alice = user(&b, "alice").await;
    let editors = role(&b, "Pipeline editors").await;
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":users alice\n\n").await;
    press(&mut app, &b, "a\n").await;
    assert!(matches!(app.mode, Mode::Confirm(_)), "{:?}", app.mode);
    press(&mut app, &b, "e8h\n").await;
    let before = OffsetDateTime::now_utc();
    let effects = app.on_event(&key(KeyCode::Char('y')));
    let after = OffsetDateTime::now_utc();
    let link = Link::UserRole {
        user: alice.id,
        role: editors.id,
    };
    let [Effect::LinkUntil(links, until)] = effects.as_slice() else {
        panic!("not a link with an end: {effects:?}")
    };
    assert_eq!(links, &vec![link]);
    let eight = Duration::hours(8);
    // Read when Enter took it: between the clock before Enter and after `y`.
    assert!(*until <= after + eight && *until > before + eight - Duration::minutes(1));
    let until = *until;
    settle(&mut app, &b, effects).await;
    let s = b.state().await.expect("state");
    assert!(s.user_roles.contains(&(alice.id, editors.id)));
    assert_eq!(s.expiries.get(&link), Some(until));
    let shown = tui_support::screen(&app);
    assert!(
        shown.contains("Pipeline editors  expires in 7h 59m")
            || shown.contains("Pipeline editors  expires in 8h"),
        "{shown}"
    );
}

#[tokio::test]
async fn e_on_a_relation_moves_or_clears_its_end() {
    let b = backend().await;
    let alice = user(&b, "alice").await;
    let editors = role(&b, "Pipeline editors").await;
    let link = Link::UserRole {
        user: alice.id,
        role: editors.id,
    };
    let end = gatehouse::model::now() + Duration::days(2);
    b.link_until(link, Some(end)).await.expect("link");
    let mut app = open(&b, false).await;
    press(&mut app, &b, ":users alice\n\n").await;
    select(&mut app, link);

    // A sooner end is set at once.
    press(&mut app, &b, "E").await;
    let typed = tui_support::screen(&app);
    let prefill = gatehouse::present::instant(end)
        .replacen(' ', "T", 1)
        .replace(" UTC", "Z");
    assert!(typed.contains(&format!("Ends > {prefill}")), "{typed}");
    app.on_event(&ctrl('u'));
    press(&mut app, &b, "2h").await;
    let effects = app.on_event(&key(KeyCode::Enter));
    let [
        Effect::SetExpiry {
            link: l,
            expires_at: Some(soon),
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("not an end set: {effects:?}")
    };
    assert_eq!(*l, link);
    let soon = *soon;
    settle(&mut app, &b, effects).await;
    assert!(matches!(app.mode, Mode::Detail(_)));
    assert_eq!(
        b.state().await.expect("state").expiries.get(&link),
        Some(soon)
    );

    // Clearing it hands the access on for ever: asked with its what-if, then set on `y`.
    press(&mut app, &b, "E").await;
    app.on_event(&ctrl('u'));
    let effects = app.on_event(&key(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::WhatIf(_)]),
        "{effects:?}"
    );
    settle(&mut app, &b, effects).await;
    let s = tui_support::screen(&app);
    assert!(
        s.contains("Ends: never") && s.contains("last longer"),
        "{s}"
    );
    press(&mut app, &b, "y").await;
    let state = b.state().await.expect("state");
    assert_eq!(state.expiries.get(&link), None);
    assert!(state.user_roles.contains(&(alice.id, editors.id)));
    assert!(!tui_support::screen(&app).contains("expires in"));
}

#[test]
fn e_opens_the_end_of_the_selected_relation_prefilled() {
    let mut a = ending_app((80, 24), true);
    alice_page(&mut a);
    select(&mut a, alice_role(10));
    assert!(screen(&a).contains("E ends"), "the footer offers it");
    assert!(chars(&mut a, "E").is_empty());
    let s = screen(&a);
    insta::assert_snapshot!("ends_change_80x24", s);
    assert!(s.contains("Ends > 2026-12-07T15:00Z"), "{s}");
    // A later end is asked with its what-if; Esc then leaves only the input.
    a.on_event(&ctrl('u'));
    chars(&mut a, "1d");
    let effects = a.on_event(&key(KeyCode::Enter));
    let link = alice_role(10);
    let later = NOW + Duration::days(1);
    assert_eq!(
        effects,
        vec![Effect::WhatIf(vec![gatehouse::policy::Change::Expire {
            link,
            expires_at: Some(later)
        }])]
    );
    assert!(screen(&a).contains("last longer"));
    assert_eq!(
        chars(&mut a, "y"),
        vec![Effect::SetExpiry {
            link,
            expires_at: Some(later),
            what: "Pipeline editors".into()
        }]
    );
    // On a role's permission there is no end to change.
    let mut a = ending_app((80, 24), true);
    a.on_event(&key(KeyCode::Enter));
    select(
        &mut a,
        Link::RolePermission {
            role: id(10),
            permission: id(20),
        },
    );
    assert!(!screen(&a).contains("E ends"));
    assert!(chars(&mut a, "E").is_empty());
    assert!(matches!(a.mode, Mode::Detail(_)));
    let (m, _) = a.message.clone().expect("said why");
    assert!(m.contains("cannot end"), "{m}");
}
