//! The protocol itself, free of HTTP: plain functions over the store and the key ring.

pub mod maintenance;
pub mod signing_keys;
