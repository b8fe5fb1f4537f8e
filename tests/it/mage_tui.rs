//! The console on a real Mage server (gated like `mage_live.rs` on `GATEHOUSE_TEST_MAGE_URL`):
//! the panes Mage lacks are shown disabled with the reason, a user is created through the form
//! with its masked password, and the Access check explains a Mage decision.

use crate::mage_support;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use gatehouse::backend::Backend;
use gatehouse::connect::MageBackend;
use gatehouse::tui::app::{App, Effect};
use gatehouse::tui::draw::draw;
use gatehouse::tui::perform;
use gatehouse::tui::theme::Theme;
use gatehouse::tui::view::Pane;
use mage_support::{admin, bounded, live_url, login, secret_lister, unique};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

async fn settle(app: &mut App, b: &dyn Backend, mut effects: Vec<Effect>) {
    while let Some(e) = effects.pop() {
        assert_ne!(e, Effect::Quit);
        if let Some(msg) = perform(b, e).await {
            effects.extend(app.on_msg(msg));
        }
    }
}

async fn press(app: &mut App, b: &dyn Backend, keys: &str) {
    for c in keys.chars() {
        let (code, mods) = match c {
            '\n' => (KeyCode::Enter, KeyModifiers::NONE),
            '\t' => (KeyCode::Tab, KeyModifiers::NONE),
            '↓' => (KeyCode::Down, KeyModifiers::NONE),
            '⎋' => (KeyCode::Esc, KeyModifiers::NONE),
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
#[ignore = "needs a Mage server"]
async fn the_console_manages_a_mage_server() {
    let Some(url) = live_url() else { return };
    // One Mage test at a time: they share one server (all modules are one test binary).
    let _one = mage_support::serial().await;
    bounded(300, async {
        let b: MageBackend = admin(&url).await;
        let mut app = App::new(Theme::monochrome(), (120, 40), false);
        settle(&mut app, &b, vec![Effect::Load]).await;
        let s = screen(&app);
        assert!(s.contains(url.trim_start_matches("http://")), "{s}");
        assert!(s.contains("Owner"), "roles are listed:\n{s}");

        press(&mut app, &b, ":teams\n").await;
        let s = screen(&app);
        assert!(s.contains("Teams are not supported by Mage"), "{s}");
        press(&mut app, &b, ":keys\n").await;
        assert!(screen(&app).contains("API keys are not supported by Mage"));

        // A user through the form: the password is masked and Mage gets it.
        let tag = unique();
        press(&mut app, &b, ":users\n").await;
        assert_eq!(app.pane, Pane::Users);
        press(&mut app, &b, "n").await;
        press(
            &mut app,
            &b,
            &format!("tui{tag}\ttui{tag}@example.com\tsecret-pw-1"),
        )
        .await;
        let s = screen(&app);
        assert!(s.contains("•••••••••••"), "the password is masked:\n{s}");
        assert!(!s.contains("secret-pw-1"), "{s}");
        assert!(!s.contains("service"), "Mage has no service users:\n{s}");
        press(&mut app, &b, "§").await;
        let state = b.state().await.unwrap();
        let u = state
            .user_by_name(&format!("tui{tag}"))
            .unwrap_or_else(|| panic!("created on Mage:\n{}", screen(&app)))
            .clone();
        // The new user can log in with the password typed in the form.
        let as_user = login(&url, &format!("tui{tag}@example.com"), "secret-pw-1").await;
        let me = as_user.me().await.unwrap();
        assert_eq!(me.username, format!("tui{tag}"));
        // Without a role it may not read users, itself included: Mage's login answer lacks
        // the creation time its id carries, so the id is not claimed.
        assert_eq!(me.user, None);
        let own = b.me().await.unwrap();
        assert_eq!(own.user, Some(state.user_by_name("admin").unwrap().id));

        // The Access check explains a Mage decision over the server's data.
        let (role, p) = secret_lister(&b, &format!("tui-role-{tag}"), u.id).await;
        press(&mut app, &b, "r").await;
        press(&mut app, &b, &format!(":check tui{tag}\n")).await;
        press(&mut app, &b, "LIST↓Secret\n").await;
        let s = screen(&app);
        assert!(s.contains("ALLOW"), "{s}");
        assert!(s.contains(&format!("role:tui-role-{tag}")), "{s}");
        let mut app = App::new(Theme::monochrome(), (120, 40), false);
        settle(&mut app, &b, vec![Effect::Load]).await;
        press(&mut app, &b, &format!(":check tui{tag}\n")).await;
        press(&mut app, &b, "DELETE↓Secret\n").await;
        let s = screen(&app);
        assert!(s.contains("DENY"), "{s}");
        // Attribute checks: READ_ALL reads any attribute; nothing grants writing one.
        for (attr, verdict) in [("read:name", "ALLOW"), ("write:name", "DENY")] {
            let mut app = App::new(Theme::monochrome(), (120, 40), false);
            settle(&mut app, &b, vec![Effect::Load]).await;
            press(&mut app, &b, &format!(":check tui{tag}\n")).await;
            press(&mut app, &b, &format!("LIST↓Secret↓↓↓{attr}\n")).await;
            let s = screen(&app);
            assert!(s.contains(verdict), "{attr}:\n{s}");
            assert!(s.contains(&attr.replace(':', " ")), "{attr} is named:\n{s}");
        }

        for (id, f) in [(u.id, 0), (role.id, 1), (p.id, 2)] {
            match f {
                0 => b.delete_user(id, true).await.unwrap(),
                1 => b.delete_role(id, true).await.unwrap(),
                _ => b.delete_permission(id, true).await.unwrap(),
            };
        }
    })
    .await;
}
