//! `latchkey doctor` checks.

mod checks;
mod client_fixes;
