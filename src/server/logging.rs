//! The server's log: stderr, `text` (colour only on a terminal without `NO_COLOR`) or `json`
//! (one object a line: `timestamp`, `level`, `target`, the event's fields flattened beside
//! `message`, and `span` with the request's `request_id`, `method` and `route`). `RUST_LOG`
//! overrides the default level (`info`: start, stop, changes picked up from other processes,
//! every 401 and 403, errors; `debug`: one access line per request, target `gatehouse::access`).

/// How the server writes its log (`serve --log-format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (`key=value` fields).
    #[default]
    Text,
    /// One JSON object a line, for log shippers.
    Json,
}

/// Installs the process's subscriber (once: a second call, or one in a process that already
/// has one, changes nothing).
pub(crate) fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => {
            let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            builder.with_ansi(colour).try_init()
        }
        LogFormat::Json => builder
            .with_ansi(false)
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}
