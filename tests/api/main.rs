//! The one integration test binary: `cargo test --test api`. One directory per feature; an
//! attack on a feature sits beside it. Shared helpers live in `support/`, each once.

mod access;
mod account;
mod admin;
mod admin_api;
mod audit;
mod authorize;
mod backup;
mod cli;
mod config;
mod conformance;
mod consent_claims;
mod device;
mod discovery;
mod doctor;
mod durability;
mod jwt;
mod logout;
mod metrics;
mod mfa;
mod onboarding;
mod pages;
mod passkeys;
mod pkce;
mod refresh;
mod revocation;
mod server;
mod session;
mod sign_in;
mod spa;
mod store;
mod support;
mod tls;
mod token;
mod upstream;
mod userinfo;
