//! Text from data (names, descriptions, emails, audit records) is untrusted: before it reaches a
//! terminal, [`sanitize`] turns every character that could move the cursor, clear the screen,
//! reorder the line or hide itself into a visible escape (docs/PRODUCT.md §6).

use std::borrow::Cow;

/// True for a character that must not reach a terminal as is: C0 controls, DEL, C1 controls
/// (ESC, hence every ANSI escape sequence, included), bidi overrides, isolates and marks,
/// zero-width characters and the line/paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{061c}'
        | '\u{180e}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}')
}

/// Replaces every unsafe character (see [`is_unsafe`]) with a visible escape: `\x1b` for ASCII
/// controls, `\u{202e}` for the others, so `"\x1b[2J"` prints as the literal text `\x1b[2J`.
/// Borrows when nothing needs replacing.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    // Printable ASCII, by far the common case, is never unsafe: no per-character scan.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Cow::Borrowed(s);
    }
    let Some(first) = s.find(is_unsafe) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if is_unsafe(c) {
            let n = u32::from(c);
            if n < 0x80 {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Masks the password of every URL in `text`: `postgres://u:pw@db/x` becomes
/// `postgres://u:***@db/x`, also inside a longer message (an HTTP client's error names the URL
/// it could not reach). The user info runs from `://` to the last `@` before the next space, so
/// a password holding `@`, `/` or `?` is masked whole; in doubt more is masked, never less.
/// Borrows when there is nothing to mask.
pub fn redact_url_passwords(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let word_end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        let word = &tail[..word_end];
        let masked = word.rfind('@').and_then(|at| {
            let colon = word[..at].find(':')?;
            Some((colon, at))
        });
        match masked {
            Some((colon, at)) => {
                out.push_str(&word[..colon]);
                out.push_str(":***");
                out.push_str(&word[at..]);
                changed = true;
            }
            None => out.push_str(word),
        }
        rest = &tail[word_end..];
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(sanitize("alice"), Cow::Borrowed("alice")));
        assert!(matches!(sanitize(""), Cow::Borrowed("")));
        assert!(matches!(sanitize("Ærlig Øst — été"), Cow::Borrowed(_)));
        assert!(matches!(sanitize("team:ops → role:X"), Cow::Borrowed(_)));
    }

    #[test]
    fn ansi_sequences_become_literal() {
        assert_eq!(sanitize("\x1b[2Jhi"), "\\x1b[2Jhi");
        assert_eq!(sanitize("a\x1b]0;title\x07b"), "a\\x1b]0;title\\x07b");
        assert_eq!(sanitize("\u{9b}31m"), "\\u{9b}31m");
    }

    #[test]
    fn controls_are_escaped() {
        assert_eq!(sanitize("a\nb\tc\rd\0"), "a\\x0ab\\x09c\\x0dd\\x00");
        assert_eq!(sanitize("x\x7fy"), "x\\x7fy");
        assert_eq!(sanitize("\u{85}"), "\\u{85}");
    }

    #[test]
    fn bidi_and_zero_width_are_escaped() {
        assert_eq!(sanitize("evil\u{202e}gpj.exe"), "evil\\u{202e}gpj.exe");
        assert_eq!(sanitize("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
        assert_eq!(sanitize("a\u{200b}b\u{200d}"), "a\\u{200b}b\\u{200d}");
        assert_eq!(sanitize("\u{feff}bom"), "\\u{feff}bom");
        assert_eq!(
            sanitize("\u{200e}\u{200f}\u{61c}"),
            "\\u{200e}\\u{200f}\\u{61c}"
        );
        assert_eq!(
            sanitize("\u{2060}\u{2064}\u{180e}"),
            "\\u{2060}\\u{2064}\\u{180e}"
        );
    }

    #[test]
    fn output_is_always_safe() {
        let nasty = "\x1b[2J\u{202e}\u{200b}\u{9b}\x07ok";
        let s = sanitize(nasty);
        assert!(!s.chars().any(is_unsafe));
        assert_eq!(sanitize(&s), s, "sanitizing twice changes nothing");
    }

    #[test]
    fn url_passwords_are_masked_wherever_they_are() {
        use super::redact_url_passwords as r;
        assert_eq!(r("postgres://u:pw@db:5432/x"), "postgres://u:***@db:5432/x");
        assert_eq!(
            r("error sending request for url (http://bob:s3cret@127.0.0.1:9/api/v1/me): refused"),
            "error sending request for url (http://bob:***@127.0.0.1:9/api/v1/me): refused"
        );
        assert_eq!(
            r("at http://a:p@ss/w?rd@h/x and https://c:d@e"),
            "at http://a:***@h/x and https://c:***@e"
        );
        assert_eq!(r("'mysql://root:toor@db/app'"), "'mysql://root:***@db/app'");
        // Nothing to mask: borrowed, unchanged.
        for plain in [
            "http://127.0.0.1:7420/api",
            "postgres://u@db/x",
            "no url: a@b",
            "",
        ] {
            assert!(
                matches!(r(plain), std::borrow::Cow::Borrowed(t) if t == plain),
                "{plain}"
            );
        }
    }
}
