//! [`Rows`]: what a list shows — rows built once per load, or, on the Permissions pane, made
//! from the loaded state when they are read ([`PermRows`]) — and the filtering and sorting of
//! row indexes over either.

use super::view::{Column, PermRows, Row};
use std::borrow::Cow;
use std::cmp::Ordering;

/// A list's rows.
#[derive(Debug, Clone)]
pub enum Rows {
    /// Built once per load (every pane but Permissions).
    Built(Vec<Row>),
    /// Made when read (the Permissions pane: a million permissions are not held as rows).
    Permissions(PermRows),
}

impl Default for Rows {
    fn default() -> Self {
        Rows::Built(Vec::new())
    }
}

impl From<Vec<Row>> for Rows {
    fn from(rows: Vec<Row>) -> Self {
        Rows::Built(rows)
    }
}

impl Rows {
    /// How many rows.
    pub fn len(&self) -> usize {
        match self {
            Rows::Built(v) => v.len(),
            Rows::Permissions(p) => p.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i` (made, on the Permissions pane).
    pub fn get(&self, i: usize) -> Option<Cow<'_, Row>> {
        match self {
            Rows::Built(v) => v.get(i).map(Cow::Borrowed),
            Rows::Permissions(p) => p.row(i).map(Cow::Owned),
        }
    }

    /// Every row, in order (made one by one on the Permissions pane).
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, Row>> {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// The index of the row whose id is `id`.
    pub fn position(&self, id: &str) -> Option<usize> {
        match self {
            Rows::Built(v) => v.iter().position(|r| r.id_is(id)),
            Rows::Permissions(p) => p.position(id),
        }
    }

    /// The indexes of `within` (every row, in order, when `None`), in that order, whose rows
    /// match `needle` (lowercased: [`Row::matches`]).
    pub fn matching(&self, within: Option<&[u32]>, needle: &str) -> Vec<u32> {
        let n = within.map_or(self.len(), <[u32]>::len);
        // Sized for every candidate up front: no copies left behind as it grows.
        let mut out = Vec::with_capacity(n);
        if needle.is_empty() {
            match within {
                Some(w) => out.extend_from_slice(w),
                // Invariant: rows are numbered with u32 (fewer than 2^32 of them).
                None => out.extend(0..n as u32),
            }
            return out;
        }
        match self {
            Rows::Built(v) => {
                let hit = |i: &u32| v[*i as usize].matches(needle);
                match within {
                    Some(w) => out.extend(w.iter().copied().filter(hit)),
                    None => out.extend((0..n as u32).filter(hit)),
                }
            }
            Rows::Permissions(p) => p.for_each(within, |i, cells| {
                if cells.matches(needle) {
                    out.push(i);
                }
            }),
        }
        out
    }

    /// Sorts row indexes by a column (stable: equal cells keep their order), reversed when
    /// `sort` says so; nothing when there is no sort.
    pub fn sort(&self, visible: &mut Vec<u32>, sort: Option<(usize, bool)>, columns: &[Column]) {
        let Some((c, rev)) = sort else {
            return;
        };
        let numeric = columns.get(c).is_some_and(|c| c.numeric);
        let number = |s: &str| s.parse::<f64>().unwrap_or(0.0);
        let by_number = |x: &f64, y: &f64| x.partial_cmp(y).unwrap_or(Ordering::Equal);
        match self {
            // Each row's sort key is worked out once, not once per comparison.
            Rows::Built(rows) if numeric => {
                let keys: Vec<f64> = rows.iter().map(|r| number(r.cell(c))).collect();
                sort_stable(visible, rev, |a, b| {
                    by_number(&keys[a as usize], &keys[b as usize])
                });
            }
            Rows::Built(rows) => {
                let keys: Vec<Cow<'_, str>> = rows.iter().map(|r| lower(r.cell(c))).collect();
                sort_stable(visible, rev, |a, b| keys[a as usize].cmp(&keys[b as usize]));
            }
            // Made rows: the keys of the rows shown, by place in `visible`, then the places
            // sorted (the keys of a million rows in one string, not a string each).
            Rows::Permissions(p) if numeric => {
                let mut keys = Vec::with_capacity(visible.len());
                p.for_each(Some(visible), |_, cells| keys.push(number(cells.cell(c))));
                reorder(visible, |a, b| by_number(&keys[a], &keys[b]), rev);
            }
            Rows::Permissions(p) => {
                let mut text = String::new();
                let mut ends = Vec::with_capacity(visible.len());
                p.for_each(Some(visible), |_, cells| {
                    text.push_str(&lower(cells.cell(c)));
                    ends.push(text.len());
                });
                let key = |k: usize| &text[if k == 0 { 0 } else { ends[k - 1] }..ends[k]];
                reorder(visible, |a, b| key(a).cmp(key(b)), rev);
            }
        }
    }
}

/// Sorts row indexes by `cmp` (stable), reversed when `rev`.
fn sort_stable(visible: &mut [u32], rev: bool, cmp: impl Fn(u32, u32) -> Ordering) {
    visible.sort_by(|&a, &b| {
        let o = cmp(a, b);
        if rev { o.reverse() } else { o }
    });
}

/// Sorts `visible` by comparing places in it (stable), reversed when `rev`.
fn reorder(visible: &mut Vec<u32>, cmp: impl Fn(usize, usize) -> Ordering, rev: bool) {
    // Invariant: `visible` holds u32 row numbers, so its length fits a u32 too.
    let mut places: Vec<u32> = (0..visible.len() as u32).collect();
    sort_stable(&mut places, rev, |a, b| cmp(a as usize, b as usize));
    *visible = places.into_iter().map(|p| visible[p as usize]).collect();
}

/// `s.to_lowercase()`, borrowing `s` when it is already lowercase ASCII.
fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}
