//! The audit log: what is recorded, retention, the hash chain.

mod chain;
mod log;
