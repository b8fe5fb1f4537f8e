//! The `gatehouse` binary: the console, the CLI and the server.
#![forbid(unsafe_code)]

fn main() {
    // Standard output is written through `cli::stdout`, which ends the process quietly with
    // status 141 when the reader goes away (`gatehouse roles ls | head -1`).
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
