//! The audit log: what is recorded, retention, the hash chain.

mod log;
