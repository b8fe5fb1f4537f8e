//! `gatehouse keys`: create (the secret is shown once), list and revoke API keys.

use super::Ctx;
use super::output::{print_json, print_table, short};
use super::users::{KEY_HEADER, KeyRow};
use crate::backend::{Error, Result, find_user};
use crate::model::Id;
use crate::policy::State;
use crate::text::sanitize;
use clap::Subcommand;
use serde::Serialize;

/// `keys` commands.
#[derive(Debug, Subcommand)]
pub enum KeysCmd {
    /// Create an API key for USER (the secret is shown once). Here `--read-only` makes the
    /// key read-only (it can never write).
    Create {
        /// Username or id.
        user: String,
        /// Set from the global `--read-only`, which here means a read-only key.
        #[arg(skip)]
        read_only: bool,
        /// Lifetime, e.g. `90d`, `12h`, `1y`.
        #[arg(long, value_name = "DURATION")]
        expires: Option<String>,
    },
    /// List API keys.
    Ls,
    /// Revoke an API key (id, id prefix, or key prefix).
    Revoke {
        /// Id, id prefix, or the key's shown prefix (`ghk_…`).
        id: String,
    },
}

pub use crate::backend::parse_expires;

#[derive(Serialize)]
struct CreatedKeyJson {
    #[serde(flatten)]
    key: KeyRow,
    secret: String,
}

fn find_key<'a>(s: &'a State, id: &str) -> Result<&'a crate::model::ApiKey> {
    if let Ok(i) = Id::parse_str(id)
        && let Some(k) = s.keys.get(&i)
    {
        return Ok(k);
    }
    let hits: Vec<_> = s
        .keys
        .values()
        .filter(|k| {
            (id.len() >= 8 && k.id.to_string().starts_with(id))
                || (id.len() >= 6 && (k.prefix.starts_with(id) || id.starts_with(&k.prefix)))
        })
        .collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::NotFound {
            kind: "API key".into(),
            name: id.into(),
            hint: "; list keys with `gatehouse keys ls`".into(),
        }),
        _ => Err(Error::invalid(
            "id",
            format!("'{id}' matches several keys; give more characters"),
        )),
    }
}

/// `keys create | ls | revoke`.
pub async fn keys(ctx: &Ctx, cmd: KeysCmd) -> Result<i32> {
    let b = &ctx.backend;
    let s = b.state().await?;
    match cmd {
        KeysCmd::Create {
            user,
            read_only,
            expires,
        } => {
            let expires_at = expires.as_deref().map(parse_expires).transpose()?;
            let u = find_user(&s, &user)?;
            let k = b.create_key(u.id, read_only, expires_at).await?;
            let row = KeyRow::of(&s, &k.record);
            if ctx.json() {
                print_json(&CreatedKeyJson {
                    key: row,
                    secret: k.secret,
                })?;
            } else {
                outln!(
                    "created API key {} for {} (id {}{}{})",
                    k.record.prefix,
                    sanitize(&u.username),
                    k.record.id,
                    if read_only { ", read-only" } else { "" },
                    match &row.expires_at {
                        Some(t) => format!(", expires {t}"),
                        None => String::new(),
                    }
                );
                outln!("{}", k.secret);
                eprintln!("warning: this secret is shown only once and is not stored; keep it now");
            }
        }
        KeysCmd::Ls => {
            let rows: Vec<KeyRow> = s.keys.values().map(|k| KeyRow::of(&s, k)).collect();
            if ctx.json() {
                return print_json(&rows).map(|_| 0);
            }
            print_table(
                KEY_HEADER,
                rows.iter().map(KeyRow::cells).collect(),
                "no API keys",
            );
        }
        KeysCmd::Revoke { id } => {
            let k = find_key(&s, &id)?;
            let rev = b.revoke_key(k.id).await?;
            ctx.done(
                "revoked API key",
                &format!("{} ({})", k.prefix, short(&k.id)),
                rev,
            );
        }
    }
    Ok(0)
}
