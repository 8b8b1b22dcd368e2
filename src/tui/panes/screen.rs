//! Copies a vt100 screen into a ratatui buffer, cell for cell: 16/256/
//! truecolour, bold/dim/italic/underline/inverse, wide characters (the
//! continuation cell is reset as ratatui's own wide-glyph writes do), and
//! optional search highlighting.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

fn colour(c: vt100::Color) -> Color {
    match c {
        vt100::Color::Default => Color::Reset,
        vt100::Color::Idx(i) => Color::Indexed(i),
        vt100::Color::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

/// The ratatui style of a vt100 cell.
pub fn cell_style(cell: &vt100::Cell) -> Style {
    let mut m = Modifier::empty();
    if cell.bold() {
        m |= Modifier::BOLD;
    }
    if cell.dim() {
        m |= Modifier::DIM;
    }
    if cell.italic() {
        m |= Modifier::ITALIC;
    }
    if cell.underline() {
        m |= Modifier::UNDERLINED;
    }
    if cell.inverse() {
        m |= Modifier::REVERSED;
    }
    Style::default()
        .fg(colour(cell.fgcolor()))
        .bg(colour(cell.bgcolor()))
        .add_modifier(m)
}

/// Draws `screen` into `area` of `buf`; cells of `highlight` matches
/// (case-insensitive) get reversed.
pub fn render_screen(
    screen: &vt100::Screen,
    area: Rect,
    buf: &mut Buffer,
    highlight: Option<&str>,
) {
    let (rows, cols) = screen.size();
    let needle = highlight.filter(|h| !h.is_empty()).map(str::to_lowercase);
    for row in 0..rows.min(area.height) {
        let y = area.y + row;
        let marks = needle
            .as_deref()
            .map(|n| match_columns(screen, row, cols, n))
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
            let contents = cell.contents();
            let wide = cell.is_wide();
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
fn match_columns(screen: &vt100::Screen, row: u16, cols: u16, needle: &str) -> Vec<bool> {
    let mut text = String::new();
    let mut owner = Vec::new();
    for col in 0..cols {
        let Some(cell) = screen.cell(row, col) else {
            break;
        };
        if cell.is_wide_continuation() {
            continue;
        }
        let c = if cell.has_contents() {
            cell.contents().to_lowercase()
        } else {
            " ".into()
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
            if screen.cell(row, col).is_some_and(vt100::Cell::is_wide)
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

    #[test]
    fn copies_colours_attributes_and_wide_chars() {
        let mut p = vt100::Parser::new(2, 6, 0);
        p.process("\x1b[1;31mA\x1b[0m日\x1b[2;7mb\x1b[0m\x1b[38;2;1;2;3mc".as_bytes());
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 2));
        render_screen(p.screen(), buf.area, &mut buf, None);
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
        let mut p = vt100::Parser::new(1, 10, 0);
        p.process(b"abcABCabc");
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 1));
        render_screen(p.screen(), buf.area, &mut buf, Some("CA"));
        let rev: Vec<bool> = (0..9)
            .map(|x| buf[(x, 0)].modifier.contains(Modifier::REVERSED))
            .collect();
        assert_eq!(
            rev,
            [false, false, true, true, false, true, true, false, false]
        );
    }
}
