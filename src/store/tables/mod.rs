//! The table groups: every SQL statement of latchkey outside migrations and the SQLite-only
//! tools, one file per group, each function over a [`crate::store::Tx`] and written in SQL
//! that SQLite and PostgreSQL both run (the few exceptions branch on `Tx::dialect`). Both
//! backends pass the same contract suite (`tests/api/store/suite.rs`).

pub mod admin_keys;
pub mod apis;
pub mod attributes;
pub mod audit;
pub mod audit_chain;
pub mod backchannel;
pub mod clients;
pub mod codes;
pub mod consents;
pub mod device;
pub mod groups;
pub mod keys;
pub mod known_browsers;
pub mod links;
pub mod mail_queue;
pub mod passkeys;
pub mod pending;
pub mod refresh;
pub mod second_factors;
pub mod sessions;
pub mod sweep;
pub mod throttle;
pub mod upkeep;
pub mod upstream;
pub mod users;
