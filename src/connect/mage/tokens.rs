//! [`TokenCache`]: Mage session tokens kept between CLI runs, so a command does not log in
//! (a bcrypt check on the server, about a second) every time (docs/MAGE.md §5.2).
//!
//! One file per server and login, named by `sha256(url NUL user)`, in
//! `$GATEHOUSE_STATE_DIR/mage-sessions/`, else `$XDG_STATE_HOME/gatehouse/mage-sessions/`, else
//! `~/.local/state/gatehouse/mage-sessions/`. A file holds the server URL, the login name, the
//! raw token, its expiry and the user Mage returned at login — never the password. It is
//! created with mode 0600 (written to a fresh 0600 file, then renamed over the old one), and a
//! file another user owns or that others may read is not used. A file that is unreadable,
//! corrupt, for another server or login, or expired is ignored and replaced at the next login.
//! `GATEHOUSE_MAGE_TOKEN_CACHE=off` turns the cache off.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The environment variable naming gatehouse's state directory.
pub const STATE_DIR_ENV: &str = "GATEHOUSE_STATE_DIR";

/// The environment variable that turns the token cache off (`off`, `0`, `no`, `false`).
pub const CACHE_ENV: &str = "GATEHOUSE_MAGE_TOKEN_CACHE";

/// A token is not used when it expires within this many seconds.
const MARGIN_SECS: f64 = 60.0;

/// A session as kept on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    /// The server URL (password masked), to catch a file that is not for this server.
    pub url: String,
    /// The login name.
    pub user: String,
    /// The raw token (what `Authorization: Bearer` takes).
    pub token: String,
    /// When the token expires, in Unix seconds (from the JWT payload's `expires`).
    pub expires: f64,
    /// The user Mage returned at login.
    #[serde(default)]
    pub login_user: Value,
}

/// Where Mage session tokens are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCache {
    dir: PathBuf,
}

impl TokenCache {
    /// A cache in `dir` (created at the first save, mode 0700).
    pub fn at(dir: impl Into<PathBuf>) -> TokenCache {
        TokenCache { dir: dir.into() }
    }

    /// The cache in gatehouse's state directory (see the module docs); `None` when it is
    /// turned off or no home directory is known.
    pub fn default_location() -> Option<TokenCache> {
        if std::env::var(CACHE_ENV).is_ok_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "off" | "0" | "no" | "false"
            )
        }) {
            return None;
        }
        state_dir().map(|d| TokenCache::at(d.join("mage-sessions")))
    }

    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file for `url` and `user`.
    pub fn file(&self, url: &str, user: &str) -> PathBuf {
        let mut h = Sha256::new();
        h.update(url.as_bytes());
        h.update([0u8]);
        h.update(user.as_bytes());
        self.dir.join(format!("{:x}.json", h.finalize()))
    }

    /// The saved session for `url` and `user`, when there is a usable one: a file this user
    /// owns that nobody else may read, for this server and login, not expired.
    pub fn load(&self, url: &str, user: &str) -> Option<Saved> {
        let path = self.file(url, user);
        let text = read_private(&path)?;
        let saved: Saved = match serde_json::from_str(&text) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(file = %path.display(), "ignoring a corrupt Mage token cache: {e}");
                return None;
            }
        };
        if saved.url != url || saved.user != user || saved.token.is_empty() {
            tracing::warn!(file = %path.display(), "ignoring a Mage token cache for another login");
            return None;
        }
        if saved.expires <= now() + MARGIN_SECS {
            tracing::debug!(file = %path.display(), "the cached Mage token has expired");
            return None;
        }
        Some(saved)
    }

    /// Saves a session (replacing the file at once; a failure is logged, never fatal: the
    /// next run logs in again).
    pub fn save(&self, saved: &Saved) {
        if let Err(e) = self.try_save(saved) {
            tracing::warn!(dir = %self.dir.display(), "cannot save the Mage token: {e}");
        }
    }

    /// Drops the saved session for `url` and `user`; true when there was one.
    pub fn forget(&self, url: &str, user: &str) -> bool {
        std::fs::remove_file(self.file(url, user)).is_ok()
    }

    fn try_save(&self, saved: &Saved) -> std::io::Result<()> {
        let text = serde_json::to_vec(saved).map_err(std::io::Error::other)?;
        make_private_dir(&self.dir)?;
        let path = self.file(&saved.url, &saved.user);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let written = write_private(&tmp, &text).and_then(|()| std::fs::rename(&tmp, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }
}

/// `$GATEHOUSE_STATE_DIR`, else `$XDG_STATE_HOME/gatehouse` (when absolute), else
/// `~/.local/state/gatehouse`.
pub fn state_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os(STATE_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| dirs::home_dir().map(|h| h.join(".local").join("state")))
        .map(|d| d.join("gatehouse"))
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(unix)]
fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::remove_file(path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// The file's text when it is a regular file of this user that no one else may read or write.
#[cfg(unix)]
fn read_private(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        tracing::warn!(file = %path.display(), "ignoring a Mage token cache that is not a file");
        return None;
    }
    if meta.mode() & 0o077 != 0 || meta.uid() != rustix::process::getuid().as_raw() {
        eprintln!(
            "warning: ignoring the saved Mage session {} (mode {:o}): others may read it or \
             another user owns it; logging in again replaces it with a private file",
            path.display(),
            meta.mode() & 0o777
        );
        return None;
    }
    std::fs::read_to_string(path).ok()
}

// Elsewhere file modes cannot be checked: nothing is kept.
#[cfg(not(unix))]
fn make_private_dir(_dir: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "the token cache needs Unix file modes",
    ))
}

#[cfg(not(unix))]
fn write_private(_path: &Path, _bytes: &[u8]) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "the token cache needs Unix file modes",
    ))
}

#[cfg(not(unix))]
fn read_private(_path: &Path) -> Option<String> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn saved(url: &str, user: &str, token: &str) -> Saved {
        Saved {
            url: url.into(),
            user: user.into(),
            token: token.into(),
            expires: now() + 3600.0,
            login_user: serde_json::json!({"id": 1}),
        }
    }

    #[test]
    fn a_saved_token_is_private_and_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let c = TokenCache::at(tmp.path().join("s"));
        let s = saved("http://h:1", "a@b.c", "tok");
        c.save(&s);
        let file = c.file("http://h:1", "a@b.c");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(c.dir()).unwrap().permissions().mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        // serde_json's float parsing may be one ulp off: the expiry is compared within a ms.
        let back = c.load("http://h:1", "a@b.c").unwrap();
        assert!((back.expires - s.expires).abs() < 1e-3, "{back:?} vs {s:?}");
        assert_eq!(
            (back.url, back.user, back.token, back.login_user),
            (
                s.url.clone(),
                s.user.clone(),
                s.token.clone(),
                s.login_user.clone()
            )
        );
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains("password"), "{text}");
        assert_eq!(
            std::fs::read_dir(c.dir()).unwrap().count(),
            1,
            "no temporary file is left"
        );
    }

    #[test]
    fn servers_and_users_never_share_a_file() {
        let tmp = tempfile::tempdir().unwrap();
        let c = TokenCache::at(tmp.path());
        c.save(&saved("http://h:1", "a", "ta"));
        c.save(&saved("http://h:1", "b", "tb"));
        c.save(&saved("http://h:2", "a", "tc"));
        assert_eq!(c.load("http://h:1", "a").unwrap().token, "ta");
        assert_eq!(c.load("http://h:1", "b").unwrap().token, "tb");
        assert_eq!(c.load("http://h:2", "a").unwrap().token, "tc");
        assert_ne!(c.file("http://h:1", "ab"), c.file("http://h:1a", "b"));
        assert!(c.load("http://h:3", "a").is_none());
        assert!(c.forget("http://h:1", "a"));
        assert!(c.load("http://h:1", "a").is_none());
        assert_eq!(c.load("http://h:1", "b").unwrap().token, "tb");
    }

    #[test]
    fn a_file_others_may_read_is_not_used() {
        let tmp = tempfile::tempdir().unwrap();
        let c = TokenCache::at(tmp.path());
        c.save(&saved("http://h:1", "a", "t"));
        let file = c.file("http://h:1", "a");
        for mode in [0o644, 0o640, 0o602] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            assert!(c.load("http://h:1", "a").is_none(), "mode {mode:o}");
        }
        // The next save replaces it with a private file.
        c.save(&saved("http://h:1", "a", "t2"));
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(c.load("http://h:1", "a").unwrap().token, "t2");
    }

    #[test]
    fn corrupt_expired_or_misplaced_files_are_ignored_then_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let c = TokenCache::at(tmp.path());
        let file = c.file("http://h:1", "a");
        write_private(&file, b"{not json").unwrap();
        assert!(c.load("http://h:1", "a").is_none());
        let mut old = saved("http://h:1", "a", "t");
        old.expires = now() + 10.0;
        c.save(&old);
        assert!(
            c.load("http://h:1", "a").is_none(),
            "expires within a minute"
        );
        // A file for another login copied under this name.
        let other = serde_json::to_vec(&saved("http://h:1", "b", "tb")).unwrap();
        write_private(&file, &other).unwrap();
        assert!(c.load("http://h:1", "a").is_none());
        c.save(&saved("http://h:1", "a", "fresh"));
        assert_eq!(c.load("http://h:1", "a").unwrap().token, "fresh");
    }

    #[test]
    fn a_symlink_is_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let c = TokenCache::at(tmp.path().join("c"));
        c.save(&saved("http://h:1", "a", "t"));
        let file = c.file("http://h:1", "a");
        let real = tmp.path().join("real.json");
        std::fs::rename(&file, &real).unwrap();
        std::os::unix::fs::symlink(&real, &file).unwrap();
        assert!(c.load("http://h:1", "a").is_none());
    }
}
