//! The answer `gatehouse check` gives, apart from how it is printed: shared by `check` and
//! `test` (assertion files), so both decide a question the same way. On the `mage` catalog
//! the whole REST call is decided through [`Backend::decide_call`] (unless
//! `--operation-only`, or an attribute is asked about); elsewhere [`Backend::explain`].

use crate::backend::{Backend, Error, Result, Target, build_request, find_user};
use crate::catalog::{CALL_OPERATIONS, Catalogs, Dialect};
use crate::engine::{AttrCheck, AttrKind, CallAnswer, CallQuery, Explanation, Request};
use crate::model::User;
use crate::policy::State;
use crate::present::call::call_reason;
use crate::present::rule_text;
use clap::Args;

/// Catalog and resource context of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct RequestContext {
    /// Catalog, when the entity name is ambiguous.
    #[arg(long)]
    pub catalog: Option<String>,
    /// The resource's owner (for `own` conditions).
    #[arg(long, value_name = "USER")]
    pub owner: Option<String>,
    /// The resource's team (for `team` conditions and membership roles).
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,
}

/// What narrows or widens a `check` beyond its context: an attribute, the operation alone,
/// or the keys a Mage call sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct CheckOptions {
    /// Mage: check reading this attribute of the record with the operation (READ, READ_ALL,
    /// read_attributes, in the same permission as the operation).
    #[arg(long, value_name = "ATTR", conflicts_with_all = ["write", "query"])]
    pub read: Option<String>,
    /// Mage: check writing this attribute with the operation (WRITE, WRITE_ALL,
    /// write_attributes).
    #[arg(long, value_name = "ATTR", conflicts_with_all = ["read", "query"])]
    pub write: Option<String>,
    /// Mage: check using this query key with the operation (QUERY, QUERY_ALL,
    /// query_attributes).
    #[arg(long, value_name = "ATTR", conflicts_with_all = ["read", "write"])]
    pub query: Option<String>,
    /// Mage: decide only the operation (and the one attribute of `--read`, `--write` or
    /// `--query`), not the whole REST call.
    #[arg(long)]
    pub operation_only: bool,
    /// Mage: the payload keys the call sends (comma-separated; default: what Mage's UI sends).
    #[arg(long, value_name = "KEYS", value_delimiter = ',', conflicts_with_all = ["operation_only", "read", "write", "query"])]
    pub payload: Option<Vec<String>>,
    /// Mage: the query keys the call sends (comma-separated; default: what Mage's UI sends).
    #[arg(long, value_name = "KEYS", value_delimiter = ',', conflicts_with_all = ["operation_only", "read", "write", "query"])]
    pub query_keys: Option<Vec<String>>,
}

impl CheckOptions {
    /// The attribute check asked for with `--read`, `--write` or `--query`, if any.
    pub fn attribute(&self) -> Option<AttrCheck> {
        let (kind, name) = match (&self.read, &self.write, &self.query) {
            (Some(n), _, _) => (AttrKind::Read, n),
            (_, Some(n), _) => (AttrKind::Write, n),
            (_, _, Some(n)) => (AttrKind::Query, n),
            _ => return None,
        };
        Some(AttrCheck {
            kind,
            name: name.clone(),
        })
    }
}

/// One `check` question, by name.
pub struct Question<'a> {
    /// Username or id.
    pub user: &'a str,
    /// A flag of the entity's catalog.
    pub action: &'a str,
    /// `Entity`, `Entity/uuid`, `catalog:Entity` or okdata `ns:type:id`.
    pub entity: &'a str,
    /// Catalog, owner, team.
    pub context: &'a RequestContext,
    /// Attribute, operation only, call keys.
    pub options: &'a CheckOptions,
    /// The instant to decide at (`check --at`; `None`: now).
    pub at: Option<time::OffsetDateTime>,
}

/// How a decision was reached.
pub enum How {
    /// The operation (and maybe one attribute), explained.
    Operation(Explanation),
    /// A whole Mage REST call.
    Call(Box<CallAnswer>),
}

/// The answer to a [`Question`].
pub struct Decision {
    /// The user asked about.
    pub user: User,
    /// The engine request (the action as the catalog spells it).
    pub req: Request,
    /// The entity named.
    pub target: Target,
    /// The attribute asked about, if any.
    pub attribute: Option<AttrCheck>,
    /// ALLOW or DENY.
    pub allowed: bool,
    /// Why, as `check` prints it.
    pub reason: String,
    /// The explanation or the call's answer.
    pub how: How,
}

/// Decides `q` as `check` does, on the state `s` and catalogs `cats` read from `b`.
pub async fn decide(
    b: &dyn Backend,
    s: &State,
    cats: &Catalogs,
    q: &Question<'_>,
) -> Result<Decision> {
    let u = find_user(s, q.user)?.clone();
    let rc = q.context;
    let (mut req, t) = build_request(
        cats,
        s,
        u.id,
        q.action,
        q.entity,
        rc.catalog.as_deref(),
        rc.owner.as_deref(),
        rc.team.as_deref(),
    )?;
    let o = q.options;
    let attribute = o.attribute();
    req.at = q.at;
    let mage = cats
        .get(&t.catalog)
        .is_some_and(|c| c.dialect == Dialect::Mage);
    if mage
        && !o.operation_only
        && attribute.is_none()
        && CALL_OPERATIONS.contains(&req.action.as_str())
    {
        if q.at.is_some() {
            return Err(no_call_at());
        }
        let query = CallQuery {
            user: u.id,
            entity: t.entity.clone(),
            op: req.action.clone(),
            uuid: t.uuid.clone(),
            owner: req.resource_owner,
            query: o.query_keys.clone(),
            write: o.payload.clone(),
        };
        let answer = b.decide_call(query).await?;
        return Ok(Decision {
            user: u,
            req,
            target: t,
            attribute,
            allowed: answer.verdict.allowed,
            reason: call_reason(s, &answer),
            how: How::Call(Box::new(answer)),
        });
    }
    if !mage && (o.payload.is_some() || o.query_keys.is_some()) {
        return Err(Error::invalid(
            if o.payload.is_some() {
                "--payload"
            } else {
                "--query-keys"
            },
            format!(
                "only a Mage REST call has a payload and query keys; '{}' is not a mage catalog",
                t.catalog
            ),
        ));
    }
    if let Some(at) = &attribute
        && at.name.trim().is_empty()
    {
        return Err(Error::invalid(
            at.kind.word(),
            "the attribute name is empty".to_string(),
        ));
    }
    req.attribute = attribute.clone();
    let e = b.explain(req.clone()).await?;
    Ok(Decision {
        user: u,
        req,
        target: t,
        attribute,
        allowed: e.allowed,
        reason: rule_text(s, &e.rule),
        how: How::Operation(e),
    })
}

/// `--at` on a whole Mage REST call, which is decided now only.
pub fn no_call_at() -> Error {
    Error::invalid(
        "--at",
        "a whole Mage REST call is decided at the present instant; add --operation-only to \
         decide the operation at another",
    )
}
