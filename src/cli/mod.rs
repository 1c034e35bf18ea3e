//! The command line: argument definitions here, one file per command group.
//! Admin commands talk to the store directly (never over HTTP) and are safe while `serve` runs.

pub mod admin_key;
pub mod api;
pub mod audit;
pub mod backup;
pub mod client;
pub mod doctor;
pub mod group;
pub mod keys;
pub mod migrate_store;
pub mod scope;
pub mod user;

use crate::config::{ConfigError, Settings, Sources};
use crate::store::{Store, StoreError};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "latchkey",
    version,
    about = "latchkey: an OpenID Connect provider in one binary with SQLite inside",
    long_about = "latchkey: an OpenID Connect provider in one binary with SQLite inside.\n\n\
        Without a subcommand it runs the server. Settings come from built-in defaults, then \
        latchkey.toml (or --config), then LATCHKEY_* environment variables, then flags."
)]
pub struct Cli {
    /// Configuration file (default: ./latchkey.toml when it exists)
    #[arg(long, global = true, value_name = "PATH", env = "LATCHKEY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory holding latchkey.db (setting `data_dir`)
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print machine-readable JSON instead of text
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default)
    Serve(ServeArgs),
    /// Manage users
    #[command(subcommand)]
    User(user::UserCommand),
    /// Manage clients (relying parties)
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Manage groups and their members (the `groups` claim; per-app access)
    #[command(subcommand)]
    Group(group::GroupCommand),
    /// Manage APIs (resource servers), their scopes, and which clients hold them
    #[command(subcommand)]
    Api(api::ApiCommand),
    /// Manage custom scopes that release user attributes as claims
    #[command(subcommand)]
    Scope(scope::ScopeCommand),
    /// Manage signing keys
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Manage keys for the JSON admin API (/admin/api/v1/): create (printed once), list, revoke
    #[command(subcommand)]
    AdminKey(admin_key::AdminKeyCommand),
    /// Read the audit log (sign-ins, throttling, consent, tokens, logouts, admin changes), or verify its hash chain
    Audit(audit::AuditArgs),
    /// Copy the database to FILE while the server runs (consistent, checked, mode 0600)
    ///
    /// Uses SQLite's online backup API from one snapshot: writes that commit during the copy
    /// are not blocked and not in it. The copy is written to a temporary name beside FILE,
    /// fsynced, integrity-checked and renamed. Prints its size, schema version and row counts.
    Backup(backup::BackupArgs),
    /// Put a backup in place of the database; refused while a server runs on the data dir
    ///
    /// Checks FILE first (integrity, a latchkey database, schema not newer than this binary);
    /// the current database is kept as latchkey.db.before-restore. Migrations run when
    /// latchkey next starts.
    Restore(backup::RestoreArgs),
    /// Check the configuration, data dir and database for problems, each with a fix (read-only)
    ///
    /// Exits 2 when a finding is critical, 0 otherwise. --issuer and --bind check the settings
    /// `serve` would run with those flags. --check-smtp also talks to the mail server
    /// (connect, TLS, authentication) and sends nothing.
    Doctor(DoctorArgs),
    /// Copy the configured store into an empty PostgreSQL database (or PostgreSQL into a new
    /// SQLite file)
    ///
    /// Refused while a server runs (on this data dir, or connected to the source PostgreSQL)
    /// and when the target holds data. Every table is copied in one transaction, ids kept, and
    /// the row counts of both sides compared. Then point `database_url` at the target.
    MigrateStore(migrate_store::MigrateStoreArgs),
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Public base URL (setting `issuer`)
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// Listen address (setting `bind`)
    #[arg(long, value_name = "ADDR:PORT")]
    pub bind: Option<String>,
}

#[derive(Debug, Args, Default)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Also connect to the mail server of smtp_url: TLS or STARTTLS, and authentication with
    /// smtp_username and smtp_password_file (no mail is sent)
    #[arg(long)]
    pub check_smtp: bool,
}

/// A failed command: one line on stderr and a non-zero exit.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Other(String),
}

impl From<crate::oidc::admin::AdminError> for CliError {
    fn from(e: crate::oidc::admin::AdminError) -> Self {
        use crate::oidc::admin::AdminError;
        match e {
            AdminError::Store(s) => CliError::Store(s),
            other => CliError::Invalid(other.to_string()),
        }
    }
}

impl From<crate::domain::ParseError> for CliError {
    fn from(e: crate::domain::ParseError) -> Self {
        CliError::Invalid(e.0)
    }
}

impl Cli {
    /// Settings from every source, with this command line's flags on top.
    pub fn settings(&self, serve: Option<&ServeArgs>) -> Result<Settings, ConfigError> {
        let mut flags = Vec::new();
        if let Some(d) = &self.data_dir {
            flags.push(("data_dir", d.display().to_string()));
        }
        if let Some(s) = serve {
            if let Some(i) = &s.issuer {
                flags.push(("issuer", i.clone()));
            }
            if let Some(b) = &s.bind {
                flags.push(("bind", b.clone()));
            }
        }
        Settings::load(&Sources {
            config_file: self.config.clone(),
            env: std::env::vars().collect(),
            flags,
        })
    }
}

/// Open the store of an admin command. The secret key file is created with the data dir when
/// it does not exist yet (and refused, like `serve` refuses it, when it is unusable).
pub fn open_store(settings: &Settings) -> Result<Store, CliError> {
    let location = settings.store_location()?;
    crate::crypto::secret_key::load_or_create(&settings.secret_key_path())
        .map_err(|e| CliError::Other(e.to_string()))?;
    Ok(Store::open_at(&location, settings.durability)?)
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Print a value as pretty JSON or as the given text.
pub fn print(json: bool, value: &impl serde::Serialize, text: impl FnOnce() -> String) {
    if json {
        match serde_json::to_string_pretty(value) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("error: cannot serialise output: {e}"),
        }
    } else {
        println!("{}", text());
    }
}

/// Format a Unix time as RFC 3339 for people.
pub use crate::clock::show_time;
