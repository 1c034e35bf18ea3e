//! The SQLite backend: every SQL statement of latchkey, one file per table group, each function
//! over a [`crate::store::Tx`]. A second backend implements the same functions and passes the
//! same contract suite (`tests/api/store/suite.rs`).

pub mod admin_keys;
pub mod apis;
pub mod attributes;
pub mod audit;
pub mod audit_chain;
pub mod backchannel;
pub mod backup;
pub mod clients;
pub mod codes;
pub mod consents;
pub mod device;
pub mod groups;
pub mod keys;
pub mod known_browsers;
pub mod links;
pub mod mail_queue;
pub mod migrate;
pub mod passkeys;
pub mod pending;
pub mod refresh;
pub mod second_factors;
pub mod sessions;
pub mod sweep;
pub mod throttle;
pub mod upstream;
pub mod users;
