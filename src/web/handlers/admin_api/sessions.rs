//! /admin/api/v1/sessions: every active browser session, and ending one. Addressed by `sid`.

use super::{answer, as_key, nudge_outbox, page_json, page_request, parse_query, segment};
use crate::oidc::admin::sessions;
use crate::state::AppState;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// Only this user's sessions.
    user: Option<String>,
    after: Option<String>,
    limit: Option<i64>,
}

/// GET /sessions?user=&after=&limit=: newest first.
pub async fn get_sessions(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let query = parse_query::<ListQuery>(&req);
    let idle = state.settings.session_idle_timeout_secs;
    answer(
        as_key(&req, &state, move |c, _, now| {
            let q = query?;
            let user = q.user.filter(|u| !u.is_empty());
            let page = page_request(q.after, q.limit);
            let page = sessions::list(c, now, idle, user.as_deref(), &page)?;
            page_json("sessions", &page)
        })
        .await,
    )
}

/// DELETE /sessions/{sid}: ended as a logout ends it (its refresh tokens revoked, back-channel
/// logout sent to the apps it signed in to).
pub async fn delete_session(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let sid = segment(&req, "sid");
    let res = as_key(&req, &state, move |c, actor, now| {
        let ended = sessions::end(c, actor, now, &sid?)?;
        Ok(serde_json::json!({ "ended": ended }))
    })
    .await;
    nudge_outbox(&state);
    answer(res)
}
