//! /admin/sessions: every active session, newest first, a page at a time (GET), and ending one
//! (POST /admin/sessions/end): [`sessions::end`], which ends it as the account page's "End
//! session" does (refresh tokens bound to it revoked, back-channel logout queued), with the
//! admin as the audit row's actor.

use super::{AdminCtx, as_admin, as_admin_post, enc, refusal_status};
use crate::oidc::admin::{AdminError, PageRequest, sessions};
use crate::oidc::params::Params;
use crate::state::AppState;
use crate::store::Tx;
use crate::web::error;
use crate::web::handlers::account::{device, show_time};
use crate::web::templates::{ActiveSessionView, AdminSessionsPage};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

/// Sessions per page.
const PER_PAGE: i64 = 100;

pub async fn get_sessions(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let query = Params::parse(req.query_string());
    let after = query.get("after").map(str::to_owned);
    let idle = state.settings.session_idle_timeout_secs;
    let found = as_admin(&req, &state, move |c, _, now| {
        Ok(listed(c, now, idle, after))
    })
    .await;
    match found {
        Ok((ctx, Ok(list))) => ctx.render(StatusCode::OK, &page(&ctx, list, "", "")),
        Ok((ctx, Err(e))) if e.is_refusal() => ctx.render(
            refusal_status(&e),
            &page(&ctx, Listed::default(), "", &e.to_string()),
        ),
        Ok((_, Err(e))) => error::internal(e),
        Err(res) => res,
    }
}

pub async fn post_end(req: HttpRequest, state: web::Data<AppState>, body: Bytes) -> HttpResponse {
    let idle = state.settings.session_idle_timeout_secs;
    let done = as_admin_post(&req, &state, &body, move |c, actor, form, now| {
        let sid = form.get("sid").unwrap_or_default();
        let ended = sessions::end(c, actor, now, sid)?;
        Ok((ended, listed(c, now, idle, None)?))
    })
    .await;
    match done {
        Ok((ctx, Ok((ended, list)))) => {
            let message = format!(
                "Ended {}'s session on {} (IP {}).",
                ended.username,
                device(ended.user_agent.as_deref()),
                ended.ip.as_deref().unwrap_or("unknown")
            );
            ctx.render(StatusCode::OK, &page(&ctx, list, &message, ""))
        }
        Ok((ctx, Err(refused))) => {
            let list = as_admin(&req, &state, move |c, _, now| {
                Ok(listed(c, now, idle, None))
            })
            .await;
            match list {
                Ok((_, Ok(list))) => ctx.render(
                    refusal_status(&refused),
                    &page(&ctx, list, "", &refused.to_string()),
                ),
                Ok((_, Err(e))) => error::internal(e),
                Err(res) => res,
            }
        }
        Err(res) => res,
    }
}

/// One page of sessions, and where the page came from.
#[derive(Default)]
struct Listed {
    page: Vec<sessions::ActiveSession>,
    next: Option<String>,
    first: bool,
}

fn listed(c: &Tx<'_>, now: i64, idle: i64, after: Option<String>) -> Result<Listed, AdminError> {
    let first = after.is_none();
    let found = sessions::list(
        c,
        now,
        idle,
        None,
        &PageRequest {
            after,
            limit: Some(PER_PAGE),
        },
    )?;
    Ok(Listed {
        page: found.items,
        next: found.next,
        first,
    })
}

fn page(ctx: &AdminCtx, list: Listed, message: &str, err: &str) -> AdminSessionsPage {
    let sessions: Vec<ActiveSessionView> = list
        .page
        .into_iter()
        .map(|s| ActiveSessionView {
            device: device(s.user_agent.as_deref()),
            username_path: enc(&s.username),
            ip: s.ip.unwrap_or_default(),
            signed_in: show_time(s.auth_time),
            last_seen: show_time(s.last_seen_at),
            methods: s.amr,
            username: s.username,
            sid: s.sid,
        })
        .collect();
    AdminSessionsPage {
        layout: ctx.layout("sessions").with_message(message).with_error(err),
        no_sessions: sessions.is_empty(),
        sessions,
        older: list
            .next
            .map(|n| format!("/admin/sessions?after={}", enc(&n)))
            .unwrap_or_default(),
        newest: if list.first {
            String::new()
        } else {
            "/admin/sessions".into()
        },
    }
}
