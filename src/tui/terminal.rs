//! The outer terminal: raw mode, alternate screen, mouse capture, bracketed
//! paste and focus reporting on entry; all of it undone on every way out
//! (quit, error, panic through the panic hook, SIGTERM/SIGHUP via the loop).

use std::io::{self, Stdout, Write};

use crossterm::event::{
    DisableBracketedPaste, DisableFocusChange, DisableMouseCapture, EnableBracketedPaste,
    EnableFocusChange, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// The dashboard's ratatui terminal.
pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Enters raw mode and the alternate screen, enables mouse, paste and focus
/// reporting, and installs the panic hook that restores all of it.
pub fn enter() -> io::Result<Tui> {
    install_panic_hook();
    enable_raw_mode()?;
    let mut out = io::stdout();
    if let Err(e) = execute!(
        out,
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste,
        EnableFocusChange
    ) {
        restore();
        return Err(e);
    }
    Terminal::new(CrosstermBackend::new(out))
}

/// Restores the outer terminal. Idempotent; errors are ignored (there is
/// nothing better to do on the way out).
pub fn restore() {
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableFocusChange,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if crate::runtime::pty::term::in_guarded_parse() {
            return;
        }
        restore();
        previous(info);
    }));
}
