//! Where things live on disk (and in which database): the data dir, the store, the secret key.

use super::{ConfigError, Settings};
use std::path::PathBuf;

impl Settings {
    /// Create the data directory if needed and prove it is writable. Returns the database path.
    pub fn prepare_data_dir(&self) -> Result<PathBuf, ConfigError> {
        let dir = &self.data_dir;
        let fail = |why: String| {
            ConfigError(format!(
                "invalid setting `data_dir` = {:?}: {why}",
                dir.display().to_string()
            ))
        };
        // Owner-only: the database holds private keys and session hashes.
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .map_err(|e| fail(format!("cannot create it: {e}")))?;
        let probe = dir.join(format!(".latchkey-write-test-{}", std::process::id()));
        std::fs::write(&probe, b"ok").map_err(|e| fail(format!("not writable: {e}")))?;
        let _ = std::fs::remove_file(&probe);
        Ok(dir.join("latchkey.db"))
    }

    /// The store to open: PostgreSQL when `database_url` is set, otherwise SQLite in
    /// `data_dir` (created with the data dir if missing).
    pub fn store_location(&self) -> Result<crate::store::Location, ConfigError> {
        let sqlite = self.prepare_data_dir()?;
        self.database
            .location(&self.data_dir, sqlite)
            .map_err(ConfigError)
    }

    /// Where the secret key is: `secret_key_file`, inside `data_dir` when relative.
    pub fn secret_key_path(&self) -> PathBuf {
        self.data_dir.join(&self.secret_key_file)
    }
}
