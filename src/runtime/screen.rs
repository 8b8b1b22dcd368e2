//! Screens leave the runtime as snapshots: plain data (rows, cells, cursor,
//! size, terminal modes) copied from an agent's emulator under its lock, so
//! faces never hold the emulator. The viewer chooses how far back in the
//! scrollback it looks; the shared emulator always stays at the live screen.

use serde::Serialize;

/// A colour as the agent set it (SGR 30–37/90–97, 38;5, 38;2), or the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Color {
    /// The terminal's default.
    #[default]
    Default,
    /// One of the 256 indexed colours.
    Idx(u8),
    /// Truecolor.
    Rgb(u8, u8, u8),
}

impl From<vt100::Color> for Color {
    fn from(c: vt100::Color) -> Self {
        match c {
            vt100::Color::Default => Self::Default,
            vt100::Color::Idx(i) => Self::Idx(i),
            vt100::Color::Rgb(r, g, b) => Self::Rgb(r, g, b),
        }
    }
}

/// Attribute bits of a [`Cell`].
pub mod attr {
    /// SGR 1.
    pub const BOLD: u8 = 1;
    /// SGR 2.
    pub const DIM: u8 = 2;
    /// SGR 3.
    pub const ITALIC: u8 = 4;
    /// SGR 4.
    pub const UNDERLINE: u8 = 8;
    /// SGR 7.
    pub const INVERSE: u8 = 16;
}

/// One cell: its text (a slice of [`ScreenSnapshot::text`]), colours,
/// attributes and width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cell {
    start: u32,
    len: u16,
    /// Foreground colour.
    pub fg: Color,
    /// Background colour.
    pub bg: Color,
    /// [`attr`] bits.
    pub attrs: u8,
    /// 1 normal, 2 the first half of a wide character, 0 its second half.
    pub width: u8,
}

/// What the terminal's modes say about how input must be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Modes {
    /// DECCKM: cursor keys send `ESC O` instead of `ESC [`.
    pub application_cursor: bool,
    /// `?2004h`: pastes are wrapped in `ESC[200~ … ESC[201~`.
    pub bracketed_paste: bool,
    /// `?1004h`: the agent wants focus in/out reports.
    pub focus_events: bool,
    /// `?1049h` (or 47/1047): the alternate screen is shown.
    pub alternate_screen: bool,
    /// Mouse tracking mode the agent asked for.
    #[serde(skip)]
    pub mouse_mode: vt100::MouseProtocolMode,
    /// Mouse coordinate encoding the agent asked for.
    #[serde(skip)]
    pub mouse_encoding: vt100::MouseProtocolEncoding,
}

impl Modes {
    /// The modes of `screen` (`focus_events` is tracked outside vt100).
    pub fn of(screen: &vt100::Screen, focus_events: bool) -> Self {
        Self {
            application_cursor: screen.application_cursor(),
            bracketed_paste: screen.bracketed_paste(),
            focus_events,
            alternate_screen: screen.alternate_screen(),
            mouse_mode: screen.mouse_protocol_mode(),
            mouse_encoding: screen.mouse_protocol_encoding(),
        }
    }
}

/// A copy of one agent's screen at one scrollback offset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScreenSnapshot {
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub cols: u16,
    /// Cursor (row, col) when visible on this view (live, not hidden).
    pub cursor: Option<(u16, u16)>,
    /// Lines scrolled back from the live screen that this view shows.
    pub offset: usize,
    /// Lines of scrollback there are (the largest useful offset).
    pub scrollback: usize,
    /// Input modes.
    pub modes: Modes,
    /// The window title (OSC 0/2).
    pub title: String,
    cells: Vec<Cell>,
    text: String,
}

impl ScreenSnapshot {
    /// Copies `screen` as it is shown at its current scrollback offset.
    /// `scrollback` is the number of lines available; `title` and
    /// `focus_events` come from state vt100 does not keep.
    pub fn copy(
        screen: &vt100::Screen,
        scrollback: usize,
        title: &str,
        focus_events: bool,
    ) -> Self {
        let (rows, cols) = screen.size();
        let mut cells = Vec::with_capacity(usize::from(rows) * usize::from(cols));
        let mut text = String::with_capacity(cells.capacity());
        for row in 0..rows {
            for col in 0..cols {
                let Some(c) = screen.cell(row, col) else {
                    cells.push(Cell::default());
                    continue;
                };
                let start = text.len() as u32;
                text.push_str(c.contents());
                let mut attrs = 0;
                for (on, bit) in [
                    (c.bold(), attr::BOLD),
                    (c.dim(), attr::DIM),
                    (c.italic(), attr::ITALIC),
                    (c.underline(), attr::UNDERLINE),
                    (c.inverse(), attr::INVERSE),
                ] {
                    if on {
                        attrs |= bit;
                    }
                }
                cells.push(Cell {
                    start,
                    len: (text.len() as u32 - start) as u16,
                    fg: c.fgcolor().into(),
                    bg: c.bgcolor().into(),
                    attrs,
                    width: if c.is_wide_continuation() {
                        0
                    } else if c.is_wide() {
                        2
                    } else {
                        1
                    },
                });
            }
        }
        let (crow, ccol) = screen.cursor_position();
        let offset = screen.scrollback();
        Self {
            rows,
            cols,
            cursor: (!screen.hide_cursor() && offset == 0).then_some((crow, ccol)),
            offset,
            scrollback,
            modes: Modes::of(screen, focus_events),
            title: title.to_string(),
            cells,
            text,
        }
    }

    /// The cell at (row, col), if inside.
    pub fn cell(&self, row: u16, col: u16) -> Option<&Cell> {
        if row >= self.rows || col >= self.cols {
            return None;
        }
        self.cells
            .get(usize::from(row) * usize::from(self.cols) + usize::from(col))
    }

    /// The text of `cell` (empty for a cell nothing was written to).
    pub fn symbol(&self, cell: &Cell) -> &str {
        let start = cell.start as usize;
        self.text
            .get(start..start + usize::from(cell.len))
            .unwrap_or("")
    }

    /// Row `row` as text, trailing blanks trimmed.
    pub fn row_text(&self, row: u16) -> String {
        let mut s = String::new();
        for col in 0..self.cols {
            match self.cell(row, col) {
                Some(c) if c.width == 0 => {}
                Some(c) => {
                    let t = self.symbol(c);
                    s.push_str(if t.is_empty() { " " } else { t });
                }
                None => break,
            }
        }
        s.trim_end().to_string()
    }

    /// All rows as text, one line each (`GET /api/agents/{name}/screen`).
    pub fn lines(&self) -> Vec<String> {
        (0..self.rows).map(|r| self.row_text(r)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_text_colours_attributes_wide_chars_and_cursor() {
        let mut p = vt100::Parser::new(2, 6, 0);
        p.process("\x1b[1;31mA\x1b[0m日\x1b[2;7mb\x1b[0m\x1b[38;2;1;2;3mc".as_bytes());
        let s = ScreenSnapshot::copy(p.screen(), 0, "t", false);
        let a = s.cell(0, 0).expect("a");
        assert_eq!(
            (s.symbol(a), a.fg, a.attrs),
            ("A", Color::Idx(1), attr::BOLD)
        );
        let wide = s.cell(0, 1).expect("wide");
        assert_eq!((s.symbol(wide), wide.width), ("日", 2));
        assert_eq!(s.cell(0, 2).expect("half").width, 0);
        assert_eq!(s.cell(0, 3).expect("b").attrs, attr::DIM | attr::INVERSE);
        assert_eq!(s.cell(0, 4).expect("c").fg, Color::Rgb(1, 2, 3));
        assert_eq!(s.row_text(0), "A日bc");
        assert_eq!(s.cursor, Some((0, 5)));
        assert!(s.cell(2, 0).is_none() && s.cell(0, 6).is_none());
    }

    #[test]
    fn a_scrolled_back_view_has_no_cursor() {
        let mut p = vt100::Parser::new(2, 10, 10);
        p.process(b"one\r\ntwo\r\nthree");
        p.screen_mut().set_scrollback(1);
        let s = ScreenSnapshot::copy(p.screen(), 1, "", false);
        assert_eq!((s.offset, s.cursor), (1, None));
        assert_eq!(s.lines(), ["one", "two"]);
    }
}
