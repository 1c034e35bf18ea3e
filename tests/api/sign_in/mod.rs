//! Signing in: login and consent pages, throttling, client address behind proxies, re-authentication, enumeration, CSRF, return paths.

mod client_address;
mod csrf;
mod enumeration;
mod login_consent;
mod reauthentication;
mod return_path;
mod throttle;
