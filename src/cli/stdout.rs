//! Everything the CLI prints on standard output goes through [`outln!`] / [`out!`], which
//! write to the locked stdout and look at the error's kind when a write fails: a reader that
//! went away (`gatehouse roles ls | head -1`, `io::ErrorKind::BrokenPipe`) ends the process
//! quietly with status 141, as a process killed by SIGPIPE; any other failure (a full disk
//! behind a redirect) is said on stderr with status 6. No panic, and nothing decided from the
//! text of a message.

use std::io::{self, Write};

/// Exit status of a process ended by SIGPIPE, as a shell reports it (128 + 13).
pub const SIGPIPE_STATUS: i32 = 141;

/// Writes `args` (and a newline when `newline`) to standard output, or ends the process.
pub fn write(args: std::fmt::Arguments<'_>, newline: bool) {
    let mut out = io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| {
        if newline {
            out.write_all(b"\n")
        } else {
            Ok(())
        }
    });
    if let Err(e) = written {
        failed(&e);
    }
}

/// Writes `v` as pretty JSON and a newline through a buffer on the locked standard output; a
/// failed write ends the process as [`write`] does. Returns the error of a value that cannot
/// be serialized.
pub fn write_json<T: serde::Serialize + ?Sized>(v: &T) -> Result<(), serde_json::Error> {
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    if let Err(e) = serde_json::to_writer_pretty(&mut out, v) {
        if let Some(kind) = e.io_error_kind() {
            failed(&io::Error::from(kind));
        }
        return Err(e);
    }
    if let Err(e) = out.write_all(b"\n").and_then(|()| out.flush()) {
        failed(&e);
    }
    Ok(())
}

/// Flushes standard output at the end of a command, or ends the process.
pub fn flush() {
    if let Err(e) = io::stdout().lock().flush() {
        failed(&e);
    }
}

fn failed(e: &io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(SIGPIPE_STATUS);
    }
    eprintln!("error: cannot write to standard output: {e}");
    std::process::exit(6);
}

/// `println!` for the CLI's standard output (see the module).
macro_rules! outln {
    () => {
        $crate::cli::stdout::write(format_args!(""), true)
    };
    ($($arg:tt)*) => {
        $crate::cli::stdout::write(format_args!($($arg)*), true)
    };
}

/// `print!` for the CLI's standard output (see the module).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::stdout::write(format_args!($($arg)*), false)
    };
}
