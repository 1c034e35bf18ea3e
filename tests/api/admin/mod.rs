//! /admin: who may use it (the gate) and the dashboard.

mod apps_pages;
mod gate;
mod users_pages;
