//! The data dir's lock: `latchkey serve` holds an exclusive lock on `<data_dir>/latchkey.lock`
//! for its whole life, so a second server on the same data dir, or `latchkey restore` while a
//! server runs, is refused instead of working on a database under someone else's feet.
//! (`flock(2)`: the kernel drops it when the process ends, however it ends.)

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The lock file's name inside the data dir.
pub const LOCK_FILE: &str = "latchkey.lock";

/// Held while alive; dropping it (or the process ending) releases the lock.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another latchkey server is running on this data dir (it holds {}); stop it first",
        .0.display()
    )]
    Held(PathBuf),
    #[error("cannot lock {}: {err}", path.display())]
    Io { path: PathBuf, err: std::io::Error },
}

/// Take the data dir's lock without waiting; refused while another process holds it.
pub fn lock_data_dir(dir: &Path) -> Result<DataDirLock, LockError> {
    let path = dir.join(LOCK_FILE);
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let file = opts.open(&path).map_err(|err| LockError::Io {
        path: path.clone(),
        err,
    })?;
    match file.try_lock() {
        Ok(()) => Ok(DataDirLock { _file: file }),
        Err(TryLockError::WouldBlock) => Err(LockError::Held(path)),
        Err(TryLockError::Error(err)) => Err(LockError::Io { path, err }),
    }
}
