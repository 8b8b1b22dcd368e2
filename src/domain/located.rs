//! Errors located in a source file (configuration, task files): file, line and
//! column (1-based, columns in characters), with the offending line.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A problem in a configuration file, located to a line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, 0 when the problem concerns the whole file (e.g. unreadable).
    pub line: usize,
    /// 1-based column in characters.
    pub col: usize,
    /// What was wrong and what was expected.
    pub message: String,
    /// The offending source line, for display.
    pub source_line: String,
}

impl ConfigError {
    /// An error at byte offset range `span` of `src`.
    pub fn at(
        path: &Path,
        src: &str,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> Self {
        let offset = span.map_or(0, |s| s.start.min(src.len()));
        let (line, col) = line_col(src, offset);
        let source_line = src.lines().nth(line - 1).unwrap_or("").to_string();
        Self {
            path: path.to_path_buf(),
            line,
            col,
            message: message.into(),
            source_line,
        }
    }

    /// An error about the file as a whole (it could not be read).
    pub fn whole(path: &Path, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            line: 0,
            col: 0,
            message: message.into(),
            source_line: String::new(),
        }
    }
}

/// 1-based (line, column) of byte `offset` in `src`; columns count characters.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return write!(f, "{}: {}", self.path.display(), self.message);
        }
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.col,
            self.message
        )?;
        if !self.source_line.is_empty() {
            let n = self.line.to_string();
            let pad = " ".repeat(n.len());
            write!(
                f,
                "\n{pad} |\n{n} | {}\n{pad} | {}^",
                self.source_line,
                " ".repeat(self.col.saturating_sub(1))
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_in_chars() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        assert_eq!(line_col(src, 9), (2, 3));
        assert_eq!(line_col(src, 999), (3, 1));
    }

    #[test]
    fn display_points_at_the_column() {
        let e = ConfigError::at(
            Path::new("x.toml"),
            "k = 1\nname = \"Bad\"\n",
            Some(13..18),
            "bad name",
        );
        let s = e.to_string();
        assert!(s.starts_with("x.toml:2:8: bad name"), "{s}");
        assert!(s.contains("2 | name = \"Bad\""), "{s}");
    }
}
