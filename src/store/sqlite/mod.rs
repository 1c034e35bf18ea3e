//! SQLite-only parts of the store: connections, write units, migrations (`PRAGMA user_version`)
//! and `latchkey backup`/`restore` (SQLite's online backup API).

pub mod backup;
pub mod connection;
pub mod migrate;
pub mod write;

#[cfg(test)]
mod read_tests;
#[cfg(test)]
mod wal_tests;
#[cfg(test)]
mod write_tests;
