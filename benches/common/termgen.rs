//! A deterministic generator of realistic terminal output, the mix that
//! PERFORMANCE.md's reference input has: plain log lines, SGR-coloured
//! compiler/test output (16/256/truecolour), TUI-style redraw blocks (CUP
//! moves, EL/ED erases), CR spinners, UTF-8 (box drawing, CJK, emoji) and
//! OSC titles. Same seed, same bytes.

/// splitmix64: small, fast, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
}

const WORDS: &[&str] = &[
    "the",
    "agent",
    "compiled",
    "crate",
    "module",
    "error",
    "warning",
    "test",
    "passed",
    "failed",
    "src/main.rs",
    "tokio",
    "runtime",
    "spawn",
    "task",
    "message",
    "sqlite",
    "insert",
    "render",
    "frame",
    "pane",
    "session",
    "claude",
    "tool_use",
    "result",
    "function",
    "return",
    "value",
    "fn",
    "let",
    "mut",
    "impl",
    "struct",
    "enum",
    "match",
    "Some",
    "None",
    "Ok",
    "Err",
    "async",
    "await",
];

fn word(r: &mut Rng) -> &'static str {
    WORDS[r.below(WORDS.len() as u64) as usize]
}

fn sentence(r: &mut Rng, n: u64) -> String {
    (0..n).map(|_| word(r)).collect::<Vec<_>>().join(" ")
}

fn chunk(r: &mut Rng, out: &mut String) {
    use std::fmt::Write;
    let k = r.below(100);
    match k {
        0..40 => {
            let n = r.range(4, 18);
            let _ = write!(out, "{}\r\n", sentence(r, n));
        }
        40..70 => {
            let c = r.below(10);
            if c < 4 {
                let _ = write!(
                    out,
                    "\x1b[1;32m   Compiling\x1b[0m {} v0.{}.{}\r\n",
                    word(r),
                    r.range(1, 9),
                    r.range(0, 20)
                );
            } else if c < 6 {
                let s = sentence(r, 6);
                let _ = write!(
                    out,
                    "\x1b[1;31merror\x1b[0m\x1b[1m[E0{}]: {s}\x1b[0m\r\n\x1b[1;34m  --> \x1b[0msrc/{}.rs:{}:{}\r\n",
                    r.range(100, 999),
                    word(r),
                    r.range(1, 900),
                    r.range(1, 80)
                );
            } else if c < 8 {
                for _ in 0..8 {
                    let _ = write!(out, "\x1b[38;5;{}m{} ", r.below(256), word(r));
                }
                out.push_str("\x1b[0m\r\n");
            } else {
                for _ in 0..6 {
                    let _ = write!(
                        out,
                        "\x1b[38;2;{};{};{}m{} ",
                        r.below(256),
                        r.below(256),
                        r.below(256),
                        word(r)
                    );
                }
                out.push_str("\x1b[0m\r\n");
            }
        }
        70..82 => {
            let top = r.range(1, 20);
            for i in 0..r.range(3, 8) {
                let n = r.range(3, 10);
                let _ = write!(
                    out,
                    "\x1b[{};1H\x1b[2K\x1b[48;5;236m│ {} │\x1b[0m",
                    top + i,
                    sentence(r, n)
                );
            }
            let _ = write!(
                out,
                "\x1b[24;1H\x1b[K\x1b[7m NORMAL \x1b[0m {}% \x1b[?25l\x1b[?25h\r\n",
                r.below(1000)
            );
        }
        82..90 => {
            const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            for i in 0..r.range(5, 20) {
                let _ = write!(
                    out,
                    "\r\x1b[K\x1b[36m{}\x1b[0m Thinking… {i}",
                    FRAMES[(i % 10) as usize]
                );
            }
            out.push_str("\r\n");
        }
        90..97 => {
            let s = sentence(r, 5);
            let _ = write!(out, "{} 日本語テキスト ✓ ✗ 🚀 {s}\r\n", "─".repeat(20));
        }
        _ => {
            let _ = write!(out, "\x1b]0;agent: {}\x07", word(r));
        }
    }
}

/// About `bytes` bytes of terminal output (seeded, deterministic).
pub fn generate(bytes: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let mut out = String::with_capacity(bytes + 4096);
    while out.len() < bytes {
        chunk(&mut r, &mut out);
    }
    out.into_bytes()
}
