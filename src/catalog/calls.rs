//! What a Mage REST call checks, per entity and operation (`assets/catalogs/mage_calls.toml`,
//! `docs/MAGE_CALLS.md`): the attributes Mage 0.9.80's presenters present and its policies
//! READ-check, the nested objects checked under their own entity, and the payload and query
//! keys Mage's own UI sends. The engine turns one of these into the checks of a whole call.

use serde::Deserialize;

/// The five Mage operations, in the order the file lists them.
pub const CALL_OPERATIONS: [&str; 5] = ["LIST", "DETAIL", "CREATE", "UPDATE", "DELETE"];

/// One REST call of one entity.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallSpec {
    /// The entity of the endpoint's policy (`Role` for `/api/roles`).
    pub entity: String,
    /// `LIST`, `DETAIL`, `CREATE`, `UPDATE` or `DELETE`.
    pub op: String,
    /// The collection's path under `/api` (`roles`); a member is `path/<id>`.
    pub path: String,
    /// Attributes of the main object(s) Mage READ-checks (for a list: of every record).
    #[serde(default)]
    pub read: Vec<String>,
    /// Presented attributes a parser drops when unreadable instead of answering 403.
    #[serde(default)]
    pub unchecked: Vec<String>,
    /// Payload keys Mage's UI sends on create and update (WRITE-checked).
    #[serde(default)]
    pub write: Vec<String>,
    /// Query keys Mage's UI sends (QUERY-checked), besides `_*` keys and `api_key`.
    #[serde(default)]
    pub query: Vec<String>,
    /// Attributes null on a record created without writing them: a parser drops null values
    /// before it checks (`shared/hash.py extract`), so a create that does not send them is not
    /// checked on them.
    #[serde(default)]
    pub null_unless_written: Vec<String>,
    /// Set when Mage 0.9.80 fails the call whatever the permissions: how.
    #[serde(default)]
    pub broken: String,
    /// Where in Mage's source the lists come from.
    #[serde(default)]
    pub source: String,
    /// Objects presented inside the main object, checked under their own entity.
    #[serde(default)]
    pub nested: Vec<NestedSpec>,
}

/// An object presented inside another one and READ-checked under its own entity.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NestedSpec {
    /// The parent's key holding it (`role_permissions`).
    pub attribute: String,
    /// The entity it is checked under (`Permission`).
    pub entity: String,
    /// A list of objects (else one object or null).
    #[serde(default)]
    pub many: bool,
    /// Attributes READ-checked on each nested object.
    #[serde(default)]
    pub read: Vec<String>,
    /// Presented attributes a parser drops when unreadable.
    #[serde(default)]
    pub unchecked: Vec<String>,
    /// Objects nested in this one.
    #[serde(default)]
    pub nested: Vec<NestedSpec>,
}

/// Checks the calls against the catalog's entities; the first problem found.
pub(super) fn validate(calls: &[CallSpec], known: impl Fn(&str) -> bool) -> Result<(), String> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for c in calls {
        if !known(&c.entity) {
            return Err(format!("call {} {}: unknown entity", c.op, c.entity));
        }
        if !CALL_OPERATIONS.contains(&c.op.as_str()) {
            return Err(format!(
                "call {} {}: the operation is none of {}",
                c.op,
                c.entity,
                CALL_OPERATIONS.join(", ")
            ));
        }
        if seen.contains(&(c.entity.as_str(), c.op.as_str())) {
            return Err(format!("call {} {} is listed twice", c.op, c.entity));
        }
        seen.push((&c.entity, &c.op));
        if c.path.trim().is_empty() {
            return Err(format!("call {} {}: empty path", c.op, c.entity));
        }
        nested_known(&c.nested, &known).map_err(|e| format!("call {} {}: {e}", c.op, c.entity))?;
    }
    Ok(())
}

fn nested_known(nested: &[NestedSpec], known: &impl Fn(&str) -> bool) -> Result<(), String> {
    for n in nested {
        if !known(&n.entity) {
            return Err(format!(
                "nested '{}' names unknown entity '{}'",
                n.attribute, n.entity
            ));
        }
        nested_known(&n.nested, known)?;
    }
    Ok(())
}
