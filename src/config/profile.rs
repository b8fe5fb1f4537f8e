//! `[profiles.NAME]`: where a command or the console connects — the embedded store (`db`), a
//! PostgreSQL database (`database_url`), a `gatehouse serve` server (`url` + an API key from
//! `api_key_env`, `api_key_cmd` or, warned about, `api_key`), or a Mage server (`mage_url`,
//! `email`/`username`, `password_env`) — and whether it is read-only. Flags override the
//! profile; the profile overrides the defaults.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

/// One profile, as written in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The embedded SQLite store file (`~` expands to the home directory).
    #[serde(default)]
    pub db: Option<String>,
    /// A PostgreSQL store: `postgres://…`.
    #[serde(default)]
    pub database_url: Option<String>,
    /// A `gatehouse serve` server.
    #[serde(default)]
    pub url: Option<String>,
    /// The API key in clear (warned about unless the file is private).
    #[serde(default)]
    pub api_key: Option<String>,
    /// The environment variable holding the API key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// A command printing the API key (`pass show gatehouse/prod`).
    #[serde(default)]
    pub api_key_cmd: Option<String>,
    /// A Mage server.
    #[serde(default)]
    pub mage_url: Option<String>,
    /// Mage login email.
    #[serde(default)]
    pub email: Option<String>,
    /// Mage login username (instead of the email).
    #[serde(default)]
    pub username: Option<String>,
    /// The environment variable holding the Mage password (else it is asked for).
    #[serde(default)]
    pub password_env: Option<String>,
    /// Never write through this profile.
    #[serde(default)]
    pub read_only: bool,
}

/// Where a profile points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The embedded store (`None`: the default file).
    Local(Option<String>),
    /// A PostgreSQL database.
    Postgres(String),
    /// A gatehouse server.
    Remote(String),
    /// A Mage server.
    Mage(String),
}

impl Profile {
    /// Checks that the fields make one coherent target; the message says what to change.
    pub fn check(&self) -> Result<(), String> {
        let targets: Vec<&str> = [
            ("db", self.db.is_some()),
            ("database_url", self.database_url.is_some()),
            ("url", self.url.is_some()),
            ("mage_url", self.mage_url.is_some()),
        ]
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(k, _)| k)
        .collect();
        if targets.len() > 1 {
            return Err(format!(
                "a profile points at one place; it sets {}: keep one",
                targets.join(" and ")
            ));
        }
        let keys = [
            self.api_key.is_some(),
            self.api_key_env.is_some(),
            self.api_key_cmd.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if keys > 0 && self.url.is_none() {
            return Err("api_key, api_key_env and api_key_cmd need url = \"https://…\"".into());
        }
        if keys > 1 {
            return Err("give the API key one way: api_key_env, api_key_cmd or api_key".into());
        }
        let mage_login =
            self.email.is_some() || self.username.is_some() || self.password_env.is_some();
        if mage_login && self.mage_url.is_none() {
            return Err("email, username and password_env need mage_url = \"http://…\"".into());
        }
        if let Some(u) = self.url.as_deref().or(self.mage_url.as_deref())
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            let u = crate::text::redact_url_passwords(u);
            return Err(format!("'{u}' is not an http:// or https:// URL"));
        }
        if let Some(u) = &self.database_url
            && !(u.starts_with("postgres://") || u.starts_with("postgresql://"))
        {
            let u = crate::text::redact_url_passwords(u);
            return Err(format!(
                "database_url '{u}' must start with postgres:// or postgresql://"
            ));
        }
        Ok(())
    }

    /// Where the profile points.
    pub fn target(&self) -> Target {
        if let Some(u) = &self.url {
            Target::Remote(u.clone())
        } else if let Some(u) = &self.mage_url {
            Target::Mage(u.clone())
        } else if let Some(u) = &self.database_url {
            Target::Postgres(u.clone())
        } else {
            Target::Local(self.db.as_deref().map(expand_home))
        }
    }

    /// The API key: from `api_key_env`, the output of `api_key_cmd`, or `api_key`; `None`
    /// when the profile gives none.
    pub fn api_key(&self) -> Result<Option<String>, String> {
        if let Some(var) = &self.api_key_env {
            return std::env::var(var)
                .map(Some)
                .map_err(|_| format!("api_key_env names {var}, which is not set; export it"));
        }
        if let Some(cmd) = &self.api_key_cmd {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .stderr(std::process::Stdio::inherit())
                .output()
                .map_err(|e| format!("api_key_cmd '{cmd}' could not run: {e}"))?;
            if !out.status.success() {
                return Err(format!("api_key_cmd '{cmd}' failed ({})", out.status));
            }
            let key = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if key.is_empty() {
                return Err(format!("api_key_cmd '{cmd}' printed nothing"));
            }
            return Ok(Some(key));
        }
        Ok(self.api_key.clone())
    }
}

/// `~/x` → `$HOME/x`.
pub fn expand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest).display().to_string(),
        _ => p.to_string(),
    }
}

/// Warnings about how the file keeps secrets: an `api_key` in clear in a file others may read.
pub fn secret_warnings(
    profiles: &BTreeMap<String, Spanned<Profile>>,
    path: &Path,
    file: &str,
) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let private = std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o077 == 0)
        .unwrap_or(true);
    if private {
        return Vec::new();
    }
    profiles
        .iter()
        .filter(|(_, p)| p.get_ref().api_key.is_some())
        .map(|(name, _)| {
            format!(
                "warning: {file}: profile '{name}' keeps its API key in clear and the file can \
                 be read by others; run `chmod 600 {file}` or use api_key_env / api_key_cmd"
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_target_per_profile() {
        let p = Profile {
            db: Some("/x.db".into()),
            url: Some("http://h".into()),
            ..Default::default()
        };
        assert!(p.check().expect_err("two").contains("db and url"));
        let p = Profile {
            api_key_env: Some("K".into()),
            ..Default::default()
        };
        assert!(p.check().expect_err("no url").contains("need url"));
        let p = Profile {
            url: Some("ftp://h".into()),
            ..Default::default()
        };
        assert!(p.check().expect_err("scheme").contains("not an http"));
        let p = Profile {
            url: Some("https://authz.example.internal".into()),
            api_key_cmd: Some("echo ghk_x".into()),
            read_only: true,
            ..Default::default()
        };
        p.check().expect("fine");
        assert_eq!(
            p.target(),
            Target::Remote("https://authz.example.internal".into())
        );
        assert_eq!(p.api_key().expect("runs").as_deref(), Some("ghk_x"));
    }

    #[test]
    fn a_refused_url_is_shown_without_its_password() {
        let p = Profile {
            database_url: Some("mysql://root:s3cretPW@db/app".into()),
            ..Default::default()
        };
        let e = p.check().expect_err("not postgres");
        assert!(e.contains("root:***@db") && !e.contains("s3cretPW"), "{e}");
        let p = Profile {
            url: Some("ftp://bob:s3cretPW@h".into()),
            ..Default::default()
        };
        let e = p.check().expect_err("not http");
        assert!(e.contains("bob:***@h") && !e.contains("s3cretPW"), "{e}");
    }

    #[test]
    fn a_missing_key_variable_is_named() {
        let p = Profile {
            url: Some("http://h".into()),
            api_key_env: Some("GATEHOUSE_TEST_SURELY_UNSET_VAR".into()),
            ..Default::default()
        };
        let e = p.api_key().expect_err("unset");
        assert!(e.contains("GATEHOUSE_TEST_SURELY_UNSET_VAR"), "{e}");
    }
}
