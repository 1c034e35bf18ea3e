//! The `latchkey` admin commands.

mod commands;
