//! The HTTP adapter. This file holds THE route table.

pub mod assets;
pub mod client_address;
pub mod client_endpoint;
pub mod cookies;
pub mod cors;
pub mod csrf;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod headers;
pub mod qr;
pub mod request_metrics;
pub mod svg_chart;
pub mod templates;
pub mod throttle;
pub mod tls;

use actix_web::http::Method;
use actix_web::web;
use handlers::*;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Routes are tried in order, and each one with a `{param}` is a regex match: the protocol
    // endpoints come first, so the hot requests never pay for the pages' patterns.
    cfg.app_data(web::PayloadConfig::new(64 * 1024))
        .route("/", web::get().to(home::get_home))
        .route("/healthz", web::get().to(healthz::get_healthz))
        .route(
            "/.well-known/openid-configuration",
            web::get().to(discovery::get_openid_configuration),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            web::get().to(discovery::get_oauth_authorization_server),
        )
        .route("/jwks", web::get().to(jwks::get_jwks))
        .route("/authorize", web::get().to(authorize::get_authorize))
        .route("/authorize", web::post().to(authorize::post_authorize))
        .route("/token", web::post().to(token::post_token))
        .route(
            "/token",
            web::method(Method::OPTIONS).to(cors::options_post),
        )
        .route(
            "/device_authorization",
            web::post().to(device::post_device_authorization),
        )
        .route(
            "/device_authorization",
            web::method(Method::OPTIONS).to(cors::options_post),
        )
        .route("/device", web::get().to(device::get_device))
        .route("/device", web::post().to(device::post_device))
        .route("/userinfo", web::get().to(userinfo::get_userinfo))
        .route("/userinfo", web::post().to(userinfo::post_userinfo))
        .route(
            "/userinfo",
            web::method(Method::OPTIONS).to(cors::options_get_post),
        )
        .route("/revoke", web::post().to(revoke::post_revoke))
        .route(
            "/revoke",
            web::method(Method::OPTIONS).to(cors::options_post),
        )
        .route("/introspect", web::post().to(introspect::post_introspect))
        .route(
            "/authorize/resume",
            web::get().to(authorize::get_authorize_resume),
        )
        .route("/login", web::get().to(login::get_login))
        .route("/login", web::post().to(login::post_login))
        .route(
            "/login/second-factor",
            web::get().to(second_factor::get_second_factor),
        )
        .route(
            "/login/second-factor",
            web::post().to(second_factor::post_second_factor),
        )
        .route(
            "/login/forgot",
            web::get().to(onboarding::forgot_page::get_forgot),
        )
        .route(
            "/login/forgot",
            web::post().to(onboarding::forgot_post::post_forgot),
        )
        .route("/welcome", web::get().to(onboarding::welcome::get_welcome))
        .route(
            "/invite/{token}",
            web::get().to(onboarding::invite_page::get_invite),
        )
        .route(
            "/invite/{token}",
            web::post().to(onboarding::invite_password::post_invite),
        )
        .route(
            "/invite/{token}/passkey/begin",
            web::post().to(onboarding::invite_passkey_begin::post_invite_passkey_begin),
        )
        .route(
            "/invite/{token}/passkey/finish",
            web::post().to(onboarding::invite_passkey_finish::post_invite_passkey_finish),
        )
        .route(
            "/reset/{token}",
            web::get().to(onboarding::reset_page::get_reset),
        )
        .route(
            "/reset/{token}",
            web::post().to(onboarding::reset_password::post_reset),
        )
        .route(
            "/verify-email/{token}",
            web::get().to(onboarding::verify_page::get_verify_email),
        )
        .route(
            "/verify-email/{token}",
            web::post().to(onboarding::verify_post::post_verify_email),
        )
        .route(
            "/login/passkey/begin",
            web::post().to(passkeys::login_begin::post_login_passkey_begin),
        )
        .route(
            "/login/passkey/finish",
            web::post().to(passkeys::login_finish::post_login_passkey_finish),
        )
        .route(
            "/upstream/link",
            web::get().to(upstream::link::get_upstream_link),
        )
        .route(
            "/upstream/link",
            web::post().to(upstream::link::post_upstream_link),
        )
        .route(
            "/upstream/{id}/start",
            web::get().to(upstream::start::get_upstream_start),
        )
        .route(
            "/upstream/{id}/start",
            web::post().to(upstream::start::post_upstream_start),
        )
        .route(
            "/upstream/{id}/callback",
            web::get().to(upstream::callback::get_upstream_callback),
        )
        .route(
            "/account/upstream/unlink",
            web::post().to(upstream::account_unlink::post_account_upstream_unlink),
        )
        // The JSON admin API (bearer admin keys), before the admin pages' catch-all.
        .configure(admin_api_routes)
        .configure(admin::routes)
        // Every other /admin URL and method meets the gate too (403 for non-admins).
        .route("/admin", web::route().to(admin::elsewhere::any_admin))
        .route(
            "/admin/{rest:.*}",
            web::route().to(admin::elsewhere::any_admin),
        )
        .route("/account", web::get().to(account::get_account))
        .route(
            "/account/passkeys/begin",
            web::post().to(passkeys::account_begin::post_account_passkeys_begin),
        )
        .route(
            "/account/passkeys/finish",
            web::post().to(passkeys::account_finish::post_account_passkeys_finish),
        )
        .route(
            "/account/passkeys/remove",
            web::post().to(passkeys::account_remove::post_account_passkeys_remove),
        )
        .route(
            "/account/sessions/end",
            web::post().to(account::post_end_session),
        )
        .route(
            "/account/apps/revoke",
            web::post().to(account::post_revoke_app),
        )
        .route("/account/password", web::post().to(account::post_password))
        .route(
            "/account/email",
            web::post().to(account_email::post_account_email),
        )
        .route(
            "/account/notices",
            web::post().to(account_notices::post_account_notices),
        )
        .route(
            "/account/totp",
            web::get().to(account_totp::get_account_totp),
        )
        .route(
            "/account/totp",
            web::post().to(account_totp::post_account_totp),
        )
        .route(
            "/account/totp/remove",
            web::post().to(account_totp::post_account_totp_remove),
        )
        .route(
            "/account/recovery-codes",
            web::post().to(account_totp::post_recovery_codes),
        )
        .route("/logout", web::get().to(logout::get_logout))
        .route("/logout", web::post().to(logout::post_logout))
        .route("/consent", web::get().to(consent::get_consent))
        .route("/consent", web::post().to(consent::post_consent))
        .route("/static/{name}", web::get().to(assets::get_static));
}

/// /admin/api/v1/: one file per resource in `handlers/admin_api/`.
fn admin_api_routes(cfg: &mut web::ServiceConfig) {
    use admin_api::*;
    const V1: &str = "/admin/api/v1";
    let at = |path: &str| format!("{V1}{path}");
    cfg.route(&at("/users"), web::get().to(users::get_users))
        .route(&at("/users"), web::post().to(users::post_users))
        .route(&at("/users/{username}"), web::get().to(users::get_user))
        .route(&at("/users/{username}"), web::patch().to(users::patch_user))
        .route(
            &at("/users/{username}"),
            web::delete().to(users::delete_user),
        )
        .route(
            &at("/users/{username}/password"),
            web::post().to(users::post_user_password),
        )
        .route(
            &at("/users/{username}/reset-mfa"),
            web::post().to(users::post_user_reset_mfa),
        )
        .route(
            &at("/users/{username}/attributes/{key}"),
            web::put().to(users::put_user_attribute),
        )
        .route(
            &at("/users/{username}/attributes/{key}"),
            web::delete().to(users::delete_user_attribute),
        )
        .route(&at("/groups"), web::get().to(groups::get_groups))
        .route(&at("/groups"), web::post().to(groups::post_groups))
        .route(&at("/groups/{name}"), web::get().to(groups::get_group))
        .route(
            &at("/groups/{name}"),
            web::delete().to(groups::delete_group),
        )
        .route(
            &at("/groups/{name}/members"),
            web::post().to(groups::post_group_members),
        )
        .route(
            &at("/groups/{name}/members/{username}"),
            web::delete().to(groups::delete_group_member),
        )
        .route(&at("/clients"), web::get().to(clients::get_clients))
        .route(&at("/clients"), web::post().to(clients::post_clients))
        .route(
            &at("/clients/{client_id}"),
            web::get().to(clients::get_client),
        )
        .route(
            &at("/clients/{client_id}"),
            web::patch().to(clients::patch_client),
        )
        .route(
            &at("/clients/{client_id}"),
            web::delete().to(clients::delete_client),
        )
        .route(
            &at("/clients/{client_id}/rotate-secret"),
            web::post().to(clients::post_client_rotate_secret),
        )
        .route(&at("/apis"), web::get().to(apis::get_apis))
        .route(&at("/apis"), web::post().to(apis::post_apis))
        .route(&at("/apis/{identifier}"), web::get().to(apis::get_api))
        .route(
            &at("/apis/{identifier}"),
            web::delete().to(apis::delete_api),
        )
        .route(
            &at("/apis/{identifier}/scopes"),
            web::post().to(apis::post_api_scopes),
        )
        .route(
            &at("/apis/{identifier}/scopes/{scope}"),
            web::delete().to(apis::delete_api_scope),
        )
        .route(
            &at("/apis/{identifier}/grants/{client_id}"),
            web::put().to(apis::put_api_grant),
        )
        .route(
            &at("/apis/{identifier}/grants/{client_id}"),
            web::delete().to(apis::delete_api_grant),
        )
        .route(&at("/keys"), web::get().to(keys::get_keys))
        .route(&at("/keys/rotate"), web::post().to(keys::post_keys_rotate))
        .route(&at("/keys/{kid}"), web::get().to(keys::get_key))
        .route(&at("/sessions"), web::get().to(sessions::get_sessions))
        .route(
            &at("/sessions/{sid}"),
            web::delete().to(sessions::delete_session),
        )
        .route(&at("/audit"), web::get().to(audit::get_audit))
        // Any other URL or method under /admin/api/: JSON, never the admin pages' gate.
        .route("/admin/api", web::route().to(elsewhere::any_admin_api))
        .route(
            "/admin/api/{rest:.*}",
            web::route().to(elsewhere::any_admin_api),
        );
}

/// The `metrics_bind` listener's only route.
pub fn metrics_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics::get_metrics));
}
