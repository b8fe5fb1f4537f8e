//! The user's config file: `$XDG_CONFIG_HOME/gatehouse/config.toml` (or
//! `~/.config/gatehouse/config.toml`; `GATEHOUSE_CONFIG` names another file).
//!
//! Today it holds `[keys]`, which remaps the console's keys:
//!
//! ```toml
//! [keys]
//! delete = "X"
//! down = ["j", "down", "ctrl-n"]
//! ```
//!
//! and the profiles of docs/PRODUCT.md §1.3 (see [`profile`]):
//!
//! ```toml
//! default_profile = "local"
//! [profiles.local]
//! db = "~/.local/share/gatehouse/gatehouse.db"
//! [profiles.prod]
//! url = "https://authz.example.internal"
//! api_key_env = "GATEHOUSE_API_KEY"
//! read_only = true
//! ```
//!
//! Unknown top-level keys are ignored (later versions add more sections); unknown actions and
//! key names inside `[keys]`, unknown fields of a profile and incoherent profiles are errors
//! that name the file, the line and the column.

#[cfg(test)]
mod keys_tests;
pub mod profile;

pub use profile::{Profile, Target};

use crate::keys::{Keymap, KeysConfig};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The environment variable that names the config file, overriding the default path.
pub const ENV: &str = "GATEHOUSE_CONFIG";

/// The user's settings. A missing file is [`Config::default`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Config {
    /// `[keys]`: console key remapping.
    #[serde(default)]
    pub keys: KeysConfig,
    /// The profile used when `--profile` is not given.
    #[serde(default)]
    pub default_profile: Option<Spanned<String>>,
    /// `[profiles.NAME]`.
    #[serde(default)]
    pub profiles: BTreeMap<String, Spanned<Profile>>,
}

impl Config {
    /// The profile named by `--profile` (`flag`), else `default_profile`, else none.
    pub fn select(&self, flag: Option<&str>) -> Result<Option<(String, Profile)>, String> {
        let Some(name) = flag.or(self.default_profile.as_ref().map(|s| s.get_ref().as_str()))
        else {
            return Ok(None);
        };
        match self.profiles.get(name) {
            Some(p) => Ok(Some((name.to_string(), p.get_ref().clone()))),
            None => Err(format!(
                "no profile '{name}' in the config file; profiles: {}",
                if self.profiles.is_empty() {
                    "none (add [profiles.NAME])".to_string()
                } else {
                    self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                }
            )),
        }
    }
}

/// Why the config file cannot be used. Every message names the file; problems inside it
/// also name the line and the column.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but cannot be read.
    #[error("{file}: cannot read the config file: {source}")]
    Read {
        /// The file, as shown to the user.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `GATEHOUSE_CONFIG` names a file that does not exist.
    #[error("{file}: no such config file (named by {ENV}); create it or unset {ENV}")]
    Missing {
        /// The file, as shown to the user.
        file: String,
    },
    /// Something in the file is wrong, at a known place.
    #[error("{file}:{line}:{col}: {message}")]
    At {
        /// The file, as shown to the user.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        col: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Something in the file is wrong, with no place known.
    #[error("{file}: {message}")]
    Invalid {
        /// The file, as shown to the user.
        file: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl ConfigError {
    /// The process exit code for a config error: 2, like every usage error.
    pub fn exit_code(&self) -> i32 {
        2
    }

    /// An error at byte span `span` of `text` (or without a place when `None`).
    fn located(file: &str, text: &str, span: Option<Range<usize>>, message: String) -> Self {
        match span {
            Some(r) => {
                let (line, col) = line_col(text, r.start);
                ConfigError::At {
                    file: file.to_string(),
                    line,
                    col,
                    message,
                }
            }
            None => ConfigError::Invalid {
                file: file.to_string(),
                message,
            },
        }
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// The config file's path: `$GATEHOUSE_CONFIG`, else `$XDG_CONFIG_HOME/gatehouse/config.toml`
/// (when set and absolute), else `~/.config/gatehouse/config.toml`; `None` when no home
/// directory is known either.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| dirs::home_dir().map(|h| h.join(".config")))?;
    Some(base.join("gatehouse").join("config.toml"))
}

/// A path as messages show it: under the home directory as `~/…`.
pub fn display_path(path: &Path) -> String {
    if let Some(home) = dirs::home_dir()
        && let Ok(rest) = path.strip_prefix(&home)
        && !rest.as_os_str().is_empty()
    {
        return format!("~/{}", rest.display());
    }
    path.display().to_string()
}

/// Loads the config file (see [`path`]). A missing file gives the defaults, except when
/// `GATEHOUSE_CONFIG` names it.
pub fn load() -> Result<Config, ConfigError> {
    let Some(p) = path() else {
        return Ok(Config::default());
    };
    if std::env::var_os(ENV).is_some_and(|v| !v.is_empty()) && !p.exists() {
        return Err(ConfigError::Missing {
            file: display_path(&p),
        });
    }
    load_from(&p)
}

/// Loads and checks one config file; a missing file gives the defaults.
pub fn load_from(path: &Path) -> Result<Config, ConfigError> {
    let file = display_path(path);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(source) => return Err(ConfigError::Read { file, source }),
    };
    parse(&text, &file)
}

/// Parses and checks config text; `file` names it in messages.
pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|e| {
        ConfigError::located(file, text, e.span(), e.message().trim_end().to_string())
    })?;
    Keymap::from_config(&config.keys)
        .map_err(|e| ConfigError::located(file, text, e.span, e.message))?;
    for (name, p) in &config.profiles {
        p.get_ref().check().map_err(|m| {
            ConfigError::located(file, text, Some(p.span()), format!("profile '{name}': {m}"))
        })?;
    }
    if let Some(d) = &config.default_profile
        && !config.profiles.contains_key(d.get_ref())
    {
        return Err(ConfigError::located(
            file,
            text,
            Some(d.span()),
            format!(
                "default_profile '{}' is not defined; add [profiles.{}]",
                d.get_ref(),
                d.get_ref()
            ),
        ));
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text, "~/.config/gatehouse/config.toml")
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn empty_and_missing_give_defaults() {
        assert_eq!(parse("", "c").unwrap(), Config::default());
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            load_from(&dir.path().join("nope.toml")).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn one_string_or_an_array() {
        let c = parse("[keys]\ndelete = \"X\"\ndown = [\"j\", \"ctrl-n\"]\n", "c").unwrap();
        let e = c.keys.in_file_order();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].0.get_ref(), "delete");
        assert_eq!(e[0].1.get_ref(), &crate::keys::KeyList::One("X".into()));
        assert_eq!(e[1].0.get_ref(), "down");
        let strings: Vec<&str> = e[1]
            .1
            .get_ref()
            .strings(e[1].1.span())
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert_eq!(strings, ["j", "ctrl-n"]);
    }

    #[test]
    fn unknown_top_level_keys_are_ignored() {
        let c = parse(
            "default_profile = \"prod\"\n[profiles.prod]\nurl = \"https://x\"\n[keys]\nquit = \"Q\"\n\
             [later]\nthing = 1\n",
            "c",
        )
        .unwrap();
        assert_eq!(c.keys.entries.len(), 1);
    }

    #[test]
    fn unknown_key_name_names_file_line_column_and_action() {
        let text = "# my keys\n\n[keys]\ndelete = \"ctl-x\"\n";
        assert_eq!(
            err(text),
            "~/.config/gatehouse/config.toml:4:10: unknown key name 'ctl-x' for action \
             'delete'; expected e.g. \"ctrl-x\", \"D\", \"pagedown\""
        );
        // In an array, the place is the bad element's.
        let text = "[keys]\ndown = [\"j\", \"dwn\"]\n";
        assert!(
            err(text).starts_with("~/.config/gatehouse/config.toml:2:14: unknown key name 'dwn'"),
            "{}",
            err(text)
        );
    }

    #[test]
    fn unknown_action_names_line_column_and_a_suggestion() {
        let e = err("[keys]\nquit = \"Q\"\n  delet = \"X\"\n");
        assert!(
            e.starts_with(
                "~/.config/gatehouse/config.toml:3:3: unknown action 'delet' in [keys]; did you mean 'delete'?"
            ),
            "{e}"
        );
        assert!(e.contains("page_down"), "lists the actions: {e}");
    }

    #[test]
    fn wrong_types_and_syntax_errors_have_a_place() {
        let e = err("[keys]\nquit = 5\n");
        assert!(
            e.starts_with("~/.config/gatehouse/config.toml:2:8: "),
            "{e}"
        );
        assert!(e.contains("a key string or an array of key strings"), "{e}");
        let e = err("[keys]\nquit = [\"q\", 5]\n");
        assert!(
            e.starts_with("~/.config/gatehouse/config.toml:2:14: "),
            "{e}"
        );
        let e = err("[keys]\nquit = \"Q\n");
        assert!(e.starts_with("~/.config/gatehouse/config.toml:2:"), "{e}");
        let e = err("keys = 3\n");
        assert!(
            e.starts_with("~/.config/gatehouse/config.toml:1:8: "),
            "{e}"
        );
    }

    #[test]
    fn profiles_are_selected_and_checked_with_their_place() {
        let text = "default_profile = \"local\"\n[profiles.local]\ndb = \"/tmp/g.db\"\n\
                    [profiles.prod]\nurl = \"https://authz\"\napi_key_env = \"K\"\nread_only = true\n";
        let c = parse(text, "c").unwrap();
        let (name, p) = c.select(None).unwrap().unwrap();
        assert_eq!(
            (name.as_str(), p.target()),
            ("local", Target::Local(Some("/tmp/g.db".into())))
        );
        let (_, p) = c.select(Some("prod")).unwrap().unwrap();
        assert!(p.read_only);
        assert!(c.select(Some("stage")).unwrap_err().contains("local, prod"));

        let e = err("[profiles.prod]\nurl = \"https://a\"\ndb = \"/x\"\n");
        assert!(
            e.starts_with("~/.config/gatehouse/config.toml:1:1: profile 'prod':"),
            "{e}"
        );
        let e = err("[profiles.prod]\nurl = \"https://a\"\napi_kye = \"x\"\n");
        assert!(
            e.starts_with("~/.config/gatehouse/config.toml:3:1: unknown field `api_kye`"),
            "{e}"
        );
        let e = err("default_profile = \"nope\"\n");
        assert!(
            e.starts_with("~/.config/gatehouse/config.toml:1:19: default_profile 'nope'"),
            "{e}"
        );
    }

    #[test]
    fn line_col_counts_characters() {
        let t = "ab\nçé = 1\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 3), (2, 1));
        assert_eq!(line_col(t, t.find('=').unwrap()), (2, 4));
        assert_eq!(line_col(t, 999), (3, 1));
    }

    #[test]
    fn the_default_path_ends_in_gatehouse_config_toml() {
        // GATEHOUSE_CONFIG itself is tested in tests/config.rs (env vars are process-wide).
        if std::env::var_os(ENV).is_some() {
            return;
        }
        let p = path().expect("a home directory");
        assert!(p.ends_with("gatehouse/config.toml"), "{}", p.display());
    }
}
