//! How the CLI says an error on stderr: one `error: …` line, or with `-o json` one JSON
//! document `{"error": {"code", "message", "field"}}` (docs/json.md). The code is the typed
//! kind's ([`Error::code`], the same names as the server's wire form), never read from the
//! message; a command-line usage error under `-o json` has the code `usage`.

use crate::backend::Error;
use crate::text::sanitize;
use serde::Serialize;
use std::ffi::OsString;

/// The code of a command-line usage error (clap's), exit status 2.
pub const USAGE: &str = "usage";

#[derive(Serialize)]
struct ErrorJson<'a> {
    error: ErrorFields<'a>,
}

#[derive(Serialize)]
struct ErrorFields<'a> {
    code: &'a str,
    message: &'a str,
    field: Option<&'a str>,
}

/// The message shown: trimmed, any URL's password masked.
fn message(e: &Error) -> String {
    crate::text::redact_url_passwords(e.to_string().trim_end()).into_owned()
}

/// The JSON document of an error (one line).
pub fn json_of(code: &str, message: &str, field: Option<&str>) -> String {
    let doc = ErrorJson {
        error: ErrorFields {
            code,
            message,
            field,
        },
    };
    serde_json::to_string(&doc)
        .unwrap_or_else(|_| format!(r#"{{"error":{{"code":"{code}","message":"","field":null}}}}"#))
}

/// Prints `e` on stderr: JSON with `json`, else one sanitized `error:` line.
pub fn print(e: &Error, json: bool) {
    let msg = message(e);
    if json {
        let field = match e {
            Error::Invalid { field, .. } => Some(field.as_str()),
            _ => None,
        };
        eprintln!("{}", json_of(e.code(), &msg, field));
    } else {
        eprintln!("error: {}", sanitize(&msg));
    }
}

/// Prints a clap error: as clap does, or under `-o json` (help and version aside) as a
/// `usage` error naming the argument at fault. Returns the exit status.
pub fn print_clap(e: &clap::Error, json: bool) -> i32 {
    let code = e.exit_code();
    if !json || code == 0 {
        let _ = e.print();
        return code;
    }
    let text = e.render().to_string();
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid command line");
    let line = line.strip_prefix("error: ").unwrap_or(line);
    let field = e
        .get(clap::error::ContextKind::InvalidArg)
        .map(|v| v.to_string());
    eprintln!("{}", json_of(USAGE, line, field.as_deref()));
    code
}

/// Whether the raw arguments ask for JSON output (`-o json`, `-ojson`, `--output json`,
/// `--output=json`), read before clap so that its own errors can be JSON too. Arguments after
/// `--` are values, not options.
pub fn wants_json<T: Into<OsString> + Clone>(args: &[T]) -> bool {
    let args: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.clone().into().to_string_lossy().into_owned())
        .collect();
    let mut json = false;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "--" {
            break;
        }
        let value = match a {
            "-o" | "--output" => {
                i += 1;
                args.get(i).map(String::as_str)
            }
            _ => a
                .strip_prefix("--output=")
                .or_else(|| a.strip_prefix("-o="))
                .or_else(|| a.strip_prefix("-o").filter(|v| !v.is_empty())),
        };
        if let Some(v) = value {
            json = v.eq_ignore_ascii_case("json");
        }
        i += 1;
    }
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_output_is_seen_in_every_spelling_and_the_last_wins() {
        let yes = |v: &[&str]| wants_json(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(yes(&["g", "-o", "json", "roles", "ls"]));
        assert!(yes(&["g", "roles", "ls", "-ojson"]));
        assert!(yes(&["g", "--output=JSON", "roles"]));
        assert!(yes(&["g", "--output", "json"]));
        assert!(!yes(&["g", "roles", "ls"]));
        assert!(!yes(&["g", "-o", "json", "-o", "table"]));
        assert!(!yes(&["g", "check", "--", "-o", "json"]));
    }

    #[test]
    fn an_error_document_has_code_message_and_field() {
        let e = Error::invalid("--since", "bad");
        let v: serde_json::Value =
            serde_json::from_str(&json_of(e.code(), "m", Some("--since"))).unwrap_or_default();
        assert_eq!(v["error"]["code"], "invalid");
        assert_eq!(v["error"]["field"], "--since");
        let v: serde_json::Value =
            serde_json::from_str(&json_of("not_found", "m", None)).unwrap_or_default();
        assert!(v["error"]["field"].is_null());
    }
}
