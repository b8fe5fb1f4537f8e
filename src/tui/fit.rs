//! Fitting text into a number of terminal columns: its width, and cutting it with a `…` where
//! it was cut, at the end or at the start.

use ratatui::text::Span;
use std::borrow::Cow;

/// The columns `s` takes on a terminal.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// `s` in at most `room` columns, its end replaced by `…` when cut (so a cut value is never
/// taken for a whole one). Borrowed back when it fits.
pub fn cut_end(s: Cow<'_, str>, room: usize) -> Cow<'_, str> {
    if width(&s) <= room {
        return s;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = width(c.encode_utf8(&mut [0; 4]));
        if used + w + 1 > room {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    Cow::Owned(out)
}

/// `s` in at most `room` columns, its start replaced by `…` when cut.
pub fn cut_start(s: String, room: usize) -> String {
    if width(&s) <= room {
        return s;
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 1;
    for c in s.chars().rev() {
        let w = width(c.encode_utf8(&mut [0; 4]));
        if used + w > room {
            break;
        }
        used += w;
        kept.push(c);
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_mark_where_they_cut_and_keep_within_the_room() {
        assert_eq!(cut_end("abcdef".into(), 10), "abcdef");
        assert_eq!(cut_end("abcdef".into(), 4), "abc…");
        assert_eq!(cut_start("abcdef".into(), 4), "…def");
        assert_eq!(cut_start("abc".into(), 4), "abc");
        assert!(width(&cut_end("日本語のテキスト".into(), 7)) <= 7);
    }
}
