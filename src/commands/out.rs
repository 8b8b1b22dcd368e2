//! Human output of the subcommands: lines on stdout that survive a closed
//! pipe (`nox agent list --json | head` ends quietly instead of panicking
//! with "Broken pipe"), and times in the user's local time zone.

use std::io::Write;

/// Writes one line to stdout. A closed stdout (the reader went away) ends
/// the process quietly with exit code 0, as `head` expects of a writer; any
/// other write error ends it with code 1 and says why on stderr.
pub fn line(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("nox: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// Prints a line with `format!` syntax through [`line`].
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::commands::out::line(&format!($($arg)*))
    };
}

pub use crate::sys::time::local_time;

/// A duration in seconds as `42s`, `12m`, `3h 5m`, `2d 4h`.
pub fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h {}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d {}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_short() {
        assert_eq!(duration(75), "1m");
        assert_eq!(duration(3 * 3600 + 300), "3h 5m");
    }
}
