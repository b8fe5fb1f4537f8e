//! The message log: every status message and error of the session, whole, with its time
//! (the last [`LOG_LIMIT`]), shown by `:messages` or `M` as a scrollable page that wraps long
//! text. The status line only shows the latest one, cut to fit.

use super::app::Tone;
use super::scroll::{Scroll, wrapped_lines};
use super::theme::Theme;
use crate::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear};
use std::collections::VecDeque;
use time::OffsetDateTime;

/// How many messages the log keeps.
pub const LOG_LIMIT: usize = 500;

/// One logged message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// When it was said.
    pub at: OffsetDateTime,
    /// The whole text.
    pub text: String,
    /// Information, success or error.
    pub tone: Tone,
}

/// The last [`LOG_LIMIT`] messages, oldest first.
#[derive(Debug, Clone, Default)]
pub struct MessageLog {
    entries: VecDeque<Entry>,
    /// A fixed time for every new entry (tests and snapshots); the clock when `None`.
    pub frozen: Option<OffsetDateTime>,
    /// Where the log page is scrolled to.
    pub scroll: Scroll,
}

impl MessageLog {
    /// Keeps `text`, dropping the oldest entry when full.
    pub fn push(&mut self, text: &str, tone: Tone) {
        if self.entries.len() == LOG_LIMIT {
            self.entries.pop_front();
        }
        let at = self.frozen.unwrap_or_else(OffsetDateTime::now_utc);
        self.entries.push_back(Entry {
            at,
            text: text.to_string(),
            tone,
        });
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &Entry> + ExactSizeIterator {
        self.entries.iter()
    }

    /// Opens the page at its end (the newest message last).
    pub fn open(&mut self) {
        self.scroll.offset = usize::MAX;
    }

    /// Draws the log page over `area` (the whole screen).
    pub fn draw(&self, t: &Theme, f: &mut Frame<'_>, area: Rect) {
        f.render_widget(Clear, area);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.dim)
            .title(Span::styled(
                format!(" messages ({}) · Esc or q closes ", self.entries.len()),
                t.accent,
            ));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let width = usize::from(inner.width.saturating_sub(1)).max(1);
        let items: Vec<(String, ratatui::style::Style)> = if self.entries.is_empty() {
            vec![(" no messages yet".to_string(), t.dim)]
        } else {
            self.entries
                .iter()
                .map(|e| {
                    let (mark, style) = match e.tone {
                        Tone::Error => ("error", t.alert),
                        Tone::Ok => ("ok   ", t.ok),
                        Tone::Info => ("info ", t.text),
                    };
                    (
                        format!(" {} {mark} {}", clock(e.at), sanitize(&e.text)),
                        style,
                    )
                })
                .collect()
        };
        let lines: Vec<Line<'static>> = wrapped_lines(&items, width, "                ");
        self.scroll.render(lines, t, f, inner);
    }
}

/// `HH:MM:SS` in UTC.
pub fn clock(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_last_500_whole() {
        let mut log = MessageLog::default();
        let long = "x".repeat(3000);
        for i in 0..LOG_LIMIT + 20 {
            log.push(&format!("{i} {long}"), Tone::Info);
        }
        assert_eq!(log.entries().len(), LOG_LIMIT);
        let first = log
            .entries()
            .next()
            .map(|e| e.text.clone())
            .unwrap_or_default();
        assert!(first.starts_with("20 "), "{}", &first[..10]);
        assert_eq!(first.len(), 3 + 3000);
    }
}
