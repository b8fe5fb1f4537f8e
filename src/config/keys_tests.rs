//! Tests of the keymap as the config file sets it: today's keys by default, `[keys]`
//! remapping, and its errors (with their place in the file).

use crate::config;
use crate::keys::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn map(toml: &str) -> Result<Keymap, String> {
    let keys: KeysConfig = toml::from_str::<config::Config>(toml)
        .map_err(|e| e.to_string())?
        .keys;
    Keymap::from_config(&keys).map_err(|e| e.to_string())
}

fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, m)
}

fn press(m: &Keymap, c: char) -> Option<Action> {
    m.action_for(ev(KeyCode::Char(c), KeyModifiers::NONE))
}

#[test]
fn defaults_are_todays_keys() {
    use KeyCode::*;
    let none = KeyModifiers::NONE;
    let ctrl = KeyModifiers::CONTROL;
    let shift = KeyModifiers::SHIFT;
    let checked = Keymap::from_config(&KeysConfig::default()).expect("no conflicts");
    for m in [Keymap::default(), checked] {
        for (code, mods, want) in [
            (Char('c'), ctrl, Action::Quit),
            (Char('d'), ctrl, Action::PageDown),
            (Char('u'), ctrl, Action::PageUp),
            (Char('j'), none, Action::Down),
            (Down, none, Action::Down),
            (Char('k'), none, Action::Up),
            (Up, none, Action::Up),
            (Char('g'), none, Action::Top),
            (Home, none, Action::Top),
            (Char('G'), shift, Action::Bottom),
            (Char('G'), none, Action::Bottom),
            (End, none, Action::Bottom),
            (PageDown, none, Action::PageDown),
            (PageUp, none, Action::PageUp),
            (Tab, none, Action::NextPane),
            (Char('l'), none, Action::NextPane),
            (Right, none, Action::NextPane),
            (BackTab, shift, Action::PrevPane),
            (Char('h'), none, Action::PrevPane),
            (Left, none, Action::PrevPane),
            (Enter, none, Action::Open),
            (Esc, none, Action::Back),
            (Char('/'), none, Action::Filter),
            (Char(':'), none, Action::Command),
            (Char('s'), none, Action::Sort),
            (Char('S'), shift, Action::SortReverse),
            (Char('n'), none, Action::New),
            (Char('e'), none, Action::Edit),
            (Char('a'), none, Action::Add),
            (Char('x'), none, Action::Remove),
            (Delete, none, Action::Remove),
            (Char('D'), shift, Action::Delete),
            (Char('c'), none, Action::Defaults),
            (Char('r'), none, Action::Refresh),
            (F(5), none, Action::Refresh),
            (Char('?'), shift, Action::Help),
            (F(1), none, Action::Help),
            (Char('M'), shift, Action::Messages),
            (F(2), none, Action::Messages),
            (Char('q'), none, Action::Quit),
            // Modifiers without a binding of their own fall back, as before.
            (Char('j'), ctrl, Action::Down),
            (Char('q'), KeyModifiers::ALT, Action::Quit),
            (Char('c'), ctrl | KeyModifiers::ALT, Action::Quit),
        ] {
            assert_eq!(
                m.action_for(ev(code, mods)),
                Some(want),
                "{code:?} {mods:?}"
            );
        }
        assert_eq!(press(&m, 'z'), None);
        assert_eq!(m.action_for(ev(F(3), none)), None);
    }
}

#[test]
fn every_action_has_default_keys_and_a_name() {
    for a in Action::ALL {
        assert_eq!(Action::from_name(a.name()), Some(a));
        assert!(DEFAULT_KEYS.iter().any(|(d, k)| *d == a && !k.is_empty()));
        assert!(binding(a).is_some(), "{a:?} is in BINDINGS");
    }
    assert_eq!(Action::ALL.len(), BINDINGS.len());
    assert_eq!(Action::from_name("PageDown"), None);
}

#[test]
fn default_labels_are_the_table_labels() {
    let m = Keymap::default();
    for b in BINDINGS {
        assert_eq!(m.label(b.action), b.label);
    }
    assert_eq!(m.label(Action::Down), "j/↓");
    assert_eq!(label(Action::Quit), "q", "nothing installed: the defaults");
    assert_eq!(
        action_for(ev(KeyCode::Char('D'), KeyModifiers::SHIFT)),
        Some(Action::Delete)
    );
}

#[test]
fn a_remapped_action_loses_its_default_keys() {
    let m = map("[keys]\ndelete = \"X\"\ndown = [\"j\", \"down\", \"ctrl-n\"]\n").unwrap();
    assert_eq!(press(&m, 'X'), Some(Action::Delete));
    assert_eq!(press(&m, 'D'), None, "the default D is gone");
    assert_eq!(m.label(Action::Delete), "X");
    assert_eq!(
        m.action_for(ev(KeyCode::Char('n'), KeyModifiers::CONTROL)),
        Some(Action::Down)
    );
    assert_eq!(press(&m, 'n'), Some(Action::New), "plain n is still new");
    assert_eq!(m.label(Action::Down), "j/↓/C-n");
    assert_eq!(
        m.label(Action::Up),
        "k/↑",
        "untouched actions keep their label"
    );

    let m = map("[keys]\nnext_pane = \"ctrl-l\"\n").unwrap();
    assert_eq!(m.action_for(ev(KeyCode::Tab, KeyModifiers::NONE)), None);
    assert_eq!(press(&m, 'l'), None);
    assert_eq!(
        m.action_for(ev(KeyCode::Char('l'), KeyModifiers::CONTROL)),
        Some(Action::NextPane)
    );
}

#[test]
fn a_default_key_is_free_once_its_action_is_remapped() {
    let m = map("[keys]\ndelete = \"x\"\nremove = \"delete\"\n").unwrap();
    assert_eq!(press(&m, 'x'), Some(Action::Delete));
    assert_eq!(
        m.action_for(ev(KeyCode::Delete, KeyModifiers::NONE)),
        Some(Action::Remove)
    );
    assert_eq!(press(&m, 'D'), None);
    // The same key twice for one action is fine.
    let m = map("[keys]\nquit = [\"Q\", \"shift-q\"]\n").unwrap();
    assert_eq!(m.label(Action::Quit), "Q");
}

#[test]
fn one_key_for_two_actions_is_refused_naming_both() {
    let e = map("[keys]\ndelete = \"x\"\n").unwrap_err();
    assert_eq!(
        e,
        "key \"x\" for 'delete' is already a default key of 'remove'; choose another key, \
         or remap 'remove' too"
    );
    let e = map("[keys]\ndelete = \"X\"\nremove = [\"d\", \"shift-x\"]\n").unwrap_err();
    assert_eq!(
        e,
        "key \"shift-x\" is bound to both 'delete' and 'remove'; a key can do only one thing"
    );
    // With the place: the later of the two in the file.
    let e = config::parse(
        "[keys]\nremove = \"d\"\ndelete = [\"D\", \"d\"]\n",
        "k.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("k.toml:3:16: key \"d\" is bound to both 'remove' and 'delete'"),
        "{e}"
    );
}

#[test]
fn unknown_names_are_refused_with_their_place() {
    let e = Keymap::from_config(
        &toml::from_str::<config::Config>("[keys]\nremove = [\"x\", \"ctl-x\"]\n")
            .unwrap()
            .keys,
    )
    .unwrap_err();
    assert_eq!(e.span, Some(22..29));
    assert!(
        e.message
            .starts_with("unknown key name 'ctl-x' for action 'remove'")
    );
    let e = map("[keys]\nqiut = \"Q\"\n").unwrap_err();
    assert!(
        e.starts_with("unknown action 'qiut' in [keys]; did you mean 'quit'?"),
        "{e}"
    );
    let e = map("[keys]\nremove = \"\"\n").unwrap_err();
    assert!(e.starts_with("empty key for action 'remove'"), "{e}");
    let e = map("[keys]\nhelp = \"shift-/\"\n").unwrap_err();
    assert!(e.contains("shift- only goes with letters"), "{e}");
}

#[test]
fn ctrl_c_always_quits() {
    let m = map("[keys]\nquit = \"Q\"\n").unwrap();
    assert_eq!(press(&m, 'q'), None, "q no longer quits");
    assert_eq!(
        m.action_for(ev(KeyCode::Char('Q'), KeyModifiers::SHIFT)),
        Some(Action::Quit)
    );
    assert_eq!(
        m.action_for(ev(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(Action::Quit)
    );
    assert_eq!(m.label(Action::Quit), "Q");
    let m = map("[keys]\nquit = []\n").unwrap();
    assert_eq!(
        m.action_for(ev(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(Action::Quit)
    );
    assert_eq!(m.label(Action::Quit), "C-c");
    let e = map("[keys]\nrefresh = \"ctrl-c\"\n").unwrap_err();
    assert_eq!(e, "ctrl-c always quits; it cannot be bound to 'refresh'");
    assert!(map("[keys]\nquit = [\"ctrl-c\", \"Q\"]\n").is_ok());
    // Unbinding another action leaves it without keys.
    let m = map("[keys]\ndelete = []\n").unwrap();
    assert_eq!(press(&m, 'D'), None);
    assert_eq!(m.label(Action::Delete), "(none)");
}
