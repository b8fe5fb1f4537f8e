//! `apply` on a live Mage 0.9.80 (ignored: "needs a Mage server"): a plan's changes step by
//! step — created objects' ids mapped to Mage's before later links use them, the document
//! plans nothing afterwards; the first failing step stops the run and the error says how many
//! were applied; a server that moved since the plan is refused with nothing written.

use crate::mage_support::{admin, bounded, live_url, serial, unique};
use gatehouse::backend::plan::plan;
use gatehouse::backend::{Backend, Error, PolicyDoc, RoleSpec};
use gatehouse::model::{Id, Role, new_id, now};
use gatehouse::policy::{Change, Link, Object};

fn doc(u: &str) -> String {
    format!(
        r#"
[[roles]]
name = "ap-{u}-editors"
permissions = ["pipe", "own-user"]

[[roles]]
name = "ap-{u}-viewers"
permissions = ["pipe"]

[[permissions]]
key = "pipe"
catalog = "mage"
entity = "Pipeline"
entity_uuid = "ap_{u}_pipeline"
grants = ["DETAIL", "READ_ALL"]
denies = ["DELETE"]

[[permissions]]
key = "own-user"
catalog = "mage"
entity = "User"
grants = ["READ"]
conditions = ["USER_OWNS_ENTITY"]
"#
    )
}

fn role(name: &str) -> Role {
    let t = now();
    Role {
        id: new_id(),
        name: name.into(),
        description: String::new(),
        created_by: None,
        created_at: t,
        updated_at: t,
        version: 1,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Mage server"]
async fn apply_on_mage_step_by_step() {
    let Some(url) = live_url() else {
        return;
    };
    let _one = serial().await;
    bounded(300, async {
        let b = admin(&url).await;
        let u = unique();
        let d = PolicyDoc::from_toml(&doc(&u)).unwrap();
        let state = b.state().await.unwrap();
        let catalogs = b.catalogs().await.unwrap();
        let p = plan(&state, &d, &catalogs, false).unwrap();
        assert_eq!(p.changes.len(), 7, "{:?}", p.items);
        // Another writer moves the server: the plan is refused, nothing written.
        let other = admin(&url).await;
        other
            .create_role(RoleSpec {
                name: format!("ap-{u}-moved"),
                description: String::new(),
            })
            .await
            .unwrap();
        let err = b
            .apply_changes(p.changes.clone(), Some(state.revision))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Stale { .. }), "{err:?}");
        let now = b.state().await.unwrap();
        assert!(now.role_by_name(&format!("ap-{u}-editors")).is_none());
        // Planned again and applied: the document then plans nothing.
        let p = plan(&now, &d, &catalogs, false).unwrap();
        b.apply_changes(p.changes, Some(now.revision))
            .await
            .unwrap();
        let after = b.state().await.unwrap();
        // Mage keeps no description (it shows one of its own): planned as for a backend that
        // keeps them, the hand-written document would update descriptions forever; planned
        // as `plan` and `apply` plan for Mage, it plans nothing. Its export plans nothing.
        let keeping = plan(&after, &d, &catalogs, false).unwrap();
        assert!(
            !keeping.is_empty()
                && keeping
                    .items
                    .iter()
                    .all(|i| i.fields.len() == 1 && i.fields[0].field == "description"),
            "{:?}",
            keeping.items
        );
        let again =
            gatehouse::backend::plan::plan_keeping(&after, &d, &catalogs, false, false).unwrap();
        assert!(again.is_empty(), "{:?}", again.items);
        let export = b.export().await.unwrap();
        let same = plan(&after, &export, &catalogs, false).unwrap();
        assert!(same.is_empty(), "{:?}", same.items);
        let editors = after.role_by_name(&format!("ap-{u}-editors")).unwrap();
        let held = after
            .links_to(gatehouse::model::ObjectKind::Role, editors.id)
            .into_iter()
            .filter(|l| matches!(l, Link::RolePermission { .. }))
            .count();
        assert_eq!(held, 2);
        // The second of three steps fails: the first stays, the third is never sent.
        let first = role(&format!("ap-{u}-first"));
        let changes = vec![
            Change::Create(Object::Role(first.clone())),
            Change::Link(Link::RolePermission {
                role: first.id,
                permission: Id::from_u128(7),
            }),
            Change::Create(Object::Role(role(&format!("ap-{u}-third")))),
        ];
        let err = b.apply_changes(changes, None).await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("applied 1 of 3 changes; stopped at: + role_permission"),
            "{text}"
        );
        let end = b.state().await.unwrap();
        assert!(end.role_by_name(&format!("ap-{u}-first")).is_some());
        assert!(end.role_by_name(&format!("ap-{u}-third")).is_none());
        // Teams are refused before anything is sent.
        let err = b
            .apply_changes(
                vec![Change::Link(Link::TeamRole {
                    team: new_id(),
                    role: editors.id,
                })],
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    })
    .await;
}
