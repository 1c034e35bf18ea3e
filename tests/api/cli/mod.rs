//! The `latchkey` admin commands.

mod client_update;
mod commands;
mod last_admin;
