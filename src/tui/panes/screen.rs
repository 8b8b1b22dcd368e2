//! Copies an agent's screen snapshot into a ratatui buffer, cell for cell:
//! 16/256/truecolour, bold/dim/italic/underline/inverse, wide characters
//! (the continuation cell is reset as ratatui's own wide-glyph writes do),
//! and optional search highlighting. Never writes outside the buffer,
//! whatever size the caller thought it had.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use crate::runtime::screen::{self, Cell, ScreenSnapshot, attr};

fn colour(c: screen::Color) -> Color {
    match c {
        screen::Color::Default => Color::Reset,
        screen::Color::Idx(i) => Color::Indexed(i),
        screen::Color::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

/// The ratatui style of a snapshot cell.
pub fn cell_style(cell: &Cell) -> Style {
    let mut m = Modifier::empty();
    for (bit, modifier) in [
        (attr::BOLD, Modifier::BOLD),
        (attr::DIM, Modifier::DIM),
        (attr::ITALIC, Modifier::ITALIC),
        (attr::UNDERLINE, Modifier::UNDERLINED),
        (attr::INVERSE, Modifier::REVERSED),
    ] {
        if cell.attrs & bit != 0 {
            m |= modifier;
        }
    }
    Style::default()
        .fg(colour(cell.fg))
        .bg(colour(cell.bg))
        .add_modifier(m)
}

/// Draws `screen` into `area` of `buf`; cells of `highlight` matches
/// (case-insensitive) get reversed.
pub fn render_screen(
    screen: &ScreenSnapshot,
    area: Rect,
    buf: &mut Buffer,
    highlight: Option<&str>,
) {
    let area = area.intersection(buf.area);
    let (rows, cols) = (screen.rows, screen.cols);
    let needle = highlight.filter(|h| !h.is_empty()).map(str::to_lowercase);
    for row in 0..rows.min(area.height) {
        let y = area.y + row;
        let marks = needle
            .as_deref()
            .map(|n| match_columns(screen, row, n))
            .unwrap_or_default();
        let mut col = 0;
        while col < cols.min(area.width) {
            let x = area.x + col;
            let Some(cell) = screen.cell(row, col) else {
                break;
            };
            let mut style = cell_style(cell);
            if marks.get(usize::from(col)).copied().unwrap_or(false) {
                style = style.add_modifier(Modifier::REVERSED);
            }
            let contents = screen.symbol(cell);
            let wide = cell.width == 2;
            if wide && col + 1 >= area.width.min(cols) {
                buf[(x, y)].set_symbol(" ").set_style(style);
                break;
            }
            buf[(x, y)]
                .set_symbol(if contents.is_empty() { " " } else { contents })
                .set_style(style);
            col += 1;
            if wide {
                buf[(area.x + col, y)].reset();
                buf[(area.x + col, y)]
                    .set_style(Style::default().bg(style.bg.unwrap_or(Color::Reset)));
                col += 1;
            }
        }
    }
}

/// Which columns of `row` belong to a match of `needle` (lowercase).
fn match_columns(screen: &ScreenSnapshot, row: u16, needle: &str) -> Vec<bool> {
    let cols = screen.cols;
    let mut text = String::new();
    let mut owner = Vec::new();
    for col in 0..cols {
        let Some(cell) = screen.cell(row, col) else {
            break;
        };
        if cell.width == 0 {
            continue;
        }
        let sym = screen.symbol(cell);
        let c = if sym.is_empty() {
            " ".into()
        } else {
            sym.to_lowercase()
        };
        for _ in 0..c.len() {
            owner.push(col);
        }
        text.push_str(&c);
    }
    let mut marks = vec![false; usize::from(cols)];
    let mut start = 0;
    while let Some(i) = text[start..].find(needle) {
        let (a, b) = (start + i, start + i + needle.len());
        for &col in &owner[a..b] {
            marks[usize::from(col)] = true;
            if screen.cell(row, col).is_some_and(|c| c.width == 2)
                && usize::from(col) + 1 < marks.len()
            {
                marks[usize::from(col) + 1] = true;
            }
        }
        start = b.max(a + 1);
        while start < text.len() && !text.is_char_boundary(start) {
            start += 1;
        }
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(rows: u16, cols: u16, input: &str) -> ScreenSnapshot {
        let mut p = vt100::Parser::new(rows, cols, 0);
        p.process(input.as_bytes());
        ScreenSnapshot::copy(p.screen(), 0, "", false)
    }

    #[test]
    fn copies_colours_attributes_and_wide_chars() {
        let s = snap(
            2,
            6,
            "\x1b[1;31mA\x1b[0m日\x1b[2;7mb\x1b[0m\x1b[38;2;1;2;3mc",
        );
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 2));
        render_screen(&s, buf.area, &mut buf, None);
        assert_eq!(buf[(0, 0)].symbol(), "A");
        assert_eq!(buf[(0, 0)].fg, Color::Indexed(1));
        assert!(buf[(0, 0)].modifier.contains(Modifier::BOLD));
        assert_eq!(buf[(1, 0)].symbol(), "日");
        assert_eq!(buf[(3, 0)].symbol(), "b");
        assert!(
            buf[(3, 0)]
                .modifier
                .contains(Modifier::DIM | Modifier::REVERSED)
        );
        assert_eq!(buf[(4, 0)].fg, Color::Rgb(1, 2, 3));
    }

    #[test]
    fn highlights_matches() {
        let s = snap(1, 10, "abcABCabc");
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 1));
        render_screen(&s, buf.area, &mut buf, Some("CA"));
        let rev: Vec<bool> = (0..9)
            .map(|x| buf[(x, 0)].modifier.contains(Modifier::REVERSED))
            .collect();
        assert_eq!(
            rev,
            [false, false, true, true, false, true, true, false, false]
        );
    }

    #[test]
    fn an_area_larger_than_the_buffer_is_clipped_not_a_panic() {
        let s = snap(40, 120, "x\r\n日本語");
        let mut buf = Buffer::empty(Rect::new(0, 0, 20, 6));
        render_screen(&s, Rect::new(5, 2, 118, 38), &mut buf, Some("x"));
        assert_eq!(buf[(5, 2)].symbol(), "x");
    }
}
