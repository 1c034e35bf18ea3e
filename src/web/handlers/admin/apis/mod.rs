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
