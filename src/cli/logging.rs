//! Where the CLI, the console and the server log: `-v`/`--verbose` (repeated: more), `RUST_LOG`
//! (overrides the level), `--log-file PATH` (appended to, created with mode 0600). A command
//! logs to stderr; the console never logs to the screen it draws — to `--log-file`, or with
//! `-v`/`RUST_LOG` and no file to the default log file, else nowhere.

use crate::backend::{Error, Result};
use std::path::{Path, PathBuf};
use tracing_subscriber::{EnvFilter, fmt};

/// How logging was asked for.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// How many `-v`.
    pub verbose: u8,
    /// `--log-file`.
    pub file: Option<PathBuf>,
    /// The console draws on the terminal: stderr is not a place for logs.
    pub console: bool,
    /// The level when neither `-v` nor `RUST_LOG` says (`warn`; `info` for `serve`).
    pub default_level: &'static str,
    /// One JSON object per line instead of text.
    pub json: bool,
}

/// The level of `-v` counts: none → the default, 1 → info, 2 → debug, 3 or more → trace (the
/// crates gatehouse uses stay at info below `-vvv`).
fn filter(options: &LogOptions, rust_log: Option<&str>) -> Result<EnvFilter> {
    if let Some(spec) = rust_log.filter(|s| !s.trim().is_empty()) {
        return EnvFilter::try_new(spec)
            .map_err(|e| Error::invalid("RUST_LOG", format!("'{spec}' is not a filter: {e}")));
    }
    let spec = match options.verbose {
        0 => options.default_level.to_string(),
        1 => "info".to_string(),
        2 => "info,gatehouse=debug".to_string(),
        _ => "trace".to_string(),
    };
    EnvFilter::try_new(&spec).map_err(|e| Error::Store(format!("log filter '{spec}': {e}")))
}

/// The console's log file when none is given: `$XDG_STATE_HOME/gatehouse/gatehouse.log`
/// (`~/.local/state/…`), else beside the data.
pub fn default_log_file() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("gatehouse").join("gatehouse.log"))
}

/// Opens `path` for appending (its folder created; a new file readable by its owner only).
fn open_log(path: &Path) -> Result<std::fs::File> {
    let fail = |e: std::io::Error| {
        Error::invalid(
            "--log-file",
            format!("cannot open '{}' for logging: {e}", path.display()),
        )
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut open = std::fs::OpenOptions::new();
    open.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    open.open(path).map_err(fail)
}

/// Where the logs go for `options`: a file, stderr, or nowhere (`None`).
fn destination(options: &LogOptions, rust_log_set: bool) -> Option<PathBuf> {
    match (&options.file, options.console) {
        (Some(f), _) => Some(f.clone()),
        (None, true) if options.verbose > 0 || rust_log_set => default_log_file(),
        (None, _) => None,
    }
}

/// One JSON object a line (`serve --log-format json`): `timestamp`, `level`, `target`, the
/// event's fields beside `message`, and `span` with the request's `request_id`, `method` and
/// `route` (docs/OPERATING.md).
fn json_lines<W>(
    b: fmt::SubscriberBuilder<fmt::format::DefaultFields, fmt::format::Format, EnvFilter, W>,
) -> fmt::SubscriberBuilder<
    fmt::format::JsonFields,
    fmt::format::Format<fmt::format::Json>,
    EnvFilter,
    W,
> {
    b.json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
}

/// Installs the process's log subscriber. Called once, before anything logs; a second call
/// changes nothing.
pub fn init(options: &LogOptions) -> Result<()> {
    let rust_log = std::env::var("RUST_LOG").ok();
    let rust_log_set = rust_log.as_deref().is_some_and(|s| !s.trim().is_empty());
    let filter = filter(options, rust_log.as_deref())?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match destination(options, rust_log_set) {
        Some(path) => {
            let file = std::sync::Mutex::new(open_log(&path)?);
            let b = builder.with_writer(file).with_ansi(false);
            let _ = if options.json {
                json_lines(b).try_init()
            } else {
                b.try_init()
            };
        }
        None if options.console => {}
        None => {
            let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let b = builder
                .with_writer(std::io::stderr)
                .with_ansi(colour && !options.json);
            let _ = if options.json {
                json_lines(b).try_init()
            } else {
                b.try_init()
            };
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(verbose: u8, console: bool, file: Option<&str>) -> LogOptions {
        LogOptions {
            verbose,
            file: file.map(PathBuf::from),
            console,
            default_level: "warn",
            json: false,
        }
    }

    #[test]
    fn verbosity_raises_the_level_and_rust_log_overrides_it() {
        let f = |v, env| filter(&opts(v, false, None), env).unwrap().to_string();
        assert_eq!(f(0, None), "warn");
        assert_eq!(f(1, None), "info");
        assert!(f(2, None).contains("gatehouse=debug"), "{}", f(2, None));
        assert_eq!(f(3, None), "trace");
        assert_eq!(f(0, Some("gatehouse=trace")), "gatehouse=trace");
        assert_eq!(f(2, Some("  ")), f(2, None));
        assert!(matches!(
            filter(&opts(0, false, None), Some("gatehouse=loud")),
            Err(Error::Invalid { field, .. }) if field == "RUST_LOG"
        ));
    }

    #[test]
    fn the_console_never_logs_to_the_screen() {
        // A command without a file logs to stderr (None = stderr here).
        assert_eq!(destination(&opts(2, false, None), false), None);
        // The console: to the file given, else to the default file when asked to log, else
        // nowhere — never stderr.
        assert_eq!(
            destination(&opts(0, true, Some("/tmp/x.log")), false),
            Some(PathBuf::from("/tmp/x.log"))
        );
        assert_eq!(destination(&opts(1, true, None), false), default_log_file());
        assert_eq!(destination(&opts(0, true, None), true), default_log_file());
        assert_eq!(destination(&opts(0, true, None), false), None);
    }
}
