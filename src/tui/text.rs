//! Text measured by display width (wide characters take two columns):
//! word wrapping, truncation with an ellipsis, and padding.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Columns `s` takes on screen.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// `s` cut to at most `w` columns, ending in `…` when something was cut.
pub fn truncate(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = char_width(c);
        if used + cw + 1 > w {
            break;
        }
        out.push(c);
        used += cw;
    }
    if w > 0 {
        out.push('…');
    }
    out
}

/// `s` cut (see [`truncate`]) or padded with spaces to exactly `w` columns.
pub fn fit(s: &str, w: usize) -> String {
    let mut out = truncate(s, w);
    let pad = w.saturating_sub(width(&out));
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// Like [`fit`], with the padding on the left (right-aligned).
pub fn fit_right(s: &str, w: usize) -> String {
    let out = truncate(s, w);
    let pad = w.saturating_sub(width(&out));
    format!("{}{out}", " ".repeat(pad))
}

/// Splits `text` into lines of at most `first` columns (the first line) and
/// `rest` columns (the others), breaking at spaces, and inside a word only
/// when it is longer than a line. Newlines start a new line; tabs become
/// spaces; other control characters are dropped. A character wider than a
/// line gets a line of its own. Always at least one line.
pub fn wrap(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut w = Wrapper {
        lines: Vec::new(),
        line: String::new(),
        used: 0,
        limit: first.max(1),
        rest: rest.max(1),
    };
    for (p, para) in text.split('\n').enumerate() {
        if p > 0 {
            w.newline();
        }
        let clean: String = para
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .filter(|c| !c.is_control())
            .collect();
        for (i, word) in clean.split(' ').enumerate() {
            w.word(word, i > 0);
        }
    }
    w.lines.push(w.line);
    w.lines
}

struct Wrapper {
    lines: Vec<String>,
    line: String,
    used: usize,
    limit: usize,
    rest: usize,
}

impl Wrapper {
    fn newline(&mut self) {
        self.lines.push(std::mem::take(&mut self.line));
        self.used = 0;
        self.limit = self.rest;
    }

    /// Adds `word`, after a space when `spaced` (dropped at a line break).
    fn word(&mut self, word: &str, spaced: bool) {
        let ww = width(word);
        let sep = usize::from(spaced && self.used > 0);
        if self.used + sep + ww <= self.limit {
            if sep == 1 {
                self.line.push(' ');
            }
            self.line.push_str(word);
            self.used += sep + ww;
            return;
        }
        if ww <= self.rest {
            // It fits on a line of its own: break before it.
            if self.used > 0 {
                self.newline();
            }
            self.line.push_str(word);
            self.used = ww;
            return;
        }
        // Longer than any line: fill this one, then break inside the word.
        if sep == 1 && self.used + 1 < self.limit {
            self.line.push(' ');
            self.used += 1;
        } else if self.used > 0 {
            self.newline();
        }
        for c in word.chars() {
            let cw = char_width(c);
            if self.used + cw > self.limit && self.used > 0 {
                self.newline();
            }
            self.line.push(c);
            self.used += cw;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_word_boundaries() {
        assert_eq!(
            wrap("the quick brown fox jumps", 10, 10),
            ["the quick", "brown fox", "jumps"]
        );
        assert_eq!(wrap("ab cd", 5, 5), ["ab cd"]);
        assert_eq!(wrap("", 5, 5), [""]);
        // A narrower first line (after a time stamp), wider ones after.
        assert_eq!(
            wrap("one two three four", 4, 10),
            ["one", "two three", "four"]
        );
    }

    #[test]
    fn breaks_words_longer_than_a_line() {
        assert_eq!(wrap("a abcdefghij", 6, 6), ["a abcd", "efghij"]);
        assert_eq!(wrap("abcdefghij", 4, 4), ["abcd", "efgh", "ij"]);
    }

    #[test]
    fn measures_wide_characters_by_columns() {
        // Each of 日本語 takes two columns: three fit in six, never split.
        assert_eq!(wrap("日本語 日本語", 6, 6), ["日本語", "日本語"]);
        assert_eq!(wrap("日本語日本", 5, 5), ["日本", "語日", "本"]);
        for l in wrap("ok 日本語のテキストです and more words", 7, 7) {
            assert!(width(&l) <= 7, "{l:?}");
        }
        // A wide character on a one-column line gets a line of its own.
        assert_eq!(wrap("日本", 1, 1), ["日", "本"]);
    }

    #[test]
    fn newlines_tabs_and_controls() {
        assert_eq!(wrap("a\nb\tc\x07", 10, 10), ["a", "b c"]);
    }

    #[test]
    fn truncates_and_pads_by_columns() {
        assert_eq!(truncate("backend", 7), "backend");
        assert_eq!(truncate("backend-two", 7), "backen…");
        assert_eq!(truncate("日本語", 4), "日…");
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(fit_right("ab", 4), "  ab");
        assert_eq!(fit("日本語", 5), "日本…");
        assert_eq!(width(&fit("日本語", 4)), 4);
    }
}
