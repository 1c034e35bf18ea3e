//! `latchkey audit`: read the audit log, and `latchkey audit verify`: check its hash chain.

use super::{CliError, now, print, show_time};
use crate::domain::printable::escape_unsafe;
use crate::oidc::admin::{self, audit_log::AuditQuery};
use crate::oidc::audit_chain::{self, Verification};
use crate::store::Store;
use crate::store::audit::AuditRecord;
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit log's hash chain; exit 1 naming the first row changed, removed or inserted
    ///
    /// Every audit row is sealed into a SHA-256 chain about a second after it is written.
    /// Prints the chain's head hash (record it somewhere else, e.g. a ticket) and how many rows
    /// verified; rows not sealed yet are counted, not a failure. Reads only.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A head hash recorded earlier (64 hex digits): it must still be in the chain, which also
    /// catches the newest rows being cut off
    #[arg(long, value_name = "HEX")]
    pub head: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
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
    /// One JSON object a line (for a SIEM or `jq`), the same events in the same order as --json
    #[arg(long)]
    pub json_lines: bool,
}

/// `30m`, `24h`, `7d`, `90s`, or `2026-11-26T12:00:00Z`.
pub fn parse_since(s: &str, now: i64) -> Result<i64, CliError> {
    let bad = || {
        CliError::Invalid(format!(
            "--since {s:?}: use a duration like 30m, 24h, 7d or an RFC 3339 time"
        ))
    };
    crate::oidc::admin::audit_log::parse_when("--since", s, now).map_err(|_| bad())
}

pub fn run(a: AuditArgs, store: &Store, json: bool) -> Result<(), CliError> {
    match a.command {
        Some(AuditCommand::Verify(v)) => verify(v, store, json),
        None => list(a.list, store, json),
    }
}

fn list(a: ListArgs, store: &Store, json: bool) -> Result<(), CliError> {
    if json && a.json_lines {
        return Err(CliError::Invalid(
            "--json and --json-lines: choose one (an array, or one object a line)".into(),
        ));
    }
    if !(1..=100_000).contains(&a.limit) {
        return Err(CliError::Invalid("--limit must be from 1 to 100000".into()));
    }
    let since = a
        .since
        .as_deref()
        .map(|s| parse_since(s, now()))
        .transpose()?;
    let query = AuditQuery {
        user: a.user.clone(),
        client: a.client.clone(),
        since,
        ..Default::default()
    };
    let events = store.read(|c| Ok(admin::audit_log::find(c, &query, None, a.limit)))??;
    // JSON stays JSON (serde escapes control characters); text is escaped field by field.
    if a.json_lines {
        for e in &events {
            let line = crate::oidc::admin::audit_export::json_line(e)
                .map_err(|e| CliError::Other(format!("cannot serialise an event: {e}")))?;
            println!("{line}");
        }
        return Ok(());
    }
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
fn text_line(r: &AuditRecord) -> String {
    let e = &r.event;
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
    line.push_str(&format!("  id={}", r.id));
    line
}

fn verify(a: VerifyArgs, store: &Store, json: bool) -> Result<(), CliError> {
    let head = a
        .head
        .as_deref()
        .map(|h| {
            audit_chain::parse_hex_hash(h).ok_or_else(|| {
                CliError::Invalid(format!(
                    "--head {h:?}: expected the 64 hex digits `latchkey audit verify` printed"
                ))
            })
        })
        .transpose()?;
    let v = store.read(|c| audit_chain::verify(c, head))?;
    print(json, &v, || verify_text(&v));
    match &v.problem {
        None => Ok(()),
        Some(p) => Err(CliError::Other(format!(
            "the audit chain is broken ({}): {p}",
            p.kind.as_str()
        ))),
    }
}

fn verify_text(v: &Verification) -> String {
    let mut out = Vec::new();
    let from = match (
        v.checkpoint.pruned_through_id,
        v.checkpoint.pruned_through_at,
    ) {
        (Some(id), Some(at)) => format!(
            " after the checkpoint (rows through {id}, {}, were pruned)",
            show_time(at)
        ),
        _ => String::new(),
    };
    if v.intact {
        out.push(format!(
            "audit chain intact: {} sealed rows verified{from}",
            v.rows
        ));
    } else {
        out.push(format!(
            "audit chain BROKEN: {} sealed rows verified{from} before the break",
            v.rows
        ));
    }
    let at = match v.head_id {
        Some(id) => format!(" (position {}, row {id})", v.head_seq),
        None => String::new(),
    };
    out.push(format!("head {}{at}", v.head));
    if let Some(r) = &v.recorded_head {
        out.push(match (r.found, r.seq) {
            (true, Some(seq)) => format!("recorded head {} found at position {seq}", r.hash),
            _ => format!("recorded head {} NOT in the chain", r.hash),
        });
    }
    if v.unsealed > 0 {
        let from = v
            .first_unsealed_id
            .map(|id| format!(" (from row {id} on)"))
            .unwrap_or_default();
        out.push(format!(
            "{} rows not yet sealed{from}: a running server seals them within a second",
            v.unsealed
        ));
    }
    out.join("\n")
}
