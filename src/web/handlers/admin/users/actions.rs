//! POST /admin/users/{username}/{action}: the changes on a user's page. Each one calls the admin
//! operation the CLI and the API call, with the admin as the actor; a refusal is shown on the
//! user's page with nothing changed.

use super::{load, render};
use crate::oidc::admin::{self, AdminError};
use crate::oidc::params::Params;
use crate::state::AppState;
use crate::store::Tx;
use crate::web::handlers::admin::{
    Actor, AdminCtx, as_admin, as_admin_post, enc, refusal_status, segment,
};
use crate::web::handlers::authorize::see_other;
use crate::web::{error, handlers::admin::new_password};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

type Change = fn(&Tx<'_>, &Actor, &Params, i64, &str) -> Result<(), AdminError>;

/// The change an action names, and the notice after it.
fn change(action: &str) -> Option<(Change, &'static str)> {
    let found: (Change, &str) = match action {
        "update" => (update, "updated"),
        "disable" => (
            |c, a, _, now, u| admin::users::set_disabled(c, a, now, u, true),
            "disabled",
        ),
        "enable" => (
            |c, a, _, now, u| admin::users::set_disabled(c, a, now, u, false),
            "enabled",
        ),
        "groups/add" => (
            |c, a, f, now, u| members(c, a, f, now, u, true),
            "group-added",
        ),
        "groups/remove" => (
            |c, a, f, now, u| members(c, a, f, now, u, false),
            "group-removed",
        ),
        "attributes/set" => (
            |c, a, f, now, u| {
                let (key, value) = (f.get("key").unwrap_or(""), f.get("value").unwrap_or(""));
                admin::users::set_attribute(c, a, now, u, key, value).map(drop)
            },
            "attribute-set",
        ),
        "attributes/unset" => (
            |c, a, f, now, u| {
                admin::users::unset_attribute(c, a, now, u, f.get("key").unwrap_or(""))
            },
            "attribute-unset",
        ),
        "sessions/end" => (
            |c, a, f, now, u| admin::users::end_session(c, a, now, u, f.get("sid").unwrap_or("")),
            "session-ended",
        ),
        "apps/revoke" => (
            |c, a, f, now, u| {
                admin::users::revoke_app(c, a, now, u, f.get("client_id").unwrap_or(""))
            },
            "app-revoked",
        ),
        "reset-mfa" => (
            |c, a, _, now, u| admin::users::reset_mfa(c, a, now, u).map(drop),
            "mfa-reset",
        ),
        _ => return None,
    };
    Some(found)
}

fn update(c: &Tx<'_>, a: &Actor, f: &Params, now: i64, username: &str) -> Result<(), AdminError> {
    let change = admin::users::UserUpdate {
        email: f.get("email").map(str::to_owned),
        email_verified: Some(f.get("email_verified") == Some("on")),
        name: Some(f.get("name").unwrap_or("").to_owned()),
        is_admin: Some(f.get("admin") == Some("on")),
    };
    admin::users::update(c, a, now, username, &change).map(drop)
}

fn members(
    c: &Tx<'_>,
    a: &Actor,
    f: &Params,
    now: i64,
    username: &str,
    add: bool,
) -> Result<(), AdminError> {
    let group = f.get("group").unwrap_or("");
    admin::groups::change_members(c, a, now, group, &[username.to_owned()], add).map(drop)
}

pub async fn post_user_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> HttpResponse {
    let username = segment(&req, "username");
    let action = segment(&req, "action");
    if action == "password" {
        return set_password(&req, &state, &body, username).await;
    }
    let Some((work, done)) = change(&action) else {
        return match as_admin(&req, &state, |_, _, _| Ok(())).await {
            Ok(_) => error::page(
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such admin page.",
            ),
            Err(res) => res,
        };
    };
    let u = username.clone();
    match as_admin_post(&req, &state, &body, move |c, a, f, now| {
        work(c, a, f, now, &u)
    })
    .await
    {
        Ok((_, Ok(()))) => see_other(&format!("/admin/users/{}?done={done}", enc(&username))),
        Ok((ctx, Err(e))) => refused(&ctx, &state, &username, &e).await,
        Err(res) => res,
    }
}

/// The user's page again, with why the change was refused.
async fn refused(
    ctx: &AdminCtx,
    state: &web::Data<AppState>,
    username: &str,
    e: &AdminError,
) -> HttpResponse {
    let st = state.clone();
    let name = username.to_owned();
    let loaded = web::block(move || st.store.read(|c| load(c, &name, st.clock.now()))).await;
    match loaded {
        Ok(Ok(d)) => render(ctx, refusal_status(e), &d, "", &e.to_string(), ""),
        // The user is gone (or never was): the refusal says so.
        _ => error::page(refusal_status(e), "Not changed", &e.to_string()),
    }
}

/// A generated password, hashed off the request threads, set, and shown this once.
async fn set_password(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    body: &Bytes,
    username: String,
) -> HttpResponse {
    // Only an admin makes the server hash a password.
    if let Err(res) = as_admin(req, state, |_, _, _| Ok(())).await {
        return res;
    }
    let (pw, hash) = match new_password(state).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let u = username.clone();
    let done = as_admin_post(req, state, body, move |c, a, _, now| {
        admin::users::set_password(c, a, now, &u, &hash)?;
        Ok(load(c, &u, now)?)
    })
    .await;
    match done {
        Ok((ctx, Ok(d))) => render(
            &ctx,
            StatusCode::OK,
            &d,
            "Password set: the user's sessions and refresh tokens ended.",
            "",
            &pw,
        ),
        Ok((ctx, Err(e))) => refused(&ctx, state, &username, &e).await,
        Err(res) => res,
    }
}
