//! A whole Mage call from the catalog (`docs/MAGE_CALLS.md`): what `check` answers by default
//! on the `mage` catalog. The catalog says which attributes the call presents and which nested
//! objects it presents under their own entity; [`CallData`] says what the records hold (an
//! empty list presents nothing, a null creator is not checked), and what it does not know is
//! assumed present — the stricter answer — and named in [`CallAnswer::assumed`].

use super::index::Engine;
use super::mage_call::{MageCall, MageVerdict, ReadCheck};
use crate::catalog::{CallSpec, Catalog, Dialect, NestedSpec};
use crate::model::Id;
use serde::{Deserialize, Serialize};

/// What the data behind a call holds, as far as the backend knows it. `None` means not known.
pub trait CallData {
    /// The records a list of `entity` presents, first first (Mage's ids as `entity_id` holds
    /// them).
    fn records(&self, entity: &str) -> Option<Vec<String>> {
        let _ = entity;
        None
    }
    /// The records nested under `attribute` of one record (`uuid`), or of any record of a
    /// list (`None`), first first: empty for an empty list or a null.
    fn nested(&self, entity: &str, uuid: Option<&str>, attribute: &str) -> Option<Vec<String>> {
        let _ = (entity, uuid, attribute);
        None
    }
    /// What a record of `entity` created by `caller` holds under `attribute` (a new role's
    /// creator is the caller; its link lists start empty).
    fn created(&self, entity: &str, attribute: &str, caller: Id) -> Option<Vec<String>> {
        let _ = (entity, attribute, caller);
        None
    }
}

/// Knows nothing about the records (a local store's `mage` catalog).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoData;

impl CallData for NoData {}

/// One Mage REST call as asked: the rest comes from the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallQuery {
    /// The caller.
    pub user: Id,
    /// The entity of the endpoint (`Pipeline`).
    pub entity: String,
    /// `LIST`, `DETAIL`, `CREATE`, `UPDATE` or `DELETE`.
    pub op: String,
    /// The record (DETAIL, UPDATE, DELETE), or for a LIST the first record listed.
    #[serde(default)]
    pub uuid: Option<String>,
    /// The owner of the record, for `USER_OWNS_ENTITY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Id>,
    /// Query keys sent; `None`: what Mage's UI sends.
    #[serde(default)]
    pub query: Option<Vec<String>>,
    /// Payload keys sent (CREATE, UPDATE); `None`: what Mage's UI sends.
    #[serde(default)]
    pub write: Option<Vec<String>>,
}

/// The answer to a [`CallQuery`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallAnswer {
    /// The decision of every check the call makes.
    pub verdict: MageVerdict,
    /// The checks made, in Mage's order.
    pub call: MageCall,
    /// False when the catalog has no attribute lists for this call: only the operation, the
    /// query and the payload were checked.
    pub known: bool,
    /// Mage 0.9.80 fails this call whatever the permissions (after the checks): how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broken: Option<String>,
    /// What was assumed because the data was not known.
    #[serde(default)]
    pub assumed: Vec<String>,
    /// Where the catalog's lists come from in Mage's source.
    #[serde(default)]
    pub source: String,
}

/// Entities whose parser drops a null attribute before checking (`parsers/*.py`).
const PARSED: [&str; 3] = ["Role", "User", "PipelineSchedule"];

struct Planner<'a> {
    data: &'a dyn CallData,
    /// The caller, while planning the record a CREATE makes.
    creating: Option<Id>,
    reads: Vec<ReadCheck>,
    assumed: Vec<String>,
}

impl Planner<'_> {
    /// What `attribute` of the record holds: of the record being created, at the top level
    /// of a CREATE.
    fn held(&self, entity: &str, uuid: Option<&str>, attribute: &str) -> Option<Vec<String>> {
        match self.creating {
            Some(caller) => self.data.created(entity, attribute, caller),
            None => self.data.nested(entity, uuid, attribute),
        }
    }

    /// Depth first, as Mage presents: each nested object's own nested objects, then its reads.
    fn nested(&mut self, specs: &[NestedSpec], entity: &str, uuid: Option<&str>) {
        for n in specs {
            let held = self.held(entity, uuid, &n.attribute);
            let creating = self.creating.take();
            let ids: Vec<Option<String>> = match held {
                Some(ids) => ids.into_iter().take(1).map(Some).collect(),
                None => {
                    let which = match (creating, uuid) {
                        (Some(_), _) => " (the new one)".to_string(),
                        (None, Some(u)) => format!(" {u}"),
                        (None, None) => String::new(),
                    };
                    self.assumed.push(format!(
                        "{entity}{which} holds {} `{}`",
                        if n.many { "some" } else { "a" },
                        n.attribute
                    ));
                    vec![None]
                }
            };
            for id in ids {
                self.nested(&n.nested, &n.entity, id.as_deref());
                if !n.read.is_empty() {
                    self.reads.push(ReadCheck {
                        entity: n.entity.clone(),
                        uuid: id,
                        attributes: n.read.clone(),
                    });
                }
            }
            self.creating = creating;
        }
    }

    /// The main object's attributes: a parsed entity's null single attributes are dropped, and
    /// on a create those left null by the payload.
    fn main_reads(&self, spec: &CallSpec, uuid: Option<&str>, write: &[String]) -> Vec<String> {
        if !PARSED.contains(&spec.entity.as_str()) {
            return spec.read.clone();
        }
        spec.read
            .iter()
            .filter(|a| {
                !(spec.op == "CREATE" && spec.null_unless_written.contains(a) && !write.contains(a))
            })
            .filter(|a| {
                let single = spec.nested.iter().find(|n| &n.attribute == *a && !n.many);
                !single.is_some_and(|_| {
                    self.held(&spec.entity, uuid, a)
                        .is_some_and(|ids| ids.is_empty())
                })
            })
            .cloned()
            .collect()
    }
}

/// The checks of the call in `spec` for `q`.
fn plan(spec: &CallSpec, data: &dyn CallData, q: &CallQuery) -> (MageCall, Vec<String>) {
    let mut p = Planner {
        data,
        creating: (q.op == "CREATE").then_some(q.user),
        reads: Vec::new(),
        assumed: Vec::new(),
    };
    let records: Vec<Option<String>> = match q.op.as_str() {
        "LIST" => match data.records(&q.entity) {
            Some(mut ids) => {
                if let Some(u) = &q.uuid {
                    ids.retain(|i| i != u);
                    ids.insert(0, u.clone());
                }
                ids.into_iter().take(1).map(Some).collect()
            }
            None => {
                p.assumed
                    .push(format!("the list of {} presents a record", q.entity));
                vec![q.uuid.clone()]
            }
        },
        "CREATE" => vec![None],
        _ => vec![q.uuid.clone()],
    };
    // A list's nested objects: of any record (Mage's per-request cache lets the first decide).
    let nested_of = if q.op == "LIST" {
        None
    } else {
        q.uuid.as_deref()
    };
    if !records.is_empty() {
        p.nested(&spec.nested, &spec.entity, nested_of);
    }
    let body = matches!(q.op.as_str(), "CREATE" | "UPDATE");
    let write = if body {
        q.write.clone().unwrap_or_else(|| spec.write.clone())
    } else {
        Vec::new()
    };
    for r in &records {
        let attributes = p.main_reads(spec, nested_of, &write);
        if !attributes.is_empty() {
            p.reads.push(ReadCheck {
                entity: spec.entity.clone(),
                uuid: r.clone(),
                attributes,
            });
        }
    }
    let call = MageCall {
        user: q.user,
        entity: q.entity.clone(),
        op: q.op.clone(),
        uuid: q.uuid.clone(),
        owner: q.owner,
        query: q.query.clone().unwrap_or_else(|| spec.query.clone()),
        write,
        read: p.reads,
    };
    (call, p.assumed)
}

impl Engine {
    /// The `mage`-dialect catalog, if one is loaded.
    fn mage_catalog(&self) -> Option<&Catalog> {
        self.catalogs
            .iter()
            .find(|c| c.catalog.dialect == Dialect::Mage)
            .map(|c| &c.catalog)
    }

    /// Decides a whole Mage call the way Mage 0.9.80 does for that REST call: the operation,
    /// each query key, each written attribute, then every presented attribute of the main
    /// object(s) and of the nested objects, each under its own entity.
    pub fn decide_call(&self, data: &dyn CallData, q: &CallQuery) -> CallAnswer {
        let spec = self
            .mage_catalog()
            .and_then(|c| c.call(&q.entity, &q.op))
            .cloned();
        let Some(spec) = spec else {
            let call = MageCall {
                user: q.user,
                entity: q.entity.clone(),
                op: q.op.clone(),
                uuid: q.uuid.clone(),
                owner: q.owner,
                query: q.query.clone().unwrap_or_default(),
                write: q.write.clone().unwrap_or_default(),
                read: Vec::new(),
            };
            return CallAnswer {
                verdict: self.decide_mage_call(&call),
                call,
                known: false,
                broken: None,
                assumed: Vec::new(),
                source: String::new(),
            };
        };
        let (call, assumed) = plan(&spec, data, q);
        CallAnswer {
            verdict: self.decide_mage_call(&call),
            call,
            known: true,
            broken: (!spec.broken.is_empty()).then(|| spec.broken.clone()),
            assumed,
            source: spec.source.clone(),
        }
    }

    /// True when the loaded `mage` catalog knows what `op` on `entity` checks.
    pub fn knows_call(&self, entity: &str, op: &str) -> bool {
        self.mage_catalog()
            .is_some_and(|c| c.call(entity, op).is_some())
    }
}
