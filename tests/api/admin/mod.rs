//! /admin: who may use it (the gate), the dashboard, the signing keys and sessions pages; the
//! groups and the APIs pages.

mod apis_pages;
mod apps_pages;
mod dashboard;
mod gate;
mod groups_pages;
mod keys;
mod lists_pages;
mod sessions;
mod signin_check;
mod users_pages;
