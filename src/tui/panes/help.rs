//! The help overlay, generated from the active keymap and each action's
//! description: as many columns of bindings as the screen's width allows,
//! descriptions wrapped at words rather than cut, ↑↓ for what does not fit
//! in height (the bottom border says which rows show).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{Ctx, block, centered};
use crate::config::keymap::Keymap;
use crate::config::theme::Theme;
use crate::tui::text::{fit, truncate, width, wrap};

/// Columns narrower than this are not worth a second column.
const MIN_COLUMN: usize = 60;
/// Spaces between columns.
const GAP: usize = 3;
/// Below this many columns for descriptions, the action names give way.
const MIN_DESCRIPTION: usize = 24;

/// One binding: its keys, its action's name, what it does.
struct Binding {
    key: String,
    name: &'static str,
    what: &'static str,
}

/// A titled group of bindings (the prefix key alone has no title).
struct Section {
    title: &'static str,
    bindings: Vec<Binding>,
}

fn sections(km: &Keymap) -> Vec<Section> {
    let mut out = vec![Section {
        title: "",
        bindings: vec![Binding {
            key: km.prefix.to_string(),
            name: "",
            what: "prefix: the next key is a nox command",
        }],
    }];
    for (title, table, with_prefix) in [
        ("After the prefix", &km.prefix_keys, true),
        (
            "In the Agents, Tasks, Messages and Logs panes",
            &km.panes,
            false,
        ),
        ("In scrollback mode", &km.scrollback, false),
    ] {
        let bindings = table
            .iter()
            .map(|(chord, action)| Binding {
                key: if with_prefix {
                    format!("{} {chord}", km.prefix)
                } else {
                    chord.to_string()
                },
                name: action.name(),
                what: action.description(),
            })
            .collect();
        out.push(Section { title, bindings });
    }
    out
}

/// The help's text laid out in columns of `width` columns each.
pub struct HelpColumns {
    /// The columns, left to right, each a list of lines.
    pub columns: Vec<Vec<Line<'static>>>,
    /// Width of each column.
    pub width: usize,
}

/// Lays the help of `km` out for `avail` columns (inside the border).
pub fn columns(km: &Keymap, avail: usize, theme: &Theme) -> HelpColumns {
    let sections = sections(km);
    let all = || sections.iter().flat_map(|s| &s.bindings);
    let key_w = all().map(|b| width(&b.key)).max().unwrap_or(0);
    let name_w = all().map(|b| width(b.name)).max().unwrap_or(0);
    let what_w = all().map(|b| width(b.what)).max().unwrap_or(0);
    let natural = key_w + 2 + name_w + 2 + what_w;
    let n = ((avail + GAP) / (MIN_COLUMN + GAP)).max(1);
    let col_w = natural.min(avail.saturating_sub(GAP * (n - 1)) / n).max(1);
    let names = col_w >= key_w + 2 + name_w + 2 + MIN_DESCRIPTION;
    let text_at = key_w + 2 + if names { name_w + 2 } else { 0 };
    let text_w = col_w.saturating_sub(text_at).max(1);
    // Blocks of lines that stay together: a title, or a binding with its
    // wrapped description; `None` between sections.
    let mut blocks: Vec<Option<(&'static str, bool, Vec<Line<'static>>)>> = Vec::new();
    for s in &sections {
        if !blocks.is_empty() {
            blocks.push(None);
        }
        if !s.title.is_empty() {
            let title = wrap(s.title, col_w, col_w)
                .into_iter()
                .map(|t| Line::styled(t, theme.title_focused))
                .collect();
            blocks.push(Some((s.title, true, title)));
        }
        for b in &s.bindings {
            let mut lines = Vec::new();
            // The prefix line's text starts where names do.
            let (at, w) = if b.name.is_empty() {
                (key_w + 2, col_w.saturating_sub(key_w + 2).max(1))
            } else {
                (text_at, text_w)
            };
            for (i, part) in wrap(b.what, w, w).into_iter().enumerate() {
                let mut spans = Vec::new();
                if i == 0 {
                    spans.push(Span::styled(fit(&b.key, key_w + 2), theme.key));
                    if names && !b.name.is_empty() {
                        spans.push(Span::styled(fit(b.name, name_w + 2), theme.muted));
                    }
                } else {
                    spans.push(Span::raw(" ".repeat(at)));
                }
                spans.push(Span::styled(part, theme.text));
                lines.push(Line::from(spans));
            }
            blocks.push(Some((s.title, false, lines)));
        }
    }
    // Every line, with a blank between sections: one column this tall
    // holds everything.
    let total: usize = blocks
        .iter()
        .map(|b| b.as_ref().map_or(1, |(_, _, l)| l.len()))
        .sum();
    let mut h = total.div_ceil(n).max(1);
    loop {
        let cols = pack(&blocks, h, col_w, theme.muted);
        if cols.len() <= n || h >= total {
            return HelpColumns {
                columns: cols,
                width: col_w,
            };
        }
        h += 1;
    }
}

/// Packs `blocks` into columns of at most `h` lines (a block taller than
/// `h` gets a column of its own): no column starts with a blank line or
/// ends with a title; a section that goes on in the next column repeats
/// its title there.
fn pack(
    blocks: &[Option<(&'static str, bool, Vec<Line<'static>>)>],
    h: usize,
    width: usize,
    muted: Style,
) -> Vec<Vec<Line<'static>>> {
    let mut cols: Vec<Vec<Line<'static>>> = vec![Vec::new()];
    let mut ends_with_title = false;
    let mut last_len = 0;
    for block in blocks {
        let col = cols.last_mut().expect("one column at least");
        let Some((section, is_title, lines)) = block else {
            if !col.is_empty() {
                col.push(Line::raw(""));
            }
            ends_with_title = false;
            continue;
        };
        // A column holding only a title keeps it and takes the block.
        let only_title = ends_with_title && col.len() == last_len;
        if !col.is_empty() && !only_title && col.len() + lines.len() > h {
            let mut next = Vec::new();
            if ends_with_title {
                let title = col.len() - last_len;
                next.extend(col.drain(title..));
            } else if !is_title && !section.is_empty() {
                let more = truncate(&format!("{section} (continued)"), width);
                next.push(Line::styled(more, muted));
            }
            while col.last().is_some_and(|l| l.width() == 0) {
                col.pop();
            }
            cols.push(next);
        }
        cols.last_mut()
            .expect("one column at least")
            .extend(lines.iter().cloned());
        ends_with_title = *is_title;
        last_len = lines.len();
    }
    cols
}

/// Draws the help overlay scrolled down `scroll` rows.
pub fn render(f: &mut Frame<'_>, area: Rect, km: &Keymap, scroll: u16, ctx: &Ctx<'_>) {
    let avail = usize::from(area.width.saturating_sub(2));
    let HelpColumns { columns, width } = columns(km, avail, ctx.theme);
    let n = columns.len();
    let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
    let w = n * width + GAP * n.saturating_sub(1) + 2;
    let r = centered(
        area,
        u16::try_from(w).unwrap_or(u16::MAX),
        u16::try_from(rows + 2).unwrap_or(u16::MAX),
    );
    f.render_widget(Clear, r);
    let mut b = block(
        format!(" Help: keymap {} (↑↓ scroll, any key closes) ", km.name),
        true,
        ctx.theme,
    );
    let inner_h = usize::from(r.height.saturating_sub(2));
    let top = usize::from(scroll).min(rows.saturating_sub(inner_h));
    if rows > inner_h {
        b = b.title_bottom(
            Line::styled(
                format!(" rows {}–{} of {rows} ", top + 1, top + inner_h),
                ctx.theme.muted,
            )
            .right_aligned(),
        );
    }
    let inner = b.inner(r);
    f.render_widget(b.style(ctx.theme.dialog), r);
    for (i, col) in columns.into_iter().enumerate() {
        let x = inner.x + u16::try_from(i * (width + GAP)).unwrap_or(u16::MAX);
        let rect = Rect {
            x,
            width: u16::try_from(width)
                .unwrap_or(u16::MAX)
                .min(inner.right().saturating_sub(x)),
            ..inner
        };
        let top = u16::try_from(top).unwrap_or(u16::MAX);
        f.render_widget(
            Paragraph::new(col).style(ctx.theme.dialog).scroll((top, 0)),
            rect,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line<'_>) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    fn laid_out(avail: usize) -> HelpColumns {
        let km = Keymap::load("default", None).expect("keymap");
        let theme = Theme::load("default", None, false).expect("theme");
        columns(&km, avail, &theme)
    }

    #[test]
    fn wide_screens_get_columns_and_narrow_ones_one() {
        let count = |avail| laid_out(avail).columns.len();
        assert_eq!(count(78), 1);
        assert_eq!(count(118), 1);
        assert_eq!(count(158), 2);
        assert_eq!(count(248), 3);
        // Columns share the height evenly enough: none more than a few
        // lines taller than the total split evenly.
        let h = laid_out(248);
        let lens: Vec<usize> = h.columns.iter().map(Vec::len).collect();
        let total: usize = lens.iter().sum();
        assert!(
            lens.iter().all(|l| *l <= total / 3 + 5),
            "{lens:?} of {total}"
        );
    }

    #[test]
    fn nothing_is_cut_off_at_any_width() {
        let km = Keymap::load("default", None).expect("keymap");
        for avail in [30, 60, 78, 100, 158, 248] {
            let h = laid_out(avail);
            let all: Vec<String> = h.columns.iter().flatten().map(text).collect();
            for l in &all {
                assert!(
                    width(l) <= h.width,
                    "at {avail}: {l:?} wider than {}",
                    h.width
                );
            }
            // Every description is there, word for word, wrapped or not.
            let words: Vec<&str> = all.iter().flat_map(|l| l.split_whitespace()).collect();
            let joined = format!(" {} ", words.join(" "));
            for (_, a) in km.prefix_keys.iter().chain(&km.panes).chain(&km.scrollback) {
                let d: Vec<&str> = a.description().split_whitespace().collect();
                assert!(
                    joined.contains(&format!(" {} ", d.join(" "))),
                    "at {avail}: {:?} is cut",
                    a.description()
                );
            }
        }
    }

    #[test]
    fn no_column_starts_blank_or_ends_with_a_title() {
        for avail in [158, 248] {
            for col in laid_out(avail).columns {
                assert!(col.first().is_some_and(|l| l.width() > 0), "{col:?}");
                let last = text(col.last().expect("a line"));
                assert!(last.starts_with(' ') || last.contains("  "), "{last:?}");
            }
        }
    }
}
