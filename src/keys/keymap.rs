//! The [`Keymap`] from keys to actions: the default keys, remapped by `[keys]` in the config
//! file (with errors that point at the file), and the keymap installed for this process.

use super::KeysConfig;
use super::{Action, binding};
use crate::keys::key::{Key, KeyError};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

const fn plain(code: KeyCode) -> Key {
    Key::plain(code)
}

const fn ch(c: char) -> Key {
    Key::plain(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::CONTROL,
    }
}

/// Ctrl-C: always quits, whatever the config says, so nobody can lock themselves in.
pub const CTRL_C: Key = ctrl('c');

/// The default keys of every action (Ctrl-C, which always quits, aside).
pub const DEFAULT_KEYS: &[(Action, &[Key])] = &[
    (Action::Down, &[ch('j'), plain(KeyCode::Down)]),
    (Action::Up, &[ch('k'), plain(KeyCode::Up)]),
    (Action::Top, &[ch('g'), plain(KeyCode::Home)]),
    (Action::Bottom, &[ch('G'), plain(KeyCode::End)]),
    (Action::PageDown, &[plain(KeyCode::PageDown), ctrl('d')]),
    (Action::PageUp, &[plain(KeyCode::PageUp), ctrl('u')]),
    (
        Action::NextPane,
        &[plain(KeyCode::Tab), ch('l'), plain(KeyCode::Right)],
    ),
    (
        Action::PrevPane,
        &[plain(KeyCode::BackTab), ch('h'), plain(KeyCode::Left)],
    ),
    (Action::Open, &[plain(KeyCode::Enter)]),
    (Action::Back, &[plain(KeyCode::Esc)]),
    (Action::Filter, &[ch('/')]),
    (Action::Command, &[ch(':')]),
    (Action::Sort, &[ch('s')]),
    (Action::SortReverse, &[ch('S')]),
    (Action::New, &[ch('n')]),
    (Action::Edit, &[ch('e')]),
    (Action::Add, &[ch('a')]),
    (Action::Remove, &[ch('x'), plain(KeyCode::Delete)]),
    (Action::Expire, &[ch('E')]),
    (Action::Delete, &[ch('D')]),
    (Action::Defaults, &[ch('c')]),
    (Action::Refresh, &[ch('r'), plain(KeyCode::F(5))]),
    (Action::Messages, &[ch('M'), plain(KeyCode::F(2))]),
    (Action::Help, &[ch('?'), plain(KeyCode::F(1))]),
    (Action::Quit, &[ch('q')]),
];

/// Why a `[keys]` table cannot be used: what is wrong, and where (a byte span of the file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct KeymapError {
    /// Where in the config text (bytes), when known.
    pub span: Option<Range<usize>>,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Keys → actions: the defaults, with the actions named in `[keys]` remapped (a remapped
/// action loses its default keys). Ctrl-C always quits.
#[derive(Debug, Clone)]
pub struct Keymap {
    by_key: HashMap<Key, Action>,
    /// Labels of remapped actions; the others keep [`super::Binding::label`].
    labels: HashMap<Action, String>,
}

impl Default for Keymap {
    fn default() -> Keymap {
        let mut by_key = HashMap::new();
        for (action, keys) in DEFAULT_KEYS {
            for key in *keys {
                by_key.insert(*key, *action);
            }
        }
        by_key.insert(CTRL_C, Action::Quit);
        Keymap {
            by_key,
            labels: HashMap::new(),
        }
    }
}

/// A key as written in `[keys]`: parsed, the string itself, and its span in the file.
struct Written {
    key: Key,
    text: String,
    span: Range<usize>,
}

/// Where a key came from while a keymap is built: the defaults, or the file.
#[derive(Clone)]
struct Source {
    action: Action,
    /// The string as written and its span; `None` for a default.
    written: Option<(String, Range<usize>)>,
}

impl Keymap {
    /// The defaults with `[keys]` applied. Refuses unknown actions and key names, a key
    /// bound to two actions, and Ctrl-C bound to anything but `quit`.
    pub fn from_config(config: &KeysConfig) -> Result<Keymap, KeymapError> {
        let mut remapped: Vec<(Action, Vec<Written>)> = Vec::new();
        for (name, value) in config.in_file_order() {
            let action = Action::from_name(name.get_ref()).ok_or_else(|| KeymapError {
                span: Some(name.span()),
                message: unknown_action(name.get_ref()),
            })?;
            let mut keys: Vec<Written> = Vec::new();
            for (s, span) in value.get_ref().strings(value.span()) {
                let key = Key::parse(s).map_err(|e| KeymapError {
                    span: Some(span.clone()),
                    message: bad_key(s, action, &e),
                })?;
                if key == CTRL_C && action != Action::Quit {
                    return Err(KeymapError {
                        span: Some(span),
                        message: format!(
                            "ctrl-c always quits; it cannot be bound to '{}'",
                            action.name()
                        ),
                    });
                }
                if !keys.iter().any(|w| w.key == key) {
                    keys.push(Written {
                        key,
                        text: s.to_string(),
                        span,
                    });
                }
            }
            remapped.push((action, keys));
        }
        let mut sources: HashMap<Key, Source> = HashMap::new();
        sources.insert(
            CTRL_C,
            Source {
                action: Action::Quit,
                written: None,
            },
        );
        let is_remapped = |a: Action| remapped.iter().any(|(r, _)| *r == a);
        for (action, keys) in DEFAULT_KEYS {
            if !is_remapped(*action) {
                for key in *keys {
                    let src = Source {
                        action: *action,
                        written: None,
                    };
                    if let Some(old) = sources.insert(*key, src.clone()) {
                        return Err(conflict(*key, &old, &src));
                    }
                }
            }
        }
        let mut labels = HashMap::new();
        for (action, keys) in &remapped {
            for w in keys {
                let src = Source {
                    action: *action,
                    written: Some((w.text.clone(), w.span.clone())),
                };
                match sources.get(&w.key) {
                    Some(old) if old.action != *action => return Err(conflict(w.key, old, &src)),
                    Some(_) => {}
                    None => {
                        sources.insert(w.key, src);
                    }
                }
            }
            labels.insert(*action, remapped_label(*action, keys));
        }
        Ok(Keymap {
            by_key: sources.into_iter().map(|(k, s)| (k, s.action)).collect(),
            labels,
        })
    }

    /// The action a key asks for, outside text input. A key with modifiers that has no
    /// binding of its own falls back to the same key with Ctrl only, then bare (so Alt-j
    /// moves down, as it always did).
    pub fn action_for(&self, event: KeyEvent) -> Option<Action> {
        let key = Key::from_event(event);
        let mut tried = Vec::with_capacity(3);
        for modifiers in [
            key.modifiers,
            key.modifiers & KeyModifiers::CONTROL,
            KeyModifiers::NONE,
        ] {
            if tried.contains(&modifiers) {
                continue;
            }
            tried.push(modifiers);
            if let Some(a) = self.by_key.get(&Key {
                code: key.code,
                modifiers,
            }) {
                return Some(*a);
            }
        }
        None
    }

    /// The keys of an action as shown in the footer and the `?` overlay: `j/↓` for the
    /// defaults, the remapped keys joined with `/` otherwise (`C-n`, `X`).
    pub fn label(&self, action: Action) -> String {
        match self.labels.get(&action) {
            Some(l) => l.clone(),
            None => binding(action).map_or_else(String::new, |b| b.label.to_string()),
        }
    }
}

fn remapped_label(action: Action, keys: &[Written]) -> String {
    if keys.is_empty() {
        return if action == Action::Quit {
            CTRL_C.label()
        } else {
            "(none)".to_string()
        };
    }
    keys.iter()
        .map(|w| w.key.label())
        .collect::<Vec<_>>()
        .join("/")
}

fn unknown_action(name: &str) -> String {
    let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
    let best = names
        .iter()
        .map(|n| (strsim::jaro_winkler(name, n), *n))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(score, _)| *score > 0.8);
    let hint = match best {
        Some((_, n)) => format!("; did you mean '{n}'?"),
        None => String::new(),
    };
    format!(
        "unknown action '{name}' in [keys]{hint} (actions: {})",
        names.join(", ")
    )
}

fn bad_key(s: &str, action: Action, e: &KeyError) -> String {
    let a = action.name();
    match e {
        KeyError::Empty => {
            format!("empty key for action '{a}'; expected e.g. \"ctrl-x\", \"D\", \"pagedown\"")
        }
        KeyError::UnknownName => format!(
            "unknown key name '{s}' for action '{a}'; expected e.g. \"ctrl-x\", \"D\", \"pagedown\""
        ),
        KeyError::ShiftNonLetter(c) => format!(
            "'{s}' for action '{a}': shift- only goes with letters and named keys; write the \
             shifted character itself instead of shift-{c}"
        ),
    }
}

fn conflict(key: Key, old: &Source, new: &Source) -> KeymapError {
    let (a, b) = (old.action.name(), new.action.name());
    let (shown, span) = match &new.written {
        Some((s, span)) => (s.clone(), Some(span.clone())),
        None => (key.label(), None),
    };
    let message = match &old.written {
        Some(_) => {
            format!("key \"{shown}\" is bound to both '{a}' and '{b}'; a key can do only one thing")
        }
        None if key == CTRL_C => format!("ctrl-c always quits; it cannot be bound to '{b}'"),
        None => format!(
            "key \"{shown}\" for '{b}' is already a default key of '{a}'; choose another \
             key, or remap '{a}' too"
        ),
    };
    KeymapError { span, message }
}

static INSTALLED: OnceLock<Keymap> = OnceLock::new();
static DEFAULT: LazyLock<Keymap> = LazyLock::new(Keymap::default);

/// Makes `map` the keymap of this process (used by [`action_for`] and [`label`]). The first
/// call wins; later calls are ignored.
pub fn install(map: Keymap) {
    let _ = INSTALLED.set(map);
}

fn current() -> &'static Keymap {
    INSTALLED.get().unwrap_or(&DEFAULT)
}

/// The action a key asks for, outside text input, in the installed keymap (the defaults
/// when none is installed).
pub fn action_for(key: KeyEvent) -> Option<Action> {
    current().action_for(key)
}

/// The keys of an action as shown to humans, in the installed keymap.
pub fn label(action: Action) -> String {
    current().label(action)
}
