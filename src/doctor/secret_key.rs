//! The secret key file (`secret_key_file`): there, private, 32 bytes. Without it the TOTP seeds
//! in the database cannot be opened; with loose permissions anyone who can read it and a copy of
//! the database has every seed.

use super::Report;
use super::text::sh;
use crate::config::Settings;
use crate::crypto::secret_key::{FileState, SecretKeyError, inspect};
use crate::store::{Tx, second_factors};

pub(super) fn check_secret_key(s: &Settings, db: Option<&Tx<'_>>, r: &mut Report) {
    let path = std::path::absolute(s.secret_key_path()).unwrap_or_else(|_| s.secret_key_path());
    // An older schema has no such table: nobody has a seed to lose then.
    let seeds = db.map_or(0, |c| second_factors::count_totp_users(c).unwrap_or(0));
    match inspect(&path) {
        FileState::Usable => {}
        FileState::Missing if seeds > 0 => r.critical(
            "secret-key-missing",
            format!(
                "secret_key_file {} is missing, and {seeds} user(s) have an authenticator app whose seed only it can open: they cannot sign in",
                path.display()
            ),
            format!(
                "restore {} from your backup (a new key cannot open the old seeds; otherwise `latchkey user reset-mfa USERNAME` for each of them)",
                sh(&path)
            ),
        ),
        FileState::Missing => r.warning(
            "secret-key-missing",
            format!(
                "secret_key_file {} does not exist yet; `latchkey serve` creates it at start",
                path.display()
            ),
            "start latchkey once, then back the file up apart from the database",
        ),
        FileState::Refused(SecretKeyError::Loose { mode, .. }) => r.critical(
            "secret-key-permissions",
            format!(
                "secret_key_file {} can be read by other users (mode {mode:04o}): with a copy of the database they have every authenticator-app seed, and latchkey refuses to start",
                path.display()
            ),
            format!("chmod 600 {}", sh(&path)),
        ),
        FileState::Refused(e) => r.critical(
            "secret-key-invalid",
            format!("{e}; latchkey refuses to start"),
            format!(
                "restore {} from your backup (32 bytes, mode 0600)",
                sh(&path)
            ),
        ),
    }
}
