//! The permissions half of a plan: a document's permissions matched to stored ones (by id
//! key, else by content), and the creates and field-by-field updates they need.

use super::{Diff, FieldChange, Op, Planner, content_key, list, opt, under};
use crate::backend::document::DocPermission;
use crate::backend::error::{Error, Result};
use crate::backend::validate;
use crate::model::{Id, ObjectKind, Permission, new_id};
use crate::policy::{Change, Object, PermFields};
use std::collections::{BTreeSet, HashMap};

pub(super) fn perm_diff(old: &Permission, new: &Permission) -> Vec<FieldChange> {
    let mut d = Diff(Vec::new());
    d.text("catalog", &old.catalog, &new.catalog);
    d.text("entity", &old.entity, &new.entity);
    d.field(
        "entity_uuid",
        opt(old.entity_uuid.as_deref()),
        opt(new.entity_uuid.as_deref()),
    );
    for (f, a, b) in [
        ("grants", &old.grants, &new.grants),
        ("denies", &old.denies, &new.denies),
        ("conditions", &old.conditions, &new.conditions),
        (
            "query_attributes",
            &old.query_attributes,
            &new.query_attributes,
        ),
        (
            "read_attributes",
            &old.read_attributes,
            &new.read_attributes,
        ),
        (
            "write_attributes",
            &old.write_attributes,
            &new.write_attributes,
        ),
    ] {
        d.field(f, list(a), list(b));
    }
    d.text("description", &old.description, &new.description);
    d.field(
        "entity_type",
        opt(old.entity_type.as_deref()),
        opt(new.entity_type.as_deref()),
    );
    let scope = |p: &Permission| crate::model::scope_or_default(p.scope.as_deref()).to_string();
    d.field("scope", scope(old), scope(new));
    d.0
}

impl Planner<'_> {
    /// A permission's label: its document key when that is a name, else what it covers.
    pub(super) fn perm_label(key: Option<&str>, p: &Permission) -> String {
        let what = match &p.entity_uuid {
            Some(u) => format!("{}:{}/{u}", p.catalog, p.entity),
            None => format!("{}:{}", p.catalog, p.entity),
        };
        match key {
            Some(k) if Id::parse_str(k).is_err() => format!("{k} ({what})"),
            _ => format!("{what} ({})", crate::model::short_id(&p.id)),
        }
    }

    fn doc_permission(dp: &DocPermission, id: Id, version: u64) -> Permission {
        dp.spec().to_permission(id, version)
    }

    pub(super) fn permissions(&mut self, doc: &[DocPermission]) -> Result<()> {
        let state = self.state;
        let mut by_content: Option<HashMap<String, Id>> = None;
        let mut updated: BTreeSet<Id> = BTreeSet::new();
        for (i, dp) in doc.iter().enumerate() {
            let entry = format!("permissions[{i}]");
            if self.perms.contains_key(&dp.key) {
                return Err(Error::invalid(
                    entry,
                    format!("key '{}' is used twice", dp.key),
                ));
            }
            let as_id = Id::parse_str(&dp.key).ok();
            let stored = as_id.and_then(|id| state.permissions.get(&id));
            if let Some(old) = stored {
                self.perms.insert(dp.key.clone(), old.id);
                let mut new = Self::doc_permission(dp, old.id, old.version + 1);
                if !self.descriptions {
                    new.description.clone_from(&old.description);
                }
                if perm_diff(&old, &new).is_empty() {
                    continue;
                }
                validate::permission(self.catalogs, &mut new).map_err(under(&entry))?;
                self.update_permission(&old, new, &mut updated, Some(&dp.key));
                continue;
            }
            let id = match as_id {
                Some(id) if !state.permissions.contains_key(&id) => id,
                _ => new_id(),
            };
            let mut new = Self::doc_permission(dp, id, 1);
            validate::permission(self.catalogs, &mut new).map_err(under(&entry))?;
            let key = content_key(&PermFields::of(&new));
            let index = by_content.get_or_insert_with(|| {
                state
                    .permissions
                    .iter()
                    .map(|p| (content_key(&p.fields()), p.id()))
                    .collect()
            });
            match index.get(&key).copied() {
                Some(found) => {
                    self.perms.insert(dp.key.clone(), found);
                    let Some(old) = state.permissions.get(&found) else {
                        // The same content twice in the file: one permission.
                        continue;
                    };
                    self.perm_labels
                        .entry(found)
                        .or_insert_with(|| Self::perm_label(Some(&dp.key), &old));
                    if !self.descriptions {
                        new.description.clone_from(&old.description);
                    }
                    if old.description != new.description {
                        new.id = old.id;
                        new.version = old.version + 1;
                        self.update_permission(&old, new, &mut updated, Some(&dp.key));
                    }
                }
                None => {
                    index.insert(key, new.id);
                    self.perms.insert(dp.key.clone(), new.id);
                    let label = Self::perm_label(Some(&dp.key), &new);
                    self.perm_labels.insert(new.id, label.clone());
                    let mut item = Self::item(Op::Create, ObjectKind::Permission, label, vec![]);
                    item.fields = perm_diff(&Self::empty_perm(&new), &new);
                    self.push(
                        |o| &mut o.creates,
                        Change::Create(Object::Permission(new)),
                        item,
                    );
                }
            }
        }
        Ok(())
    }

    /// A permission with nothing in it, to show a new one's fields as a diff from nothing.
    fn empty_perm(like: &Permission) -> Permission {
        let mut e = like.clone();
        for l in [
            &mut e.grants,
            &mut e.denies,
            &mut e.conditions,
            &mut e.query_attributes,
            &mut e.read_attributes,
            &mut e.write_attributes,
        ] {
            l.clear();
        }
        e.description.clear();
        e.entity_type = None;
        e.entity_uuid = None;
        e
    }

    fn update_permission(
        &mut self,
        old: &Permission,
        mut new: Permission,
        updated: &mut BTreeSet<Id>,
        key: Option<&str>,
    ) {
        let label = Self::perm_label(key, old);
        self.perm_labels.insert(old.id, label.clone());
        let fields = perm_diff(old, &new);
        // The same stored permission named twice (by id and by content): one update.
        if fields.is_empty() || !updated.insert(old.id) {
            return;
        }
        new.created_by = old.created_by;
        new.created_at = old.created_at;
        new.updated_at = self.t;
        let item = Self::item(Op::Update, ObjectKind::Permission, label, fields);
        let change = Change::Update {
            object: Object::Permission(new),
            expected_version: old.version,
        };
        self.push(|o| &mut o.updates, change, item);
    }
}
