//! Files that hold a secret (`smtp_password_file`, `database_password_file`): read with the
//! trailing newline dropped, refused when other users may read them.

use std::path::Path;

/// The secret in `path`, or one line naming `setting` and what is wrong.
pub fn read(setting: &str, path: &Path) -> Result<String, String> {
    let shown = path.display();
    let meta =
        std::fs::metadata(path).map_err(|e| format!("`{setting}` {shown} cannot be read: {e}"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o007 != 0 {
            return Err(format!(
                "`{setting}` {shown} is open to every user (mode {mode:04o}); chmod 600 it (or 640 with latchkey's group)"
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("`{setting}` {shown} cannot be read: {e}"))?;
    let secret = text.trim_end_matches(['\n', '\r']);
    if secret.is_empty() {
        return Err(format!("`{setting}` {shown} is empty"));
    }
    Ok(secret.to_owned())
}
