//! /admin/users: one user's page and what an admin can do about them.

pub mod actions;
pub mod create;
pub mod list;
pub mod remove;
pub mod show;

use super::AdminCtx;
use crate::oidc::{account, admin};
use crate::store::{StoreError, Tx, groups};
use crate::web::handlers::account::{device, show_time};
use crate::web::templates::admin::users::{
    AdminUserPage, KeyValue, UserAppRow, UserPasskeyRow, UserSessionRow,
};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/users", web::get().to(list::get_users))
        .route("/admin/users", web::post().to(create::post_users))
        .route("/admin/users/new", web::get().to(create::get_new_user))
        .route("/admin/users/{username}", web::get().to(show::get_user))
        .route(
            "/admin/users/{username}/remove",
            web::get().to(remove::get_remove_user),
        )
        .route(
            "/admin/users/{username}/remove",
            web::post().to(remove::post_remove_user),
        )
        .route(
            "/admin/users/{username}/{action:.+}",
            web::post().to(actions::post_user_action),
        );
}

/// Everything a user's page shows, read in the admin's transaction.
pub(super) struct UserData {
    detail: admin::users::UserDetail,
    overview: account::Overview,
    all_groups: Vec<String>,
}

pub(super) fn load(c: &Tx<'_>, username: &str, now: i64) -> Result<UserData, StoreError> {
    let detail = admin::users::show(c, username)?;
    let overview = account::overview(c, &detail.user, now)?;
    let all_groups = groups::list_groups(c)?
        .into_iter()
        .map(|g| g.name)
        .collect();
    Ok(UserData {
        detail,
        overview,
        all_groups,
    })
}

/// The notice for `?done=CODE` after a change (a fixed set: nothing typed is reflected).
pub(super) fn notice(code: &str) -> &'static str {
    match code {
        "created" => "User created.",
        "updated" => "Profile saved.",
        "disabled" => "User disabled: their sessions ended and their refresh tokens were revoked.",
        "enabled" => "User enabled.",
        "group-added" => "Added to the group.",
        "group-removed" => "Removed from the group.",
        "attribute-set" => "Attribute set.",
        "attribute-unset" => "Attribute removed.",
        "session-ended" => "Session ended.",
        "app-revoked" => "Consent revoked and the app's refresh tokens revoked.",
        "mfa-reset" => "Second factors removed and sessions ended.",
        _ => "",
    }
}

/// Show a user's page; `new_password` is shown once (after "Set a new password").
pub(super) fn render(
    ctx: &AdminCtx,
    status: StatusCode,
    d: &UserData,
    message: &str,
    error: &str,
    new_password: &str,
) -> HttpResponse {
    let (u, o) = (&d.detail.user, &d.overview);
    let groups = d.detail.groups.clone();
    let other_groups: Vec<String> = d
        .all_groups
        .iter()
        .filter(|g| !groups.iter().any(|m| m.eq_ignore_ascii_case(g)))
        .cloned()
        .collect();
    let passkeys: Vec<UserPasskeyRow> = d
        .detail
        .passkeys
        .iter()
        .map(|p| UserPasskeyRow {
            name: p.name.clone(),
            created: show_time(p.created_at),
            last_used: p.last_used_at.map_or_else(|| "never".into(), show_time),
        })
        .collect();
    let f = &d.detail.factors;
    let page = AdminUserPage {
        layout: ctx.layout("users").with_message(message).with_error(error),
        username: u.username.clone(),
        path: super::enc(&u.username),
        subject: u.subject.clone(),
        email: u.email.clone(),
        email_verified: u.email_verified,
        name: u.name.clone().unwrap_or_default(),
        is_admin: u.is_admin,
        disabled: u.disabled,
        created: show_time(u.created_at),
        password_changed: show_time(u.password_changed_at),
        can_add_group: !other_groups.is_empty(),
        groups,
        other_groups,
        attributes: d
            .detail
            .attributes
            .iter()
            .map(|(k, v)| KeyValue {
                key: k.clone(),
                value: v.clone(),
            })
            .collect(),
        sessions: o
            .sessions
            .iter()
            .map(|s| UserSessionRow {
                sid: s.sid.clone(),
                device: device(s.user_agent.as_deref()),
                ip: s.ip.clone().unwrap_or_else(|| "unknown".into()),
                signed_in: show_time(s.auth_time),
                last_seen: show_time(s.last_seen_at),
            })
            .collect(),
        apps: o
            .apps
            .iter()
            .map(|a| UserAppRow {
                client_id: a.client_id.clone(),
                name: a.name.clone(),
                access: a.scope.as_ref().map_or_else(
                    || "Signed in (no consent needed)".to_owned(),
                    |s| format!("Consented: {}", s.replace(' ', ", ")),
                ),
            })
            .collect(),
        totp_since: f.totp_since.map(show_time).unwrap_or_default(),
        recovery_left: f.recovery_left,
        has_factors: f.totp_since.is_some() || f.recovery_left > 0 || !passkeys.is_empty(),
        passkeys,
        new_password: new_password.to_owned(),
    };
    ctx.render(status, &page)
}
