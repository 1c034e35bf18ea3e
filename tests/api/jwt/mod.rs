//! The JWTs we issue and accept: signing keys, rotation, algorithm pinning, claim checks.

mod algorithm_pinning;
mod claims;
mod key_rotation;
mod nodes;
