//! GET /admin: the dashboard: counts of users, active sessions and apps; sign-ins and failed
//! sign-ins per hour over the last week as a chart (with its table for screen readers); the
//! latest throttle blocks; the signing keys' ages; doctor's findings with their fixes.

use super::{as_admin, show};
use crate::oidc::admin::dashboard::{self, Dashboard};
use crate::oidc::admin::gate::{self, Counts};
use crate::state::AppState;
use crate::web::error;
use crate::web::svg_chart;
use crate::web::templates::{AdminPage, FindingView};
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_admin(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let settings = state.settings.clone();
    let (ctx, (counts, now)) = match as_admin(&req, &state, move |c, _, now| {
        Ok((gate::counts(c, &settings, now)?, now))
    })
    .await
    {
        Ok(found) => found,
        Err(res) => return res,
    };
    // A second unit, read-only: doctor reads every user and the chart a week of the audit
    // index: a quarter of a second on a big store, which must not hold the write turn (the
    // gate's).
    let st = state.clone();
    let found = web::block(move || {
        st.store
            .read(|c| Ok(dashboard::dashboard(c, &st.settings, now)))
    })
    .await;
    match found {
        Ok(Ok(Ok(d))) => ctx.render(StatusCode::OK, &page(&ctx, counts, d, now)),
        Ok(Ok(Err(e))) => error::internal(e),
        Ok(Err(e)) => error::store(e),
        Err(e) => error::internal(e),
    }
}

fn page<'a>(ctx: &'a super::AdminCtx, counts: Counts, d: Dashboard, now: i64) -> AdminPage<'a> {
    let throttle_blocks: Vec<_> = d.throttle_blocks.iter().map(show::throttle_block).collect();
    AdminPage {
        layout: ctx.layout("dashboard"),
        username: &ctx.user.username,
        users: counts.users,
        active_sessions: counts.active_sessions,
        apps: counts.apps,
        chart: svg_chart::sign_in_chart(&d.sign_ins),
        chart_rows: svg_chart::table_rows(&d.sign_ins),
        signed_in: d.sign_ins.total_succeeded(),
        failed: d.sign_ins.total_failed(),
        no_throttle_blocks: throttle_blocks.is_empty(),
        throttle_blocks,
        keys: d.keys.iter().map(|k| show::key_age(k, now)).collect(),
        findings_summary: d.findings.summary(),
        findings: d
            .findings
            .findings()
            .iter()
            .map(|f| FindingView {
                severity: f.severity.as_str().to_owned(),
                check: f.check.to_owned(),
                message: f.message.clone(),
                fix: f.fix.clone(),
            })
            .collect(),
        findings_leave_out: format!("Left out here: {}.", d.findings_leave_out.join("; ")),
    }
}
