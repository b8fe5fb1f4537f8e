//! Writes to a Mage server: roles, permissions and users, and deletes (the links between them
//! are in `links.rs`), with the 0.9.80 workarounds of `docs/MAGE.md` §5.4 (users and
//! permissions are presented with `_format=list` / `_format=role/detail`; a write whose answer
//! fails on `from_self` is read back instead). Every update first reads the object, so an edit
//! made on the server since the console read it is refused as a conflict rather than
//! overwritten, and every update, delete and link first checks that the object Mage holds under
//! the integer is the one read — not a newer one that took the integer of a deleted object
//! ([`same`]).

use super::client::{MageClient, Written};
use super::wire::{
    MageKind, MagePermission, MageRole, MageUser, mage_id, parse_time, same_object, split_name,
    version_of,
};
use crate::backend::{Error, PermissionSpec, Result, RoleSpec, UserSpec};
use crate::catalog::Catalog;
use crate::catalog::flags_to_access;
use crate::model::{Id, ObjectKind, Permission, Role, User, UserKind};
use crate::policy::State;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn kind_name(kind: MageKind) -> &'static str {
    match kind {
        MageKind::User => "user",
        MageKind::Role => "role",
        MageKind::Permission => "permission",
    }
}

pub(super) fn int_id(kind: MageKind, id: &Id) -> Result<i64> {
    mage_id(kind, id).ok_or_else(|| {
        Error::not_found(
            kind_name(kind),
            format!("{id} (not an id read from this Mage server)"),
        )
    })
}

/// Refuses a write to `id` when the object Mage holds under its integer `n` now — `name`,
/// created at `created_at` — is not the object `id` was read as: that one was deleted and
/// Mage gave its integer to a newer object.
pub(super) fn same(
    kind: MageKind,
    id: &Id,
    n: i64,
    name: &str,
    created_at: Option<&str>,
) -> Result<()> {
    if same_object(kind, id, created_at) {
        return Ok(());
    }
    let k = kind_name(kind);
    Err(Error::NotFound {
        kind: k.into(),
        name: format!("#{n} ({id})"),
        hint: format!(
            "; it was deleted on the Mage server and #{n} is now another {k}, '{}' (created \
             {}); nothing was changed: refresh (re-read from the server) and pick the {k} again",
            crate::text::sanitize(name),
            crate::text::sanitize(created_at.unwrap_or("at an unknown time")),
        ),
    })
}

fn take<T: DeserializeOwned>(v: &Value, key: &str) -> Result<T> {
    let item = v
        .get(key)
        .ok_or_else(|| Error::Store(format!("Mage's answer has no '{key}'")))?;
    serde_json::from_value(item.clone())
        .map_err(|e| Error::Store(format!("unexpected {key} from Mage: {e}")))
}

pub(super) async fn get_role(c: &MageClient, id: i64) -> Result<MageRole> {
    take(
        &c.call(Method::GET, &format!("roles/{id}"), None).await?,
        "role",
    )
}

/// `GET /api/users/:id` (in the list format: the detail one is broken in 0.9.80).
pub(super) async fn get_user(c: &MageClient, id: i64) -> Result<MageUser> {
    take(
        &c.call(Method::GET, &format!("users/{id}?_format=list"), None)
            .await?,
        "user",
    )
}

async fn get_permission(c: &MageClient, id: i64) -> Result<MagePermission> {
    take(
        &c.call(
            Method::GET,
            &format!("permissions/{id}?_format=role/detail"),
            None,
        )
        .await?,
        "permission",
    )
}

/// Refuses a write on an object that changed since `version` was read (0: no check).
fn check_version(kind: MageKind, name: &str, updated_at: Option<&str>, version: u64) -> Result<()> {
    let current = version_of(parse_time(updated_at));
    if version != 0 && current != version {
        return Err(Error::Stale {
            message: format!(
                "{} '{name}' was changed by someone else since you read it; reload and apply \
                 your change again",
                kind_name(kind)
            ),
            current_version: Some(current),
        });
    }
    Ok(())
}

// ---- roles ----

/// `POST /api/roles`.
pub async fn create_role(c: &MageClient, spec: RoleSpec) -> Result<Role> {
    crate::backend::validate::name("name", &spec.name)?;
    refuse_description(&spec.description)?;
    let v = c
        .call(
            Method::POST,
            "roles",
            Some(&json!({"role": {"name": spec.name}})),
        )
        .await
        .map_err(|e| duplicate_role(e, &spec.name))?;
    Ok(take::<MageRole>(&v, "role")?.to_model())
}

/// `PUT /api/roles/:id` with the new name.
pub async fn update_role(c: &MageClient, id: Id, spec: RoleSpec, version: u64) -> Result<Role> {
    crate::backend::validate::name("name", &spec.name)?;
    let n = int_id(MageKind::Role, &id)?;
    let cur = get_role(c, n).await?;
    same(MageKind::Role, &id, n, &cur.name, cur.created_at.as_deref())?;
    check_version(
        MageKind::Role,
        &cur.name,
        cur.updated_at.as_deref(),
        version,
    )?;
    if spec.description != cur.to_model().description {
        refuse_description(&spec.description)?;
    }
    // Send the current links back: 0.9.80 empties a set that is absent from the body.
    let users: Vec<i64> = cur.users.iter().flatten().map(|u| u.id).collect();
    c.call(
        Method::PUT,
        &format!("roles/{n}"),
        Some(&json!({"role": {
            "name": spec.name,
            "permission_ids": cur.permission_ids(),
            "user_ids": users,
        }})),
    )
    .await
    .map_err(|e| duplicate_role(e, &spec.name))?;
    Ok(get_role(c, n).await?.to_model())
}

fn refuse_description(d: &str) -> Result<()> {
    if d.trim().is_empty() {
        return Ok(());
    }
    Err(Error::invalid(
        "description",
        "Mage roles have no description; leave it empty",
    ))
}

fn duplicate_role(e: Error, name: &str) -> Error {
    match e {
        Error::Conflict(_) => Error::Conflict(format!(
            "role '{name}' already exists on the Mage server; pick another name"
        )),
        other => other,
    }
}

// ---- permissions ----

/// The body of a permission create or update; `keep` holds access bits gatehouse does not
/// know and must not drop.
pub(super) fn permission_body(
    catalog: &Catalog,
    spec: &PermissionSpec,
    keep: u64,
) -> Result<Value> {
    if spec.catalog != catalog.name {
        return Err(Error::invalid(
            "catalog",
            format!(
                "a Mage server holds '{}' permissions only, not '{}'",
                catalog.name, spec.catalog
            ),
        ));
    }
    if !catalog.accepts_entity(&spec.entity) {
        let names = catalog.entities.iter().map(|e| e.name.as_str());
        let hint = crate::catalog::suggest(&spec.entity, names);
        return Err(Error::invalid(
            "entity",
            format!(
                "'{}' is not a Mage entity name{}",
                spec.entity,
                if hint.is_empty() {
                    String::new()
                } else {
                    format!("; did you mean {}?", hint.join(", "))
                }
            ),
        ));
    }
    for c in &spec.conditions {
        if !catalog.accepts_condition(c) {
            return Err(Error::invalid(
                "conditions",
                format!("'{c}' is not a Mage permission condition"),
            ));
        }
    }
    let access = flags_to_access(catalog, &spec.grants, &spec.denies)
        .map_err(|m| Error::invalid("access", m))?
        | keep;
    let uuid = spec.entity_uuid.as_deref().map(str::trim);
    if uuid == Some("") {
        return Err(Error::invalid(
            "entity_uuid",
            "must not be empty; leave it out to cover every entity",
        ));
    }
    // Mage's entity type and scope, checked and spelled as Mage does; no scope is Mage's
    // default (global), sent so that clearing a scope takes it back there.
    let mut fields = spec.to_permission(Id::nil(), 0);
    crate::backend::validate::mage_fields(catalog, &mut fields)?;
    Ok(json!({"permission": {
        "entity_name": spec.entity,
        "entity_id": uuid,
        "entity": crate::model::scope_or_default(fields.scope.as_deref()),
        "entity_type": fields.entity_type,
        "access": access,
        "conditions": spec.conditions,
        "query_attributes": spec.query_attributes,
        "read_attributes": spec.read_attributes,
        "write_attributes": spec.write_attributes,
    }}))
}

/// `POST /api/permissions`.
pub async fn create_permission(
    c: &MageClient,
    catalog: &Catalog,
    spec: PermissionSpec,
) -> Result<Permission> {
    let body = permission_body(catalog, &spec, 0)?;
    let v = c
        .call(Method::POST, "permissions?_format=role/detail", Some(&body))
        .await?;
    let p: MagePermission = take(&v, "permission")?;
    // The create answer may lack the option lists; read it back in full.
    Ok(get_permission(c, p.id).await?.to_model(catalog))
}

/// `PUT /api/permissions/:id`, keeping bits gatehouse does not know.
pub async fn update_permission(
    c: &MageClient,
    catalog: &Catalog,
    id: Id,
    spec: PermissionSpec,
    version: u64,
) -> Result<Permission> {
    let n = int_id(MageKind::Permission, &id)?;
    let cur = get_permission(c, n).await?;
    same(
        MageKind::Permission,
        &id,
        n,
        &permission_name(&cur),
        cur.created_at.as_deref(),
    )?;
    check_version(
        MageKind::Permission,
        &format!("#{n}"),
        cur.updated_at.as_deref(),
        version,
    )?;
    let mut body = permission_body(catalog, &spec, cur.unknown_bits(catalog))?;
    // 0.9.80 replaces the permission's role links with `role_ids` — and drops them all when it
    // is absent — so the roles holding it now are sent back.
    let roles: Vec<MageRole> = c.list("roles", "").await?;
    let holders: Vec<i64> = roles
        .iter()
        .filter(|r| r.permission_ids().contains(&n))
        .map(|r| r.id)
        .collect();
    body["permission"]["role_ids"] = json!(holders);
    c.call(
        Method::PUT,
        &format!("permissions/{n}?_format=role/detail"),
        Some(&body),
    )
    .await?;
    Ok(get_permission(c, n).await?.to_model(catalog))
}

// ---- users ----

pub(super) fn user_fields(spec: &UserSpec) -> Result<serde_json::Map<String, Value>> {
    if spec.kind != UserKind::Person {
        return Err(Error::invalid(
            "kind",
            "Mage has no service users; create a person",
        ));
    }
    if spec.disabled {
        return Err(Error::invalid(
            "disabled",
            "Mage users cannot be disabled; remove their roles or delete them",
        ));
    }
    if spec.email.trim().is_empty() {
        return Err(Error::invalid("email", "Mage users need an email address"));
    }
    crate::backend::validate::name("username", &spec.username)?;
    crate::backend::validate::person_names(&spec.first_name, &spec.last_name)?;
    // First and last name go as written; a user with neither has the display name split at
    // its first space (the only name older specs carry).
    let (first, last) = if spec.first_name.is_empty() && spec.last_name.is_empty() {
        split_name(&spec.display_name)
    } else {
        (spec.first_name.clone(), spec.last_name.clone())
    };
    let mut m = serde_json::Map::new();
    m.insert("email".into(), json!(spec.email.trim()));
    m.insert("username".into(), json!(spec.username));
    m.insert("first_name".into(), json!(first));
    m.insert("last_name".into(), json!(last));
    if let Some(p) = &spec.password {
        if p.0.chars().count() < 8 {
            return Err(Error::invalid(
                "password",
                "Mage needs a password of at least 8 characters",
            ));
        }
        m.insert("password".into(), json!(p.0));
        m.insert("password_confirmation".into(), json!(p.0));
    }
    Ok(m)
}

async fn find_user_by_email(c: &MageClient, email: &str) -> Result<MageUser> {
    let users: Vec<MageUser> = c.list("users", "_format=list").await?;
    users
        .into_iter()
        .find(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .ok_or_else(|| Error::not_found("user", email.to_string()))
}

/// `POST /api/users` (Mage needs an email and a password of 8 characters or more).
pub async fn create_user(c: &MageClient, spec: UserSpec) -> Result<User> {
    if spec.password.is_none() {
        return Err(Error::invalid(
            "password",
            "a Mage user needs a password (at least 8 characters)",
        ));
    }
    let mut fields = user_fields(&spec)?;
    fields.insert("roles_new".into(), json!([]));
    if spec.owner {
        fields.insert("owner".into(), json!(true));
    }
    let r = c
        .write(
            Method::POST,
            "users?_format=list",
            Some(&json!({"user": Value::Object(fields)})),
        )
        .await;
    let user = match r {
        Ok(Written::Answer(v)) => take::<MageUser>(&v, "user")?,
        // 0.9.80 saves the user, then fails presenting it: read it back.
        Ok(Written::NotPresented) => find_user_by_email(c, spec.email.trim()).await?,
        Err(Error::Invalid { message, .. }) => {
            return Err(Error::invalid("user", message));
        }
        Err(e) => return Err(e),
    };
    Ok(user.to_model())
}

/// `PUT /api/users/:id` with the edited fields (and the password when one is given).
pub async fn update_user(c: &MageClient, id: Id, spec: UserSpec, version: u64) -> Result<User> {
    let n = int_id(MageKind::User, &id)?;
    let cur = get_user(c, n).await?;
    let name = cur.to_model().username;
    same(MageKind::User, &id, n, &name, cur.created_at.as_deref())?;
    check_version(MageKind::User, &name, cur.updated_at.as_deref(), version)?;
    let mut fields = user_fields(&spec)?;
    if spec.owner != cur.owner.unwrap_or(false) {
        fields.insert("owner".into(), json!(spec.owner));
    }
    // Send the current roles back: 0.9.80 may empty a set that is absent from the body.
    fields.insert("role_ids".into(), json!(cur.role_ids()));
    // 0.9.80 may save the user, then fail presenting it: read it back either way.
    c.write(
        Method::PUT,
        &format!("users/{n}?_format=list"),
        Some(&json!({"user": Value::Object(fields)})),
    )
    .await?;
    Ok(get_user(c, n).await?.to_model())
}

// ---- deletes ----

/// How a permission is named in messages: its entity and number.
fn permission_name(p: &MagePermission) -> String {
    format!("{} #{}", p.entity_name.as_deref().unwrap_or(""), p.id)
}

/// Checks that the object Mage holds under `id`'s integer is the one `id` was read as (see
/// [`same`]); returns the integer.
pub(super) async fn check_current(c: &MageClient, kind: MageKind, id: &Id) -> Result<i64> {
    let n = int_id(kind, id)?;
    let (name, created_at) = match kind {
        MageKind::User => {
            let u = get_user(c, n).await?;
            (u.to_model().username, u.created_at)
        }
        MageKind::Role => {
            let r = get_role(c, n).await?;
            (r.name, r.created_at)
        }
        MageKind::Permission => {
            let p = get_permission(c, n).await?;
            (permission_name(&p), p.created_at)
        }
    };
    same(kind, id, n, &name, created_at.as_deref())?;
    Ok(n)
}

/// Deletes a user, role or permission. Without `force`, an object still linked is refused
/// with what holds it (Mage itself would drop the links silently).
pub async fn delete(
    c: &MageClient,
    state: &State,
    kind: MageKind,
    id: Id,
    force: bool,
) -> Result<()> {
    let object_kind = match kind {
        MageKind::User => ObjectKind::User,
        MageKind::Role => ObjectKind::Role,
        MageKind::Permission => ObjectKind::Permission,
    };
    let links = state.links_to(object_kind, id);
    if !force && !links.is_empty() {
        return Err(Error::Conflict(format!(
            "{} is still linked {} time(s); remove the links first or delete with force",
            kind_name(kind),
            links.len()
        )));
    }
    let n = check_current(c, kind, &id).await?;
    let path = match kind {
        MageKind::User => format!("users/{n}?_format=list"),
        MageKind::Role => format!("roles/{n}"),
        MageKind::Permission => format!("permissions/{n}?_format=role/detail"),
    };
    c.write(Method::DELETE, &path, None).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_entity_uuid_is_refused_not_widened_to_every_entity() {
        let cats = crate::catalog::Catalogs::builtin().unwrap();
        let mage = cats.get("mage").unwrap();
        for empty in ["", "  "] {
            let spec = PermissionSpec {
                catalog: "mage".into(),
                entity: "Pipeline".into(),
                entity_uuid: Some(empty.into()),
                grants: vec!["LIST".into()],
                ..Default::default()
            };
            let err = permission_body(mage, &spec, 0).unwrap_err();
            assert!(
                matches!(&err, Error::Invalid { field, .. } if field == "entity_uuid"),
                "{err:?}"
            );
        }
    }

    #[test]
    fn permission_bodies_carry_the_exact_integer() {
        let cats = crate::catalog::Catalogs::builtin().unwrap();
        let mage = cats.get("mage").unwrap();
        let spec = PermissionSpec {
            catalog: "mage".into(),
            entity: "Pipeline".into(),
            entity_uuid: Some(" example_pipeline ".into()),
            grants: vec!["LIST".into(), "READ".into()],
            denies: vec!["DELETE".into()],
            read_attributes: vec!["name".into()],
            ..Default::default()
        };
        let b = permission_body(mage, &spec, 256).unwrap();
        assert_eq!(b["permission"]["access"], 16 | 8192 | 4194304 | 256);
        assert_eq!(b["permission"]["entity_id"], "example_pipeline");
        assert_eq!(b["permission"]["read_attributes"], json!(["name"]));
        assert_eq!(b["permission"]["entity"], "global", "Mage's default scope");
        assert_eq!(b["permission"]["entity_type"], Value::Null);
        let scoped = PermissionSpec {
            entity_type: Some("Python".into()),
            scope: Some("PROJECT".into()),
            ..spec.clone()
        };
        let b = permission_body(mage, &scoped, 0).unwrap();
        assert_eq!(b["permission"]["entity"], "project");
        assert_eq!(b["permission"]["entity_type"], "python");
        let unknown = PermissionSpec {
            scope: Some("workspace".into()),
            ..spec.clone()
        };
        match permission_body(mage, &unknown, 0) {
            Err(Error::Invalid { field, message }) => {
                assert_eq!(field, "scope");
                assert!(message.contains("global, project, pipeline"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let bad = PermissionSpec {
            entity: "Pipelin".into(),
            ..spec.clone()
        };
        let e = permission_body(mage, &bad, 0).unwrap_err().to_string();
        assert!(e.contains("did you mean Pipeline"), "{e}");
        let other = PermissionSpec {
            catalog: "okdata".into(),
            ..spec
        };
        assert!(permission_body(mage, &other, 0).is_err());
    }

    #[test]
    fn user_fields_need_an_email_and_a_long_password() {
        let mut spec = UserSpec {
            username: "bob".into(),
            display_name: "Bob Builder".into(),
            ..Default::default()
        };
        assert!(user_fields(&spec).is_err());
        spec.email = "bob@example.com".into();
        spec.password = Some(crate::backend::Password("short".into()));
        assert!(user_fields(&spec).unwrap_err().to_string().contains("8"));
        spec.password = Some(crate::backend::Password("long enough".into()));
        let f = user_fields(&spec).unwrap();
        assert_eq!(f["first_name"], "Bob");
        assert_eq!(f["password_confirmation"], "long enough");
        // First and last name go exactly as written, a last name with a space included.
        spec.first_name = "Ada".into();
        spec.last_name = "King Lovelace".into();
        let f = user_fields(&spec).unwrap();
        assert_eq!(
            (&f["first_name"], &f["last_name"]),
            (&json!("Ada"), &json!("King Lovelace"))
        );
        spec.first_name.clear();
        let f = user_fields(&spec).unwrap();
        assert_eq!(
            (&f["first_name"], &f["last_name"]),
            (&json!(""), &json!("King Lovelace"))
        );
    }
}
