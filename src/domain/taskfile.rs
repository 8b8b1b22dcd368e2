//! Task files (`.nox/tasks/*.md`, SPEC §2): the first heading is the title,
//! the rest the body, with optional TOML front matter between `+++` lines
//! (`priority`, `needs`, `after`, `assign`; nox adds `id` and `status`).
//! Pure parsing and write-back; errors name file, line and column.

use std::path::Path;

use serde::Deserialize;

use super::located::ConfigError;

/// What a task file says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskFile {
    /// From the first heading.
    pub title: String,
    /// Everything after the heading (the title when empty).
    pub body: String,
    /// Front matter `priority`.
    pub priority: i32,
    /// Front matter `needs`.
    pub needs: Vec<String>,
    /// Front matter `after`.
    pub after: Vec<u64>,
    /// Front matter `assign`.
    pub assign: Option<String>,
    /// The task id nox wrote back, once the task exists.
    pub id: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Front {
    #[serde(default)]
    priority: i32,
    #[serde(default)]
    needs: Vec<String>,
    #[serde(default)]
    after: Vec<u64>,
    assign: Option<String>,
    id: Option<u64>,
    #[allow(dead_code)]
    status: Option<String>,
}

/// Splits `+++` front matter off `text`: (front matter, its byte offset, rest).
fn split(text: &str) -> Option<(&str, usize, &str)> {
    let rest = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))?;
    let start = text.len() - rest.len();
    let mut pos = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            return Some((&rest[..pos], start, &rest[pos + line.len()..]));
        }
        pos += line.len();
    }
    None
}

/// Parses a task file; `path` is for error messages.
pub fn parse(path: &Path, text: &str) -> Result<TaskFile, ConfigError> {
    let (front, rest) = if text.starts_with("+++") {
        let Some((fm, offset, rest)) = split(text) else {
            return Err(ConfigError::at(
                path,
                text,
                Some(0..3),
                "front matter opened with +++ is never closed by a +++ line",
            ));
        };
        let front: Front = toml::from_str(fm).map_err(|e| {
            let span = e.span().map(|s| s.start + offset..s.end + offset);
            ConfigError::at(path, text, span, e.message().trim_end().to_string())
        })?;
        (front, rest)
    } else {
        (Front::default(), text)
    };
    let mut lines = rest.lines();
    let title = loop {
        match lines.next() {
            Some(l) if l.trim().is_empty() => {}
            Some(l) if l.trim_start().starts_with('#') => {
                break l.trim_start().trim_start_matches('#').trim().to_string();
            }
            _ => {
                let at = text.len() - rest.len();
                return Err(ConfigError::at(
                    path,
                    text,
                    Some(at..at),
                    "expected a first heading (`# Title`)",
                ));
            }
        }
    };
    if title.is_empty() {
        return Err(ConfigError::at(
            path,
            text,
            None,
            "the first heading is empty: expected `# Title`",
        ));
    }
    let body = lines.collect::<Vec<_>>().join("\n").trim().to_string();
    Ok(TaskFile {
        body: if body.is_empty() { title.clone() } else { body },
        title,
        priority: front.priority,
        needs: front.needs,
        after: front.after,
        assign: front.assign,
        id: front.id,
    })
}

/// `text` with `id` and `status` set in its front matter (added if absent),
/// keeping everything else as written.
pub fn write_back(text: &str, id: u64, status: &str) -> String {
    match split(text) {
        Some((fm, _, rest)) => {
            let mut doc = fm.parse::<toml_edit::DocumentMut>().unwrap_or_default();
            doc["id"] = toml_edit::value(i64::try_from(id).unwrap_or(i64::MAX));
            doc["status"] = toml_edit::value(status);
            let mut fm = doc.to_string();
            if !fm.ends_with('\n') {
                fm.push('\n');
            }
            format!("+++\n{fm}+++\n{rest}")
        }
        None => format!("+++\nid = {id}\nstatus = \"{status}\"\n+++\n{text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_heading_body_and_front_matter() {
        let t = parse(
            Path::new("a.md"),
            "+++\npriority = 2\nneeds = [\"rust\"]\nafter = [1]\nassign = \"be\" # who\n+++\n\n# Fix the build\n\nRun cargo build.\nFix it.\n",
        )
        .expect("valid");
        assert_eq!(
            (t.title.as_str(), t.body.as_str()),
            ("Fix the build", "Run cargo build.\nFix it.")
        );
        assert_eq!(
            (
                t.priority,
                t.needs.clone(),
                t.after.clone(),
                t.assign.as_deref(),
                t.id
            ),
            (2, vec!["rust".into()], vec![1], Some("be"), None)
        );
        let plain = parse(Path::new("b.md"), "# Just a title\n").expect("plain");
        assert_eq!(plain.body, "Just a title");
    }

    #[test]
    fn malformed_files_are_located() {
        let e =
            parse(Path::new("a.md"), "+++\npriority = \"high\"\n+++\n# T\n").expect_err("bad type");
        assert_eq!(e.line, 2, "{e}");
        let e = parse(Path::new("a.md"), "+++\npriority = 1\n# T\n").expect_err("unclosed");
        assert!(e.message.contains("never closed"), "{e}");
        let e = parse(Path::new("a.md"), "no heading here\n").expect_err("no heading");
        assert!(e.message.contains("first heading"), "{e}");
        let e = parse(Path::new("a.md"), "+++\ncolour = 1\n+++\n# T\n").expect_err("unknown key");
        assert!(e.message.contains("colour"), "{e}");
    }

    #[test]
    fn write_back_keeps_the_file_and_sets_id_and_status() {
        let src = "+++\npriority = 2 # keep me\n+++\n# T\nbody\n";
        let out = write_back(src, 7, "queued");
        assert!(
            out.contains("priority = 2 # keep me")
                && out.contains("id = 7")
                && out.contains("status = \"queued\""),
            "{out}"
        );
        assert!(out.ends_with("# T\nbody\n"));
        let again = write_back(&out, 7, "done");
        assert!(
            again.contains("status = \"done\"") && !again.contains("queued"),
            "{again}"
        );
        assert_eq!(parse(Path::new("x"), &again).expect("parse").id, Some(7));
        let bare = write_back("# T\n", 3, "blocked");
        assert!(
            bare.starts_with("+++\nid = 3\nstatus = \"blocked\"\n+++\n# T"),
            "{bare}"
        );
    }
}
