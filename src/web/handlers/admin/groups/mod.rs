//! /admin/groups: the list and the create form, one group's page (members, the apps restricted
//! to it), and its removal. Every change calls `oidc::admin::{groups, clients}` with the admin
//! as the actor; a done change redirects to a page with a fixed notice, a refused one shows the
//! page again with the refusal.

pub mod apps;
pub mod list;
pub mod members;
pub mod remove;
pub mod show;

use super::enc;

/// The page of group `name`.
fn group_path(name: &str) -> String {
    format!("/admin/groups/{}", enc(name))
}

/// The notice for a redirect's `done` code (never text taken from the URL).
fn notice(code: Option<&str>) -> &'static str {
    match code {
        Some("created") => "The group was created.",
        Some("removed") => "The group was removed.",
        Some("members-added") => "Added to the group.",
        Some("members-removed") => "Taken out of the group.",
        Some("members-unchanged") => "Nothing changed: the membership was already so.",
        Some("restricted") => "The app is now restricted to this group.",
        Some("unrestricted") => "The app is no longer restricted to this group.",
        _ => "",
    }
}

pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    use actix_web::web;
    cfg.route("/admin/groups", web::get().to(list::get_groups))
        .route("/admin/groups", web::post().to(list::post_groups))
        .route("/admin/groups/{name}", web::get().to(show::get_group))
        .route(
            "/admin/groups/{name}/members",
            web::post().to(members::post_add_members),
        )
        .route(
            "/admin/groups/{name}/members/remove",
            web::post().to(members::post_remove_members),
        )
        .route(
            "/admin/groups/{name}/apps",
            web::post().to(apps::post_restrict_app),
        )
        .route(
            "/admin/groups/{name}/apps/remove",
            web::post().to(apps::post_lift_restriction),
        )
        .route(
            "/admin/groups/{name}/remove",
            web::get().to(remove::get_remove_group),
        )
        .route(
            "/admin/groups/{name}/remove",
            web::post().to(remove::post_remove_group),
        );
}
