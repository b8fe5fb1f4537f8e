//! Where commands and the console go: `--remote URL`, `--db PATH`, a profile of the config
//! file (`--profile NAME` or its `default_profile`), or the default store file — and opening it.

use super::GlobalArgs;
use crate::backend::Backend;
use crate::backend::{Error, Reads, Result};
use crate::config::Target;
use crate::connect::mage::Login;
use crate::connect::{HttpBackend, LocalBackend, MageBackend, PlainHttp, default_db_path};
use std::path::{Path, PathBuf};

/// Refuses a file that exists and is clearly not an SQLite database.
fn check_store_file(path: &Path) -> Result<()> {
    use std::io::Read;
    if path.is_dir() {
        return Err(Error::Store(format!(
            "store '{}' is a directory; pass a file path with --db",
            path.display()
        )));
    }
    let Ok(mut f) = std::fs::File::open(path) else {
        return Ok(());
    };
    let mut head = [0u8; 16];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => {
                return Err(Error::Store(format!(
                    "cannot read store '{}': {e}",
                    path.display()
                )));
            }
        }
    }
    if n > 0 && head[..n] != b"SQLite format 3\0"[..n] {
        return Err(Error::Store(format!(
            "store '{}' is not a gatehouse database (not an SQLite file); pass the right --db",
            path.display()
        )));
    }
    Ok(())
}

/// Where the commands go. Chosen by [`select_backend`]; a config file's profiles can add their
/// own choices there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendChoice {
    /// The embedded store in this file.
    Local(PathBuf),
    /// The PostgreSQL store at this URL.
    Postgres(String),
    /// A `gatehouse serve` server at this URL.
    Remote(String),
    /// A Mage server at this URL.
    Mage(String),
}

/// How to log in to a Mage server, as far as flags and the profile say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MageLogin {
    /// Email or username.
    pub user: Option<String>,
    /// The environment variable holding the password.
    pub password_env: Option<String>,
}

/// The chosen backend and what the profile adds to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Where to go.
    pub choice: BackendChoice,
    /// The profile asks for a read-only session.
    pub read_only: bool,
    /// The API key the profile gives (for a server).
    pub api_key: Option<String>,
    /// The profile used, if any.
    pub profile: Option<String>,
    /// The Mage login (for a Mage server).
    pub mage_login: MageLogin,
}

/// Chooses the backend: `--mage URL`, `--remote URL`, else `--database-url URL` (or
/// `$GATEHOUSE_DATABASE_URL`), else `--db PATH` (or `$GATEHOUSE_DB`), else the profile
/// (`--profile NAME` or the config file's `default_profile`), else the default store file.
/// Flags override the profile; the profile overrides the defaults.
pub fn select_backend(global: &GlobalArgs) -> Result<Selection> {
    let flag_target = if let Some(url) = &global.mage {
        Some(BackendChoice::Mage(url.clone()))
    } else if let Some(url) = &global.remote {
        Some(BackendChoice::Remote(url.clone()))
    } else if let Some(url) = &global.database_url {
        Some(BackendChoice::Postgres(url.clone()))
    } else {
        global.db.clone().map(BackendChoice::Local)
    };
    let config_error = |m: String| Error::invalid("config", m);
    let profile = if flag_target.is_none() || global.profile.is_some() {
        let config = crate::config::load().map_err(|e| config_error(e.to_string()))?;
        if let Some(path) = crate::config::path() {
            let file = crate::config::display_path(&path);
            for w in crate::config::profile::secret_warnings(&config.profiles, &path, &file) {
                eprintln!("{w}");
            }
        }
        config
            .select(global.profile.as_deref())
            .map_err(config_error)?
    } else {
        None
    };
    let Some((name, p)) = profile else {
        return Ok(Selection {
            choice: match flag_target {
                Some(c) => c,
                None => BackendChoice::Local(default_db_path()?),
            },
            read_only: false,
            api_key: None,
            profile: None,
            mage_login: MageLogin {
                user: global.mage_user.clone(),
                password_env: None,
            },
        });
    };
    let choice = match (flag_target, p.target()) {
        (Some(c), _) => c,
        (None, Target::Local(db)) => BackendChoice::Local(match db {
            Some(d) => PathBuf::from(d),
            None => default_db_path()?,
        }),
        (None, Target::Remote(url)) => BackendChoice::Remote(url),
        (None, Target::Postgres(url)) => BackendChoice::Postgres(url),
        (None, Target::Mage(url)) => BackendChoice::Mage(url),
    };
    let api_key = match &choice {
        BackendChoice::Remote(_) => p
            .api_key()
            .map_err(|m| Error::invalid("profile", format!("profile '{name}': {m}")))?,
        BackendChoice::Local(_) | BackendChoice::Postgres(_) | BackendChoice::Mage(_) => None,
    };
    let mage_login = MageLogin {
        user: global
            .mage_user
            .clone()
            .or_else(|| p.email.clone())
            .or_else(|| p.username.clone()),
        password_env: p.password_env.clone(),
    };
    Ok(Selection {
        choice,
        read_only: p.read_only,
        api_key,
        profile: Some(name),
        mage_login,
    })
}

/// An opened backend: the local one keeps its concrete type for `init` and the console's
/// first-run bootstrap.
pub enum Opened {
    /// A store in this process (a file, or a PostgreSQL database: then the path is its
    /// URL with the password redacted).
    Local(LocalBackend, PathBuf),
    /// A server.
    Remote(HttpBackend),
    /// A Mage server.
    Mage(MageBackend),
}

impl Opened {
    /// File path or URL, for messages.
    pub fn location(&self) -> PathBuf {
        match self {
            Opened::Local(_, p) => p.clone(),
            Opened::Remote(h) => PathBuf::from(h.url()),
            Opened::Mage(m) => PathBuf::from(m.client().url()),
        }
    }

    /// The backend behind the trait.
    pub fn into_backend(self) -> Box<dyn Backend> {
        match self {
            Opened::Local(b, _) => Box::new(b),
            Opened::Remote(h) => Box::new(h),
            Opened::Mage(m) => Box::new(m),
        }
    }
}

/// The API key for a server: `$GATEHOUSE_API_KEY`, else asked for (without echo) when stdin is
/// a terminal.
fn remote_api_key(url: &str) -> Result<String> {
    if let Ok(key) = std::env::var("GATEHOUSE_API_KEY")
        && !key.trim().is_empty()
    {
        return Ok(key);
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return rpassword::prompt_password(format!("API key for {url}: ")).map_err(|e| {
            Error::invalid("GATEHOUSE_API_KEY", format!("cannot read the API key: {e}"))
        });
    }
    Err(Error::invalid(
        "GATEHOUSE_API_KEY",
        format!(
            "no API key for {url}: set GATEHOUSE_API_KEY (create a key on the server host with \
             `gatehouse keys create USER`)"
        ),
    ))
}

/// Reads a line from the terminal (the Mage login name).
fn prompt_line(prompt: &str) -> Result<String> {
    use std::io::Write;
    let mut err = std::io::stderr();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Error::invalid("--mage-user", format!("cannot read the login: {e}")))?;
    Ok(line.trim().to_string())
}

/// The Mage login: the user from --mage-user / $GATEHOUSE_MAGE_USER / the profile, the password
/// from the profile's `password_env`, else $GATEHOUSE_MAGE_PASSWORD; what is missing is asked
/// for on a terminal (the password without echo).
pub(crate) fn mage_login(url: &str, given: &MageLogin) -> Result<Login> {
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdin());
    let user = match given.user.clone().filter(|u| !u.trim().is_empty()) {
        Some(u) => u,
        None if terminal => prompt_line(&format!("Mage email or username for {url}: "))?,
        None => {
            return Err(Error::invalid(
                "--mage-user",
                format!(
                    "no Mage login for {url}: pass --mage-user EMAIL (or set GATEHOUSE_MAGE_USER,                      or `email = ...` in the profile)"
                ),
            ));
        }
    };
    let var = given
        .password_env
        .clone()
        .unwrap_or_else(|| "GATEHOUSE_MAGE_PASSWORD".to_string());
    let password = match std::env::var(&var) {
        Ok(p) if !p.is_empty() => p,
        _ if given.password_env.is_some() => {
            return Err(Error::invalid(
                "password_env",
                format!("the profile's password_env names {var}, which is not set; export it"),
            ));
        }
        _ if terminal => rpassword::prompt_password(format!("Mage password for {user}: "))
            .map_err(|e| {
                Error::invalid(
                    "GATEHOUSE_MAGE_PASSWORD",
                    format!("cannot read the password: {e}"),
                )
            })?,
        _ => {
            return Err(Error::invalid(
                "GATEHOUSE_MAGE_PASSWORD",
                format!("no Mage password for {user}: set GATEHOUSE_MAGE_PASSWORD"),
            ));
        }
    };
    Ok(Login { user, password })
}

/// `logout`: ends the session saved for the Mage server and login of `selection` (Mage then
/// refuses its token) and deletes the saved file. Needs no password.
pub(crate) async fn mage_logout(selection: &Selection, insecure_http: bool) -> Result<i32> {
    let BackendChoice::Mage(url) = &selection.choice else {
        return Err(Error::invalid(
            "logout",
            "logout is for a Mage server's saved session: pass --mage URL (or a profile with mage_url)",
        ));
    };
    let Some(user) = selection
        .mage_login
        .user
        .clone()
        .filter(|u| !u.trim().is_empty())
    else {
        return Err(Error::invalid(
            "--mage-user",
            "name the login to log out: --mage-user EMAIL (or GATEHOUSE_MAGE_USER, or the profile's email)",
        ));
    };
    let plain = crate::connect::PlainHttp::allowed_if(insecure_http);
    crate::connect::mage::check_plain_http(url, "--mage", plain)?;
    let login = Login {
        user,
        password: String::new(),
    };
    let client = crate::connect::mage::MageClient::new(url, login)?
        .with_token_cache(crate::connect::mage::TokenCache::default_location());
    let shown = crate::text::sanitize(client.url()).into_owned();
    let who = crate::text::sanitize(client.login_name()).into_owned();
    if client.logout().await? {
        println!("logged out of {shown} as {who}");
    } else {
        println!("no saved session for {who} at {shown}");
    }
    Ok(0)
}

/// Creates the store's directory and refuses a file that is not a gatehouse store.
fn prepare_store_path(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
        && !dir.exists()
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::Store(format!(
                "cannot create the store's directory '{}': {e}",
                dir.display()
            ))
        })?;
    }
    check_store_file(path)
}

/// Opens the way to the store file at `path`: when none is there, creates its directory if
/// `may_create` (`init`, the first bare `gatehouse` on the default path), else refuses with
/// [`Error::NoStore`] so that a mistyped `--db` never answers from a new, empty store.
pub(crate) fn existing_or_new_store(path: &Path, may_create: bool) -> Result<()> {
    let no_store = || Error::NoStore {
        path: crate::text::sanitize(&path.display().to_string()).into_owned(),
    };
    // `symlink_metadata` so a dangling link counts as something there (SQLite then says what).
    match std::fs::symlink_metadata(path) {
        // An empty file is no store either (`touch` made it, or a crash before the first write).
        Ok(m) if m.is_file() && m.len() == 0 && !may_create => return Err(no_store()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !may_create {
                return Err(no_store());
            }
        }
        Err(e) => {
            return Err(Error::Store(format!(
                "cannot reach the store '{}': {e}",
                crate::text::sanitize(&path.display().to_string())
            )));
        }
    }
    prepare_store_path(path)
}

/// Refuses a `--database-url` (or `$GATEHOUSE_DATABASE_URL`) that is not a PostgreSQL URL,
/// before anything connects: only `postgres://` and `postgresql://` are served. The message
/// names the scheme only, never the URL (it may hold a password).
pub(crate) fn check_database_url(url: &str) -> Result<()> {
    let scheme = url
        .trim()
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase());
    let why = match scheme.as_deref() {
        Some("postgres" | "postgresql") => return Ok(()),
        Some(s) => format!("'{}://' URLs are not supported", crate::text::sanitize(s)),
        None => "the URL has no scheme".to_string(),
    };
    Err(Error::invalid(
        "--database-url",
        format!(
            "{why}: only PostgreSQL is, as postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE \
             (or postgresql://…); for an SQLite store file use --db PATH"
        ),
    ))
}

/// Opens the PostgreSQL store at `url` (migrating it) as a local backend.
pub(crate) async fn open_postgres(
    url: &str,
    as_user: Option<&str>,
    read_only: bool,
) -> Result<LocalBackend> {
    check_database_url(url)?;
    LocalBackend::open_postgres(url, as_user, read_only).await
}

/// Opens the chosen backend. A store file is created only when `may_create` (see
/// [`existing_or_new_store`]).
pub async fn open_backend(
    selection: &Selection,
    global: &GlobalArgs,
    read_only: bool,
    reads: Reads,
    may_create: bool,
) -> Result<Opened> {
    match &selection.choice {
        BackendChoice::Local(path) => {
            existing_or_new_store(path, may_create)?;
            let b = LocalBackend::open(path, global.as_user.as_deref(), read_only).await?;
            Ok(Opened::Local(b, path.clone()))
        }
        BackendChoice::Postgres(url) => {
            let b = open_postgres(url, global.as_user.as_deref(), read_only).await?;
            let shown = b.info().location;
            Ok(Opened::Local(b, PathBuf::from(shown)))
        }
        BackendChoice::Remote(url) => {
            if global.as_user.is_some() {
                return Err(Error::invalid(
                    "--as",
                    "a server acts as the API key's user; --as is for a local store",
                ));
            }
            // Refused before a key is asked for: it would go in clear text.
            let plain = PlainHttp::allowed_if(global.insecure_http);
            HttpBackend::check_url(url, plain)?;
            let key = match &selection.api_key {
                Some(k) => k.clone(),
                None => remote_api_key(url)?,
            };
            Ok(Opened::Remote(
                HttpBackend::new_with(url, &key, plain)?.read_only(read_only),
            ))
        }
        BackendChoice::Mage(url) => {
            if global.as_user.is_some() {
                return Err(Error::invalid(
                    "--as",
                    "a Mage server acts as the logged-in user; use --mage-user to log in as another",
                ));
            }
            let plain = crate::connect::PlainHttp::allowed_if(global.insecure_http);
            crate::connect::mage::check_plain_http(url, "--mage", plain)?;
            let login = mage_login(url, &selection.mage_login)?;
            let m = MageBackend::new(url, login)?
                .token_cache(crate::connect::mage::TokenCache::default_location())
                .read_only(read_only);
            // `GATEHOUSE_MAGE_READ_ALL=1` reads every list whatever the command shows.
            let read_all = std::env::var("GATEHOUSE_MAGE_READ_ALL").is_ok_and(|v| v == "1");
            m.connect_and_read_for(if read_all { Reads::ALL } else { reads })
                .await?;
            Ok(Opened::Mage(m))
        }
    }
}
