//! `latchkey backup FILE` and `latchkey restore FILE`.

use super::{CliError, print};
use crate::config::Settings;
use crate::store::backup::{self, CopyError, DatabaseSummary, Source};
use crate::store::data_lock::{self, LockError};
use crate::store::migrate;
use clap::Args;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the copy (a new file; see --force)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A copy made by `latchkey backup`
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// What `backup` and `restore` print.
#[derive(Debug, serde::Serialize)]
struct Report<'a> {
    file: String,
    database: String,
    bytes: u64,
    #[serde(flatten)]
    summary: &'a DatabaseSummary,
    /// restore: where the database it replaced was kept (None: there was none).
    #[serde(skip_serializing_if = "Option::is_none")]
    previous: Option<String>,
}

impl From<CopyError> for CliError {
    fn from(e: CopyError) -> Self {
        CliError::Other(e.to_string())
    }
}

impl From<LockError> for CliError {
    fn from(e: LockError) -> Self {
        CliError::Other(e.to_string())
    }
}

fn io(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> CliError {
    let msg = format!("cannot {what} {}", path.display());
    move |e| CliError::Other(format!("{msg}: {e}"))
}

/// A temporary file next to where the result goes, removed unless it was renamed into place.
struct TempFile(Option<PathBuf>);

impl TempFile {
    /// An empty file readable by its owner only, `.NAME.tmp-PID` in `dir`.
    fn create(dir: &Path, name: &str) -> Result<Self, CliError> {
        let path = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        opts.open(&path).map_err(io("create", &path))?;
        Ok(TempFile(Some(path)))
    }

    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    /// fsync it, then rename it to `to` and fsync the directory, so the new name survives a
    /// power cut and never points at a half-written file.
    fn persist(mut self, to: &Path) -> Result<(), CliError> {
        let path = self.0.take().unwrap_or_default();
        let sync = File::open(&path).and_then(|f| f.sync_all());
        let res = sync
            .and_then(|()| std::fs::rename(&path, to))
            .map_err(io("write", to));
        if res.is_err() {
            let _ = std::fs::remove_file(&path);
        }
        res?;
        sync_dir(to)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(&p);
            let _ = std::fs::remove_file(suffixed(&p, "-journal"));
        }
    }
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn sync_dir(file: &Path) -> Result<(), CliError> {
    let dir = parent(file);
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("sync the directory", dir))
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn file_name(path: &Path) -> Result<String, CliError> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| CliError::Invalid(format!("{} is not a file name", path.display())))
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn summary_text(r: &Report<'_>) -> String {
    let s = r.summary;
    format!(
        "{} bytes, schema version {}: {} users, {} clients, {} refresh tokens, {} audit events; integrity check ok",
        r.bytes, s.schema_version, s.users, s.clients, s.refresh_tokens, s.audit_events
    )
}

/// `latchkey backup FILE`: a consistent copy of the live database, safe while the server runs.
/// On PostgreSQL the database's own tools do backups: one line saying which.
fn refuse_on_postgres(settings: &Settings, what: &str) -> Result<(), CliError> {
    if settings.database.is_postgres() {
        return Err(CliError::Other(format!(
            "`latchkey {what}` copies the SQLite file; with `database_url` set, use PostgreSQL's own tools: {}",
            if what == "backup" {
                "pg_dump --format=custom --file=latchkey.dump DATABASE_URL"
            } else {
                "pg_restore --clean --if-exists --dbname=DATABASE_URL latchkey.dump (with every node stopped)"
            }
        )));
    }
    Ok(())
}

pub fn backup(a: BackupArgs, settings: &Settings, json: bool) -> Result<(), CliError> {
    refuse_on_postgres(settings, "backup")?;
    let db = settings.data_dir.join("latchkey.db");
    if !db.is_file() {
        return Err(CliError::Other(format!(
            "no database at {}: nothing to back up (is --data-dir right?)",
            db.display()
        )));
    }
    if a.file.is_dir() {
        return Err(CliError::Invalid(format!(
            "{} is a directory; give the backup's file name",
            a.file.display()
        )));
    }
    if a.file.exists() && !a.force {
        return Err(CliError::Invalid(format!(
            "{} exists; choose a new name or pass --force to replace it",
            a.file.display()
        )));
    }
    let dir = parent(&a.file);
    if !dir.is_dir() {
        return Err(CliError::Invalid(format!(
            "the directory {} does not exist",
            dir.display()
        )));
    }
    let tmp = TempFile::create(dir, &file_name(&a.file)?)?;
    backup::copy_database(&db, Source::Live, tmp.path())?;
    let summary = backup::inspect_copy(tmp.path())?;
    tmp.persist(&a.file)?;
    let report = Report {
        file: a.file.display().to_string(),
        database: db.display().to_string(),
        bytes: size(&a.file),
        summary: &summary,
        previous: None,
    };
    print(json, &report, || {
        format!(
            "backed up {} to {}: {}",
            report.database,
            report.file,
            summary_text(&report)
        )
    });
    Ok(())
}

/// `latchkey restore FILE`: put a backup in place of the database (no server may run).
pub fn restore(a: RestoreArgs, settings: &Settings, json: bool) -> Result<(), CliError> {
    refuse_on_postgres(settings, "restore")?;
    let db = settings.prepare_data_dir()?;
    let dir = settings.data_dir.clone();
    let _lock = data_lock::lock_data_dir(&dir).map_err(|e| match e {
        LockError::Held(lock) => CliError::Other(format!(
            "a latchkey server is running on {} (it holds {}); stop it before restoring",
            dir.display(),
            lock.display()
        )),
        other => other.into(),
    })?;
    if !a.file.is_file() {
        return Err(CliError::Invalid(format!(
            "{} is not a file",
            a.file.display()
        )));
    }
    let previous = suffixed(&db, ".before-restore");
    for p in [previous.clone(), suffixed(&previous, "-wal")] {
        if p.exists() {
            return Err(CliError::Other(format!(
                "{} exists from an earlier restore; move it away first (it may be the only copy of that data)",
                p.display()
            )));
        }
    }
    // SQLite would replay a WAL left without its database into the restored one.
    let stray_wal = suffixed(&db, "-wal");
    if !db.exists() && stray_wal.exists() {
        return Err(CliError::Other(format!(
            "{} exists without its database; move it away first (SQLite would apply it to the restored database)",
            stray_wal.display()
        )));
    }
    // Copied and checked inside the data dir first: until the copy is sound, nothing else moves.
    let tmp = TempFile::create(&dir, "latchkey.db.restore")?;
    backup::copy_database(&a.file, Source::Foreign, tmp.path())
        .map_err(|e| named(e, &a.file, tmp.path()))?;
    let summary = backup::inspect_copy(tmp.path()).map_err(|e| named(e, &a.file, tmp.path()))?;
    let supported = migrate::latest_version();
    if summary.schema_version > supported {
        return Err(CliError::Other(format!(
            "{} has schema version {}, newer than this latchkey supports ({supported}); restore it with the latchkey that wrote it",
            a.file.display(),
            summary.schema_version
        )));
    }
    let kept = if db.exists() {
        move_aside(&db, &previous)?;
        Some(previous.display().to_string())
    } else {
        None
    };
    tmp.persist(&db)?;
    let report = Report {
        file: a.file.display().to_string(),
        database: db.display().to_string(),
        bytes: size(&db),
        summary: &summary,
        previous: kept,
    };
    print(json, &report, || {
        let mut out = format!(
            "restored {} to {}: {}",
            report.file,
            report.database,
            summary_text(&report)
        );
        if summary.schema_version < supported {
            out.push_str(&format!(
                "\nschema version {} is older than this latchkey's ({supported}): latchkey migrates it when it starts",
                summary.schema_version
            ));
        }
        if let Some(p) = &report.previous {
            out.push_str(&format!("\nthe database it replaced is kept as {p}"));
        }
        out
    });
    Ok(())
}

/// Errors about the copy name the file the user gave, not the temporary copy.
fn named(e: CopyError, file: &Path, tmp: &Path) -> CliError {
    let msg = e
        .to_string()
        .replace(&tmp.display().to_string(), &file.display().to_string());
    CliError::Other(msg)
}

/// Move the current database to `previous` as one self-contained file. When it cannot be
/// opened (damaged: the reason for many restores) its `-wal` goes along as `previous-wal`, so
/// SQLite still pairs the two and nothing in it is lost. The `-shm` is only an index of the WAL
/// and is removed.
fn move_aside(db: &Path, previous: &Path) -> Result<(), CliError> {
    let wal = suffixed(db, "-wal");
    match backup::settle_into_one_file(db) {
        Ok(()) => {
            if size(&wal) > 0 {
                return Err(CliError::Other(format!(
                    "{} still holds writes after a checkpoint; is another process using the database?",
                    wal.display()
                )));
            }
            let _ = std::fs::remove_file(&wal);
        }
        Err(e) if e.is_unusable() => {
            if wal.exists() {
                let to = suffixed(previous, "-wal");
                std::fs::rename(&wal, &to).map_err(io("move", &wal))?;
            }
        }
        Err(e) => return Err(e.into()),
    }
    std::fs::rename(db, previous).map_err(io("move", db))?;
    let _ = std::fs::remove_file(suffixed(db, "-shm"));
    sync_dir(db)
}
