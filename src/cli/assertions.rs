//! Assertion files for `gatehouse test`: one expected decision a line,
//!
//! ```text
//! # comment
//! alice may UPDATE Pipeline/x
//! bob may not DELETE mage:Secret
//! carol may read okdata:dataset:ds1 --owner dave
//! ```
//!
//! `USER may [not] ACTION TARGET [OPTIONS]`: TARGET is what `gatehouse check` takes (`Entity`,
//! `Entity/uuid`, `catalog:Entity[/uuid]`, okdata `ns:type:id`) and OPTIONS are check's
//! `--catalog`, `--owner`, `--team`, `--read`, `--write`, `--query`, `--operation-only`,
//! `--payload` and `--query-keys`. Words are separated by spaces; a word with spaces (or one
//! starting with `#` or `"`, or the action `not`) is written in double quotes, with `\"` and
//! `\\` inside. `#` at the start of a word starts a comment; blank lines are skipped.

use super::decide::{CheckOptions, RequestContext};
use clap::Parser;
use std::fmt;

/// One expected decision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assertion {
    /// Username or id.
    pub user: String,
    /// True for `may`, false for `may not`.
    pub allowed: bool,
    /// A flag of the entity's catalog.
    pub action: String,
    /// What `check` takes as its entity.
    pub target: String,
    /// `--catalog`, `--owner`, `--team`.
    pub context: RequestContext,
    /// `--read`, `--write`, `--query`, `--operation-only`, `--payload`, `--query-keys`.
    pub options: CheckOptions,
}

/// Where a file is malformed: 1-based line and column (in characters), and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// The options a line may end with: those of `check` but `--explain`.
#[derive(Debug, Parser)]
#[command(
    name = "assertion",
    no_binary_name = true,
    disable_help_flag = true,
    disable_version_flag = true
)]
struct LineOptions {
    #[command(flatten)]
    context: RequestContext,
    #[command(flatten)]
    options: CheckOptions,
}

/// A word of a line and the column it starts at.
#[derive(Debug)]
struct Word {
    text: String,
    column: usize,
    /// The column just after the word.
    end: usize,
    quoted: bool,
}

/// Parses a whole file: the assertions with their line numbers, or every syntax error.
pub fn parse(text: &str) -> Result<Vec<(usize, Assertion)>, Vec<SyntaxError>> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        match parse_line(line) {
            Ok(Some(a)) => found.push((n, a)),
            Ok(None) => {}
            Err((column, message)) => errors.push(SyntaxError {
                line: n,
                column,
                message,
            }),
        }
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(errors)
    }
}

/// One line: an assertion, nothing (blank or comment), or the column and message of an error.
pub fn parse_line(line: &str) -> Result<Option<Assertion>, (usize, String)> {
    let words = split(line)?;
    // "Expected more" points just after the last word (before any comment).
    let end = words.last().map_or(1, |w| w.end);
    let mut it = words.into_iter().peekable();
    let Some(user) = it.next() else {
        return Ok(None);
    };
    let keyword = |w: &Word, k: &str| !w.quoted && w.text.eq_ignore_ascii_case(k);
    match it.next() {
        Some(w) if keyword(&w, "may") => {}
        Some(w) => {
            return Err((
                w.column,
                format!(
                    "expected 'may' or 'may not' after the user, found '{}'",
                    w.text
                ),
            ));
        }
        None => return Err((end, "expected 'may' or 'may not' after the user".into())),
    }
    let negated = it.next_if(|w| keyword(w, "not")).is_some();
    let Some(action) = it.next() else {
        return Err((
            end,
            "expected an action (a flag of the entity's catalog: LIST, UPDATE, read, …)".into(),
        ));
    };
    let Some(target) = it.next() else {
        return Err((
            end,
            "expected a target: Entity, Entity/uuid, catalog:Entity[/uuid] or ns:type:id".into(),
        ));
    };
    let rest: Vec<Word> = it.collect();
    let (context, options) = match rest.first() {
        None => Default::default(),
        Some(first) => {
            let parsed = LineOptions::try_parse_from(rest.iter().map(|w| w.text.as_str()))
                .map_err(|e| (first.column, clap_message(&e)))?;
            (parsed.context, parsed.options)
        }
    };
    Ok(Some(Assertion {
        user: user.text,
        allowed: !negated,
        action: action.text,
        target: target.text,
        context,
        options,
    }))
}

/// The first line of a clap error, without its `error: ` prefix.
fn clap_message(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let first = text.lines().next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    format!("bad options after the target: {first}")
}

/// Splits a line into words (double-quoted words may hold spaces); stops at a `#` that starts
/// a word.
fn split(line: &str) -> Result<Vec<Word>, (usize, String)> {
    let mut words = Vec::new();
    let mut chars = line.chars().enumerate().peekable();
    while let Some(&(i, c)) = chars.peek() {
        let column = i + 1;
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '#' {
            break;
        }
        let mut text = String::new();
        if c == '"' {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err((column, "this quote is never closed".into())),
                    Some((_, '"')) => break,
                    Some((j, '\\')) => match chars.next() {
                        Some((_, e @ ('"' | '\\'))) => text.push(e),
                        _ => {
                            return Err((
                                j + 1,
                                "unknown escape: inside quotes write \\\" or \\\\".into(),
                            ));
                        }
                    },
                    Some((_, ch)) => text.push(ch),
                }
            }
            let end = match chars.peek() {
                Some(&(j, ch)) if !ch.is_whitespace() => {
                    return Err((j + 1, "expected a space after the closing quote".into()));
                }
                Some(&(j, _)) => j + 1,
                None => line.chars().count() + 1,
            };
            words.push(Word {
                text,
                column,
                end,
                quoted: true,
            });
            continue;
        }
        let mut end = column;
        while let Some(&(j, ch)) = chars.peek() {
            if ch.is_whitespace() {
                break;
            }
            text.push(ch);
            end = j + 2;
            chars.next();
        }
        words.push(Word {
            text,
            column,
            end,
            quoted: false,
        });
    }
    Ok(words)
}

/// A word as a line writes it: quoted when it must be.
fn word(text: &str) -> String {
    let plain =
        !text.is_empty() && !text.starts_with(['#', '"']) && !text.chars().any(char::is_whitespace);
    if plain {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `--flag value`, or `--flag=value` when the value starts with `-` (it would read as an
/// option).
fn option(flag: &str, value: &str) -> String {
    if value.starts_with('-') {
        word(&format!("{flag}={value}"))
    } else {
        format!("{flag} {}", word(value))
    }
}

impl fmt::Display for Assertion {
    /// The line that parses back to this assertion.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = if self.action.eq_ignore_ascii_case("not") {
            format!("\"{}\"", self.action)
        } else {
            word(&self.action)
        };
        let may = if self.allowed { "may" } else { "may not" };
        write!(
            f,
            "{} {may} {action} {}",
            word(&self.user),
            word(&self.target)
        )?;
        let c = &self.context;
        let o = &self.options;
        let single = [
            ("--catalog", &c.catalog),
            ("--owner", &c.owner),
            ("--team", &c.team),
            ("--read", &o.read),
            ("--write", &o.write),
            ("--query", &o.query),
        ];
        for (flag, value) in single {
            if let Some(v) = value {
                write!(f, " {}", option(flag, v))?;
            }
        }
        if o.operation_only {
            write!(f, " --operation-only")?;
        }
        for (flag, keys) in [("--payload", &o.payload), ("--query-keys", &o.query_keys)] {
            if let Some(k) = keys {
                write!(f, " {}", option(flag, &k.join(",")))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "assertions_tests.rs"]
mod tests;
