//! Names that must not look alike: usernames and role names are unique ignoring case and
//! Unicode look-alike characters (UTS #39 confusable skeletons), so `rооt` (with Cyrillic `о`)
//! cannot stand beside `root`, nor `Admins` beside `admins`.

use crate::model::{Id, Role, User};
use crate::policy::State;
use std::collections::HashMap;

/// The form two names share when they look alike: lowercased, mapped to its UTS #39 skeleton,
/// lowercased again (`r0ot`, `ROOT` and `rооt` all give `root`).
pub fn look_alike_key(name: &str) -> String {
    let lower = name.to_lowercase();
    unicode_security::confusable_detection::skeleton(&lower)
        .collect::<String>()
        .to_lowercase()
}

/// The user whose username looks like `name` (other than `except`).
pub(crate) fn user_like<'a>(state: &'a State, name: &str, except: Option<Id>) -> Option<&'a User> {
    if let Some(u) = state.user_by_name(name)
        && Some(u.id) != except
    {
        return Some(u);
    }
    let key = look_alike_key(name);
    state
        .users
        .values()
        .find(|u| Some(u.id) != except && look_alike_key(&u.username) == key)
}

/// The role whose name looks like `name` (other than `except`).
pub(crate) fn role_like<'a>(state: &'a State, name: &str, except: Option<Id>) -> Option<&'a Role> {
    let key = look_alike_key(name);
    state
        .roles
        .values()
        .find(|r| Some(r.id) != except && look_alike_key(&r.name) == key)
}

/// Look-alike keys of many names, for checking a whole document at once.
#[derive(Debug, Default)]
pub(crate) struct Taken {
    keys: HashMap<String, String>,
}

impl Taken {
    /// The usernames of a state.
    pub(crate) fn users(state: &State) -> Taken {
        Taken::of(state.users.values().map(|u| u.username.as_str()))
    }

    /// The role names of a state.
    pub(crate) fn roles(state: &State) -> Taken {
        Taken::of(state.roles.values().map(|r| r.name.as_str()))
    }

    fn of<'a>(names: impl Iterator<Item = &'a str>) -> Taken {
        Taken {
            keys: names.map(|n| (look_alike_key(n), n.to_string())).collect(),
        }
    }

    /// Records `name`; returns the different name already taken that looks like it.
    pub(crate) fn take(&mut self, name: &str) -> Option<String> {
        match self.keys.entry(look_alike_key(name)) {
            std::collections::hash_map::Entry::Occupied(e) if e.get() != name => {
                Some(e.get().clone())
            }
            std::collections::hash_map::Entry::Occupied(_) => None,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(name.to_string());
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_share_a_key_and_different_names_do_not() {
        let root = look_alike_key("root");
        for same in ["ROOT", "Root", "r\u{043e}\u{043e}t", "r0ot", "rOOT"] {
            assert_eq!(look_alike_key(same), root, "{same}");
        }
        for other in ["roots", "rot", "boot", "admin"] {
            assert_ne!(look_alike_key(other), root, "{other}");
        }
        assert_eq!(look_alike_key("Admins"), look_alike_key("admins"));
    }

    #[test]
    fn taken_refuses_a_different_look_alike_but_not_the_same_name() {
        let mut t = Taken::of(["root", "Viewers"].into_iter());
        assert_eq!(t.take("root"), None, "the same name again is not a clash");
        assert_eq!(t.take("r\u{043e}\u{043e}t").as_deref(), Some("root"));
        assert_eq!(t.take("viewers").as_deref(), Some("Viewers"));
        assert_eq!(t.take("editors"), None);
        assert_eq!(t.take("Editors").as_deref(), Some("editors"));
    }
}
