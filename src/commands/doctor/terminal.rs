//! The terminal nox draws in: `TERM`, its colours, its size, and whether
//! it is reached over SSH or inside tmux. Nothing here fails: a terminal
//! that falls short is a warning with advice.

use std::io::IsTerminal;
use std::process::Command;

use super::Check;
use super::probe;

/// The fix for a missing or unusable `TERM`.
const SET_TERM: &str = "run nox in a terminal emulator, or `export TERM=xterm-256color` \
                        when yours supports it";

/// The size below which the dashboard's panes get cramped.
const MIN_SIZE: (u16, u16) = (80, 24);

/// The terminal checks, from this process's environment.
pub fn checks() -> Vec<Check> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let term = env("TERM");
    let tput = term.as_deref().and_then(tput_colors);
    let size = std::io::stdout()
        .is_terminal()
        .then(|| crossterm::terminal::size().ok())
        .flatten();
    vec![
        term_check(term.as_deref()),
        colours(
            term.as_deref(),
            env("COLORTERM").as_deref(),
            env("NO_COLOR").is_some(),
            tput,
        ),
        size_check(size),
        ssh(env("SSH_CONNECTION").as_deref(), env("SSH_TTY").as_deref()),
        tmux(env("TMUX").is_some()),
    ]
}

fn term_check(term: Option<&str>) -> Check {
    match term {
        None => Check::warn("term", "TERM is not set").fix(SET_TERM),
        Some("dumb") => Check::warn(
            "term",
            "TERM=dumb: no cursor movement, and the dashboard needs a full-screen terminal",
        )
        .fix(SET_TERM),
        Some(t) => Check::ok("term", format!("TERM={t}")),
    }
}

/// `tput colors` for `term` (terminfo's count), when tput answers.
fn tput_colors(term: &str) -> Option<i64> {
    let mut cmd = Command::new("tput");
    cmd.args(["-T", term, "colors"]);
    probe::run(cmd, probe::WITHIN)
        .first_line()
        .and_then(|l| l.parse().ok())
}

/// Colours from what the terminal (`TERM`) and the user (`COLORTERM`,
/// `NO_COLOR`) say: terminfo's count when `tput` gave one, else a guess
/// from the name.
fn colours(
    term: Option<&str>,
    colorterm: Option<&str>,
    no_color: bool,
    tput: Option<i64>,
) -> Check {
    if no_color {
        return Check::ok(
            "colours",
            "off: NO_COLOR is set (nox keeps bold and reverse video)",
        );
    }
    if let Some(ct @ ("truecolor" | "24bit")) = colorterm {
        return Check::ok("colours", format!("24-bit (COLORTERM={ct})"));
    }
    let (count, how) = match (tput, term) {
        (Some(n), _) => (n, "tput colors"),
        (None, Some(t)) if t.contains("direct") => (1 << 24, "TERM"),
        (None, Some(t)) if t.contains("256") => (256, "TERM"),
        (None, Some(t))
            if [
                "xterm",
                "screen",
                "tmux",
                "rxvt",
                "linux",
                "vt220",
                "ansi",
                "alacritty",
            ]
            .iter()
            .any(|p| t.starts_with(p)) =>
        {
            (8, "TERM")
        }
        (None, _) => (0, "TERM"),
    };
    let fix = "`export TERM=xterm-256color` if your terminal has 256 colours, \
               else NO_COLOR=1 for a plain dashboard";
    match count {
        n if n >= 256 => Check::ok("colours", format!("{n} ({how})")),
        n if n >= 8 => Check::warn(
            "colours",
            format!("{n} ({how}): the themes use 256 colours and some 24-bit backgrounds"),
        )
        .fix(fix),
        _ => Check::warn("colours", format!("none that {how} knows of")).fix(fix),
    }
}

fn size_check(size: Option<(u16, u16)>) -> Check {
    let (min_cols, min_rows) = MIN_SIZE;
    match size {
        None => Check::ok("size", "not a terminal (stdout is redirected): not checked"),
        Some((cols, rows)) if cols < min_cols || rows < min_rows => Check::warn(
            "size",
            format!("{cols}×{rows}: the dashboard wants at least {min_cols}×{min_rows}"),
        )
        .fix("enlarge the window or use a smaller font"),
        Some((cols, rows)) => Check::ok("size", format!("{cols}×{rows}")),
    }
}

fn ssh(connection: Option<&str>, tty: Option<&str>) -> Check {
    let from = connection.and_then(|c| c.split_whitespace().next());
    match (from, tty) {
        (Some(ip), _) => Check::ok(
            "ssh",
            format!(
                "over SSH from {ip}: bells and desktop notifications reach your local terminal"
            ),
        ),
        (None, Some(_)) => Check::ok("ssh", "over SSH"),
        (None, None) => Check::ok("ssh", "not over SSH"),
    }
}

fn tmux(inside: bool) -> Check {
    if inside {
        Check::ok(
            "tmux",
            "inside tmux: its default prefix is Ctrl-b too, so press Ctrl-b twice for nox's; \
             desktop notifications stop at tmux",
        )
    } else {
        Check::ok("tmux", "not inside tmux")
    }
}

#[cfg(test)]
mod tests {
    use super::super::Status;
    use super::*;

    #[test]
    fn colours_come_from_the_user_then_terminfo_then_the_name() {
        let c = |term, ct, no, tput| colours(term, ct, no, tput);
        assert!(
            c(Some("xterm"), None, true, Some(8))
                .detail
                .contains("NO_COLOR")
        );
        assert!(
            c(Some("xterm"), Some("truecolor"), false, Some(8))
                .detail
                .starts_with("24-bit")
        );
        assert_eq!(
            c(Some("xterm-256color"), None, false, None).status,
            Status::Ok
        );
        assert_eq!(c(Some("xterm"), None, false, Some(8)).status, Status::Warn);
        assert_eq!(c(Some("xterm"), None, false, Some(256)).status, Status::Ok);
        assert_eq!(c(None, None, false, None).status, Status::Warn);
        assert!(c(Some("dumb"), None, false, Some(-1)).fix.is_some());
    }

    #[test]
    fn term_size_ssh_and_tmux() {
        assert_eq!(term_check(None).status, Status::Warn);
        assert_eq!(term_check(Some("dumb")).status, Status::Warn);
        assert_eq!(term_check(Some("xterm")).status, Status::Ok);
        assert_eq!(size_check(Some((60, 20))).status, Status::Warn);
        assert_eq!(size_check(Some((120, 40))).detail, "120×40");
        assert!(
            ssh(Some("10.0.0.2 50000 10.0.0.1 22"), None)
                .detail
                .contains("10.0.0.2")
        );
        assert!(tmux(true).detail.contains("Ctrl-b"));
    }
}
