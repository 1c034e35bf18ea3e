//! Reading the audit log, filtered: by user (as actor or subject), app, kind and time.

use super::AdminError;
use super::page::{Page, PageRequest};
use crate::store::audit::{AuditFilter, AuditRecord, find_audit_records};
use crate::store::{Tx, users};

/// Which events; everything `None` is not filtered on.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// A username: events they did or that were done to them (by username or subject).
    pub user: Option<String>,
    pub client: Option<String>,
    /// A kind or a family of kinds (`session.ended` covers `session.ended.logout`, ...).
    pub kind: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// A time as a filter takes it: Unix seconds, an RFC 3339 time, or a duration back from `now`
/// (`30m`, `24h`, `7d`). `name` names the field in the refusal.
pub fn parse_when(name: &str, s: &str, now: i64) -> Result<i64, AdminError> {
    let s = s.trim();
    if let Ok(t) = s.parse::<i64>() {
        return Ok(t);
    }
    if let Ok(t) = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    crate::domain::parse_duration_secs(s)
        .map(|d| now - d)
        .map_err(|_| {
            AdminError::Invalid(format!(
                "{name} {s:?}: use a duration like 30m, 24h, 7d, an RFC 3339 time like 2026-11-26T12:00:00Z, or Unix seconds"
            ))
        })
}

/// At most `limit` matching events below the row id `before_id`, newest first.
pub fn find(
    c: &Tx<'_>,
    q: &AuditQuery,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRecord>, AdminError> {
    let mut people = Vec::new();
    if let Some(u) = &q.user {
        let user = users::get_user_by_username(c, u)?;
        people.push(user.username);
        people.push(user.subject);
    }
    Ok(find_audit_records(
        c,
        &AuditFilter {
            people,
            client_id: q.client.clone(),
            kind: q.kind.clone().filter(|k| !k.is_empty()),
            since: q.since,
            until: q.until,
            before_id,
            limit,
        },
    )?)
}

/// One page of matching events, newest first (the cursor is the last row id).
pub fn list(
    c: &Tx<'_>,
    q: &AuditQuery,
    page: &PageRequest,
) -> Result<Page<AuditRecord>, AdminError> {
    let limit = page.limit()?;
    let rows = find(c, q, page.after_id()?, limit + 1)?;
    Ok(Page::of(rows, limit, |r: &AuditRecord| r.id.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_filter_time_is_unix_seconds_rfc3339_or_a_duration_back() {
        use super::parse_when;
        assert_eq!(
            parse_when("since", "1700000000", 0).ok(),
            Some(1_700_000_000)
        );
        assert_eq!(
            parse_when("since", "1970-01-01T01:00:00Z", 0).ok(),
            Some(3600)
        );
        assert_eq!(
            parse_when("since", "24h", 100_000).ok(),
            Some(100_000 - 86_400)
        );
        assert!(parse_when("since", "yesterday", 0).is_err());
    }
}
