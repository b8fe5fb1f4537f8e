//! The Mage fields on the console's permission page: entity type and scope, when and by whom
//! it was made, and the users holding it through roles (user ← role), at 60x15, 80x24 and
//! 120x40 with nothing cut.

use crate::support::build;
use crate::tui::{chars, data, fixture, id, key, screen};
use crossterm::event::KeyCode;
use gatehouse::model::Permission;
use gatehouse::tui::app::{App, Mode, Msg};
use gatehouse::tui::theme::Theme;
use std::sync::Arc;
use time::macros::datetime;

/// The fixture plus a Mage permission (id 24) with an entity type and scope, made by admin
/// and held through two roles.
fn app_with_mage_fields(size: (u16, u16)) -> App {
    let t = datetime!(2026-11-02 09:30 UTC);
    let mut s = fixture();
    s.permissions.insert(&Permission {
        grants: build::flags(&["LIST", "READ_ALL"]),
        entity_type: Some("python".into()),
        scope: Some("project".into()),
        created_by: Some(id(1)),
        updated_at: datetime!(2026-11-05 17:45 UTC),
        ..build::permission(id(24), "mage", "Pipeline", t)
    });
    s.role_permissions
        .extend([(id(10), id(24)), (id(11), id(24))]);
    s.reindex();
    let mut d = data(true);
    d.state = Arc::new(s);
    let mut a = App::new(Theme::monochrome(), size, false);
    a.on_msg(Msg::Loaded(Box::new(d)));
    a
}

#[test]
fn a_permission_page_shows_mage_fields_stamps_and_users_through_roles() {
    for (w, h) in [(60, 15), (80, 24), (120, 40)] {
        let mut a = app_with_mage_fields((w, h));
        chars(&mut a, ":permissions");
        a.on_event(&key(KeyCode::Enter));
        chars(&mut a, "G");
        a.on_event(&key(KeyCode::Enter));
        assert!(matches!(a.mode, Mode::Detail(_)), "{:?}", a.mode);
        let top = screen(&a);
        // Everything the page holds, seen while moving down it.
        let mut seen = top.clone();
        for _ in 0..40 {
            a.on_event(&key(KeyCode::Char('j')));
            seen.push_str(&screen(&a));
        }
        for want in [
            "entity type  python",
            "scope        project",
            "created      2026-11-02 09:30 UTC by admin",
            "last updated 2026-11-05 17:45 UTC",
            "Users through roles (2)",
            "alice ← role Pipeline editors",
            "bob ← role Viewer default",
        ] {
            assert!(
                seen.contains(want),
                "{want:?} never shown at {w}x{h}:\n{seen}"
            );
        }
        insta::assert_snapshot!(format!("mage_fields_detail_{w}x{h}"), top);
        insta::assert_snapshot!(format!("mage_fields_detail_end_{w}x{h}"), screen(&a));
    }
}
