//! /admin: who may use it (the gate), the dashboard, the signing keys and sessions pages.

mod dashboard;
mod gate;
mod keys;
mod sessions;
