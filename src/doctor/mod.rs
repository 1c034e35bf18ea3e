//! Doctor: inspect the configuration, the data dir and the database, and report each problem
//! with a severity, a stable check id and a concrete fix. `latchkey doctor` prints the report
//! ([`inspect`]); the admin dashboard shows the same checks on the running server
//! ([`inspect_running`]), less the slow ones ([`QUICK_LEAVES_OUT`]).
//!
//! Doctor only reads: it never creates the data dir or the database, never migrates, never writes
//! a row and never creates keys (the database is opened read-only, see
//! [`crate::store::open_read_only`]). Every problem it meets, a failed query included, becomes a finding,
//! so [`inspect`] cannot fail.
//!
//! Layering: doctor uses `config`, `crypto` and `store`; `cli` and `oidc::admin` use doctor.

mod clients;
mod database;
mod files;
mod keys;
mod passkeys;
mod postgres;
mod secret_key;
mod settings;
pub mod smtp;
mod text;
mod tls;
mod upstream;
mod users;

use crate::clock::Timestamp;
use crate::config::Settings;
use crate::store::{StoreError, Tx};

/// How bad a finding is; the order is most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 3] = [Severity::Critical, Severity::Warning, Severity::Info];

    /// `critical`, `warning` or `info`, as in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One problem: how bad, which check found it (a stable id), what is wrong, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub check: &'static str,
    pub message: String,
    pub fix: String,
    /// The client (app) the finding is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
}

/// Every finding of one inspection, most severe first. Serialises as a JSON array of findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Report {
    findings: Vec<Finding>,
}

impl Report {
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }

    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    /// The findings of one severity, in report order.
    pub fn of(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity == severity)
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.of(severity).count()
    }

    pub fn has_critical(&self) -> bool {
        self.count(Severity::Critical) > 0
    }

    /// `2 critical, 1 warning, 3 info`.
    /// Sort most severe first (after adding findings).
    pub fn sort(&mut self) {
        self.findings.sort_by_key(|f| f.severity);
    }

    pub fn summary(&self) -> String {
        let warnings = self.count(Severity::Warning);
        format!(
            "{} critical, {} warning{}, {} info",
            self.count(Severity::Critical),
            warnings,
            if warnings == 1 { "" } else { "s" },
            self.count(Severity::Info)
        )
    }

    // The checks add findings through these; they are private to doctor.

    fn add(
        &mut self,
        severity: Severity,
        check: &'static str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.findings.push(Finding {
            severity,
            check,
            message: message.into(),
            fix: fix.into(),
            client: None,
        });
    }
    /// A finding about the client `client_id`.
    fn add_for(
        &mut self,
        client_id: &str,
        severity: Severity,
        check: &'static str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.add(severity, check, message, fix);
        if let Some(f) = self.findings.last_mut() {
            f.client = Some(client_id.to_owned());
        }
    }
    fn critical(&mut self, check: &'static str, m: impl Into<String>, f: impl Into<String>) {
        self.add(Severity::Critical, check, m, f);
    }
    fn warning(&mut self, check: &'static str, m: impl Into<String>, f: impl Into<String>) {
        self.add(Severity::Warning, check, m, f);
    }
    fn info(&mut self, check: &'static str, m: impl Into<String>, f: impl Into<String>) {
        self.add(Severity::Info, check, m, f);
    }
    /// Run a database check; a failed query becomes a finding instead of stopping doctor.
    fn guard(&mut self, what: &str, f: impl FnOnce(&mut Report) -> Result<(), StoreError>) {
        if let Err(e) = f(self) {
            self.warning(
                "check-failed",
                format!("could not check {what}: {e}"),
                "run `latchkey doctor` again; if it keeps failing, check the database with `sqlite3 latchkey.db 'PRAGMA integrity_check'` and restore a backup if it is damaged",
            );
        }
    }
}

/// How much of the database doctor reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Everything (`latchkey doctor`).
    Full,
    /// What is quick enough for a page view (the admin dashboard): no check that reads the
    /// whole database. [`QUICK_LEAVES_OUT`] says what that leaves out.
    Quick,
}

/// The checks a [`Depth::Quick`] inspection leaves out, as a page can say it. (No check probes
/// the network today; one that does belongs here too.)
pub const QUICK_LEAVES_OUT: &[&str] = &[
    "the database integrity check (PRAGMA quick_check reads the whole database; latchkey doctor runs it)",
];

/// Every finding for these settings and their data dir at time `now`, most severe first: what
/// `latchkey doctor` prints. Opens the database read-only.
pub fn inspect(settings: &Settings, now: Timestamp) -> Report {
    let mut r = Report::default();
    let db = outside(settings, now, &mut r);
    let conn = if settings.database.is_postgres() {
        postgres::open_and_check(settings, &mut r)
    } else {
        db.and_then(|path| files::open_database(&path, &mut r))
    };
    let tx = conn.as_ref().map(|c| c.tx());
    inside(settings, now, tx.as_ref(), Depth::Full, &mut r);
    r.sorted()
}

/// The same checks for a running server, on a transaction of its own store (the admin
/// dashboard): everything but what [`QUICK_LEAVES_OUT`] names.
pub fn inspect_running(settings: &Settings, now: Timestamp, c: &Tx<'_>) -> Report {
    let mut r = Report::default();
    outside(settings, now, &mut r);
    inside(settings, now, Some(c), Depth::Quick, &mut r);
    r.sorted()
}

/// The settings and the files: returns the database's path when there is one to look at.
fn outside(settings: &Settings, now: Timestamp, r: &mut Report) -> Option<std::path::PathBuf> {
    settings::check_issuer_and_bind(settings, r);
    settings::check_trusted_proxies(settings, r);
    passkeys::check_passkeys(settings, r);
    settings::check_settings(settings, r);
    tls::check_tls(settings, now, r);
    upstream::check_upstreams(settings, r);
    smtp::check_smtp_settings(settings, r);
    files::check_data_dir(settings, r)
}

/// The secret key file (which needs the database to judge) and the database.
fn inside(settings: &Settings, now: Timestamp, db: Option<&Tx<'_>>, depth: Depth, r: &mut Report) {
    if settings.data_dir.is_dir() {
        secret_key::check_secret_key(settings, db, r);
    }
    if let Some(c) = db {
        database::check_database(c, settings, now, depth, r);
    }
}

impl Report {
    /// Most severe first; within a severity, findings keep the order the checks ran in.
    fn sorted(mut self) -> Self {
        self.findings.sort_by_key(|f| f.severity);
        self
    }
}

/// The findings about one client (app), from the checks [`inspect`] runs on the database's
/// clients, most severe first; a check that could not run is reported too.
pub fn client_findings(c: &Tx<'_>, client_id: &str, now: Timestamp) -> Vec<Finding> {
    let mut r = Report::default();
    r.guard("clients", |r| clients::check_clients(c, now, r));
    r.guard("access", |r| clients::check_access(c, r));
    r.findings
        .retain(|f| f.client.as_deref() == Some(client_id) || f.check == "check-failed");
    r.findings.sort_by_key(|f| f.severity);
    r.findings
}

/// A word for the shell, quoted only when needed (for commands to paste).
pub use text::sh_word;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_serialises_as_an_array_of_findings_and_counts_by_severity() {
        let mut r = Report::default();
        r.info("no-users", "m1", "f1");
        r.warning("permissions", "m2", "f2");
        r.warning("permissions", "m3", "f3");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json[0],
            serde_json::json!({"severity": "info", "check": "no-users", "message": "m1", "fix": "f1"})
        );
        assert_eq!(json.as_array().map(Vec::len), Some(3));
        assert_eq!(r.summary(), "0 critical, 2 warnings, 1 info");
        assert!(!r.has_critical());
        r.critical("database-missing", "m", "f");
        assert_eq!(r.summary(), "1 critical, 2 warnings, 1 info");
        assert!(r.has_critical());
    }
}
