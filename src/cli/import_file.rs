//! `gatehouse import FILE`: a policy document read within `--max-size`, then imported.

use super::Ctx;
use super::misc::{doc_format, print_report};
use super::output::print_json;
use crate::backend::{BackendKind, Error, ImportOptions, Password, PolicyDoc, Result};
use std::io::Read;
use std::path::Path;

/// `--max-size`: bytes, or a number with a `K`/`KiB`, `M`/`MiB` or `G`/`GiB` suffix (powers
/// of 1024).
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("'{text}' is not a size; write e.g. 256MiB, 64KiB or 1048576"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => return Err(format!("unknown size unit '{other}'; use KiB, MiB or GiB")),
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("'{text}' is too large"))
}

/// How `import FILE` runs, beyond the file.
pub struct ImportArgs<'a> {
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--yes`.
    pub yes: bool,
    /// `--format`.
    pub format: Option<&'a str>,
    /// `--max-size`.
    pub max_size: u64,
    /// `--user-password-env VAR`.
    pub user_password_env: Option<&'a str>,
}

/// `import FILE`. Into a local store or a server: one commit, all or nothing. Into a Mage
/// server (one write per object, no transaction): the dry run first, then it asks (or needs
/// `--yes`), as `--from-mage` does.
pub async fn import(ctx: &Ctx, file: &Path, a: ImportArgs<'_>) -> Result<i32> {
    let doc = read_doc(file, a.format, a.max_size, "import file")?;
    let options = ImportOptions {
        user_password: a.user_password_env.map(password_from_env).transpose()?,
    };
    let what = format!("{}", file.display());
    if ctx.backend.info().kind != BackendKind::Mage {
        let r = ctx.backend.import_with(doc, a.dry_run, options).await?;
        if ctx.json() {
            return print_json(&super::misc::ImportJson::of(&r)).map(|_| 0);
        }
        print_report(&format!("imported {what}"), &r);
        return Ok(0);
    }
    let preview = ctx
        .backend
        .import_with(doc.clone(), true, options.clone())
        .await?;
    // Nothing to write: no question to ask (with --yes the import runs and says so itself).
    let nothing = !a.yes
        && preview.users.created
            + preview.roles.created
            + preview.permissions.created
            + preview.links.created
            == 0;
    if ctx.json() && a.dry_run {
        return print_json(&super::misc::ImportJson::of(&preview)).map(|_| 0);
    }
    if ctx.json() && !a.yes && !nothing {
        return Err(Error::invalid(
            "--yes",
            "nothing written: with -o json nothing is asked; pass --yes to apply (or --dry-run)",
        ));
    }
    if ctx.json() && nothing {
        return print_json(&super::misc::ImportJson::of(&preview)).map(|_| 0);
    }
    if !ctx.json() {
        print_report(
            &format!("import {what} into {}", ctx.path.display()),
            &preview,
        );
    }
    if a.dry_run || nothing {
        return Ok(0);
    }
    if !a.yes && !confirm(ctx)? {
        return Ok(0);
    }
    let r = ctx.backend.import_with(doc, false, options).await?;
    if ctx.json() {
        return print_json(&super::misc::ImportJson::of(&r)).map(|_| 0);
    }
    print_report(&format!("imported {what}"), &r);
    Ok(0)
}

/// The initial password of imported Mage users, from the environment variable `var`.
fn password_from_env(var: &str) -> Result<Password> {
    match std::env::var(var) {
        Ok(p) if !p.is_empty() => Ok(Password(p)),
        _ => Err(Error::invalid(
            "--user-password-env",
            format!("{var} is not set; export the new users' initial password in it"),
        )),
    }
}

/// Asks on the terminal whether to apply what the dry run showed; without a terminal, refuses
/// (exit 2: a script that forgot `--yes` must not read success). True to apply.
pub(super) fn confirm(ctx: &Ctx) -> Result<bool> {
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(Error::invalid(
            "--yes",
            "nothing written: stdin is not a terminal to ask; pass --yes to apply (or --dry-run \
             to only see what would change)",
        ));
    }
    eprint!("apply to {}? [y/N] ", ctx.path.display());
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Error::invalid("answer", e.to_string()))?;
    if !matches!(answer.trim(), "y" | "Y" | "yes") {
        outln!("nothing written");
        return Ok(false);
    }
    Ok(true)
}

/// Reads and parses the document within `max_size` bytes: JSON or TOML by `--format`, else by
/// the file's extension (`.json`, `.toml`), else (stdin, another extension) by its first
/// character (`PolicyDoc::from_text`); errors name it as `what` (`import file`).
pub(super) fn read_doc(
    file: &Path,
    format: Option<&str>,
    max_size: u64,
    what: &str,
) -> Result<PolicyDoc> {
    let json = match format {
        Some(f) => Some(doc_format(f)?),
        None => match file.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Some(true),
            Some(e) if e.eq_ignore_ascii_case("toml") => Some(false),
            _ => None,
        },
    };
    let text = read_text(file, max_size, what)?;
    match json {
        Some(true) => PolicyDoc::from_json(&text),
        Some(false) => PolicyDoc::from_toml(&text),
        None => PolicyDoc::from_text(&text),
    }
}

/// Reads `file` (`-` for stdin) as UTF-8 text within `max_size` bytes; errors name it as
/// `what` (`import file`).
pub(super) fn read_text(file: &Path, max_size: u64, what: &str) -> Result<String> {
    let too_large = || {
        Error::invalid(
            what,
            format!(
                "'{}' is larger than --max-size ({max_size} bytes); raise --max-size to read it",
                file.display()
            ),
        )
    };
    let mut bytes = Vec::new();
    // At most one byte past the limit is read: a larger file (or an endless one, such as
    // /dev/zero) is refused without being read whole.
    let read = if file.as_os_str() == "-" {
        std::io::stdin()
            .take(max_size.saturating_add(1))
            .read_to_end(&mut bytes)
            .map(|_| ())
    } else {
        match std::fs::File::open(file) {
            Ok(f) => {
                if f.metadata()
                    .is_ok_and(|m| m.is_file() && m.len() > max_size)
                {
                    return Err(too_large());
                }
                f.take(max_size.saturating_add(1))
                    .read_to_end(&mut bytes)
                    .map(|_| ())
            }
            Err(e) => Err(e),
        }
    };
    read.map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            return Error::NotFound {
                kind: what.into(),
                name: file.display().to_string(),
                hint: String::new(),
            };
        } else {
            e.to_string()
        };
        Error::invalid(what, format!("cannot read '{}': {kind}", file.display()))
    })?;
    if bytes.len() as u64 > max_size {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::invalid(
            what,
            format!(
                "'{}' is not UTF-8 text (invalid byte at offset {})",
                file.display(),
                e.utf8_error().valid_up_to()
            ),
        )
    })
}
