//! A compact encoding of ratatui's cell diff. The cells that change are exactly the ones
//! `Buffer::diff` yields (so wide characters are handled as ratatui handles them); only the
//! escape sequences around them are cheaper than `CrosstermBackend::draw`'s:
//!
//! - one SGR per change of style, with every changed attribute and colour in it (the sixteen
//!   ANSI colours in their short codes, `31` / `91` / `41` / `101` for palette entries 1, 9;
//!   other indexed colours as crossterm writes them, `38;5;n`);
//! - short gaps on a row are crossed by reprinting the unchanged cells (when they are plain
//!   ASCII in the current style) or by `CSI n C`, not by an absolute cursor move;
//! - when the rest of a row becomes blank in the default style, one `CSI K` (erase to the end
//!   of the line, with the default colours set first) replaces the blanks.
//!
//! Everything here only relies on sequences every terminal ratatui supports understands
//! (CUP, CUF, SGR, EL with default colours).

use ratatui::buffer::{Buffer, Cell, CellDiffOption};
use ratatui::style::{Color, Modifier};

/// The colours and attributes the terminal paints with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pen {
    fg: Color,
    bg: Color,
    underline: Color,
    modifier: Modifier,
}

impl Pen {
    const DEFAULT: Pen = Pen {
        fg: Color::Reset,
        bg: Color::Reset,
        underline: Color::Reset,
        modifier: Modifier::empty(),
    };

    fn of(cell: &Cell) -> Pen {
        Pen {
            fg: cell.fg,
            bg: cell.bg,
            underline: cell.underline_color,
            modifier: cell.modifier,
        }
    }
}

/// Attributes with their SGR on and off codes (bold and dim share 22, the blinks 25).
const ATTRS: [(Modifier, u8, u8); 9] = [
    (Modifier::BOLD, 1, 22),
    (Modifier::DIM, 2, 22),
    (Modifier::ITALIC, 3, 23),
    (Modifier::UNDERLINED, 4, 24),
    (Modifier::SLOW_BLINK, 5, 25),
    (Modifier::RAPID_BLINK, 6, 25),
    (Modifier::REVERSED, 7, 27),
    (Modifier::HIDDEN, 8, 28),
    (Modifier::CROSSED_OUT, 9, 29),
];

/// The palette index crossterm writes for a named colour (`38;5;n`).
fn index(c: Color) -> Option<u8> {
    Some(match c {
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
        Color::Indexed(n) => n,
        Color::Reset | Color::Rgb(..) => return None,
    })
}

/// SGR parameters for colour `c` in the slot whose codes start at `base` (38 fg, 48 bg, 58
/// underline; `base + 1` resets).
fn colour(params: &mut Vec<String>, base: u8, c: Color) {
    match c {
        Color::Reset => params.push((base + 1).to_string()),
        Color::Rgb(r, g, b) => params.push(format!("{base};2;{r};{g};{b}")),
        other => match (index(other), base) {
            // The sixteen ANSI colours in their own short codes (`31` is palette entry 1,
            // exactly as `38;5;1` is; 9 bytes fewer per colour change).
            (Some(n @ 0..=7), 38) => params.push((30 + n).to_string()),
            (Some(n @ 8..=15), 38) => params.push((90 + n - 8).to_string()),
            (Some(n @ 0..=7), 48) => params.push((40 + n).to_string()),
            (Some(n @ 8..=15), 48) => params.push((100 + n - 8).to_string()),
            (Some(n), _) => params.push(format!("{base};5;{n}")),
            (None, _) => {}
        },
    }
}

/// The SGR parameters that set every attribute and colour of `to` after a full reset.
fn from_reset(to: Pen) -> Vec<String> {
    let mut params = vec!["0".to_string()];
    for (m, on, _) in ATTRS {
        if to.modifier.contains(m) {
            params.push(on.to_string());
        }
    }
    for (base, c) in [(38, to.fg), (48, to.bg), (58, to.underline)] {
        if c != Color::Reset {
            colour(&mut params, base, c);
        }
    }
    params
}

/// The SGR parameters that change `from` into `to` attribute by attribute.
fn changes(from: Pen, to: Pen) -> Vec<String> {
    let mut params = Vec::new();
    let removed = from.modifier - to.modifier;
    let mut off = Modifier::empty();
    for (m, _, code) in ATTRS {
        if removed.contains(m) && !params.contains(&code.to_string()) {
            params.push(code.to_string());
            // The shared off code also clears the attribute's partner.
            for (other, _, c) in ATTRS {
                if c == code {
                    off |= other;
                }
            }
        }
    }
    let kept = from.modifier - off;
    for (m, on, _) in ATTRS {
        if to.modifier.contains(m) && !kept.contains(m) {
            params.push(on.to_string());
        }
    }
    for (base, a, b) in [
        (38, from.fg, to.fg),
        (48, from.bg, to.bg),
        (58, from.underline, to.underline),
    ] {
        if a != b {
            colour(&mut params, base, b);
        }
    }
    params
}

/// Writes the SGR that turns `from` into `to` (nothing when they are equal).
fn sgr(out: &mut Vec<u8>, from: Pen, to: Pen) {
    if from == to {
        return;
    }
    let a = changes(from, to);
    let b = from_reset(to);
    let len = |p: &[String]| p.iter().map(|s| s.len() + 1).sum::<usize>();
    let params = if len(&b) < len(&a) { b } else { a };
    out.extend_from_slice(b"\x1b[");
    out.extend_from_slice(params.join(";").as_bytes());
    out.push(b'm');
}

/// Absolute cursor move to 0-based (x, y).
fn cup(x: u16, y: u16) -> Vec<u8> {
    if x == 0 {
        format!("\x1b[{}H", u32::from(y) + 1).into_bytes()
    } else {
        format!("\x1b[{};{}H", u32::from(y) + 1, u32::from(x) + 1).into_bytes()
    }
}

/// A cell printed as one ASCII byte that moves the cursor by exactly one column.
fn plain(cell: &Cell) -> bool {
    let s = cell.symbol().as_bytes();
    s.len() == 1 && (0x20..0x7f).contains(&s[0]) && cell.diff_option == CellDiffOption::None
}

/// A blank cell in the default style: what `CSI K` leaves behind.
fn erased(cell: &Cell) -> bool {
    cell.symbol() == " "
        && Pen::of(cell) == Pen::DEFAULT
        && cell.diff_option == CellDiffOption::None
}

/// The bytes that turn a terminal showing `prev` into one showing `next` (same area), leaving
/// the default style set. `None` when `next` uses something this encoding leaves to ratatui
/// (cells with a forced width or always updated).
pub fn encode(prev: &Buffer, next: &Buffer) -> Option<Vec<u8>> {
    if prev.area != next.area
        || next
            .content
            .iter()
            .any(|c| !matches!(c.diff_option, CellDiffOption::None | CellDiffOption::Skip))
    {
        return None;
    }
    let area = next.area;
    let width = usize::from(area.width);
    let updates = prev.diff(next);
    let mut out = Vec::new();
    let mut pen = Pen::DEFAULT;
    // Where the cursor is: exact after a plain cell; after another symbol, only the cell just
    // right of it may be written without a move (ratatui's own assumption).
    let mut cursor: Option<(u16, u16, bool)> = None;
    let mut i = 0;
    while i < updates.len() {
        let (x, y, cell) = updates[i];
        let row = usize::from(y - area.y) * width;
        let line = &next.content[row..row + width];
        let col = usize::from(x - area.x);
        // The rest of the row is default blanks, and enough of it changes: erase it.
        let rest = updates[i..].iter().take_while(|u| u.1 == y).count();
        let tail =
            line[col..].iter().all(erased) && (col == 0 || plain(&line[col - 1])) && rest > 4;
        // Move the cursor to x.
        match cursor {
            Some((cx, cy, _)) if cy == y && cx == x => {}
            Some((cx, cy, true)) if cy == y && cx < x => {
                let gap = &line[usize::from(cx - area.x)..col];
                let reprint = gap.iter().all(|c| plain(c) && Pen::of(c) == pen);
                let cuf = if x - cx == 1 {
                    b"\x1b[C".to_vec()
                } else {
                    format!("\x1b[{}C", x - cx).into_bytes()
                };
                let abs = cup(x, y);
                if reprint && gap.len() <= cuf.len().min(abs.len()) {
                    for c in gap {
                        out.extend_from_slice(c.symbol().as_bytes());
                    }
                } else if cuf.len() <= abs.len() {
                    out.extend_from_slice(&cuf);
                } else {
                    out.extend_from_slice(&abs);
                }
            }
            _ => out.extend_from_slice(&cup(x, y)),
        }
        if tail {
            sgr(&mut out, pen, Pen::DEFAULT);
            pen = Pen::DEFAULT;
            out.extend_from_slice(b"\x1b[K");
            cursor = None;
            i += rest;
            continue;
        }
        let want = Pen::of(cell);
        sgr(&mut out, pen, want);
        pen = want;
        out.extend_from_slice(cell.symbol().as_bytes());
        cursor = Some((x + 1, y, plain(cell)));
        i += 1;
    }
    sgr(&mut out, pen, Pen::DEFAULT);
    Some(out)
}

#[cfg(test)]
#[path = "encode_tests.rs"]
mod tests;
