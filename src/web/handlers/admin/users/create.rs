//! GET /admin/users/new and POST /admin/users: create a user with a generated password, shown
//! once on the new user's page.

use super::{load, render};
use crate::oidc::admin;
use crate::state::AppState;
use crate::web::extract;
use crate::web::handlers::admin::{
    AdminCtx, as_admin, as_admin_post, new_password, refusal_status,
};
use crate::web::templates::admin::users::AdminUserNewPage;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

fn form_page(
    ctx: &AdminCtx,
    status: StatusCode,
    f: &crate::oidc::params::Params,
    error: &str,
) -> HttpResponse {
    let page = AdminUserNewPage {
        layout: ctx.layout("users").with_error(error),
        username: f.get("username").unwrap_or("").to_owned(),
        email: f.get("email").unwrap_or("").to_owned(),
        name: f.get("name").unwrap_or("").to_owned(),
        is_admin: f.get("admin") == Some("on"),
        email_verified: f.get("email_verified") == Some("on"),
    };
    ctx.render(status, &page)
}

pub async fn get_new_user(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match as_admin(&req, &state, |_, _, _| Ok(())).await {
        Ok((ctx, ())) => form_page(&ctx, StatusCode::OK, &Default::default(), ""),
        Err(res) => res,
    }
}

pub async fn post_users(req: HttpRequest, state: web::Data<AppState>, body: Bytes) -> HttpResponse {
    let form = extract::form(&body);
    // Only an admin makes the server hash a password.
    let ctx = match as_admin(&req, &state, |_, _, _| Ok(())).await {
        Ok((ctx, ())) => ctx,
        Err(res) => return res,
    };
    let new = match admin::users::NewUser::parse(
        form.get("username").unwrap_or(""),
        form.get("email").unwrap_or(""),
        form.get("name"),
        form.get("admin") == Some("on"),
        form.get("email_verified") == Some("on"),
    ) {
        Ok(new) => new,
        Err(e) => return form_page(&ctx, refusal_status(&e), &form, &e.to_string()),
    };
    let (pw, hash) = match new_password(&state).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let done = as_admin_post(&req, &state, &body, move |c, a, _, now| {
        let u = admin::users::add(c, a, now, &new, &hash)?;
        Ok(load(c, &u.username, now)?)
    })
    .await;
    match done {
        Ok((ctx, Ok(d))) => render(&ctx, StatusCode::CREATED, &d, "User created.", "", &pw),
        Ok((ctx, Err(e))) => form_page(&ctx, refusal_status(&e), &form, &e.to_string()),
        Err(res) => res,
    }
}
