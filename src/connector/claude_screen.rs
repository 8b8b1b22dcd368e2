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
    let idle_box = lines
        .windows(3)
        .any(|w| is_rule(w[0]) && w[1].trim_start().starts_with('❯') && is_rule(w[2]));
    if idle_box {
        return Some((AgentStatus::Idle, "screen: idle input box"));
    }
    None
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
    fn startup_dialogs_are_waiting_with_a_reason() {
        let s = status_from_screen(
            "Detected a custom API key in your environment\nDo you want to use this API key?",
        );
        assert_eq!(s, Some((AgentStatus::Waiting, "startup: API key approval")));
        assert_eq!(status_from_screen("just some text"), None);
    }
}
