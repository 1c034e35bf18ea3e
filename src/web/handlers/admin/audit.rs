//! GET /admin/audit: the audit log filtered by user, app, kind and time, a page at a time;
//! /admin/audit.csv and /admin/audit.jsonl: the same filters as a download (CSV with spreadsheet
//! formulas defused, or one JSON object a line, as `latchkey audit --json-lines` prints).

use crate::oidc::admin::AdminError;
use crate::oidc::admin::audit_export;
use crate::oidc::admin::audit_log::{self, AuditQuery};
use crate::oidc::admin::page::PageRequest;
use crate::oidc::params::Params;
use crate::state::AppState;
use crate::store::audit::AuditRecord;
use crate::web::extract;
use crate::web::handlers::account::show_time;
use crate::web::handlers::admin::{AdminCtx, as_admin, enc, refusal_status};
use crate::web::templates::admin::lists::{AdminAuditPage, AuditRow};
use crate::web::{error, headers};
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

/// The most events one download holds (newest first); narrow the filters for older ones.
const EXPORT_LIMIT: i64 = 10_000;
const FIELDS: [&str; 5] = ["user", "client", "kind", "since", "until"];

/// The filters as typed (blank ones left out).
fn typed(q: &Params) -> Vec<(&'static str, String)> {
    FIELDS
        .iter()
        .filter_map(|f| {
            q.get(f)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| (*f, v.to_owned()))
        })
        .collect()
}

fn query_string(filters: &[(&str, String)]) -> String {
    let parts: Vec<String> = filters
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

fn audit_query(filters: &[(&str, String)], now: i64) -> Result<AuditQuery, AdminError> {
    let get = |k: &str| {
        filters
            .iter()
            .find(|(f, _)| *f == k)
            .map(|(_, v)| v.clone())
    };
    let when = |k: &str| {
        get(k)
            .map(|v| audit_log::parse_when(k, &v, now))
            .transpose()
    };
    Ok(AuditQuery {
        user: get("user"),
        client: get("client"),
        kind: get("kind"),
        since: when("since")?,
        until: when("until")?,
    })
}

/// A page of events and the next page's cursor, or why the filters were refused.
type Found = Result<(Vec<AuditRecord>, Option<String>), AdminError>;

/// Run a search for the admin: Ok(Err(refusal)) for filters a person can fix.
async fn search(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    filters: Vec<(&'static str, String)>,
    page: PageRequest,
) -> Result<(AdminCtx, Found), HttpResponse> {
    as_admin(req, state, move |c, _, now| {
        let found = audit_query(&filters, now).and_then(|q| audit_log::list(c, &q, &page));
        match found {
            Ok(p) => Ok(Ok((p.items, p.next))),
            Err(AdminError::Store(e)) => Err(e),
            Err(refused) => Ok(Err(refused)),
        }
    })
    .await
}

pub async fn get_audit(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let q = extract::query(&req);
    let filters = typed(&q);
    let page = PageRequest {
        after: q.get("after").map(str::to_owned),
        limit: None,
    };
    let after = page.after.clone();
    let (ctx, found) = match search(&req, &state, filters.clone(), page).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let (status, events, next, error) = match found {
        Ok((events, next)) => (StatusCode::OK, events, next, String::new()),
        Err(e) => (refusal_status(&e), vec![], None, e.to_string()),
    };
    let base = query_string(&filters);
    let link = |after: &str| {
        let sep = if base.is_empty() { "?" } else { "&" };
        format!("/admin/audit{base}{sep}after={}", enc(after))
    };
    let get = |k: &str| {
        filters
            .iter()
            .find(|(f, _)| *f == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let rows = events
        .into_iter()
        .map(|r| {
            let e = r.event;
            AuditRow {
                time: show_time(e.at),
                kind: e.kind,
                actor: e.actor.unwrap_or_default(),
                subject: e.subject.unwrap_or_default(),
                client: e.client_id.unwrap_or_default(),
                ip: e.ip.unwrap_or_default(),
                detail: e.detail.unwrap_or_default(),
            }
        })
        .collect();
    ctx.render(
        status,
        &AdminAuditPage {
            layout: ctx.layout("audit").with_error(error),
            user: get("user"),
            client: get("client"),
            kind: get("kind"),
            since: get("since"),
            until: get("until"),
            filter_query: base.clone(),
            export_limit: EXPORT_LIMIT,
            events: rows,
            first: if after.is_some() {
                format!("/admin/audit{base}")
            } else {
                String::new()
            },
            next: next.as_deref().map(link).unwrap_or_default(),
        },
    )
}

/// The download: `csv` or `jsonl`.
async fn export(req: HttpRequest, state: web::Data<AppState>, csv: bool) -> HttpResponse {
    let filters = typed(&extract::query(&req));
    let page = PageRequest {
        after: None,
        limit: Some(EXPORT_LIMIT.min(crate::oidc::admin::page::MAX_LIMIT)),
    };
    // Pages of the largest size, until the export's limit.
    let (_, found) = match as_admin(&req, &state, move |c, _, now| {
        let mut all = Vec::new();
        let q = match audit_query(&filters, now) {
            Ok(q) => q,
            Err(AdminError::Store(e)) => return Err(e),
            Err(refused) => return Ok(Err(refused)),
        };
        let mut next = page.clone();
        loop {
            match audit_log::list(c, &q, &next) {
                Ok(p) => {
                    all.extend(p.items);
                    match p.next {
                        Some(n) if (all.len() as i64) < EXPORT_LIMIT => next.after = Some(n),
                        _ => break,
                    }
                }
                Err(AdminError::Store(e)) => return Err(e),
                Err(refused) => return Ok(Err(refused)),
            }
        }
        all.truncate(EXPORT_LIMIT as usize);
        Ok(Ok(all))
    })
    .await
    {
        Ok(found) => found,
        Err(res) => return res,
    };
    let records = match found {
        Ok(r) => r,
        Err(e) => return error::page(refusal_status(&e), "Not exported", &e.to_string()),
    };
    let mut body = Vec::new();
    let written = if csv {
        audit_export::write_csv(&mut body, &records)
    } else {
        audit_export::write_json_lines(&mut body, &records)
    };
    if let Err(e) = written {
        return error::internal(e);
    }
    let (kind, name) = if csv {
        ("text/csv; charset=utf-8", "latchkey-audit.csv")
    } else {
        ("application/x-ndjson", "latchkey-audit.jsonl")
    };
    let mut res = HttpResponse::Ok();
    headers::no_store(&mut res);
    res.content_type(kind)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body)
}

pub async fn get_audit_csv(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    export(req, state, true).await
}

pub async fn get_audit_jsonl(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    export(req, state, false).await
}
