//! Themes as data: semantic style slots (`border_focused`, `status_busy`, …)
//! read from `themes/*.toml` (compiled in) or `$XDG_CONFIG_HOME/nox/themes/`.
//! A theme file sets any subset of slots over the default theme; panes never
//! name raw colours. `NO_COLOR` (no-color.org) drops every colour and keeps
//! bold/reverse so focus and selection stay visible.

use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use crate::domain::AgentStatus;

/// Built-in themes: (name, TOML text).
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("solarized", include_str!("../../themes/solarized.toml")),
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<Spanned<String>>,
    bg: Option<Spanned<String>>,
    bold: Option<bool>,
    dim: Option<bool>,
    italic: Option<bool>,
    underline: Option<bool>,
    reversed: Option<bool>,
}

macro_rules! slots {
    ($($slot:ident),+ $(,)?) => {
        /// Resolved styles, one per semantic slot.
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct Theme {
            /// Name it was loaded as.
            pub name: String,
            $(#[doc = concat!("Style of `", stringify!($slot), "`.")] pub $slot: Style,)+
        }

        #[derive(Deserialize, Default)]
        #[serde(deny_unknown_fields)]
        struct RawSlots { $($slot: Option<StyleSpec>,)+ }

        impl Theme {
            fn apply(&mut self, raw: RawSlots, path: &Path, src: &str) -> Result<(), ConfigError> {
                $(if let Some(spec) = raw.$slot { self.$slot = spec.style(self.$slot, path, src)?; })+
                Ok(())
            }

            fn map_styles(&mut self, f: impl Fn(Style) -> Style) {
                $(self.$slot = f(self.$slot);)+
            }
        }
    };
}

slots!(
    text,
    muted,
    border,
    border_focused,
    title,
    title_focused,
    selection,
    status_line,
    prefix_armed,
    key,
    accent,
    dialog,
    error,
    status_starting,
    status_busy,
    status_waiting,
    status_idle,
    status_exited,
    status_crashed,
    status_restarting,
    status_stopped,
    status_failed,
    log_error,
    log_warn,
    log_info,
    log_debug,
);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    #[serde(default)]
    slots: RawSlots,
}

impl StyleSpec {
    fn style(self, base: Style, path: &Path, src: &str) -> Result<Style, ConfigError> {
        let colour = |c: Option<Spanned<String>>| -> Result<Option<Color>, ConfigError> {
            c.map(|c| {
                Color::from_str(c.get_ref()).map_err(|_| {
                    ConfigError::at(path, src, Some(c.span()), format!(
                        "unknown colour {:?}: expected a name (red, lightblue, …), \"#rrggbb\" or 0-255",
                        c.get_ref()
                    ))
                })
            })
            .transpose()
        };
        let mut s = base;
        if let Some(fg) = colour(self.fg)? {
            s = s.fg(fg);
        }
        if let Some(bg) = colour(self.bg)? {
            s = s.bg(bg);
        }
        for (flag, m) in [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underline, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
        ] {
            match flag {
                Some(true) => s = s.add_modifier(m),
                Some(false) => s = s.remove_modifier(m),
                None => {}
            }
        }
        Ok(s)
    }
}

impl Theme {
    /// Loads theme `name` (user file first, then built-in) over the default
    /// theme; with `no_color`, strips colours (see module docs).
    pub fn load(name: &str, user_dir: Option<&Path>, no_color: bool) -> Result<Self, ConfigError> {
        let mut theme = Theme::default();
        let (_, default_src) = BUILTIN[0];
        theme.merge(Path::new("themes/default.toml"), default_src)?;
        let user = user_dir.map(|d| d.join("themes").join(format!("{name}.toml")));
        if let Some(p) = user.filter(|p| p.is_file()) {
            let src = std::fs::read_to_string(&p)
                .map_err(|e| ConfigError::whole(&p, format!("cannot read: {e}")))?;
            theme.merge(&p, &src)?;
        } else {
            let (_, src) = BUILTIN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
                ConfigError::whole(
                    Path::new(name),
                    format!("unknown theme {name:?}: expected default, light, solarized, or a file in $XDG_CONFIG_HOME/nox/themes/"),
                )
            })?;
            theme.merge(&Path::new("themes").join(format!("{name}.toml")), src)?;
        }
        theme.name = name.into();
        if no_color {
            theme.strip_colours();
        }
        Ok(theme)
    }

    fn merge(&mut self, path: &Path, src: &str) -> Result<(), ConfigError> {
        let raw: RawTheme = toml::from_str(src).map_err(|e| {
            ConfigError::at(path, src, e.span(), e.message().trim_end().to_string())
        })?;
        self.apply(raw.slots, path, src)
    }

    fn strip_colours(&mut self) {
        self.map_styles(|s| Style {
            fg: None,
            bg: None,
            ..s
        });
        self.selection = self.selection.add_modifier(Modifier::REVERSED);
        self.prefix_armed = self.prefix_armed.add_modifier(Modifier::REVERSED);
    }

    /// The style for an agent status.
    pub fn status(&self, s: AgentStatus) -> Style {
        match s {
            AgentStatus::Starting => self.status_starting,
            AgentStatus::Busy => self.status_busy,
            AgentStatus::Waiting => self.status_waiting,
            AgentStatus::Idle => self.status_idle,
            AgentStatus::Exited => self.status_exited,
            AgentStatus::Crashed => self.status_crashed,
            AgentStatus::Restarting => self.status_restarting,
            AgentStatus::Stopped => self.status_stopped,
            AgentStatus::Failed => self.status_failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_theme_loads_and_differs() {
        let mut seen = Vec::new();
        for (name, _) in BUILTIN {
            let t = Theme::load(name, None, false).expect(name);
            assert_ne!(t.border_focused, Style::default(), "{name}");
            seen.push(t.selection);
        }
        seen.dedup();
        assert_eq!(seen.len(), BUILTIN.len());
    }

    #[test]
    fn no_color_strips_colours_keeps_modifiers() {
        let t = Theme::load("default", None, true).expect("default");
        assert_eq!(t.border_focused.fg, None);
        assert!(t.border_focused.add_modifier.contains(Modifier::BOLD));
        assert!(t.selection.add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn bad_slot_and_colour_are_located() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("themes");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(
            dir.join("mine.toml"),
            "[slots]\nborder = { fg = \"blurple\" }\n",
        )
        .expect("w");
        let e = Theme::load("mine", Some(tmp.path()), false).expect_err("colour");
        assert!(e.message.contains("blurple") && e.line == 2, "{e}");
        std::fs::write(
            dir.join("mine.toml"),
            "[slots]\nbroder = { fg = \"red\" }\n",
        )
        .expect("w");
        let e = Theme::load("mine", Some(tmp.path()), false).expect_err("slot");
        assert!(e.message.contains("broder") && e.line == 2, "{e}");
        std::fs::write(
            dir.join("mine.toml"),
            "[slots]\nborder = { fg = \"red\" }\n",
        )
        .expect("w");
        let t = Theme::load("mine", Some(tmp.path()), false).expect("ok");
        assert_eq!(t.border.fg, Some(Color::Red));
        assert!(Theme::load("nope", None, false).is_err());
    }
}
