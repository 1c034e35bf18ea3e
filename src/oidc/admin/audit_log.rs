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
