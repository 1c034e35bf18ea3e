//! GET /admin: the dashboard (counts of users, active sessions and apps).

use super::as_admin;
use crate::oidc::admin::gate;
use crate::state::AppState;
use crate::web::templates::AdminPage;
use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

pub async fn get_admin(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let settings = state.settings.clone();
    let (ctx, counts) = match as_admin(&req, &state, move |c, _, now| {
        gate::counts(c, &settings, now)
    })
    .await
    {
        Ok(found) => found,
        Err(res) => return res,
    };
    ctx.render(
        StatusCode::OK,
        &AdminPage {
            layout: ctx.layout("dashboard"),
            username: &ctx.user.username,
            users: counts.users,
            active_sessions: counts.active_sessions,
            apps: counts.apps,
        },
    )
}
