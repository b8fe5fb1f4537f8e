//! A list's view state: rows, the filtered/sorted index, selection and scroll offset. Only the
//! index vector changes on filter or sort; rows are never copied per keystroke or frame.

use super::view::{Column, Row};
use std::cmp::Ordering;

/// The state of one list.
#[derive(Debug, Default, Clone)]
pub struct ListState {
    /// All rows.
    pub rows: Vec<Row>,
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
}

impl ListState {
    /// Replaces the rows, keeping filter, sort and (when possible) the selected object.
    pub fn set_rows(&mut self, rows: Vec<Row>, columns: &[Column]) {
        let keep = self.selected_row().map(|r| r.id.clone());
        self.rows = rows;
        self.refresh(columns);
        if let Some(id) = keep
            && let Some(pos) = self
                .visible
                .iter()
                .position(|&i| self.rows[i as usize].id == id)
        {
            self.selected = pos;
        }
        self.clamp();
    }

    /// Re-applies filter and sort.
    pub fn refresh(&mut self, columns: &[Column]) {
        let needle = self.filter.to_lowercase();
        self.visible = (0..self.rows.len() as u32)
            .filter(|&i| needle.is_empty() || self.rows[i as usize].key.contains(&needle))
            .collect();
        if let Some((c, rev)) = self.sort {
            let numeric = columns.get(c).is_some_and(|c| c.numeric);
            let rows = &self.rows;
            self.visible.sort_by(|&a, &b| {
                let (x, y) = (rows[a as usize].cells.get(c), rows[b as usize].cells.get(c));
                let o = match (numeric, x, y) {
                    (true, Some(x), Some(y)) => x
                        .parse::<f64>()
                        .unwrap_or(0.0)
                        .partial_cmp(&y.parse::<f64>().unwrap_or(0.0))
                        .unwrap_or(Ordering::Equal),
                    _ => x
                        .map(|s| s.to_lowercase())
                        .cmp(&y.map(|s| s.to_lowercase())),
                };
                if rev { o.reverse() } else { o }
            });
        }
        self.clamp();
    }

    /// The selected row.
    pub fn selected_row(&self) -> Option<&Row> {
        self.visible
            .get(self.selected)
            .map(|&i| &self.rows[i as usize])
    }

    /// Selects the row with this id, clearing the filter when it hides the row. False when no
    /// row has the id.
    pub fn select_id(&mut self, id: &str, columns: &[Column], height: usize) -> bool {
        let find = |l: &ListState| l.visible.iter().position(|&i| l.rows[i as usize].id == id);
        let pos = match find(self) {
            Some(p) => p,
            None if self.rows.iter().any(|r| r.id == id) => {
                self.filter.clear();
                self.refresh(columns);
                match find(self) {
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
