//! A live Mage server (ignored: "needs a Mage server"): a list command reads only the lists it
//! shows (README, "Fast against Mage"), and what it prints is what a read of everything prints.

use crate::mage_support::{admin, bounded, live_url, serial, unique};
use gatehouse::backend::{Backend, Password, PermissionSpec, Reads, RoleSpec, UserSpec};
use gatehouse::connect::MageBackend;
use gatehouse::connect::mage::Login;
use gatehouse::policy::Link;
use std::path::Path;

/// `gatehouse --mage URL ARGS` as the owner; `read_all` turns the partial reads off.
fn cli(url: &str, state: &Path, read_all: bool, args: &[&str]) -> String {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    c.args(["--mage", url, "--mage-user", "admin@admin.com"])
        .args(args)
        .env("GATEHOUSE_MAGE_PASSWORD", "admin")
        .env("GATEHOUSE_STATE_DIR", state)
        .env_remove("GATEHOUSE_DB")
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env("XDG_CONFIG_HOME", "/nonexistent-gatehouse-config")
        .stdin(std::process::Stdio::null());
    if read_all {
        c.env("GATEHOUSE_MAGE_READ_ALL", "1");
    } else {
        c.env_remove("GATEHOUSE_MAGE_READ_ALL");
    }
    let out = c.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A role holding a permission, given to a user; and a permission no role holds.
async fn linked(b: &MageBackend, tag: &str) -> (String, gatehouse::model::Id) {
    let role = b
        .create_role(RoleSpec {
            name: format!("reads-{tag}"),
            ..RoleSpec::default()
        })
        .await
        .unwrap();
    let perm = b
        .create_permission(PermissionSpec {
            catalog: "mage".into(),
            entity: "Tag".into(),
            grants: vec!["LIST".into(), "READ_ALL".into()],
            ..PermissionSpec::default()
        })
        .await
        .unwrap();
    let user = b
        .create_user(UserSpec {
            username: format!("reads-{tag}"),
            email: format!("reads-{tag}@example.com"),
            password: Some(Password("reads-pass-1".into())),
            ..UserSpec::default()
        })
        .await
        .unwrap();
    b.link(Link::RolePermission {
        role: role.id,
        permission: perm.id,
    })
    .await
    .unwrap();
    b.link(Link::UserRole {
        user: user.id,
        role: role.id,
    })
    .await
    .unwrap();
    let alone = b
        .create_permission(PermissionSpec {
            catalog: "mage".into(),
            entity: "Tag".into(),
            grants: vec!["DETAIL".into(), "READ_ALL".into()],
            ..PermissionSpec::default()
        })
        .await
        .unwrap();
    (role.name, alone.id)
}

#[tokio::test]
#[ignore = "needs a Mage server"]
async fn a_list_reads_only_its_lists_and_prints_what_a_full_read_prints() {
    let Some(url) = live_url() else { return };
    let _one = serial().await;
    bounded(300, async {
        let b = admin(&url).await;
        let tag = unique();
        let (role, alone) = linked(&b, &tag).await;
        // The library: each part holds what it names and nothing it does not.
        for reads in [Reads::USERS, Reads::PERMISSIONS, Reads::ALL] {
            let m = MageBackend::new(
                &url,
                Login {
                    user: "admin@admin.com".into(),
                    password: "admin".into(),
                },
            )
            .unwrap();
            m.connect_and_read_for(reads).await.unwrap();
            let s = m.state_for(reads).await.unwrap();
            let full = m.state().await.unwrap();
            assert!(s.role_by_name(&role).is_some(), "{reads:?}");
            assert_eq!(s.users.is_empty(), !reads.users, "{reads:?}");
            let has_alone = s.permissions.iter().any(|p| p.id() == alone);
            assert_eq!(
                has_alone, reads.permissions,
                "{reads:?}: the unlinked permission"
            );
            // What it holds is what a read of everything holds.
            // A role's creator is a user: named only when the users and roles were read.
            let mut roles = full.roles.clone();
            if !reads.users || !reads.roles {
                roles.values_mut().for_each(|r| r.created_by = None);
            }
            if reads.roles {
                assert_eq!(s.roles, roles, "{reads:?}");
            } else {
                // Without the roles list: exactly the roles some user holds, as read in full.
                let held: std::collections::BTreeSet<_> =
                    full.user_roles.iter().map(|(_, r)| *r).collect();
                roles.retain(|id, _| held.contains(id));
                assert_eq!(s.roles, roles, "{reads:?}");
            }
            if reads.permissions {
                assert_eq!(s.role_permissions, full.role_permissions, "{reads:?}");
            } else {
                assert!(s.role_permissions.is_empty(), "{reads:?}");
            }
            if reads.users {
                assert_eq!(s.users, full.users, "{reads:?}");
                assert_eq!(s.user_roles, full.user_roles, "{reads:?}");
            }
            for p in s.permissions.iter() {
                let id = p.id();
                assert_eq!(
                    full.permissions.get(&id),
                    s.permissions.get(&id),
                    "{reads:?}"
                );
            }
        }
        // The CLI: every command that reads a part prints what it prints after a full read.
        let state = tempfile::tempdir().unwrap();
        for args in [vec!["users", "ls"], vec!["permissions", "ls"]] {
            for json in [false, true] {
                let mut a = args.clone();
                if json {
                    a.extend(["-o", "json"]);
                }
                let part = cli(&url, state.path(), false, &a);
                let all = cli(&url, state.path(), true, &a);
                assert_eq!(part, all, "{a:?}");
                if args[0] == "users" {
                    assert!(
                        part.contains(&role),
                        "{a:?}: the user's role is named: {part}"
                    );
                }
            }
        }
        b.delete_permission(alone, true).await.unwrap();
        tidy(&b, &tag).await;
    })
    .await;
}

/// Deletes what `linked` made.
async fn tidy(b: &MageBackend, tag: &str) {
    let s = b.state().await.unwrap();
    let name = format!("reads-{tag}");
    if let Some(r) = s.role_by_name(&name) {
        let linked: Vec<_> = s
            .role_permissions
            .iter()
            .filter(|(x, _)| *x == r.id)
            .map(|(_, p)| *p)
            .collect();
        b.delete_role(r.id, true).await.unwrap();
        for p in linked {
            b.delete_permission(p, true).await.unwrap();
        }
    }
    if let Some(u) = s.users.values().find(|u| u.username == name) {
        b.delete_user(u.id, true).await.unwrap();
    }
}
