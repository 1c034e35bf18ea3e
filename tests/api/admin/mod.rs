//! /admin: who may use it (the gate), the dashboard, the signing keys and sessions pages.

mod apps_pages;
mod dashboard;
mod gate;
mod keys;
mod sessions;
mod users_pages;
