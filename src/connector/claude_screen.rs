//! Screen rules for Claude Code agents (`CLAUDE_CODE.md`, "Interactive mode:
//! what the screen shows"): they reconcile what hooks miss — an Esc
//! interrupt, a permission answered in the pane — and recognise startup
//! dialogs that block an agent before any hook fires.

use crate::domain::AgentStatus;

/// Startup dialogs, by a phrase they show, and the reason nox gives.
const DIALOGS: &[(&str, &str)] = &[
    (
        "Do you trust the files in this folder",
        "startup: folder trust dialog",
    ),
    ("Yes, I trust this folder", "startup: folder trust dialog"),
    ("Detected a custom API key", "startup: API key approval"),
    (
        "Unable to connect to Anthropic services",
        "startup: onboarding cannot reach Anthropic",
    ),
    ("Choose the text style", "startup: onboarding (theme)"),
    ("Select login method", "startup: onboarding (login)"),
];

/// What the bottom of a Claude Code screen says about its status, if anything.
pub fn status_from_screen(screen: &str) -> Option<(AgentStatus, &'static str)> {
    for (phrase, why) in DIALOGS {
        if screen.contains(phrase) {
            return Some((AgentStatus::Waiting, why));
        }
    }
    let lines: Vec<&str> = screen.lines().collect();
    let bottom = lines[lines.len().saturating_sub(14)..].join("\n");
    if bottom.contains("Esc to cancel")
        && (bottom.contains("Do you want to") || bottom.contains("❯ 1. Yes"))
    {
        return Some((AgentStatus::Waiting, "screen: permission prompt"));
    }
    if bottom.contains("esc to interrupt") {
        return Some((AgentStatus::Busy, "screen: esc to interrupt"));
    }
    // The idle input box: `❯` between two full-width rules.
    if input_text(screen).is_some() {
        return Some((AgentStatus::Idle, "screen: idle input box"));
    }
    None
}

/// The text in Claude Code's input box (between two full-width rules, after
/// `❯`), the lowest box on screen; `None` when no box shows. Empty when the
/// box is empty: text in it is the user's draft, and no prompt is typed over it.
pub fn input_text(screen: &str) -> Option<String> {
    let lines: Vec<&str> = screen.lines().collect();
    let rules: Vec<usize> = (0..lines.len()).filter(|&i| is_rule(lines[i])).collect();
    rules.windows(2).rev().find_map(|w| {
        let (top, bottom) = (w[0], w[1]);
        let inside = &lines[top + 1..bottom];
        let first = inside.first()?.trim_start().strip_prefix('❯')?;
        if inside.len() > 12 {
            return None;
        }
        let mut text = vec![first.trim()];
        text.extend(inside[1..].iter().map(|l| l.trim()));
        Some(text.join("\n").trim().to_string())
    })
}

fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.chars().count() >= 20 && t.chars().all(|c| c == '─')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/claude-code-2.1.328")
            .join(name);
        std::fs::read_to_string(p).expect("fixture")
    }

    #[test]
    fn recorded_screens_are_recognised() {
        assert_eq!(
            status_from_screen(&fixture("banner_120x40.idle.tmux.txt")).map(|s| s.0),
            Some(AgentStatus::Idle)
        );
        assert_eq!(
            status_from_screen(&fixture("spinner_120x40.spinner.tmux.txt")).map(|s| s.0),
            Some(AgentStatus::Busy)
        );
        assert_eq!(
            status_from_screen(&fixture("bash_perm_100x30.permission_prompt.tmux.txt"))
                .map(|s| s.0),
            Some(AgentStatus::Waiting)
        );
        assert_eq!(
            status_from_screen(&fixture("text_reply_120x40.reply.tmux.txt")).map(|s| s.0),
            Some(AgentStatus::Idle)
        );
        assert_eq!(
            status_from_screen(&fixture("long_md_80x24.end.tmux.txt")).map(|s| s.0),
            Some(AgentStatus::Idle)
        );
    }

    #[test]
    fn the_input_box_shows_a_draft_or_nothing() {
        let rule = "─".repeat(40);
        let empty = format!("● done\n{rule}\n❯ \n{rule}\n  ? for shortcuts");
        assert_eq!(input_text(&empty).as_deref(), Some(""));
        let draft = format!("{rule}\n❯ half-typed draft\n  second line\n{rule}\n");
        assert_eq!(
            input_text(&draft).as_deref(),
            Some("half-typed draft\nsecond line")
        );
        assert_eq!(input_text("no box here"), None);
        let history = fixture("bash_perm_100x30.end.tmux.txt");
        assert_eq!(
            input_text(&history).as_deref(),
            Some(""),
            "a prompt in the history is not the input box"
        );
    }

    #[test]
    fn startup_dialogs_are_waiting_with_a_reason() {
        let s = status_from_screen(
            "Detected a custom API key in your environment\nDo you want to use this API key?",
        );
        assert_eq!(s, Some((AgentStatus::Waiting, "startup: API key approval")));
        assert_eq!(status_from_screen("just some text"), None);
    }
}
