//! `latchkey audit`: read the audit log.

use super::{CliError, now, print, show_time};
use crate::domain::printable::escape_unsafe;
use crate::store::audit::{AuditFilter, find_audit_events};
use crate::store::{Store, users};
use clap::Args;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only events about this user (as actor or subject)
    #[arg(long, value_name = "USERNAME")]
    pub user: Option<String>,
    /// Only events about this client
    #[arg(long, value_name = "CLIENT_ID")]
    pub client: Option<String>,
    /// Only events since: a duration back from now (30m, 24h, 7d) or an RFC 3339 time
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// At most this many events, newest first
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub limit: i64,
}

/// `30m`, `24h`, `7d`, `90s`, or `2026-11-26T12:00:00Z`.
pub fn parse_since(s: &str, now: i64) -> Result<i64, CliError> {
    let bad = || {
        CliError::Invalid(format!(
            "--since {s:?}: use a duration like 30m, 24h, 7d or an RFC 3339 time"
        ))
    };
    if let Ok(t) = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    Ok(now - n.saturating_mul(secs))
}

pub fn run(a: AuditArgs, store: &Store, json: bool) -> Result<(), CliError> {
    if !(1..=100_000).contains(&a.limit) {
        return Err(CliError::Invalid("--limit must be from 1 to 100000".into()));
    }
    let since = a
        .since
        .as_deref()
        .map(|s| parse_since(s, now()))
        .transpose()?;
    let events = store.read(|c| {
        let mut people = Vec::new();
        if let Some(u) = &a.user {
            let user = users::get_user_by_username(c, u)?;
            people.push(user.username);
            people.push(user.subject);
        }
        find_audit_events(
            c,
            &AuditFilter {
                people,
                client_id: a.client.clone(),
                since,
                limit: a.limit,
            },
        )
    })?;
    // JSON stays JSON (serde escapes control characters); text is escaped field by field.
    print(json, &events, || {
        if events.is_empty() {
            return "no events".into();
        }
        events.iter().map(text_line).collect::<Vec<_>>().join("\n")
    });
    Ok(())
}

/// One event as one line of text. Every stored field may hold text someone else typed (a
/// username at a failed sign-in, say), so control characters, DEL, C1 controls and bidi
/// overrides are printed as `\u{HEX}`: a field can neither start a forged line nor drive the
/// terminal.
fn text_line(e: &crate::store::audit::AuditEvent) -> String {
    let mut line = format!("{}  {}", show_time(e.at), escape_unsafe(&e.kind));
    for (k, v) in [
        ("actor", &e.actor),
        ("subject", &e.subject),
        ("client", &e.client_id),
        ("ip", &e.ip),
        ("detail", &e.detail),
    ] {
        if let Some(v) = v {
            line.push_str(&format!("  {k}={}", escape_unsafe(v)));
        }
    }
    line
}
