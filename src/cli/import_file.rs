//! `gatehouse import FILE`: a policy document read within `--max-size`, then imported.

use super::Ctx;
use super::misc::{doc_format, print_report};
use super::output::print_json;
use crate::backend::{Error, PolicyDoc, Result};
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

/// `import`.
pub async fn import(
    ctx: &Ctx,
    file: &Path,
    dry_run: bool,
    format: Option<&str>,
    max_size: u64,
) -> Result<i32> {
    let json = match format {
        Some(f) => doc_format(f)?,
        None => file
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("json")),
    };
    let too_large = || {
        Error::invalid(
            "import file",
            format!(
                "'{}' is larger than --max-size ({max_size} bytes); raise --max-size to import it",
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
                kind: "import file".into(),
                name: file.display().to_string(),
                hint: String::new(),
            };
        } else {
            e.to_string()
        };
        Error::invalid(
            "import file",
            format!("cannot read '{}': {kind}", file.display()),
        )
    })?;
    if bytes.len() as u64 > max_size {
        return Err(too_large());
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::invalid(
            "import file",
            format!(
                "'{}' is not UTF-8 text (invalid byte at offset {})",
                file.display(),
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let doc = if json {
        PolicyDoc::from_json(&text)?
    } else {
        PolicyDoc::from_toml(&text)?
    };
    let r = ctx.backend.import(doc, dry_run).await?;
    if ctx.json() {
        return print_json(&r).map(|_| 0);
    }
    print_report(&format!("imported {}", file.display()), &r);
    Ok(0)
}
