//! The one command vocabulary of the dashboard: every key binding names an
//! [`Action`], whose `snake_case` name is what keymap files use and whose doc
//! line is what the help overlay prints.

macro_rules! actions {
    ($( $(#[doc = $doc:literal])+ $variant:ident = $name:literal, )+) => {
        /// A dashboard action; keymap files name these by their `snake_case` name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $( $(#[doc = $doc])+ $variant, )+
        }

        impl Action {
            /// Every action, in declaration order.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)+];

            /// The `snake_case` name used in keymap files.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name,)+ }
            }

            /// One-line description, shown in the help overlay.
            pub fn description(self) -> &'static str {
                match self { $(Action::$variant => concat!($($doc),+).trim_ascii(),)+ }
            }

            /// The action named `name`, if any.
            pub fn from_name(name: &str) -> Option<Action> {
                match name { $($name => Some(Action::$variant),)+ _ => None }
            }
        }
    };
}

actions! {
    /// Send the prefix key itself to the agent
    SendPrefix = "send_prefix",
    /// Select the next agent
    NextAgent = "next_agent",
    /// Select the previous agent
    PrevAgent = "prev_agent",
    /// Select agent 0
    SelectAgent0 = "select_agent_0",
    /// Select agent 1
    SelectAgent1 = "select_agent_1",
    /// Select agent 2
    SelectAgent2 = "select_agent_2",
    /// Select agent 3
    SelectAgent3 = "select_agent_3",
    /// Select agent 4
    SelectAgent4 = "select_agent_4",
    /// Select agent 5
    SelectAgent5 = "select_agent_5",
    /// Select agent 6
    SelectAgent6 = "select_agent_6",
    /// Select agent 7
    SelectAgent7 = "select_agent_7",
    /// Select agent 8
    SelectAgent8 = "select_agent_8",
    /// Select agent 9
    SelectAgent9 = "select_agent_9",
    /// Open the agent picker
    AgentPicker = "agent_picker",
    /// Move focus to the pane on the left
    FocusLeft = "focus_left",
    /// Move focus to the pane on the right
    FocusRight = "focus_right",
    /// Move focus to the pane above
    FocusUp = "focus_up",
    /// Move focus to the pane below
    FocusDown = "focus_down",
    /// Zoom the focused pane, or unzoom
    Zoom = "zoom",
    /// Enter scrollback mode on the terminal
    Scrollback = "scrollback",
    /// Open the new agent dialog
    NewAgent = "new_agent",
    /// Open the new task dialog
    NewTask = "new_task",
    /// Assign the selected task to the selected agent (again: back to routing)
    AssignTask = "assign_task",
    /// Restart the selected agent
    RestartAgent = "restart_agent",
    /// Stop the selected agent (asks to confirm)
    StopAgent = "stop_agent",
    /// Start the selected agent
    StartAgent = "start_agent",
    /// Allow the pending permission request (the selected agent's, else the oldest)
    Approve = "approve",
    /// Deny the pending permission request (the selected agent's, else the oldest)
    Deny = "deny",
    /// Send a message to the selected agent
    SendMessage = "send_message",
    /// Jump to the agent that has waited longest for you
    JumpToWaiting = "jump_to_waiting",
    /// Show this help
    Help = "help",
    /// Quit nox (asks to confirm while agents are busy)
    Quit = "quit",
    /// Move the selection up
    SelectUp = "select_up",
    /// Move the selection down
    SelectDown = "select_down",
    /// Open the selection (in Agents: focus its terminal)
    Activate = "activate",
    /// Cycle the Logs pane's level filter
    CycleLogLevel = "cycle_log_level",
    /// In Messages: show only the selected agent's messages (again: all)
    FilterMessages = "filter_messages",
    /// Scroll one line up
    ScrollUp = "scroll_up",
    /// Scroll one line down
    ScrollDown = "scroll_down",
    /// Scroll one page up
    ScrollPageUp = "scroll_page_up",
    /// Scroll one page down
    ScrollPageDown = "scroll_page_down",
    /// Scroll half a page up
    ScrollHalfUp = "scroll_half_up",
    /// Scroll half a page down
    ScrollHalfDown = "scroll_half_down",
    /// Go to the oldest line
    ScrollTop = "scroll_top",
    /// Go to the newest line
    ScrollBottom = "scroll_bottom",
    /// Search the scrollback
    Search = "search",
    /// Next (older) search match
    SearchNext = "search_next",
    /// Previous (newer) search match
    SearchPrev = "search_prev",
    /// Leave scrollback mode
    ExitScrollback = "exit_scrollback",
}

impl Action {
    /// For `select_agent_N`, the index N.
    pub fn agent_index(self) -> Option<usize> {
        let i = Action::ALL.iter().position(|a| *a == self)?;
        let first = Action::ALL
            .iter()
            .position(|a| *a == Action::SelectAgent0)?;
        (first..first + 10).contains(&i).then(|| i - first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_have_descriptions() {
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(*a));
            assert!(!a.description().is_empty());
            assert!(
                a.name()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
            );
        }
        assert_eq!(Action::SelectAgent7.agent_index(), Some(7));
        assert_eq!(Action::Zoom.agent_index(), None);
        assert_eq!(Action::Help.description(), "Show this help");
    }
}
