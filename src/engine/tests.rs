use super::*;
use crate::catalog::{Catalogs, access_to_flags};
use crate::model::{Permission, Principal, Role, Team, User, UserKind, now};
use crate::policy::State;
use uuid::Uuid;

/// A tiny world builder for scenario tests.
#[derive(Clone)]
pub(super) struct W {
    pub(super) s: State,
    n: u128,
}

impl W {
    pub(super) fn new() -> W {
        W {
            s: State::default(),
            n: 1,
        }
    }
    pub(super) fn id(&mut self) -> Id {
        self.n += 1;
        Uuid::from_u128(self.n)
    }
    pub(super) fn user(&mut self, name: &str) -> Id {
        let id = self.id();
        let t = now();
        self.s.users.insert(
            id,
            User {
                id,
                username: name.into(),
                email: String::new(),
                display_name: String::new(),
                kind: UserKind::Person,
                disabled: false,
                owner: false,
                created_at: t,
                updated_at: t,
                version: 1,
                first_name: String::new(),
                last_name: String::new(),
            },
        );
        id
    }
    pub(super) fn team(&mut self, key: &str) -> Id {
        let id = self.id();
        let t = now();
        self.s.teams.insert(
            id,
            Team {
                id,
                key: key.into(),
                name: key.into(),
                description: String::new(),
                default_role: None,
                created_at: t,
                updated_at: t,
                version: 1,
            },
        );
        id
    }
    pub(super) fn role(&mut self, name: &str) -> Id {
        let id = self.id();
        let t = now();
        self.s.roles.insert(
            id,
            Role {
                id,
                name: name.into(),
                description: String::new(),
                created_at: t,
                updated_at: t,
                version: 1,
                created_by: None,
            },
        );
        id
    }
    pub(super) fn perm(
        &mut self,
        catalog: &str,
        entity: &str,
        uuid: Option<&str>,
        grants: &[&str],
        denies: &[&str],
        conds: &[&str],
    ) -> Id {
        let id = self.id();
        let t = now();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let mut p = Permission {
            id,
            catalog: catalog.into(),
            entity: entity.into(),
            entity_uuid: uuid.map(Into::into),
            grants: s(grants),
            denies: s(denies),
            conditions: s(conds),
            query_attributes: vec![],
            read_attributes: vec![],
            write_attributes: vec![],
            description: String::new(),
            created_at: t,
            updated_at: t,
            version: 1,
            created_by: None,
            entity_type: None,
            scope: None,
        };
        p.normalize();
        self.s.permissions.insert(&p);
        id
    }
    pub(super) fn mage(&mut self, entity: &str, uuid: Option<&str>, access: u64) -> Id {
        let cats = Catalogs::builtin().expect("catalogs");
        let (g, d) = access_to_flags(cats.get("mage").expect("mage"), access).expect("bits");
        let g: Vec<&str> = g.iter().map(String::as_str).collect();
        let d: Vec<&str> = d.iter().map(String::as_str).collect();
        self.perm("mage", entity, uuid, &g, &d, &[])
    }
    pub(super) fn engine(&mut self) -> Engine {
        self.s.reindex();
        Engine::build(&self.s, &Catalogs::builtin().expect("catalogs"))
    }
}

pub(super) fn req(
    user: Id,
    catalog: &str,
    action: &str,
    entity: &str,
    uuid: Option<&str>,
) -> Request {
    Request {
        at: None,
        user,
        catalog: catalog.into(),
        action: action.into(),
        entity: entity.into(),
        entity_uuid: uuid.map(Into::into),
        resource_owner: None,
        resource_team: None,
        attribute: None,
    }
}

#[test]
fn deny_wins_over_grant_from_another_role_and_explain_shows_both() {
    let mut w = W::new();
    let alice = w.user("alice");
    let (r1, r2) = (w.role("readers"), w.role("blocked"));
    let g = w.perm("fetchml", "jobs", None, &["read"], &[], &[]);
    let d = w.perm("fetchml", "jobs", None, &[], &["read"], &[]);
    w.s.role_permissions.extend([(r1, g), (r2, d)]);
    w.s.user_roles.extend([(alice, r1)]);
    let e = w.engine();
    let r = req(alice, "fetchml", "read", "jobs", None);
    assert!(e.decide(&r).allowed);
    w.s.user_roles.insert((alice, r2));
    let e = w.engine();
    let d_ = e.decide(&r);
    assert_eq!(
        d_,
        Decision {
            allowed: false,
            rule: Rule::Denied {
                by: PathTo {
                    via: Via::Role { role: r2 },
                    permission: d
                }
            }
        }
    );
    let ex = e.explain(&r);
    assert!(!ex.allowed);
    assert!(
        ex.candidates
            .iter()
            .any(|c| c.permission == g && c.outcome == Outcome::Grants)
    );
    assert!(
        ex.candidates
            .iter()
            .any(|c| c.permission == d && c.outcome == Outcome::Denies)
    );
    assert_eq!(ex.hints, vec![Hint::RemoveDeny { permission: d }]);
}

#[test]
fn owner_allows_everything_and_disabled_or_unknown_deny() {
    let mut w = W::new();
    let root = w.user("root");
    let bob = w.user("bob");
    w.s.users.get_mut(&root).expect("root").owner = true;
    let e = w.engine();
    assert_eq!(
        e.decide(&req(root, "mage", "DELETE", "Pipeline", None))
            .rule,
        Rule::Owner
    );
    assert_eq!(
        e.decide(&req(bob, "mage", "LIST", "Pipeline", None)).rule,
        Rule::NoGrant
    );
    assert_eq!(
        e.decide(&req(Uuid::from_u128(999), "mage", "LIST", "Pipeline", None))
            .rule,
        Rule::UnknownSubject
    );
    w.s.users.get_mut(&root).expect("root").disabled = true;
    let e = w.engine();
    assert_eq!(
        e.decide(&req(root, "mage", "LIST", "Pipeline", None)).rule,
        Rule::Disabled
    );
    assert_eq!(
        e.decide(&req(bob, "mage", "FLY", "Pipeline", None)).rule,
        Rule::UnknownAction
    );
}

#[test]
fn membership_role_applies_to_its_team_only_except_in_the_admin_team() {
    let mut w = W::new();
    let alice = w.user("alice");
    let ops = w.team("ops");
    let admin = w.team("admin");
    let editor = w.role("editor");
    let p = w.perm("adaptive", "project", None, &["update"], &[], &[]);
    w.s.role_permissions.insert((editor, p));
    w.s.members.insert((ops, alice), Some(editor));
    let e = w.engine();
    let mut r = req(alice, "adaptive", "update", "project", Some("p1"));
    assert!(
        !e.decide(&r).allowed,
        "no team context: the membership role does not apply"
    );
    r.resource_team = Some(ops);
    assert!(e.decide(&r).allowed);
    assert_eq!(
        e.decide(&r).rule,
        Rule::Granted {
            by: PathTo {
                via: Via::MemberRole {
                    team: ops,
                    role: editor
                },
                permission: p
            }
        }
    );
    let ex = e.explain(&req(alice, "adaptive", "update", "project", None));
    assert!(ex.reached.contains(&(
        Via::MemberRole {
            team: ops,
            role: editor
        },
        false
    )));
    // Global operations need the role as a member of the admin team.
    let pa = w.role("platform_admin");
    let mr = w.perm("adaptive", "admin", None, &["manage_roles"], &[], &[]);
    w.s.role_permissions.insert((pa, mr));
    w.s.members.insert((ops, alice), Some(pa));
    let e = w.engine();
    assert!(
        !e.decide(&req(alice, "adaptive", "manage_roles", "admin", None))
            .allowed
    );
    w.s.members.insert((admin, alice), Some(pa));
    let e = w.engine();
    assert!(
        e.decide(&req(alice, "adaptive", "manage_roles", "admin", None))
            .allowed
    );
}

#[test]
fn own_and_team_conditions() {
    let mut w = W::new();
    let alice = w.user("alice");
    let bob = w.user("bob");
    let ops = w.team("ops");
    let researcher = w.role("researcher");
    let own = w.perm("fetchml", "jobs", None, &["update"], &[], &["own"]);
    let teamp = w.perm("fetchml", "jobs", None, &["read"], &[], &["team"]);
    w.s.role_permissions
        .extend([(researcher, own), (researcher, teamp)]);
    w.s.user_roles.insert((alice, researcher));
    w.s.members.insert((ops, alice), None);
    let e = w.engine();
    let mut r = req(alice, "fetchml", "update", "jobs", Some("job-1"));
    r.resource_owner = Some(alice);
    assert!(e.decide(&r).allowed);
    r.resource_owner = Some(bob);
    assert!(!e.decide(&r).allowed);
    let ex = e.explain(&r);
    assert!(ex.candidates.iter().any(|c| c.outcome
        == Outcome::ConditionFailed {
            condition: FailedCondition::Own
        }));
    let mut r = req(alice, "fetchml", "read", "jobs", None);
    assert!(!e.decide(&r).allowed);
    r.resource_team = Some(ops);
    assert!(e.decide(&r).allowed);
}

#[test]
fn uuid_scoped_permissions_and_direct_grants() {
    let mut w = W::new();
    let alice = w.user("alice");
    let ops = w.team("ops");
    let p = w.perm(
        "mage",
        "Pipeline",
        Some("example_pipeline"),
        &["DETAIL"],
        &[],
        &[],
    );
    let ds = w.perm("okdata", "okdata:dataset", Some("ds1"), &["read"], &[], &[]);
    let role = w.role("pipeline-viewer");
    w.s.role_permissions.insert((role, p));
    w.s.user_roles.insert((alice, role));
    w.s.members.insert((ops, alice), None);
    w.s.grants.insert((Principal::Team(ops), ds));
    let e = w.engine();
    assert!(
        e.decide(&req(
            alice,
            "mage",
            "DETAIL",
            "Pipeline",
            Some("example_pipeline")
        ))
        .allowed
    );
    assert!(
        !e.decide(&req(alice, "mage", "DETAIL", "Pipeline", Some("other")))
            .allowed
    );
    let ex = e.explain(&req(alice, "mage", "DETAIL", "Pipeline", Some("other")));
    assert!(
        ex.candidates
            .iter()
            .any(|c| c.permission == p && c.outcome == Outcome::UuidMismatch)
    );
    let d = e.decide(&req(alice, "okdata", "read", "okdata:dataset", Some("ds1")));
    assert_eq!(
        d.rule,
        Rule::Granted {
            by: PathTo {
                via: Via::Team { team: ops },
                permission: ds
            }
        }
    );
    assert!(
        !e.decide(&req(alice, "okdata", "read", "okdata:dataset", Some("ds2")))
            .allowed
    );
    assert!(
        !e.decide(&req(
            alice,
            "okdata",
            "write",
            "okdata:dataset",
            Some("ds1")
        ))
        .allowed
    );
}

#[test]
fn no_grant_hints_name_the_roles_that_would_allow() {
    let mut w = W::new();
    let alice = w.user("alice");
    let editor = w.role("editor");
    let p = w.perm("gatehouse", "Role", None, &["write"], &[], &[]);
    w.s.role_permissions.insert((editor, p));
    let e = w.engine();
    let ex = e.explain(&req(alice, "gatehouse", "write", "Role", None));
    assert_eq!(ex.rule, Rule::NoGrant);
    assert_eq!(
        ex.hints,
        vec![Hint::AssignRole {
            role: editor,
            permission: p
        }]
    );
    let who = e.who_can(&req(alice, "gatehouse", "write", "Role", None));
    assert!(who.is_empty());
    w.s.user_roles.insert((alice, editor));
    let e = w.engine();
    let who = e.who_can(&req(Uuid::nil(), "gatehouse", "write", "Role", None));
    assert_eq!(
        who.iter().map(|x| x.username.as_str()).collect::<Vec<_>>(),
        ["alice"]
    );
    let what = e.what_can(alice).expect("known");
    assert_eq!(what.entries.len(), 1);
    assert_eq!(what.entries[0].allowed, ["write"]);
}

#[test]
fn many_permissions_per_holder_are_found_by_key() {
    let mut w = W::new();
    let u = w.user("u");
    let r = w.role("big");
    for i in 0..2000 {
        let p = w.perm(
            "mage",
            "Pipeline",
            Some(&format!("p{i}")),
            &["DETAIL"],
            &[],
            &[],
        );
        w.s.role_permissions.insert((r, p));
    }
    w.s.user_roles.insert((u, r));
    let e = w.engine();
    assert!(
        e.decide(&req(u, "mage", "DETAIL", "Pipeline", Some("p1999")))
            .allowed
    );
    assert!(
        e.decide(&req(u, "mage", "DETAIL", "Pipeline", Some("p0")))
            .allowed
    );
    assert!(
        !e.decide(&req(u, "mage", "DETAIL", "Pipeline", Some("p2000")))
            .allowed
    );
    assert!(
        !e.decide(&req(u, "mage", "DETAIL", "Block", Some("p1")))
            .allowed
    );
}
