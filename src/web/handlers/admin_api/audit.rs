//! /admin/api/v1/audit: the audit log, newest first, filtered like `latchkey audit`.

use super::{answer, as_key, page_json, page_request, parse_query};
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
    /// Unix seconds, RFC 3339, or a duration back from now (24h).
    since: Option<String>,
    until: Option<String>,
    after: Option<String>,
    limit: Option<i64>,
}

/// GET /audit?user=&client=&kind=&since=&until=&after=&limit=
pub async fn get_audit(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let query = parse_query::<ListQuery>(&req);
    answer(
        as_key(&req, &state, move |c, _, now| {
            let q = query?;
            let nonempty = |v: Option<String>| v.filter(|v| !v.is_empty());
            let when = |name: &str, v: Option<String>| {
                nonempty(v)
                    .map(|v| audit_log::parse_when(name, &v, now))
                    .transpose()
            };
            let filter = AuditQuery {
                since: when("since", q.since)?,
                until: when("until", q.until)?,
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
