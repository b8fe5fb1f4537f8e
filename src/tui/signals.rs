//! Signals in the console: SIGTERM and SIGHUP end it with the shell's status for a death by
//! that signal (128 + N) after the terminal is restored; Ctrl-Z suspends it as a shell job
//! (terminal restored, SIGTSTP) and `fg` brings it back with the whole screen drawn again.

use super::app::App;
use super::frame::Painter;
use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal::{EnterAlternateScreen, enable_raw_mode};
use crossterm::{cursor, event::EnableBracketedPaste, execute};
use ratatui::Terminal;
use std::io::Write;

/// SIGHUP's number.
pub const SIGHUP: i32 = 1;
/// SIGTERM's number.
pub const SIGTERM: i32 = 15;

/// The exit status of a process ended by `signal`, as a shell reports it.
pub fn exit_status(signal: i32) -> i32 {
    128 + signal
}

/// True for a Ctrl-Z key press (raw mode delivers it as a key, not as SIGTSTP).
pub fn is_suspend(event: &Event) -> bool {
    matches!(event, Event::Key(k)
        if k.kind != KeyEventKind::Release
            && k.code == KeyCode::Char('z')
            && k.modifiers.contains(KeyModifiers::CONTROL))
}

/// Suspends the console: restores the terminal, stops the job with SIGTSTP, and once it is
/// continued (`fg`) takes the terminal back and forgets what was on it, so the next frame is
/// drawn whole (at the terminal's size now).
pub fn suspend<B>(
    terminal: &mut Terminal<B>,
    painter: &mut Painter,
    app: &mut App,
) -> std::io::Result<()>
where
    B: ratatui::backend::Backend<Error = std::io::Error> + Write,
{
    Write::flush(terminal.backend_mut())?;
    super::restore_terminal();
    // The whole job stops, as with Ctrl-Z in a cooked terminal. Returns once continued.
    let stopped = rustix::process::kill_current_process_group(rustix::process::Signal::TSTP);
    if let Err(e) = stopped {
        tracing::debug!("cannot suspend: {e}");
    }
    enable_raw_mode()?;
    execute!(
        terminal.backend_mut(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    terminal.clear()?;
    painter.forget();
    let size = terminal.size()?;
    app.on_event(&Event::Resize(size.width, size.height));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEvent;

    #[test]
    fn statuses_are_the_shells() {
        assert_eq!(exit_status(SIGTERM), 143);
        assert_eq!(exit_status(SIGHUP), 129);
    }

    #[test]
    fn only_ctrl_z_suspends() {
        let ctrl_z = Event::Key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL));
        let z = Event::Key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::NONE));
        assert!(is_suspend(&ctrl_z));
        assert!(!is_suspend(&z));
    }
}
