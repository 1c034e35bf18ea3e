//! SQLite-only parts of the store: its migrations (`PRAGMA user_version`) and `latchkey
//! backup`/`restore` (SQLite's online backup API).

pub mod backup;
pub mod migrate;

#[cfg(test)]
mod wal_tests;
