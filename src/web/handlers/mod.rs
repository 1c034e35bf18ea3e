//! One file per endpoint: `get_*` / `post_*` handlers.

pub mod account;
pub mod account_email;
pub mod account_notices;
pub mod account_totp;
pub mod admin;
pub mod admin_api;
pub mod authorize;
pub mod consent;
pub mod device;
pub mod discovery;
pub mod healthz;
pub mod home;
pub mod introspect;
pub mod jwks;
pub mod login;
pub mod logout;
pub mod metrics;
pub mod onboarding;
pub mod passkeys;
pub mod revoke;
pub mod second_factor;
pub mod token;
pub mod upstream;
pub mod userinfo;
