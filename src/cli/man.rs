//! `gatehouse man`: the manual pages, rendered from the command line's own definition
//! (clap_mangen), so they never drift from `--help`. Needs no store.

use super::Cli;
use crate::backend::{Error, Result};
use std::path::Path;

/// Prints `gatehouse.1` to stdout, or with `dir` writes it and one page per command
/// (`gatehouse-roles.1`, `gatehouse-roles-ls.1`, …) there.
pub fn run(dir: Option<&Path>) -> Result<i32> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let Some(dir) = dir else {
        let mut out = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut out)
            .map_err(|e| Error::Store(format!("cannot render the manual page: {e}")))?;
        out!("{}", String::from_utf8_lossy(&out));
        return Ok(0);
    };
    let fail = |e: std::io::Error| {
        Error::invalid(
            "--dir",
            format!("cannot write manual pages to '{}': {e}", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    clap_mangen::generate_to(cmd, dir).map_err(fail)?;
    let pages = std::fs::read_dir(dir)
        .map_err(fail)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".1"))
        .count();
    outln!(
        "wrote {pages} manual pages to {} (read one with `man -l {}/gatehouse.1`, or add the \
         folder's parent to MANPATH)",
        crate::text::sanitize(&dir.display().to_string()),
        crate::text::sanitize(&dir.display().to_string())
    );
    Ok(0)
}
