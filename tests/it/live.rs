//! The live view's backend side: every backend re-reads on `state()` and wakes
//! `wait_for_change` when another process writes — a local SQLite store (polled revision),
//! a `gatehouse serve` server (`GET /watch` long-poll) — and `GET /watch` is strict.

use crate::support::{self, bounded, two_on_one_file};
use gatehouse::backend::Backend;
use gatehouse::backend::UserSpec;
use gatehouse::connect::LocalBackend;
use std::time::Duration;

fn user(name: &str) -> UserSpec {
    UserSpec {
        username: name.into(),
        email: format!("{name}@example.com"),
        ..Default::default()
    }
}

#[tokio::test]
async fn local_state_picks_up_a_write_made_by_another_process() {
    bounded(30, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let (console, cli) = two_on_one_file(dir.path()).await;
        let before = console.state().await.expect("state");
        assert!(before.user_by_name("carol").is_none());
        cli.create_user(user("carol")).await.expect("create");
        let after = console.state().await.expect("state");
        assert!(
            after.user_by_name("carol").is_some(),
            "the console's state() must show the other process's user"
        );
        assert!(after.revision > before.revision);
    })
    .await;
}

#[tokio::test]
async fn local_wait_for_change_wakes_on_another_process_write() {
    bounded(30, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let (console, cli) = two_on_one_file(dir.path()).await;
        let rev = console.state().await.expect("state").revision;
        // Nothing happens: the wait ends with the same revision.
        let same = console
            .wait_for_change(rev, Duration::from_millis(300))
            .await
            .expect("wait");
        assert_eq!(same, rev);
        // Behind already: answers at once with the current revision.
        let now = console
            .wait_for_change(0, Duration::from_secs(20))
            .await
            .expect("wait");
        assert_eq!(now, rev);
        let waiter = tokio::spawn(async move {
            let r = console.wait_for_change(rev, Duration::from_secs(20)).await;
            (r, console)
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        cli.create_user(user("dave")).await.expect("create");
        let (moved, console) = waiter.await.expect("join");
        let moved = moved.expect("wait");
        assert!(
            moved > rev,
            "the wait ended without the write ({moved} <= {rev})"
        );
        let state = console.state().await.expect("state");
        assert!(state.user_by_name("dave").is_some());
        assert_eq!(state.revision, moved);
    })
    .await;
}

#[tokio::test]
async fn server_watch_long_poll_answers_on_the_next_write() {
    bounded(60, async {
        let f = support::start(Default::default()).await;
        let http = f.http(&f.admin_key);
        let rev = http.state().await.expect("state").revision;
        let same = http
            .wait_for_change(rev, Duration::from_secs(1))
            .await
            .expect("watch");
        assert_eq!(same, rev, "nothing was written");
        let watcher = f.http(&f.viewer_key);
        let waiting =
            tokio::spawn(
                async move { watcher.wait_for_change(rev, Duration::from_secs(30)).await },
            );
        tokio::time::sleep(Duration::from_millis(200)).await;
        // A write by another process on the same store file: the server's follower picks it
        // up and the long-poll answers.
        let other = LocalBackend::open(&f.dir.path().join("gatehouse.db"), None, false)
            .await
            .expect("open the server's store file");
        other.create_user(user("erin")).await.expect("create");
        let moved = waiting.await.expect("join").expect("watch");
        assert!(moved > rev, "the long-poll ended without the write");
        assert_eq!(moved, f.revision());
    })
    .await;
}

#[tokio::test]
async fn server_watch_refuses_unknown_parameters_and_needs_a_key() {
    bounded(30, async {
        let f = support::start(Default::default()).await;
        let client = reqwest::Client::new();
        let bad = client
            .get(f.api("/watch?after=1&waitt=3"))
            .bearer_auth(&f.admin_key)
            .send()
            .await
            .expect("send");
        assert_eq!(bad.status().as_u16(), 400);
        let text = bad.text().await.expect("body");
        assert!(text.contains("waitt"), "{text}");
        let anonymous = client
            .get(f.api("/watch?after=1"))
            .send()
            .await
            .expect("send");
        assert_eq!(anonymous.status().as_u16(), 401);
        let ok = client
            .get(f.api("/watch?after=0&wait=1"))
            .bearer_auth(&f.viewer_key)
            .send()
            .await
            .expect("send");
        assert_eq!(ok.status().as_u16(), 200);
        let body: serde_json::Value = ok.json().await.expect("json");
        assert_eq!(body["revision"].as_u64(), Some(f.revision()));
    })
    .await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn postgres_change_feed_wakes_a_waiting_console_without_polling() {
    use crate::support::pg;
    use gatehouse::catalog::Catalogs;
    use gatehouse::service::Service;
    use gatehouse::store::PgStore;
    use std::sync::Arc;
    let Some(guard) = pg::fresh() else { return };
    bounded(60, async {
        let (url, schema) = (&guard.url, &guard.schema);
        let catalogs = Arc::new(Catalogs::builtin().expect("catalogs"));
        let open = || async {
            let store = PgStore::open_in_schema(url, schema).await.expect("open");
            Arc::new(
                Service::open(Arc::new(store), catalogs.clone())
                    .await
                    .expect("service"),
            )
        };
        let console = open().await;
        let writer = open().await;
        writer.init("root").await.expect("init");
        console.refresh_if_stale().await.expect("refresh");
        let rev = console.snapshot().state.revision;
        assert!(rev > 0);
        // A poll far longer than the wait: only the LISTEN feed can end it early.
        let waiting = {
            let console = console.clone();
            tokio::spawn(async move {
                console
                    .wait_past(rev, Duration::from_secs(30), Duration::from_secs(3600))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let other = LocalBackend::new(
            writer.clone(),
            gatehouse::service::Actor::system(),
            "writer",
        );
        other.create_user(user("frank")).await.expect("create");
        // Bounded well inside the 30 s wait: only the feed can end it in time.
        let moved = tokio::time::timeout(Duration::from_secs(15), waiting)
            .await
            .expect("the change feed did not wake the wait")
            .expect("join")
            .expect("wait");
        assert!(moved > rev, "the feed did not wake the wait");
        assert!(console.snapshot().state.user_by_name("frank").is_some());
    })
    .await;
}

#[tokio::test]
async fn a_stale_update_over_http_is_a_typed_stale_error_with_the_current_version() {
    use gatehouse::backend::{Error, RoleSpec};
    bounded(30, async {
        let f = support::start(Default::default()).await;
        let http = f.http(&f.admin_key);
        let spec = |d: &str| RoleSpec {
            name: "Editors".into(),
            description: d.into(),
        };
        let r = http.create_role(spec("one")).await.expect("create");
        http.update_role(r.id, spec("two"), r.version)
            .await
            .expect("update");
        let e = http
            .update_role(r.id, spec("three"), r.version)
            .await
            .expect_err("stale");
        assert!(e.is_stale(), "{e:?}");
        assert!(matches!(e, Error::Stale { .. }));
        assert_eq!(e.current_version(), Some(r.version + 1));
        assert_eq!(e.exit_code(), 4);
    })
    .await;
}
