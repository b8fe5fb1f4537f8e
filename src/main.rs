//! The `gatehouse` binary: the console, the CLI and the server.
#![forbid(unsafe_code)]

/// Exit status of a process ended by SIGPIPE, as a shell reports it (128 + 13).
const SIGPIPE_STATUS: i32 = 141;

fn main() {
    // `gatehouse roles ls | head`: when the reader goes away, stop quietly as C tools do,
    // instead of printing a panic about a broken pipe.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(SIGPIPE_STATUS);
        }
        previous(info);
    }));
    let code = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(gatehouse::cli::run()),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            6
        }
    };
    std::process::exit(code);
}
