//! [`Row`]: one list row, stored compactly. A list holds a row per object — a million on the
//! Permissions pane of a large store — so a row is one string: its object id (unless the id is
//! a UUID, kept as 16 bytes beside it), then its sanitized cells (separated by U+001F, which
//! sanitizing never lets through), then a lowercased copy of the cells for the filter only when
//! lowercasing is more than ASCII: ASCII rows, nearly all of them, are matched in place,
//! ignoring ASCII case. A row costs one allocation instead of one per cell plus the id and the
//! search key.

use crate::text::sanitize;
use std::borrow::Cow;
use uuid::Uuid;

/// Separates the cells inside [`Row`]'s text (a C0 control: [`sanitize`] escapes every one).
const SEP: char = '\u{1f}';

/// The most text a row keeps (its id and cells; longer text is cut at a character boundary):
/// far more than a terminal line shows, and small enough for the row's 32-bit offsets.
const MAX_TEXT: usize = 1 << 20;

/// [`Row::id_end`] when the id is [`Row::uuid`] and not in the text.
const UUID_ID: u32 = u32::MAX;

/// One row: its object id, its cells (sanitized) and what the filter searches (40 bytes and
/// one allocation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The id (unless it is [`Row::uuid`]), then the cells (sanitized, joined by [`SEP`]),
    /// then — only when the cells are not ASCII — the cells lowercased.
    buf: Box<str>,
    /// The id, when it is a UUID written the canonical way (lowercase, hyphenated).
    uuid: [u8; 16],
    /// Where the id ends and the cells start, or [`UUID_ID`].
    id_end: u32,
    /// Where the cells end and the lowercased copy starts (`buf.len()` when there is none).
    cells_end: u32,
}

/// `s` cut to at most [`MAX_TEXT`] bytes, at a character boundary.
fn capped(s: &str) -> &str {
    if s.len() <= MAX_TEXT {
        return s;
    }
    let mut end = MAX_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The UUID `id` is when it is written the canonical way (lowercase, hyphenated), so that
/// writing the UUID back gives `id` again.
fn canonical_uuid(id: &str) -> Option<Uuid> {
    let u = Uuid::try_parse(id).ok()?;
    let mut buf = Uuid::encode_buffer();
    (u.hyphenated().encode_lower(&mut buf) == id).then_some(u)
}

impl Row {
    /// A row from raw cell texts: sanitizes them.
    pub(crate) fn new(id: impl AsRef<str>, cells: Vec<String>) -> Row {
        let mut text = Cells::with_capacity(cells.iter().map(|c| c.len() + 1).sum());
        for c in &cells {
            text.push_raw(c);
        }
        Row::from_cells(id, text)
    }

    /// A row from its cells, built with [`Cells`] (sanitized there).
    pub(crate) fn from_cells(id: impl AsRef<str>, cells: Cells) -> Row {
        let uuid = canonical_uuid(id.as_ref());
        let id = if uuid.is_some() {
            ""
        } else {
            capped(id.as_ref())
        };
        let text = capped(&cells.text);
        let key = (!text.is_ascii()).then(|| text.to_lowercase());
        let key = key.as_deref().map_or("", capped);
        let mut buf = String::with_capacity(id.len() + text.len() + key.len());
        buf.push_str(id);
        buf.push_str(text);
        // Both fit: each part is at most MAX_TEXT (1 MiB) long.
        let (id_end, cells_end) = (id.len() as u32, buf.len() as u32);
        buf.push_str(key);
        Row {
            buf: buf.into_boxed_str(),
            uuid: uuid.map_or([0; 16], |u| u.into_bytes()),
            id_end: if uuid.is_some() { UUID_ID } else { id_end },
            cells_end,
        }
    }

    /// Where the cells start in `buf`.
    fn cells_start(&self) -> usize {
        if self.id_end == UUID_ID {
            0
        } else {
            self.id_end as usize
        }
    }

    /// The object the row shows (permission id, username, …).
    pub fn id(&self) -> Cow<'_, str> {
        if self.id_end == UUID_ID {
            Cow::Owned(Uuid::from_bytes(self.uuid).hyphenated().to_string())
        } else {
            Cow::Borrowed(&self.buf[..self.id_end as usize])
        }
    }

    /// Whether the row's id is `id` (without writing a UUID id out).
    pub fn id_is(&self, id: &str) -> bool {
        if self.id_end == UUID_ID {
            let mut buf = Uuid::encode_buffer();
            Uuid::from_bytes(self.uuid)
                .hyphenated()
                .encode_lower(&mut buf)
                == id
        } else {
            &self.buf[..self.id_end as usize] == id
        }
    }

    /// The cells, sanitized, joined by [`SEP`].
    fn text(&self) -> &str {
        &self.buf[self.cells_start()..self.cells_end as usize]
    }

    /// The cells lowercased, when they are not ASCII.
    fn key(&self) -> Option<&str> {
        let end = self.cells_end as usize;
        (end < self.buf.len()).then(|| &self.buf[end..])
    }

    /// Cell `i` (empty past the last).
    pub fn cell(&self, i: usize) -> &str {
        self.cells().nth(i).unwrap_or("")
    }

    /// The cells, in column order.
    pub fn cells(&self) -> std::str::Split<'_, char> {
        self.text().split(SEP)
    }

    /// Everything searchable, lowercased: the cells joined by U+001F, then lowercased (what
    /// [`Row::matches`] searches; the tests compare it with that definition).
    #[cfg(test)]
    pub(crate) fn search_key(&self) -> std::borrow::Cow<'_, str> {
        match self.key() {
            Some(k) => std::borrow::Cow::Borrowed(k),
            None => std::borrow::Cow::Owned(self.text().to_ascii_lowercase()),
        }
    }

    /// Whether [`Row::search_key`] contains `needle`, which must be lowercased
    /// (`str::to_lowercase`). An ASCII row is compared in place ignoring ASCII case: its
    /// lowercase is its ASCII lowercase, and a needle with a non-ASCII character cannot occur in
    /// ASCII text.
    pub fn matches(&self, needle: &str) -> bool {
        match self.key() {
            Some(k) => k.contains(needle),
            None => contains_ignore_ascii_case(self.text().as_bytes(), needle.as_bytes()),
        }
    }
}

/// Whether `needle` (lowercase) occurs in `hay` with ASCII letters compared case-insensitively.
fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let Some(last_start) = hay.len().checked_sub(needle.len()) else {
        return false;
    };
    let mut from = 0;
    // Candidates: where the first byte occurs in either case.
    while from <= last_start {
        let Some(p) = memchr::memchr2(first, first.to_ascii_uppercase(), &hay[from..=last_start])
        else {
            return false;
        };
        let at = from + p;
        if hay[at + 1..at + needle.len()].eq_ignore_ascii_case(rest) {
            return true;
        }
        from = at + 1;
    }
    false
}

/// The cells of a row being built: each pushed cell is sanitized (a copy is made only of the
/// characters that need escaping) and separated from the one before.
#[derive(Debug, Default)]
pub(crate) struct Cells {
    text: String,
    count: usize,
}

impl Cells {
    /// Room for `bytes` of cell text.
    pub(crate) fn with_capacity(bytes: usize) -> Cells {
        Cells {
            text: String::with_capacity(bytes),
            count: 0,
        }
    }

    /// Empties it for the next row, keeping its room.
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.count = 0;
    }

    /// Whether the row these cells make would match `needle` ([`Row::matches`]), without
    /// making the row.
    pub(crate) fn matches(&self, needle: &str) -> bool {
        let text = capped(&self.text);
        if text.is_ascii() {
            contains_ignore_ascii_case(text.as_bytes(), needle.as_bytes())
        } else {
            capped(&text.to_lowercase()).contains(needle)
        }
    }

    /// Cell `i` as the row these cells make would give it ([`Row::cell`]).
    pub(crate) fn cell(&self, i: usize) -> &str {
        capped(&self.text).split(SEP).nth(i).unwrap_or("")
    }

    /// Starts the next cell.
    fn next(&mut self) {
        if self.count > 0 {
            self.text.push(SEP);
        }
        self.count += 1;
    }

    /// Adds a cell of untrusted text, sanitized.
    pub(crate) fn push_raw(&mut self, cell: &str) -> &mut Cells {
        self.next();
        self.text.push_str(&sanitize(cell));
        self
    }

    /// Adds a cell already sanitized (or a constant).
    pub(crate) fn push_clean(&mut self, cell: &str) -> &mut Cells {
        self.next();
        self.text.push_str(cell);
        self
    }

    /// Adds a cell of pieces already sanitized, each followed by its mark, joined by `sep`.
    pub(crate) fn push_joined<M: Mark>(&mut self, pieces: &[(&str, M)], sep: &str) -> &mut Cells {
        self.next();
        for (i, (p, mark)) in pieces.iter().enumerate() {
            if i > 0 {
                self.text.push_str(sep);
            }
            self.text.push_str(p);
            mark.push_to(&mut self.text);
        }
        self
    }
}

/// What follows a piece of a joined cell ([`Cells::push_joined`]): nothing (`()`, which takes
/// no room, for lists that mark nothing) or a constant such as ` (ends)`.
pub(crate) trait Mark: Copy + Send + Sync {
    /// Writes the mark after its piece.
    fn push_to(self, text: &mut String);
}

impl Mark for () {
    #[inline]
    fn push_to(self, _: &mut String) {}
}

impl Mark for &'static str {
    #[inline]
    fn push_to(self, text: &mut String) {
        text.push_str(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(cells: &[&str]) -> Row {
        Row::new("id", cells.iter().map(|c| c.to_string()).collect())
    }

    #[test]
    fn cells_come_back_sanitized_and_in_order() {
        let r = row(&["alice", "a\x1b[2Jb", "", "Ωmega"]);
        assert_eq!(
            r.cells().collect::<Vec<_>>(),
            ["alice", "a\\x1b[2Jb", "", "Ωmega"]
        );
        assert_eq!(r.cell(1), "a\\x1b[2Jb");
        assert_eq!(r.cell(3), "Ωmega");
        assert_eq!(r.cell(9), "");
        // A raw separator in the data is escaped, so it cannot split a cell.
        let r = row(&["a\u{1f}b", "c"]);
        assert_eq!(r.cells().collect::<Vec<_>>(), ["a\\x1fb", "c"]);
    }

    #[test]
    fn ids_read_back_and_uuid_ids_are_kept_as_bytes() {
        let id = "67e55044-10b1-426f-9247-bb680e5fe0c8";
        let r = Row::new(id, vec!["a".into()]);
        assert_eq!(r.id_end, UUID_ID);
        assert_eq!(r.id(), id);
        assert!(r.id_is(id));
        assert!(!r.id_is("67e55044-10b1-426f-9247-bb680e5fe0c9"));
        assert_eq!(r.cells().collect::<Vec<_>>(), ["a"]);
        // Not canonical: kept as text, so the id reads back exactly as given.
        for id in [
            "67E55044-10B1-426F-9247-BB680E5FE0C8",
            "67e5504410b1426f9247bb680e5fe0c8",
            "alice",
            "",
        ] {
            let r = Row::new(id, vec!["Ωx".into(), "b".into()]);
            assert_ne!(r.id_end, UUID_ID, "{id}");
            assert_eq!(r.id(), id);
            assert!(r.id_is(id));
            assert!(!r.id_is("67e55044-10b1-426f-9247-bb680e5fe0c8"));
            assert_eq!(r.cells().collect::<Vec<_>>(), ["Ωx", "b"]);
            assert!(r.matches("ωx"));
        }
        assert!(size_of::<Row>() <= 40, "{} bytes", size_of::<Row>());
    }

    #[test]
    fn text_past_the_cap_is_cut_at_a_character_boundary() {
        let long = "é".repeat(MAX_TEXT); // 2 bytes each
        let r = Row::new("id", vec![long]);
        assert_eq!(r.cell(0).len(), MAX_TEXT);
        assert!(r.cell(0).chars().all(|c| c == 'é'));
        assert_eq!(r.id(), "id");
    }

    #[test]
    fn ascii_rows_keep_no_key_and_match_ignoring_case() {
        let r = row(&["Pipeline", "object-1", "DETAIL UPDATE"]);
        assert!(r.key().is_none());
        assert_eq!(r.id(), "id");
        assert_eq!(r.search_key(), "pipeline\u{1f}object-1\u{1f}detail update");
        for needle in ["pipe", "line\u{1f}obj", "detail up", "1\u{1f}d", ""] {
            assert!(r.matches(needle), "{needle:?}");
        }
        for needle in ["pipes", "x", "é", "detail updates"] {
            assert!(!r.matches(needle), "{needle:?}");
        }
    }

    #[test]
    fn non_ascii_rows_match_their_lowercase() {
        let r = row(&["ΑΣ", "K\u{212a}elvin"]);
        assert!(r.key().is_some());
        assert_eq!(r.id(), "id");
        assert!(r.matches("ας"));
        // The Kelvin sign lowercases to an ASCII k.
        assert!(r.matches("kkelvin"));
    }

    proptest! {
        /// `matches` agrees with searching the lowercased join, for any cells and needle.
        #[test]
        fn matches_is_contains_of_the_lowercased_join(
            cells in proptest::collection::vec("[a-cA-C\u{1f}Σσς\u{212a}k ]{0,6}", 1..4),
            needle in "[a-cA-Cσςk\u{1f} ]{0,3}",
        ) {
            let r = Row::new("id", cells.clone());
            let mut built = Cells::default();
            built.push_clean("stale");
            built.clear();
            for c in &cells {
                built.push_raw(c);
            }
            prop_assert_eq!(built.matches(&needle.to_lowercase()), r.matches(&needle.to_lowercase()));
            for i in 0..cells.len() + 1 {
                prop_assert_eq!(built.cell(i), r.cell(i));
            }
            let clean: Vec<String> = cells.iter().map(|c| sanitize(c).into_owned()).collect();
            let key = clean.join("\u{1f}").to_lowercase();
            let needle = needle.to_lowercase();
            prop_assert_eq!(r.search_key(), key.as_str());
            prop_assert_eq!(r.matches(&needle), key.contains(&needle));
            prop_assert_eq!(r.cells().collect::<Vec<_>>(), clean.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }
}
