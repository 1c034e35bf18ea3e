//! Where the data lives: `database_url` (empty: SQLite in `data_dir`; `postgres://…`:
//! PostgreSQL) and `database_password_file`.

use super::secret_file;
use crate::store::Location;
use crate::store::postgres::conn::Target;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Database {
    /// `postgres://…` as configured (may hold a password: never logged; see [`Database::shown`]).
    pub url: Option<String>,
    /// The file holding the PostgreSQL password, inside `data_dir` when relative.
    pub password_file: Option<PathBuf>,
}

/// `database_url` and `database_password_file`. Err: (setting, why), never echoing a password.
pub fn parse(url: &str, password_file: &str) -> Result<Database, (&'static str, String)> {
    let url = url.trim();
    let password_file = password_file.trim();
    let password_file = (!password_file.is_empty()).then(|| PathBuf::from(password_file));
    if url.is_empty() {
        if password_file.is_some() {
            return Err((
                "database_password_file",
                "is set but `database_url` is empty (SQLite needs no password)".into(),
            ));
        }
        return Ok(Database::default());
    }
    crate::store::postgres::conn::parse_url(url).map_err(|why| ("database_url", why))?;
    Ok(Database {
        url: Some(url.to_owned()),
        password_file,
    })
}

impl Database {
    pub fn is_postgres(&self) -> bool {
        self.url.is_some()
    }

    /// The URL without its password, for logs, doctor and errors.
    pub fn shown(&self) -> String {
        self.url
            .as_deref()
            .map(crate::store::postgres::conn::redact)
            .unwrap_or_default()
    }

    /// The store to open: SQLite at `sqlite_path`, or PostgreSQL with the password file read
    /// (refused, one line naming the setting, when it is unreadable or open to every user).
    pub fn location(&self, data_dir: &Path, sqlite_path: PathBuf) -> Result<Location, String> {
        let Some(url) = &self.url else {
            return Ok(Location::Sqlite(sqlite_path));
        };
        let mut target: Target = crate::store::postgres::conn::parse_url(url)
            .map_err(|why| format!("invalid setting `database_url`: {why}"))?;
        if let Some(file) = &self.password_file {
            let pw = secret_file::read("database_password_file", &data_dir.join(file))?;
            target.config.password(pw);
        }
        Ok(Location::Postgres(target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_url_is_sqlite_and_a_postgres_url_is_checked_without_echoing_its_password() {
        assert_eq!(parse("", ""), Ok(Database::default()));
        let db = parse(
            "postgres://latchkey:s3cret@db.internal:5432/latchkey?sslmode=require",
            "",
        )
        .unwrap();
        assert!(db.is_postgres());
        assert!(!db.shown().contains("s3cret"), "{}", db.shown());
        let (key, why) = parse("mysql://x@y/z", "").unwrap_err();
        assert_eq!(key, "database_url");
        assert!(why.contains("postgres://"), "{why}");
        let (key, why) = parse("postgres://u:hunter2@h/db?sslmode=bogus", "").unwrap_err();
        assert_eq!(key, "database_url");
        assert!(!why.contains("hunter2"), "{why}");
        let (key, _) = parse("", "pw.txt").unwrap_err();
        assert_eq!(key, "database_password_file");
    }
}
