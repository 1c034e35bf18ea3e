//! `latchkey doctor` checks.

mod checks;
