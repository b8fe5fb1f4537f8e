//! [`PermRows`]: the Permissions pane's rows, made when they are read instead of held. A store
//! of a million permissions would cost ~100 MiB of built rows (docs/PRODUCT.md §5 holds the console with
//! them to 300 MB); the pane keeps the state it was loaded from, the number of roles per
//! permission, and makes a row — the same [`Row`] a built list holds — for the few on screen,
//! the selection, and one at a time while filtering or sorting.

use super::row::{Cells, Row};
use crate::catalog::Catalogs;
use crate::model::Id;
use crate::policy::{PermRef, State, partition_point_from};
use std::fmt::Write;
use std::sync::Arc;
use uuid::Uuid;

/// The Permissions pane's rows: row `i` is the state's `i`-th permission in id order.
#[derive(Debug, Clone)]
pub struct PermRows {
    state: Arc<State>,
    /// The ids in order, only when the state's table cannot be read by position (a write
    /// since it was loaded left edits pending: [`crate::policy::Permissions::nth`]).
    ids: Option<Vec<Id>>,
    /// How many roles hold each permission, by row.
    roles: Vec<u32>,
    /// The catalogs, to tell a permission whose conditions are ignored.
    catalogs: Arc<Catalogs>,
}

/// What building one row needs besides the permission: reused from row to row.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    access: String,
    updated: String,
    pub(crate) cells: Cells,
}

impl PermRows {
    /// The rows of `state`'s permissions, their catalogs in `catalogs`.
    pub fn new(state: Arc<State>, catalogs: Arc<Catalogs>) -> PermRows {
        let perms = &state.permissions;
        let ids = (!perms.by_position()).then(|| perms.keys().copied().collect::<Vec<Id>>());
        // Roles per permission: each role's links come in permission id order, so each is
        // found by a gallop from the role's previous one — no map or sorted copy of a million
        // links.
        let mut rows = PermRows {
            roles: vec![0u32; perms.len()],
            state: Arc::clone(&state),
            ids,
            catalogs,
        };
        let mut at = 0usize;
        let mut role = None;
        for &(r, p) in &state.role_permissions {
            if role != Some(r) {
                role = Some(r);
                at = 0;
            }
            if let Some(i) = rows.find_from(at, &p) {
                rows.roles[i] = rows.roles[i].saturating_add(1);
                at = i;
            }
        }
        rows
    }

    /// The id of row `i`.
    fn id_at(&self, i: usize) -> Option<Id> {
        match &self.ids {
            Some(ids) => ids.get(i).copied(),
            None => self.state.permissions.nth(i).map(|p| p.id()),
        }
    }

    /// The row of permission `id`, looking from row `from` on (a gallop, then a binary search:
    /// a few steps when it is near).
    fn find_from(&self, from: usize, id: &Id) -> Option<usize> {
        let i = partition_point_from(self.len(), from, |i| self.id_at(i).is_some_and(|x| x < *id));
        (self.id_at(i) == Some(*id)).then_some(i)
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.roles.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.roles.is_empty()
    }

    /// The permission of row `i`.
    fn view(&self, i: usize) -> Option<PermRef<'_>> {
        match &self.ids {
            Some(ids) => self.state.permissions.view(ids.get(i)?),
            None => self.state.permissions.nth(i),
        }
    }

    /// Row `i`, built.
    pub fn row(&self, i: usize) -> Option<Row> {
        let p = self.view(i)?;
        let mut scratch = Scratch::default();
        fill(&p, self.roles[i], &self.catalogs, &self.state, &mut scratch);
        Some(Row::from_cells(
            p.id().hyphenated().to_string(),
            scratch.cells,
        ))
    }

    /// The row showing the permission with this id.
    pub fn position(&self, text: &str) -> Option<usize> {
        let id = Id::parse_str(text).ok()?;
        // Row ids are written hyphenated and lowercase: another spelling names no row.
        let mut buf = Uuid::encode_buffer();
        if id.hyphenated().encode_lower(&mut buf) != text {
            return None;
        }
        match &self.ids {
            Some(ids) => ids.binary_search(&id).ok(),
            None => self.state.permissions.rank(&id).flatten(),
        }
    }

    /// Calls `f` with each row's index and cells, for `within` (every row, in order, when
    /// `None`). Rows are made one at a time into one reused buffer.
    pub(crate) fn for_each(&self, within: Option<&[u32]>, mut f: impl FnMut(u32, &Cells)) {
        let mut scratch = Scratch::default();
        match within {
            // In id order, as the rows are, whether or not edits are pending.
            None => {
                for (i, p) in self.state.permissions.iter().enumerate() {
                    fill(&p, self.roles[i], &self.catalogs, &self.state, &mut scratch);
                    // Invariant: rows are numbered with u32 (fewer than 2^32 permissions).
                    f(i as u32, &scratch.cells);
                }
            }
            Some(within) => {
                for &i in within {
                    if let Some(p) = self.view(i as usize) {
                        fill(
                            &p,
                            self.roles[i as usize],
                            &self.catalogs,
                            &self.state,
                            &mut scratch,
                        );
                        f(i, &scratch.cells);
                    }
                }
            }
        }
    }
}

/// The badge leading the ACCESS cell of a permission whose conditions its catalog ignores
/// ([`Catalogs::inert_conditions`]): it grants unconditionally. Fitting the cell keeps it
/// (`access_cell.rs`); `/ignored` finds them.
pub const INERT_BADGE: &str = "⚠cond-ignored";

/// Writes the cells of permission `p`, held by `roles` roles, into `s.cells`: short id,
/// entity, entity UUID, access (led by [`INERT_BADGE`] when its conditions are ignored),
/// effect, roles, catalog, last update (UTC) and creator (usernames from `state`).
pub(crate) fn fill(
    p: &PermRef<'_>,
    roles: u32,
    catalogs: &Catalogs,
    state: &State,
    s: &mut Scratch,
) {
    let (grants, denies) = (p.grants(), p.denies());
    let access = &mut s.access;
    access.clear();
    if !p.conditions().is_empty()
        && catalogs
            .inert_conditions(p.catalog(), grants, p.conditions())
            .is_some()
    {
        access.push_str(INERT_BADGE);
    }
    for g in grants {
        if !access.is_empty() {
            access.push(' ');
        }
        access.push_str(g);
    }
    for d in denies {
        if !access.is_empty() {
            access.push(' ');
        }
        access.push('!');
        access.push_str(d);
    }
    let effect = match (grants.is_empty(), denies.is_empty()) {
        (false, true) => "grant",
        (true, false) => "deny",
        _ => "mixed",
    };
    let id = p.id();
    let mut uuid = Uuid::encode_buffer();
    let simple = id.simple().encode_lower(&mut uuid);
    let uuid_cell = p.entity_uuid().unwrap_or("all");
    let mut n = itoa::Buffer::new();
    let t = p.updated_at().to_offset(time::UtcOffset::UTC);
    s.updated.clear();
    // Writing to a String cannot fail.
    let _ = write!(
        s.updated,
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    );
    let by = match p.created_by() {
        None => "-",
        Some(id) => state.users.get(&id).map_or("?", |u| u.username.as_str()),
    };
    s.cells.clear();
    s.cells
        .push_clean(&simple[simple.len() - 12..])
        .push_raw(p.entity())
        .push_raw(uuid_cell)
        .push_raw(access)
        .push_clean(effect)
        .push_clean(n.format(roles))
        .push_raw(p.catalog())
        .push_clean(&s.updated)
        .push_raw(by);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Permission, now};
    use crate::text::sanitize;
    use crate::tui::rows::Rows;
    use crate::tui::view::{Pane, columns};

    fn cats() -> Arc<Catalogs> {
        Arc::new(Catalogs::builtin().expect("catalogs"))
    }

    const ENTITIES: &[&str] = &["Pipeline", "Block", "Σημαία", "a\x1b[2Jb", "File\u{202e}x"];

    fn perm(i: u128) -> Permission {
        let t = now();
        let flags = ["DETAIL", "UPDATE", "LIST", "Ünïcode"];
        Permission {
            id: Id::from_u128((0x1234_5678_9abc_def0_u128 << 64) | (i * 7919)),
            catalog: if i.is_multiple_of(5) {
                "gatehouse"
            } else {
                "mage"
            }
            .into(),
            entity: ENTITIES[i as usize % ENTITIES.len()].into(),
            entity_uuid: (!i.is_multiple_of(3)).then(|| format!("object-{i}\u{200b}")),
            grants: (0..i as usize % 3).map(|f| flags[f].to_string()).collect(),
            denies: (i % 4 == 1)
                .then(|| flags[(i as usize / 4) % 4].to_string())
                .into_iter()
                .collect(),
            // Every 7th has a condition: ignored (no gate) in the mage catalog, counted in gatehouse.
            conditions: (i % 7 == 3)
                .then(|| "USER_OWNS_ENTITY".to_string())
                .into_iter()
                .collect(),
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
        }
    }

    /// A state of `n` permissions, permission `i` held by `i % 4` of three roles (capped).
    fn state(n: u128) -> State {
        let mut s = State {
            permissions: (0..n).map(perm).collect(),
            ..State::default()
        };
        for i in 0..n {
            for r in 0..(i % 4).min(3) {
                s.role_permissions
                    .insert((Id::from_u128(r + 1), perm(i).id));
            }
        }
        s
    }

    /// The cells the pane shows for `p`, written out plainly.
    fn want_cells(p: &Permission, roles: u128) -> Vec<String> {
        let inert = p.catalog == "mage"
            && !p.conditions.is_empty()
            && !p.grants.iter().any(|g| g == "DISABLE_UNLESS_CONDITIONS");
        let mut access: Vec<String> = inert.then(|| INERT_BADGE.to_string()).into_iter().collect();
        access.extend(p.grants.iter().cloned());
        access.extend(p.denies.iter().map(|d| format!("!{d}")));
        let effect = match (p.grants.is_empty(), p.denies.is_empty()) {
            (false, true) => "grant",
            (true, false) => "deny",
            _ => "mixed",
        };
        let simple = p.id.simple().to_string();
        vec![
            simple[20..].to_string(),
            sanitize(&p.entity).into_owned(),
            sanitize(p.entity_uuid.as_deref().unwrap_or("all")).into_owned(),
            sanitize(&access.join(" ")).into_owned(),
            effect.into(),
            roles.to_string(),
            p.catalog.clone(),
            crate::tui::view::date(p.updated_at.to_offset(time::UtcOffset::UTC)),
            "-".into(),
        ]
    }

    #[test]
    fn made_rows_show_each_permission_sanitized_with_its_role_count() {
        let n = 40;
        let rows = PermRows::new(Arc::new(state(n)), cats());
        assert_eq!(rows.len(), n as usize);
        let mut want: Vec<Permission> = (0..n).map(perm).collect();
        want.sort_by_key(|p| p.id);
        for (i, p) in want.iter().enumerate() {
            let r = rows.row(i).expect("a row per permission");
            let k = (0..n).find(|k| perm(*k).id == p.id).expect("its number");
            assert_eq!(r.id(), p.id.hyphenated().to_string());
            assert_eq!(
                r.cells().collect::<Vec<_>>(),
                want_cells(p, (k % 4).min(3)),
                "row {i}"
            );
            assert_eq!(rows.position(&p.id.hyphenated().to_string()), Some(i));
        }
        assert!(rows.row(n as usize).is_none());
        let badged = (0..rows.len())
            .filter(|&i| {
                rows.row(i)
                    .is_some_and(|r| r.cells().any(|c| c.starts_with(INERT_BADGE)))
            })
            .count();
        assert_eq!(
            badged, 5,
            "mage permissions 3, 17, 24, 31, 38 carry a condition"
        );
        let some = want[3].id;
        assert_eq!(
            rows.position(&some.hyphenated().to_string().to_uppercase()),
            None
        );
        assert_eq!(rows.position(&some.simple().to_string()), None);
        assert_eq!(rows.position("not an id"), None);
        assert_eq!(
            rows.position(&Id::from_u128(1).hyphenated().to_string()),
            None
        );
        // Sanitized: no control, bidi or zero-width character reaches the screen.
        for i in 0..rows.len() {
            let r = rows.row(i).expect("row");
            assert!(
                !r.cells()
                    .any(|c| c.contains(['\x1b', '\u{202e}', '\u{200b}']))
            );
        }
    }

    /// Built rows holding exactly what `made` makes.
    fn built(made: &PermRows) -> Rows {
        Rows::Built((0..made.len()).filter_map(|i| made.row(i)).collect())
    }

    #[test]
    fn filtering_and_sorting_made_rows_equal_doing_it_on_built_rows() {
        let cols = columns(Pane::Permissions);
        let made = PermRows::new(Arc::new(state(60)), cats());
        let b = built(&made);
        let made = Rows::Permissions(made);
        for needle in [
            "", "ob", "σημ", "!upd", "grant", "\\x1b", "ünï", "zz", "1", "ignored",
        ] {
            let all = made.matching(None, needle);
            assert_eq!(all, b.matching(None, needle), "{needle:?}");
            let within: Vec<u32> = (0..60).rev().step_by(3).collect();
            assert_eq!(
                made.matching(Some(&within), needle),
                b.matching(Some(&within), needle),
                "{needle:?} within"
            );
            for c in 0..cols.len() {
                for rev in [false, true] {
                    let (mut x, mut y) = (all.clone(), all.clone());
                    made.sort(&mut x, Some((c, rev)), cols);
                    b.sort(&mut y, Some((c, rev)), cols);
                    assert_eq!(x, y, "{needle:?} by column {c} rev {rev}");
                }
            }
        }
        assert!(
            made.matching(None, "grant").len() > 5,
            "the needles find rows"
        );
        assert_eq!(
            made.matching(None, "ignored").len(),
            7, // 3, 17, 24, 31, 38, 52, 59 (10 and 45 are gatehouse's)
            "`/ignored` finds the mage permissions with a condition and no gate"
        );
    }

    #[test]
    fn a_state_with_pending_edits_is_read_through_its_ids() {
        let mut s = state(30);
        let extra = Permission {
            id: Id::from_u128(5),
            ..perm(99)
        };
        s.permissions.insert(&extra);
        assert!(!s.permissions.by_position(), "an edit is pending");
        assert!(s.permissions.nth(0).is_none());
        let pending = PermRows::new(Arc::new(s.clone()), cats());
        assert!(pending.ids.is_some());
        let mut folded = s.clone();
        folded.permissions = s.permissions.iter().map(|p| p.to_permission()).collect();
        assert!(folded.permissions.by_position());
        let folded = PermRows::new(Arc::new(folded), cats());
        assert_eq!(pending.len(), 31);
        for i in 0..31 {
            assert_eq!(pending.row(i), folded.row(i), "row {i}");
        }
        assert_eq!(
            pending.position(&extra.id.hyphenated().to_string()),
            Some(0)
        );
        let (p, f) = (Rows::Permissions(pending), Rows::Permissions(folded));
        assert_eq!(p.matching(None, "ob"), f.matching(None, "ob"));
    }
}
