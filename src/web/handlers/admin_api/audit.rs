//! /admin/api/v1/audit: the audit log, newest first, filtered like `latchkey audit`.

use super::{ApiError, answer, as_key, page_json, page_request, parse_query};
use crate::oidc::admin::audit_log::{self, AuditQuery};
use crate::state::AppState;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    user: Option<String>,
    client: Option<String>,
    kind: Option<String>,
    /// Unix seconds or RFC 3339.
    since: Option<String>,
    until: Option<String>,
    after: Option<String>,
    limit: Option<i64>,
}

/// Unix seconds or an RFC 3339 time.
fn time_param(name: &str, v: Option<String>) -> Result<Option<i64>, ApiError> {
    let Some(v) = v.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = v.parse::<i64>() {
        return Ok(Some(t));
    }
    time::OffsetDateTime::parse(&v, &time::format_description::well_known::Rfc3339)
        .map(|t| Some(t.unix_timestamp()))
        .map_err(|_| {
            ApiError::BadRequest(format!(
                "{name} {v:?}: use Unix seconds or an RFC 3339 time like 2026-11-26T12:00:00Z"
            ))
        })
}

/// GET /audit?user=&client=&kind=&since=&until=&after=&limit=
pub async fn get_audit(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let query = parse_query::<ListQuery>(&req);
    answer(
        as_key(&req, &state, move |c, _, _| {
            let q = query?;
            let nonempty = |v: Option<String>| v.filter(|v| !v.is_empty());
            let filter = AuditQuery {
                since: time_param("since", q.since)?,
                until: time_param("until", q.until)?,
                user: nonempty(q.user),
                client: nonempty(q.client),
                kind: nonempty(q.kind),
            };
            let page = audit_log::list(c, &filter, &page_request(q.after, q.limit))?;
            page_json("events", &page)
        })
        .await,
    )
}
