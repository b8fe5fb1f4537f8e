//! The command-line interface (docs/PRODUCT.md §1.2): clap-derived arguments, dispatched to the
//! [`Backend`] trait — the only interface the CLI uses. Exit codes: 0 ok, 1 denied (`check`),
//! 2 usage, 3 not found, 4 conflict, 5 insufficient permissions, 6 backend unreachable,
//! 10 changes planned (`plan`).

#[macro_use]
mod stdout;

mod apply;
mod assertions;
mod audit;
mod check;
mod check_call;
mod decide;
mod ends;
mod errors;
mod examples;
mod expire;
mod grants;
mod import_file;
mod import_mage;
mod keys;
mod logging;
mod man;
mod misc;
mod output;
mod perm_page;
mod perm_row;
mod permissions;
mod plan;
mod refs;
mod role_links;
mod roles;
mod select;
mod serve;
mod tally;
mod teams;
mod test_file;
mod user_rows;
mod users;
mod what_if;

use crate::backend::Backend;
use crate::backend::{Error, Reads, Result};
use crate::text::sanitize;
use clap::{Args, Parser, Subcommand};
use output::Format;
pub use select::{BackendChoice, Opened, Selection, open_backend, select_backend};
use std::ffi::OsString;
use std::path::PathBuf;

/// `gatehouse`: roles, permissions, users and teams, from the command line.
#[derive(Debug, Parser)]
#[command(
    name = "gatehouse",
    version = env!("GATEHOUSE_VERSION"),
    about,
    propagate_version = true,
    after_help = examples::MAIN
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do (none: open the console).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes (shown under their own heading in every command's help).
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The store file (default: $XDG_DATA_HOME/gatehouse/gatehouse.db).
    #[arg(long, global = true, env = "GATEHOUSE_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Use a PostgreSQL database instead of a store file
    /// (postgres://user[:password]@host[:port]/database[?options[search_path]=SCHEMA]); the
    /// schema is created and migrated on first use. Several `serve` replicas can share it.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_DATABASE_URL",
        value_name = "URL",
        conflicts_with = "db"
    )]
    pub database_url: Option<String>,
    /// Work against a `gatehouse serve` server instead of a store file (the API key comes from
    /// $GATEHOUSE_API_KEY, or is asked for on a terminal). Overrides --db.
    #[arg(long, global = true, value_name = "URL")]
    pub remote: Option<String>,
    /// Manage a Mage server through its REST API (e.g. http://127.0.0.1:6789). The login
    /// comes from --mage-user and $GATEHOUSE_MAGE_PASSWORD (or a profile), else it is asked
    /// for on a terminal. Overrides --db.
    #[arg(long, global = true, value_name = "URL", conflicts_with = "remote")]
    pub mage: Option<String>,
    /// The Mage email or username to log in as (with --mage).
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_MAGE_USER",
        value_name = "EMAIL|USERNAME"
    )]
    pub mage_user: Option<String>,
    /// Use this profile of the config file (default: its `default_profile`). --db, --remote
    /// and --mage override the profile's target.
    #[arg(long, global = true, env = "GATEHOUSE_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// Act as this user (default: the store's first owner).
    #[arg(long = "as", global = true, value_name = "USER")]
    pub as_user: Option<String>,
    /// Refuse every write.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Send the API key (--remote or a profile's URL), or a Mage login's password and token
    /// (--mage, --from-mage), over plain http:// to a host that is not loopback. Without it
    /// such a URL is refused: use https://.
    #[arg(long, global = true)]
    pub insecure_http: bool,
    /// Output format: table or json.
    #[arg(
        long,
        short = 'o',
        global = true,
        value_name = "FORMAT",
        default_value = "table"
    )]
    pub output: String,
    /// Log more: -v info, -vv debug, -vvv everything (RUST_LOG, when set, decides instead).
    /// Logs go to stderr, or to --log-file; the console never logs to its screen.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Append the logs to this file (created with mode 0600) instead of stderr. The console
    /// logs here, or with -v and no file to $XDG_STATE_HOME/gatehouse/gatehouse.log.
    #[arg(long, global = true, env = "GATEHOUSE_LOG_FILE", value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the console (a summary when stdout is not a terminal).
    Tui,
    /// Shell completions, printed to stdout: `gatehouse completions bash >
    /// ~/.local/share/bash-completion/completions/gatehouse` (zsh: a file `_gatehouse` on
    /// `$fpath`; fish: `~/.config/fish/completions/gatehouse.fish`).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Manual pages (roff), printed to stdout or written one per command with --dir:
    /// `gatehouse man | man -l -`, `gatehouse man --dir ~/.local/share/man/man1`.
    Man {
        /// Write gatehouse.1 and one page per command (gatehouse-roles.1, …) into DIR.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Create the store and its first owner, once (the only command that creates a store
    /// besides the first bare `gatehouse` on the default path).
    #[command(after_help = examples::INIT)]
    Init {
        /// Username of the first owner (default: $USER, or `admin`).
        #[arg(long, value_name = "USERNAME")]
        admin: Option<String>,
    },
    /// Where the store is, its revision, who you act as and what it holds.
    Status,
    /// The entity catalogs; with NAME, its entities and access flags.
    Catalogs {
        /// A catalog name (`mage`, `okdata`, …).
        name: Option<String>,
    },
    /// Presets: "create default roles and permissions".
    #[command(subcommand, after_help = examples::DEFAULTS)]
    Defaults(misc::DefaultsCmd),
    /// Roles.
    #[command(subcommand, after_help = examples::ROLES)]
    Roles(roles::RolesCmd),
    /// Users.
    #[command(subcommand, after_help = examples::USERS)]
    Users(users::UsersCmd),
    /// Teams.
    #[command(subcommand, after_help = examples::TEAMS)]
    Teams(teams::TeamsCmd),
    /// Permissions (okdata-compatible `ls RESOURCE`, `add`, `rm`).
    #[command(subcommand, visible_alias = "perms", after_help = examples::PERMISSIONS)]
    Permissions(permissions::PermissionsCmd),
    /// May USER do ACTION on ENTITY[/UUID]? Exit 0 allow, 1 deny.
    #[command(after_help = examples::CHECK)]
    Check(check::CheckArgs),
    /// Check a file of expected decisions (`alice may UPDATE Pipeline/x`, `bob may not DELETE
    /// Secret`) against the store, or a policy document with --policy. Exit 0 all hold, 1
    /// some fail, 2 a malformed file.
    Test(test_file::TestArgs),
    /// Every user allowed to do ACTION on ENTITY[/UUID], with the path.
    #[command(after_help = examples::WHO_CAN)]
    WhoCan(check::WhoCanArgs),
    /// Everything USER can do, with the path of each permission.
    #[command(after_help = examples::WHAT_CAN)]
    WhatCan {
        /// Username or id.
        user: String,
    },
    /// Move or clear when a relation ends (a user's or a team's role, a membership, a direct
    /// grant), or list those that end: `gatehouse expire user-role alice Editor --for 8h`,
    /// `gatehouse expire member ops alice --never`, `gatehouse expire ls`.
    #[command(subcommand, after_help = examples::EXPIRE)]
    Expire(expire::ExpireCmd),
    /// Remove every relation whose end has passed (each an `expire` event in the audit log).
    /// Such a relation already gives no access; this only tidies the store.
    PruneExpired,
    /// The audit log, newest first.
    #[command(after_help = examples::AUDIT)]
    Audit(audit::AuditArgs),
    /// With --mage: end the saved Mage session (the server drops its token) and forget it.
    Logout,
    /// Write the whole policy to stdout.
    #[command(after_help = examples::EXPORT)]
    Export {
        /// toml or json (default: json with `-o json`, else toml; an explicit --format wins).
        #[arg(long)]
        format: Option<String>,
    },
    /// Read a policy document (idempotent: what exists is left as it is), or copy a Mage
    /// server's roles, permissions and user-role links with --from-mage URL.
    #[command(after_help = examples::IMPORT)]
    Import {
        /// The file (`-` for stdin).
        #[arg(required_unless_present = "from_mage", conflicts_with = "from_mage")]
        file: Option<PathBuf>,
        /// Copy from this Mage server (login: --mage-user, $GATEHOUSE_MAGE_PASSWORD). Shows
        /// the dry run first, then asks (or needs --yes when not on a terminal).
        #[arg(long, value_name = "URL")]
        from_mage: Option<String>,
        /// With --from-mage, or a FILE into a Mage server (--mage): apply without asking.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Into a Mage server: the environment variable holding the initial password of the
        /// users the import creates (documents carry no passwords; Mage needs one of 8
        /// characters or more). Without it, a document with users to create is refused.
        #[arg(long, value_name = "VAR", conflicts_with = "from_mage")]
        user_password_env: Option<String>,
        /// Show what would change, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// toml or json (default: from the file's extension).
        #[arg(long)]
        format: Option<String>,
        /// Refuse a file larger than this (bytes, or with a KiB/MiB/GiB suffix), without
        /// reading it whole.
        #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = import_file::parse_size)]
        max_size: u64,
    },
    /// What a policy document would change, and what that does to access; nothing is
    /// written. Exit 0 nothing to do, 10 changes planned.
    Plan(plan::PlanArgs),
    /// Apply exactly the plan `plan FILE` shows (asks unless --yes; refuses if the backend
    /// moved since, unless --force). Exit 0 applied or nothing to do.
    Apply(apply::ApplyArgs),
    /// API keys.
    #[command(subcommand, after_help = examples::KEYS)]
    Keys(keys::KeysCmd),
    /// Serve the store over HTTP (JSON under /api/v1; API keys required unless --no-auth).
    #[command(after_help = examples::SERVE)]
    Serve(serve::ServeArgs),
}

/// What a command handler has to work with.
pub struct Ctx {
    /// The backend.
    pub backend: Box<dyn Backend>,
    /// Table or JSON.
    pub format: Format,
    /// The store file, or the server URL with `--remote`.
    pub path: PathBuf,
}

impl Ctx {
    /// True with `--output json`.
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }
}

/// Parses the process arguments, runs the command and returns the exit code.
pub async fn run() -> i32 {
    run_from(std::env::args_os()).await
}

/// Like [`run`] with explicit arguments (the first is the program name).
pub async fn run_from<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<T> = args.into_iter().collect();
    // Read before clap, so that a usage error can be JSON too.
    let json = errors::wants_json(&args);
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => return errors::print_clap(&e, json),
    };
    let json = Format::parse(&cli.global.output).is_ok_and(|f| f == Format::Json);
    match execute(cli).await {
        Ok(code) => {
            stdout::flush();
            code
        }
        Err(e) => {
            report(&e, json);
            e.exit_code()
        }
    }
}

/// Prints an error on stderr with any URL's password masked: one `error:` line, or with
/// `json` the document `{"error": {"code", "message", "field"}}` (docs/json.md).
pub fn report(e: &Error, json: bool) {
    errors::print(e, json);
}

/// The console's keymap: the defaults with the config file's `[keys]` applied, or the
/// message that says what is wrong with the file (exit code 2).
fn load_keymap() -> std::result::Result<crate::tui::keys::Keymap, String> {
    let config = crate::config::load().map_err(|e| e.to_string())?;
    crate::tui::keys::Keymap::from_config(&config.keys).map_err(|e| e.to_string())
}

/// The default admin username: `$USER`, or `admin`.
fn default_admin() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| crate::backend::validate::name("admin username", u).is_ok())
        .unwrap_or_else(|| "admin".to_string())
}

async fn execute(mut cli: Cli) -> Result<i32> {
    let format = Format::parse(&cli.global.output)?;
    let console = matches!(cli.command, None | Some(Command::Tui)) && misc::opens_console(format);
    logging::init(&logging::LogOptions {
        verbose: cli.global.verbose,
        file: cli.global.log_file.clone(),
        console,
        default_level: if matches!(cli.command, Some(Command::Serve(_))) {
            "info"
        } else {
            "warn"
        },
        // `serve --log-format json`: the server's log as one JSON object a line.
        json: matches!(&cli.command, Some(Command::Serve(a)) if a.log_format == serve::LogFormatArg::Json),
    })?;
    // `keys create USER --read-only` asks for a read-only key, not a read-only session.
    let mut session_read_only = cli.global.read_only;
    if let Some(Command::Keys(keys::KeysCmd::Create { read_only, .. })) = &mut cli.command {
        *read_only = session_read_only;
        session_read_only = false;
    }
    // The console's keys come from the config file: refuse a broken one before the store
    // is opened and before the terminal is touched.
    if console {
        match load_keymap() {
            Ok(map) => crate::tui::keys::install(map),
            Err(msg) => {
                eprintln!("error: {}", sanitize(msg.trim_end()));
                return Ok(2);
            }
        }
    }
    if let Some(Command::Serve(args)) = &cli.command {
        return serve::serve(&cli.global, args, default_admin()).await;
    }
    if let Some(Command::Man { dir }) = &cli.command {
        return man::run(dir.as_deref());
    }
    if let Some(Command::Completions { shell }) = &cli.command {
        // Needs no store: the completions are the command line's own shape.
        let mut cmd = <Cli as clap::CommandFactory>::command();
        let mut out = Vec::new();
        clap_complete::generate(*shell, &mut cmd, "gatehouse", &mut out);
        let text = String::from_utf8_lossy(&out);
        out!("{text}");
        return Ok(0);
    }
    if let Some(Command::Test(args)) = &mut cli.command {
        // `test -v` lists the assertions that hold, as it always did.
        args.all |= cli.global.verbose > 0;
        if !test_file::prepare(args, format == output::Format::Json)? {
            return Ok(2);
        }
        if let Some(doc) = args.policy.clone() {
            return test_file::run_on_policy(args, &doc, format).await;
        }
    }
    // Mage's password and session token never go in clear text to another host unasked.
    if let Some(Command::Import {
        from_mage: Some(url),
        ..
    }) = &cli.command
    {
        let plain = crate::connect::PlainHttp::allowed_if(cli.global.insecure_http);
        crate::connect::mage::check_plain_http(url, "--from-mage", plain)?;
    }
    let selection = select_backend(&cli.global)?;
    if let Some(Command::Logout) = &cli.command {
        return select::mage_logout(&selection, cli.global.insecure_http).await;
    }
    let session_read_only = session_read_only || selection.read_only;
    let reads = reads_for(cli.command.as_ref());
    let may_create = may_create_store(cli.command.as_ref(), &selection)?;
    let opened = open_backend(
        &selection,
        &cli.global,
        session_read_only,
        reads,
        may_create,
    )
    .await?;
    tracing::debug!(backend = %opened.location().display(), "opened the backend");
    match (cli.command.as_ref(), opened) {
        (None | Some(Command::Tui), opened) => {
            misc::console_summary(opened, format, default_admin()).await
        }
        (Some(Command::Init { admin }), Opened::Local(mut local, path)) => {
            let admin = admin.clone().unwrap_or_else(default_admin);
            misc::init(&mut local, &path, format, &admin).await
        }
        (_, opened) => run_command(cli.command, opened, format, cli.global.mage_user.clone()).await,
    }
}

/// Whether `command` may create a missing store file: `init` always, the console (bare
/// `gatehouse`) only on the default path; any other command on a missing store exits 3.
fn may_create_store(command: Option<&Command>, selection: &Selection) -> Result<bool> {
    Ok(match command {
        Some(Command::Init { .. }) => true,
        None | Some(Command::Tui) => match &selection.choice {
            BackendChoice::Local(path) => *path == crate::connect::default_db_path()?,
            _ => false,
        },
        Some(_) => false,
    })
}

/// What `command` reads first (a Mage server is read while connecting; only these lists).
fn reads_for(command: Option<&Command>) -> Reads {
    match command {
        Some(Command::Users(c)) => users::reads(c),
        Some(Command::Permissions(c)) => permissions::reads(c),
        _ => Reads::ALL,
    }
}

async fn run_command(
    command: Option<Command>,
    opened: Opened,
    format: Format,
    mage_user: Option<String>,
) -> Result<i32> {
    let path = opened.location();
    let ctx = Ctx {
        backend: opened.into_backend(),
        format,
        path,
    };
    let Some(command) = command else {
        return Ok(0);
    };
    match command {
        Command::Tui
        | Command::Serve(_)
        | Command::Logout
        | Command::Completions { .. }
        | Command::Man { .. } => Ok(0),
        Command::Init { admin } => ctx
            .backend
            .init(admin.as_deref().unwrap_or("admin"))
            .await
            .map(|_| 0),
        Command::Status => misc::status(&ctx).await,
        Command::Catalogs { name } => misc::catalogs(&ctx, name.as_deref()).await,
        Command::Defaults(c) => misc::defaults(&ctx, c).await,
        Command::Roles(c) => roles::run(&ctx, c).await,
        Command::Users(c) => users::run(&ctx, c).await,
        Command::Teams(c) => teams::run(&ctx, c).await,
        Command::Permissions(c) => permissions::run(&ctx, c).await,
        Command::Check(a) => check::check(&ctx, a).await,
        Command::Test(mut a) => test_file::run(&ctx, &mut a).await,
        Command::WhoCan(a) => check::who_can(&ctx, a).await,
        Command::WhatCan { user } => check::what_can(&ctx, &user).await,
        Command::Expire(c) => expire::run(&ctx, c).await,
        Command::PruneExpired => expire::prune(&ctx).await,
        Command::Audit(a) => audit::audit(&ctx, a).await,
        Command::Export { format: doc } => {
            let default = if ctx.json() { "json" } else { "toml" };
            misc::export(&ctx, doc.as_deref().unwrap_or(default)).await
        }
        Command::Import {
            file,
            from_mage,
            yes,
            dry_run,
            format,
            max_size,
            user_password_env,
        } => match (file, from_mage) {
            (_, Some(url)) => {
                import_mage::import_from_mage(&ctx, &url, mage_user, dry_run, yes).await
            }
            (Some(file), None) => {
                let args = import_file::ImportArgs {
                    dry_run,
                    yes,
                    format: format.as_deref(),
                    max_size,
                    user_password_env: user_password_env.as_deref(),
                };
                import_file::import(&ctx, &file, args).await
            }
            (None, None) => Err(crate::backend::Error::invalid(
                "import",
                "name a policy file, or --from-mage URL",
            )),
        },
        Command::Plan(a) => plan::run(&ctx, &a).await,
        Command::Apply(a) => apply::run(&ctx, &a).await,
        Command::Keys(c) => keys::keys(&ctx, c).await,
    }
}

impl Ctx {
    /// Reports a write: `<what> <detail> (revision N)`, or JSON.
    pub fn done(&self, what: &str, detail: &str, revision: u64) {
        if self.json() {
            let v =
                serde_json::json!({ "message": format!("{what} {detail}"), "revision": revision });
            outln!("{v}");
        } else {
            outln!("{what} {} (revision {revision})", sanitize(detail));
        }
    }
}
