//! Human-readable labels shared by the CLI and the console: object names, paths
//! (user → team → role), targets, and explanations as text. Nothing here is sanitized: callers
//! pass every string through `text::sanitize` before it reaches a terminal.

pub mod call;
mod when;
use crate::catalog::Catalogs;
use crate::engine::{AttrKind, Candidate, Explanation, FailedCondition, Hint, Outcome, Rule, Via};
use crate::model::{ADMIN_TEAM, Id, Permission, short_id};
use crate::policy::State;
use time::OffsetDateTime;
pub use when::{ends_in, instant, span};

/// A role's name (or its id when it is gone).
pub fn role_name(s: &State, id: &Id) -> String {
    s.roles
        .get(id)
        .map_or_else(|| id.to_string(), |r| r.name.clone())
}

/// A team's key (or its id when it is gone).
pub fn team_key(s: &State, id: &Id) -> String {
    s.teams
        .get(id)
        .map_or_else(|| id.to_string(), |t| t.key.clone())
}

/// A user's name (or its id when it is gone).
pub fn user_name(s: &State, id: &Id) -> String {
    s.users
        .get(id)
        .map_or_else(|| id.to_string(), |u| u.username.clone())
}

/// Who created an object: the creator's username, its short id when the user is gone, `-`
/// when unknown (a local object made before gatehouse kept it, a Mage permission: §5.4 of
/// docs/MAGE.md).
pub fn created_by(s: &State, id: Option<&Id>) -> String {
    match id {
        None => "-".to_string(),
        Some(id) => s
            .users
            .get(id)
            .map_or_else(|| short_id(id), |u| u.username.clone()),
    }
}

/// The users who hold a permission through a role, as (username, role name) pairs sorted by
/// user then role (a user holding it through two roles appears twice).
pub fn users_through_roles(s: &State, permission: &Id) -> Vec<(String, String)> {
    let roles: Vec<Id> = s
        .role_permissions
        .iter()
        .filter(|(_, p)| p == permission)
        .map(|(r, _)| *r)
        .collect();
    let mut out: Vec<(String, String)> = s
        .user_roles
        .iter()
        .filter(|(_, r)| roles.contains(r))
        .map(|(u, r)| (user_name(s, u), role_name(s, r)))
        .collect();
    out.sort();
    out
}

/// A path from the subject to a holder: `role:Editor`, `team:ops → role:X`, …
pub fn via(s: &State, v: &Via) -> String {
    match v {
        Via::Direct => "direct grant".to_string(),
        Via::Role { role } => format!("role:{}", role_name(s, role)),
        Via::Team { team } => format!("team:{}", team_key(s, team)),
        Via::TeamRole { team, role } => {
            format!("team:{} → role:{}", team_key(s, team), role_name(s, role))
        }
        Via::MemberRole { team, role } => {
            let key = team_key(s, team);
            if key == ADMIN_TEAM {
                format!(
                    "team:{key} (member role {}, everywhere)",
                    role_name(s, role)
                )
            } else {
                format!(
                    "team:{key} (member role {}, team resources only)",
                    role_name(s, role)
                )
            }
        }
    }
}

/// An entity with its catalog: `mage:Pipeline`, but `okdata:dataset` (already namespaced).
pub fn entity(catalog: &str, entity: &str) -> String {
    if entity.contains(':') {
        entity.to_string()
    } else {
        format!("{catalog}:{entity}")
    }
}

/// An entity and its UUID (or `all`): `mage:Pipeline/example_pipeline`, `okdata:dataset/ds1`.
pub fn target(catalog: &str, ent: &str, uuid: Option<&str>) -> String {
    format!("{}/{}", entity(catalog, ent), uuid.unwrap_or("all"))
}

/// The short form of a permission for one-line messages: `0192abcd (mage:Pipeline/all)`.
pub fn brief(p: &Permission) -> String {
    format!(
        "{} ({})",
        short_id(&p.id),
        target(&p.catalog, &p.entity, p.entity_uuid.as_deref())
    )
}

/// A permission as `short id (catalog:Entity/uuid)`, or its short id when it is gone.
pub fn perm_label(s: &State, id: &Id) -> String {
    match s.permissions.get(id) {
        Some(p) => brief(&p),
        None => short_id(id),
    }
}

/// One line on the deciding rule.
pub fn rule_text(s: &State, rule: &Rule) -> String {
    match rule {
        Rule::UnknownSubject => "the user does not exist".into(),
        Rule::Disabled => "the user is disabled".into(),
        Rule::Owner => "the user has the owner flag".into(),
        Rule::UnknownAction => "the catalog does not define this action on this entity".into(),
        Rule::Denied { by } => format!(
            "denied by permission {} via {} (a deny always wins)",
            perm_label(s, &by.permission),
            via(s, &by.via)
        ),
        Rule::Granted { by } => format!(
            "granted by permission {} via {}",
            perm_label(s, &by.permission),
            via(s, &by.via)
        ),
        Rule::NoGrant => "no permission grants it".into(),
        Rule::MageOwnerBit { by } => format!(
            "OWNER bit in permission {} via {} (Mage: allows everything)",
            perm_label(s, &by.permission),
            via(s, &by.via)
        ),
        Rule::AttributeNotInDialect => {
            "attribute checks (--read, --write, --query) are a Mage-dialect feature; this catalog has none".into()
        }
        Rule::AttributeNeedsOperation => {
            "an attribute check needs one of the operations LIST, DETAIL, CREATE, UPDATE, DELETE"
                .into()
        }
    }
}

/// What one candidate permission did, in words.
pub fn outcome_text(o: &Outcome) -> &'static str {
    match o {
        Outcome::Grants => "grants",
        Outcome::Denies => "DENIES",
        Outcome::NoAccess => "no access (action not among its flags)",
        Outcome::ConditionFailed {
            condition: FailedCondition::Own,
        } => "condition own failed (not the resource owner)",
        Outcome::ConditionFailed {
            condition: FailedCondition::Team,
        } => "condition team failed (resource not in one of the user's teams)",
        Outcome::ConditionFailed {
            condition: FailedCondition::Never,
        } => "condition never holds",
        Outcome::UuidMismatch => "uuid mismatch (scoped to another entity)",
        Outcome::AttributeDenied { kind, all: true } => match kind {
            AttrKind::Query => "DENIES the query key (DISABLE_QUERY_ALL)",
            AttrKind::Read => "DENIES the attribute (DISABLE_READ_ALL)",
            AttrKind::Write => "DENIES the attribute (DISABLE_WRITE_ALL)",
        },
        Outcome::AttributeDenied { kind, all: false } => match kind {
            AttrKind::Query => "DENIES the query key (DISABLE_QUERY, key in query_attributes)",
            AttrKind::Read => "DENIES the attribute (DISABLE_READ, listed in read_attributes)",
            AttrKind::Write => "DENIES the attribute (DISABLE_WRITE, listed in write_attributes)",
        },
        Outcome::NoAttributeAccess { kind } => match kind {
            AttrKind::Query => "grants the operation but neither QUERY nor QUERY_ALL",
            AttrKind::Read => "grants the operation but neither READ nor READ_ALL",
            AttrKind::Write => "grants the operation but neither WRITE nor WRITE_ALL",
        },
        Outcome::AttributeNotListed { kind } => match kind {
            AttrKind::Query => "has QUERY, but the key is not in its query_attributes",
            AttrKind::Read => "has READ, but the attribute is not in its read_attributes",
            AttrKind::Write => "has WRITE, but the attribute is not in its write_attributes",
        },
        Outcome::AttributeWithoutOperation { kind } => match kind {
            AttrKind::Query => {
                "grants the query key but not the operation (both must be in one permission)"
            }
            AttrKind::Read => {
                "grants the read but not the operation (both must be in one permission)"
            }
            AttrKind::Write => {
                "grants the write but not the operation (both must be in one permission)"
            }
        },
    }
}

/// A hint for a denied request, with the CLI command that would act on it.
pub fn hint_text(s: &State, h: &Hint, user: &str) -> String {
    match h {
        Hint::AssignRole { role, permission } => format!(
            "assign role {}: `gatehouse roles assign {} {user}` (permission {})",
            role_name(s, role),
            role_name(s, role),
            short_id(permission)
        ),
        Hint::JoinTeam { team, permission } => format!(
            "add to team {}: `gatehouse teams add-member {} {user}` (permission {})",
            team_key(s, team),
            team_key(s, team),
            short_id(permission)
        ),
        Hint::RemoveDeny { permission } => format!(
            "remove or narrow the deny in permission {}",
            perm_label(s, permission)
        ),
        Hint::AddAttribute { permission, kind } => format!(
            "add the attribute to the {}_attributes of permission {}",
            kind.word(),
            perm_label(s, permission)
        ),
    }
}

/// The explanation as a tree of lines: user → each path reached (and when it ends, as `(expires
/// in 3h)` from now) → each candidate permission and what it did (and whether its conditions
/// are ignored, [`inert_note`]), the rule, and what would have allowed a denial. Not
/// sanitized.
pub fn explain_lines(
    s: &State,
    catalogs: &Catalogs,
    username: &str,
    e: &Explanation,
) -> Vec<String> {
    explain_lines_at(s, catalogs, username, e, crate::model::now())
}

/// [`explain_lines`] for a decision at `at` (`check --at`): ends are said from that instant.
pub fn explain_lines_at(
    s: &State,
    catalogs: &Catalogs,
    username: &str,
    e: &Explanation,
    at: OffsetDateTime,
) -> Vec<String> {
    explain_tree(s, catalogs, username, e, "would allow it:", at)
}

/// [`explain_lines`] with its own heading over the changes that would allow the request (a
/// whole Mage call's failing check: they pass that check, the call has later ones).
pub fn explain_lines_headed(
    s: &State,
    catalogs: &Catalogs,
    username: &str,
    e: &Explanation,
    hints_heading: &str,
) -> Vec<String> {
    explain_tree(s, catalogs, username, e, hints_heading, crate::model::now())
}

/// When a path ends, said from `at`: on the path's line when every permission under it ends
/// with it (a role, a team, a membership), else on each permission's line (direct grants, each
/// its own relation). `(path note, per-candidate notes)`.
fn path_end_notes(cands: &[&Candidate], at: OffsetDateTime) -> (String, Vec<String>) {
    let note = |t: Option<OffsetDateTime>| {
        t.map(|t| format!(" ({})", ends_in(t, at)))
            .unwrap_or_default()
    };
    let first = cands.first().and_then(|c| c.ends);
    if cands.iter().all(|c| c.ends == first) {
        (note(first), vec![String::new(); cands.len()])
    } else {
        (String::new(), cands.iter().map(|c| note(c.ends)).collect())
    }
}

fn explain_tree(
    s: &State,
    catalogs: &Catalogs,
    username: &str,
    e: &Explanation,
    hints_heading: &str,
    at: OffsetDateTime,
) -> Vec<String> {
    let mut out = Vec::new();
    match &e.attribute {
        Some(a) => out.push(format!(
            "{username} ({} attribute {}: the operation and the attribute must be granted by one permission)",
            a.kind.word(),
            a.name
        )),
        None => out.push(username.to_string()),
    }
    let mut shown: Vec<Via> = Vec::new();
    let mut vias: Vec<(Via, Option<bool>)> =
        e.reached.iter().map(|(v, a)| (*v, Some(*a))).collect();
    for c in &e.candidates {
        if !vias.iter().any(|(v, _)| *v == c.via) {
            vias.push((c.via, None));
        }
    }
    if vias.is_empty() {
        out.push("└─ (no role, team or direct grant reached)".to_string());
    }
    let n = vias.len();
    for (i, (v, applies)) in vias.iter().enumerate() {
        if shown.contains(v) {
            continue;
        }
        shown.push(*v);
        let last = i + 1 == n;
        let note = match applies {
            Some(false) => " (does not apply to this resource)",
            _ => "",
        };
        let cands: Vec<&Candidate> = e.candidates.iter().filter(|c| c.via == *v).collect();
        let (ends, cand_ends) = path_end_notes(&cands, at);
        out.push(format!(
            "{} {}{ends}{note}",
            if last { "└─" } else { "├─" },
            via(s, v)
        ));
        let bar = if last { "   " } else { "│  " };
        if cands.is_empty() {
            out.push(format!("{bar}└─ no permission on this entity"));
        }
        for (j, c) in cands.iter().enumerate() {
            let l = if j + 1 == cands.len() {
                "└─"
            } else {
                "├─"
            };
            out.push(format!(
                "{bar}{l} permission {}{}: {}{}",
                perm_label(s, &c.permission),
                cand_ends.get(j).map_or("", String::as_str),
                outcome_text(&c.outcome),
                inert_note(s, catalogs, &c.permission)
            ));
        }
    }
    out.push(
        "rule: any matching deny → DENY; otherwise any matching grant → ALLOW; otherwise DENY"
            .to_string(),
    );
    if let Some(note) = split_grant_note(s, e) {
        out.push(note);
    }
    if !e.hints.is_empty() {
        out.push(hints_heading.to_string());
        for h in &e.hints {
            out.push(format!("  - {}", hint_text(s, h, username)));
        }
    }
    out
}

/// ` — conditions USER_OWNS_ENTITY ignored: no DISABLE_UNLESS_CONDITIONS` for a permission
/// whose conditions its catalog ignores ([`Catalogs::inert_conditions`]), else nothing.
pub fn inert_note(s: &State, catalogs: &Catalogs, permission: &Id) -> String {
    let Some(p) = s.permissions.view(permission) else {
        return String::new();
    };
    match catalogs.inert_conditions(p.catalog(), p.grants(), p.conditions()) {
        Some(gate) => format!(
            " — conditions {} ignored: no {gate}",
            p.conditions().join(", ")
        ),
        None => String::new(),
    }
}

/// For a denied Mage attribute check: a note when one permission holds the operation and
/// another the attribute, which Mage does not combine.
fn split_grant_note(s: &State, e: &Explanation) -> Option<String> {
    if e.allowed || e.attribute.is_none() {
        return None;
    }
    let op = e.candidates.iter().find(|c| {
        matches!(
            c.outcome,
            Outcome::NoAttributeAccess { .. } | Outcome::AttributeNotListed { .. }
        )
    })?;
    let attr = e
        .candidates
        .iter()
        .find(|c| matches!(c.outcome, Outcome::AttributeWithoutOperation { .. }))?;
    Some(format!(
        "note: permission {} holds the operation and permission {} the attribute; Mage needs both in one permission",
        perm_label(s, &op.permission),
        perm_label(s, &attr.permission)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::new_id;
    use time::macros::datetime;

    fn cand(ends: Option<OffsetDateTime>) -> Candidate {
        Candidate {
            via: Via::Direct,
            permission: new_id(),
            outcome: Outcome::Grants,
            ends,
        }
    }

    #[test]
    fn a_path_says_when_it_ends_on_its_line_or_on_each_permission() {
        let at = datetime!(2026-12-07 12:00 UTC);
        let end = Some(datetime!(2026-12-07 15:00 UTC));
        let (a, b) = (cand(end), cand(end));
        assert_eq!(
            path_end_notes(&[&a, &b], at),
            (" (expires in 3h)".to_string(), vec![String::new(); 2])
        );
        // Direct grants each end on their own: the note goes on each permission's line.
        let c = cand(None);
        assert_eq!(
            path_end_notes(&[&a, &c], at),
            (
                String::new(),
                vec![" (expires in 3h)".to_string(), String::new()]
            )
        );
        assert_eq!(path_end_notes(&[&c], at).0, "");
    }
}
