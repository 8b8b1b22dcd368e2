//! Terminal-query answers and the private modes vt100 does not track, as
//! xterm does (xterm's ctlseqs): DA1 `CSI c`, DA2 `CSI > c`, DSR `CSI 5 n` /
//! CPR `CSI 6 n`, XTVERSION `CSI > q`; focus events `?1004` and synchronized
//! output `?2026` (the terminal-wg "synchronized updates" spec). The kitty
//! keyboard query `CSI ? u` is deliberately never answered: an answer would
//! claim a key encoding nox does not send.

/// Answer to DA1: a VT220 with ANSI colour (xterm answers `?62;…`).
pub const DA1: &[u8] = b"\x1b[?62;22c";
/// Answer to DA2 (secondary device attributes).
pub const DA2: &[u8] = b"\x1b[>0;10;1c";

/// vt100 callbacks: collects replies for the agent and tracks extra modes.
#[derive(Debug, Default)]
pub struct Answers {
    /// Bytes to write back to the agent (drained by the reader after each chunk).
    pub reply: Vec<u8>,
    /// `?1004h`: the agent wants `ESC[I` / `ESC[O` on focus changes.
    pub focus_events: bool,
    /// `?2026h` active: the agent is in the middle of a synchronized update.
    pub synchronized: bool,
    /// Last window title set with OSC 0/2.
    pub title: String,
    /// A BEL arrived since the UI last looked.
    pub bell: bool,
}

impl Answers {
    /// Resets per-session state (a new process in the same pane).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

fn first(params: &[&[u16]]) -> u16 {
    params.first().and_then(|p| p.first()).copied().unwrap_or(0)
}

impl vt100::Callbacks for Answers {
    fn audible_bell(&mut self, _: &mut vt100::Screen) {
        self.bell = true;
    }

    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.title = String::from_utf8_lossy(title)
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
    }

    fn set_window_icon_name(&mut self, screen: &mut vt100::Screen, name: &[u8]) {
        // OSC 0 sets both; vt100 reports it as icon name + title.
        if self.title.is_empty() {
            self.set_window_title(screen, name);
        }
    }

    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        match (i1, c) {
            (None, 'c') if first(params) == 0 => self.reply.extend_from_slice(DA1),
            (Some(b'>'), 'c') if first(params) == 0 => self.reply.extend_from_slice(DA2),
            (None, 'n') if first(params) == 5 => self.reply.extend_from_slice(b"\x1b[0n"),
            (None, 'n') if first(params) == 6 => {
                let (row, col) = screen.cursor_position();
                self.reply
                    .extend_from_slice(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
            }
            (Some(b'?'), 'n') if first(params) == 6 => {
                let (row, col) = screen.cursor_position();
                self.reply
                    .extend_from_slice(format!("\x1b[?{};{}R", row + 1, col + 1).as_bytes());
            }
            (Some(b'>'), 'q') if first(params) == 0 => {
                self.reply.extend_from_slice(
                    format!("\x1bP>|nox({})\x1b\\", env!("CARGO_PKG_VERSION")).as_bytes(),
                );
            }
            (Some(b'?'), 'h' | 'l') => {
                let on = c == 'h';
                for p in params {
                    match p.first() {
                        Some(1004) => self.focus_events = on,
                        Some(2026) => self.synchronized = on,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8]) -> vt100::Parser<Answers> {
        let mut p = vt100::Parser::new_with_callbacks(24, 80, 0, Answers::default());
        p.process(input);
        p
    }

    #[test]
    fn answers_da_dsr_and_xtversion() {
        let mut p = run(b"\x1b[c\x1b[>c\x1b[5n");
        assert_eq!(p.callbacks().reply, [DA1, DA2, b"\x1b[0n"].concat());
        p.callbacks_mut().reply.clear();
        p.process(b"\x1b[3;7H\x1b[6n\x1b[>0q");
        let r = String::from_utf8(p.callbacks().reply.clone()).expect("utf8");
        assert!(r.starts_with("\x1b[3;7R\x1bP>|nox("), "{r:?}");
    }

    #[test]
    fn kitty_keyboard_query_is_not_answered() {
        let p = run(b"\x1b[?u\x1b[>1u");
        assert!(p.callbacks().reply.is_empty());
    }

    #[test]
    fn tracks_focus_and_sync_modes_and_title() {
        let mut p = run(b"\x1b[?1004;2004h\x1b[?2026h\x1b]0;\xe2\x9c\xb3 Claude Code\x07");
        assert!(p.callbacks().focus_events && p.callbacks().synchronized);
        assert!(p.screen().bracketed_paste());
        assert_eq!(p.callbacks().title, "✳ Claude Code");
        p.process(b"\x1b[?2026l\x1b[?1004l");
        assert!(!p.callbacks().focus_events && !p.callbacks().synchronized);
    }
}
