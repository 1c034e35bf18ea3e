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
pub mod templates;
pub mod tls;

use actix_web::http::Method;
use actix_web::web;
use handlers::*;

pub fn routes(cfg: &mut web::ServiceConfig) {
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
        .route("/admin", web::get().to(admin::dashboard::get_admin))
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
        .route("/static/{name}", web::get().to(assets::get_static));
}

/// The `metrics_bind` listener's only route.
pub fn metrics_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics::get_metrics));
}
