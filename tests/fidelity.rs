//! Recorded real Claude Code 2.1.328 sessions replayed through nox's parse
//! path (`Term`, with its query answers) and the Terminal pane's cell copy,
//! compared cell for cell (text, colours, bold, dim, italic, underline,
//! inverse) and cursor with tmux 3.3a's screens of the same bytes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nox::runtime::pty::Term;
use nox::tui::panes::screen::render_screen;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude-code-2.1.328")
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir().join(name)).expect(name)).expect("json")
}

/// What a reference cell must look like in a ratatui buffer (written
/// independently of the pane's own mapping).
fn expected(w: &vt100::Cell) -> (Color, Color, Modifier) {
    let c = |x: vt100::Color| match x {
        vt100::Color::Default => Color::Reset,
        vt100::Color::Idx(i) => Color::Indexed(i),
        vt100::Color::Rgb(r, g, b) => Color::Rgb(r, g, b),
    };
    let mut m = Modifier::empty();
    for (on, bit) in [
        (w.bold(), Modifier::BOLD),
        (w.dim(), Modifier::DIM),
        (w.italic(), Modifier::ITALIC),
        (w.underline(), Modifier::UNDERLINED),
        (w.inverse(), Modifier::REVERSED),
    ] {
        if on {
            m |= bit;
        }
    }
    (c(w.fgcolor()), c(w.bgcolor()), m)
}

/// tmux's capture (`capture-pane -p -e -N`) turned back into a screen.
fn reference(session: &str, label: &str, rows: u16, cols: u16) -> vt100::Parser {
    let text = std::fs::read_to_string(dir().join(format!("{session}.{label}.tmux-e.txt")))
        .expect("reference");
    let mut p = vt100::Parser::new(rows, cols, 0);
    let lines: Vec<&str> = text.split('\n').take(usize::from(rows)).collect();
    p.process(lines.join("\r\n").as_bytes());
    p
}

fn replay(session: &str) -> usize {
    let meta = json(&format!("{session}.json"));
    let snaps = json(&format!("{session}.tmux.json"));
    let bytes = std::fs::read(dir().join(format!("{session}.bin"))).expect("bin");
    let mut compared = 0;
    for snap in snaps.as_array().expect("snapshots") {
        let label = snap["label"].as_str().expect("label");
        let offset = usize::try_from(snap["offset"].as_u64().expect("offset")).expect("usize");
        let rows = u16::try_from(snap["size"][0].as_u64().expect("rows")).expect("u16");
        let cols = u16::try_from(snap["size"][1].as_u64().expect("cols")).expect("u16");
        let term = Term::new(rows, cols, 1000, Arc::new(tokio::sync::Notify::new()));
        for chunk in meta["chunks"].as_array().expect("chunks") {
            let start = usize::try_from(chunk[1].as_u64().expect("off")).expect("usize");
            let end = (start + usize::try_from(chunk[2].as_u64().expect("len")).expect("usize"))
                .min(offset);
            if start < end {
                term.ingest_for_test(&bytes[start..end]);
            }
        }
        let area = Rect::new(0, 0, cols, rows);
        let mut buf = Buffer::empty(area);
        render_screen(&term.snapshot(0), area, &mut buf, None);
        let (cursor, hidden, alt, title) = term.with_parser(|p| {
            (
                p.screen().cursor_position(),
                p.screen().hide_cursor(),
                p.screen().alternate_screen(),
                p.callbacks().title.clone(),
            )
        });
        let want = reference(session, label, rows, cols);
        let ws = want.screen();
        for r in 0..rows {
            for c in 0..cols {
                let w = ws.cell(r, c).expect("cell");
                if w.is_wide_continuation() {
                    continue;
                }
                let got = &buf[(c, r)];
                let sym = if w.has_contents() { w.contents() } else { " " };
                assert_eq!(
                    got.symbol(),
                    sym,
                    "{session}/{label} text at row {r} col {c}\nours:\n{}\ntmux:\n{}",
                    term.contents(),
                    ws.contents()
                );
                assert_eq!(
                    (got.fg, got.bg, got.modifier),
                    expected(w),
                    "{session}/{label} attributes at row {r} col {c} ({sym:?})"
                );
            }
        }
        let want_cursor = (
            u16::try_from(snap["cursor"][0].as_u64().expect("row")).expect("u16"),
            u16::try_from(snap["cursor"][1].as_u64().expect("col")).expect("u16"),
        );
        assert_eq!(cursor, want_cursor, "{session}/{label} cursor");
        assert_eq!(
            !hidden,
            snap["cursor_visible"].as_bool().expect("visible"),
            "{session}/{label} cursor visibility"
        );
        assert_eq!(
            alt,
            snap["alt"].as_bool().expect("alt"),
            "{session}/{label} alternate screen"
        );
        assert_eq!(
            title,
            snap["title"].as_str().expect("title"),
            "{session}/{label} title"
        );
        compared += 1;
    }
    compared
}

#[test]
fn banner_matches_tmux() {
    assert_eq!(replay("banner_120x40"), 2);
}

#[test]
fn bash_permission_prompt_matches_tmux() {
    assert_eq!(replay("bash_perm_100x30"), 3);
}

#[test]
fn long_markdown_reply_matches_tmux() {
    assert_eq!(replay("long_md_80x24"), 2);
}

#[test]
fn spinner_matches_tmux() {
    assert_eq!(replay("spinner_120x40"), 3);
}

#[test]
fn text_reply_matches_tmux() {
    assert_eq!(replay("text_reply_120x40"), 2);
}
