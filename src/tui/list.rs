//! A list's view state: rows, the filtered/sorted index, selection and scroll offset. Only the
//! index vector changes on filter or sort; rows are never copied per keystroke or frame, and a
//! keystroke that narrows the filter only re-checks the rows still shown.

use super::rows::Rows;
use super::view::{Column, Row};
use std::borrow::Cow;

/// Filter steps kept for narrowing: each needle contains the one before it, and its
/// `visible` is the previous step's filtered further, so typing re-checks only the rows still
/// shown and Backspace or Esc finds an earlier result again.
const MAX_STEPS: usize = 32;

/// The most row indexes the kept steps hold together (16 MiB): on a million-row list each step
/// is 4 MiB, so only the latest few are kept (the earliest is dropped first; reaching it again
/// filters again).
const MAX_STEP_INDEXES: usize = 1 << 22;

/// The state of one list.
#[derive(Debug, Default, Clone)]
pub struct ListState {
    /// All rows. Replace them with [`ListState::set_rows`], which resets the kept filter
    /// results.
    pub rows: Rows,
    /// Indexes of the rows shown, in display order.
    pub visible: Vec<u32>,
    /// Position of the selection in `visible`.
    pub selected: usize,
    /// First visible position.
    pub offset: usize,
    /// The filter text.
    pub filter: String,
    /// Sort column and whether it is reversed.
    pub sort: Option<(usize, bool)>,
    /// Earlier filter results, for narrowing.
    steps: Steps,
}

/// Filter results under one sort and one set of rows: (lowercased needle, visible) pairs, each
/// needle containing the one before.
#[derive(Debug, Default, Clone)]
struct Steps {
    sort: Option<(usize, bool)>,
    rows: usize,
    chain: Vec<(String, Vec<u32>)>,
}

impl ListState {
    /// Replaces the rows, keeping filter, sort and (when possible) the selected object.
    pub fn set_rows(&mut self, rows: impl Into<Rows>, columns: &[Column]) {
        let keep = self.selected_row().map(|r| r.id().into_owned());
        self.rows = rows.into();
        self.steps.chain.clear();
        self.refresh(columns);
        if let Some(id) = keep
            && let Some(pos) = self.place_of(&id)
        {
            self.selected = pos;
        }
        self.clamp();
    }

    /// The place in `visible` of the row with this id.
    fn place_of(&self, id: &str) -> Option<usize> {
        let row = self.rows.position(id)? as u32;
        self.visible.iter().position(|&i| i == row)
    }

    /// Re-applies filter and sort.
    ///
    /// When the lowercased filter contains an earlier one (typing more), only that result's
    /// rows are checked: every row whose key contains the new needle contains the old one, and
    /// a subsequence of a stably sorted list is the stable sort of those rows, so the result
    /// equals filtering and sorting everything again. An exact earlier filter (after Backspace
    /// or Esc) is reused as is. A new sort or new rows start over.
    pub fn refresh(&mut self, columns: &[Column]) {
        self.refresh_keeping(columns, MAX_STEP_INDEXES);
    }

    /// [`ListState::refresh`], the kept steps holding at most `budget` row indexes.
    fn refresh_keeping(&mut self, columns: &[Column], budget: usize) {
        let needle = self.filter.to_lowercase();
        let steps = &mut self.steps;
        if steps.sort != self.sort || steps.rows != self.rows.len() {
            steps.chain.clear();
            steps.sort = self.sort;
            steps.rows = self.rows.len();
        }
        while steps
            .chain
            .last()
            .is_some_and(|(prev, _)| !needle.contains(prev.as_str()))
        {
            steps.chain.pop();
        }
        let rows = &self.rows;
        self.visible = match steps.chain.last() {
            Some((prev, visible)) if *prev == needle => visible.clone(),
            Some((_, visible)) => rows.matching(Some(visible), &needle),
            None => {
                let mut visible = rows.matching(None, &needle);
                rows.sort(&mut visible, self.sort, columns);
                visible
            }
        };
        if steps.chain.last().is_none_or(|(prev, _)| *prev != needle) {
            if steps.chain.len() == MAX_STEPS {
                steps.chain.remove(0);
            }
            let held = |c: &[(String, Vec<u32>)]| c.iter().map(|(_, v)| v.len()).sum::<usize>();
            while !steps.chain.is_empty() && held(&steps.chain) + self.visible.len() > budget {
                steps.chain.remove(0);
            }
            if self.visible.len() <= budget {
                steps.chain.push((needle, self.visible.clone()));
            }
        }
        self.clamp();
    }

    /// The selected row.
    pub fn selected_row(&self) -> Option<Cow<'_, Row>> {
        self.rows.get(*self.visible.get(self.selected)? as usize)
    }

    /// Selects the row with this id, clearing the filter when it hides the row. False when no
    /// row has the id.
    pub fn select_id(&mut self, id: &str, columns: &[Column], height: usize) -> bool {
        let pos = match self.place_of(id) {
            Some(p) => p,
            None if self.rows.position(id).is_some() => {
                self.filter.clear();
                self.refresh(columns);
                match self.place_of(id) {
                    Some(p) => p,
                    None => return false,
                }
            }
            None => return false,
        };
        self.selected = pos;
        self.scroll(height);
        true
    }

    /// Keeps the selection inside the list.
    pub fn clamp(&mut self) {
        if self.visible.is_empty() {
            self.selected = 0;
            self.offset = 0;
        } else if self.selected >= self.visible.len() {
            self.selected = self.visible.len() - 1;
        }
    }

    /// Moves the selection by `delta` rows and scrolls so it stays in a viewport of `height`.
    pub fn move_by(&mut self, delta: isize, height: usize) {
        if self.visible.is_empty() {
            return;
        }
        let last = self.visible.len() as isize - 1;
        self.selected = (self.selected as isize + delta).clamp(0, last) as usize;
        self.scroll(height);
    }

    /// Scrolls the minimum needed to show the selection.
    pub fn scroll(&mut self, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        let max_offset = self.visible.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::view::{Pane, columns};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    const WORDS: &[&str] = &["ab", "abc", "b", "ΑΣ", "ας", "Σ", "x", "10", "9", "", "aB"];

    fn rows(rng: &mut StdRng, n: usize) -> Vec<Row> {
        (0..n)
            .map(|i| {
                let cells: Vec<String> = (0..3)
                    .map(|_| {
                        (0..rng.random_range(0..3))
                            .map(|_| WORDS[rng.random_range(0..WORDS.len())])
                            .collect()
                    })
                    .collect();
                Row::new(i.to_string(), cells)
            })
            .collect()
    }

    /// What a list that never saw an earlier filter shows.
    fn fresh(l: &ListState, columns: &[Column]) -> Vec<u32> {
        let mut f = ListState {
            rows: l.rows.clone(),
            filter: l.filter.clone(),
            sort: l.sort,
            ..ListState::default()
        };
        f.refresh(columns);
        f.visible
    }

    #[test]
    fn narrowing_equals_filtering_everything() {
        // The Roles columns: a text column, then numeric ones.
        let cols = columns(Pane::Roles);
        let mut rng = StdRng::seed_from_u64(7);
        let mut l = ListState::default();
        l.set_rows(rows(&mut rng, 300), cols);
        let mut narrowed = 0;
        for step in 0..3000 {
            match rng.random_range(0..20) {
                0..=8 => {
                    // Type a character, mostly at the end, sometimes at the front.
                    let w = WORDS[rng.random_range(0..WORDS.len())];
                    let at = if rng.random_range(0..4) == 0 {
                        0
                    } else {
                        l.filter.len()
                    };
                    if let Some(c) = w.chars().next() {
                        l.filter.insert(at, c);
                    }
                }
                9..=14 => {
                    l.filter.pop();
                }
                15 => l.filter.clear(),
                16 | 17 => {
                    l.sort = match rng.random_range(0..4) {
                        0 => None,
                        c => Some((c - 1, rng.random_range(0..2) == 0)),
                    };
                }
                18 => {
                    let n = rng.random_range(0..300);
                    l.set_rows(rows(&mut rng, n), cols);
                }
                _ => {}
            }
            let needle = l.filter.to_lowercase();
            let same = l.steps.sort == l.sort && l.steps.rows == l.rows.len();
            narrowed += usize::from(
                same && l
                    .steps
                    .chain
                    .iter()
                    .any(|(p, _)| !p.is_empty() && *p != needle && needle.contains(p.as_str())),
            );
            l.refresh(cols);
            assert_eq!(
                l.visible,
                fresh(&l, cols),
                "step {step}: {:?} {:?}",
                l.filter,
                l.sort
            );
        }
        assert!(narrowed > 500, "narrowing was exercised ({narrowed})");
    }

    #[test]
    fn kept_steps_stay_within_their_budget_and_still_narrow_right() {
        let cols = columns(Pane::Roles);
        let mut rng = StdRng::seed_from_u64(3);
        let mut l = ListState::default();
        l.set_rows(rows(&mut rng, 400), cols);
        for step in 0..2000 {
            if rng.random_range(0..3) == 0 {
                l.filter.pop();
            } else {
                let w = WORDS[rng.random_range(0..WORDS.len())];
                l.filter
                    .push_str(&w[..w.chars().next().map_or(0, char::len_utf8)]);
            }
            l.refresh_keeping(cols, 500);
            let held: usize = l.steps.chain.iter().map(|(_, v)| v.len()).sum();
            assert!(held <= 500, "step {step}: {held} indexes kept");
            assert_eq!(l.visible, fresh(&l, cols), "step {step}: {:?}", l.filter);
        }
    }

    #[test]
    fn backspace_reuses_the_earlier_result() {
        let cols = columns(Pane::Users);
        let mut rng = StdRng::seed_from_u64(1);
        let mut l = ListState::default();
        l.set_rows(rows(&mut rng, 200), cols);
        let mut seen = Vec::new();
        for c in ["a", "ab", "abc"] {
            l.filter = c.into();
            l.refresh(cols);
            seen.push(l.visible.clone());
        }
        assert!(seen[2].len() < seen[0].len(), "the filter narrows");
        l.filter = "ab".into();
        l.refresh(cols);
        assert_eq!(l.visible, seen[1]);
        assert_eq!(l.steps.chain.len(), 3, "\"\", a, ab");
        l.filter.clear();
        l.refresh(cols);
        assert_eq!(l.visible.len(), 200);
    }
}
