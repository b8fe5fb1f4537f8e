//! The `gatehouse` binary: the CLI (and, later, the console and the server).
#![forbid(unsafe_code)]

fn main() {
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
