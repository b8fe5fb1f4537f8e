//! Colours: the 16 ANSI colours by default (they follow the user's terminal palette), and no
//! colour at all under `NO_COLOR` — the selection stays visible as reversed video.

use ratatui::style::{Color, Modifier, Style};

/// Styles used by the console.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    /// Plain text.
    pub text: Style,
    /// Dimmed text (disabled keys, hints).
    pub dim: Style,
    /// Titles and the active pane.
    pub accent: Style,
    /// The selected row.
    pub selected: Style,
    /// The `READ-ONLY` badge and errors.
    pub alert: Style,
    /// Good news.
    pub ok: Style,
    /// Table headers.
    pub header: Style,
}

impl Theme {
    /// The theme for this environment: `NO_COLOR` (any value) turns colour off.
    pub fn from_env() -> Theme {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            Theme::monochrome()
        } else {
            Theme::ansi16()
        }
    }

    /// 16-colour theme.
    pub fn ansi16() -> Theme {
        Theme {
            text: Style::default(),
            dim: Style::default().fg(Color::DarkGray),
            accent: Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            selected: Style::default().fg(Color::Black).bg(Color::Cyan),
            alert: Style::default()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            ok: Style::default().fg(Color::Green),
            header: Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        }
    }

    /// No colours: emphasis by bold, selection by reversed video.
    pub fn monochrome() -> Theme {
        Theme {
            text: Style::default(),
            dim: Style::default().add_modifier(Modifier::DIM),
            accent: Style::default().add_modifier(Modifier::BOLD),
            selected: Style::default().add_modifier(Modifier::REVERSED),
            alert: Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            ok: Style::default().add_modifier(Modifier::BOLD),
            header: Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        }
    }
}
