//! Input encodings, as xterm sends them (xterm's ctlseqs, "PC-Style Function
//! Keys" and "Mouse Tracking"): keys with Ctrl/Alt/Shift, application cursor
//! mode, bracketed paste (`?2004`), mouse in X10/UTF-8/SGR encodings per the
//! tracking mode the agent enabled, and focus in/out (`?1004`).

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use vt100::{MouseProtocolEncoding, MouseProtocolMode};

/// Sent on focus in when the agent enabled `?1004`.
pub const FOCUS_IN: &[u8] = b"\x1b[I";
/// Sent on focus out when the agent enabled `?1004`.
pub const FOCUS_OUT: &[u8] = b"\x1b[O";
/// Bracketed paste start (`?2004`).
pub const PASTE_START: &[u8] = b"\x1b[200~";
/// Bracketed paste end.
pub const PASTE_END: &[u8] = b"\x1b[201~";

/// xterm's modifier parameter: 1 + Shift(1) + Alt(2) + Ctrl(4).
fn modifier_param(m: KeyModifiers) -> u8 {
    1 + u8::from(m.contains(KeyModifiers::SHIFT))
        + 2 * u8::from(m.contains(KeyModifiers::ALT))
        + 4 * u8::from(m.contains(KeyModifiers::CONTROL))
}

/// Bytes for `ev`; `app_cursor` is DECCKM (`?1h`). Releases encode to nothing.
pub fn encode_key(ev: &KeyEvent, app_cursor: bool) -> Vec<u8> {
    if ev.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let m = ev.modifiers;
    let alt = m.contains(KeyModifiers::ALT);
    let ctrl = m.contains(KeyModifiers::CONTROL);
    let with_alt = |mut b: Vec<u8>| {
        if alt {
            b.insert(0, 0x1b);
        }
        b
    };
    let mp = modifier_param(m & (KeyModifiers::SHIFT | KeyModifiers::ALT | KeyModifiers::CONTROL));
    // CSI 1;m X  or  SS3 X / CSI X
    let cursor = |c: u8| -> Vec<u8> {
        if mp > 1 {
            format!("\x1b[1;{mp}{}", c as char).into_bytes()
        } else if app_cursor {
            vec![0x1b, b'O', c]
        } else {
            vec![0x1b, b'[', c]
        }
    };
    let tilde = |n: u8| -> Vec<u8> {
        if mp > 1 {
            format!("\x1b[{n};{mp}~").into_bytes()
        } else {
            format!("\x1b[{n}~").into_bytes()
        }
    };
    match ev.code {
        KeyCode::Char(c) => {
            if ctrl {
                let b = match c {
                    'a'..='z' => Some(c as u8 - b'a' + 1),
                    'A'..='Z' => Some(c as u8 - b'A' + 1),
                    ' ' | '@' | '2' => Some(0),
                    '[' | '3' => Some(0x1b),
                    '\\' | '4' => Some(0x1c),
                    ']' | '5' => Some(0x1d),
                    '^' | '6' => Some(0x1e),
                    '_' | '-' | '7' | '/' => Some(0x1f),
                    '?' | '8' => Some(0x7f),
                    _ => None,
                };
                if let Some(b) = b {
                    return with_alt(vec![b]);
                }
            }
            let mut buf = [0u8; 4];
            with_alt(c.encode_utf8(&mut buf).as_bytes().to_vec())
        }
        KeyCode::Enter => with_alt(vec![b'\r']),
        KeyCode::Tab if m.contains(KeyModifiers::SHIFT) => b"\x1b[Z".to_vec(),
        KeyCode::Tab => with_alt(vec![b'\t']),
        KeyCode::BackTab => b"\x1b[Z".to_vec(),
        KeyCode::Backspace => with_alt(vec![if ctrl { 0x08 } else { 0x7f }]),
        KeyCode::Esc => with_alt(vec![0x1b]),
        KeyCode::Up => cursor(b'A'),
        KeyCode::Down => cursor(b'B'),
        KeyCode::Right => cursor(b'C'),
        KeyCode::Left => cursor(b'D'),
        KeyCode::Home => cursor(b'H'),
        KeyCode::End => cursor(b'F'),
        KeyCode::Insert => tilde(2),
        KeyCode::Delete => tilde(3),
        KeyCode::PageUp => tilde(5),
        KeyCode::PageDown => tilde(6),
        KeyCode::F(n @ 1..=4) => {
            let c = b'P' + (n - 1);
            if mp > 1 {
                format!("\x1b[1;{mp}{}", c as char).into_bytes()
            } else {
                vec![0x1b, b'O', c]
            }
        }
        KeyCode::F(n @ 5..=12) => tilde([15, 17, 18, 19, 20, 21, 23, 24][usize::from(n - 5)]),
        _ => Vec::new(),
    }
}

/// Bytes for pasted `text`: wrapped in `ESC[200~`…`ESC[201~` when the agent
/// enabled bracketed paste (with any embedded end marker removed, so a paste
/// cannot end the bracket early); line feeds become CR, as xterm sends them.
pub fn encode_paste(text: &str, bracketed: bool) -> Vec<u8> {
    let normalized = text.replace("\r\n", "\r").replace('\n', "\r");
    if bracketed {
        let clean = normalized.replace("\x1b[201~", "").replace("\x1b[200~", "");
        [PASTE_START, clean.as_bytes(), PASTE_END].concat()
    } else {
        normalized.into_bytes()
    }
}

/// Bytes for a mouse event at 0-based (`col`, `row`) inside the agent's
/// screen, or `None` when the agent's tracking mode does not want it.
pub fn encode_mouse(
    ev: &MouseEvent,
    col: u16,
    row: u16,
    mode: MouseProtocolMode,
    encoding: MouseProtocolEncoding,
) -> Option<Vec<u8>> {
    let button = |b: MouseButton| match b {
        MouseButton::Left => 0u16,
        MouseButton::Middle => 1,
        MouseButton::Right => 2,
    };
    let (code, release, motion) = match ev.kind {
        MouseEventKind::Down(b) => (button(b), false, false),
        MouseEventKind::Up(b) => (button(b), true, false),
        MouseEventKind::Drag(b) => (button(b), false, true),
        MouseEventKind::Moved => (3, false, true),
        MouseEventKind::ScrollUp => (64, false, false),
        MouseEventKind::ScrollDown => (65, false, false),
        MouseEventKind::ScrollLeft => (66, false, false),
        MouseEventKind::ScrollRight => (67, false, false),
    };
    let wanted = match mode {
        MouseProtocolMode::None => false,
        MouseProtocolMode::Press => !release && !motion,
        MouseProtocolMode::PressRelease => !motion,
        MouseProtocolMode::ButtonMotion => !matches!(ev.kind, MouseEventKind::Moved),
        MouseProtocolMode::AnyMotion => true,
    };
    if !wanted {
        return None;
    }
    let mut cb = code + if motion { 32 } else { 0 };
    if ev.modifiers.contains(KeyModifiers::SHIFT) {
        cb += 4;
    }
    if ev.modifiers.contains(KeyModifiers::ALT) {
        cb += 8;
    }
    if ev.modifiers.contains(KeyModifiers::CONTROL) {
        cb += 16;
    }
    let (x, y) = (col + 1, row + 1);
    match encoding {
        MouseProtocolEncoding::Sgr => {
            Some(format!("\x1b[<{cb};{x};{y}{}", if release { 'm' } else { 'M' }).into_bytes())
        }
        MouseProtocolEncoding::Default | MouseProtocolEncoding::Utf8 => {
            let cb = if release { 3 + (cb & !3) } else { cb };
            let mut out = b"\x1b[M".to_vec();
            for v in [cb + 32, x + 32, y + 32] {
                if encoding == MouseProtocolEncoding::Utf8 {
                    let c = char::from_u32(u32::from(v.min(2047)))?;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                } else {
                    out.push(u8::try_from(v).ok()?);
                }
            }
            Some(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> Vec<u8> {
        encode_key(&KeyEvent::new(code, m), false)
    }
    const N: KeyModifiers = KeyModifiers::NONE;

    #[test]
    fn plain_and_control_keys() {
        assert_eq!(key(KeyCode::Char('a'), N), b"a");
        assert_eq!(key(KeyCode::Char('é'), N), "é".as_bytes());
        assert_eq!(key(KeyCode::Char('c'), KeyModifiers::CONTROL), [3]);
        assert_eq!(key(KeyCode::Char(' '), KeyModifiers::CONTROL), [0]);
        assert_eq!(key(KeyCode::Char('x'), KeyModifiers::ALT), b"\x1bx");
        assert_eq!(key(KeyCode::Enter, N), b"\r");
        assert_eq!(key(KeyCode::Backspace, N), [0x7f]);
        assert_eq!(key(KeyCode::Esc, N), [0x1b]);
        assert_eq!(key(KeyCode::BackTab, KeyModifiers::SHIFT), b"\x1b[Z");
    }

    #[test]
    fn cursor_keys_follow_decckm_and_modifiers() {
        assert_eq!(key(KeyCode::Up, N), b"\x1b[A");
        assert_eq!(encode_key(&KeyEvent::new(KeyCode::Up, N), true), b"\x1bOA");
        assert_eq!(key(KeyCode::Left, KeyModifiers::CONTROL), b"\x1b[1;5D");
        assert_eq!(key(KeyCode::Home, KeyModifiers::SHIFT), b"\x1b[1;2H");
        assert_eq!(key(KeyCode::End, N), b"\x1b[F");
    }

    #[test]
    fn function_and_editing_keys() {
        assert_eq!(key(KeyCode::F(1), N), b"\x1bOP");
        assert_eq!(key(KeyCode::F(4), KeyModifiers::SHIFT), b"\x1b[1;2S");
        assert_eq!(key(KeyCode::F(5), N), b"\x1b[15~");
        assert_eq!(key(KeyCode::F(12), KeyModifiers::CONTROL), b"\x1b[24;5~");
        assert_eq!(key(KeyCode::PageUp, N), b"\x1b[5~");
        assert_eq!(key(KeyCode::Delete, KeyModifiers::ALT), b"\x1b[3;3~");
    }

    #[test]
    fn paste_is_bracketed_and_sanitised() {
        assert_eq!(encode_paste("a\nb", false), b"a\rb");
        assert_eq!(encode_paste("x\x1b[201~y", true), b"\x1b[200~xy\x1b[201~");
    }

    #[test]
    fn mouse_encodings() {
        let wheel = MouseEvent {
            kind: MouseEventKind::ScrollUp,
            column: 0,
            row: 0,
            modifiers: N,
        };
        assert_eq!(
            encode_mouse(
                &wheel,
                4,
                9,
                MouseProtocolMode::AnyMotion,
                MouseProtocolEncoding::Sgr
            ),
            Some(b"\x1b[<64;5;10M".to_vec())
        );
        assert_eq!(
            encode_mouse(
                &wheel,
                4,
                9,
                MouseProtocolMode::None,
                MouseProtocolEncoding::Sgr
            ),
            None
        );
        let up = MouseEvent {
            kind: MouseEventKind::Up(MouseButton::Left),
            column: 0,
            row: 0,
            modifiers: N,
        };
        assert_eq!(
            encode_mouse(
                &up,
                0,
                0,
                MouseProtocolMode::PressRelease,
                MouseProtocolEncoding::Sgr
            ),
            Some(b"\x1b[<0;1;1m".to_vec())
        );
        assert_eq!(
            encode_mouse(
                &up,
                0,
                0,
                MouseProtocolMode::PressRelease,
                MouseProtocolEncoding::Default
            ),
            Some(b"\x1b[M#!!".to_vec())
        );
        let moved = MouseEvent {
            kind: MouseEventKind::Moved,
            column: 0,
            row: 0,
            modifiers: N,
        };
        assert_eq!(
            encode_mouse(
                &moved,
                0,
                0,
                MouseProtocolMode::ButtonMotion,
                MouseProtocolEncoding::Sgr
            ),
            None
        );
        assert_eq!(
            encode_mouse(
                &moved,
                1,
                1,
                MouseProtocolMode::AnyMotion,
                MouseProtocolEncoding::Sgr
            ),
            Some(b"\x1b[<35;2;2M".to_vec())
        );
    }
}
