//! "Create default roles and permissions": pick a preset, see what a dry run would create,
//! apply it, see what was created and what already existed.

use super::app::Effect;
use super::theme::Theme;
use crate::backend::ImportReport;
use crate::presets::PRESETS;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The dialog's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DefaultsDialog {
    /// Index into [`PRESETS`].
    pub selected: usize,
    /// Dry-run report of the selected preset.
    pub preview: Option<ImportReport>,
    /// The applied report, once applied.
    pub applied: Option<ImportReport>,
    /// Waiting for the backend.
    pub busy: bool,
    /// The preset is being applied (not merely previewed): the choice is fixed.
    pub applying: bool,
    /// The backend's last progress report while applying (Mage's seed takes minutes).
    pub progress: Option<String>,
    /// Its steps: (done, total).
    pub step: Option<(usize, usize)>,
    /// The backend is a Mage server: `s` runs Mage's own seed instead of the REST seed.
    pub mage: bool,
}

impl DefaultsDialog {
    /// A dialog on the first preset, asking for its dry run; `mage` when the backend is a
    /// Mage server.
    pub fn open(mage: bool) -> (DefaultsDialog, Vec<Effect>) {
        let d = DefaultsDialog {
            busy: true,
            mage,
            ..Default::default()
        };
        let name = PRESETS[0].name.to_string();
        (d, vec![Effect::PresetDryRun(name)])
    }

    /// A key; `None` closes the dialog.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<Vec<Effect>> {
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => None,
            _ if self.applied.is_some() => None,
            // Moving while a dry run is under way asks for the new one; the old answer is
            // dropped when it comes (see `previewed`), so no key pressed quickly is lost.
            KeyCode::Up | KeyCode::Char('k') | KeyCode::Down | KeyCode::Char('j')
                if !self.applying =>
            {
                let n = PRESETS.len();
                self.selected = if matches!(key.code, KeyCode::Up | KeyCode::Char('k')) {
                    (self.selected + n - 1) % n
                } else {
                    (self.selected + 1) % n
                };
                self.preview = None;
                self.busy = true;
                Some(vec![Effect::PresetDryRun(
                    PRESETS[self.selected].name.to_string(),
                )])
            }
            KeyCode::Enter if !self.busy && self.preview.is_some() => {
                self.busy = true;
                self.applying = true;
                Some(vec![Effect::PresetApply(
                    PRESETS[self.selected].name.to_string(),
                )])
            }
            KeyCode::Char('s') if self.offers_mage_seed() && !self.busy => {
                self.busy = true;
                self.applying = true;
                Some(vec![Effect::MageSeed])
            }
            _ => Some(Vec::new()),
        }
    }

    /// `s` runs Mage's own seed: on a Mage server, with the `mage` preset's dry run shown.
    fn offers_mage_seed(&self) -> bool {
        self.mage
            && self.preview.is_some()
            && PRESETS.get(self.selected).is_some_and(|p| p.name == "mage")
    }

    /// The dry run of preset `name` came back: shown when it is still the chosen one.
    pub fn previewed(&mut self, name: &str, report: ImportReport) {
        if PRESETS.get(self.selected).is_some_and(|p| p.name == name) {
            self.preview = Some(report);
            self.busy = false;
        }
    }

    /// Draws the dialog centered in `area`.
    pub fn draw(&self, t: &Theme, f: &mut Frame<'_>, area: Rect) {
        let mut lines = vec![Line::from("")];
        for (i, p) in PRESETS.iter().enumerate() {
            let style = if i == self.selected {
                t.selected
            } else {
                t.text
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<16}", p.title), style),
                Span::styled(format!(" {}", p.summary), t.dim),
            ]));
        }
        lines.push(Line::from(""));
        let counts = |r: &ImportReport, verb: &str| {
            vec![
                Line::from(format!(
                    "  {verb}: {} roles, {} permissions, {} links, {} teams",
                    r.roles.created, r.permissions.created, r.links.created, r.teams.created
                )),
                Line::from(format!(
                    "  already present: {} roles, {} permissions, {} links, {} teams",
                    r.roles.present, r.permissions.present, r.links.present, r.teams.present
                )),
            ]
        };
        match (&self.applied, &self.preview, self.busy) {
            (Some(r), _, _) => {
                lines.push(Line::from(Span::styled(
                    format!("  Done (revision {}).", r.revision),
                    t.ok,
                )));
                lines.extend(counts(r, "created"));
                lines.push(Line::from(Span::styled("  any key closes", t.dim)));
            }
            (None, _, true) => match &self.progress {
                Some(p) => {
                    let width = usize::from(area.width.min(78).saturating_sub(6)).max(20);
                    let text = crate::text::sanitize(p);
                    let mut line = String::new();
                    for word in text.split_whitespace() {
                        if !line.is_empty()
                            && line.chars().count() + 1 + word.chars().count() > width
                        {
                            lines.push(Line::from(Span::styled(format!("  {line}"), t.dim)));
                            line.clear();
                        }
                        if !line.is_empty() {
                            line.push(' ');
                        }
                        line.push_str(word);
                    }
                    if !line.is_empty() {
                        lines.push(Line::from(Span::styled(format!("  {line}"), t.dim)));
                    }
                    if let Some((done, total)) = self.step.filter(|(_, total)| *total > 0) {
                        lines.push(Line::from(bar(done, total, width)));
                    }
                    lines.push(Line::from(Span::styled(
                        "  Esc closes this dialog; the work goes on and reports below",
                        t.dim,
                    )));
                }
                None => lines.push(Line::from(Span::styled("  working…", t.dim))),
            },
            (None, Some(r), false) => lines.extend(counts(r, "will create")),
            (None, None, false) => lines.push(Line::from(Span::styled("  Esc closes", t.dim))),
        }
        let keep = if self.applied.is_some() {
            lines.len().saturating_sub(1)
        } else {
            1 + self.selected
        };
        super::modal::draw_modal(
            f,
            area,
            super::modal::Modal {
                title: Span::styled(" Create default roles and permissions ", t.accent),
                lines,
                width: 78,
                // The chosen preset stays in view on a short screen; once applied, what was
                // created and what was already there.
                keep: Some(keep),
                // The keys sit on the border, where a short screen cannot push them out.
                footer: matches!(
                    (&self.applied, &self.preview, self.busy),
                    (None, Some(_), false)
                )
                .then(|| Span::styled(self.footer(), t.dim)),
                ..Default::default()
            },
        );
    }
}

impl DefaultsDialog {
    /// The keys on the border while a dry run is shown.
    fn footer(&self) -> String {
        use crate::keys::input::{InputKey, input_hint};
        if self.offers_mage_seed() {
            format!(
                " Enter creates them · {} · ↑/↓ preset · Esc cancels ",
                input_hint(&[InputKey::MageSeed])
            )
        } else {
            " Enter creates them · ↑/↓ preset · Esc cancels ".to_string()
        }
    }
}

/// `  [#####.....] 120/629` in at most `width` columns.
fn bar(done: usize, total: usize, width: usize) -> String {
    let count = format!(" {done}/{total}");
    let room = width.saturating_sub(count.len() + 2).clamp(10, 50);
    let full = (done.min(total) * room) / total.max(1);
    format!("  [{}{}]{count}", "#".repeat(full), ".".repeat(room - full))
}
