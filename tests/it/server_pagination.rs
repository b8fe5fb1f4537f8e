//! Cursor pagination of the list routes (`?limit=&after=`): every list route walks each item
//! once, in its order, following `X-Next-Cursor` and `Link`; an item added or removed between
//! two pages moves no other one; a bad `limit` or `after` is a 400 naming it; `?limit=10` on a
//! large store answers 10 rows; and [`HttpBackend`] reads a whole list through small pages. A
//! real server in process on 127.0.0.1 (ephemeral port, temp SQLite store), bounded in time.

use crate::support::build::{add_permission, add_role, add_user};
use crate::support::{Fixture, bounded, start};
use gatehouse::backend::{Backend, GrantTo, TeamSpec};
use gatehouse::model::{Id, Team};
use gatehouse::policy::{Change, Link, Object};
use gatehouse::server::ServerConfig;
use gatehouse::wire::{NEXT_CURSOR_HEADER, Op, ROUTES};
use serde_json::Value;
use std::collections::HashSet;

/// One answer: status, the next cursor, the `Link` header and the JSON body.
struct Answer {
    status: u16,
    next: Option<String>,
    link: Option<String>,
    body: Value,
}

async fn get(f: &Fixture, url: &str) -> Answer {
    let res = reqwest::Client::new()
        .get(url)
        .bearer_auth(&f.admin_key)
        .send()
        .await
        .expect("send");
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let (next, link) = (header(NEXT_CURSOR_HEADER), header("link"));
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    Answer {
        status,
        next,
        link,
        body,
    }
}

/// The items of an answer: the array, or audit's `events`; without a key's `last_used_at`,
/// which the requests themselves move.
fn items(body: &Value) -> Vec<Value> {
    let mut list = match body {
        Value::Array(a) => a.clone(),
        other => other["events"].as_array().cloned().unwrap_or_default(),
    };
    for item in &mut list {
        if let Some(o) = item.as_object_mut() {
            o.remove("last_used_at");
        }
    }
    list
}

/// `path` with `extra` parameters added.
fn with(path: &str, extra: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{extra}")
}

/// Walks `path` `k` items at a time through each answer's `Link` (checking that it names the
/// `X-Next-Cursor`); the pages.
async fn walk(f: &Fixture, path: &str, k: usize) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut url = f.api(&with(path, &format!("limit={k}")));
    loop {
        let a = get(f, &url).await;
        assert_eq!(a.status, 200, "{url}: {}", a.body);
        let page = items(&a.body);
        assert!(page.len() <= k, "{url}: {} items", page.len());
        pages.push(page);
        assert_eq!(a.next.is_some(), a.link.is_some(), "{url}");
        let (Some(next), Some(link)) = (a.next, a.link) else {
            return pages;
        };
        assert!(pages.len() < 100, "{path}: the walk does not end");
        let target = link
            .strip_prefix('<')
            .and_then(|l| l.strip_suffix(">; rel=\"next\""))
            .unwrap_or_else(|| panic!("{path}: Link {link}"));
        assert!(target.starts_with("/api/v1/"), "{link}");
        assert!(target.contains(&format!("limit={k}")), "{link}");
        let plain = next.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if plain {
            assert!(
                target.ends_with(&format!("after={next}")),
                "{link} / {next}"
            );
        }
        url = format!("{}{target}", f.url);
    }
}

/// A store with at least 6 items in every list, and the list routes with one path each.
async fn fill(f: &Fixture) -> Vec<(Op, String)> {
    let b = f.local();
    let mut users = Vec::new();
    for i in 0..7 {
        users.push(add_user(&b, &format!("u{i:02}")).await);
    }
    let mut roles = Vec::new();
    for i in 0..6 {
        roles.push(add_role(&b, &format!("r{i}")).await);
    }
    let mut teams: Vec<Team> = Vec::new();
    for i in 0..6 {
        let spec = TeamSpec {
            key: format!("t{i}"),
            ..Default::default()
        };
        teams.push(b.create_team(spec).await.expect("team"));
    }
    let r0 = roles[0].id;
    for _ in 0..7 {
        let p = add_permission(&b, "mage", "Pipeline", &["LIST"]).await;
        b.link(Link::RolePermission {
            role: r0,
            permission: p.id,
        })
        .await
        .expect("role ← permission");
    }
    for u in &users {
        b.link(Link::UserRole {
            user: u.id,
            role: r0,
        })
        .await
        .expect("user ← role");
        let member = Link::Member {
            team: teams[0].id,
            user: u.id,
            role: None,
        };
        b.link(member).await.expect("member");
    }
    for r in &roles {
        let link = Link::UserRole {
            user: users[0].id,
            role: r.id,
        };
        if r.id != r0 {
            b.link(link).await.expect("u00 ← role");
        }
    }
    for t in &teams {
        b.link(Link::TeamRole {
            team: t.id,
            role: r0,
        })
        .await
        .expect("team ← role");
    }
    for _ in 0..3 {
        b.create_key(f.viewer.id, true, None).await.expect("key");
    }
    for (i, u) in users.iter().enumerate() {
        let (name, to) = match i {
            0 | 1 => (teams[i].key.clone(), GrantTo::Team),
            _ => (u.username.clone(), GrantTo::User),
        };
        b.grant_resource("okdata:dataset:ds1", &name, None, to)
            .await
            .expect("grant");
    }
    for i in 0..6 {
        let resource = format!("okdata:dataset:mine{i}");
        b.grant_resource(&resource, "admin", None, GrantTo::User)
            .await
            .expect("grant to admin");
    }
    vec![
        (Op::Catalogs, "/catalogs".into()),
        (Op::ListRoles, "/roles".into()),
        (Op::RolePermissions, "/roles/r0/permissions".into()),
        (Op::RoleUsers, "/roles/r0/users".into()),
        (Op::RoleTeams, "/roles/r0/teams".into()),
        (Op::ListPermissions, "/permissions".into()),
        (Op::ListUsers, "/users".into()),
        (Op::UserRoles, "/users/u00/roles".into()),
        (Op::ListTeams, "/teams".into()),
        (Op::TeamMembers, "/teams/t0/members".into()),
        (
            Op::ResourceGrants,
            "/resources/okdata:dataset:ds1/grants".into(),
        ),
        (Op::MyResources, "/me/resources".into()),
        (Op::ListKeys, "/keys".into()),
        (Op::Audit, "/audit".into()),
        (
            Op::WhoCan,
            "/who-can?catalog=mage&action=LIST&entity=Pipeline".into(),
        ),
    ]
}

/// The id an item is listed by, where it is one.
fn id_of(op: Op, item: &Value) -> Option<Id> {
    let field = match op {
        Op::TeamMembers => "user",
        Op::Catalogs | Op::ResourceGrants | Op::MyResources | Op::Audit | Op::WhoCan => {
            return None;
        }
        _ => "id",
    };
    item[field].as_str().and_then(|t| Id::parse_str(t).ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_list_route_walks_each_item_exactly_once_in_order() {
    bounded(120, async {
        let f = start(ServerConfig::default()).await;
        let cases = fill(&f).await;
        let covered: HashSet<Op> = cases.iter().map(|(op, _)| *op).collect();
        for r in ROUTES.iter().filter(|r| r.op.paged()) {
            assert!(covered.contains(&r.op), "no case for the list route {r:?}");
        }
        for (op, path) in &cases {
            let whole = get(&f, &f.api(&with(path, "limit=10000"))).await;
            assert_eq!(whole.status, 200, "{path}: {}", whole.body);
            assert_eq!((whole.next, whole.link), (None, None), "{path}: one page");
            if *op != Op::Audit {
                let plain = get(&f, &f.api(path)).await;
                let same = items(&plain.body) == items(&whole.body);
                assert!(same, "{path}: without limit, the whole list");
            }
            let all = items(&whole.body);
            for k in [2, 3] {
                let pages = walk(&f, path, k).await;
                let walked: Vec<Value> = pages.concat();
                assert!(
                    pages.len() >= 2,
                    "{path} limit={k}: one page of {}",
                    walked.len()
                );
                if *op == Op::Audit {
                    // Audit pages end on whole revisions: each page's revisions are below the
                    // last page's, and every revision of the log is walked.
                    let revs = |v: &[Value]| -> Vec<u64> {
                        v.iter().filter_map(|e| e["revision"].as_u64()).collect()
                    };
                    let walked_revs = revs(&walked);
                    assert!(
                        walked_revs.windows(2).all(|w| w[0] >= w[1]),
                        "{walked_revs:?}"
                    );
                    let a: HashSet<u64> = revs(&all).into_iter().collect();
                    let w: HashSet<u64> = walked_revs.into_iter().collect();
                    assert_eq!(w, a, "{path} limit={k}");
                    continue;
                }
                for p in &pages[..pages.len() - 1] {
                    assert_eq!(p.len(), k, "{path}: a page but the last is full");
                }
                assert_eq!(walked, all, "{path} limit={k}: the pages are the list");
            }
            let ids: Vec<Id> = all.iter().filter_map(|i| id_of(*op, i)).collect();
            if id_of(*op, &all[0]).is_some() {
                assert_eq!(ids.len(), all.len(), "{path}");
                assert!(
                    ids.windows(2).all(|w| w[0] < w[1]),
                    "{path}: not in id order"
                );
            }
            let texts: HashSet<String> = all.iter().map(Value::to_string).collect();
            assert_eq!(texts.len(), all.len(), "{path}: an item twice");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_insert_or_delete_between_pages_skips_or_repeats_nothing() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let b = f.local();
        for i in 0..9 {
            add_role(&b, &format!("role{i}")).await;
        }
        let first = get(&f, &f.api("/roles?limit=4")).await;
        let page1 = items(&first.body);
        let cursor = first.next.expect("a next page");
        assert_eq!(page1.len(), 4);
        assert_eq!(page1[3]["id"].as_str(), Some(cursor.as_str()));
        // Between the pages: a role of page 1 (the cursor's own) and one of page 1's earlier
        // roles go, and a new one comes.
        for gone in [&page1[1], &page1[3]] {
            let id = Id::parse_str(gone["id"].as_str().expect("id")).expect("uuid");
            b.delete_role(id, true).await.expect("delete");
        }
        let added = add_role(&b, "late").await;
        let mut seen: Vec<Value> = page1.clone();
        let mut url = f.api(&format!("/roles?limit=4&after={cursor}"));
        loop {
            let a = get(&f, &url).await;
            assert_eq!(a.status, 200, "{}", a.body);
            seen.extend(items(&a.body));
            match a.next {
                Some(next) => url = f.api(&format!("/roles?limit=4&after={next}")),
                None => break,
            }
        }
        let names: Vec<&str> = seen.iter().filter_map(|r| r["name"].as_str()).collect();
        let unique: HashSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "a role twice: {names:?}");
        let now: Vec<String> = f
            .service
            .snapshot()
            .state
            .roles
            .values()
            .map(|r| r.name.clone())
            .collect();
        for name in &now {
            assert!(unique.contains(name.as_str()), "{name} skipped: {names:?}");
        }
        assert!(unique.contains(added.name.as_str()));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_limit_or_cursor_is_refused_naming_the_field() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let cases = fill(&f).await;
        for (op, path) in &cases {
            for (query, field) in [
                ("limit=0", "limit"),
                ("limit=10001", "limit"),
                ("limit=ten", "limit"),
                ("limit=-1", "limit"),
                ("after=", "after"),
            ] {
                let a = get(&f, &f.api(&with(path, query))).await;
                let e = &a.body["error"];
                assert_eq!(
                    (a.status, e["code"].as_str(), e["field"].as_str()),
                    (400, Some("invalid"), Some(field)),
                    "{op:?} {path}?{query}: {}",
                    a.body
                );
            }
            let a = get(&f, &f.api(&with(path, "limit=10000"))).await;
            assert_eq!(a.status, 200, "{path}: {}", a.body);
            let id_keyed = !matches!(
                op,
                Op::Catalogs | Op::MyResources | Op::WhoCan | Op::ResourceGrants | Op::Audit
            );
            if id_keyed {
                let a = get(&f, &f.api(&with(path, "after=not-an-id"))).await;
                assert_eq!(
                    (a.status, a.body["error"]["field"].as_str()),
                    (400, Some("after")),
                    "{path}: {}",
                    a.body
                );
            }
        }
        for path in [
            "/resources/okdata:dataset:ds1/grants?after=group:x",
            "/audit?after=x",
        ] {
            let a = get(&f, &f.api(path)).await;
            assert_eq!(
                (a.status, a.body["error"]["field"].as_str()),
                (400, Some("after"))
            );
        }
        let a = get(&f, &f.api("/roles?limt=10")).await;
        assert_eq!(
            (a.status, a.body["error"]["field"].as_str()),
            (400, Some("query"))
        );
    })
    .await;
}

/// The report: `?limit=10` on 50k permissions answered all of them (17.8 MB).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_ten_on_fifty_thousand_permissions_answers_ten() {
    bounded(300, async {
        let f = start(ServerConfig::default()).await;
        let n = 50_000;
        let changes: Vec<Change> = (0..n)
            .map(|i| {
                Change::Create(Object::Permission(
                    crate::support::build::numbered_permission(i),
                ))
            })
            .collect();
        let store = f.reopen_store().await;
        store.commit("bulk", &changes).await.expect("commit");
        f.service.refresh_if_stale().await.expect("refresh");
        assert!(f.service.snapshot().state.permissions.len() > n);
        let res = reqwest::Client::new()
            .get(f.api("/permissions?limit=10"))
            .bearer_auth(&f.admin_key)
            .send()
            .await
            .expect("send");
        assert_eq!(res.status().as_u16(), 200);
        let next = res.headers().get(NEXT_CURSOR_HEADER).cloned();
        let bytes = res.bytes().await.expect("body");
        let rows: Vec<Value> = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(rows.len(), 10);
        assert!(next.is_some(), "more remain");
        assert!(bytes.len() < 20_000, "{} bytes for 10 rows", bytes.len());
        // The last page, far in: still 10 rows at most, and none after it.
        let snap = f.service.snapshot();
        let total = snap.state.permissions.len();
        let last = snap.state.permissions.keys().nth(total - 5).copied();
        let last = last.expect("a permission");
        let a = get(&f, &f.api(&format!("/permissions?limit=10&after={last}"))).await;
        assert_eq!((items(&a.body).len(), a.next), (4, None));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_backend_reads_whole_lists_through_small_pages() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        fill(&f).await;
        let local = f.local();
        let http = f.http(&f.admin_key).page_size(2);
        let grants = http
            .resource_grants("okdata:dataset:ds1")
            .await
            .expect("grants");
        assert!(grants.len() > 2);
        assert_eq!(
            grants,
            local
                .resource_grants("okdata:dataset:ds1")
                .await
                .expect("local")
        );
        let mine = http.my_resource_grants().await.expect("mine");
        assert!(mine.len() > 2);
        assert_eq!(mine, local.my_resource_grants().await.expect("local mine"));
        let req = crate::support::build::request(Id::nil(), "mage", "LIST", "Pipeline");
        let who = http.who_can(req.clone()).await.expect("who-can");
        assert!(who.len() > 2);
        assert_eq!(who, local.who_can(req).await.expect("local who-can"));
        // Catalogs are read (and compared with this gatehouse's) through pages too.
        assert_eq!(
            http.catalogs().await.expect("catalogs").names().len(),
            local.catalogs().await.expect("local").names().len()
        );
    })
    .await;
}

#[tokio::test]
async fn the_audit_logs_next_link_works_from_a_first_page_asked_with_before() {
    bounded(60, async {
        let f = start(ServerConfig::default()).await;
        let client = reqwest::Client::new();
        for i in 0..6 {
            let res = client
                .post(f.api("/roles"))
                .bearer_auth(&f.admin_key)
                .json(&serde_json::json!({ "name": format!("audited{i}") }))
                .send()
                .await
                .expect("send");
            assert!(res.status().is_success(), "{}", res.status());
        }
        // `before` starts the first page; the cursor replaces it in each next link (kept, the
        // next request would name two starts and be refused).
        let pages = walk(&f, "/audit?before=1000000", 2).await;
        let events: Vec<Value> = pages.into_iter().flatten().collect();
        assert!(events.len() >= 6, "{} events", events.len());
        let ids: HashSet<String> = events.iter().map(Value::to_string).collect();
        assert_eq!(ids.len(), events.len(), "no event twice");
    })
    .await;
}
