//! /admin/apis: the APIs (resource servers) with the register form, one API's page (its scopes,
//! which apps hold them), its removal; /admin/scopes: the custom scopes. An API's identifier is
//! a URI, so it travels as the `id` query parameter or form field, never as a path segment.
//! Every change calls `oidc::admin::{apis, scopes}` with the admin as the actor.

pub mod custom;
pub mod custom_remove;
pub mod grants;
pub mod list;
pub mod remove;
pub mod scopes;
pub mod show;

use super::enc;

/// The page of the API `identifier`, with the notice `done`.
fn api_path(identifier: &str, done: &str) -> String {
    format!("/admin/apis/detail?id={}&done={done}", enc(identifier))
}

/// The notice for a redirect's `done` code (never text taken from the URL).
fn notice(code: Option<&str>) -> &'static str {
    match code {
        Some("created") => "The API was registered.",
        Some("removed") => "The API was removed.",
        Some("scope-added") => "The scope was added.",
        Some("scope-removed") => "The scope was removed.",
        Some("granted") => "The app was granted the scope(s).",
        Some("revoked") => "The scope was taken back from the app.",
        Some("custom-created") => "The custom scope was created.",
        Some("custom-removed") => "The custom scope was removed.",
        _ => "",
    }
}

pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    use actix_web::web;
    cfg.route("/admin/apis", web::get().to(list::get_apis))
        .route("/admin/apis", web::post().to(list::post_apis))
        .route("/admin/apis/detail", web::get().to(show::get_api))
        .route("/admin/apis/scopes", web::post().to(scopes::post_add_scope))
        .route(
            "/admin/apis/scopes/remove",
            web::post().to(scopes::post_remove_scope),
        )
        .route("/admin/apis/grant", web::post().to(grants::post_grant))
        .route("/admin/apis/revoke", web::post().to(grants::post_revoke))
        .route("/admin/apis/remove", web::get().to(remove::get_remove_api))
        .route(
            "/admin/apis/remove",
            web::post().to(remove::post_remove_api),
        )
        .route("/admin/scopes", web::get().to(custom::get_scopes))
        .route("/admin/scopes", web::post().to(custom::post_scopes))
        .route(
            "/admin/scopes/remove",
            web::get().to(custom_remove::get_remove_scope),
        )
        .route(
            "/admin/scopes/remove",
            web::post().to(custom_remove::post_remove_scope),
        );
}
