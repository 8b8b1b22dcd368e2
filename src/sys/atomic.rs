//! Crash-safe whole-file replacement: temp file, fsync, rename, fsync dir.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

/// Replaces the contents of `path` with `bytes` so that, at every instant,
/// `path` holds either the complete old contents or the complete new ones.
///
/// Shape: `path` names a regular file (it need not exist yet) whose parent
/// directory exists; `bytes` is the whole new contents. Steps:
///
/// 1. create a uniquely named temporary file `.<name>.XXXXXX.tmp` in the
///    same directory (same file system, so the rename below is atomic;
///    unique, so concurrent writers never share one);
/// 2. write all of `bytes` and `sync_all` it (fsync(2)): the data is on
///    disk before any name points at it;
/// 3. copy the permission bits (`mode & 0o7777`) of the existing file, if
///    any, with fchmod (not subject to the umask); a new file keeps the
///    temporary file's 0600. Owner and group are not copied;
/// 4. rename(2) it over `path`: "If newpath already exists, it will be
///    atomically replaced, so that there is no point at which another
///    process attempting to access newpath will find it missing";
/// 5. fsync(2) the directory, which fsync(2) says is needed for the new
///    directory entry itself to reach the disk.
///
/// With concurrent writers the last rename wins; readers see one complete
/// version. A process killed before step 4 leaves `path` untouched but may
/// leave its temporary file behind (nothing runs on SIGKILL to remove it);
/// on any error return the temporary file is removed.
///
/// Errors: `io::ErrorKind::InvalidInput` if `path` has no file name or is a
/// symbolic link (nox refuses to write through symlinks; the check uses
/// lstat, and since rename(2) replaces the directory entry rather than
/// following it, a link swapped in later is replaced, not written through);
/// otherwise the `io::Error` of the failing step, e.g. `NotFound` for a
/// missing directory or `PermissionDenied`.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let Some(name) = path.file_name() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("atomic_write: {} has no file name", path.display()),
        ));
    };
    let existing = match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("refusing to write through symlink {}", path.display()),
            ));
        }
        Ok(meta) => Some(meta.permissions()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };

    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if let Some(perms) = existing {
        tmp.as_file().set_permissions(perms)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests;
