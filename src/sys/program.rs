//! Finding the program an agent runs, as execvp(3) does, without running
//! it: so a missing or non-executable program is reported (ENOENT, EACCES)
//! before any PTY is opened.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

/// Resolves `program` as execvp(3) would: a name with `/` relative to `cwd`,
/// else the first executable match on `path` (or nox's `PATH`). Errors are
/// the OS errors execvp would give: ENOENT, EACCES.
pub fn resolve_program(program: &str, cwd: &Path, path: Option<&str>) -> io::Result<PathBuf> {
    let executable =
        |p: &Path| p.is_file() && nix::unistd::access(p, nix::unistd::AccessFlags::X_OK).is_ok();
    if program.is_empty() {
        return Err(io::Error::from_raw_os_error(libc::ENOENT));
    }
    if program.contains('/') {
        let p = cwd.join(program);
        if !p.exists() {
            return Err(io::Error::from_raw_os_error(libc::ENOENT));
        }
        return if executable(&p) {
            Ok(p)
        } else {
            Err(io::Error::from_raw_os_error(libc::EACCES))
        };
    }
    let path_var: OsString = path
        .map(OsString::from)
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_default();
    let mut denied = false;
    for dir in std::env::split_paths(&path_var) {
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let p = cwd.join(dir).join(program);
        if executable(&p) {
            return Ok(p);
        }
        denied |= p.is_file();
    }
    Err(io::Error::from_raw_os_error(if denied {
        libc::EACCES
    } else {
        libc::ENOENT
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_execvp() {
        let sh = resolve_program("sh", Path::new("/"), None).expect("sh on PATH");
        assert!(sh.is_absolute());
        let e = resolve_program("definitely-not-a-program-nox", Path::new("/"), None)
            .expect_err("missing");
        assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::write(tmp.path().join("plain"), "x").expect("w");
        let e = resolve_program("./plain", tmp.path(), None).expect_err("not executable");
        assert_eq!(e.raw_os_error(), Some(libc::EACCES));
        let e = resolve_program(
            "plain",
            Path::new("/"),
            Some(tmp.path().to_str().expect("utf8")),
        )
        .expect_err("x");
        assert_eq!(e.raw_os_error(), Some(libc::EACCES));
    }
}
