//! `[keys]` of the config file as written: action names and key strings with where each one is
//! in the file, checked into a [`Keymap`](super::Keymap) by `Keymap::from_config`.

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// `[keys]`: action name (`delete`, `page_down`, …) → one key string or an array of them,
/// as written, with where each one is in the file. Checked by [`Keymap::from_config`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct KeysConfig {
    /// The entries (sorted by action name).
    pub entries: BTreeMap<Spanned<String>, Spanned<KeyList>>,
}

impl KeysConfig {
    /// The entries in file order (the order errors are found in).
    pub fn in_file_order(&self) -> Vec<(&Spanned<String>, &Spanned<KeyList>)> {
        let mut v: Vec<_> = self.entries.iter().collect();
        v.sort_by_key(|(k, _)| k.span().start);
        v
    }
}

/// The value of one `[keys]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyList {
    /// `delete = "X"` (its place is the entry's value span).
    One(String),
    /// `down = ["j", "down"]`, each with its place.
    Many(Vec<Spanned<String>>),
}

impl KeyList {
    /// Each key string with its byte span in the file; `whole` is the span of the value
    /// (used for [`KeyList::One`]).
    pub fn strings(&self, whole: Range<usize>) -> Vec<(&str, Range<usize>)> {
        match self {
            KeyList::One(s) => vec![(s.as_str(), whole)],
            KeyList::Many(v) => v.iter().map(|s| (s.get_ref().as_str(), s.span())).collect(),
        }
    }
}

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KeyList, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"a key string or an array of key strings, e.g. "X" or ["j", "down"]"#)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<KeyList, E> {
                Ok(KeyList::One(s.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyList, A::Error> {
                let mut v = Vec::new();
                while let Some(s) = seq.next_element::<Spanned<String>>()? {
                    v.push(s);
                }
                Ok(KeyList::Many(v))
            }
        }
        d.deserialize_any(V)
    }
}
