//! `latchkey migrate-store --to URL`: copy the configured store into an empty other one.

use super::{CliError, print};
use crate::config::Settings;
use crate::store::copy::{self, Copied};
use crate::store::data_lock::{self, LockError};
use crate::store::postgres::conn::{parse_url, redact};
use crate::store::{Location, Store};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct MigrateStoreArgs {
    /// Where to copy to: `postgres://USER@HOST:PORT/DATABASE[?sslmode=require]` or `sqlite:PATH`
    /// (a new SQLite file)
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// A file holding the target PostgreSQL's password (instead of one in the URL)
    #[arg(long, value_name = "FILE")]
    pub to_password_file: Option<PathBuf>,
}

#[derive(Debug, serde::Serialize)]
struct Report {
    from: String,
    to: String,
    tables: Vec<Copied>,
    rows: i64,
}

fn shown(settings: &Settings) -> String {
    if settings.database.is_postgres() {
        settings.database.shown()
    } else {
        format!("sqlite:{}", settings.data_dir.join("latchkey.db").display())
    }
}

/// The target the user named, refused in one line when it is unusable.
fn target(a: &MigrateStoreArgs) -> Result<(Location, String), CliError> {
    if let Some(path) = a.to.strip_prefix("sqlite:") {
        let path = PathBuf::from(path);
        if path.as_os_str().is_empty() {
            return Err(CliError::Invalid(
                "--to sqlite: needs a path (sqlite:PATH)".into(),
            ));
        }
        if path.exists() {
            return Err(CliError::Invalid(format!(
                "--to {} exists; migrate-store writes a new SQLite file only",
                path.display()
            )));
        }
        return Ok((
            Location::Sqlite(path.clone()),
            format!("sqlite:{}", path.display()),
        ));
    }
    let mut t = parse_url(&a.to).map_err(|why| CliError::Invalid(format!("--to {why}")))?;
    if let Some(file) = &a.to_password_file {
        let pw = crate::config::read_secret_file("--to-password-file", file)
            .map_err(CliError::Invalid)?;
        t.config.password(pw);
    }
    Ok((Location::Postgres(t), redact(&a.to)))
}

pub fn run(a: MigrateStoreArgs, settings: &Settings, json: bool) -> Result<(), CliError> {
    let (to, to_shown) = target(&a)?;
    let from_shown = shown(settings);
    let same_backend = matches!(
        (&to, settings.database.is_postgres()),
        (Location::Sqlite(_), false) | (Location::Postgres(_), true)
    );
    if same_backend {
        return Err(CliError::Invalid(format!(
            "the configured store is {from_shown}; migrate-store copies SQLite to PostgreSQL or PostgreSQL to SQLite (use `latchkey backup` or pg_dump within one kind)"
        )));
    }
    // No server may write while the copy reads: the data dir's lock (SQLite, and this node)...
    let _lock = data_lock::lock_data_dir(&settings.data_dir).map_err(|e| match e {
        LockError::Held(_) => CliError::Other(
            "a latchkey server is running on this data dir; stop it first (migrate-store copies a store no one writes to)".into(),
        ),
        other => CliError::Other(other.to_string()),
    })?;
    let from = super::open_store(settings)?;
    // ...and, on PostgreSQL, the servers of the other nodes.
    let servers = copy::servers_connected(&from)?;
    if servers > 0 {
        return Err(CliError::Other(format!(
            "latchkey servers are connected to {from_shown} ({servers} connection(s) named `{}`); stop every node first (migrate-store copies a store no one writes to)",
            copy::SERVE_APPLICATION_NAME
        )));
    }
    let target = Store::open_at(&to, settings.durability)?;
    if let Some(table) = copy::first_nonempty(&target)? {
        return Err(CliError::Invalid(format!(
            "{to_shown} is not empty (its table {table} has rows); migrate-store copies into an empty database only"
        )));
    }
    let tables = copy::copy_all(&from, &target)?;
    let rows = tables.iter().map(|t| t.target).sum();
    let report = Report {
        from: from_shown,
        to: to_shown,
        tables,
        rows,
    };
    print(json, &report, || {
        let users = report
            .tables
            .iter()
            .find(|t| t.table == "users")
            .map_or(0, |t| t.target);
        format!(
            "copied {} rows in {} tables ({users} users) from {} to {}; counts checked. Point database_url at the new store, then start latchkey.",
            report.rows,
            report.tables.len(),
            report.from,
            report.to
        )
    });
    Ok(())
}
