//! The fast row builders must show exactly what the plain ones did.

use super::users::user_rows_split;
use super::*;
use crate::model::{Id, Role, Team, User, UserKind, now};
use crate::policy::Link;
use time::{Duration, OffsetDateTime};

/// The Users rows as first written (maps of vectors, `Row` sanitizing every cell, the key
/// from `join` + `to_lowercase`), a relation that ends marked ` (ends)`, or ` (ended)` by
/// `now`: the reference for [`super::users::user_rows`].
fn reference_user_rows(s: &State, now: OffsetDateTime) -> Vec<(String, Vec<String>, String)> {
    use std::collections::HashMap;
    let mark = |link: Link| match s.expiries.get(&link) {
        None => "",
        Some(end) if end > now => " (ends)",
        Some(_) => " (ended)",
    };
    let mut roles: HashMap<Id, Vec<String>> = HashMap::new();
    for &(user, role) in &s.user_roles {
        if let Some(r) = s.roles.get(&role) {
            let m = mark(Link::UserRole { user, role });
            roles
                .entry(user)
                .or_default()
                .push(format!("{}{m}", r.name));
        }
    }
    let mut teams: HashMap<Id, Vec<String>> = HashMap::new();
    for (&(team, user), &role) in &s.members {
        if let Some(t) = s.teams.get(&team) {
            let m = mark(Link::Member { team, user, role });
            teams.entry(user).or_default().push(format!("{}{m}", t.key));
        }
    }
    s.users
        .values()
        .map(|u| {
            let mut flags = Vec::new();
            if u.owner {
                flags.push("owner");
            }
            if u.disabled {
                flags.push("disabled");
            }
            let join = |m: &HashMap<Id, Vec<String>>| {
                m.get(&u.id).map(|v| v.join(", ")).unwrap_or_default()
            };
            let cells: Vec<String> = [
                u.username.clone(),
                u.email.clone(),
                u.kind.as_str().into(),
                join(&roles),
                join(&teams),
                flags.join(","),
                date(u.created_at),
                date(u.updated_at),
            ]
            .iter()
            .map(|c| sanitize(c).into_owned())
            .collect();
            let key = cells.join("\u{1f}").to_lowercase();
            (u.username.clone(), cells, key)
        })
        .collect()
}

const NASTY: &[&str] = &[
    "",
    "Plain",
    "ΑΣ",
    "Σ",
    "ΑΣ Β",
    "ὈΔΥΣΣΕΎΣ",
    "İstanbul",
    "ǅ ẞ Ω K Å",
    "\u{1b}[2J",
    "tab\there",
    "\u{202e}evil",
    "Ærø",
    "x\u{7f}y\u{9b}",
    "emoji 🦀",
];

fn id(n: u128) -> Id {
    Id::from_u128(n)
}

/// Users with no, one and several roles and teams, every flag combination, names from
/// [`NASTY`], links to a role and a team that do not exist, and a link of a user that does not
/// exist (ordered between real users).
fn state() -> State {
    let t = now();
    let mut s = State::default();
    for (i, name) in NASTY.iter().enumerate() {
        let r = id(1000 + i as u128);
        s.roles.insert(
            r,
            Role {
                id: r,
                name: format!("{name}R{i}"),
                description: String::new(),
                created_at: t,
                updated_at: t,
                version: 1,
                created_by: None,
            },
        );
        let tm = id(2000 + i as u128);
        s.teams.insert(
            tm,
            Team {
                id: tm,
                key: format!("{name}T{i}"),
                name: String::new(),
                description: String::new(),
                default_role: None,
                created_at: t,
                updated_at: t,
                version: 1,
            },
        );
    }
    for i in 0..40u128 {
        let u = id(10 * i + 10);
        let name = NASTY[i as usize % NASTY.len()];
        s.users.insert(
            u,
            User {
                id: u,
                username: format!("{name}{i}"),
                email: NASTY[(i as usize + 3) % NASTY.len()].to_string(),
                display_name: String::new(),
                kind: if i % 3 == 0 {
                    UserKind::Service
                } else {
                    UserKind::Person
                },
                disabled: i % 2 == 1,
                owner: i % 4 >= 2,
                created_at: t,
                updated_at: t,
                version: 1,
                first_name: String::new(),
                last_name: String::new(),
            },
        );
        for k in 0..(i % 4) {
            s.user_roles
                .insert((u, id(1000 + (i + 5 * k) % NASTY.len() as u128)));
            s.members
                .insert((id(2000 + (i + k) % NASTY.len() as u128), u), None);
        }
        if i % 7 == 0 {
            s.user_roles.insert((u, id(999_999)));
            s.members.insert((id(888_888), u), None);
            // A user that does not exist, ordered right after this one.
            s.user_roles.insert((id(10 * i + 15), id(1000)));
        }
    }
    s
}

#[test]
fn user_rows_match_the_reference() {
    let s = state();
    let got: Vec<(String, Vec<String>, String)> = rows(
        Pane::Users,
        &Arc::new(s.clone()),
        &[],
        &Arc::new(crate::catalog::Catalogs::builtin().expect("catalogs")),
    )
    .iter()
    .map(|r| {
        let cells = r.cells().map(String::from).collect();
        let key = r.search_key().into_owned();
        (r.id().to_string(), cells, key)
    })
    .collect();
    assert_eq!(got, reference_user_rows(&s, now()));
    assert!(
        got.iter().any(|(_, c, _)| c[3].contains(", ")),
        "some user has two roles"
    );
    assert!(
        got.iter().any(|(_, c, _)| c[4].contains(", ")),
        "some user has two teams"
    );
    assert!(
        got.iter().any(|(_, c, _)| c[0].contains("\\x1b")),
        "a sanitized name"
    );
}

#[test]
fn user_rows_split_into_ranges_match_the_reference() {
    let s = state();
    let want = reference_user_rows(&s, now());
    for parts in 1..=9 {
        let got: Vec<(String, Vec<String>, String)> = user_rows_split(&s, parts, now())
            .into_iter()
            .map(|r| {
                let cells = r.cells().map(String::from).collect();
                let key = r.search_key().into_owned();
                (r.id().to_string(), cells, key)
            })
            .collect();
        assert_eq!(got, want, "{parts} parts");
    }
    let mut few = state();
    let keep: Vec<Id> = few.users.keys().take(3).copied().collect();
    few.users.retain(|id, _| keep.contains(id));
    let want = reference_user_rows(&few, now());
    for parts in [1, 2, 3, 5] {
        let got: Vec<String> = user_rows_split(&few, parts, now())
            .into_iter()
            .map(|r| r.search_key().into_owned())
            .collect();
        let want: Vec<String> = want.iter().map(|r| r.2.clone()).collect();
        assert_eq!(got, want, "{parts} parts of 3 users");
    }
    assert!(user_rows_split(&State::default(), 3, now()).is_empty());
}

/// The fixture's state with some roles and memberships that end (one past its end), and an
/// end of a relation no user holds.
fn ending(at: OffsetDateTime) -> State {
    let mut s = state();
    let roles: Vec<(Id, Id)> = s.user_roles.iter().copied().step_by(3).collect();
    for (n, (user, role)) in roles.into_iter().enumerate() {
        let end = at + Duration::hours(n as i64 - 2);
        s.expiries.set(&Link::UserRole { user, role }, Some(end));
    }
    let members: Vec<(Id, Id)> = s.members.keys().copied().step_by(4).collect();
    for (team, user) in members {
        let link = Link::Member {
            team,
            user,
            role: Some(id(1)),
        };
        s.expiries.set(&link, Some(at + Duration::days(1)));
    }
    s
}

#[test]
fn user_rows_mark_relations_that_end_and_those_that_ended() {
    let at = now();
    let s = ending(at);
    let want = reference_user_rows(&s, at);
    for parts in [1, 2, 3, 5] {
        let got: Vec<(String, Vec<String>, String)> = user_rows_split(&s, parts, at)
            .into_iter()
            .map(|r| {
                let cells = r.cells().map(String::from).collect();
                let key = r.search_key().into_owned();
                (r.id().to_string(), cells, key)
            })
            .collect();
        assert_eq!(got, want, "{parts} parts");
    }
    let cells = |c: usize, mark: &str| want.iter().filter(|r| r.1[c].contains(mark)).count();
    assert!(cells(3, super::users::ENDS) > 0 && cells(3, super::users::ENDED) > 0);
    assert!(cells(4, super::users::ENDS) > 0 && cells(4, super::users::ENDED) == 0);
    // Later, every end has passed.
    let late = user_rows_split(&s, 2, at + Duration::days(30));
    assert!(late.iter().all(|r| !r.cell(3).contains(super::users::ENDS)));
    assert!(late.iter().any(|r| r.cell(4).contains(super::users::ENDED)));
}

#[test]
fn user_rows_with_ends_of_no_listed_relation_are_the_rows_without_ends() {
    let at = now();
    let mut s = state();
    let plain = user_rows_split(&s, 2, at);
    // The marking path, with nothing to mark.
    let nobody = Link::UserRole {
        user: id(1),
        role: id(1000),
    };
    s.expiries.set(&nobody, Some(at));
    assert!(!s.expiries.is_empty());
    assert_eq!(user_rows_split(&s, 2, at), plain);
}

#[test]
fn search_key_is_join_then_lowercase() {
    for a in NASTY {
        for b in NASTY {
            let cells = vec![a.to_string(), b.to_string(), format!("{b}{a}")];
            let clean: Vec<String> = cells.iter().map(|c| sanitize(c).into_owned()).collect();
            let row = Row::new("id", cells);
            let key = clean.join("\u{1f}").to_lowercase();
            assert_eq!(row.search_key(), key, "{clean:?}");
            assert_eq!(row.cells().collect::<Vec<_>>(), clean, "{clean:?}");
            assert!(row.matches(&key), "{clean:?}");
        }
    }
}

#[test]
fn clean_is_sanitize() {
    let mut all: Vec<String> = NASTY.iter().map(|s| s.to_string()).collect();
    all.extend(
        (0u32..0x250)
            .filter_map(char::from_u32)
            .map(|c| format!("a{c}b")),
    );
    for s in all {
        assert_eq!(clean(&s), sanitize(&s), "{s:?}");
    }
}
