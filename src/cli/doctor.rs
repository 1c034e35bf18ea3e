//! `latchkey doctor`: print the [`doctor`](crate::doctor) report as text grouped by severity, or
//! as JSON. Exit status: 0 when nothing is critical, [`EXIT_CRITICAL`] (2) when something is, 1
//! when doctor itself cannot run (e.g. an invalid setting, reported before we get here).

use super::{CliError, print};
use crate::config::Settings;
use crate::doctor::{self, Report, Severity};
use std::fmt::Write as _;

/// Exit status when at least one finding is critical.
pub const EXIT_CRITICAL: i32 = 2;

/// `latchkey doctor`: print the findings; exit 2 when one of them is critical.
pub fn run(settings: &Settings, check_smtp: bool, json: bool) -> Result<(), CliError> {
    let mut report = doctor::inspect(settings, super::now());
    if check_smtp {
        // The one check that talks to another machine, so only on request.
        let outcome = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::Other(format!("cannot start the SMTP check: {e}")))?
            .block_on(crate::mailer::transport::check(settings));
        doctor::smtp::add_connection_finding(settings, outcome, &mut report);
        report.sort();
    }
    print(json, &report, || render(settings, &report));
    if report.has_critical() {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        std::process::exit(EXIT_CRITICAL);
    }
    Ok(())
}

fn render(settings: &Settings, report: &Report) -> String {
    let data_dir =
        std::path::absolute(&settings.data_dir).unwrap_or_else(|_| settings.data_dir.clone());
    let mut s = format!(
        "latchkey doctor: issuer {}, bind {}, data dir {}\n",
        settings.issuer,
        settings.bind,
        data_dir.display()
    );
    if report.is_empty() {
        s.push_str("\nno problems found\n");
    }
    for sev in Severity::ALL {
        let mut group = report.of(sev).peekable();
        if group.peek().is_none() {
            continue;
        }
        let _ = writeln!(s, "\n{}", sev.as_str().to_ascii_uppercase());
        for f in group {
            let _ = writeln!(s, "  [{}] {}\n      fix: {}", f.check, f.message, f.fix);
        }
    }
    let _ = write!(s, "\n{}", report.summary());
    s
}
