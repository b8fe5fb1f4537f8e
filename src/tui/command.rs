//! The `:` command line: pane names, their aliases and unambiguous prefixes (`:perms`, `:p`,
//! `:u alice`), Tab completion that cycles through the candidates (shown inline), and a
//! history (↑/↓).

use super::app::{App, Effect, Mode, Tone, one_line_input};
use super::keys::input::{InputKey, input_hint};
use super::line_edit;
use super::view::{Pane, columns};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui_textarea::TextArea;

/// What a command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Show a pane (the rest of the line filters it, or names the user to check).
    Pane(Pane),
    /// The help overlay.
    Help,
    /// The message log.
    Messages,
    /// Reload.
    Refresh,
    /// Quit.
    Quit,
}

/// The command names Tab completes besides the panes', in the order candidates are offered.
const NAMES: &[(&str, Target)] = &[
    ("help", Target::Help),
    ("messages", Target::Messages),
    ("refresh", Target::Refresh),
    ("quit", Target::Quit),
];

/// Other words for the same commands besides the panes' aliases.
const ALIASES: &[(&str, Target)] = &[
    ("msgs", Target::Messages),
    ("log", Target::Messages),
    ("r", Target::Refresh),
    ("reload", Target::Refresh),
    ("q", Target::Quit),
    ("q!", Target::Quit),
    ("exit", Target::Quit),
];

/// Every command name: the panes' (from their modules), then [`NAMES`].
fn names() -> Vec<(&'static str, Target)> {
    let panes = super::panes::PANES
        .iter()
        .map(|d| (d.command, Target::Pane(d.pane)));
    panes.chain(NAMES.iter().copied()).collect()
}

/// Every alias: the panes' (from their modules), then [`ALIASES`].
fn aliases() -> Vec<(&'static str, Target)> {
    let panes = super::panes::PANES
        .iter()
        .flat_map(|d| d.aliases.iter().map(|a| (*a, Target::Pane(d.pane))));
    panes.chain(ALIASES.iter().copied()).collect()
}

/// How many commands the history keeps.
const HISTORY: usize = 50;

/// What the command line keeps between uses: the history, and the Tab completion under way.
#[derive(Debug, Default, Clone)]
pub struct CommandState {
    /// Earlier command lines, oldest first.
    pub history: Vec<String>,
    /// The history entry shown (↑/↓), if any.
    recall: Option<usize>,
    /// What was typed before ↑ was pressed.
    draft: String,
    /// Candidates of the Tab completion under way and the one shown.
    pub completion: Option<(Vec<&'static str>, usize)>,
}

/// What a command word stands for: an exact name or alias, else an unambiguous prefix of the
/// names, else of the aliases. `Err` says what is accepted.
pub fn resolve(word: &str) -> Result<Target, String> {
    let w = word.to_lowercase();
    let (names, aliases) = (names(), aliases());
    if let Some((_, t)) = names.iter().chain(&aliases).find(|(n, _)| *n == w) {
        return Ok(*t);
    }
    for table in [&names, &aliases] {
        let mut hits: Vec<(&str, Target)> = Vec::new();
        for (n, t) in table.iter().filter(|(n, _)| n.starts_with(&w)) {
            if !hits.iter().any(|(_, h)| h == t) {
                hits.push((n, *t));
            }
        }
        match hits.as_slice() {
            [] => {}
            [(_, t)] => return Ok(*t),
            many => {
                let names: Vec<&str> = many.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "':{word}' is ambiguous: {}; type more letters",
                    names.join(", ")
                ));
            }
        }
    }
    Err(format!(
        "unknown command ':{word}'; accepts {}, help, messages (log), refresh (r), quit (q), or \
         any unambiguous prefix",
        pane_commands()
    ))
}

/// The panes' commands as the registry names them, each with its first alias that is not a
/// prefix of it: `roles, permissions (perms), …`.
fn pane_commands() -> String {
    let said: Vec<String> = super::panes::PANES
        .iter()
        .map(
            |d| match d.aliases.iter().find(|a| !d.command.starts_with(**a)) {
                Some(a) => format!("{} ({a})", d.command),
                None => d.command.to_string(),
            },
        )
        .collect();
    said.join(", ")
}

/// The names Tab offers for a typed word: names starting with it, else the names of the
/// aliases starting with it.
pub fn candidates(word: &str) -> Vec<&'static str> {
    let w = word.to_lowercase();
    let all = names();
    let names: Vec<&'static str> = all
        .iter()
        .filter(|(n, _)| n.starts_with(&w))
        .map(|(n, _)| *n)
        .collect();
    if !names.is_empty() {
        return names;
    }
    let mut out: Vec<&'static str> = Vec::new();
    for (_, t) in aliases().iter().filter(|(n, _)| n.starts_with(&w)) {
        if let Some((n, _)) = all.iter().find(|(_, x)| x == t)
            && !out.contains(n)
        {
            out.push(n);
        }
    }
    out
}

impl CommandState {
    fn remember(&mut self, line: &str) {
        self.recall = None;
        self.completion = None;
        if line.is_empty() || self.history.last().is_some_and(|l| l == line) {
            return;
        }
        self.history.push(line.to_string());
        if self.history.len() > HISTORY {
            self.history.remove(0);
        }
    }

    /// ↑ (`older`) or ↓ through the history; the line to show, if it changes.
    fn recall(&mut self, older: bool, typed: &str) -> Option<String> {
        let n = self.history.len();
        let next = match (self.recall, older) {
            (None, true) if n > 0 => {
                self.draft = typed.to_string();
                Some(n - 1)
            }
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i + 1 < n => Some(i + 1),
            (Some(_), false) => {
                self.recall = None;
                return Some(std::mem::take(&mut self.draft));
            }
            _ => return None,
        };
        self.recall = next;
        next.and_then(|i| self.history.get(i).cloned())
    }

    /// Tab: the first word completed to the next candidate.
    fn complete(&mut self, typed: &str) -> Option<String> {
        if typed.contains(char::is_whitespace) {
            return None;
        }
        let (list, i) = match self.completion.take() {
            Some((list, i)) if list.get(i).is_some_and(|c| *c == typed) => {
                let next = (i + 1) % list.len();
                (list, next)
            }
            _ => (candidates(typed), 0),
        };
        let chosen = list.get(i).map(|c| c.to_string());
        if chosen.is_some() {
            self.completion = Some((list, i));
        }
        chosen
    }
}

/// The status line while a command is typed: the input, then the candidates of a Tab
/// completion (the one shown first in the accent colour).
pub fn status_line(app: &App, input: &TextArea<'static>) -> Line<'static> {
    let t = &app.theme;
    let mut spans = vec![Span::styled(":", t.accent)];
    spans.extend(line_edit::spans(t, input, Style::default()));
    if let Some((list, i)) = &app.commands.completion
        && list.len() > 1
    {
        spans.push(Span::raw("   "));
        for (n, c) in list.iter().enumerate() {
            spans.push(Span::styled(*c, if n == *i { t.accent } else { t.dim }));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled("(Tab: next)", t.dim));
    } else {
        spans.push(Span::styled(
            format!(
                "   {}",
                input_hint(&[InputKey::Complete, InputKey::History])
            ),
            t.dim,
        ));
    }
    Line::from(spans)
}

impl App {
    /// A key while the command line is open.
    pub(super) fn command_key(&mut self, mut t: TextArea<'static>, key: KeyEvent) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let typed = line_edit::text(&t);
        let replace = match key.code {
            KeyCode::Esc => {
                self.commands.recall = None;
                self.commands.completion = None;
                if let Some(back) = self.overlay_back.take() {
                    self.mode = *back;
                }
                return Vec::new();
            }
            KeyCode::Enter => {
                let line = typed.trim().to_string();
                self.commands.remember(&line);
                let back = self.overlay_back.take();
                let target = line.split_whitespace().next().map(resolve);
                let effects = self.run_command(&line);
                // Opened over a page: a command that goes nowhere returns to it; the help
                // returns to it when closed; the log opens over it.
                match (target, back) {
                    (Some(Ok(Target::Help)), Some(b)) => self.overlay_back = Some(b),
                    (Some(Ok(Target::Messages)), Some(b)) => self.mode = Mode::Messages(Some(b)),
                    (None | Some(Err(_)) | Some(Ok(Target::Refresh)), Some(b)) => self.mode = *b,
                    _ => {}
                }
                return effects;
            }
            KeyCode::Tab => self.commands.complete(&typed),
            KeyCode::Up => self.commands.recall(true, &typed),
            KeyCode::Char('p') if ctrl => self.commands.recall(true, &typed),
            KeyCode::Down => self.commands.recall(false, &typed),
            KeyCode::Char('n') if ctrl => self.commands.recall(false, &typed),
            _ => {
                if line_edit::edit(&mut t, key) {
                    self.commands.completion = None;
                }
                None
            }
        };
        if let Some(line) = replace {
            t = one_line_input(&line);
        }
        self.mode = Mode::Command(t);
        Vec::new()
    }

    pub(super) fn run_command(&mut self, line: &str) -> Vec<Effect> {
        let mut words = line.split_whitespace();
        let Some(cmd) = words.next() else {
            return Vec::new();
        };
        let rest: Vec<&str> = words.collect();
        match resolve(cmd) {
            Ok(Target::Quit) => return vec![Effect::Quit],
            Ok(Target::Help) => self.open_help(),
            Ok(Target::Messages) => self.open_messages(),
            Ok(Target::Refresh) => {
                return vec![Effect::Load];
            }
            Ok(Target::Pane(pane)) => {
                self.pane = pane;
                if let Some(args) = super::panes::def(pane).command_args {
                    args(self, &rest);
                    return Vec::new();
                }
                let filter = rest.join(" ");
                let list = self.list_mut();
                list.filter = filter;
                list.selected = 0;
                list.offset = 0;
                list.refresh(columns(pane));
            }
            Err(e) => self.say(e, Tone::Error),
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_prefixes_resolve() {
        for (w, p) in [
            ("perms", Pane::Permissions),
            ("perm", Pane::Permissions),
            ("p", Pane::Permissions),
            ("PERMISSIONS", Pane::Permissions),
            ("u", Pane::Users),
            ("ro", Pane::Roles),
            ("apikeys", Pane::Keys),
            ("a", Pane::Audit),
        ] {
            assert_eq!(resolve(w), Ok(Target::Pane(p)), "{w}");
        }
        assert_eq!(resolve("r"), Ok(Target::Refresh));
        assert_eq!(resolve("q"), Ok(Target::Quit));
        let e = resolve("zz").unwrap_err();
        assert!(e.contains("accepts roles, permissions (perms)"), "{e}");
        assert_eq!(resolve("t"), Ok(Target::Pane(Pane::Teams)));
    }

    #[test]
    fn tab_cycles_through_candidates() {
        let mut s = CommandState::default();
        assert_eq!(s.complete("r").as_deref(), Some("roles"));
        assert_eq!(s.complete("roles").as_deref(), Some("refresh"));
        assert_eq!(s.complete("refresh").as_deref(), Some("roles"));
        // An alias completes to its name.
        let mut s = CommandState::default();
        assert_eq!(s.complete("perms").as_deref(), Some("permissions"));
        assert_eq!(s.complete("x"), None);
    }

    #[test]
    fn history_goes_back_and_forth_and_restores_the_draft() {
        let mut s = CommandState::default();
        s.remember("roles");
        s.remember("users alice");
        s.remember("users alice");
        assert_eq!(s.history.len(), 2);
        assert_eq!(s.recall(true, "dr").as_deref(), Some("users alice"));
        assert_eq!(s.recall(true, "").as_deref(), Some("roles"));
        assert_eq!(s.recall(true, "").as_deref(), Some("roles"));
        assert_eq!(s.recall(false, "").as_deref(), Some("users alice"));
        assert_eq!(s.recall(false, "").as_deref(), Some("dr"));
        assert_eq!(s.recall(false, "dr"), None);
    }
}
