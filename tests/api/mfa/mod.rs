//! Second factors: the secret key file, authenticator apps (TOTP) and recovery codes, the
//! second sign-in step and its throttle, MFA policies and step-up with acr_values, and
//! `latchkey user reset-mfa`.

mod account;
mod policy;
mod reset;
mod secret_key;
mod throttle;
mod totp;
