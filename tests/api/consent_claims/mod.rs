//! The consent page and which claims are released.

mod claims_release;
mod csrf;
