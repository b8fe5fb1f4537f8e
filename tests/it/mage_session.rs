//! A live Mage server (ignored: "needs a Mage server"): the session token kept between runs
//! (one file per server and login, mode 0600, reused without a login, replaced after a refusal),
//! collections read page by page together, and ids of deleted objects that never reach the
//! object Mage gives the same number to.

use crate::mage_support::{self, admin, bounded, live_url, person, serial, unique};
use crate::support::build::add_role;
use gatehouse::backend::{Backend, Error, PermissionSpec, RoleSpec};
use gatehouse::connect::mage::tokens::Saved;
use gatehouse::connect::mage::wire::{MageKind, MagePermission, MageRole, MageUser, mage_id};
use gatehouse::connect::mage::{Login, MageClient, TokenCache};
use gatehouse::policy::Link;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The login of Mage's default owner.
const ADMIN: &str = "admin@admin.com";

fn login(user: &str, password: &str) -> Login {
    Login {
        user: user.into(),
        password: password.into(),
    }
}

fn client(url: &str, user: &str, password: &str, cache: &TokenCache) -> MageClient {
    MageClient::new(url, login(user, password))
        .unwrap()
        .with_token_cache(Some(cache.clone()))
}

/// A client of the owner's on `cache`.
fn owner_client(url: &str, cache: &TokenCache) -> MageClient {
    client(url, ADMIN, "admin", cache)
}

/// A new owner's client on `cache` that has read the roles (logging in only if it had to).
async fn roles_read(url: &str, cache: &TokenCache) -> (MageClient, Vec<MageRole>) {
    let c = owner_client(url, cache);
    let roles = c.list::<MageRole>("roles", "").await.unwrap();
    (c, roles)
}

/// A new owner's client on `cache` with its session resumed (a login if none was saved).
async fn resumed(url: &str, cache: &TokenCache) -> MageClient {
    let c = owner_client(url, cache);
    c.resume().await.unwrap();
    c
}

/// A token cache in a new directory (gone with the first value) holding the owner's session,
/// and the client that logged in for it.
async fn saved_session(url: &str) -> (tempfile::TempDir, TokenCache, MageClient) {
    let state = tempfile::tempdir().unwrap();
    let cache = TokenCache::at(state.path());
    let first = resumed(url, &cache).await;
    assert_eq!(first.logins(), 1, "a new cache holds no session");
    (state, cache, first)
}

/// The saved files of a state directory.
fn saved_files(state: &Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(state.join("mage-sessions")) {
        Ok(d) => d.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// `gatehouse --mage URL --mage-user admin@admin.com ARGS` with its state in `state`.
fn cli(url: &str, state: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["--mage", url, "--mage-user", ADMIN])
        .args(args)
        .env("GATEHOUSE_MAGE_PASSWORD", "admin")
        .env("GATEHOUSE_STATE_DIR", state)
        .env_remove("GATEHOUSE_MAGE_TOKEN_CACHE")
        .env_remove("GATEHOUSE_DB")
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env("XDG_CONFIG_HOME", "/nonexistent-gatehouse-config")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn a_cli_run_saves_its_token_privately_and_the_next_run_logs_in_no_more() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(120, async {
        let state = tempfile::tempdir().unwrap();
        let first = ok(&cli(&url, state.path(), &["roles", "ls", "-o", "json"]));
        assert!(first.contains("\"Owner\""), "{first}");
        let files = saved_files(state.path());
        assert_eq!(files.len(), 1, "{files:?}");
        let meta = std::fs::metadata(&files[0]).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let dir = std::fs::metadata(state.path().join("mage-sessions")).unwrap();
        assert_eq!(dir.permissions().mode() & 0o777, 0o700);
        let text = std::fs::read_to_string(&files[0]).unwrap();
        let saved: Saved = serde_json::from_str(&text).unwrap();
        let keys: Vec<String> = serde_json::from_str::<serde_json::Value>(&text)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["expires", "login_user", "token", "url", "user"]);
        assert_eq!(saved.user, ADMIN);

        // Every login is a new token (docs/MAGE.md §5.2): the file keeps the first one when
        // the next runs log in no more.
        let modified = meta.modified().unwrap();
        let again = ok(&cli(&url, state.path(), &["roles", "ls", "-o", "json"]));
        assert_eq!(again, first);
        ok(&cli(&url, state.path(), &["users", "ls"]));
        let after: Saved =
            serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
        assert_eq!(after.token, saved.token, "a later run logged in again");
        assert_eq!(
            std::fs::metadata(&files[0]).unwrap().modified().unwrap(),
            modified
        );

        // logout ends the session on the server and drops the file.
        let out = ok(&cli(&url, state.path(), &["logout"]));
        assert!(out.contains("logged out"), "{out}");
        assert!(saved_files(state.path()).is_empty());
        let cache = TokenCache::at(state.path().join("mage-sessions"));
        cache.save(&saved);
        let (c, _) = roles_read(&url, &cache).await;
        assert_eq!(c.logins(), 1, "the logged-out token was refused");
        let out = ok(&cli(&url, state.path(), &["logout"]));
        assert!(out.contains("logged out"), "{out}");
        let out = ok(&cli(&url, state.path(), &["logout"]));
        assert!(out.contains("no saved session"), "{out}");
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn a_refused_or_garbage_token_logs_in_once_and_is_replaced() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(120, async {
        let (_state, cache, first) = saved_session(&url).await;
        let good = cache.load(first.url(), ADMIN).unwrap();

        // A token Mage does not know, still unexpired by its own word.
        cache.save(&Saved {
            token: "not-a-token-mage-knows".into(),
            ..good.clone()
        });
        let (c, roles) = roles_read(&url, &cache).await;
        assert!(roles.iter().any(|r| r.name == "Owner"));
        assert_eq!(c.logins(), 1, "one login after the refusal");
        let replaced = cache.load(c.url(), ADMIN).unwrap();
        assert_ne!(replaced.token, "not-a-token-mage-knows");

        // The replacement is used as it is by the next client.
        let (next, _) = roles_read(&url, &cache).await;
        assert_eq!(next.logins(), 0);

        // Garbage in the file: ignored, then overwritten; the CLI succeeds.
        let file = cache.file(c.url(), ADMIN);
        std::fs::write(&file, b"\x00garbage{").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let (g, _) = roles_read(&url, &cache).await;
        assert_eq!(g.logins(), 1);
        assert!(cache.load(g.url(), ADMIN).is_some());

        // An expired token is not even sent.
        let expired = Saved {
            expires: 1.0,
            ..cache.load(g.url(), ADMIN).unwrap()
        };
        cache.save(&expired);
        assert_eq!(resumed(&url, &cache).await.logins(), 1);
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn a_token_file_others_may_read_is_not_used() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(120, async {
        let (_state, cache, first) = saved_session(&url).await;
        let file = cache.file(first.url(), ADMIN);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (c, _) = roles_read(&url, &cache).await;
        assert_eq!(c.logins(), 1, "the world-readable token was used");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the new login replaced it privately");
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn two_logins_on_one_server_keep_separate_tokens() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(120, async {
        let b = admin(&url).await;
        let name = format!("tok{}", unique());
        let email = format!("{name}@example.com");
        let user = b
            .create_user(person(&name, "token-pass-123"))
            .await
            .unwrap();
        let state = tempfile::tempdir().unwrap();
        let cache = TokenCache::at(state.path().join("mage-sessions"));
        let a = resumed(&url, &cache).await;
        let o = client(&url, &email, "token-pass-123", &cache);
        o.resume().await.unwrap();
        assert_eq!(saved_files(state.path()).len(), 2);
        let sa = cache.load(a.url(), ADMIN).unwrap();
        let so = cache.load(o.url(), &email).unwrap();
        assert_ne!(sa.token, so.token);
        // Each later client is its own user again, without a login.
        let a2 = owner_client(&url, &cache);
        let o2 = client(&url, &email, "token-pass-123", &cache);
        assert_eq!(a2.me().await.unwrap()["username"], "admin");
        assert_eq!(o2.me().await.unwrap()["username"], name.as_str());
        assert_eq!(a2.logins() + o2.logins(), 0);
        // A backend on the saved session is that user, under the id the state reads.
        let backend = gatehouse::connect::MageBackend::new(&url, login(ADMIN, "admin"))
            .unwrap()
            .token_cache(Some(cache.clone()));
        backend.connect().await.unwrap();
        let me = backend.me().await.unwrap();
        assert_eq!(me.username, "admin");
        let s = backend.state().await.unwrap();
        assert_eq!(me.user, Some(s.user_by_name("admin").unwrap().id));
        assert_eq!(backend.client().logins(), 0);
        b.delete_user(user.id, true).await.unwrap();
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn later_pages_are_read_together_and_in_order() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(120, async {
        let b = admin(&url).await;
        // Enough roles for several pages of two.
        let mut made = Vec::new();
        for i in 0..5 {
            made.push(add_role(&b, &format!("gh-page-{}-{i}", unique())).await);
        }
        // And users: a fresh server holds only its owner.
        let mut people = Vec::new();
        for i in 0..2 {
            let name = format!("ghpage{}{i}", unique());
            people.push(b.create_user(person(&name, "page-pass-1")).await.unwrap());
        }
        let whole = MageClient::new(&url, login(ADMIN, "admin")).unwrap();
        let paged = MageClient::new(&url, login(ADMIN, "admin"))
            .unwrap()
            .with_page_size(2);
        agree::<MageRole>(&whole, &paged, "roles", "", |r| r.id).await;
        agree::<MagePermission>(&whole, &paged, "permissions", "_format=role/detail", |p| {
            p.id
        })
        .await;
        agree::<MageUser>(&whole, &paged, "users", "_format=list", |u| u.id).await;
        for r in made {
            b.delete_role(r.id, true).await.unwrap();
        }
        for u in people {
            b.delete_user(u.id, true).await.unwrap();
        }
    })
    .await;
}

/// Reads `what` whole and two at a time and compares the ids. Other test binaries may change
/// the server meanwhile: a paged read counts when the whole reads just before and after it
/// agree.
async fn agree<T: serde::de::DeserializeOwned>(
    whole: &MageClient,
    paged: &MageClient,
    what: &str,
    query: &str,
    id: fn(&T) -> i64,
) {
    for _ in 0..5 {
        let ids = |v: Vec<T>| v.iter().map(id).collect::<Vec<i64>>();
        let before = ids(whole.list(what, query).await.unwrap());
        let got = ids(paged.list(what, query).await.unwrap());
        let after = ids(whole.list(what, query).await.unwrap());
        if before == after {
            assert!(before.len() >= 3, "{what}: {before:?}");
            assert_eq!(got, before, "{what} read two at a time");
            return;
        }
    }
    panic!("{what} kept changing");
}

/// Waits past the second `created_at` is kept in, so a newer object's differs.
async fn next_second() {
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

fn refused(kind: &str, r: gatehouse::backend::Result<impl std::fmt::Debug>) {
    match r {
        Err(e @ Error::NotFound { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("deleted") && text.contains("refresh"),
                "{kind}: {text}"
            );
        }
        other => panic!("{kind}: a write through a deleted object's id went through: {other:?}"),
    }
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn an_id_of_a_deleted_object_never_reaches_the_one_that_reuses_its_number() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(180, async {
        let b = admin(&url).await;
        let s = b.state().await.unwrap();
        let owner_user = s.user_by_name("admin").expect("the owner").id;
        let tag = unique();

        // Roles: SQLite hands the deleted last row's number to the next one.
        let old = add_role(&b, &format!("gh-old-{tag}")).await;
        b.delete_role(old.id, true).await.unwrap();
        next_second().await;
        let new = add_role(&b, &format!("gh-new-{tag}")).await;
        assert_eq!(
            mage_id(MageKind::Role, &new.id),
            mage_id(MageKind::Role, &old.id),
            "Mage did not reuse the number; this test needs it to"
        );
        assert_ne!(new.id, old.id);
        let spec = RoleSpec {
            name: format!("gh-hijacked-{tag}"),
            description: String::new(),
        };
        refused("update role", b.update_role(old.id, spec, 0).await);
        refused("delete role", b.delete_role(old.id, true).await);
        refused(
            "assign role",
            b.link(Link::UserRole {
                user: owner_user,
                role: old.id,
            })
            .await,
        );

        // Permissions and users the same way.
        let perm = |entity: &str| PermissionSpec {
            catalog: "mage".into(),
            entity: entity.into(),
            grants: vec!["LIST".into()],
            ..Default::default()
        };
        let old_p = b.create_permission(perm("Pipeline")).await.unwrap();
        b.delete_permission(old_p.id, true).await.unwrap();
        next_second().await;
        let new_p = b.create_permission(perm("Secret")).await.unwrap();
        assert_eq!(
            mage_id(MageKind::Permission, &new_p.id),
            mage_id(MageKind::Permission, &old_p.id)
        );
        refused(
            "update permission",
            b.update_permission(old_p.id, perm("Block"), 0).await,
        );
        refused(
            "link permission",
            b.link(Link::RolePermission {
                role: new.id,
                permission: old_p.id,
            })
            .await,
        );
        refused(
            "delete permission",
            b.delete_permission(old_p.id, true).await,
        );

        let user = |name: &str| person(name, "reuse-pass-123");
        let old_u = b.create_user(user(&format!("ghold{tag}"))).await.unwrap();
        b.delete_user(old_u.id, true).await.unwrap();
        next_second().await;
        let new_u = b.create_user(user(&format!("ghnew{tag}"))).await.unwrap();
        assert_eq!(
            mage_id(MageKind::User, &new_u.id),
            mage_id(MageKind::User, &old_u.id)
        );
        let mut edit = user(&format!("ghhijack{tag}"));
        edit.password = None;
        refused("update user", b.update_user(old_u.id, edit, 0).await);
        refused(
            "assign to user",
            b.link(Link::UserRole {
                user: old_u.id,
                role: new.id,
            })
            .await,
        );
        refused("delete user", b.delete_user(old_u.id, true).await);

        // The newcomers are untouched, and their own ids still work.
        let s = b.state().await.unwrap();
        assert_eq!(s.roles[&new.id].name, format!("gh-new-{tag}"));
        assert_eq!(s.permissions.get(&new_p.id).unwrap().entity, "Secret");
        assert_eq!(s.users[&new_u.id].username, format!("ghnew{tag}"));
        assert!(!s.user_roles.iter().any(|(_, r)| *r == new.id));
        assert!(!s.role_permissions.iter().any(|(r, _)| *r == new.id));
        let raw = mage_support::raw_get(
            &b,
            &format!("roles/{}", mage_id(MageKind::Role, &new.id).unwrap()),
        )
        .await;
        assert_eq!(raw["role"]["name"], format!("gh-new-{tag}"));
        b.update_role(
            new.id,
            RoleSpec {
                name: format!("gh-new2-{tag}"),
                description: String::new(),
            },
            0,
        )
        .await
        .expect("the new role's own id works");
        b.delete_user(new_u.id, true).await.unwrap();
        b.delete_permission(new_p.id, true).await.unwrap();
        b.delete_role(new.id, true).await.unwrap();
    })
    .await;
}
