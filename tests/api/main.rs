//! The one integration test binary: `cargo test --test api`.

mod account;
mod audit;
mod authorize_rules;
mod browser;
mod cli;
mod config;
mod conformance_basic;
mod discovery_jwks;
mod doctor;
mod durability;
mod flow;
mod health_check;
mod helpers;
mod key_rotation;
mod login_consent;
mod logout;
mod migrations;
mod oidc_rp;
mod revoke_introspect;
mod security_bcp;
mod store_suite;
mod theme;
mod throttle;
mod token_rules;
mod userinfo_rules;
