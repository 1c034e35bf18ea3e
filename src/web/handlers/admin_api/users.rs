//! /admin/api/v1/users: search and list, create, show, disable/enable, remove, password,
//! second factors, attributes. Addressed by username, as in `latchkey user`.

use super::{
    ApiError, answer, as_key, check_key, created, nudge_outbox, page_json, page_request,
    parse_body, parse_query, read_body, segment,
};
use crate::crypto::password_pool::PoolError;
use crate::crypto::{password, random};
use crate::domain::check_password;
use crate::oidc::admin::users;
use crate::state::AppState;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    /// Part of a username, email or name.
    #[serde(default)]
    q: String,
    after: Option<String>,
    limit: Option<i64>,
}

/// GET /users?q=&after=&limit=
pub async fn get_users(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let query = parse_query::<SearchQuery>(&req);
    answer(
        as_key(&req, &state, move |c, _, _| {
            let q = query?;
            let page = users::search(c, &q.q, &page_request(q.after, q.limit))?;
            page_json("users", &page)
        })
        .await,
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUserBody {
    username: String,
    email: String,
    name: Option<String>,
    #[serde(default)]
    admin: bool,
    #[serde(default)]
    email_verified: bool,
    /// Without one a password is generated and answered once.
    password: Option<String>,
}

/// A password to set (checked) or a generated one, and its hash (made on the password pool).
async fn password_and_hash(
    state: &AppState,
    given: Option<String>,
) -> Result<(String, bool, String), ApiError> {
    let (pw, generated) = match given {
        Some(pw) => {
            check_password(&pw).map_err(|e| ApiError::BadRequest(e.0))?;
            (pw, false)
        }
        None => (random::password(), true),
    };
    let to_hash = pw.clone();
    let hash = match state.passwords.run(move || password::hash(&to_hash)).await {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return Err(ApiError::Internal(e.to_string())),
        Err(PoolError::QueueFull) => return Err(ApiError::Busy),
        Err(e) => return Err(ApiError::Internal(e.to_string())),
    };
    Ok((pw, generated, hash))
}

/// POST /users {username, email, name?, admin?, email_verified?, password?}
pub async fn post_users(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    created(create(&req, &state, payload).await)
}

async fn create(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    payload: web::Payload,
) -> Result<serde_json::Value, ApiError> {
    let body = read_body(payload).await?;
    // The key first: a stranger must not get a password hashed, nor learn what the body lacks.
    check_key(req, state).await?;
    let b: NewUserBody = parse_body(&body)?;
    let new = users::NewUser::parse(
        &b.username,
        &b.email,
        b.name.as_deref(),
        b.admin,
        b.email_verified,
    )?;
    let (pw, generated, hash) = password_and_hash(state, b.password).await?;
    let user = as_key(req, state, move |c, actor, now| {
        Ok(users::add(c, actor, now, &new, &hash)?)
    })
    .await?;
    let mut out = serde_json::to_value(&user).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let (true, Some(o)) = (generated, out.as_object_mut()) {
        o.insert("password".into(), pw.into());
    }
    Ok(out)
}

/// GET /users/{username}
pub async fn get_user(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let username = segment(&req, "username");
    answer(
        as_key(&req, &state, move |c, _, _| {
            Ok(users::show(c, &username?)?.to_json())
        })
        .await,
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UserPatch {
    disabled: Option<bool>,
    email: Option<String>,
    email_verified: Option<bool>,
    /// `""` clears it.
    name: Option<String>,
    is_admin: Option<bool>,
}

/// PATCH /users/{username} {disabled, email, email_verified, name, is_admin}: disabling ends
/// the user's sessions and refresh tokens; the last enabled admin can be neither disabled nor
/// demoted.
pub async fn patch_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let body = read_body(payload).await;
    let username = segment(&req, "username");
    let res = as_key(&req, &state, move |c, actor, now| {
        let username = username?;
        let patch: UserPatch = parse_body(&body?)?;
        let profile = users::UserUpdate {
            email: patch.email,
            email_verified: patch.email_verified,
            name: patch.name,
            is_admin: patch.is_admin,
        };
        let changes_profile = profile.email.is_some()
            || profile.email_verified.is_some()
            || profile.name.is_some()
            || profile.is_admin.is_some();
        if !changes_profile && patch.disabled.is_none() {
            return Err(ApiError::BadRequest(
                "nothing to change: send disabled, email, email_verified, name or is_admin".into(),
            ));
        }
        if changes_profile {
            users::update(c, actor, now, &username, &profile)?;
        }
        if let Some(disabled) = patch.disabled {
            users::set_disabled(c, actor, now, &username, disabled)?;
        }
        Ok(users::show(c, &username)?.to_json())
    })
    .await;
    nudge_outbox(&state);
    answer(res)
}

/// DELETE /users/{username}: the user and everything issued to them (refused for the last
/// enabled admin).
pub async fn delete_user(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let username = segment(&req, "username");
    let res = as_key(&req, &state, move |c, actor, now| {
        let username = username?;
        users::remove(c, actor, now, &username)?;
        Ok(serde_json::json!({ "removed": username }))
    })
    .await;
    nudge_outbox(&state);
    answer(res)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: Option<String>,
}

/// POST /users/{username}/password {password?}: a new password (generated and answered once
/// without one); ends the user's sessions and refresh tokens.
pub async fn post_user_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let res = set_password(&req, &state, payload).await;
    nudge_outbox(&state);
    answer(res)
}

async fn set_password(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    payload: web::Payload,
) -> Result<serde_json::Value, ApiError> {
    let body = read_body(payload).await?;
    let username = segment(req, "username")?;
    check_key(req, state).await?;
    let b: PasswordBody = parse_body(&body)?;
    let (pw, generated, hash) = password_and_hash(state, b.password).await?;
    let name = username.clone();
    as_key(req, state, move |c, actor, now| {
        Ok(users::set_password(c, actor, now, &name, &hash)?)
    })
    .await?;
    Ok(serde_json::json!({
        "username": username,
        "password": if generated { Some(pw) } else { None },
    }))
}

/// POST /users/{username}/reset-mfa: remove every second factor and recovery code, end the
/// user's sessions; answers what they had.
pub async fn post_user_reset_mfa(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let username = segment(&req, "username");
    let res = as_key(&req, &state, move |c, actor, now| {
        let username = username?;
        let removed = users::reset_mfa(c, actor, now, &username)?;
        Ok(serde_json::json!({
            "username": username,
            "removed": users::factors_json(&removed),
        }))
    })
    .await;
    nudge_outbox(&state);
    answer(res)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AttributeBody {
    value: String,
}

/// PUT /users/{username}/attributes/{key} {value}
pub async fn put_user_attribute(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let body = read_body(payload).await;
    let (username, key) = (segment(&req, "username"), segment(&req, "key"));
    answer(
        as_key(&req, &state, move |c, actor, now| {
            let username = username?;
            let b: AttributeBody = parse_body(&body?)?;
            let (key, value) = users::set_attribute(c, actor, now, &username, &key?, &b.value)?;
            Ok(serde_json::json!({ "username": username, "key": key, "value": value }))
        })
        .await,
    )
}

/// DELETE /users/{username}/attributes/{key}
pub async fn delete_user_attribute(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let (username, key) = (segment(&req, "username"), segment(&req, "key"));
    answer(
        as_key(&req, &state, move |c, actor, now| {
            let (username, key) = (username?, key?);
            users::unset_attribute(c, actor, now, &username, &key)?;
            Ok(serde_json::json!({ "username": username, "removed": key }))
        })
        .await,
    )
}
