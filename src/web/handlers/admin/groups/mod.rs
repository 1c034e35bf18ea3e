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
