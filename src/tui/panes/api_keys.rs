//! The API keys pane (on backends with keys): keys with their user, mode, expiry and status.
//! `n` creates one (its secret is shown once), `D` revokes one; keys are never edited.

use super::{Delete, Editing, FormDef, PaneDef};
use crate::backend::Capabilities;
use crate::backend::Error;
use crate::catalog::Catalogs;
use crate::model::{AuditEvent, Id, ObjectKind, short_id};
use crate::policy::State;
use crate::tui::field::{Field, FieldKind};
use crate::tui::form::{Form, Outcome, Save};
use crate::tui::form_fields::{CHOOSE_USER, KEY_ACCESS};
use crate::tui::rows::Rows;
use crate::tui::view::{Column, Pane, Row, col, date};
use std::sync::Arc;
use time::OffsetDateTime;

pub(super) const DEF: PaneDef = PaneDef {
    pane: Pane::Keys,
    title: "API keys",
    short: "Keys",
    command: "keys",
    aliases: &["key", "apikeys"],
    columns: COLUMNS,
    rows,
    unsupported,
    lacking: "API keys are",
    partial: None,
    kind: Some(ObjectKind::ApiKey),
    object_of_row: super::id_of_row,
    row_of_object: super::row_of_id,
    page: None,
    delete: Some(delete),
    form: Some(FormDef {
        create,
        edit: Editing::Refused("API keys cannot be edited: revoke it (D) and create another (n)"),
        save,
    }),
    keys: None,
    paste: None,
    command_args: None,
    draw: None,
    offers_defaults: false,
};

const COLUMNS: &[Column] = &[
    col("PREFIX", 12, 0, false, 0),
    col("USER", 8, 2, false, 0),
    col("MODE", 9, 0, false, 0),
    col("EXPIRES", 10, 1, false, 0),
    col("LAST USED", 10, 1, false, 90),
    col("STATUS", 7, 0, false, 0),
];

fn unsupported(caps: &Capabilities) -> Option<&'static str> {
    (!caps.keys).then_some("this backend has no API keys")
}

fn rows(s: &Arc<State>, _: &[AuditEvent], _: &Arc<Catalogs>, now: OffsetDateTime) -> Rows {
    Rows::Built(
        s.keys
            .values()
            .map(|k| {
                let user = s
                    .users
                    .get(&k.user_id)
                    .map(|u| u.username.clone())
                    .unwrap_or_else(|| short_id(&k.user_id));
                let status = if k.revoked_at.is_some() {
                    "revoked"
                } else if k.expires_at.is_some_and(|e| e <= now) {
                    "expired"
                } else {
                    "active"
                };
                let mode = if k.read_only {
                    "read-only"
                } else {
                    "read-write"
                };
                Row::new(
                    k.id.to_string(),
                    vec![
                        k.prefix.clone(),
                        user,
                        mode.into(),
                        k.expires_at.map(date).unwrap_or_else(|| "never".into()),
                        k.last_used_at.map(date).unwrap_or_else(|| "never".into()),
                        status.into(),
                    ],
                )
            })
            .collect(),
    )
}

fn delete(s: &State, row_id: &str) -> Option<Delete> {
    let k = s.keys.get(&Id::parse_str(row_id).ok()?)?;
    if k.revoked_at.is_some() {
        return Some(Delete::Refuse("that key is already revoked"));
    }
    Some(Delete::RevokeKey {
        id: k.id,
        name: k.prefix.clone(),
    })
}

fn create(state: &State, _: &Catalogs) -> (String, Vec<Field>) {
    let mut users: Vec<(String, String)> = state
        .users
        .values()
        .filter(|u| !u.disabled)
        .map(|u| (u.id.to_string(), u.username.clone()))
        .collect();
    users.sort_by(|a, b| a.1.cmp(&b.1));
    users.insert(0, (String::new(), CHOOSE_USER.into()));
    let mut user = Field::pick("user", "user", users, "");
    user.hint = "required: the key acts as this user · type to filter · ←/→ choose".into();
    if let FieldKind::Pick { filter, .. } = &mut user.kind {
        *filter = crate::tui::field::text_input("");
    }
    let mut access = Field::cycle(
        "read_only",
        "access",
        KEY_ACCESS.iter().map(|s| s.to_string()).collect(),
        KEY_ACCESS[0],
    );
    access.hint = "read-only reads everything, writes nothing · Space or ←/→ changes".into();
    let expires = Field::text(
        "expires",
        "expires in",
        "90d",
        "e.g. 90d, 12h, 1y; empty = never",
    );
    ("New API key".into(), vec![user, access, expires])
}

fn save(form: &mut Form) -> Result<Save, Outcome> {
    let Some((user, _)) = form.field("user").and_then(Field::picked) else {
        return Err(form.refuse("user", "no user matches; type part of a username"));
    };
    if user.is_empty() {
        return Err(form.refuse(
            "user",
            "choose the user the key acts as: type part of a username",
        ));
    }
    let Ok(user) = Id::parse_str(&user) else {
        return Err(form.refuse("user", "pick a user"));
    };
    let expires = form.text("expires").trim().to_string();
    let expires_at = if expires.is_empty() {
        None
    } else {
        match crate::backend::parse_expires(&expires) {
            Ok(t) => Some(t),
            Err(Error::Invalid { message, .. }) => return Err(form.refuse("expires", &message)),
            Err(e) => return Err(form.refuse("expires", &e.to_string())),
        }
    };
    Ok(Save::Key {
        user,
        // Anything but an explicit read-write is read-only, the safe one.
        read_only: form.field("read_only").and_then(Field::choice) != Some(KEY_ACCESS[1]),
        expires_at,
    })
}
