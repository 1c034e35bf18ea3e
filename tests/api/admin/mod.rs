//! /admin: who may use it (the gate) and the dashboard; the groups and the APIs pages.

mod apis_pages;
mod apps_pages;
mod gate;
mod groups_pages;
mod signin_check;
mod users_pages;
