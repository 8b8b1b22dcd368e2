//! Keymaps as data: `keymaps/*.toml` compiled in, user files in
//! `$XDG_CONFIG_HOME/nox/keymaps/` overriding by name. A file may say
//! `extends = "NAME"` to start from another keymap; `"none"` unbinds a key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use crate::tui::action::Action;

/// Built-in keymaps: (name, TOML text).
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("vim", include_str!("../../keymaps/vim.toml")),
];

/// A key with modifiers, normalised so that a character never carries SHIFT
/// (terminals report `G` as `G`, sometimes with SHIFT, sometimes without).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyChord {
    /// The key.
    pub code: KeyCodeOrd,
    /// Ctrl / Alt / Shift bits.
    pub mods: u8,
}

/// `KeyCode` subset that keymaps can name, ordered for stable help output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    /// A character.
    Char(char),
    /// F1..F12.
    F(u8),
    /// A named key, by its keymap name.
    Named(&'static str),
}

const NAMED: &[(&str, KeyCode)] = &[
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
];

const CTRL: u8 = 1;
const ALT: u8 = 2;
const SHIFT: u8 = 4;

impl KeyChord {
    /// The chord of a crossterm key event.
    pub fn from_event(ev: &KeyEvent) -> Option<Self> {
        let mut mods = 0;
        if ev.modifiers.contains(KeyModifiers::CONTROL) {
            mods |= CTRL;
        }
        if ev.modifiers.contains(KeyModifiers::ALT) {
            mods |= ALT;
        }
        if ev.modifiers.contains(KeyModifiers::SHIFT) {
            mods |= SHIFT;
        }
        let code = match ev.code {
            KeyCode::Char(' ') => KeyCodeOrd::Named("space"),
            KeyCode::Char(c) => {
                mods &= !SHIFT;
                KeyCodeOrd::Char(if mods & CTRL != 0 {
                    c.to_ascii_lowercase()
                } else {
                    c
                })
            }
            KeyCode::F(n) => KeyCodeOrd::F(n),
            other => KeyCodeOrd::Named(NAMED.iter().find(|(_, k)| *k == other)?.0),
        };
        Some(Self { code, mods })
    }

    /// Parses `"ctrl-b"`, `"G"`, `"shift-up"`, `"f5"`, `"space"`.
    pub fn parse(s: &str) -> Option<Self> {
        let mut mods = 0;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") {
                (CTRL, 5)
            } else if lower.starts_with("alt-") {
                (ALT, 4)
            } else if lower.starts_with("shift-") {
                (SHIFT, 6)
            } else {
                break;
            };
            if rest.len() == len {
                break;
            }
            mods |= m;
            rest = &rest[len..];
        }
        let mut chars = rest.chars();
        let code = if let (Some(c), None) = (chars.next(), chars.next()) {
            mods &= !SHIFT;
            KeyCodeOrd::Char(if mods & CTRL != 0 {
                c.to_ascii_lowercase()
            } else {
                c
            })
        } else {
            let lower = rest.to_ascii_lowercase();
            if lower == "space" {
                KeyCodeOrd::Named("space")
            } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                if !(1..=12).contains(&n) {
                    return None;
                }
                KeyCodeOrd::F(n)
            } else {
                KeyCodeOrd::Named(NAMED.iter().find(|(n, _)| *n == lower)?.0)
            }
        };
        Some(Self { code, mods })
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods & CTRL != 0 {
            f.write_str("C-")?;
        }
        if self.mods & ALT != 0 {
            f.write_str("M-")?;
        }
        if self.mods & SHIFT != 0 {
            f.write_str("S-")?;
        }
        match self.code {
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "F{n}"),
            KeyCodeOrd::Named(n) => f.write_str(n),
        }
    }
}

/// A resolved keymap: the prefix key and three binding tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    /// Name it was loaded as.
    pub name: String,
    /// The prefix key (default `Ctrl-b`).
    pub prefix: KeyChord,
    /// Bindings after the prefix.
    pub prefix_keys: BTreeMap<KeyChord, Action>,
    /// Bindings in panes other than the Terminal.
    pub panes: BTreeMap<KeyChord, Action>,
    /// Bindings in scrollback mode.
    pub scrollback: BTreeMap<KeyChord, Action>,
}

type Bindings = BTreeMap<Spanned<String>, Spanned<String>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeymap {
    extends: Option<String>,
    prefix_key: Option<Spanned<String>>,
    #[serde(default)]
    prefix: Bindings,
    #[serde(default)]
    panes: Bindings,
    #[serde(default)]
    scrollback: Bindings,
}

impl Keymap {
    /// Loads keymap `name`: the user's `<user_dir>/keymaps/NAME.toml` if it
    /// exists, else the built-in one. Unknown names are an error.
    pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_depth(name, user_dir, 0)
    }

    fn load_depth(name: &str, user_dir: Option<&Path>, depth: u8) -> Result<Self, ConfigError> {
        let user = user_dir.map(|d| d.join("keymaps").join(format!("{name}.toml")));
        let (path, src) = if let Some(p) = user.filter(|p| p.is_file()) {
            let s = std::fs::read_to_string(&p)
                .map_err(|e| ConfigError::whole(&p, format!("cannot read: {e}")))?;
            (p, s)
        } else {
            let (_, s) = BUILTIN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
                ConfigError::whole(
                    Path::new(name),
                    format!("unknown keymap {name:?}: expected default, vim, or a file in $XDG_CONFIG_HOME/nox/keymaps/"),
                )
            })?;
            (
                Path::new("keymaps").join(format!("{name}.toml")),
                (*s).to_string(),
            )
        };
        Self::parse(name, &path, &src, |base| {
            if depth > 4 {
                return Err(ConfigError::whole(
                    &path,
                    "keymap `extends` chain is too deep",
                ));
            }
            Self::load_depth(base, user_dir, depth + 1)
        })
    }

    /// Parses keymap text; `base` loads the keymap named by `extends`.
    pub fn parse(
        name: &str,
        path: &Path,
        src: &str,
        base: impl FnOnce(&str) -> Result<Keymap, ConfigError>,
    ) -> Result<Self, ConfigError> {
        let raw: RawKeymap = toml::from_str(src).map_err(|e| {
            ConfigError::at(path, src, e.span(), e.message().trim_end().to_string())
        })?;
        let mut km = match &raw.extends {
            Some(b) => base(b)?,
            None => Keymap {
                name: String::new(),
                prefix: KeyChord {
                    code: KeyCodeOrd::Char('b'),
                    mods: CTRL,
                },
                prefix_keys: BTreeMap::new(),
                panes: BTreeMap::new(),
                scrollback: BTreeMap::new(),
            },
        };
        km.name = name.into();
        let at = |span, msg: String| ConfigError::at(path, src, Some(span), msg);
        if let Some(p) = raw.prefix_key {
            km.prefix = KeyChord::parse(p.get_ref()).ok_or_else(|| {
                at(
                    p.span(),
                    format!("unknown key {:?} for `prefix_key`", p.get_ref()),
                )
            })?;
        }
        let apply = |table: &mut BTreeMap<KeyChord, Action>, entries: Bindings, section: &str| {
            for (k, a) in entries {
                let chord = KeyChord::parse(k.get_ref()).ok_or_else(|| {
                    at(
                        k.span(),
                        format!("unknown key {:?} in [{section}]", k.get_ref()),
                    )
                })?;
                if a.get_ref() == "none" {
                    table.remove(&chord);
                    continue;
                }
                let action = Action::from_name(a.get_ref()).ok_or_else(|| {
                    at(
                        a.span(),
                        format!(
                            "unknown action {:?} for key {:?} in [{section}]",
                            a.get_ref(),
                            k.get_ref()
                        ),
                    )
                })?;
                table.insert(chord, action);
            }
            Ok::<(), ConfigError>(())
        };
        apply(&mut km.prefix_keys, raw.prefix, "prefix")?;
        apply(&mut km.panes, raw.panes, "panes")?;
        apply(&mut km.scrollback, raw.scrollback, "scrollback")?;
        Ok(km)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_keymap_loads() {
        for (name, _) in BUILTIN {
            let km = Keymap::load(name, None).expect(name);
            assert_eq!(km.prefix, KeyChord::parse("ctrl-b").expect("chord"));
            assert_eq!(
                km.prefix_keys.get(&KeyChord::parse("n").expect("n")),
                Some(&Action::NextAgent)
            );
        }
        let vim = Keymap::load("vim", None).expect("vim");
        assert_eq!(
            vim.prefix_keys.get(&KeyChord::parse("h").expect("h")),
            Some(&Action::FocusLeft)
        );
        assert_eq!(vim.panes.get(&KeyChord::parse("l").expect("l")), None);
    }

    #[test]
    fn chords_parse_and_normalise() {
        let g = KeyChord::parse("G").expect("G");
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&ev), Some(g));
        let cb = KeyEvent::new(KeyCode::Char('b'), KeyModifiers::CONTROL);
        assert_eq!(KeyChord::from_event(&cb), KeyChord::parse("ctrl-b"));
        assert_eq!(
            KeyChord::parse("shift-up").expect("s-up").to_string(),
            "S-up"
        );
        assert_eq!(KeyChord::parse("f12").expect("f12").code, KeyCodeOrd::F(12));
        assert!(KeyChord::parse("f13").is_none());
        assert!(KeyChord::parse("hyper").is_none());
    }

    #[test]
    fn unknown_names_are_errors_naming_the_entry() {
        let p = Path::new("user.toml");
        let e = Keymap::parse("u", p, "[prefix]\nq = \"explode\"\n", |_| {
            unreachable_base()
        })
        .expect_err("bad action");
        assert!(e.message.contains("explode") && e.line == 2, "{e}");
        let e = Keymap::parse("u", p, "[panes]\n\"hyper-q\" = \"zoom\"\n", |_| {
            unreachable_base()
        })
        .expect_err("bad key");
        assert!(e.message.contains("hyper-q") && e.line == 2, "{e}");
    }

    fn unreachable_base() -> Result<Keymap, ConfigError> {
        Err(ConfigError::whole(Path::new("-"), "no base"))
    }

    #[test]
    fn user_file_overrides_by_name() {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(tmp.path().join("keymaps")).expect("mkdir");
        std::fs::write(
            tmp.path().join("keymaps/default.toml"),
            "prefix_key = \"ctrl-a\"\n[prefix]\nq = \"quit\"\n",
        )
        .expect("write");
        let km = Keymap::load("default", Some(tmp.path())).expect("user");
        assert_eq!(km.prefix, KeyChord::parse("ctrl-a").expect("c-a"));
        assert_eq!(km.prefix_keys.len(), 1);
    }
}
