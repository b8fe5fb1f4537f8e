//! Test data shared by the store's unit tests: every kind of object and link, and links' ends,
//! with contents that stress encodings.

use super::SqliteStore;
use super::rows::from_ts;
use crate::model::{ApiKey, Id, Permission, Principal, Role, Team, User, UserKind, now};
use crate::policy::{Change, Link, Object};
use sqlx::{ConnectOptions, Connection};
use time::OffsetDateTime;

/// Strings that stress escaping: controls, NUL, quotes, backslashes, separators, astral and
/// non-characters, line/paragraph separators, combining marks, right-to-left overrides.
pub(super) const ODD: &[&str] = &[
    "",
    "plain",
    "a\u{0}b",
    "\u{1b}[2J\u{7}",
    "quote\"back\\slash/solidus",
    "comma,semi;colon|pipe\u{1f}",
    "tab\tnew\nline\r\u{c}\u{8}",
    "Ærøskøbing üñï ß",
    "emoji 🦀👩‍👩‍👧",
    "\u{2028}\u{2029}\u{85}\u{feff}",
    "\u{202e}rtl\u{200b}",
    "\u{ffff}\u{10ffff}\u{fffd}",
    "e\u{301}\u{301}",
    "[1,\"x\"]",
    "{\"json\":null}",
    "null",
    "-",
];

fn at(us: i64) -> OffsetDateTime {
    from_ts(us).expect("a valid time")
}

/// Far past, far future, negative, epoch and now.
fn times() -> Vec<OffsetDateTime> {
    vec![
        at(-62_135_596_800_000_000), // 0001-01-01
        at(253_402_300_799_999_999), // 9999-12-31 23:59:59.999999
        at(-1),
        at(0),
        now(),
    ]
}

fn id(n: u8, k: usize) -> Id {
    let mut b = [n; 16];
    b[15] = u8::try_from(k % 256).unwrap_or(0);
    b[14] = u8::try_from(k / 256).unwrap_or(0);
    Id::from_bytes(b)
}

/// Every kind of object and link with odd contents; ids include the nil id, all-0xff bytes
/// and bytes that are not UTF-8.
pub(super) fn changes() -> Vec<Change> {
    let t = times();
    let tt = |i: usize| t[i % t.len()];
    let mut out = Vec::new();
    let mut users = vec![Id::nil(), Id::max()];
    users.extend((0..ODD.len()).map(|i| id(0xc3, i)));
    for (i, &u) in users.iter().enumerate() {
        let s = ODD[i % ODD.len()];
        out.push(Change::Create(Object::User(User {
            id: u,
            username: format!("{s}#{i}"),
            email: s.to_string(),
            display_name: ODD[(i + 3) % ODD.len()].to_string(),
            kind: if i % 2 == 0 {
                UserKind::Person
            } else {
                UserKind::Service
            },
            disabled: i % 3 == 0,
            owner: i % 4 == 0,
            created_at: tt(i),
            updated_at: tt(i + 1),
            version: [1, 7, u64::try_from(i64::MAX).unwrap_or(1)][i % 3],
            first_name: String::new(),
            last_name: String::new(),
        })));
    }
    let roles: Vec<Id> = (0..4).map(|i| id(0x80, i)).collect();
    for (i, &r) in roles.iter().enumerate() {
        out.push(Change::Create(Object::Role(Role {
            id: r,
            name: format!("{}{i}", ODD[(i + 5) % ODD.len()]),
            description: ODD[(i + 2) % ODD.len()].to_string(),
            created_at: tt(i),
            updated_at: tt(i + 2),
            version: 1,
            created_by: None,
        })));
    }
    let perms: Vec<Id> = (0..ODD.len()).map(|i| id(0xfe, i)).collect();
    for (i, &p) in perms.iter().enumerate() {
        let list = |k: usize| -> Vec<String> {
            (0..k % 3)
                .map(|j| ODD[(i + j) % ODD.len()].to_string())
                .collect()
        };
        out.push(Change::Create(Object::Permission(Permission {
            id: p,
            catalog: ODD[i].to_string(),
            entity: format!("entity {}", ODD[(i + 1) % ODD.len()]),
            entity_uuid: (i % 2 == 0).then(|| ODD[(i + 4) % ODD.len()].to_string()),
            grants: list(i),
            denies: list(i + 1),
            conditions: list(i + 2),
            query_attributes: list(i),
            read_attributes: list(i + 1),
            write_attributes: list(i + 2),
            description: ODD[(i + 6) % ODD.len()].to_string(),
            created_at: tt(i),
            updated_at: tt(i),
            version: 2,
            created_by: None,
            entity_type: None,
            scope: None,
        })));
    }
    let teams: Vec<Id> = (0..3).map(|i| id(0x00, i)).collect();
    for (i, &team) in teams.iter().enumerate() {
        out.push(Change::Create(Object::Team(Team {
            id: team,
            key: format!("team{i}{}", ODD[(i + 7) % ODD.len()]),
            name: ODD[(i + 8) % ODD.len()].to_string(),
            description: ODD[(i + 2) % ODD.len()].to_string(),
            default_role: (i != 1).then(|| roles[i]),
            created_at: tt(i),
            updated_at: tt(i),
            version: 3,
        })));
    }
    for (i, &u) in users.iter().enumerate().take(8) {
        let opt = |k: usize| (i % 3 != k).then(|| tt(i + k));
        out.push(Change::Create(Object::ApiKey(ApiKey {
            id: id(0x7f, i),
            prefix: format!("ghk_{}", ODD[i % ODD.len()]),
            hash: format!("hash{i}{}", ODD[(i + 1) % ODD.len()]),
            user_id: u,
            read_only: i % 2 == 0,
            expires_at: opt(0),
            created_at: tt(i),
            last_used_at: opt(1),
            revoked_at: opt(2),
            version: 1,
        })));
    }
    for (i, &p) in perms.iter().enumerate() {
        let role = roles[i % roles.len()];
        out.push(Change::Link(Link::RolePermission {
            role,
            permission: p,
        }));
        let principal = if i % 2 == 0 {
            Principal::User(users[i % users.len()])
        } else {
            Principal::Team(teams[i % teams.len()])
        };
        out.push(Change::Link(Link::Grant {
            principal,
            permission: p,
        }));
    }
    for (i, &u) in users.iter().enumerate() {
        out.push(Change::Link(Link::UserRole {
            user: u,
            role: roles[i % roles.len()],
        }));
        out.push(Change::Link(Link::Member {
            team: teams[i % teams.len()],
            user: u,
            role: (i % 2 == 0).then(|| roles[(i + 1) % roles.len()]),
        }));
    }
    for (i, &team) in teams.iter().enumerate() {
        out.push(Change::Link(Link::TeamRole {
            team,
            role: roles[i],
        }));
    }
    // Ends (far past and future, negative, now) on links of every kind that may carry one.
    let end = |link: Link, at: Option<OffsetDateTime>| Change::Expire {
        link,
        expires_at: at,
    };
    for (i, &u) in users.iter().enumerate().step_by(3) {
        let role = roles[i % roles.len()];
        out.push(end(Link::UserRole { user: u, role }, Some(tt(i))));
        let team = teams[i % teams.len()];
        let member = Link::Member {
            team,
            user: u,
            role: None,
        };
        out.push(end(member, Some(tt(i + 1))));
    }
    for (i, &p) in perms.iter().enumerate().step_by(2) {
        let principal = if i % 2 == 0 {
            Principal::User(users[i % users.len()])
        } else {
            Principal::Team(teams[i % teams.len()])
        };
        let grant = Link::Grant {
            principal,
            permission: p,
        };
        out.push(end(grant, Some(tt(i + 2))));
    }
    for (i, &p) in perms.iter().enumerate().skip(1).step_by(4) {
        let grant = Link::Grant {
            principal: Principal::Team(teams[i % teams.len()]),
            permission: p,
        };
        out.push(end(grant, Some(tt(i))));
    }
    let team_role = Link::TeamRole {
        team: teams[0],
        role: roles[0],
    };
    out.push(end(team_role, Some(tt(3))));
    // Set, then cleared: no end.
    let cleared = Link::TeamRole {
        team: teams[1],
        role: roles[1],
    };
    out.push(end(cleared, Some(tt(4))));
    out.push(end(cleared, None));
    out
}

pub(super) async fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("g.db"))
        .await
        .expect("open");
    (dir, store)
}

/// Writes rows the schema lets through but the store never writes, with checks off.
pub(super) async fn tamper(store: &SqliteStore, sql: &str) {
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(store.path())
        .foreign_keys(false)
        .connect()
        .await
        .expect("raw connection");
    sqlx::query("PRAGMA ignore_check_constraints = ON")
        .execute(&mut conn)
        .await
        .expect("pragma");
    sqlx::query(sql).execute(&mut conn).await.expect(sql);
    conn.close().await.expect("close");
}
