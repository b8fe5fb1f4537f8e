//! `--dry-run` on the commands that take access away (`roles rm`, `rm-permission`,
//! `unassign`, `unassign-team`, `users rm`, `permissions rm`, `teams rm`): what the change would
//! do to access, computed by the engine on the state before and after
//! ([`crate::engine::effect::what_if`]), and nothing written.

use super::Ctx;
use crate::backend::Result;
use crate::engine::effect::{Access, AccessEffect, FlagChange, summary_lines, what_if};
use crate::model::{Id, ObjectKind};
use crate::policy::{Change, State};
use crate::text::sanitize;
use serde::Serialize;

/// Users shown in full in a dry run's summary; the rest are counted.
const USERS_SHOWN: usize = 20;
/// Accesses shown per user; the rest are counted.
const ACCESSES_SHOWN: usize = 6;

#[derive(Serialize)]
struct DryRun<'a> {
    dry_run: bool,
    would: &'a str,
    effect: EffectJson<'a>,
}

/// An access effect as the CLI's JSON shows it (docs/json.md, `effect`): each user a
/// `{id, username}` reference.
#[derive(Serialize)]
pub(super) struct EffectJson<'a> {
    users: Vec<UserEffectJson<'a>>,
}

#[derive(Serialize)]
struct UserEffectJson<'a> {
    user: super::refs::UserRef,
    user_created: bool,
    user_deleted: bool,
    owner_change: Option<FlagChange>,
    disabled_change: Option<FlagChange>,
    gains: &'a [Access],
    losses: &'a [Access],
}

impl<'a> EffectJson<'a> {
    pub(super) fn of(e: &'a AccessEffect) -> EffectJson<'a> {
        EffectJson {
            users: e
                .users
                .iter()
                .map(|u| UserEffectJson {
                    user: super::refs::UserRef {
                        id: u.user,
                        username: u.username.clone(),
                    },
                    user_created: u.created,
                    user_deleted: u.deleted,
                    owner_change: u.owner,
                    disabled_change: u.disabled,
                    gains: &u.gains,
                    losses: &u.losses,
                })
                .collect(),
        }
    }
}

/// Prints what `changes` (described as `would`, e.g. "unassign role R from user alice") would
/// do to access, and writes nothing. A change the backend would refuse is refused here with
/// the same typed error.
pub async fn preview(ctx: &Ctx, s: &State, changes: &[Change], would: &str) -> Result<i32> {
    let catalogs = ctx.backend.catalogs().await?;
    let effect = what_if(s, changes, &catalogs)?;
    if ctx.json() {
        super::output::print_json(&DryRun {
            dry_run: true,
            would,
            effect: EffectJson::of(&effect),
        })?;
        return Ok(0);
    }
    outln!("dry run: would {}; nothing written", sanitize(would));
    for line in summary_lines(&effect, USERS_SHOWN, ACCESSES_SHOWN) {
        outln!("{}", sanitize(&line));
    }
    Ok(0)
}

/// The delete a `rm` makes (`--force`: its links go too).
pub fn delete(kind: ObjectKind, id: Id, force: bool) -> Change {
    Change::Delete {
        kind,
        id,
        expected_version: None,
        cascade: force,
    }
}
