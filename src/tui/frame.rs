//! Putting frames on the terminal, with two savings on top of ratatui's cell diff on list
//! screens: the changed cells are written with [`super::encode`]'s shorter escape sequences,
//! and when the list scrolls by one row the terminal itself may scroll the list's rows (a
//! scroll region and `CSI S` / `CSI T`; the remembered screen is shifted the same way) so the
//! diff writes only the row that came into view and the selection — whichever of the two ways
//! (scrolling or not) writes fewer bytes for this frame.

use super::app::{App, Mode};
use super::encode::encode;
use super::view::Pane;
use ratatui::Terminal;
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;
use std::io::Write;

/// How many rows at the edge of the list region a scroll may leave out of the region.
const EDGE_ROWS: u16 = 3;

/// What the last frame showed, to recognise a one-row scroll.
#[derive(Debug)]
struct Memo {
    buffer: Buffer,
    rows: Rect,
    pane: Pane,
    offset: usize,
}

/// Draws frames; keeps the last one to scroll instead of repainting.
#[derive(Debug, Default)]
pub struct Painter {
    last: Option<Memo>,
}

/// True when the app draws a list this frame (the only thing the scroll saving applies to).
fn list_drawn(app: &App) -> bool {
    matches!(app.mode, Mode::Normal | Mode::Filter(_) | Mode::Command(_))
        && super::panes::def(app.pane).draw.is_none()
        && app.data.is_some()
}

/// Shifts the rows `rows.y .. rows.bottom()` of `buf` (full width) by one: `up` moves content
/// up (the list scrolled down) and blanks the last row; otherwise down, blanking the first.
pub fn shift_rows(buf: &mut Buffer, rows: Rect, up: bool) {
    let area = buf.area;
    let (top, bottom) = (rows.y.max(area.y), rows.bottom().min(area.bottom()));
    if bottom <= top + 1 {
        return;
    }
    let width = usize::from(area.width);
    let index = |y: u16| usize::from(y - area.y) * width;
    if up {
        for y in top..bottom - 1 {
            let (dst, src) = (index(y), index(y + 1));
            for x in 0..width {
                buf.content[dst + x] = buf.content[src + x].clone();
            }
        }
        let last = index(bottom - 1);
        buf.content[last..last + width].fill(Cell::default());
    } else {
        for y in (top + 1..bottom).rev() {
            let (dst, src) = (index(y), index(y - 1));
            for x in 0..width {
                buf.content[dst + x] = buf.content[src + x].clone();
            }
        }
        let first = index(top);
        buf.content[first..first + width].fill(Cell::default());
    }
}

impl Painter {
    /// A painter with no previous frame.
    pub fn new() -> Painter {
        Painter::default()
    }

    /// Forgets the last frame (after a resize or anything that may have touched the screen).
    pub fn forget(&mut self) {
        self.last = None;
    }

    /// Draws `app` on `terminal`: [`Painter::before`], `terminal.draw`, [`Painter::after`].
    pub fn draw<B>(&mut self, terminal: &mut Terminal<B>, app: &App) -> std::io::Result<()>
    where
        B: ratatui::backend::Backend<Error = std::io::Error> + Write,
    {
        // A resize makes the last frame useless (`before` then leaves the frame to ratatui).
        terminal.autoresize()?;
        if let Some(shown) = self.before(terminal, app)? {
            // The frame is on the terminal, in the default colours (what `encode` ends with);
            // ratatui's draw would only add colour resets and hide the hidden cursor again
            // (no screen of the console places the terminal's cursor).
            Write::flush(terminal.backend_mut())?;
            self.after(app, shown);
            return Ok(());
        }
        let done = terminal.draw(|f| super::draw::draw(app, f))?;
        let buffer = done.buffer.clone();
        self.after(app, buffer);
        Ok(())
    }

    /// Before a frame on a list: draws the coming frame, then writes it with [`encode`] from
    /// the last frame as it is, and — when the list moved by one row — also from the last
    /// frame with the list region scrolled by the terminal, keeping the shorter of the two.
    /// What was written becomes ratatui's previous frame, so its own diff is then empty, and
    /// is returned (`None`: nothing was written, the frame is ratatui's to draw).
    pub fn before<B>(
        &mut self,
        terminal: &mut Terminal<B>,
        app: &App,
    ) -> std::io::Result<Option<Buffer>>
    where
        B: ratatui::backend::Backend<Error = std::io::Error> + Write,
    {
        app.list_rows.set(None);
        let Some(memo) = self.last.take() else {
            return Ok(None);
        };
        let area = terminal.get_frame().area();
        if !list_drawn(app) || memo.buffer.area != area {
            return Ok(None);
        }
        super::draw::draw(app, &mut terminal.get_frame());
        // Drawn again by ratatui if this frame is left to it; kept if it is written here.
        let list_rows = app.list_rows.take();
        // The current buffer goes back to empty, as ratatui expects it before drawing.
        let next = std::mem::replace(terminal.current_buffer_mut(), Buffer::empty(area));
        let offset = app.list().offset;
        let mut scrolled: Option<Vec<u8>> = None;
        if memo.pane == app.pane && memo.offset.abs_diff(offset) == 1 && memo.rows.height > 2 {
            let up = offset > memo.offset;
            // The whole list region, or all of it but the last rows at the edge the list moves
            // toward: the selection (and the rows kept beyond it) stay where they are and
            // change only in the cells where the items they show differ.
            let rows = memo.rows;
            let edges = (0..=EDGE_ROWS.min(rows.height - 2)).map(|k| {
                if up {
                    Rect {
                        height: rows.height - k,
                        ..rows
                    }
                } else {
                    Rect {
                        y: rows.y + k,
                        height: rows.height - k,
                        ..rows
                    }
                }
            });
            for region in edges {
                let (top, bottom) = (region.y + 1, region.bottom());
                let mut shifted = memo.buffer.clone();
                shift_rows(&mut shifted, region, up);
                let Some(rest) = encode(&shifted, &next) else {
                    continue;
                };
                let mut out = format!(
                    "\x1b[{top};{bottom}r\x1b[{}\x1b[r",
                    if up { 'S' } else { 'T' }
                )
                .into_bytes();
                out.extend_from_slice(&rest);
                if scrolled.as_ref().is_none_or(|b| out.len() < b.len()) {
                    scrolled = Some(out);
                }
            }
        }
        let out = match (encode(&memo.buffer, &next), scrolled) {
            (Some(a), Some(b)) => {
                if b.len() < a.len() {
                    b
                } else {
                    a
                }
            }
            (Some(a), None) => a,
            (None, Some(b)) => b,
            // Cells this encoding leaves to ratatui: its own diff writes the frame.
            (None, None) => return Ok(None),
        };
        terminal.backend_mut().write_all(&out)?;
        app.list_rows.set(list_rows);
        // What the terminal now shows becomes ratatui's "previous" frame: put it in the
        // current buffer and swap (the swap clears the old previous one for the next draw).
        *terminal.current_buffer_mut() = next.clone();
        terminal.swap_buffers();
        Ok(Some(next))
    }

    /// After a frame: remembers what was drawn (`buffer`: the completed frame's buffer).
    pub fn after(&mut self, app: &App, buffer: Buffer) {
        self.last = match (app.list_rows.get(), list_drawn(app)) {
            (Some(rows), true) => Some(Memo {
                buffer,
                rows,
                pane: app.pane,
                offset: app.list().offset,
            }),
            _ => None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(rows: &[&str]) -> Buffer {
        Buffer::with_lines(rows.iter().copied())
    }

    #[test]
    fn shifting_up_moves_rows_and_blanks_the_last() {
        let mut b = buf(&["head", "aaaa", "bbbb", "cccc", "foot"]);
        shift_rows(&mut b, Rect::new(0, 1, 4, 3), true);
        assert_eq!(b, buf(&["head", "bbbb", "cccc", "    ", "foot"]));
    }

    #[test]
    fn shifting_down_moves_rows_and_blanks_the_first() {
        let mut b = buf(&["head", "aaaa", "bbbb", "cccc", "foot"]);
        shift_rows(&mut b, Rect::new(0, 1, 4, 3), false);
        assert_eq!(b, buf(&["head", "    ", "aaaa", "bbbb", "foot"]));
    }
}
