//! Tests of relation ends in documents and plans: the document forms (TOML, JSON, a bare TOML
//! date-time), a new relation with its end (`Link` then `Expire`, one `+`), an end that moves
//! (`~`), ends refused by entry, and the export of a state whose relations end.

use super::tests::{applied, cats, sample};
use super::{Op, plan};
use crate::backend::Error;
use crate::backend::document::PolicyDoc;
use crate::model::{ObjectKind, Principal, now};
use crate::policy::{Change, Link, State};
use serde_json::json;
use time::Duration;
use time::macros::datetime;

const END: time::OffsetDateTime = datetime!(2999-12-31 18:00 UTC);

fn alice_viewer(s: &State) -> Link {
    Link::UserRole {
        user: s.user_by_name("alice").expect("alice").id,
        role: s.role_by_name("viewer").expect("viewer").id,
    }
}

#[test]
fn a_new_relation_carries_its_end_and_a_moved_end_is_an_update() {
    let mut doc = sample();
    doc.users[0].role_ends.insert("viewer".into(), END);
    let p = plan(&State::default(), &doc, &cats(), false).expect("plan");
    // One item per object and link as before; the end is one more change, right after its link.
    assert_eq!((p.items.len(), p.changes.len()), (13, 14));
    let item = p
        .items
        .iter()
        .find(|i| i.kind == ObjectKind::UserRole)
        .expect("user role");
    assert_eq!(
        item.lines(),
        ["+ user_role alice → viewer (ends 2999-12-31 18:00 UTC)"]
    );
    assert_eq!(
        serde_json::to_value(item).expect("json")["ends"],
        json!({"old": null, "new": "2999-12-31T18:00:00Z"})
    );
    let at = p
        .changes
        .iter()
        .position(|c| matches!(c, Change::Expire { .. }))
        .expect("expire");
    let s = applied(&State::default(), &p);
    let link = alice_viewer(&s);
    assert_eq!(p.changes[at - 1], Change::Link(link));
    assert_eq!(s.expiries.get(&link), Some(END));
    assert!(plan(&s, &doc, &cats(), false).expect("again").is_empty());

    // The end cleared: a `~` with the one change that clears it.
    let mut doc = PolicyDoc::of_state(&s);
    assert_eq!(doc.users[0].role_ends.get("viewer"), Some(&END));
    doc.users[0].role_ends.clear();
    let p = plan(&s, &doc, &cats(), false).expect("clear");
    assert_eq!(p.items.len(), 1);
    assert_eq!(
        p.items[0].lines(),
        [
            "~ user_role alice → viewer",
            "    ends: 2999-12-31 18:00 UTC → never"
        ]
    );
    assert_eq!(
        p.changes,
        [Change::Expire {
            link,
            expires_at: None
        }]
    );
    let s = applied(&s, &p);
    assert_eq!(s.expiries.get(&link), None);
    assert!(plan(&s, &doc, &cats(), false).expect("again").is_empty());

    // And set again, later.
    let later = datetime!(3000-01-01 00:00 UTC);
    doc.users[0].role_ends.insert("viewer".into(), later);
    let p = plan(&s, &doc, &cats(), true).expect("set");
    assert_eq!(
        p.items[0].lines()[1],
        "    ends: never → 3000-01-01 00:00 UTC"
    );
    let s = applied(&s, &p);
    assert_eq!(s.expiries.get(&link), Some(later));
    assert!(plan(&s, &doc, &cats(), true).expect("again").is_empty());
}

/// The stores keep whole microseconds: a document's end is planned as they will keep it, so
/// the plan applied plans nothing.
#[test]
fn an_end_is_planned_in_whole_microseconds() {
    let fine = END.replace_nanosecond(123_456_789).expect("nanoseconds");
    let mut doc = sample();
    doc.users[0].role_ends.insert("viewer".into(), fine);
    let p = plan(&State::default(), &doc, &cats(), false).expect("plan");
    let ends: Vec<_> = p
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Expire { expires_at, .. } => *expires_at,
            _ => None,
        })
        .collect();
    let micros = END.replace_nanosecond(123_456_000).expect("micros");
    assert_eq!(ends, [micros]);
    let s = applied(&State::default(), &p);
    assert!(plan(&s, &doc, &cats(), false).expect("again").is_empty());
}

#[test]
fn a_membership_whose_role_and_end_move_is_one_update() {
    let s = applied(
        &State::default(),
        &plan(&State::default(), &sample(), &cats(), false).expect("plan"),
    );
    let mut doc = PolicyDoc::of_state(&s);
    doc.members[0].role = Some("viewer".into());
    doc.members[0].expires_at = Some(END);
    doc.grants[0].expires_at = Some(END);
    let p = plan(&s, &doc, &cats(), false).expect("plan");
    let lines: Vec<Vec<String>> = p.items.iter().map(|i| i.lines()).collect();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[0][0].starts_with("~ grant gatehouse:User ("),
        "{lines:#?}"
    );
    assert!(lines[0][0].ends_with(") → team ops"), "{lines:#?}");
    assert_eq!(lines[0][1], "    ends: never → 2999-12-31 18:00 UTC");
    assert_eq!(
        lines[1],
        [
            "~ team_member ops/bob (role viewer)",
            "    role: (none) → \"viewer\"",
            "    ends: never → 2999-12-31 18:00 UTC",
        ]
    );
    assert!(p.items.iter().all(|i| i.op == Op::Update));
    let (ops, bob) = (
        s.team_by_key("ops").expect("ops").id,
        s.user_by_name("bob").expect("bob").id,
    );
    let member = Link::Member {
        team: ops,
        user: bob,
        role: Some(s.role_by_name("viewer").expect("viewer").id),
    };
    assert!(
        matches!(
            &p.changes[..],
            [Change::Expire { link: Link::Grant { principal: Principal::Team(t), .. }, expires_at: e2 }, Change::Link(l), Change::Expire { link: m, expires_at: e1 }]
                if *l == member && *m == member && *t == ops && *e1 == Some(END) && *e2 == Some(END)
        ),
        "{:#?}",
        p.changes
    );
    let after = applied(&s, &p);
    assert_eq!(after.expiries.get(&member), Some(END));
    assert!(plan(&after, &doc, &cats(), true).expect("again").is_empty());
}

#[test]
fn ends_already_past_or_on_roles_not_held_are_refused_by_entry() {
    let past = now() - Duration::hours(1);
    type Edit = fn(&mut PolicyDoc, time::OffsetDateTime);
    let cases: Vec<(Edit, &str)> = vec![
        (
            |d, t| {
                d.users[0].role_ends.insert("viewer".into(), t);
            },
            "users[0].role_ends.viewer",
        ),
        (
            |d, t| {
                d.teams[0].role_ends.insert("editor".into(), t);
            },
            "teams[0].role_ends.editor",
        ),
        (
            |d, t| d.members[0].expires_at = Some(t),
            "members[0].expires_at",
        ),
        (
            |d, t| d.grants[0].expires_at = Some(t),
            "grants[0].expires_at",
        ),
        // A role the user does not hold, even with an end ahead.
        (
            |d, _| {
                d.users[0].role_ends.insert("editor".into(), END);
            },
            "users[0].role_ends.editor",
        ),
        // The same membership twice with different ends.
        (
            |d, _| {
                let mut m = d.members[0].clone();
                m.expires_at = Some(END);
                d.members.push(m);
            },
            "members[1]",
        ),
    ];
    for (edit, entry) in cases {
        let mut doc = sample();
        edit(&mut doc, past);
        let e = plan(&State::default(), &doc, &cats(), false).expect_err(entry);
        assert!(
            matches!(&e, Error::Invalid { field, .. } if field == entry),
            "{entry}: {e:?}"
        );
    }
}

#[test]
fn the_export_writes_ends_and_leaves_out_relations_already_ended() {
    let mut s = applied(
        &State::default(),
        &plan(&State::default(), &sample(), &cats(), false).expect("plan"),
    );
    let link = alice_viewer(&s);
    let ended = now() - Duration::hours(1);
    s.apply(&Change::Expire {
        link,
        expires_at: Some(ended),
    })
    .expect("end alice's role");
    let doc = PolicyDoc::of_state(&s);
    assert!(doc.users[0].roles.is_empty(), "{:?}", doc.users[0]);
    // The document gives alice the role for good: the ended role is made permanent again,
    // said as a `~` of its end.
    let mut back = doc.clone();
    back.users[0].roles.push("viewer".into());
    let p = plan(&s, &back, &cats(), false).expect("plan");
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.items[0].op, Op::Update);
    assert_eq!(
        p.changes,
        [Change::Expire {
            link,
            expires_at: None
        }]
    );
}

#[test]
fn documents_write_ends_in_toml_and_json_and_read_bare_toml_date_times() {
    let mut doc = sample();
    doc.users[0].role_ends.insert("viewer".into(), END);
    doc.teams[0].role_ends.insert("editor".into(), END);
    doc.members[0].expires_at = Some(END);
    doc.grants[0].expires_at = Some(END);
    let toml = doc.to_toml().expect("toml");
    assert!(
        toml.contains("expires_at = \"2999-12-31T18:00:00Z\""),
        "{toml}"
    );
    assert!(toml.contains("viewer = \"2999-12-31T18:00:00Z\""), "{toml}");
    assert_eq!(PolicyDoc::from_toml(&toml).expect("read back"), doc);
    let json = serde_json::to_string(&doc).expect("json");
    assert_eq!(PolicyDoc::from_json(&json).expect("read back"), doc);

    let bare = r#"
[[users]]
username = "alice"
roles = ["viewer"]
role_ends = { viewer = 2999-12-31T19:00:00+01:00 }

[[members]]
team = "ops"
user = "alice"
expires_at = 2999-12-31T18:00:00Z
"#;
    let d = PolicyDoc::from_toml(bare).expect("bare date-times");
    assert_eq!(d.users[0].role_ends.get("viewer"), Some(&END));
    assert_eq!(d.members[0].expires_at, Some(END));

    for (text, says) in [
        (
            "[[members]]\nteam = \"ops\"\nuser = \"a\"\nexpires_at = 2999-12-31T18:00:00\n",
            "names no instant",
        ),
        (
            "[[members]]\nteam = \"ops\"\nuser = \"a\"\nexpires_at = \"next week\"\n",
            "not an RFC 3339 instant",
        ),
        (
            "[[members]]\nteam = \"ops\"\nuser = \"a\"\nexpires = \"2999-12-31T18:00:00Z\"\n",
            "unknown field",
        ),
    ] {
        let e = PolicyDoc::from_toml(text).expect_err(says);
        assert!(
            matches!(&e, Error::Invalid { message, .. } if message.contains(says)),
            "{says}: {e:?}"
        );
    }
    let e = PolicyDoc::from_json(r#"{"grants":[{"permission":"p","user":"a","expires_at":5}]}"#)
        .expect_err("a number");
    assert!(matches!(e, Error::Invalid { .. }), "{e:?}");
}
