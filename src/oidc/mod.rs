//! The protocol itself, free of HTTP: plain functions over the store and the key ring.

pub mod access;
pub mod account;
pub mod authorize;
pub mod backchannel;
pub mod claims;
pub mod client_auth;
pub mod device;
pub mod discovery;
pub mod error;
pub mod interaction;
pub mod introspect;
pub mod login;
pub mod login_throttle;
pub mod maintenance;
pub mod mfa;
pub mod params;
pub mod resource;
pub mod revoke;
pub mod rp_logout;
pub mod scopes;
pub mod session_end;
pub mod signed_tokens;
pub mod signing_keys;
pub mod throttle;
pub mod token;
pub mod userinfo;
