//! Doctor: inspect the configuration, the data dir and the database, and report each problem
//! with a severity, a stable check id and a concrete fix. `latchkey doctor` prints the report;
//! an admin page can show the same [`Report`].
//!
//! Doctor only reads: it never creates the data dir or the database, never migrates, never writes
//! a row and never creates keys (the database is opened read-only, see
//! [`crate::store::open_read_only`]). Every problem it meets, a failed query included, becomes a finding,
//! so [`inspect`] cannot fail.
//!
//! Layering: doctor uses `config`, `crypto` and `store`; `cli` and `web` use doctor.

mod clients;
mod database;
mod files;
mod keys;
mod passkeys;
mod secret_key;
mod settings;
mod text;
mod tls;
mod upstream;
mod users;

use crate::clock::Timestamp;
use crate::config::Settings;
use crate::store::StoreError;

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
        });
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

/// Every finding for these settings and their data dir at time `now`, most severe first.
pub fn inspect(settings: &Settings, now: Timestamp) -> Report {
    let mut r = Report::default();
    settings::check_issuer_and_bind(settings, &mut r);
    settings::check_trusted_proxies(settings, &mut r);
    passkeys::check_passkeys(settings, &mut r);
    settings::check_settings(settings, &mut r);
    tls::check_tls(settings, now, &mut r);
    upstream::check_upstreams(settings, &mut r);
    let conn = files::check_data_dir(settings, &mut r);
    if settings.data_dir.is_dir() {
        secret_key::check_secret_key(settings, conn.as_ref().map(|c| c.tx()).as_ref(), &mut r);
    }
    if let Some(conn) = conn {
        database::check_database(&conn.tx(), settings, now, &mut r);
    }
    // Stable: within a severity, findings keep the order the checks ran in.
    r.findings.sort_by_key(|f| f.severity);
    r
}

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
