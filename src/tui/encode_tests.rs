use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use ratatui::layout::Rect;
use ratatui::style::Style;
use std::num::NonZeroU16;

const COLOURS: [Color; 6] = [
    Color::Reset,
    Color::Black,
    Color::Cyan,
    Color::DarkGray,
    Color::Indexed(200),
    Color::Rgb(1, 2, 3),
];
/// No dim: bold and dim together (styles add up) show as one intensity in vt100, as in many
/// terminals; the SGR for dim is checked in `style_changes_are_one_sgr_each`.
const MODIFIERS: [Modifier; 6] = [
    Modifier::empty(),
    Modifier::BOLD,
    Modifier::ITALIC,
    Modifier::REVERSED,
    Modifier::BOLD.union(Modifier::REVERSED),
    Modifier::UNDERLINED.union(Modifier::ITALIC),
];

/// The colour vt100 reports for a ratatui colour written by crossterm.
fn colour_of(c: Color) -> vt100::Color {
    match c {
        Color::Reset => vt100::Color::Default,
        Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
        other => vt100::Color::Idx(index(other).unwrap_or(0)),
    }
}

/// The bytes ratatui's `CrosstermBackend` writes for the same diff (for comparisons).
fn crossterm_bytes(prev: &Buffer, next: &Buffer) -> std::io::Result<Vec<u8>> {
    use ratatui::backend::{Backend, CrosstermBackend};
    let mut out = Vec::new();
    let mut backend = CrosstermBackend::new(&mut out);
    backend.draw(prev.diff(next).into_iter())?;
    Backend::flush(&mut backend)?;
    Ok(out)
}

type Shown = (String, vt100::Color, vt100::Color, [bool; 5]);

fn screen(p: &vt100::Parser, area: Rect) -> Vec<Shown> {
    let mut cells = Vec::new();
    for y in 0..area.height {
        for x in 0..area.width {
            let c = p.screen().cell(y, x).expect("cell");
            if c.is_wide_continuation() {
                // The right half of a wide character: drawn by the character's cell.
                cells.push((
                    String::new(),
                    vt100::Color::Default,
                    vt100::Color::Default,
                    [false; 5],
                ));
                continue;
            }
            let s = if c.contents().is_empty() {
                " ".to_string()
            } else {
                c.contents().to_string()
            };
            let flags = [c.bold(), c.dim(), c.italic(), c.underline(), c.inverse()];
            cells.push((s, c.fgcolor(), c.bgcolor(), flags));
        }
    }
    cells
}

fn expected(b: &Buffer, vt: &vt100::Parser) -> Vec<Shown> {
    let width = usize::from(b.area.width);
    b.content
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (x, y) = ((i % width) as u16, (i / width) as u16);
            if vt
                .screen()
                .cell(y, x)
                .is_some_and(|c| c.is_wide_continuation())
            {
                return (
                    String::new(),
                    vt100::Color::Default,
                    vt100::Color::Default,
                    [false; 5],
                );
            }
            let m = c.modifier;
            let flags = [
                m.contains(Modifier::BOLD),
                m.contains(Modifier::DIM),
                m.contains(Modifier::ITALIC),
                m.contains(Modifier::UNDERLINED),
                m.contains(Modifier::REVERSED),
            ];
            (
                c.symbol().to_string(),
                colour_of(c.fg),
                colour_of(c.bg),
                flags,
            )
        })
        .collect()
}

/// A screen of words and blanks in random styles; rows often end in default blanks.
fn random(rng: &mut StdRng, area: Rect) -> Buffer {
    let mut b = Buffer::empty(area);
    for y in 0..area.height {
        let end = rng.random_range(0..=area.width);
        let mut x = 0;
        while x < end {
            let len = rng.random_range(1..=8).min(end - x);
            let style = Style::default()
                .fg(COLOURS[rng.random_range(0..COLOURS.len())])
                .bg(COLOURS[rng.random_range(0..COLOURS.len())])
                .add_modifier(MODIFIERS[rng.random_range(0..MODIFIERS.len())]);
            let text: String = (0..len)
                .map(|_| {
                    if rng.random_range(0..4) == 0 {
                        ' '
                    } else {
                        char::from(b'a' + rng.random_range(0..26u8))
                    }
                })
                .collect();
            b.set_string(x, y, text, style);
            x += len;
        }
    }
    b
}

#[test]
fn random_frames_reach_the_terminal_exactly() {
    let area = Rect::new(0, 0, 40, 8);
    let mut rng = StdRng::seed_from_u64(7);
    let mut vt = vt100::Parser::new(
        NonZeroU16::new(area.height).expect("rows"),
        NonZeroU16::new(area.width).expect("cols"),
        0,
    );
    let mut prev = Buffer::empty(area);
    for n in 0..300 {
        let mut next = if n % 3 == 0 {
            random(&mut rng, area)
        } else {
            prev.clone()
        };
        // Small edits: restyled or rewritten runs, as a selection move makes.
        for _ in 0..rng.random_range(0..4) {
            let y = rng.random_range(0..area.height);
            let style = Style::default()
                .fg(COLOURS[rng.random_range(0..COLOURS.len())])
                .bg(COLOURS[rng.random_range(0..COLOURS.len())])
                .add_modifier(MODIFIERS[rng.random_range(0..MODIFIERS.len())]);
            let x = rng.random_range(0..area.width);
            next.set_style(Rect::new(x, y, area.width - x, 1), style);
        }
        let out = encode(&prev, &next).expect("plain cells");
        vt.process(&out);
        let (shown, want) = (screen(&vt, area), expected(&next, &vt));
        let first = shown.iter().zip(&want).position(|(a, b)| a != b);
        assert_eq!(
            first,
            None,
            "frame {n}: {:?} shown, {:?} drawn",
            first.map(|i| &shown[i]),
            first.map(|i| &want[i])
        );
        prev = next;
    }
}

#[test]
fn wide_characters_and_non_ascii_reach_the_terminal_exactly() {
    let area = Rect::new(0, 0, 12, 2);
    let mut vt = vt100::Parser::new(
        NonZeroU16::new(2).expect("rows"),
        NonZeroU16::new(12).expect("cols"),
        0,
    );
    let frames = [
        ["ab│cd       ", "            "],
        ["aコbd  x    ", "é←   z      "],
        ["aaaa        ", "コココ      "],
        ["a コ  y     ", "            "],
    ];
    let mut prev = Buffer::empty(area);
    for (n, lines) in frames.iter().enumerate() {
        let mut next = Buffer::with_lines(lines.iter().copied());
        next.set_style(Rect::new(0, 0, 5, 1), Style::default().bg(Color::Cyan));
        let out = encode(&prev, &next).expect("plain cells");
        vt.process(&out);
        assert_eq!(screen(&vt, area), expected(&next, &vt), "frame {n}");
        prev = next;
    }
}

/// A row of text moving from selected (black on cyan across the row) to plain, and the row
/// below the other way, as one `j` does.
fn selection_move(width: u16) -> (Buffer, Buffer) {
    let text = ["user000017  user17@example.org  person  reader-017", ""];
    let mut lines: Vec<String> = text
        .iter()
        .chain(text.iter())
        .take(3)
        .map(|t| format!("{t:<w$}", w = usize::from(width)))
        .collect();
    lines[1] = format!(
        "{:<w$}",
        "user000018  user18@example.org  person",
        w = usize::from(width)
    );
    let selected = Style::default().fg(Color::Black).bg(Color::Cyan);
    let mut prev = Buffer::with_lines(lines.iter().map(String::as_str));
    let mut next = prev.clone();
    prev.set_style(Rect::new(0, 0, width, 1), selected);
    next.set_style(Rect::new(0, 1, width, 1), selected);
    (prev, next)
}

#[test]
fn a_selection_move_is_written_exactly_and_shorter_than_crossterms() {
    let (prev, next) = selection_move(100);
    let ours = encode(&prev, &next).expect("plain cells");
    let theirs = crossterm_bytes(&prev, &next).expect("crossterm");
    let mut vt = vt100::Parser::new(
        NonZeroU16::new(3).expect("rows"),
        NonZeroU16::new(100).expect("cols"),
        0,
    );
    vt.process(&encode(&Buffer::empty(prev.area), &prev).expect("plain cells"));
    vt.process(&ours);
    assert_eq!(screen(&vt, prev.area), expected(&next, &vt));
    // The row leaving the selection ends in blanks: one erase instead of ~50 spaces.
    assert!(
        ours.windows(3).any(|w| w == b"\x1b[K"),
        "the blank end of the row is erased"
    );
    assert!(
        ours.len() + 40 < theirs.len(),
        "{} bytes here, {} from crossterm",
        ours.len(),
        theirs.len()
    );
}

#[test]
fn an_unchanged_frame_writes_nothing() {
    let (prev, _) = selection_move(60);
    assert_eq!(encode(&prev, &prev).expect("plain cells"), Vec::<u8>::new());
}

#[test]
fn style_changes_are_one_sgr_each() {
    let from = Pen {
        modifier: Modifier::BOLD | Modifier::DIM,
        fg: Color::Cyan,
        ..Pen::DEFAULT
    };
    let to = Pen {
        modifier: Modifier::DIM,
        ..Pen::DEFAULT
    };
    // 22 clears bold and dim: dim is set again; the colour goes back to the default...
    assert_eq!(changes(from, to), ["22", "2", "39"]);
    // ...but a reset and dim is shorter.
    let mut out = Vec::new();
    sgr(&mut out, from, to);
    assert_eq!(out, b"\x1b[0;2m");
    let mut out = Vec::new();
    sgr(&mut out, Pen::DEFAULT, to);
    assert_eq!(out, b"\x1b[2m");
    let mut out = Vec::new();
    sgr(&mut out, to, to);
    assert!(out.is_empty());
}

#[test]
fn the_sixteen_ansi_colours_use_their_short_codes() {
    let pen = |fg, bg| Pen {
        fg,
        bg,
        ..Pen::DEFAULT
    };
    assert_eq!(
        changes(Pen::DEFAULT, pen(Color::Red, Color::Blue)),
        ["31", "44"]
    );
    assert_eq!(
        changes(Pen::DEFAULT, pen(Color::LightRed, Color::White)),
        ["91", "107"]
    );
    assert_eq!(
        changes(Pen::DEFAULT, pen(Color::Indexed(200), Color::Indexed(16))),
        ["38;5;200", "48;5;16"]
    );
}
