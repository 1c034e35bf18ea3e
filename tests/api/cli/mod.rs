//! The `latchkey` admin commands.

mod commands;
mod last_admin;
